//! [`ChargePoint`]: one simulated OCPP 1.6J charge point on one WebSocket connection.
//!
//! Every frame is built and read by the `ocpp` crate (typed payloads, schema-checked in both directions).
//! A background task reads the socket: it answers each CALL from the central system (a command) from the
//! station's state ([`Station`], see [`crate::station`] for the rules: local list, cache, configuration,
//! connectors), after the configured delay or not at all as the [`CommandBehaviour`] says, reports it as an
//! [`Event::Command`], and hands every other frame to the [`ChargePoint`], which waits for the answer to its
//! own CALL (one at a time, as OCPP-J requires: the methods take `&mut self`) up to a timeout.
//!
//! What a station does *after* answering a command (the StartTransaction of an accepted remote start, the
//! StopTransaction of a remote stop, a triggered message, a reboot) is a [`FollowUp`] the [`ChargePoint`]
//! carries out while it idles ([`ChargePoint::idle`], [`ChargePoint::serve_until`]) — never in the middle of
//! one of its own exchanges.

use crate::describe::Describe;
use crate::endpoint::{basic_auth, endpoint_url};
use crate::meter::{energy_meter_value, energy_sample};
use crate::station::{
    Answer, CommandBehaviour, FollowUp, Handled, OfflineDecision, RunningTransaction, Station,
    REMOTE_SESSION_POWER_W,
};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use ocpp::commands::{parse_command, MessageTrigger, ResetType};
use ocpp::messages::{
    AuthorizationStatus, AuthorizeRequest, BootNotificationRequest, BootNotificationResponse,
    ChargePointErrorCode, ChargePointStatus, DiagnosticsStatus,
    DiagnosticsStatusNotificationRequest, FirmwareStatus, FirmwareStatusNotificationRequest,
    HeartbeatRequest, MeterValue, MeterValuesRequest, ReadingContext, Reason, RegistrationStatus,
    RequestPayload, StartTransactionRequest, StatusNotificationRequest, StopTransactionRequest,
};
use ocpp::{call_frame, parse_frame, parse_response, Frame, MessageType, PayloadError};
use serde_json::Value;
use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::error::{ProtocolError, UrlError};
use tokio_tungstenite::tungstenite::http::header::{AUTHORIZATION, SEC_WEBSOCKET_PROTOCOL};
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{connect_async_with_config, MaybeTlsStream, WebSocketStream};

/// How long to wait for the WebSocket handshake and for each CALLRESULT unless told otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The vendor and model the simulator boots as.
pub const VENDOR: &str = "ChargeDesk";
/// See [`VENDOR`].
pub const MODEL: &str = "Simulator";

/// The read buffer of the connection. tungstenite's default allocates 128 KiB up front; OCPP frames are small
/// and load tools open thousands of connections (see the measurements in the OCPP notes).
const READ_BUFFER_SIZE: usize = 4 * 1024;

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Receives every [`Event`] of a connection (set with [`ChargePoint::set_observer`]). Called from the
/// background reader task too, so it must be `Send + Sync`; it should not block.
pub type Observer = Arc<dyn Fn(&Event) + Send + Sync>;

/// What happened on a connection, for a log.
#[derive(Debug, Clone)]
pub enum Event {
    /// The WebSocket is open (emitted by the caller of [`ChargePoint::connect`] via [`ChargePoint::emit`]).
    Connected {
        /// The endpoint URL, ID included.
        url: String,
    },
    /// One of our CALLs and its outcome (also emitted when the outcome is an error).
    Exchange(Exchange),
    /// A CALL from the central system (a command) and how the station answered it.
    Command(CommandEvent),
    /// The station's own decision on an idTag, from its local list and cache
    /// ([`ChargePoint::authorize_offline`]).
    OfflineDecision {
        /// The idTag presented.
        id_tag: String,
        /// The decision and what it came from.
        decision: OfflineDecision,
        /// The lists it was taken from, e.g. `local list version 3 (12 idTags), cache 2 idTags`.
        state: String,
    },
    /// A frame that is not the answer we wait for (a late answer, a stray frame, a binary message).
    Ignored {
        /// The frame as received.
        frame: String,
    },
    /// A remark of the script (e.g. why a charge did not start).
    Note(String),
}

/// A CALL from the central system and the station's answer.
#[derive(Debug, Clone)]
pub struct CommandEvent {
    /// Its message id.
    pub message_id: String,
    /// Its action as received (`(malformed CALL)` when the frame could not be read).
    pub action: String,
    /// Its payload, when the frame was a readable CALL.
    pub payload: Option<Value>,
    /// The frame as received.
    pub received: String,
    /// The answer sent (a CALLRESULT or CALLERROR); `None` when the station does not answer (silent).
    pub answer: Option<Frame>,
    /// The answer in short: `Accepted`, `version 3`, `24 keys`, `CALLERROR NotSupported`, `no answer`.
    pub outcome: String,
    /// How long the station waited before answering.
    pub delay: Duration,
    /// The station's lists after the command: [`LocalList`](crate::station::LocalList) version (`None`
    /// without local-list support) and size, and the cache's size.
    pub local_list_version: Option<i64>,
    /// See `local_list_version`.
    pub local_list_size: usize,
    /// See `local_list_version`.
    pub cache_size: usize,
}

/// One CALL (or raw frame) we sent and what came back.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The action, or `raw` for [`ChargePoint::call_raw`].
    pub action: String,
    /// The message id of a CALL (none for a raw frame).
    pub message_id: Option<String>,
    /// A summary of the request (the frame itself for a raw frame).
    pub request: String,
    /// The frame sent.
    pub sent: String,
    /// A summary of the answer, or what went wrong.
    pub outcome: Result<String, String>,
    /// The frame received, if any.
    pub received: Option<String>,
    /// From sending to the answer (or the failure).
    pub elapsed: Duration,
}

