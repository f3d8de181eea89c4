//! One connected station: the receive loop, the answers, keep-alive and replacement.
//!
//! Every CALL gets exactly one answer (a CALLRESULT, or a CALLERROR with the 1.6 error code the `ocpp` crate
//! chose); bad input never closes the connection and never panics. Answers are sent before anything slow:
//! the frame log is a queue (see [`super::log`]).

use super::{OcppHub, TapEvent};
use axum::extract::ws::{Message, WebSocket};
use ocpp::messages::{
    AuthorizeResponse, BootNotificationResponse, DataTransferResponse, DataTransferStatus,
    DiagnosticsStatusNotificationResponse, FirmwareStatusNotificationResponse, HeartbeatResponse,
    IdTagInfo, MeterValuesResponse, RegistrationStatus, StartTransactionResponse,
    StatusNotificationResponse, StopTransactionResponse,
};
use ocpp::{parse_charge_point_call, parse_frame, response_frame, DateTime, Frame, Request};
use shared::decision::{AuthorizationStatus, Decision};
use shared::model::{FrameDirection, FrameType};
use shared::time::Timestamp;
use std::time::{Duration, Instant};
use storage::{now, ConnectedStation, NewOcppMessage};

/// How often `last_message_at` is written for a chatty station.
const TOUCH_EVERY: Duration = Duration::from_secs(10);

/// Serves one station until it disconnects, goes silent, or connects again elsewhere.
pub async fn run(hub: OcppHub, mut socket: WebSocket, station: ConnectedStation) {
    let id = station.station_id();
    let (generation, mut replaced) = hub.register(id);
    station.connected().await;
    tracing::info!(station = %id, "station connected");

    let ping_every = hub.config.ping_interval;
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + ping_every, ping_every);
    let mut last_heard = Instant::now();
    let mut last_touch = Instant::now();
    let session = Session {
        hub: hub.clone(),
        station: station.clone(),
    };

    loop {
        tokio::select! {
            message = socket.recv() => {
                let Some(Ok(message)) = message else { break };
                last_heard = Instant::now();
                if last_touch.elapsed() >= TOUCH_EVERY {
                    last_touch = Instant::now();
                    station.touch().await;
                }
                match message {
                    Message::Text(text) => {
                        if let Some(answer) = session.on_text(text.as_str()).await {
                            if socket.send(Message::Text(answer.into())).await.is_err() {
                                break;
                            }
                        }
                    }
                    Message::Binary(_) => {
                        tracing::warn!(station = %id, "binary WebSocket frame ignored: OCPP-J uses text frames");
                    }
                    Message::Close(_) => break,
                    Message::Ping(_) | Message::Pong(_) => {}
                }
            }
            _ = ping.tick() => {
                if last_heard.elapsed() > ping_every * 3 {
                    tracing::info!(station = %id, "station silent for three ping intervals: closing");
                    break;
                }
                if socket.send(Message::Ping(Vec::new().into())).await.is_err() {
                    break;
                }
            }
            _ = &mut replaced => {
                tracing::info!(station = %id, "station connected again: closing the older connection");
                let _ = socket.send(Message::Close(None)).await;
                break;
            }
        }
    }

    if hub.unregister(id, generation) {
        station.disconnected().await;
    }
    tracing::info!(station = %id, "station disconnected");
}

struct Session {
    hub: OcppHub,
    station: ConnectedStation,
}

impl Session {
    /// Logs the frame, and returns the answer to send, if any.
    async fn on_text(&self, text: &str) -> Option<String> {
        let received_at = now();
        let frame = match parse_frame(text) {
            Ok(Some(frame)) => frame,
            // An unknown message type number: ignored, as OCPP-J requires.
            Ok(None) => {
                tracing::warn!(station = %self.station.station_id(), "frame of an unknown message type ignored");
                return None;
            }
            Err(error) => {
                tracing::warn!(station = %self.station.station_id(), code = error.code.as_str(), "malformed OCPP frame: {}", error.description);
                let answer = error.to_call_error()?;
                self.log(
                    received_at,
                    FrameDirection::Incoming,
                    FrameType::Call,
                    None,
                    answer.id(),
                    text,
                    None,
                );
                return Some(self.send_logged(answer, None));
            }
        };
        match frame {
            Frame::Call {
                id,
                action,
                payload,
            } => {
                let id_tag = ocpp::raw_id_tag(&payload).map(str::to_owned);
                self.log(
                    received_at,
                    FrameDirection::Incoming,
                    FrameType::Call,
                    Some(action.clone()),
                    &id,
                    &payload.to_string(),
                    id_tag,
                );
                let answer = match parse_charge_point_call(&action, &payload) {
                    Ok(request) => match self.handle(&id, request).await {
                        Ok(frame) => frame,
                        Err(e) => {
                            tracing::error!(error = ?e, %action, "handling an OCPP request failed");
                            Frame::call_error(
                                &id,
                                ocpp::ErrorCode::InternalError,
                                "the central system could not process this request; try again",
                            )
                        }
                    },
                    Err(error) => error.to_call_error(&id),
                };
                Some(self.send_logged(answer, Some(action)))
            }
            // We send no CALLs yet, so answers are unexpected; they are kept in the log all the same.
            Frame::CallResult { id, payload } => {
                self.log(
                    received_at,
                    FrameDirection::Incoming,
                    FrameType::CallResult,
                    None,
                    &id,
                    &payload.to_string(),
                    None,
                );
                None
            }
            Frame::CallError { ref id, .. } => {
                self.log(
                    received_at,
                    FrameDirection::Incoming,
                    FrameType::CallError,
                    None,
                    id,
                    &frame.to_text(),
                    None,
                );
                None
            }
        }
    }

