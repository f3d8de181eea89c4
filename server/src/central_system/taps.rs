//! `GET /events/stations/{station}/taps?org={org}`: the cards held against one station's reader, live, as
//! server-sent events — what "+ Add Pass" → "Scan at a station" waits for.
//!
//! Not a server function because it streams; authorized the same way: the session cookie becomes a caller,
//! the caller must administer `org` (`Caller::admin_of`), and the station must be in that organization's
//! subtree (`OrgAdmin::station`). Refusals are 401 without a session and 404 otherwise, whether or not the
//! station exists. An open stream asks again every [`super::OcppConfig::tap_recheck_interval`] and ends once the
//! session is gone (logged out, expired) or the caller may no longer see the station. It also ends when the
//! server shuts down ([`OcppHub::stopped`]); the browser's `EventSource` then reconnects, to another instance.

use super::{OcppHub, TapSubscription};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use shared::ids::StationId;
use shared::OrgId;
use std::convert::Infallible;
use tokio::sync::broadcast::error::RecvError;
use tokio::time::MissedTickBehavior;

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
    Extension(site): Extension<app::auth::server::PublicSite>,
) -> Response {
    let station = StationId(station);
    let Some(token) = app::auth::server::session_token_from(&headers, &site) else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    match access(&hub, &token, query.org, station, Use::Request).await {
        Ok(Access::Allowed) => {}
        Ok(Access::NoSession) => return StatusCode::UNAUTHORIZED.into_response(),
        Ok(Access::NotAllowed) => return StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::error!(error = ?e, "checking access to a tap stream");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    }
    let recheck_every = hub.config.tap_recheck_interval;
    let mut recheck =
        tokio::time::interval_at(tokio::time::Instant::now() + recheck_every, recheck_every);
    recheck.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let state = Watch {
        taps: hub.subscribe_taps(station),
        recheck,
        hub,
        token,
        org: query.org,
        station,
    };
    let events = futures_util::stream::unfold(state, |mut state| async move {
        loop {
            tokio::select! {
                () = state.hub.stopped() => return None,
                tap = state.taps.recv() => match tap {
                    Ok(tap) => {
                        let event = Event::default()
                            .event(TAP_EVENT)
                            .json_data(&tap)
                            .unwrap_or_else(|_| Event::default().event(TAP_EVENT));
                        return Some((Ok::<_, Infallible>(event), state));
                    }
                    Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => return None,
                },
                _ = state.recheck.tick() => {
                    match access(&state.hub, &state.token, state.org, state.station, Use::Recheck).await {
                        Ok(Access::Allowed) => {}
                        Ok(Access::NoSession | Access::NotAllowed) => return None,
                        // A passing database problem does not end the stream; the next check decides.
                        Err(e) => tracing::warn!(error = ?e, "re-checking access to a tap stream"),
                    }
                }
            }
        }
    });
    Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response()
}

/// An open tap stream: its station's taps and what it re-checks its access with.
struct Watch {
    taps: TapSubscription,
    recheck: tokio::time::Interval,
    hub: OcppHub,
    token: String,
    org: OrgId,
    station: StationId,
}

enum Access {
    /// No live session behind the token.
    NoSession,
    /// The caller does not administer `org`, or the station is not in its subtree (or does not exist).
    NotAllowed,
    Allowed,
}

/// Why the session is looked at: opening the stream is a use of the session; the timer's re-checks are not
/// (an open but forgotten "Scan at a station" must not keep the session from idling out).
#[derive(Clone, Copy)]
enum Use {
    Request,
    Recheck,
}

/// Whether the session behind `token` may watch `station` through `org`, asked afresh.
async fn access(
    hub: &OcppHub,
    token: &str,
    org: OrgId,
    station: StationId,
    why: Use,
) -> Result<Access, storage::StorageError> {
    let caller = match why {
        Use::Request => hub.db.caller(token).await?,
        Use::Recheck => hub.db.caller_without_use(token).await?,
    };
    let Some(caller) = caller else {
        return Ok(Access::NoSession);
    };
    let allowed = match caller.admin_of(&hub.db, org).await {
        Ok(scope) => scope.station(station).await.is_ok(),
        Err(_) => false,
    };
    Ok(if allowed {
        Access::Allowed
    } else {
        Access::NotAllowed
    })
}