/// Why a charge point could not connect or a call failed.
#[derive(Debug, Clone)]
pub enum SimError {
    /// The URL or the ID cannot be used.
    InvalidUrl(String),
    /// Nothing listens at the address.
    Refused {
        /// `host:port`.
        address: String,
    },
    /// The TCP connection or the handshake failed in another way (DNS, unreachable, timeout).
    Connect {
        /// `host:port`.
        address: String,
        /// What went wrong.
        error: String,
    },
    /// The central system answered the WebSocket upgrade with an HTTP error status.
    Http {
        /// The status code (401: credentials refused, 404: unknown charge point ID).
        status: u16,
        /// The endpoint URL, ID included.
        url: String,
        /// The charge point ID.
        id: String,
        /// Whether a password was sent.
        with_password: bool,
    },
    /// The handshake completed without the `ocpp1.6` subprotocol, or failed at the WebSocket level.
    Handshake(String),
    /// No answer to a CALL within the timeout.
    Timeout {
        /// The action (`raw` for a raw frame).
        action: String,
        /// The timeout.
        after: Duration,
    },
    /// The central system answered a CALL with a CALLERROR.
    CallError {
        /// The action.
        action: String,
        /// The error code as received.
        code: String,
        /// The error description as received.
        description: String,
    },
    /// Our own request violates its schema (e.g. an idTag over 20 characters); nothing was sent.
    InvalidRequest {
        /// The action.
        action: String,
        /// The violation.
        error: PayloadError,
    },
    /// The answer is not a valid CALLRESULT for the action.
    InvalidResponse {
        /// The action.
        action: String,
        /// What is wrong with it.
        problem: String,
    },
    /// The connection is closed (by the central system, or it failed).
    Closed(String),
    /// BootNotification was answered, but not with `Accepted`.
    NotAccepted {
        /// `Pending` or `Rejected`.
        status: String,
        /// The retry interval the central system gave, in seconds.
        interval: i64,
    },
}

impl SimError {
    /// The process exit code for this error: 2 an unusable URL or ID (like a command-line error), 3 could not
    /// connect (refused, HTTP error, handshake), 4 a CALLERROR answer, 5 a timeout, 1 anything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            SimError::InvalidUrl(_) => 2,
            SimError::Refused { .. }
            | SimError::Connect { .. }
            | SimError::Http { .. }
            | SimError::Handshake(_) => 3,
            SimError::CallError { .. } => 4,
            SimError::Timeout { .. } => 5,
            _ => 1,
        }
    }
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimError::InvalidUrl(problem) => write!(f, "{problem}"),
            SimError::Refused { address } => write!(
                f,
                "connection refused by {address}: is the ChargeDesk server running and listening there?"
            ),
            SimError::Connect { address, error } => {
                write!(f, "could not connect to {address}: {error}")
            }
            SimError::Http {
                status: 401,
                id,
                with_password,
                ..
            } => {
                if *with_password {
                    write!(f, "HTTP 401 Unauthorized: the central system refused the password of charge point {id:?} (check the password given with --password, CHARGEDESK_STATION_PASSWORD or --password-stdin)")
                } else {
                    write!(f, "HTTP 401 Unauthorized: the central system requires a password for charge point {id:?} (give it in CHARGEDESK_STATION_PASSWORD, with --password-stdin or with --password)")
                }
            }
            SimError::Http {
                status: 404,
                url,
                id,
                ..
            } => write!(
                f,
                "HTTP 404 Not Found: the central system does not know charge point {id:?} at {url} (add the station in ChargeDesk first, or check --url and --id)"
            ),
            SimError::Http { status, url, .. } => write!(
                f,
                "HTTP {status}: the central system refused the WebSocket connection to {url}"
            ),
            SimError::Handshake(problem) => write!(f, "WebSocket handshake failed: {problem}"),
            SimError::Timeout { action, after } => write!(
                f,
                "no answer to {action} within {} s",
                after.as_secs_f64()
            ),
            SimError::CallError {
                action,
                code,
                description,
            } => write!(
                f,
                "the central system answered {action} with CALLERROR {code}: {description}"
            ),
            SimError::InvalidRequest { action, error } => {
                write!(f, "not sending {action}: {error}")
            }
            SimError::InvalidResponse { action, problem } => {
                write!(f, "invalid answer to {action}: {problem}")
            }
            SimError::Closed(reason) => write!(f, "the connection is closed: {reason}"),
            SimError::NotAccepted { status, interval } => write!(
                f,
                "the central system did not accept the charge point: BootNotification {status} (retry after {interval} s)"
            ),
        }
    }
}

impl std::error::Error for SimError {}

/// What the reader task hands to the [`ChargePoint`].
enum Inbound {
    /// A text frame that is not a CALL from the central system.
    Frame(String),
    /// What the station does after answering a command.
    FollowUp(FollowUp),
    /// The connection ended, and why.
    Closed(String),
}

/// What the reader task and the [`ChargePoint`] share.
struct Shared {
    sink: tokio::sync::Mutex<SplitSink<Socket, Message>>,
    observer: Mutex<Option<Observer>>,
    station: Arc<Mutex<Station>>,
}

/// Locks the station (a panic elsewhere does not make its state unreadable).
fn lock(station: &Mutex<Station>) -> MutexGuard<'_, Station> {
    station
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Shared {
    fn emit(&self, event: &Event) {
        let observer = self
            .observer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        if let Some(observer) = observer {
            observer(event);
        }
    }

    async fn send(&self, text: String) -> Result<(), WsError> {
        self.sink.lock().await.send(Message::text(text)).await
    }
}

/// One simulated charge point connected to a central system.
pub struct ChargePoint {
    id: String,
    url: String,
    /// The base URL and password it connected with, to reconnect with.
    base_url: String,
    password: Option<String>,
    shared: Arc<Shared>,
    station: Arc<Mutex<Station>>,
    inbox: mpsc::UnboundedReceiver<Inbound>,
    reader: JoinHandle<()>,
    next_message_id: u64,
    timeout: Duration,
    closed: Option<String>,
    /// Follow-ups that arrived while we waited for an answer, run at the next idle.
    deferred: VecDeque<FollowUp>,
    /// When each remotely started transaction began (for its meter reading), by transaction id.
    remote_sessions: Vec<(i64, Instant)>,
}

