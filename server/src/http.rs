//! The HTTP side facing browsers and stations: the server loop (header-read timeout, WebSocket upgrades,
//! graceful shutdown, the client's address for per-client limits), the web settings, and the security
//! middleware every answer passes through (cross-site refusal on `/api/*`, Content-Security-Policy with a
//! per-request nonce, the other security headers, and the one mapping of server-function errors to HTTP
//! statuses), and the delivery of the site itself: its static files (precompressed, long-lived caching for the
//! names that carry their content's hash), and compression of the dynamic answers.

use crate::central_system::OcppHub;
use app::auth::server::{ForwardedClient, LoginLimits, PublicSite};
use app::AppError;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use http::header::{self, HeaderName, HeaderValue};
use http::StatusCode;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use leptos::nonce::Nonce;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;
use storage::{Db, NotReady};
use tokio::net::TcpListener;
use tower::ServiceExt;
use tower_http::classify::StatusInRangeAsFailures;
use tower_http::compression::predicate::{DefaultPredicate, Predicate};
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{
    MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::services::ServeDir;
use tower_http::trace::TraceLayer;

/// How long a client may take to send a request's header (and, before that, its first byte) before the
/// connection is closed: a client that opens connections and then stalls cannot hold them.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The default of how long a shutdown may take (`CHARGEDESK_SHUTDOWN_GRACE_SECS`): open requests finishing,
/// station connections closing, the frame log being stored, the e-mail sender stopping.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
/// How long a request may take until its answer's head is sent ([`tower_http::timeout`]). Streams (the tap
/// stream, WebSocket connections) send their head at once and are not cut.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest server-function error body the middleware reads to pick its status (errors are a few hundred
/// bytes).
const MAX_ERROR_BODY: usize = 64 * 1024;

/// Settings of the server loop.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// See [`HEADER_READ_TIMEOUT`].
    pub header_read_timeout: Duration,
    /// See [`SHUTDOWN_GRACE`].
    pub shutdown_grace: Duration,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            header_read_timeout: HEADER_READ_TIMEOUT,
            shutdown_grace: SHUTDOWN_GRACE,
        }
    }
}

/// Serves `router` on `listener` until `shutdown` completes, with the default [`ServeConfig`].
pub async fn serve<F>(listener: TcpListener, router: Router, shutdown: F) -> std::io::Result<()>
where
    F: Future<Output = ()> + Send,
{
    serve_with(listener, router, shutdown, ServeConfig::default()).await
}

/// Serves `router` on `listener` (HTTP/1 with upgrades for the OCPP WebSocket, and HTTP/2) until `shutdown`
/// completes; then stops accepting, lets open requests finish for at most `shutdown_grace`, and returns.
/// Upgraded connections are not waited for: [`serve_until_stopped`] also shuts the OCPP hub down.
///
/// Every request carries axum's `ConnectInfo<SocketAddr>` (the TCP peer) in its extensions, which
/// `app::auth::server::client_ip` reads for per-client limits. A connection that sends no complete request
/// header within `header_read_timeout` is closed.
pub async fn serve_with<F>(
    listener: TcpListener,
    router: Router,
    shutdown: F,
    config: ServeConfig,
) -> std::io::Result<()>
where
    F: Future<Output = ()> + Send,
{
    serve_inner(listener, router, None, shutdown, config)
        .await
        .map(|_| ())
}

/// The binary's server loop: [`serve_with`], and once `shutdown` completes, a graceful shutdown within
/// `shutdown_grace`:
/// 1. stop accepting connections (the listening socket is closed: new connections are refused);
/// 2. [`OcppHub::begin_shutdown`]: every station connection is closed with 1001 "going away" (the station
///    reconnects, through the load balancer to another instance), WebSocket upgrades still in flight are
///    closed the same way, open tap streams end;
/// 3. open HTTP requests finish (idle keep-alive connections are closed);
/// 4. [`OcppHub::finish_shutdown`]: every session runs its normal end (its station marked offline if it is
///    still its connection), then the frame-log queue is stored.
///
/// hyper's graceful shutdown does not see upgraded connections, hence the hub's own count of sessions. Returns
/// the deadline the grace period sets, for what the caller stops afterwards (the e-mail sender).
pub async fn serve_until_stopped<F>(
    listener: TcpListener,
    router: Router,
    hub: &OcppHub,
    shutdown: F,
    config: ServeConfig,
) -> std::io::Result<tokio::time::Instant>
where
    F: Future<Output = ()> + Send,
{
    serve_inner(listener, router, Some(hub), shutdown, config).await
}

