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
pub mod documents;
pub mod export;
pub mod http;
pub mod import;
pub mod mail;
pub mod month_end;

/// Leptos' settings from the environment that cargo-leptos sets, with our defaults when run directly.
///
/// Hashed file names (`hash-files` in Cargo.toml): `cargo leptos build` names the site's wasm, JavaScript and
/// CSS after their content and writes the hashes to `hash.txt` next to the server binary, where Leptos reads
/// them when it renders the page's `<link>`s and `<script>`. Unless `LEPTOS_HASH_FILES` says otherwise (as
/// `cargo leptos serve` does), the hashed names are used exactly when that file is there and the files it names
/// are in the site directory; a binary without them (tests, `cargo run`) links the plain names.
pub fn leptos_options() -> anyhow::Result<LeptosOptions> {
    let mut options = get_configuration(None)?.leptos_options;
    if options.output_name.is_empty() {
        options.output_name = "chargedesk".into();
    }
    if std::env::var_os("LEPTOS_HASH_FILES").is_none() {
        options.hash_files = std::env::current_exe()
            .ok()
            .and_then(|exe| Some(exe.parent()?.join(options.hash_file.as_ref())))
            .is_some_and(|hash_file| hashed_site_is_built(&hash_file, &options));
    }
    Ok(options)
}

/// Whether `hash_file` (next to the binary: see [`leptos_options`]) names site files that exist. A hash file
/// whose files are missing (the site was built for another binary, or deleted) is reported, and the plain
/// names are used.
fn hashed_site_is_built(hash_file: &std::path::Path, options: &LeptosOptions) -> bool {
    let Ok(hashes) = std::fs::read_to_string(hash_file) else {
        return false;
    };
    let pkg = std::path::Path::new(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref());
    let missing: Vec<String> = hashes
        .lines()
        .filter_map(|line| line.split_once(':'))
        .filter(|(kind, _)| matches!(kind.trim(), "js" | "wasm" | "css"))
        .map(|(kind, hash)| format!("{}.{}.{}", options.output_name, hash.trim(), kind.trim()))
        .filter(|name| !pkg.join(name).is_file())
        .collect();
    if missing.is_empty() {
        true
    } else {
        tracing::error!(
            hash_file = %hash_file.display(),
            site = %pkg.display(),
            ?missing,
            "the site files named by the hash file are missing: linking the unhashed names (rebuild the site \
             with `cargo leptos build --release`)"
        );
        false
    }
}

/// The whole HTTP surface: server-rendered pages, `/api/*` server functions, the static site files
/// ([`http::site_files`], with [`http::cache_control`]; everything compressed per [`http::compressed`]), and the
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
    let export_db = db.clone();
    let import_db = db.clone();
    let probes = http::probes(db.clone());
    let documents_db = db.clone();
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
    // The site's files under /pkg (precompressed, see http::site_files); other files of the site root
    // (favicon) and the "not found" page come from Leptos' fallback. http::cache_control: hashed file names
    // are cached for a year, everything else is revalidated.
    let pkg_dir = options.site_pkg_dir.clone();
    let web_routes = Router::new()
        .leptos_routes_with_context(&options, routes, context.clone(), {
            let options = options.clone();
            move || shell(options.clone())
        })
        .nest_service(
            &http::site_files_route(&pkg_dir),
            http::site_files(&options.site_root, &pkg_dir),
        )
        .fallback(leptos_axum::file_and_error_handler_with_context(
            context, shell,
        ))
        .with_state(options);
    let web_routes = http::cache_control(web_routes, &pkg_dir);
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
    let documents = Router::new()
        .route("/api/documents/statements/{id}", get(documents::statement))
        .with_state(documents_db);
    // The Transactions download (streamed: see export.rs).
    let exports = Router::new()
        .route("/api/export/{file}", get(export::transactions))
        .with_state(export_db);
    // The bulk import and export of passes (files: see import.rs).
    let imports = import::routes(import_db);
    let timeout = TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, web.request_timeout);
    let router = http::with_request_ids(
        http::compressed(http::secure(
            web_routes
                .merge(ocpp)
                .merge(documents)
                .merge(exports)
                .merge(imports)
                .merge(probes)
                .layer(timeout),
            web.site,
            web.trusted_proxies.clone(),
        )),
        web.trusted_proxies,
    );
    (router, hub)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_are_used_only_when_the_hash_file_names_files_that_exist() {
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path().join("site");
        std::fs::create_dir_all(site.join("pkg")).unwrap();
        let options = LeptosOptions::builder()
            .output_name("chargedesk")
            .site_root(site.to_str().unwrap())
            .site_pkg_dir("pkg")
            .build();
        let hash_file = dir.path().join("hash.txt");
        // No hash file: a binary built without hash-files (tests, `cargo run`).
        assert!(!hashed_site_is_built(&hash_file, &options));
        std::fs::write(
            &hash_file,
            "js: AAAAAAAAAAAAAAAAAAAAAA\nwasm: BBBBBBBBBBBBBBBBBBBBBB\ncss: CCCCCCCCCCCCCCCCCCCCCC\n",
        )
        .unwrap();
        // The files it names are not there (another build's site): the plain names.
        assert!(!hashed_site_is_built(&hash_file, &options));
        for name in [
            "chargedesk.AAAAAAAAAAAAAAAAAAAAAA.js",
            "chargedesk.BBBBBBBBBBBBBBBBBBBBBB.wasm",
        ] {
            std::fs::write(site.join("pkg").join(name), "x").unwrap();
        }
        assert!(
            !hashed_site_is_built(&hash_file, &options),
            "the CSS is missing"
        );
        std::fs::write(site.join("pkg/chargedesk.CCCCCCCCCCCCCCCCCCCCCC.css"), "x").unwrap();
        assert!(hashed_site_is_built(&hash_file, &options));
    }
}