impl Drop for ChargePoint {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

impl ChargePoint {
    /// Opens the WebSocket to `<url>/<percent-encoded id>` with subprotocol `ocpp1.6`, and HTTP Basic
    /// authentication `id:password` when `password` is given (security profile 1). Waits up to
    /// [`DEFAULT_TIMEOUT`] for the handshake and, later, for each answer.
    pub async fn connect(url: &str, id: &str, password: Option<&str>) -> Result<Self, SimError> {
        Self::connect_with_timeout(url, id, password, DEFAULT_TIMEOUT).await
    }

    /// [`ChargePoint::connect`] with another timeout for the handshake and each answer.
    pub async fn connect_with_timeout(
        url: &str,
        id: &str,
        password: Option<&str>,
        timeout: Duration,
    ) -> Result<Self, SimError> {
        Self::connect_as(url, id, password, timeout, Station::default()).await
    }

    /// [`ChargePoint::connect_with_timeout`] as `station` (its behaviour, lists and configuration), which
    /// answers the central system's commands from the first frame on.
    pub async fn connect_as(
        url: &str,
        id: &str,
        password: Option<&str>,
        timeout: Duration,
        station: Station,
    ) -> Result<Self, SimError> {
        let station = Arc::new(Mutex::new(station));
        let (endpoint, shared, inbox, reader) =
            open(url, id, password, timeout, station.clone(), None).await?;
        Ok(ChargePoint {
            id: id.to_owned(),
            url: endpoint,
            base_url: url.to_owned(),
            password: password.map(str::to_owned),
            shared,
            station,
            inbox,
            reader,
            next_message_id: 1,
            timeout,
            closed: None,
            deferred: VecDeque::new(),
            remote_sessions: Vec::new(),
        })
    }
}

/// An open connection: the endpoint URL, what the reader task shares, its inbox and the task.
type Connection = (
    String,
    Arc<Shared>,
    mpsc::UnboundedReceiver<Inbound>,
    JoinHandle<()>,
);

/// The connection itself: the WebSocket handshake and the reader task.
async fn open(
    url: &str,
    id: &str,
    password: Option<&str>,
    timeout: Duration,
    station: Arc<Mutex<Station>>,
    observer: Option<Observer>,
) -> Result<Connection, SimError> {
    let endpoint = endpoint_url(url, id).map_err(SimError::InvalidUrl)?;
    let mut request = endpoint
        .as_str()
        .into_client_request()
        .map_err(|error| SimError::InvalidUrl(format!("{endpoint}: {error}")))?;
    let address = match request.uri().authority() {
        Some(authority) if authority.port().is_some() => authority.to_string(),
        Some(authority) => {
            let secure = request.uri().scheme_str() == Some("wss");
            format!("{authority}:{}", if secure { 443 } else { 80 })
        }
        None => endpoint.clone(),
    };
    let headers = request.headers_mut();
    headers.insert(
        SEC_WEBSOCKET_PROTOCOL,
        HeaderValue::from_static(ocpp::SUBPROTOCOL),
    );
    if let Some(password) = password {
        let value = basic_auth(id, password).map_err(SimError::InvalidUrl)?;
        let value = HeaderValue::from_str(&value).map_err(|_| {
            SimError::InvalidUrl("the password cannot be sent in an HTTP header".to_owned())
        })?;
        headers.insert(AUTHORIZATION, value);
    }

    let config = WebSocketConfig::default().read_buffer_size(READ_BUFFER_SIZE);
    let connecting = connect_async_with_config(request, Some(config), true);
    let socket = match tokio::time::timeout(timeout, connecting).await {
        Err(_) => {
            return Err(SimError::Connect {
                address,
                error: format!("no WebSocket handshake within {} s", timeout.as_secs_f64()),
            })
        }
        Ok(Err(error)) => {
            return Err(connect_error(
                error,
                address,
                &endpoint,
                id,
                password.is_some(),
            ))
        }
        Ok(Ok((socket, _response))) => socket,
    };

    let (sink, stream) = socket.split();
    let shared = Arc::new(Shared {
        sink: tokio::sync::Mutex::new(sink),
        observer: Mutex::new(observer),
        station,
    });
    let (inbox_sender, inbox) = mpsc::unbounded_channel();
    let reader = tokio::spawn(read_loop(stream, shared.clone(), inbox_sender));
    Ok((endpoint, shared, inbox, reader))
}

impl ChargePoint {
    /// The charge point ID.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The endpoint URL, ID included.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// How long to wait for each answer (default [`DEFAULT_TIMEOUT`]).
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// Sends every later [`Event`] of this connection to `observer` (CALLs the central system sent before
    /// are answered all the same, just not reported).
    pub fn set_observer(&self, observer: Observer) {
        *self
            .shared
            .observer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(observer);
    }

    /// Passes `event` to the observer (for the caller's own events, such as [`Event::Connected`]).
    pub fn emit(&self, event: &Event) {
        self.shared.emit(event);
    }

    /// Emits an [`Event::Note`].
    pub fn note(&self, text: impl Into<String>) {
        self.emit(&Event::Note(text.into()));
    }

    /// BootNotification as vendor [`VENDOR`], model [`MODEL`]. Returns the answer whatever its status.
    pub async fn boot(&mut self) -> Result<BootNotificationResponse, SimError> {
        self.call(&BootNotificationRequest::new(VENDOR, MODEL))
            .await
    }

    /// Authorize: may `id_tag` charge? The verdict goes into the authorization cache.
    pub async fn authorize(&mut self, id_tag: &str) -> Result<AuthorizationStatus, SimError> {
        let request = AuthorizeRequest {
            id_tag: id_tag.to_owned(),
        };
        let info = self.call(&request).await?.id_tag_info;
        self.station().remember(id_tag, &info);
        Ok(info.status)
    }

    /// StartTransaction on `connector` for `id_tag` with the register reading `meter_start` (Wh), stamped now.
    /// Returns the transaction id and the verdict on the idTag.
    pub async fn start_transaction(
        &mut self,
        connector: i64,
        id_tag: &str,
        meter_start: i64,
    ) -> Result<(i64, AuthorizationStatus), SimError> {
        let request = StartTransactionRequest {
            connector_id: connector,
            id_tag: id_tag.to_owned(),
            meter_start,
            reservation_id: None,
            timestamp: now(),
        };
        let response = self.call(&request).await?;
        let mut station = self.station();
        station.remember(id_tag, &response.id_tag_info);
        station.begin_transaction(
            connector,
            RunningTransaction {
                transaction_id: response.transaction_id,
                id_tag: id_tag.to_owned(),
                meter_start,
            },
        );
        Ok((response.transaction_id, response.id_tag_info.status))
    }

