//! Server-only authentication: the session cookie and the typed authorization checks that open every server
//! function (`let org = auth::admin_of(org_id).await?;`). Holding an `OrgAdmin` is the proof that the caller
//! administers that organization; its queries are filtered by it.

use crate::error::AppError;
use http::header::{COOKIE, SET_COOKIE};
use http::HeaderValue;
use leptos::prelude::*;
use shared::OrgId;
use storage::{Caller, Db, OrgAdmin};

/// The session cookie's name on plain http (local use on a loopback address).
pub const SESSION_COOKIE: &str = "chargedesk_session";
/// The session cookie's name when the public URL is https: the `__Host-` prefix makes the browser accept it
/// only with `Secure`, `Path=/` and no `Domain`, so a sibling (sub)domain cannot plant or overwrite it.
pub const SECURE_SESSION_COOKIE: &str = "__Host-chargedesk_session";

/// How browsers reach ChargeDesk: the public URL's origin (`CHARGEDESK_PUBLIC_URL`, e.g.
/// `https://csms.example.com`), or none for local use over plain http on a loopback address. The router
/// provides it in every server function's context and in every request's extensions; it decides the session
/// cookie's name and flags, HSTS, and which `Origin` the `/api/*` endpoints accept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublicSite {
    /// `scheme://host[:port]`, lower-case, without the scheme's default port: exactly what browsers send as
    /// `Origin`.
    origin: Option<String>,
    https: bool,
}

impl PublicSite {
    /// No public URL: plain http, reached on a loopback address.
    pub fn local() -> Self {
        Self::default()
    }

    /// Reads a public URL such as `https://csms.example.com` (an `http://` or `https://` URL with a host, no
    /// user name, and no path, query or fragment beyond `/`: the app is served at the root).
    pub fn parse(url: &str) -> Result<Self, String> {
        let refuse = |why: &str| Err(format!("CHARGEDESK_PUBLIC_URL {url:?}: {why}"));
        let uri: http::Uri = match url.trim().parse() {
            Ok(uri) => uri,
            Err(_) => return refuse("not a URL"),
        };
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => return refuse("expected https://host (or http://host)"),
        };
        let Some(authority) = uri.authority() else {
            return refuse("expected https://host (or http://host)");
        };
        if authority.as_str().contains('@') {
            return refuse("a user name does not belong in the public URL");
        }
        if authority.host().is_empty() {
            return refuse("the host is missing");
        }
        if !matches!(uri.path(), "" | "/") || uri.query().is_some() || url.contains('#') {
            return refuse(
                "ChargeDesk is served at the root of its host: give the URL without a path",
            );
        }
        let scheme = if https { "https" } else { "http" };
        let default_port = if https { 443 } else { 80 };
        let host = authority.host().to_ascii_lowercase();
        let origin = match authority.port_u16() {
            Some(port) if port != default_port => format!("{scheme}://{host}:{port}"),
            _ => format!("{scheme}://{host}"),
        };
        Ok(Self {
            origin: Some(origin),
            https,
        })
    }

    /// The public origin (`https://csms.example.com`), if a public URL is set.
    pub fn origin(&self) -> Option<&str> {
        self.origin.as_deref()
    }

    /// Whether browsers reach ChargeDesk over https (then the cookie is `Secure` and answers carry HSTS).
    pub fn is_https(&self) -> bool {
        self.https
    }

    /// The session cookie's name: `__Host-chargedesk_session` over https, `chargedesk_session` otherwise.
    pub fn cookie_name(&self) -> &'static str {
        if self.https {
            SECURE_SESSION_COOKIE
        } else {
            SESSION_COOKIE
        }
    }
}

/// The [`PublicSite`] the router provided (local use when none was, e.g. a component rendered on its own).
pub fn public_site() -> PublicSite {
    use_context::<PublicSite>().unwrap_or_default()
}

pub fn db() -> Result<Db, AppError> {
    use_context::<Db>().ok_or_else(|| {
        tracing::error!("storage::Db missing from the server function context");
        AppError::Internal
    })
}

/// The session token from the request's `Cookie` header, if any.
pub fn session_token() -> Option<String> {
    let parts = use_context::<http::request::Parts>()?;
    session_token_from(&parts.headers, &public_site())
}

/// The session token in a request's `Cookie` header (for endpoints outside server functions): only the cookie
/// of `site`'s name counts (over https the `__Host-` one, which nobody but this host can have set).
pub fn session_token_from(headers: &http::HeaderMap, site: &PublicSite) -> Option<String> {
    let name = site.cookie_name();
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.to_owned())
        .filter(|v| !v.is_empty())
}

/// The authenticated caller, or `Unauthenticated`.
pub async fn caller() -> Result<(Db, Caller), AppError> {
    let db = db()?;
    let token = session_token().ok_or(AppError::Unauthenticated)?;
    let caller = db.caller(&token).await?.ok_or(AppError::Unauthenticated)?;
    Ok((db, caller))
}

/// The caller, proven to administer `org` (and so everything below it).
pub async fn admin_of(org: OrgId) -> Result<OrgAdmin, AppError> {
    let (db, caller) = caller().await?;
    Ok(caller.admin_of(&db, org).await?)
}

