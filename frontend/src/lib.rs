//! Browser entry point. cargo-leptos builds this crate to wasm; the server's HTML loads it and calls `hydrate`,
//! which attaches the reactive app to the server-rendered page. The pages are lazy routes (`app::routes`): the
//! page's chunk is loaded first, then the page is hydrated, then the page is marked hydrated.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
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