    /// StopTransaction of `transaction_id` with the register reading `meter_stop` (Wh), stamped now.
    /// `transaction_data` is omitted when empty. Returns the verdict on the idTag, if the answer has one (it
    /// goes into the authorization cache). The connector is free once the StopTransaction is sent, whatever
    /// the answer, and an availability change scheduled for its end takes effect: the caller reports the
    /// connector's status (Finishing, then [`Station::idle_status`]); connector 0's new status, if the whole
    /// station was waiting, is sent at the next idle.
    pub async fn stop_transaction(
        &mut self,
        transaction_id: i64,
        meter_stop: i64,
        id_tag: Option<&str>,
        reason: Option<Reason>,
        transaction_data: Vec<MeterValue>,
    ) -> Result<Option<AuthorizationStatus>, SimError> {
        let request = StopTransactionRequest {
            id_tag: id_tag.map(str::to_owned),
            meter_stop,
            timestamp: now(),
            transaction_id,
            reason,
            transaction_data: (!transaction_data.is_empty()).then_some(transaction_data),
        };
        let result = self.call(&request).await;
        {
            let mut station = lock(&self.station);
            let end = station.end_transaction(transaction_id);
            if let Some(status) = end.and_then(|end| end.station_status) {
                self.deferred.push_back(FollowUp::Status {
                    connector: 0,
                    status,
                });
            }
            if let (Ok(response), Some(id_tag)) = (&result, id_tag) {
                if let Some(info) = &response.id_tag_info {
                    station.remember(id_tag, info);
                }
            }
        }
        self.remote_sessions.retain(|(id, _)| *id != transaction_id);
        Ok(result?.id_tag_info.map(|info| info.status))
    }

    /// MeterValues for `connector` (and `transaction_id`): one periodic `Energy.Active.Import.Register`
    /// sample of `energy_wh`, stamped now.
    pub async fn meter_values(
        &mut self,
        connector: i64,
        transaction_id: Option<i64>,
        energy_wh: i64,
    ) -> Result<(), SimError> {
        let request = MeterValuesRequest {
            connector_id: connector,
            transaction_id,
            meter_value: vec![MeterValue {
                timestamp: now(),
                sampled_value: vec![energy_sample(energy_wh, ReadingContext::SamplePeriodic)],
            }],
        };
        self.call(&request).await.map(drop)
    }

    /// StatusNotification: `connector` (0: the whole charge point) is now `status`, without error, stamped now.
    pub async fn status(
        &mut self,
        connector: i64,
        status: ChargePointStatus,
    ) -> Result<(), SimError> {
        let request = StatusNotificationRequest {
            connector_id: connector,
            error_code: ChargePointErrorCode::NoError,
            info: None,
            status,
            timestamp: Some(now()),
            vendor_id: None,
            vendor_error_code: None,
        };
        self.call(&request).await.map(drop)
    }

    /// Heartbeat. Returns the central system's clock (RFC 3339).
    pub async fn heartbeat(&mut self) -> Result<String, SimError> {
        Ok(self.call(&HeartbeatRequest {}).await?.current_time)
    }

    /// Any charge-point-initiated request, typed: builds the CALL (checking the request against its schema),
    /// waits for the CALLRESULT with the same message id, and reads it (checking it against its schema).
    /// A CALLERROR answer is [`SimError::CallError`].
    pub async fn call<T>(&mut self, request: &T) -> Result<T::Response, SimError>
    where
        T: RequestPayload + Describe,
        T::Response: Describe,
    {
        let action = T::ACTION.as_str();
        let message_id = self.next_message_id.to_string();
        self.next_message_id += 1;
        let frame = call_frame(&message_id, request).map_err(|error| SimError::InvalidRequest {
            action: action.to_owned(),
            error,
        })?;
        let sent = frame.to_text();
        let started = Instant::now();
        let (received, result) = match self
            .exchange(action, &sent, Some(message_id.as_str()))
            .await
        {
            Ok(text) => {
                let response = read_answer::<T::Response>(action, &message_id, &text);
                (Some(text), response)
            }
            Err(error) => (None, Err(error)),
        };
        let outcome = match &result {
            Ok(response) => Ok(response.describe()),
            Err(error) => Err(error.to_string()),
        };
        self.emit(&Event::Exchange(Exchange {
            action: action.to_owned(),
            message_id: Some(message_id),
            request: request.describe(),
            sent,
            outcome,
            received,
            elapsed: started.elapsed(),
        }));
        result
    }

    /// Sends `text` as it is (any text frame, valid or not) and returns the next frame the central system
    /// sends that is not a CALL of its own (those are answered by the connection), e.g. the CALLERROR
    /// answering a malformed frame. [`SimError::Timeout`] when nothing comes within the timeout — which is the
    /// right outcome for frames that must not be answered (a broken CALLRESULT).
    pub async fn call_raw(&mut self, text: &str) -> Result<String, SimError> {
        let started = Instant::now();
        let result = self.exchange("raw", text, None).await;
        self.emit(&Event::Exchange(Exchange {
            action: "raw".to_owned(),
            message_id: None,
            request: text.to_owned(),
            sent: text.to_owned(),
            outcome: match &result {
                Ok(answer) => Ok(answer.clone()),
                Err(error) => Err(error.to_string()),
            },
            received: result.as_ref().ok().cloned(),
            elapsed: started.elapsed(),
        }));
        result
    }

    /// Waits `duration` while the connection keeps answering the central system's CALLs and carries out
    /// what follows them ([`FollowUp`]); fails early when the connection closes.
    pub async fn idle(&mut self, duration: Duration) -> Result<(), SimError> {
        self.idle_until(Instant::now() + duration).await
    }

