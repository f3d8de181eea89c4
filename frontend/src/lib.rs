//! Browser entry point. cargo-leptos builds this crate to wasm; the server's HTML loads it and calls `hydrate`,
//! which attaches the reactive app to the server-rendered page. The pages are lazy routes (`app::routes`): the
//! page's chunks are loaded first, then the page is hydrated, then the page is marked hydrated.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        if is_failed_chunk_load(info) {
            app::browser::reload_after_missing_chunk();
        }
    }));
    wasm_bindgen_futures::spawn_local(async {
        let body = leptos::prelude::document()
            .body()
            .expect("the page has a body");
        leptos::mount::hydrate_from_async(body, app::App)
            .await
            .forget();
        app::browser::mark_hydrated();
    });
}

/// Whether the panic is the one a lazy route's code raises when its chunk could not be loaded (the browser's
/// fetch failed, e.g. a 404 after a deploy): wasm_split's generated loader `expect`s the load with this message.
/// Should the message change, such a failure is only logged, as any other panic.
fn is_failed_chunk_load(info: &std::panic::PanicHookInfo<'_>) -> bool {
    let payload = info.payload();
    payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .is_some_and(|message| message.contains("load callback should succeed"))
}
