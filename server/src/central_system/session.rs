//! One connected station: the receive loop, the answers, its message rate limit, keep-alive, replacement and
//! closing when its credentials change.
//!
//! Every CALL gets exactly one answer (a CALLRESULT, or a CALLERROR with the 1.6 error code the `ocpp` crate
//! chose); bad input never closes the connection and never panics. Answers are sent before anything slow:
//! the frame log is a queue (see [`super::log`]).

use super::{CloseReason, OcppConfig, OcppHub, Registered};
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
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

/// A command sent to the station, awaiting its answer.
struct Outstanding {
    id: shared::ids::CommandId,
    message_id: String,
    request: shared::command::CommandRequest,
    deadline: tokio::time::Instant,
}

/// Waits until `deadline`, or forever without one.
async fn until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// How often `last_message_at` is written for a chatty station.
const TOUCH_EVERY: Duration = Duration::from_secs(10);
/// The least time between two warnings about one connection's refused CALLs.
const RATE_WARN_EVERY: Duration = Duration::from_secs(60);

/// Serves one station until it disconnects, goes silent, floods, connects again elsewhere, its credentials
/// change, or the server shuts down. `epoch` is the hub's credentials epoch from before the station was
/// authenticated.
pub async fn run(hub: OcppHub, mut socket: WebSocket, station: ConnectedStation, epoch: u64) {
    let id = station.station_id();
    let Some(Registered {
        generation,
        mut close,
        recheck,
        commands,
    }) = hub.register(id, epoch)
    else {
        // Upgraded as the server began to shut down: closed before anything is read, and without marking the
        // station online (it may be connecting to another instance right now).
        tracing::info!(station = %id, "server shutting down: closing a new connection at once");
        let _ = socket.send(close_message(CloseReason::ShuttingDown)).await;
        return;
    };
    // Recorded with this instance, whose lease keeps the station online; the record's announcement closes an
    // older connection of the station on another instance.
    hub.recorded(id, generation, station.connection_nonce());
    match hub.instance().await {
        Ok(instance) => station.connected(instance).await,
        Err(error) => {
            tracing::warn!(station = %id, error = ?error, "no instance registration: the station is not marked online")
        }
    }
    tracing::info!(station = %id, "station connected");
    // Commands sent on an earlier connection get no answer on this one.
    if let Err(error) = station.abandon_sent_commands().await {
        tracing::warn!(station = %id, error = ?error, "ending the commands of an earlier connection failed");
    }
    // The station's Local Authorization List: its version is asked again on every connection. (The list's
    // storage calls are boxed here and below: they would otherwise grow every connection's future.)
    let lists = hub.list_sync(&station, generation, commands.clone());
    if let Some(lists) = &lists {
        match Box::pin(station.local_list_connected()).await {
            Ok(()) => lists.request(),
            Err(error) => {
                tracing::warn!(station = %id, error = ?error, "starting the local list sync failed")
            }
        }
    }

    let ping_every = hub.config.ping_interval;
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + ping_every, ping_every);
    let mut last_heard = Instant::now();
    let mut last_touch = Instant::now();
    let limit = CallLimit::new(&hub.config);
    let mut refused_in_a_row: u32 = 0;
    let mut last_rate_warning: Option<Instant> = None;
    let session = Session {
        hub: hub.clone(),
        station: station.clone(),
        lists: lists.clone(),
    };
    // The one command this connection sent and awaits the answer to (OCPP-J: one CALL at a time).
    let mut outstanding: Option<Outstanding> = None;

    loop {
        tokio::select! {
            // Being told to close comes first: once it fired (a shutdown above all), no further frame is
            // processed, however fast the station sends them.
            biased;
            reason = &mut close => {
                let reason = reason.unwrap_or(CloseReason::Replaced);
                match reason {
                    CloseReason::Replaced => tracing::info!(station = %id, "station connected again: closing the older connection"),
                    CloseReason::CredentialsChanged => tracing::info!(station = %id, "station credentials changed: closing its connection"),
                    CloseReason::ShuttingDown => tracing::info!(station = %id, "server shutting down: closing the connection so that the station reconnects"),
                }
                let _ = socket.send(close_message(reason)).await;
                closing_handshake(&mut socket).await;
                break;
            }
            // The station's credentials may have changed (an event, here or from another instance): closed
            // only if the database says they did, since the event may be older than this very connection.
            () = recheck.notified() => {
                if !station.credentials_unchanged().await {
                    hub.close_connection(id, generation, CloseReason::CredentialsChanged);
                }
            }
            // A command may be waiting: sent when none is outstanding.
            () = commands.notified(), if outstanding.is_none() => {
                if let Some((sent, text)) = session.next_command().await {
                    if socket.send(Message::Text(text.into())).await.is_err() {
                        session.finish(&sent, super::commands::connection_ended()).await;
                        break;
                    }
                    outstanding = Some(sent);
                }
            }
            () = until(outstanding.as_ref().map(|o| o.deadline)) => {
                if let Some(sent) = outstanding.take() {
                    tracing::info!(station = %id, action = sent.request.action(), "no answer to a command in time");
                    session.finish(&sent, super::commands::timed_out(hub.config.command_timeout)).await;
                    commands.notify_one();
                }
            }
            message = socket.recv() => {
                let Some(Ok(message)) = message else { break };
                last_heard = Instant::now();
                if last_touch.elapsed() >= TOUCH_EVERY {
                    // Stored with the log writer's next batch: no write of its own before the message.
                    last_touch = Instant::now();
                    hub.log().touch(station.touched_now());
                }
                if matches!(message, Message::Text(_) | Message::Binary(_)) {
                    if limit.limiter.check().is_ok() {
                        refused_in_a_row = 0;
                    } else {
                        refused_in_a_row += 1;
                        if refused_in_a_row > limit.burst {
                            tracing::warn!(station = %id, refused = refused_in_a_row,
                                "station kept sending over its message rate limit: disconnecting");
                            let _ = socket.send(Message::Close(Some(CloseFrame {
                                code: 1008,
                                reason: "message rate limit exceeded".into(),
                            }))).await;
                            break;
                        }
                        if last_rate_warning.is_none_or(|at| at.elapsed() >= RATE_WARN_EVERY) {
                            last_rate_warning = Some(Instant::now());
                            tracing::warn!(station = %id, "station over its message rate limit: refusing CALLs");
                        }
                        if let Message::Text(text) = &message {
                            if let Some(answer) = limit.refusal(text.as_str()) {
                                if socket.send(Message::Text(answer.into())).await.is_err() {
                                    break;
                                }
                            }
                        }
                        continue;
                    }
                }
                match message {
                    Message::Text(text) => {
                        let waiting = outstanding.is_some();
                        let answer = session.on_text(text.as_str(), &mut outstanding).await;
                        if waiting && outstanding.is_none() {
                            // Answered: the next command may go.
                            commands.notify_one();
                        }
                        if let Some(answer) = answer {
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
        }
    }

    if let Some(sent) = outstanding.take() {
        session
            .finish(&sent, super::commands::connection_ended())
            .await;
    }
    if let Some(lists) = &lists {
        lists.end();
    }
    // Marking offline is guarded by the connection nonce in storage, so it never marks a newer connection
    // offline; skipping it for a replaced connection saves a write.
    if hub.unregister(id, generation) {
        station.disconnected().await;
    }
    tracing::info!(station = %id, "station disconnected");
}

/// How long a connection the server closes waits for the station's own close frame.
const CLOSE_HANDSHAKE: Duration = Duration::from_secs(2);

/// After the server's close frame: waits (at most [`CLOSE_HANDSHAKE`]) for the station's close frame, discarding
/// whatever it sends meanwhile (nothing is processed after the close), so that the TCP connection ends cleanly
/// and the close frame is not lost to a reset.
async fn closing_handshake(socket: &mut WebSocket) {
    let _ = tokio::time::timeout(CLOSE_HANDSHAKE, async {
        while let Some(Ok(message)) = socket.recv().await {
            if matches!(message, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
}

/// The WebSocket close frame for `reason`.
fn close_message(reason: CloseReason) -> Message {
    let (code, text) = reason.close_frame();
    Message::Close(Some(CloseFrame {
        code,
        reason: text.into(),
    }))
}

/// One connection's message rate limit (`governor`, direct): [`OcppConfig::calls_per_sec`] with bursts of
/// [`OcppConfig::call_burst`]. Every text or binary frame counts. A CALL over the limit is answered with a
/// CALLERROR and not processed, nor stored in the frame log (a flood must not reach the database); more than a
/// burst's worth refused in a row closes the connection with 1008 (policy violation).
struct CallLimit {
    limiter: DefaultDirectRateLimiter,
    burst: u32,
    description: String,
}

impl CallLimit {
    fn new(config: &OcppConfig) -> Self {
        Self {
            limiter: RateLimiter::direct(
                Quota::per_second(config.calls_per_sec).allow_burst(config.call_burst),
            ),
            burst: config.call_burst.get(),
            description: format!(
                "rate limit exceeded: at most {} calls per second (bursts of {}); this call was not processed, \
                 send it again later",
                config.calls_per_sec, config.call_burst
            ),
        }
    }

    /// The CALLERROR for a refused frame, if it is a CALL (anything else over the limit is dropped).
    fn refusal(&self, text: &str) -> Option<String> {
        match parse_frame(text) {
            Ok(Some(Frame::Call { id, .. })) => Some(
                Frame::call_error(&id, ocpp::ErrorCode::GenericError, &self.description).to_text(),
            ),
            _ => None,
        }
    }
}

struct Session {
    hub: OcppHub,
    station: ConnectedStation,
    /// The connection's list sync (`None` when it is off).
    lists: Option<std::sync::Arc<super::local_list::ListSync>>,
}

impl Session {
    /// Logs the frame, and returns the answer to send, if any. An answer to the `outstanding` command ends it.
    async fn on_text(&self, text: &str, outstanding: &mut Option<Outstanding>) -> Option<String> {
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
                    None,
                );
                return Some(self.send_logged(answer, None, None));
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
                    None,
                );
                let (answer, outcome) = match parse_charge_point_call(&action, &payload) {
                    Ok(request) => match self.handle(&id, request).await {
                        Ok(answered) => answered,
                        Err(e) => {
                            tracing::error!(error = ?e, %action, "handling an OCPP request failed");
                            let frame = Frame::call_error(
                                &id,
                                ocpp::ErrorCode::InternalError,
                                "the central system could not process this request; try again",
                            );
                            (frame, None)
                        }
                    },
                    Err(error) => (error.to_call_error(&id), None),
                };
                Some(self.send_logged(answer, Some(action), outcome))
            }
            // Answers to our commands: the outstanding one's, matched by message id; any other is only logged.
            Frame::CallResult { .. } | Frame::CallError { .. } => {
                let answered = outstanding
                    .take_if(|sent| sent.message_id == frame.id())
                    .map(|sent| {
                        let end = super::commands::read_answer(&sent.request, &frame);
                        (sent, end)
                    });
                let action = answered
                    .as_ref()
                    .map(|(sent, _)| sent.request.action().to_owned());
                let (kind, logged, outcome) = match &frame {
                    Frame::CallResult { payload, .. } => (
                        FrameType::CallResult,
                        payload.to_string(),
                        answered.as_ref().map(|(_, end)| end.outcome.clone()),
                    ),
                    Frame::CallError { code, .. } => (
                        FrameType::CallError,
                        frame.to_text(),
                        Some(code.chars().take(40).collect()),
                    ),
                    Frame::Call { .. } => unreachable!("matched above"),
                };
                self.log(
                    received_at,
                    FrameDirection::Incoming,
                    kind,
                    action,
                    frame.id(),
                    &logged,
                    None,
                    outcome,
                );
                match answered {
                    Some((sent, end)) => self.finish(&sent, end).await,
                    None => tracing::info!(station = %self.station.station_id(), id = frame.id(),
                        "an answer to no outstanding command ignored (late, or not ours)"),
                }
                None
            }
        }
    }

    /// Claims the station's next queued command and returns it with the CALL to send (logged). A command
    /// this build cannot put into OCPP fails at once (and the next one is tried).
    async fn next_command(&self) -> Option<(Outstanding, String)> {
        loop {
            let command = match self.station.next_command().await {
                Ok(Some(command)) => command,
                Ok(None) => return None,
                Err(error) => {
                    tracing::warn!(station = %self.station.station_id(), error = ?error, "reading the command queue failed");
                    return None;
                }
            };
            let sent = Outstanding {
                id: command.id,
                message_id: command.message_id,
                request: command.request,
                deadline: tokio::time::Instant::now() + self.hub.config.command_timeout,
            };
            match super::commands::call(&sent.message_id, &sent.request) {
                Ok(frame) => {
                    let text =
                        self.send_logged(frame, Some(sent.request.action().to_owned()), None);
                    return Some((sent, text));
                }
                Err(error) => {
                    tracing::error!(station = %self.station.station_id(), command = %sent.id,
                        "a command violates its OCPP schema: {}", error.description);
                    self.finish(&sent, super::commands::not_sendable(&error))
                        .await;
                }
            }
        }
    }

    /// Stores how a sent command ended (failures are logged: the station's session goes on), and what it
    /// means for the station's local list, whose sync then runs again.
    async fn finish(&self, sent: &Outstanding, end: storage::CommandEnd) {
        let stored = match &self.lists {
            // The end and its meaning for the list together (boxed: it would grow every connection's future).
            Some(_) => {
                Box::pin(
                    self.station
                        .finish_list_command(sent.id, &sent.request, &end),
                )
                .await
            }
            None => self.station.finish_command(sent.id, &end).await,
        };
        match stored {
            Ok(true) => {
                if let Some(lists) = &self.lists {
                    lists.request();
                }
            }
            Ok(false) => {}
            Err(error) => {
                tracing::warn!(station = %self.station.station_id(), command = %sent.id, error = ?error,
                    "storing a command's outcome failed");
            }
        }
    }

    /// The answer to one valid request, and what it says in a word or two for "Logs" (an idTagInfo status).
    async fn handle(
        &self,
        id: &str,
        request: Request,
    ) -> Result<(Frame, Option<String>), storage::StorageError> {
        let mut outcome = None;
        let frame = self.answer(id, request, &mut outcome).await?;
        Ok((frame, outcome))
    }

    async fn answer(
        &self,
        id: &str,
        request: Request,
        outcome: &mut Option<String>,
    ) -> Result<Frame, storage::StorageError> {
        let station = &self.station;
        let max = self.hub.config.max_connectors;
        if let Some(connector) = connector_of(&request).filter(|c| *c > max) {
            return Ok(Frame::call_error(
                id,
                ocpp::ErrorCode::PropertyConstraintViolation,
                &format!(
                    "connectorId {connector} is above this central system's limit of {max} connectors per station"
                ),
            ));
        }
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
                // It may hold another list now, or run another firmware: the sync looks again. (Its failure
                // is the list's, not the boot's: the station is still answered Accepted.)
                if let Some(lists) = &self.lists {
                    if let Err(error) = Box::pin(station.local_list_booted()).await {
                        tracing::warn!(station = %station.station_id(), error = ?error,
                            "noting a boot for the local list failed");
                    }
                    lists.request();
                }
                *outcome = Some(RegistrationStatus::Accepted.as_str().to_owned());
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
                // Decided here (from the decision cache when the station and the card were seen before),
                // queued for the log writer, which stores it with the other stations' decisions and frames
                // and announces the tap to "Scan at a station"; answered once queued.
                let (decision, record) = station.decide_authorize(&authorize.id_tag).await?;
                if !self.hub.log().queue_decision(record).await {
                    return Err(storage::StorageError::Internal(
                        "the authorization decision could not be queued: the log writer has stopped".into(),
                    ));
                }
                let id_tag_info = id_tag_info(&decision);
                *outcome = Some(id_tag_info.status.as_str().to_owned());
                response_frame(id, &AuthorizeResponse { id_tag_info })
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
                let id_tag_info = id_tag_info(&decision);
                *outcome = Some(id_tag_info.status.as_str().to_owned());
                response_frame(
                    id,
                    &StartTransactionResponse {
                        id_tag_info,
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
                // The station stopped already; what it caches about the idTag must be true: the same decision
                // as Authorize (a deleted or unknown card is not Accepted).
                let id_tag_info = match stop.id_tag.as_deref() {
                    Some(tag) => Some(id_tag_info(&station.stop_id_tag_decision(tag).await?)),
                    None => None,
                };
                *outcome = id_tag_info.as_ref().map(|i| i.status.as_str().to_owned());
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
            Request::DataTransfer(_) => {
                *outcome = Some(DataTransferStatus::UnknownVendorId.as_str().to_owned());
                response_frame(
                    id,
                    &DataTransferResponse {
                        status: DataTransferStatus::UnknownVendorId,
                        data: None,
                    },
                )
            }
            Request::DiagnosticsStatusNotification(_) => {
                response_frame(id, &DiagnosticsStatusNotificationResponse {})
            }
            Request::FirmwareStatusNotification(_) => {
                response_frame(id, &FirmwareStatusNotificationResponse {})
            }
        })
    }

    /// Queues an outgoing frame for the log and returns its text. `outcome` is what an answer says (a
    /// CALLERROR's is its code).
    fn send_logged(&self, frame: Frame, action: Option<String>, outcome: Option<String>) -> String {
        let text = frame.to_text();
        let (kind, payload, outcome) = match &frame {
            Frame::CallResult { payload, .. } => {
                (FrameType::CallResult, payload.to_string(), outcome)
            }
            Frame::CallError { code, .. } => {
                (FrameType::CallError, text.clone(), Some(code.clone()))
            }
            Frame::Call { payload, .. } => (FrameType::Call, payload.to_string(), None),
        };
        self.log(
            now(),
            FrameDirection::Outgoing,
            kind,
            action,
            frame.id(),
            &payload,
            None,
            outcome,
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
        outcome: Option<String>,
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
            outcome,
        });
    }
}

/// The connector a request names, for the per-station connector limit.
fn connector_of(request: &Request) -> Option<i64> {
    match request {
        Request::StatusNotification(r) => Some(r.connector_id),
        Request::StartTransaction(r) => Some(r.connector_id),
        Request::MeterValues(r) => Some(r.connector_id),
        _ => None,
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