    /// [`ChargePoint::idle`] until `deadline`.
    pub async fn idle_until(&mut self, deadline: Instant) -> Result<(), SimError> {
        self.check_open()?;
        loop {
            while let Some(follow_up) = self.deferred.pop_front() {
                self.follow_up(follow_up).await?;
            }
            match tokio::time::timeout_at(deadline, self.inbox.recv()).await {
                Err(_) => return Ok(()),
                Ok(Some(Inbound::Frame(frame))) => self.emit(&Event::Ignored { frame }),
                Ok(Some(Inbound::FollowUp(follow_up))) => self.follow_up(follow_up).await?,
                Ok(Some(Inbound::Closed(reason))) => return Err(self.mark_closed(reason)),
                Ok(None) => return Err(self.mark_closed("it ended".to_owned())),
            }
        }
    }

    /// Stays connected until `deadline` like a station in service: answers commands, carries out what
    /// follows them, and sends a Heartbeat every `HeartbeatInterval` (or `heartbeat`, when given). With
    /// `reconnect`, a lost connection is reopened (and the station boots again) every second until it works or
    /// the deadline passes; the lists and configuration are kept. Without it, a lost connection ends the wait
    /// with [`SimError::Closed`].
    pub async fn serve_until(
        &mut self,
        deadline: Instant,
        heartbeat: Option<Duration>,
        reconnect: bool,
    ) -> Result<(), SimError> {
        let interval =
            |station: &Self| heartbeat.unwrap_or_else(|| station.station().heartbeat_interval());
        let mut next_heartbeat = Instant::now() + interval(self);
        loop {
            if self.closed.is_some() {
                if !reconnect {
                    return Err(SimError::Closed(self.closed.clone().unwrap_or_default()));
                }
                if !self.reconnect_until(deadline).await {
                    return Ok(());
                }
                next_heartbeat = Instant::now() + interval(self);
            }
            let result = self.idle_until(next_heartbeat.min(deadline)).await;
            match result {
                Err(SimError::Closed(reason)) if reconnect => {
                    self.note(format!("connection lost ({reason}); reconnecting"));
                    continue;
                }
                Err(error) => return Err(error),
                Ok(()) => {}
            }
            if Instant::now() >= deadline {
                return Ok(());
            }
            match self.heartbeat().await {
                Err(SimError::Closed(_)) if reconnect => continue,
                Err(error @ SimError::Timeout { .. }) if reconnect => {
                    self.note(format!("{error}; reconnecting"));
                    self.close().await;
                    self.closed = Some("no answer to Heartbeat".to_owned());
                }
                Err(error) => return Err(error),
                Ok(_) => {}
            }
            next_heartbeat = Instant::now() + interval(self);
        }
    }

    /// Tries to reconnect (and boot) every second until it works (true) or `deadline` passes (false).
    async fn reconnect_until(&mut self, deadline: Instant) -> bool {
        while Instant::now() < deadline {
            match self.reconnect().await {
                Ok(_) => return true,
                Err(error) => {
                    self.note(format!("reconnecting failed: {error}"));
                    self.closed = Some(error.to_string());
                    tokio::time::sleep_until(
                        (Instant::now() + Duration::from_secs(1)).min(deadline),
                    )
                    .await;
                }
            }
        }
        false
    }

    /// The station behind this connection: its lists, cache, configuration and connectors (see
    /// [`crate::station`]). Do not hold the guard across an `.await`.
    pub fn station(&self) -> MutexGuard<'_, Station> {
        lock(&self.station)
    }

    /// Changes how the station answers commands from now on.
    pub fn set_command_behaviour(&self, behaviour: CommandBehaviour) {
        self.station().set_behaviour(behaviour);
    }

    /// Changes how long the station waits before answering each command from now on.
    pub fn set_answer_delay(&self, delay: Duration) {
        self.station().set_answer_delay(delay);
    }

    /// The station's own decision on `id_tag`, from its local list and cache only (as when the central system
    /// is unreachable), reported as an [`Event::OfflineDecision`]. Works whether or not the connection is open.
    pub fn authorize_offline(&self, id_tag: &str) -> OfflineDecision {
        let (decision, state) = {
            let station = self.station();
            (
                station.authorize_offline(id_tag, now_millis()),
                station.summary(),
            )
        };
        self.emit(&Event::OfflineDecision {
            id_tag: id_tag.to_owned(),
            decision,
            state,
        });
        decision
    }

    /// BootNotification (failing with [`SimError::NotAccepted`] unless `Accepted`; `HeartbeatInterval` takes
    /// the interval given), then a StatusNotification for the station (connector 0) and each connector:
    /// Available, or Unavailable when taken out of service ([`Station::idle_status`]).
    pub async fn start_up(&mut self) -> Result<BootNotificationResponse, SimError> {
        let boot = self.boot().await?;
        if boot.status != RegistrationStatus::Accepted {
            return Err(SimError::NotAccepted {
                status: boot.status.to_string(),
                interval: boot.interval,
            });
        }
        if boot.interval > 0 {
            self.station()
                .configuration_mut()
                .set_internal("HeartbeatInterval", boot.interval.to_string());
        }
        let connectors: Vec<(i64, ChargePointStatus)> = {
            let station = self.station();
            std::iter::once(0)
                .chain(station.connector_ids())
                .map(|c| (c, station.idle_status(c)))
                .collect()
        };
        for (connector, status) in connectors {
            self.status(connector, status).await?;
        }
        Ok(boot)
    }

    /// Closes the connection (if open), opens a new one with the same ID and password, and starts up again
    /// ([`ChargePoint::start_up`]). The station's lists, cache, configuration and observer are kept.
    pub async fn reconnect(&mut self) -> Result<BootNotificationResponse, SimError> {
        self.close().await;
        let observer = self
            .shared
            .observer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        let (url, shared, inbox, reader) = open(
            &self.base_url,
            &self.id,
            self.password.as_deref(),
            self.timeout,
            self.station.clone(),
            observer,
        )
        .await?;
        self.reader.abort();
        self.url = url;
        self.shared = shared;
        self.inbox = inbox;
        self.reader = reader;
        self.closed = None;
        self.emit(&Event::Connected {
            url: self.url.clone(),
        });
        self.start_up().await
    }