async fn serve_inner<F>(
    listener: TcpListener,
    router: Router,
    hub: Option<&OcppHub>,
    shutdown: F,
    config: ServeConfig,
) -> std::io::Result<tokio::time::Instant>
where
    F: Future<Output = ()> + Send,
{
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(config.header_read_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(Duration::from_secs(60)));
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait a moment instead of spinning.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let router = router.clone();
        let service =
            hyper::service::service_fn(move |request: http::Request<hyper::body::Incoming>| {
                let mut request = request.map(Body::new);
                request.extensions_mut().insert(ConnectInfo(peer));
                router.clone().oneshot(request)
            });
        let builder = builder.clone();
        let header_read_timeout = config.header_read_timeout;
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            // The HTTP version is detected from the first bytes, before hyper's header timer runs: a client
            // that connects and sends nothing is closed by the same timeout.
            let mut first = [0u8; 1];
            match tokio::time::timeout(header_read_timeout, stream.peek(&mut first)).await {
                Ok(Ok(n)) if n > 0 => {}
                _ => return,
            }
            let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
            if let Err(e) = watcher.watch(connection.into_owned()).await {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    let deadline = tokio::time::Instant::now() + config.shutdown_grace;
    if let Some(hub) = hub {
        let closing = hub.begin_shutdown();
        tracing::info!(
            station_connections = closing,
            grace_secs = config.shutdown_grace.as_secs_f32(),
            "shutting down: no longer accepting connections; closing station connections"
        );
    }
    if tokio::time::timeout_at(deadline, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::info!("open connections did not finish in time; stopping anyway");
    }
    if let Some(hub) = hub {
        hub.finish_shutdown(deadline).await;
    }
    Ok(deadline)
}

/// Completes on Ctrl-C (SIGINT) or, on Unix, SIGTERM (what service managers and containers send).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

/// Settings of the web side (see the README's settings table).
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// How browsers reach the server (`CHARGEDESK_PUBLIC_URL`).
    pub site: PublicSite,
    /// See [`REQUEST_TIMEOUT`].
    pub request_timeout: Duration,
    /// Log-in attempts a minute from one client address (`CHARGEDESK_LOGIN_PER_IP_PER_MINUTE`).
    pub login_per_ip_per_minute: NonZeroU32,
    /// Log-in attempts a minute for one account (`CHARGEDESK_LOGIN_PER_ACCOUNT_PER_MINUTE`).
    pub login_per_account_per_minute: NonZeroU32,
    /// Reverse proxies (e.g. the TLS proxy) whose `X-Forwarded-For` names the client
    /// (`CHARGEDESK_TRUSTED_PROXIES`): without them every client behind the proxy would share one address
    /// and so one per-address limit.
    pub trusted_proxies: Vec<IpAddr>,
}

/// Default of [`WebConfig::login_per_ip_per_minute`].
pub const DEFAULT_LOGIN_PER_IP_PER_MINUTE: u32 = 60;
/// Default of [`WebConfig::login_per_account_per_minute`].
pub const DEFAULT_LOGIN_PER_ACCOUNT_PER_MINUTE: u32 = 30;

impl Default for WebConfig {
    /// Local use: no public URL, the default timeouts and limits.
    fn default() -> Self {
        Self {
            site: PublicSite::local(),
            request_timeout: REQUEST_TIMEOUT,
            login_per_ip_per_minute: NonZeroU32::new(DEFAULT_LOGIN_PER_IP_PER_MINUTE)
                .expect("non-zero"),
            login_per_account_per_minute: NonZeroU32::new(DEFAULT_LOGIN_PER_ACCOUNT_PER_MINUTE)
                .expect("non-zero"),
            trusted_proxies: Vec::new(),
        }
    }
}

impl WebConfig {
    /// The log-in limits these settings ask for (one set per router).
    pub fn login_limits(&self) -> LoginLimits {
        LoginLimits::new(
            self.login_per_ip_per_minute,
            self.login_per_account_per_minute,
        )
    }
}

