//! The ChargeDesk server as a library, so the binary and the integration tests build the very same router.

use app::{shell, App};
use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use storage::Db;

pub mod cli;

/// Leptos' settings from the environment that cargo-leptos sets, with our defaults when run directly.
pub fn leptos_options() -> anyhow::Result<LeptosOptions> {
    let mut options = get_configuration(None)?.leptos_options;
    if options.output_name.is_empty() {
        options.output_name = "chargedesk".into();
    }
    Ok(options)
}

/// The whole HTTP surface: server-rendered pages, `/api/*` server functions, and the static site files.
/// Every request's reactive context holds the [`Db`], which the server functions take their data from.
pub fn router(db: Db, options: LeptosOptions) -> Router {
    let routes = generate_route_list(App);
    Router::new()
        .leptos_routes_with_context(&options, routes, move || provide_context(db.clone()), {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler(shell))
        .with_state(options)
}