/// [`admin_of`] for a plain route (the Transactions download), from the request's headers: the session cookie
/// must belong to a caller who administers `org` (`None`: a missing or unreadable `org`, refused as `NoAccess`).
pub async fn admin_of_request(
    db: &Db,
    headers: &http::HeaderMap,
    site: &PublicSite,
    org: Option<OrgId>,
) -> Result<OrgAdmin, AppError> {
    let token = session_token_from(headers, site).ok_or(AppError::Unauthenticated)?;
    let caller = db.caller(&token).await?.ok_or(AppError::Unauthenticated)?;
    Ok(caller.admin_of(db, org.ok_or(AppError::NoAccess)?).await?)
}

/// The `Set-Cookie` value for the session cookie: `HttpOnly`, `SameSite=Lax`, `Path=/`, never a `Domain`,
/// and over https `Secure` with the `__Host-` name.
pub fn session_cookie_header(site: &PublicSite, value: &str, max_age_secs: i64) -> String {
    let name = site.cookie_name();
    let secure = if site.is_https() { "; Secure" } else { "" };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}")
}

fn set_cookie(value: &str, max_age_secs: i64) {
    let cookie = session_cookie_header(&public_site(), value, max_age_secs);
    if let (Some(response), Ok(header)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        HeaderValue::from_str(&cookie),
    ) {
        response.append_header(SET_COOKIE, header);
    }
}

/// Sets the session cookie to expire together with the server-side session.
pub fn set_session_cookie(token: &str, expires_at: shared::time::Timestamp) {
    let now_ms = storage::now().millis();
    set_cookie(token, ((expires_at.millis() - now_ms) / 1000).max(0));
}

pub fn clear_session_cookie() {
    set_cookie("", 0);
}

/// The address of the client behind a trusted reverse proxy, as the server's security middleware read it from
/// `X-Forwarded-For` (only for connections from a configured proxy; see `CHARGEDESK_TRUSTED_PROXIES`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForwardedClient(pub std::net::IpAddr);

/// The address of the client that sent a request, for per-client limits (log-in, station handshakes): the
/// client a trusted proxy forwarded for ([`ForwardedClient`]), else the TCP peer that the server loop records as
/// axum's `ConnectInfo<SocketAddr>`. A request that did not come through the server loop (in-process tests
/// calling the router directly) counts as the unspecified address.
pub fn client_ip(extensions: &http::Extensions) -> std::net::IpAddr {
    if let Some(ForwardedClient(ip)) = extensions.get::<ForwardedClient>() {
        return *ip;
    }
    extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip())
        .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
}

/// In-memory log-in rate limits, per client address and per account (the e-mail as typed, normalised), checked
/// before the log-in touches the database. They bound how fast anyone can guess: a flood of log-ins is answered
/// [`AppError::Throttled`] without hashing a password or writing a row, so it cannot take the database's write
/// lock or the password-hashing threads away from stations and other users. The persistent per-account backoff
/// in storage (`Db::login`) comes on top.
#[derive(Clone)]
pub struct LoginLimits {
    per_ip: std::sync::Arc<governor::DefaultKeyedRateLimiter<std::net::IpAddr>>,
    per_account: std::sync::Arc<governor::DefaultKeyedRateLimiter<String>>,
}

/// Keys a limiter remembers before idle ones are dropped (each is a few dozen bytes).
const LIMITER_KEYS_BEFORE_PRUNE: usize = 10_000;

impl LoginLimits {
    /// At most `per_ip_per_minute` attempts a minute from one address and `per_account_per_minute` for one
    /// account, each allowed as a burst and then refilled evenly over the minute.
    pub fn new(
        per_ip_per_minute: std::num::NonZeroU32,
        per_account_per_minute: std::num::NonZeroU32,
    ) -> Self {
        use governor::{Quota, RateLimiter};
        Self {
            per_ip: std::sync::Arc::new(RateLimiter::keyed(Quota::per_minute(per_ip_per_minute))),
            per_account: std::sync::Arc::new(RateLimiter::keyed(Quota::per_minute(
                per_account_per_minute,
            ))),
        }
    }

    /// Counts one log-in attempt from `ip` for `email`; `Throttled` (with the wait) once either limit is used up.
    pub fn check(&self, ip: std::net::IpAddr, email: &str) -> Result<(), AppError> {
        use governor::clock::Clock;
        let refuse = |not_until: governor::NotUntil<governor::clock::QuantaInstant>| {
            let wait = not_until.wait_time_from(governor::clock::DefaultClock::default().now());
            AppError::Throttled {
                retry_after_secs: wait.as_secs().max(1),
            }
        };
        prune(&self.per_ip);
        prune(&self.per_account);
        self.per_ip.check_key(&ip).map_err(refuse)?;
        self.per_account
            .check_key(&storage::login_key(email))
            .map_err(refuse)
    }
}

fn prune<K: std::hash::Hash + Eq + Clone>(limiter: &governor::DefaultKeyedRateLimiter<K>) {
    if limiter.len() > LIMITER_KEYS_BEFORE_PRUNE {
        limiter.retain_recent();
        limiter.shrink_to_fit();
    }
}

/// The log-in limits the router provided.
pub fn login_limits() -> Result<LoginLimits, AppError> {
    use_context::<LoginLimits>().ok_or_else(|| {
        tracing::error!("LoginLimits missing from the server function context");
        AppError::Internal
    })
}

/// The address of the client calling the current server function (see [`client_ip`]).
pub fn caller_ip() -> std::net::IpAddr {
    use_context::<http::request::Parts>()
        .map(|parts| client_ip(&parts.extensions))
        .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
}