/// Whether the server may listen on `addr`: plain http (no https public URL) only on a loopback address, and
/// the demo (whose passwords are published) only on a loopback address. `Err` is the one line to print.
pub fn check_listen_address(addr: SocketAddr, site: &PublicSite, demo: bool) -> Result<(), String> {
    if addr.ip().is_loopback() {
        return Ok(());
    }
    if demo {
        return Err(format!(
            "refusing to serve the demo on {addr}: the demo logins and their passwords are published, so the \
             demo only listens on a loopback address (e.g. LEPTOS_SITE_ADDR=127.0.0.1:3000)"
        ));
    }
    if site.origin().is_none() {
        return Err(format!(
            "refusing to listen on {addr} over plain http: put a TLS proxy in front and set \
             CHARGEDESK_PUBLIC_URL to the https address users open (e.g. https://csms.example.com), or \
             listen on a loopback address"
        ));
    }
    if !site.is_https() {
        tracing::warn!(
            %addr,
            "CHARGEDESK_PUBLIC_URL is plain http: passwords and session cookies cross the network unencrypted"
        );
    }
    Ok(())
}

/// What the security middleware needs to know.
#[derive(Debug)]
struct Security {
    site: PublicSite,
    trusted_proxies: Vec<IpAddr>,
}

/// Puts the security middleware around `router` (every route and the fallback).
pub fn secure(router: Router, site: PublicSite, trusted_proxies: Vec<IpAddr>) -> Router {
    let security = Arc::new(Security {
        site,
        trusted_proxies,
    });
    router.layer(axum::middleware::from_fn_with_state(
        security,
        security_layer,
    ))
}

/// `GET /healthz` and `GET /readyz`, the load balancer's probes. `/healthz` answers 200 `ok` while the process
/// serves and touches nothing else. `/readyz` answers 200 `ready` when the database answers and every migration
/// this binary knows is applied ([`Db::readiness`]), otherwise 503 `not ready: <category>`; nothing more is
/// revealed (the cause goes to the log). Neither needs a session nor is rate-limited: a probe every second
/// costs a trivial query.
pub fn probes(db: Db) -> Router {
    Router::new()
        .route("/healthz", axum::routing::get(healthz))
        .route("/readyz", axum::routing::get(readyz))
        .with_state(db)
}

async fn healthz() -> Response {
    probe_answer(StatusCode::OK, "ok")
}

async fn readyz(State(db): State<Db>) -> Response {
    match db.readiness().await {
        Ok(()) => probe_answer(StatusCode::OK, "ready"),
        Err(not_ready) => probe_answer(
            StatusCode::SERVICE_UNAVAILABLE,
            match not_ready {
                NotReady::Unreachable => "not ready: database unreachable",
                NotReady::MigrationsPending => "not ready: database migrations pending",
            },
        ),
    }
}

fn probe_answer(status: StatusCode, body: &'static str) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        body,
    )
        .into_response()
}

