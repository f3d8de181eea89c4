//! The few things only a browser can do: copying to the clipboard, saving a file the page received and knowing the
//! host the page was loaded from. Called from event handlers and effects, which run only in the browser; on the
//! server (and in native tests) they do nothing.

use leptos::prelude::*;

/// Copies `text` to the clipboard; `true` once the browser confirmed it.
pub async fn copy_to_clipboard(text: String) -> bool {
    #[cfg(target_arch = "wasm32")]
    {
        let Some(window) = web_sys::window() else {
            return false;
        };
        let promise = window.navigator().clipboard().write_text(&text);
        wasm_bindgen_futures::JsFuture::from(promise).await.is_ok()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = text;
        false
    }
}

/// `ws://host:port` (or `wss://` on an HTTPS page) of the page, once the app runs in the browser; empty while the
/// page is rendered on the server and during hydration, so that both render the same markup.
pub fn use_websocket_origin() -> Signal<String> {
    let origin = RwSignal::new(String::new());
    Effect::new(move |_| {
        #[cfg(target_arch = "wasm32")]
        if let Some(location) = web_sys::window().map(|w| w.location()) {
            let scheme = match location.protocol().as_deref() {
                Ok("https:") => "wss",
                _ => "ws",
            };
            if let Ok(host) = location.host() {
                origin.set(format!("{scheme}://{host}"));
            }
        }
    });
    origin.into()
}

/// Sets `data-hydrated="true"` on the app's root element (`#chargedesk`, see [`crate::App`]): called by the
/// frontend crate once hydration has finished, lazily loaded page included. End-to-end tests wait for it. A page
/// that hydrated may reload once more after a failed chunk load ([`reload_after_missing_chunk`]).
pub fn mark_hydrated() {
    #[cfg(target_arch = "wasm32")]
    {
        if let Some(root) = document().get_element_by_id("chargedesk") {
            let _ = root.set_attribute("data-hydrated", "true");
        }
        if let Some(Ok(Some(storage))) = web_sys::window().map(|w| w.session_storage()) {
            let _ = storage.remove_item(RELOADED_FOR_MISSING_CHUNK);
        }
    }
}

/// Set in the tab's session storage while a page reloads because a chunk could not be loaded.
#[cfg(target_arch = "wasm32")]
const RELOADED_FOR_MISSING_CHUNK: &str = "chargedesk-reloaded-for-missing-chunk";

/// Loads the page again from the server: called (by the frontend's panic hook) when the browser could not load
/// the code of a group of pages (`crate::routes`). That happens when a new version was deployed since the page
/// was loaded: the chunks have new names and the old ones are gone, so the page would stay dead. The new page
/// comes with the new version's files. Only once until a page hydrates again: a page that fails the same way
/// after the reload stays as it is rather than reload forever.
pub fn reload_after_missing_chunk() {
    #[cfg(target_arch = "wasm32")]
    {
        let Some(window) = web_sys::window() else {
            return;
        };
        let Ok(Some(storage)) = window.session_storage() else {
            return;
        };
        if matches!(storage.get_item(RELOADED_FOR_MISSING_CHUNK), Ok(Some(_))) {
            return;
        }
        if storage.set_item(RELOADED_FOR_MISSING_CHUNK, "1").is_ok() {
            let _ = window.location().reload();
        }
    }
}

/// Saves `blob` as a download called `name` (a file the page received, e.g. the import's rows with errors):
/// through a temporary object URL and a link with `download`, clicked; the URL is revoked a little later, when
/// the browser has taken the file. `false` when the browser did not allow it.
pub fn save_blob(blob: &web_sys::Blob, name: &str) -> bool {
    #[cfg(target_arch = "wasm32")]
    {
        use wasm_bindgen::JsCast;
        let Ok(url) = web_sys::Url::create_object_url_with_blob(blob) else {
            return false;
        };
        let link = document()
            .create_element("a")
            .ok()
            .and_then(|a| a.dyn_into::<web_sys::HtmlAnchorElement>().ok());
        let saved = match (link, document().body()) {
            (Some(link), Some(body)) => {
                link.set_href(&url);
                link.set_download(name);
                let _ = body.append_child(&link);
                link.click();
                link.remove();
                true
            }
            _ => false,
        };
        set_timeout(
            move || {
                let _ = web_sys::Url::revoke_object_url(&url);
            },
            std::time::Duration::from_secs(30),
        );
        saved
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = (blob, name);
        false
    }
}
