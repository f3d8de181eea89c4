//! The ChargeDesk server as a library, so the binary and the integration tests build the very same router.

use ::http::StatusCode;
use app::{shell, App};
use axum::routing::get;
use axum::Router;
use central_system::{OcppConfig, OcppHub};
use http::WebConfig;
use leptos::config::LeptosOptions;
use leptos::nonce::Nonce;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use storage::Db;
use tower_http::timeout::TimeoutLayer;

pub mod central_system;
pub mod cli;
pub mod http;
pub mod mail;

/// Leptos' settings from the environment that cargo-leptos sets, with our defaults when run directly.
pub fn leptos_options() -> anyhow::Result<LeptosOptions> {
    let mut options = get_configuration(None)?.leptos_options;
    if options.output_name.is_empty() {
        options.output_name = "chargedesk".into();
    }
    Ok(options)
}

/// The whole HTTP surface: server-rendered pages, `/api/*` server functions, the static site files, and the
/// OCPP endpoint `/ocpp/{chargePointId}`, the load balancer's probes `/healthz` and `/readyz`
/// ([`http::probes`]), behind the security middleware ([`http::secure`]), the request timeout and the request
/// ids ([`http::with_request_ids`]). Every request's reactive context holds the [`Db`], the [`OcppHub`], the
/// [`app::auth::server::PublicSite`] and the [`app::auth::server::LoginLimits`], which the server functions take their data from, and the request's CSP nonce. Starts the
/// hub's background tasks (frame-log writer, retention pruner), so it must be called inside a tokio runtime.
/// Local web settings ([`WebConfig::default`]); the binary passes its own to [`router_and_hub`].
pub fn router(db: Db, options: LeptosOptions) -> Router {
    router_with(db, options, OcppConfig::from_env())
}

/// [`router`] with explicit OCPP settings (tests use short intervals).
pub fn router_with(db: Db, options: LeptosOptions, ocpp: OcppConfig) -> Router {
    router_for(db, options, ocpp, WebConfig::default())
}

/// [`router`] with explicit OCPP and web settings.
pub fn router_for(db: Db, options: LeptosOptions, ocpp: OcppConfig, web: WebConfig) -> Router {
    router_and_hub(db, options, ocpp, web).0
}

/// [`router_for`], and the [`OcppHub`] it started, which the binary shuts down gracefully
/// ([`http::serve_until_stopped`]).
pub fn router_and_hub(
    db: Db,
    options: LeptosOptions,
    ocpp: OcppConfig,
    web: WebConfig,
) -> (Router, OcppHub) {
    let hub = OcppHub::start(db.clone(), ocpp);
    let probes = http::probes(db.clone());
    let routes = generate_route_list(App);
    let context = {
        let hub = hub.clone();
        let site = web.site.clone();
        let limits = web.login_limits();
        let reset_limits = app::account::server::ResetLimits::default();
        move || {
            provide_context(db.clone());
            provide_context(hub.clone());
            provide_context(site.clone());
            provide_context(limits.clone());
            provide_context(reset_limits.clone());
            // The nonce the security middleware put in this request's Content-Security-Policy, for Leptos'
            // inline scripts (it replaces the one leptos_axum generated).
            if let Some(nonce) = use_context::<::http::request::Parts>()
                .and_then(|parts| parts.extensions.get::<Nonce>().cloned())
            {
                provide_context(nonce);
            }
        }
    };
    let web_routes = Router::new()
        .leptos_routes_with_context(&options, routes, context.clone(), {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context(
            context, shell,
        ))
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
        .with_state(hub.clone());
    let timeout = TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, web.request_timeout);
    let router = http::with_request_ids(
        http::secure(
            web_routes.merge(ocpp).merge(probes).layer(timeout),
            web.site,
            web.trusted_proxies.clone(),
        ),
        web.trusted_proxies,
    );
    (router, hub)
}
