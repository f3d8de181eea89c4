//! Server-only authentication: the session cookie and the typed authorization checks that open every server
//! function (`let org = auth::admin_of(org_id).await?;`). Holding an `OrgAdmin` is the proof that the caller
//! administers that organization; its queries are filtered by it.

use crate::error::AppError;
use http::header::{COOKIE, SET_COOKIE};
use http::HeaderValue;
use leptos::prelude::*;
use shared::OrgId;
use storage::{Caller, Db, OrgAdmin};

pub const SESSION_COOKIE: &str = "chargedesk_session";

/// Whether to mark the session cookie `Secure` (set `CHARGEDESK_SECURE_COOKIE=1` behind HTTPS).
fn secure_cookie() -> bool {
    std::env::var("CHARGEDESK_SECURE_COOKIE").is_ok_and(|v| v == "1" || v == "true")
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
    session_token_from(&parts.headers)
}

/// The session token in a request's `Cookie` header (for endpoints outside server functions).
pub fn session_token_from(headers: &http::HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
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

fn set_cookie(value: &str, max_age_secs: i64) {
    let secure = if secure_cookie() { "; Secure" } else { "" };
    let cookie = format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}"
    );
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

/// The address of the client that sent a request, for per-client limits (log-in, station handshakes): the TCP
/// peer that the server loop records as axum's `ConnectInfo<SocketAddr>`. A request that did not come through
/// the server loop (in-process tests calling the router directly) counts as the unspecified address.
pub fn client_ip(extensions: &http::Extensions) -> std::net::IpAddr {
    extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip())
        .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
}
