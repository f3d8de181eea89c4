//! Browser entry point. cargo-leptos builds this crate to wasm; the server's HTML loads it and calls `hydrate`,
//! which attaches the reactive app to the server-rendered page.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
