//! The ChargeDesk server as a library, so the binary and the integration tests build the very same router.

use app::{shell, App};
use axum::routing::get;
use axum::Router;
use central_system::{OcppConfig, OcppHub};
use leptos::config::LeptosOptions;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use storage::Db;

pub mod central_system;
pub mod cli;

/// Leptos' settings from the environment that cargo-leptos sets, with our defaults when run directly.
pub fn leptos_options() -> anyhow::Result<LeptosOptions> {
    let mut options = get_configuration(None)?.leptos_options;
    if options.output_name.is_empty() {
        options.output_name = "chargedesk".into();
    }
    Ok(options)
}

/// The whole HTTP surface: server-rendered pages, `/api/*` server functions, the static site files, and the
/// OCPP endpoint `/ocpp/{chargePointId}`. Every request's reactive context holds the [`Db`] and the
/// [`OcppHub`], which the server functions take their data from. Starts the hub's background tasks (frame-log
/// writer, retention pruner), so it must be called inside a tokio runtime.
pub fn router(db: Db, options: LeptosOptions) -> Router {
    router_with(db, options, OcppConfig::from_env())
}

/// [`router`] with explicit OCPP settings (tests use short intervals).
pub fn router_with(db: Db, options: LeptosOptions, ocpp: OcppConfig) -> Router {
    let hub = OcppHub::start(db.clone(), ocpp);
    let routes = generate_route_list(App);
    let context_hub = hub.clone();
    let web = Router::new()
        .leptos_routes_with_context(
            &options,
            routes,
            move || {
                provide_context(db.clone());
                provide_context(context_hub.clone());
            },
            {
                let options = options.clone();
                move || shell(options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler(shell))
        .with_state(options);
    let ocpp = Router::new()
        .route(
            "/ocpp/{charge_point_id}",
            get(central_system::endpoint::upgrade),
        )
        .route(
            "/events/stations/{station}/taps",
            get(central_system::taps::stream),
        )
        .with_state(hub);
    web.merge(ocpp)
}