    /// Carries out what follows a command. A CALLERROR or an invalid answer to the messages it sends is
    /// noted and does not end the run; a closed connection or a timeout does.
    async fn follow_up(&mut self, follow_up: FollowUp) -> Result<(), SimError> {
        let result = match follow_up {
            FollowUp::StartTransaction { connector, id_tag } => {
                self.remote_start(connector, &id_tag).await
            }
            FollowUp::StopTransaction { connector, reason } => {
                self.stop_on(connector, reason).await
            }
            FollowUp::Status { connector, status } => self.status(connector, status).await,
            FollowUp::Trigger { message, connector } => self.triggered(message, connector).await,
            FollowUp::Reset(reset_type) => return self.reset(reset_type).await,
        };
        match result {
            Err(
                error @ (SimError::CallError { .. }
                | SimError::InvalidResponse { .. }
                | SimError::InvalidRequest { .. }),
            ) => {
                self.note(format!("{error}"));
                Ok(())
            }
            other => other,
        }
    }

    /// A remotely started session: Preparing, Authorize (when `AuthorizeRemoteTxRequests`),
    /// StartTransaction, Charging. The car draws [`REMOTE_SESSION_POWER_W`] until the session is stopped.
    async fn remote_start(&mut self, connector: i64, id_tag: &str) -> Result<(), SimError> {
        let (authorize_first, meter) = {
            let station = self.station();
            (
                station.configuration().flag("AuthorizeRemoteTxRequests"),
                station.meter_wh(),
            )
        };
        let started = async {
            self.status(connector, ChargePointStatus::Preparing).await?;
            if authorize_first {
                let status = self.authorize(id_tag).await?;
                if status != AuthorizationStatus::Accepted {
                    self.note(format!(
                        "{id_tag} is not authorized ({status}): not charging"
                    ));
                    return Ok(None);
                }
            }
            let (transaction, verdict) = self.start_transaction(connector, id_tag, meter).await?;
            Ok::<_, SimError>(Some((transaction, verdict)))
        }
        .await;
        match started {
            Ok(Some((transaction, AuthorizationStatus::Accepted))) => {
                self.remote_sessions.push((transaction, Instant::now()));
                self.status(connector, ChargePointStatus::Charging).await
            }
            Ok(Some((transaction, verdict))) => {
                self.note(format!(
                    "StartTransaction refused {id_tag} ({verdict}): stopping transaction {transaction}"
                ));
                self.stop_transaction(
                    transaction,
                    meter,
                    Some(id_tag),
                    Some(Reason::DeAuthorized),
                    Vec::new(),
                )
                .await?;
                let idle = self.station().idle_status(connector);
                self.status(connector, idle).await
            }
            Ok(None) => {
                self.station().abandon_start(connector);
                let idle = self.station().idle_status(connector);
                self.status(connector, idle).await
            }
            Err(error) => {
                self.station().abandon_start(connector);
                Err(error)
            }
        }
    }

    /// The register reading now (Wh): during a remotely started session, its start reading plus what the car
    /// drew since; otherwise the station's register (which a scripted session keeps up to date).
    fn meter_now(&self, transaction_id: Option<i64>) -> i64 {
        let station = self.station();
        let register = station.meter_wh();
        let session = transaction_id.and_then(|id| {
            let start = station
                .connector_of(id)
                .and_then(|connector| station.transaction_on(connector))?
                .meter_start;
            let since = self
                .remote_sessions
                .iter()
                .find(|(remote, _)| *remote == id)?
                .1;
            Some((start, since))
        });
        match session {
            Some((start, since)) => {
                let drawn = REMOTE_SESSION_POWER_W as f64 * since.elapsed().as_secs_f64() / 3600.0;
                start.saturating_add(drawn as i64).max(register)
            }
            None => register,
        }
    }

    /// Stops the transaction on `connector` for `reason`, then reports the connector Finishing and free.
    pub async fn stop_on(&mut self, connector: i64, reason: Reason) -> Result<(), SimError> {
        let Some(transaction) = self.station().transaction_on(connector).cloned() else {
            return Ok(());
        };
        let stop = self
            .meter_now(Some(transaction.transaction_id))
            .max(transaction.meter_start);
        let begin = energy_meter_value(
            &now(),
            transaction.meter_start,
            ReadingContext::TransactionBegin,
        );
        let end = energy_meter_value(&now(), stop, ReadingContext::TransactionEnd);
        self.stop_transaction(
            transaction.transaction_id,
            stop,
            Some(&transaction.id_tag),
            Some(reason),
            vec![begin, end],
        )
        .await?;
        self.station().set_meter_wh(stop);
        self.status(connector, ChargePointStatus::Finishing).await?;
        let idle = self.station().idle_status(connector);
        self.status(connector, idle).await
    }

    /// Sends the message a TriggerMessage asked for.
    async fn triggered(
        &mut self,
        message: MessageTrigger,
        connector: Option<i64>,
    ) -> Result<(), SimError> {
        match message {
            MessageTrigger::BootNotification => self.boot().await.map(drop),
            MessageTrigger::Heartbeat => self.heartbeat().await.map(drop),
            MessageTrigger::DiagnosticsStatusNotification => self
                .call(&DiagnosticsStatusNotificationRequest {
                    status: DiagnosticsStatus::Idle,
                })
                .await
                .map(drop),
            MessageTrigger::FirmwareStatusNotification => self
                .call(&FirmwareStatusNotificationRequest {
                    status: FirmwareStatus::Idle,
                })
                .await
                .map(drop),
            MessageTrigger::StatusNotification | MessageTrigger::MeterValues => {
                let states: Vec<(i64, ChargePointStatus, Option<i64>)> = {
                    let station = self.station();
                    let connectors: Vec<i64> = match connector {
                        Some(connector) => vec![connector],
                        None if message == MessageTrigger::StatusNotification => {
                            std::iter::once(0).chain(station.connector_ids()).collect()
                        }
                        None => station.connector_ids().collect(),
                    };
                    connectors
                        .into_iter()
                        .map(|c| match station.connector(c) {
                            None => (c, station.idle_status(c), None),
                            Some(state) => match &state.transaction {
                                Some(transaction) => (
                                    c,
                                    ChargePointStatus::Charging,
                                    Some(transaction.transaction_id),
                                ),
                                None => (c, state.idle_status(), None),
                            },
                        })
                        .collect()
                };
                for (connector, status, transaction) in states {
                    if message == MessageTrigger::StatusNotification {
                        self.status(connector, status).await?;
                    } else {
                        let reading = self.meter_now(transaction);
                        self.meter_values(connector, transaction, reading).await?;
                    }
                }
                Ok(())
            }
        }
    }

