//! `GET /ocpp/{chargePointId}`: the WebSocket upgrade, as OCPP-J 1.6 and security profiles 1 and 2 describe it.

use super::guard::loggable_id;
use super::{session, OcppHub};
use axum::extract::ws::{CloseFrame, Message, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::{header, Extensions, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use std::net::IpAddr;
use std::time::Duration;
use storage::StorageError;

/// In this order, each before anything more expensive:
/// 1. an `Origin` header (a browser page; stations send none) not in [`super::OcppConfig::allowed_origins`]
///    → 403;
/// 2. a client address over its limit of failed handshakes ([`super::guard`]) → 429 with `Retry-After`;
/// 3. an unknown station → 404 (a failure);
/// 4. wrong or missing credentials when the station needs a password → 401 with `WWW-Authenticate` (a
///    failure); the password checks all busy → 503 with `Retry-After: 1` (not queued, not a failure);
///
/// otherwise upgrades. A client that offers no acceptable subprotocol is upgraded without the header and closed
/// at once, as OCPP-J 1.6 §3.1.2 prescribes.
pub async fn upgrade(
    Path(charge_point_id): Path<String>,
    State(hub): State<OcppHub>,
    headers: HeaderMap,
    extensions: Extensions,
    ws: WebSocketUpgrade,
) -> Response {
    let ip = app::auth::server::client_ip(&extensions);
    if let Some(origin) = headers.get(header::ORIGIN) {
        let allowed = origin
            .to_str()
            .is_ok_and(|o| hub.config.allowed_origins.iter().any(|a| a == o));
        if !allowed {
            if let Some(suppressed) = hub.guard().may_log() {
                tracing::info!(%ip, origin = %loggable_id(&String::from_utf8_lossy(origin.as_bytes())), suppressed,
                    "OCPP connection from a browser origin that is not allowed refused");
            }
            return (
                StatusCode::FORBIDDEN,
                "OCPP connections from browser pages of this origin are not allowed",
            )
                .into_response();
        }
    }
    if let Some(wait) = hub.guard().retry_after(ip) {
        return too_many_failures(wait);
    }
    // Read before the station's credentials are: see OcppHub::register.
    let epoch = hub.credentials_epoch();
    let login = match hub.db.station_login(&charge_point_id).await {
        Ok(Some(login)) => login,
        Ok(None) => {
            if let Some(suppressed) = hub.guard().may_log() {
                tracing::info!(charge_point_id = %loggable_id(&charge_point_id), %ip, suppressed,
                    "OCPP connection from an unknown charge point ID refused");
            }
            failed(&hub, ip);
            return (StatusCode::NOT_FOUND, "Unknown charge point ID").into_response();
        }
        Err(e) => {
            tracing::error!(error = ?e, "looking up a station for an OCPP connection");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    if login.requires_password() {
        let authorized = match basic_credentials(&headers) {
            Some((user, password)) if user.eq_ignore_ascii_case(login.charge_point_id()) => {
                match login.verify_password(&password).await {
                    Ok(ok) => ok,
                    Err(StorageError::Busy) => {
                        return (
                            StatusCode::SERVICE_UNAVAILABLE,
                            [(header::RETRY_AFTER, HeaderValue::from_static("1"))],
                            "Busy checking passwords; try again in a second",
                        )
                            .into_response();
                    }
                    Err(e) => {
                        tracing::error!(error = ?e, "verifying a station password");
                        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
                    }
                }
            }
            _ => false,
        };
        if !authorized {
            if let Some(suppressed) = hub.guard().may_log() {
                tracing::info!(charge_point_id = %login.charge_point_id(), %ip, suppressed,
                    "OCPP connection refused: wrong or missing Basic credentials");
            }
            failed(&hub, ip);
            return (
                StatusCode::UNAUTHORIZED,
                [(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Basic realm=\"ChargeDesk OCPP\", charset=\"UTF-8\""),
                )],
                "Wrong or missing credentials",
            )
                .into_response();
        }
    }
    // Everything the session logs carries the station's charge point id (and, as its parent, the request's id).
    let span = tracing::info_span!("station", id = %login.charge_point_id());
    let station = match login.accept(&hub.db) {
        Ok(station) => station,
        Err(e) => {
            tracing::error!(error = ?e, "accepting a station connection");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    // The connection is recorded with this instance (its lease keeps the station online): without a
    // registration — the database was unreachable at start and still is — the station tries again later.
    if let Err(e) = hub.instance().await {
        tracing::error!(error = ?e, "registering this instance for a station connection");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, HeaderValue::from_static("5"))],
            "The central system cannot record connections right now; try again shortly",
        )
            .into_response();
    }
    let ws = ws
        .protocols([ocpp::SUBPROTOCOL])
        // Small buffers: an idle station costs a few KiB instead of 128 KiB (see ocpp-notes).
        .read_buffer_size(4 * 1024)
        .write_buffer_size(4 * 1024)
        .max_message_size(256 * 1024)
        .max_frame_size(256 * 1024);
    if ws.selected_protocol().is_none() {
        tracing::info!(%charge_point_id, "OCPP client offered no ocpp1.6 subprotocol: closing");
        return ws.on_upgrade(|mut socket| async move {
            let _ = socket
                .send(Message::Close(Some(CloseFrame {
                    code: 1002,
                    reason: "the ocpp1.6 subprotocol is required".into(),
                })))
                .await;
        });
    }
    // Counted from before the upgrade answer, so that a shutdown waits for this session too.
    let ticket = hub.session_ticket();
    ws.on_upgrade(move |socket| {
        let session =
            tracing::Instrument::instrument(session::run(hub, socket, station, epoch), span);
        async move {
            session.await;
            drop(ticket);
        }
    })
}

/// Counts a failed handshake of `ip`; logs (rate-limited) when that puts the address over its limit.
fn failed(hub: &OcppHub, ip: IpAddr) {
    if let Some(wait) = hub.guard().failed(ip) {
        if let Some(suppressed) = hub.guard().may_log() {
            tracing::warn!(%ip, blocked_secs = wait.as_secs_f32(), suppressed,
                "too many failed OCPP handshakes from this address: refusing it for now");
        }
    }
}

/// 429 with `Retry-After` in whole seconds (at least 1).
fn too_many_failures(wait: Duration) -> Response {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(header::RETRY_AFTER, HeaderValue::from(secs.max(1)))],
        "Too many failed connection attempts from this address; try again later",
    )
        .into_response()
}

/// `Authorization: Basic base64(user:password)`.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_basic_credentials() {
        let mut headers = HeaderMap::new();
        // "CP-1:sixteen-chars-pw" in base64
        let encoded = base64::engine::general_purpose::STANDARD.encode("CP-1:sixteen-chars-pw");
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {encoded}")).unwrap(),
        );
        assert_eq!(
            basic_credentials(&headers),
            Some(("CP-1".into(), "sixteen-chars-pw".into()))
        );
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer x"));
        assert_eq!(basic_credentials(&headers), None);
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic !!!"));
        assert_eq!(basic_credentials(&headers), None);
    }
}