/// `Cache-Control` of a site file whose name carries its content's hash (see [`is_content_hashed`]): any cache
/// may keep it for a year without asking again, because a new build gives new content a new name.
pub const CACHE_IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of every other answer of the site that does not set its own (pages, files without a hash in
/// their name, refusals and "not found"): a cache must ask the server before reusing it, so a deploy is seen at
/// the next visit; `private` keeps signed-in pages out of shared caches.
pub const CACHE_REVALIDATE: &str = "private, no-cache";

/// The service for the site's files under `/{pkg_dir}` (wasm, JavaScript, CSS that `cargo leptos build` wrote
/// to `{site_root}/{pkg_dir}`; nest it at [`site_files_route`]), serving them with the precompressed `.br` or `.gz` file next to each one when the
/// client accepts it (`cargo leptos build --release --precompress` writes them: brotli at its highest level,
/// too slow to do per request) and the file itself otherwise; conditional and range requests are answered too.
/// A name that is not there is a plain 404 (not the app's "not found" page: a browser asked for a file).
/// [`cache_control`] adds the caching headers.
pub fn site_files(site_root: &str, pkg_dir: &str) -> ServeDir {
    ServeDir::new(std::path::Path::new(site_root).join(pkg_dir))
        .precompressed_br()
        .precompressed_gzip()
}

/// Where [`site_files`] are served: `/{pkg_dir}`.
pub fn site_files_route(pkg_dir: &str) -> String {
    format!("/{}", pkg_dir.trim_matches('/'))
}

/// Sets `Cache-Control` on the site's answers that have none (and `Vary: Accept-Encoding` on the files under
/// `/{pkg_dir}/`, whose encoding depends on it): [`CACHE_IMMUTABLE`] for a successful (or "not
/// modified") answer for a file under `/{pkg_dir}/` whose name carries its content's hash, [`CACHE_REVALIDATE`]
/// for everything else, so that no page, unhashed file or "not found" is kept after a deploy. Answers that
/// choose their own (`/api/*`: `no-store`, the probes, the event streams) keep theirs.
pub fn cache_control(router: Router, pkg_dir: &str) -> Router {
    let prefix: Arc<str> = format!("/{}/", pkg_dir.trim_matches('/')).into();
    router.layer(axum::middleware::from_fn(
        move |request: Request, next: Next| {
            let prefix = prefix.clone();
            async move {
                let file = request
                    .uri()
                    .path()
                    .strip_prefix(&*prefix)
                    .map(str::to_owned);
                let hashed = file.as_deref().is_some_and(is_content_hashed);
                let mut response = next.run(request).await;
                // ServeDir picks the precompressed file by Accept-Encoding without saying so: a cache must keep one
                // copy per encoding.
                if file.is_some() && !varies_by_encoding(response.headers()) {
                    response
                        .headers_mut()
                        .append(header::VARY, HeaderValue::from_static("accept-encoding"));
                }
                if !response.headers().contains_key(header::CACHE_CONTROL) {
                    let status = response.status();
                    let immutable =
                        hashed && (status.is_success() || status == StatusCode::NOT_MODIFIED);
                    response.headers_mut().insert(
                        header::CACHE_CONTROL,
                        HeaderValue::from_static(if immutable {
                            CACHE_IMMUTABLE
                        } else {
                            CACHE_REVALIDATE
                        }),
                    );
                }
                response
            }
        },
    ))
}

/// Whether the answer's `Vary` names `Accept-Encoding`.
fn varies_by_encoding(headers: &http::HeaderMap) -> bool {
    headers
        .get_all(header::VARY)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|v| v.trim().eq_ignore_ascii_case("accept-encoding"))
}