    /// A Reset: stops every transaction (reason HardReset or SoftReset), closes the connection, reconnects
    /// and starts up again.
    async fn reset(&mut self, reset_type: ResetType) -> Result<(), SimError> {
        let reason = match reset_type {
            ResetType::Hard => Reason::HardReset,
            ResetType::Soft => Reason::SoftReset,
        };
        let running: Vec<i64> = {
            let station = self.station();
            station
                .connector_ids()
                .filter(|&c| station.transaction_on(c).is_some())
                .collect()
        };
        for connector in running {
            if let Err(error) = self.stop_on(connector, reason).await {
                self.note(format!(
                    "stopping the transaction on connector {connector} before the reset: {error}"
                ));
            }
        }
        self.note(format!("{reset_type} reset: rebooting"));
        match self.reconnect().await {
            Ok(_) => Ok(()),
            // Back without a connection: like any lost connection (serve_until may reconnect later).
            Err(
                error @ (SimError::Refused { .. }
                | SimError::Connect { .. }
                | SimError::Http { .. }
                | SimError::Handshake(_)),
            ) => {
                let reason = format!("reconnecting after the reset failed: {error}");
                Err(self.mark_closed(reason))
            }
            Err(error) => Err(error),
        }
    }

    /// Closes the connection (WebSocket close handshake, up to 5 s).
    pub async fn close(&mut self) {
        if self.closed.is_some() {
            return;
        }
        let _ = self.shared.sink.lock().await.close().await;
        let deadline = Instant::now() + Duration::from_secs(5);
        while let Ok(Some(inbound)) = tokio::time::timeout_at(deadline, self.inbox.recv()).await {
            match inbound {
                Inbound::Closed(_) => break,
                Inbound::FollowUp(follow_up) => self.deferred.push_back(follow_up),
                Inbound::Frame(_) => {}
            }
        }
        self.closed = Some("the charge point closed it".to_owned());
        self.reader.abort();
    }

    /// Whether the connection is closed (by either side, or because it failed).
    pub fn is_closed(&self) -> bool {
        self.closed.is_some()
    }

    fn check_open(&self) -> Result<(), SimError> {
        match &self.closed {
            Some(reason) => Err(SimError::Closed(reason.clone())),
            None => Ok(()),
        }
    }

    fn mark_closed(&mut self, reason: String) -> SimError {
        self.closed = Some(reason.clone());
        SimError::Closed(reason)
    }

    /// Sends `text` and returns the answer: the CALLRESULT/CALLERROR frame with `message_id`, or (without an
    /// id) the next frame. Stale frames still queued from before are skipped first.
    async fn exchange(
        &mut self,
        action: &str,
        text: &str,
        message_id: Option<&str>,
    ) -> Result<String, SimError> {
        self.check_open()?;
        while let Ok(inbound) = self.inbox.try_recv() {
            match inbound {
                Inbound::Frame(frame) => self.emit(&Event::Ignored { frame }),
                Inbound::FollowUp(follow_up) => self.deferred.push_back(follow_up),
                Inbound::Closed(reason) => return Err(self.mark_closed(reason)),
            }
        }
        if let Err(error) = self.shared.send(text.to_owned()).await {
            return Err(self.mark_closed(format!("sending failed: {error}")));
        }
        let deadline = Instant::now() + self.timeout;
        loop {
            let frame = match tokio::time::timeout_at(deadline, self.inbox.recv()).await {
                Err(_) => {
                    return Err(SimError::Timeout {
                        action: action.to_owned(),
                        after: self.timeout,
                    })
                }
                Ok(Some(Inbound::Frame(frame))) => frame,
                Ok(Some(Inbound::FollowUp(follow_up))) => {
                    self.deferred.push_back(follow_up);
                    continue;
                }
                Ok(Some(Inbound::Closed(reason))) => return Err(self.mark_closed(reason)),
                Ok(None) => return Err(self.mark_closed("it ended".to_owned())),
            };
            let Some(message_id) = message_id else {
                return Ok(frame);
            };
            let answers_us = match parse_frame(&frame) {
                Ok(Some(parsed)) => parsed.id() == message_id,
                // A broken frame carrying our id is the (broken) answer; read_answer reports it.
                Err(error) => error.id.as_deref() == Some(message_id),
                Ok(None) => false,
            };
            if answers_us {
                return Ok(frame);
            }
            self.emit(&Event::Ignored { frame });
        }
    }
}

/// Reads the answer `text` to our CALL `message_id` of `action` as `R`.
fn read_answer<R: ocpp::Payload>(
    action: &str,
    message_id: &str,
    text: &str,
) -> Result<R, SimError> {
    let invalid = |problem: String| SimError::InvalidResponse {
        action: action.to_owned(),
        problem,
    };
    match parse_frame(text) {
        Ok(Some(Frame::CallResult { payload, .. })) => {
            parse_response::<R>(&payload).map_err(|error| invalid(error.to_string()))
        }
        Ok(Some(Frame::CallError {
            code, description, ..
        })) => Err(SimError::CallError {
            action: action.to_owned(),
            code,
            description,
        }),
        Ok(Some(Frame::Call { .. })) => Err(invalid(format!(
            "a CALL with our message id {message_id:?} instead of an answer"
        ))),
        Ok(None) => Err(invalid("an unknown message type".to_owned())),
        Err(error) => Err(invalid(error.to_string())),
    }
}

/// Now, in milliseconds since the Unix epoch.
pub fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
        })
}

/// Now, as an RFC 3339 timestamp with milliseconds.
pub fn now() -> String {
    ocpp::datetime::format_unix_millis(now_millis())
        .unwrap_or_else(|| "1970-01-01T00:00:00.000Z".to_owned())
}

