//! [`ChargePoint`]: one simulated OCPP 1.6J charge point on one WebSocket connection.
//!
//! Every frame is built and read by the `ocpp` crate (typed payloads, schema-checked in both directions).
//! A background task reads the socket: it answers each CALL from the central system at once with a CALLERROR
//! (`NotImplemented` for an unknown action, `NotSupported` for a known one — the simulator implements none),
//! and hands every other frame to the [`ChargePoint`], which waits for the answer to its own CALL (one at a
//! time, as OCPP-J requires: the methods take `&mut self`) up to a timeout.

use crate::describe::Describe;
use crate::endpoint::{basic_auth, endpoint_url};
use crate::meter::energy_sample;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use ocpp::messages::{
    AuthorizationStatus, AuthorizeRequest, BootNotificationRequest, BootNotificationResponse,
    ChargePointErrorCode, ChargePointStatus, HeartbeatRequest, MeterValue, MeterValuesRequest,
    ReadingContext, Reason, RequestPayload, StartTransactionRequest, StatusNotificationRequest,
    StopTransactionRequest,
};
use ocpp::{call_frame, parse_frame, parse_response, Frame, MessageType, PayloadError};
use std::fmt;
use std::sync::{Arc, Mutex};
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
    /// A CALL from the central system, answered with a CALLERROR.
    Incoming {
        /// Its message id.
        message_id: String,
        /// Its action as received.
        action: String,
        /// The CALLERROR code we answered with.
        answer: String,
        /// The frame as received.
        frame: String,
    },
    /// A frame that is not the answer we wait for (a late answer, a stray frame, a binary message).
    Ignored {
        /// The frame as received.
        frame: String,
    },
    /// A remark of the script (e.g. why a charge did not start).
    Note(String),
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
    /// The connection ended, and why.
    Closed(String),
}

/// What the reader task and the [`ChargePoint`] share.
struct Shared {
    sink: tokio::sync::Mutex<SplitSink<Socket, Message>>,
    observer: Mutex<Option<Observer>>,
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
    shared: Arc<Shared>,
    inbox: mpsc::UnboundedReceiver<Inbound>,
    reader: JoinHandle<()>,
    next_message_id: u64,
    timeout: Duration,
    closed: Option<String>,
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
            observer: Mutex::new(None),
        });
        let (inbox_sender, inbox) = mpsc::unbounded_channel();
        let reader = tokio::spawn(read_loop(stream, shared.clone(), inbox_sender));
        Ok(ChargePoint {
            id: id.to_owned(),
            url: endpoint,
            shared,
            inbox,
            reader,
            next_message_id: 1,
            timeout,
            closed: None,
        })
    }

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

    /// Authorize: may `id_tag` charge?
    pub async fn authorize(&mut self, id_tag: &str) -> Result<AuthorizationStatus, SimError> {
        let request = AuthorizeRequest {
            id_tag: id_tag.to_owned(),
        };
        Ok(self.call(&request).await?.id_tag_info.status)
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
        Ok((response.transaction_id, response.id_tag_info.status))
    }

    /// StopTransaction of `transaction_id` with the register reading `meter_stop` (Wh), stamped now.
    /// `transaction_data` is omitted when empty. Returns the verdict on the idTag, if the answer has one.
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
        let response = self.call(&request).await?;
        Ok(response.id_tag_info.map(|info| info.status))
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

    /// Waits `duration` while the connection keeps answering the central system's CALLs; fails early when
    /// the connection closes.
    pub async fn idle(&mut self, duration: Duration) -> Result<(), SimError> {
        self.idle_until(Instant::now() + duration).await
    }

    /// [`ChargePoint::idle`] until `deadline`.
    pub async fn idle_until(&mut self, deadline: Instant) -> Result<(), SimError> {
        self.check_open()?;
        loop {
            match tokio::time::timeout_at(deadline, self.inbox.recv()).await {
                Err(_) => return Ok(()),
                Ok(Some(Inbound::Frame(frame))) => self.emit(&Event::Ignored { frame }),
                Ok(Some(Inbound::Closed(reason))) => return Err(self.mark_closed(reason)),
                Ok(None) => return Err(self.mark_closed("it ended".to_owned())),
            }
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
            if let Inbound::Closed(_) = inbound {
                break;
            }
        }
        self.closed = Some("the charge point closed it".to_owned());
        self.reader.abort();
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

/// Now, as an RFC 3339 timestamp with milliseconds.
pub fn now() -> String {
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
        });
    ocpp::datetime::format_unix_millis(millis)
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
        let answer = match parse_frame(&text) {
            Ok(Some(Frame::Call { id, action, .. })) => {
                let refusal = PayloadError::unhandled_action(&action).to_call_error(&id);
                Some((id, action, refusal))
            }
            // A broken CALL with a readable id: answered with FormationViolation.
            Err(error) if error.message_type == Some(MessageType::Call) => error
                .to_call_error()
                .map(|frame| (frame.id().to_owned(), "(malformed CALL)".to_owned(), frame)),
            _ => None,
        };
        match answer {
            Some((message_id, action, frame)) => {
                let code = match &frame {
                    Frame::CallError { code, .. } => code.clone(),
                    _ => String::new(),
                };
                let sent = shared.send(frame.to_text()).await;
                shared.emit(&Event::Incoming {
                    message_id,
                    action,
                    answer: code,
                    frame: text,
                });
                if let Err(error) = sent {
                    break format!("sending failed: {error}");
                }
            }
            None => {
                if inbox.send(Inbound::Frame(text)).is_err() {
                    return;
                }
            }
        }
    };
    let _ = inbox.send(Inbound::Closed(reason));
}