/// Whether a file name under the site's package directory carries its content's hash the way `cargo leptos
/// build` with `hash-files` names it: `<stem>.<hash>.<extension>`, the hash being the unpadded URL-safe
/// base64 of the content's MD5 (22 characters). Nested paths (`snippets/…`) are never hashed.
pub fn is_content_hashed(name: &str) -> bool {
    if name.contains('/') {
        return false;
    }
    let mut parts = name.rsplit('.');
    let (Some(_extension), Some(hash), Some(stem)) = (parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    !stem.is_empty()
        && hash.len() == 22
        && hash
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Compresses the answers that are not compressed yet (pages, server-function JSON; the site files come
/// precompressed from [`site_files`]) with brotli or gzip, whichever the client's `Accept-Encoding` prefers,
/// at tower-http's on-the-fly levels (brotli 4, gzip's default). Never compressed: a WebSocket upgrade (the
/// OCPP endpoint: `101 Switching Protocols`), server-sent events (the tap stream: `text/event-stream`, which
/// must reach the browser event by event), answers of at most 32 bytes, images, and answers already encoded
/// or answering a range. A streamed answer (Leptos' out-of-order page streaming) stays streamed: whenever the
/// page waits for more, what was compressed so far is flushed to the browser (async-compression's encoder
/// flushes when its input is pending). Put it outside [`secure`], which reads server-function errors to
/// choose their status.
///
/// A request another site made the browser send (`Sec-Fetch-Site: cross-site`, e.g. a navigation an attacker's
/// page started, carrying the `SameSite=Lax` session cookie) is answered uncompressed: a compressed page that
/// reflects the attacker's input (a prefilled Hidden ID, a filter) next to the caller's data would let someone
/// who sees the encrypted traffic guess that data from the answer's length, byte by byte (BREACH).
pub fn compressed(router: Router) -> Router {
    let predicate = DefaultPredicate::new().and(
        |status: StatusCode, _: http::Version, _: &http::HeaderMap, _: &http::Extensions| {
            status != StatusCode::SWITCHING_PROTOCOLS
        },
    );
    router
        .layer(
            CompressionLayer::new()
                .br(true)
                .gzip(true)
                .compress_when(predicate),
        )
        .layer(axum::middleware::map_request(
            |mut request: Request| async move {
                if is_sent_by_another_site(request.headers()) {
                    request.headers_mut().remove(header::ACCEPT_ENCODING);
                }
                request
            },
        ))
}

/// Whether the browser says another site made it send this request (`Sec-Fetch-Site: cross-site`).
fn is_sent_by_another_site(headers: &http::HeaderMap) -> bool {
    headers
        .get("sec-fetch-site")
        .is_some_and(|site| site.as_bytes().eq_ignore_ascii_case(b"cross-site"))
}

/// Gives every request an id and a log span carrying it: the `x-request-id` header set by one of the
/// `trusted_proxies` (from anyone else it is replaced: a client cannot pose as another request in the logs), or
/// a new UUID; the answer carries the same header. Log lines written while the request is handled (and those of
/// an OCPP session it opens) name it as `request_id`. Put around everything else, so that the security
/// middleware's answers have the id too.
pub fn with_request_ids(router: Router, trusted_proxies: Vec<IpAddr>) -> Router {
    router.layer(
        tower::ServiceBuilder::new()
            .map_request(move |mut request: Request| {
                let from_proxy = request
                    .extensions()
                    .get::<ConnectInfo<SocketAddr>>()
                    .is_some_and(|peer| trusted_proxies.contains(&peer.0.ip()));
                if !from_proxy {
                    request.headers_mut().remove(X_REQUEST_ID);
                }
                request
            })
            .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
            .layer(
                // Answers from 500 to 502 are logged as errors; 503 is a deliberate answer ("busy", a
                // not-ready probe that a load balancer repeats every second) and logged where it is decided.
                TraceLayer::new(StatusInRangeAsFailures::new(500..=502).into_make_classifier())
                    .make_span_with(request_span),
            )
            .layer(PropagateRequestIdLayer::x_request_id()),
    )
}

/// The span of one request: its id, method and path (not the query, which may hold a token).
fn request_span<B>(request: &http::Request<B>) -> tracing::Span {
    let id = request
        .extensions()
        .get::<RequestId>()
        .and_then(|id| id.header_value().to_str().ok())
        .unwrap_or("-");
    tracing::info_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        path = %request.uri().path()
    )
}

/// The client a trusted proxy forwarded the request for: the right-most address in `X-Forwarded-For` that is
/// not itself a trusted proxy (addresses further left were written by the client and prove nothing). `None`
/// when the peer is not a trusted proxy or names nobody.
fn forwarded_client(request: &Request, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()?
        .0
        .ip();
    if !trusted.contains(&peer) {
        return None;
    }
    let hops: Vec<&str> = request
        .headers()
        .get_all(X_FORWARDED_FOR)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    for hop in hops.into_iter().rev() {
        let ip: IpAddr = hop.parse().ok()?;
        if !trusted.contains(&ip) {
            return Some(ip);
        }
    }
    None
}

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The middleware around every request: records the forwarded client (from a trusted proxy only), then
/// [`security_headers`].
async fn security_layer(
    State(security): State<Arc<Security>>,
    mut request: Request,
    next: Next,
) -> Response {
    if let Some(client) = forwarded_client(&request, &security.trusted_proxies) {
        request.extensions_mut().insert(ForwardedClient(client));
    }
    security_headers(&security.site, request, next).await
}

const SEC_FETCH_SITE: HeaderName = HeaderName::from_static("sec-fetch-site");

/// The security middleware: see the module documentation. On `/api/*` a cross-site request is refused with
/// 403 before it reaches a server function (log-in included: no log-in CSRF).
async fn security_headers(site: &PublicSite, mut request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let nonce = Nonce::new();
    let mut response = if api && is_cross_site(&request, site) {
        (StatusCode::FORBIDDEN, "Cross-site requests are refused.").into_response()
    } else {
        request.extensions_mut().insert(nonce.clone());
        request.extensions_mut().insert(site.clone());
        let response = next.run(request).await;
        if api {
            with_error_status(response).await
        } else {
            response
        }
    };
    let headers = response.headers_mut();
    if let Ok(csp) = HeaderValue::from_str(&content_security_policy(&nonce)) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if api {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if site.is_https() {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    response
}

/// The Content-Security-Policy of an answer whose inline scripts carry `nonce`. Scripts run only with the
/// nonce (Leptos' hydration and resource scripts get it from the context) and what they load
/// (`'strict-dynamic'`: the wasm-bindgen module); `'wasm-unsafe-eval'` lets the module compile the wasm.
/// Styles, images, fetches and form posts stay on this origin; nothing may frame the app.
pub fn content_security_policy(nonce: &Nonce) -> String {
    format!(
        "default-src 'self'; script-src 'nonce-{nonce}' 'strict-dynamic' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'{reload}; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        reload = dev_reload_source()
    )
}

/// `cargo leptos watch` serves a live-reload WebSocket on its own port: allowed only while it runs.
fn dev_reload_source() -> String {
    match (
        std::env::var("LEPTOS_WATCH"),
        std::env::var("LEPTOS_RELOAD_PORT"),
    ) {
        (Ok(_), Ok(port)) if port.parse::<u16>().is_ok() => {
            format!(" ws://127.0.0.1:{port} ws://localhost:{port}")
        }
        (Ok(_), _) => " ws://127.0.0.1:3001 ws://localhost:3001".to_owned(),
        _ => String::new(),
    }
}

/// Whether a request was sent by a page of another site: `Sec-Fetch-Site` other than `same-origin` (or `none`,
/// typed by the user), or an `Origin` other than the public origin (without a public URL: the origin of the
/// request's own `Host`). Requests with neither header (not from a browser) pass.
fn is_cross_site(request: &Request, site: &PublicSite) -> bool {
    let headers = request.headers();
    if let Some(fetch_site) = headers.get(SEC_FETCH_SITE) {
        if !matches!(fetch_site.as_bytes(), b"same-origin" | b"none") {
            return true;
        }
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return false;
    };
    let Ok(origin) = origin.to_str() else {
        return true;
    };
    match site.origin() {
        Some(expected) => !origin.eq_ignore_ascii_case(expected),
        None => match headers.get(header::HOST).and_then(|h| h.to_str().ok()) {
            Some(host) => !origin.eq_ignore_ascii_case(&format!("http://{host}")),
            None => true,
        },
    }
}

/// THE mapping of server-function errors to HTTP statuses: server_fn answers every error with 500 and the
/// error's JSON; the status is taken from the [`AppError`] itself ([`AppError::status`], with `Retry-After`
/// where it applies), so that refusals are 4xx and only our own faults 500.
async fn with_error_status(response: Response) -> Response {
    if !response
        .headers()
        .contains_key(leptos::server_fn::error::SERVER_FN_ERROR_HEADER)
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_ERROR_BODY).await {
        Ok(bytes) => bytes,
        Err(e) => {
            tracing::error!(error = %e, "reading a server function's error answer");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = error.status();
        if let Some(secs) = error.retry_after_secs() {
            parts
                .headers
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(headers: &[(&str, &str)]) -> Request {
        let mut builder = http::Request::post("/api/login");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(Body::empty()).unwrap()
    }

    #[test]
    fn cross_site_is_told_by_sec_fetch_site_and_origin() {
        let public = PublicSite::parse("https://csms.example.com").unwrap();
        let local = PublicSite::local();
        /// Request headers, the site, and whether that request is cross-site.
        type Case<'a> = (&'a [(&'a str, &'a str)], &'a PublicSite, bool);
        let cases: &[Case] = &[
            (&[], &public, false),
            (&[("sec-fetch-site", "same-origin")], &public, false),
            (&[("sec-fetch-site", "none")], &public, false),
            (&[("sec-fetch-site", "same-site")], &public, true),
            (&[("sec-fetch-site", "cross-site")], &public, true),
            (&[("origin", "https://csms.example.com")], &public, false),
            (&[("origin", "https://CSMS.example.com")], &public, false),
            (&[("origin", "https://evil.example")], &public, true),
            (&[("origin", "http://csms.example.com")], &public, true),
            (&[("origin", "null")], &public, true),
            (
                &[
                    ("origin", "http://127.0.0.1:3000"),
                    ("host", "127.0.0.1:3000"),
                ],
                &local,
                false,
            ),
            (
                &[
                    ("origin", "http://evil.example"),
                    ("host", "127.0.0.1:3000"),
                ],
                &local,
                true,
            ),
            (&[("origin", "http://127.0.0.1:3000")], &local, true),
            (
                &[
                    ("origin", "https://csms.example.com"),
                    ("sec-fetch-site", "cross-site"),
                ],
                &public,
                true,
            ),
        ];
        for (headers, site, cross) in cases {
            assert_eq!(
                is_cross_site(&request(headers), site),
                *cross,
                "{headers:?} with {site:?}"
            );
        }
    }

    #[test]
    fn plain_http_and_the_demo_listen_only_on_loopback() {
        let public = PublicSite::parse("https://csms.example.com").unwrap();
        let local = PublicSite::local();
        let loopback: SocketAddr = "127.0.0.1:3000".parse().unwrap();
        let loopback6: SocketAddr = "[::1]:3000".parse().unwrap();
        let any: SocketAddr = "0.0.0.0:3000".parse().unwrap();
        assert!(check_listen_address(loopback, &local, true).is_ok());
        assert!(check_listen_address(loopback6, &local, false).is_ok());
        assert!(check_listen_address(any, &public, false).is_ok());
        let refused = check_listen_address(any, &local, false).unwrap_err();
        assert!(refused.contains("CHARGEDESK_PUBLIC_URL"), "{refused}");
        let refused = check_listen_address(any, &public, true).unwrap_err();
        assert!(
            refused.contains("demo") && refused.contains("published"),
            "{refused}"
        );
    }

    #[test]
    fn public_urls_are_read_as_browser_origins() {
        let site = PublicSite::parse("https://CSMS.example.com/").unwrap();
        assert_eq!(site.origin(), Some("https://csms.example.com"));
        assert!(site.is_https());
        assert_eq!(site.cookie_name(), "__Host-chargedesk_session");
        let site = PublicSite::parse("https://csms.example.com:443").unwrap();
        assert_eq!(site.origin(), Some("https://csms.example.com"));
        let site = PublicSite::parse("https://csms.example.com:8443").unwrap();
        assert_eq!(site.origin(), Some("https://csms.example.com:8443"));
        let site = PublicSite::parse("http://10.0.0.5:3000").unwrap();
        assert_eq!(site.origin(), Some("http://10.0.0.5:3000"));
        assert!(!site.is_https());
        assert_eq!(site.cookie_name(), "chargedesk_session");
        assert_eq!(PublicSite::local().cookie_name(), "chargedesk_session");
        for bad in [
            "csms.example.com",
            "ftp://csms.example.com",
            "https://user:pw@csms.example.com",
            "https://csms.example.com/chargedesk",
            "https://csms.example.com/?a=b",
            "",
        ] {
            assert!(PublicSite::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn only_names_carrying_a_content_hash_count_as_hashed() {
        for hashed in [
            "chargedesk.Qm9vdHN0cmFwcGVkSGFzaA.wasm",
            "chargedesk.a-b_c-d_e-f_g-h_i-j_kl.js",
            "__wasm_split.Qm9vdHN0cmFwcGVkSGFzaA.js",
        ] {
            assert!(is_content_hashed(hashed), "{hashed}");
        }
        for plain in [
            "chargedesk.wasm",
            "chargedesk.css",
            "Qm9vdHN0cmFwcGVkSGFzaA.wasm",
            ".Qm9vdHN0cmFwcGVkSGFzaA.wasm",
            "chargedesk.Qm9vdHN0cmFwcGVkSGFzaA",
            "chargedesk.Qm9vdHN0cmFwcGVkSGFzaAx.wasm",
            "chargedesk.Qm9vdHN0cmFwcGVkSGFz.wasm",
            "chargedesk.Qm9vdHN0cmFwcGVkSGFz+A.wasm",
            "snippets/chargedesk.Qm9vdHN0cmFwcGVkSGFzaA.js",
            "",
        ] {
            assert!(!is_content_hashed(plain), "{plain}");
        }
    }

    #[test]
    fn the_policy_allows_only_nonced_scripts_and_no_framing() {
        let nonce = Nonce::from_value("abc123");
        let csp = content_security_policy(&nonce);
        assert!(csp.contains("script-src 'nonce-abc123' 'strict-dynamic' 'wasm-unsafe-eval';"));
        for directive in [
            "default-src 'self'",
            "style-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(directive), "{directive} in {csp}");
        }
        assert!(!csp.contains("unsafe-inline"));
    }
}