fn connect_error(
    error: WsError,
    address: String,
    url: &str,
    id: &str,
    with_password: bool,
) -> SimError {
    match error {
        WsError::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            SimError::Refused { address }
        }
        WsError::Io(io) => SimError::Connect {
            address,
            error: io.to_string(),
        },
        WsError::Http(response) => SimError::Http {
            status: response.status().as_u16(),
            url: url.to_owned(),
            id: id.to_owned(),
            with_password,
        },
        WsError::Url(UrlError::TlsFeatureNotEnabled) => SimError::InvalidUrl(
            "the simulator speaks ws:// only (no TLS); use a ws:// URL".to_owned(),
        ),
        WsError::Url(problem) => SimError::InvalidUrl(format!("{url}: {problem}")),
        WsError::Protocol(ProtocolError::SecWebSocketSubProtocolError(problem)) => {
            SimError::Handshake(format!(
                "the central system did not select the {} subprotocol ({problem})",
                ocpp::SUBPROTOCOL
            ))
        }
        other => SimError::Handshake(other.to_string()),
    }
}

/// A CALL from the central system, handled by the station, waiting to be answered.
struct AnsweredCall {
    event: CommandEvent,
    follow_ups: Vec<FollowUp>,
    delay: Duration,
}

/// The station's answer to `text` when it is a CALL (or a broken CALL with a readable id); `None` for every
/// other frame.
fn answer_of(shared: &Shared, text: &str) -> Option<AnsweredCall> {
    let (message_id, action, payload, handled) = match parse_frame(text) {
        Ok(Some(Frame::Call {
            id,
            action,
            payload,
        })) => {
            let mut station = lock(&shared.station);
            let handled = if station.setup().behaviour == CommandBehaviour::Silent {
                Handled {
                    answer: Answer::Silent,
                    follow_ups: Vec::new(),
                }
            } else {
                match parse_command(&action, &payload) {
                    Ok(command) => station.handle(&command),
                    Err(error) => Handled {
                        answer: Answer::Refuse(error),
                        follow_ups: Vec::new(),
                    },
                }
            };
            (id, action, Some(payload), handled)
        }
        // A broken CALL with a readable id: answered with FormationViolation.
        Err(error) if error.message_type == Some(MessageType::Call) => {
            let id = error.id.clone()?;
            let refusal = PayloadError::new(error.code, error.description);
            let handled = Handled {
                answer: Answer::Refuse(refusal),
                follow_ups: Vec::new(),
            };
            (id, "(malformed CALL)".to_owned(), None, handled)
        }
        _ => return None,
    };
    let (answer, outcome) = match handled.answer {
        Answer::Reply(response) => {
            let frame = response.to_frame(&message_id);
            let outcome = match &frame {
                Frame::CallError { code, .. } => format!("CALLERROR {code}"),
                _ => response.outcome(),
            };
            (Some(frame), outcome)
        }
        Answer::Refuse(error) => (
            Some(error.to_call_error(&message_id)),
            format!("CALLERROR {}", error.code),
        ),
        Answer::Silent => (None, "no answer".to_owned()),
    };
    let station = lock(&shared.station);
    let supported = station.setup().local_list == crate::station::LocalListSupport::Supported;
    Some(AnsweredCall {
        delay: if answer.is_some() {
            station.setup().answer_delay
        } else {
            Duration::ZERO
        },
        event: CommandEvent {
            message_id,
            action,
            payload,
            received: text.to_owned(),
            answer,
            outcome,
            delay: station.setup().answer_delay,
            local_list_version: supported.then(|| station.local_list().version()),
            local_list_size: station.local_list().len(),
            cache_size: station.cache().len(),
        },
        follow_ups: handled.follow_ups,
    })
}

/// Sends the answer (if any), reports the command, then hands its follow-ups to the [`ChargePoint`].
async fn respond(
    shared: &Shared,
    inbox: &mpsc::UnboundedSender<Inbound>,
    call: AnsweredCall,
) -> Result<(), WsError> {
    let sent = match &call.event.answer {
        Some(frame) => shared.send(frame.to_text()).await,
        None => Ok(()),
    };
    shared.emit(&Event::Command(call.event));
    sent?;
    for follow_up in call.follow_ups {
        let _ = inbox.send(Inbound::FollowUp(follow_up));
    }
    Ok(())
}

/// The reader task: answers the central system's CALLs, forwards everything else, reports the end.
async fn read_loop(
    mut stream: SplitStream<Socket>,
    shared: Arc<Shared>,
    inbox: mpsc::UnboundedSender<Inbound>,
) {
    let reason = loop {
        let text = match stream.next().await {
            None => break "the central system ended it".to_owned(),
            Some(Err(error)) => break format!("it broke ({error})"),
            Some(Ok(Message::Close(frame))) => {
                break match frame {
                    Some(frame) if frame.reason.as_str().is_empty() => format!(
                        "the central system closed it (code {})",
                        u16::from(frame.code)
                    ),
                    Some(frame) => format!(
                        "the central system closed it (code {}: {})",
                        u16::from(frame.code),
                        frame.reason.as_str()
                    ),
                    None => "the central system closed it".to_owned(),
                }
            }
            Some(Ok(Message::Text(text))) => text.as_str().to_owned(),
            Some(Ok(Message::Binary(bytes))) => {
                shared.emit(&Event::Ignored {
                    frame: format!("(a binary message of {} bytes)", bytes.len()),
                });
                continue;
            }
            // Pings are answered by tungstenite itself.
            Some(Ok(_)) => continue,
        };
        let Some(call) = answer_of(&shared, &text) else {
            if inbox.send(Inbound::Frame(text)).is_err() {
                return;
            }
            continue;
        };
        if call.delay.is_zero() {
            if let Err(error) = respond(&shared, &inbox, call).await {
                break format!("sending failed: {error}");
            }
        } else {
            // A slow station: the answer comes later, and the reader goes on reading meanwhile.
            let (shared, inbox) = (shared.clone(), inbox.clone());
            tokio::spawn(async move {
                tokio::time::sleep(call.delay).await;
                let _ = respond(&shared, &inbox, call).await;
            });
        }
    };
    let _ = inbox.send(Inbound::Closed(reason));
}
