//! `GET /ocpp/{chargePointId}`: the WebSocket upgrade, as OCPP-J 1.6 and security profiles 1 and 2 describe it.

use super::{session, OcppHub};
use axum::extract::ws::{CloseFrame, Message, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;

/// Refuses unknown stations (404) and wrong or missing credentials when the station has a password (401,
/// with `WWW-Authenticate`); otherwise upgrades. A client that offers no acceptable subprotocol is upgraded
/// without the header and closed at once, as OCPP-J 1.6 §3.1.2 prescribes.
pub async fn upgrade(
    Path(charge_point_id): Path<String>,
    State(hub): State<OcppHub>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let login = match hub.db.station_login(&charge_point_id).await {
        Ok(Some(login)) => login,
        Ok(None) => {
            tracing::info!(%charge_point_id, "OCPP connection from an unknown charge point ID refused");
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
                login.verify_password(&password).await.unwrap_or_else(|e| {
                    tracing::error!(error = ?e, "verifying a station password");
                    false
                })
            }
            _ => false,
        };
        if !authorized {
            tracing::info!(%charge_point_id, "OCPP connection refused: wrong or missing Basic credentials");
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
    let station = match login.accept(&hub.db) {
        Ok(station) => station,
        Err(e) => {
            tracing::error!(error = ?e, "accepting a station connection");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
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
    ws.on_upgrade(move |socket| session::run(hub, socket, station))
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
