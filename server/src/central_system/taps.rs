//! `GET /events/stations/{station}/taps?org={org}`: the cards held against one station's reader, live, as
//! server-sent events — what "+ Add Pass" → "Scan at a station" waits for.
//!
//! Not a server function because it streams; authorized the same way: the session cookie becomes a caller,
//! the caller must administer `org` (`Caller::admin_of`), and the station must be in that organization's
//! subtree (`OrgAdmin::station`). Refusals are 401 without a session and 404 otherwise, whether or not the
//! station exists.

use super::OcppHub;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use shared::ids::StationId;
use shared::OrgId;
use std::convert::Infallible;
use tokio::sync::broadcast::error::RecvError;

#[derive(Debug, serde::Deserialize)]
pub struct TapsQuery {
    org: OrgId,
}

/// The event name of a tap; its data is a [`TapEvent`] as JSON.
pub const TAP_EVENT: &str = "tap";

/// Streams taps at `station` (event `tap`, data: `shared::model::TapEvent`) to an administrator of `org`.
pub async fn stream(
    State(hub): State<OcppHub>,
    Path(station): Path<i64>,
    Query(query): Query<TapsQuery>,
    headers: HeaderMap,
) -> Response {
    let station = StationId(station);
    let Some(token) = app::auth::server::session_token_from(&headers) else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let caller = match hub.db.caller(&token).await {
        Ok(Some(caller)) => caller,
        Ok(None) => return StatusCode::UNAUTHORIZED.into_response(),
        Err(e) => {
            tracing::error!(error = ?e, "reading the session for the tap stream");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let allowed = match caller.admin_of(&hub.db, query.org).await {
        Ok(scope) => scope.station(station).await.is_ok(),
        Err(_) => false,
    };
    if !allowed {
        return StatusCode::NOT_FOUND.into_response();
    }
    let taps = hub.subscribe_taps();
    let events = futures_util::stream::unfold(taps, move |mut taps| async move {
        loop {
            match taps.recv().await {
                Ok(tap) if tap.station == station => {
                    let event = Event::default()
                        .event(TAP_EVENT)
                        .json_data(&tap)
                        .unwrap_or_else(|_| Event::default().event(TAP_EVENT));
                    return Some((Ok::<_, Infallible>(event), taps));
                }
                Ok(_) | Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response()
}