    /// The answer to one valid request.
    async fn handle(&self, id: &str, request: Request) -> Result<Frame, storage::StorageError> {
        let station = &self.station;
        Ok(match request {
            Request::BootNotification(boot) => {
                station
                    .boot(
                        &boot.charge_point_vendor,
                        &boot.charge_point_model,
                        boot.charge_point_serial_number.as_deref(),
                        boot.firmware_version.as_deref(),
                    )
                    .await?;
                response_frame(
                    id,
                    &BootNotificationResponse {
                        status: RegistrationStatus::Accepted,
                        current_time: current_time(),
                        interval: self.hub.config.heartbeat_interval.as_secs() as i64,
                    },
                )
            }
            Request::Heartbeat(_) => response_frame(
                id,
                &HeartbeatResponse {
                    current_time: current_time(),
                },
            ),
            Request::StatusNotification(status) => {
                let at = status
                    .timestamp
                    .as_deref()
                    .and_then(station_time)
                    .unwrap_or_else(now);
                station
                    .status(
                        status.connector_id,
                        status.status.as_str(),
                        status.error_code.as_str(),
                        status.info.as_deref(),
                        at,
                    )
                    .await?;
                response_frame(id, &StatusNotificationResponse {})
            }
            Request::Authorize(authorize) => {
                let decision = station.authorize(&authorize.id_tag).await?;
                self.hub.publish_tap(TapEvent {
                    station: station.station_id(),
                    id_tag: authorize.id_tag.clone(),
                    at: now(),
                    known: decision.pass.is_some(),
                });
                response_frame(
                    id,
                    &AuthorizeResponse {
                        id_tag_info: id_tag_info(&decision),
                    },
                )
            }
            Request::StartTransaction(start) => {
                let started_at = station_time(&start.timestamp).unwrap_or_else(now);
                let (transaction_id, decision) = station
                    .start_transaction(
                        start.connector_id,
                        &start.id_tag,
                        start.meter_start,
                        started_at,
                    )
                    .await?;
                response_frame(
                    id,
                    &StartTransactionResponse {
                        id_tag_info: id_tag_info(&decision),
                        transaction_id: transaction_id.0,
                    },
                )
            }
            Request::StopTransaction(stop) => {
                let stopped_at = station_time(&stop.timestamp).unwrap_or_else(now);
                station
                    .stop_transaction(
                        stop.transaction_id,
                        stop.meter_stop,
                        stopped_at,
                        stop.id_tag.as_deref(),
                        stop.reason.map(|r| r.as_str()),
                    )
                    .await?;
                // The station stopped already; it only needs to know the idTag is still fine if it sent one.
                let id_tag_info = stop
                    .id_tag
                    .as_ref()
                    .map(|_| IdTagInfo::new(ocpp::messages::AuthorizationStatus::Accepted));
                response_frame(id, &StopTransactionResponse { id_tag_info })
            }
            Request::MeterValues(values) => {
                if let Some((energy_wh, at)) = values.meter_value.iter().rev().find_map(|mv| {
                    mv.energy_wh()
                        .map(|wh| (wh, station_time(&mv.timestamp).unwrap_or_else(now)))
                }) {
                    station
                        .meter_value(values.transaction_id, values.connector_id, energy_wh, at)
                        .await?;
                }
                response_frame(id, &MeterValuesResponse {})
            }
            // No vendor extensions are supported: the answer the 1.6 spec gives for an unknown vendor.
            Request::DataTransfer(_) => response_frame(
                id,
                &DataTransferResponse {
                    status: DataTransferStatus::UnknownVendorId,
                    data: None,
                },
            ),
            Request::DiagnosticsStatusNotification(_) => {
                response_frame(id, &DiagnosticsStatusNotificationResponse {})
            }
            Request::FirmwareStatusNotification(_) => {
                response_frame(id, &FirmwareStatusNotificationResponse {})
            }
        })
    }

    /// Queues an outgoing frame for the log and returns its text.
    fn send_logged(&self, frame: Frame, action: Option<String>) -> String {
        let text = frame.to_text();
        let (kind, payload) = match &frame {
            Frame::CallResult { payload, .. } => (FrameType::CallResult, payload.to_string()),
            Frame::CallError { .. } => (FrameType::CallError, text.clone()),
            Frame::Call { payload, .. } => (FrameType::Call, payload.to_string()),
        };
        self.log(
            now(),
            FrameDirection::Outgoing,
            kind,
            action,
            frame.id(),
            &payload,
            None,
        );
        text
    }

    #[allow(clippy::too_many_arguments)]
    fn log(
        &self,
        at: Timestamp,
        direction: FrameDirection,
        message_type: FrameType,
        action: Option<String>,
        unique_id: &str,
        payload: &str,
        id_tag: Option<String>,
    ) {
        self.hub.log().push(NewOcppMessage {
            station: self.station.station_id(),
            at,
            direction,
            message_type,
            action,
            unique_id: unique_id.to_owned(),
            payload: payload.to_owned(),
            id_tag,
        });
    }
}

fn id_tag_info(decision: &Decision) -> IdTagInfo {
    use ocpp::messages::AuthorizationStatus as Wire;
    IdTagInfo::new(match decision.status {
        AuthorizationStatus::Accepted => Wire::Accepted,
        AuthorizationStatus::Blocked => Wire::Blocked,
        AuthorizationStatus::Invalid => Wire::Invalid,
    })
}

/// A station's timestamp, if it is a valid RFC 3339 date-time (the schema already checked it).
fn station_time(text: &str) -> Option<Timestamp> {
    DateTime::parse(text)
        .ok()
        .map(|t| Timestamp(t.unix_millis()))
}

fn current_time() -> String {
    ocpp::datetime::format_unix_millis(now().millis())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
}
