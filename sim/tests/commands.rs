//! The simulated station answering a central system's commands over a real WebSocket: a small fake central
//! system (in this test, on a loopback port) sends every command and checks the answers and what the station
//! sends after them — the remote session, the triggered message, the reboot — and the station's lists.

use futures_util::{SinkExt, StreamExt};
use ocpp::commands::*;
use ocpp::messages::{
    AuthorizationStatus, AuthorizeResponse, BootNotificationResponse, DataTransferRequest,
    HeartbeatResponse, IdTagInfo, MeterValuesResponse, RegistrationStatus,
    StartTransactionResponse, StatusNotificationResponse, StopTransactionResponse,
};
use ocpp::{parse_frame, response_frame, Action, ErrorCode, Frame};
use serde_json::{json, Value};
use sim::client::ChargePoint;
use sim::station::{CommandBehaviour, DecisionSource, Station, StationSetup};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

const TRANSACTION: i64 = 7;
const WAIT: Duration = Duration::from_secs(10);

/// One station's connection, seen from the fake central system.
struct Connection {
    socket: WebSocketStream<TcpStream>,
    next_id: u64,
    /// The CALLs the station sent, in order.
    calls: Vec<(String, Value)>,
}

/// Selects the `ocpp1.6` subprotocol (the signature is tungstenite's handshake callback's).
#[allow(clippy::result_large_err)]
fn select_subprotocol(_: &Request, mut response: Response) -> Result<Response, ErrorResponse> {
    response.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("ocpp1.6"),
    );
    Ok(response)
}

async fn accept(listener: &TcpListener) -> Connection {
    let (stream, _) = tokio::time::timeout(WAIT, listener.accept())
        .await
        .expect("the station connects")
        .unwrap();
    let socket = tokio_tungstenite::accept_hdr_async(stream, select_subprotocol)
        .await
        .unwrap();
    Connection {
        socket,
        next_id: 1,
        calls: Vec::new(),
    }
}

fn accepted_until_2099() -> IdTagInfo {
    IdTagInfo {
        expiry_date: Some("2099-01-01T00:00:00Z".into()),
        ..IdTagInfo::new(AuthorizationStatus::Accepted)
    }
}

impl Connection {
    /// The central system's answer to a station's CALL (always a yes).
    fn answer(id: &str, action: &str) -> Frame {
        let now = "2026-06-01T00:00:00.000Z".to_owned();
        match Action::parse(action).unwrap() {
            Action::BootNotification => response_frame(
                id,
                &BootNotificationResponse {
                    status: RegistrationStatus::Accepted,
                    current_time: now,
                    interval: 300,
                },
            ),
            Action::Heartbeat => response_frame(id, &HeartbeatResponse { current_time: now }),
            Action::Authorize => response_frame(
                id,
                &AuthorizeResponse {
                    id_tag_info: accepted_until_2099(),
                },
            ),
            Action::StartTransaction => response_frame(
                id,
                &StartTransactionResponse {
                    id_tag_info: accepted_until_2099(),
                    transaction_id: TRANSACTION,
                },
            ),
            Action::StopTransaction => response_frame(id, &StopTransactionResponse::default()),
            Action::StatusNotification => response_frame(id, &StatusNotificationResponse {}),
            Action::MeterValues => response_frame(id, &MeterValuesResponse {}),
            other => panic!("unexpected {other} from the station"),
        }
    }

    /// Reads the next frame, answering (and recording) the station's CALLs until `done` says a frame is the
    /// one waited for; `None` when nothing comes within `within`.
    async fn read_until(
        &mut self,
        within: Duration,
        mut done: impl FnMut(&Frame) -> bool,
    ) -> Option<Frame> {
        let deadline = Instant::now() + within;
        loop {
            let message = match tokio::time::timeout_at(deadline, self.socket.next()).await {
                Err(_) => return None,
                Ok(message) => message.expect("the connection is open").unwrap(),
            };
            let Message::Text(text) = message else {
                if let Message::Close(_) = message {
                    // Send the close reply tungstenite queued, as a server does.
                    let _ = self.socket.flush().await;
                    return None;
                }
                continue;
            };
            let frame = parse_frame(text.as_str()).unwrap().unwrap();
            if let Frame::Call {
                id,
                action,
                payload,
            } = &frame
            {
                self.calls.push((action.clone(), payload.clone()));
                let answer = Self::answer(id, action);
                self.socket
                    .send(Message::text(answer.to_text()))
                    .await
                    .unwrap();
            }
            if done(&frame) {
                return Some(frame);
            }
        }
    }

    /// Sends a raw CALL and returns the station's answer frame (answering its own CALLs meanwhile).
    async fn send_raw(&mut self, action: &str, payload: Value, within: Duration) -> Option<Frame> {
        let id = format!("cs-{}", self.next_id);
        self.next_id += 1;
        let call = Frame::Call {
            id: id.clone(),
            action: action.to_owned(),
            payload,
        };
        self.socket
            .send(Message::text(call.to_text()))
            .await
            .unwrap();
        self.read_until(within, |frame| {
            matches!(frame, Frame::CallResult { .. } | Frame::CallError { .. }) && frame.id() == id
        })
        .await
    }

    /// Sends `command` and reads the station's CALLRESULT.
    async fn command(&mut self, command: impl Into<Command>) -> CommandResponse {
        let command = command.into();
        let answer = self
            .send_raw(
                command.action().as_str(),
                command.to_payload().unwrap(),
                WAIT,
            )
            .await
            .expect("an answer");
        match answer {
            Frame::CallResult { payload, .. } => {
                parse_command_response(command.action(), &payload).unwrap()
            }
            other => panic!("{command:?} answered with {other:?}"),
        }
    }

    /// Waits until the station has sent a CALL with `action` (since the last call), returning its payload.
    async fn expect_call(&mut self, action: &str) -> Value {
        let seen = self.calls.len();
        if let Some((_, payload)) = self.calls.iter().find(|(a, _)| a == action) {
            let payload = payload.clone();
            self.calls.clear();
            return payload;
        }
        let found = self
            .read_until(
                WAIT,
                |frame| matches!(frame, Frame::Call { action: a, .. } if a == action),
            )
            .await;
        let Some(Frame::Call { payload, .. }) = found else {
            panic!(
                "no {action} from the station; it sent {:?}",
                &self.calls[seen..]
            );
        };
        self.calls.clear();
        payload
    }

    /// The actions of the CALLs received since the last `expect_call`, after reading for `within`.
    async fn calls_within(&mut self, within: Duration) -> Vec<String> {
        self.read_until(within, |_| false).await;
        self.calls.drain(..).map(|(action, _)| action).collect()
    }
}

fn station(setup: StationSetup) -> Station {
    Station::new(setup)
}

/// Connects and starts up a station, with the central system's side of the connection.
async fn start(listener: &TcpListener, setup: StationSetup) -> (ChargePoint, Connection) {
    let url = format!("ws://{}/ocpp", listener.local_addr().unwrap());
    let (station, connection) = tokio::join!(
        ChargePoint::connect_as(&url, "CP-T", None, WAIT, station(setup)),
        accept(listener)
    );
    let (mut station, mut connection) = (station.unwrap(), connection);
    let (boot, _) = tokio::join!(
        station.start_up(),
        connection.calls_within(Duration::from_millis(300))
    );
    boot.unwrap();
    (station, connection)
}

fn far() -> Instant {
    Instant::now() + Duration::from_secs(60)
}

fn entry(id_tag: &str, status: AuthorizationStatus) -> AuthorizationData {
    AuthorizationData {
        id_tag: id_tag.into(),
        id_tag_info: Some(IdTagInfo::new(status)),
    }
}

#[tokio::test]
async fn a_station_answers_every_command_and_acts_on_it() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (mut station, connection) = start(&listener, StationSetup::default()).await;

    let script = async move {
        let mut cs = connection;
        // The Local Authorization List.
        assert_eq!(
            cs.command(GetLocalListVersionRequest {}).await.outcome(),
            "version 0"
        );
        let full = SendLocalListRequest {
            list_version: 1,
            local_authorization_list: Some(vec![
                entry("LOCAL-OK", AuthorizationStatus::Accepted),
                entry("LOCAL-BLOCKED", AuthorizationStatus::Blocked),
            ]),
            update_type: UpdateType::Full,
        };
        assert_eq!(cs.command(full).await.outcome(), "Accepted");
        let stale = SendLocalListRequest {
            list_version: 1,
            local_authorization_list: Some(vec![entry("X", AuthorizationStatus::Accepted)]),
            update_type: UpdateType::Differential,
        };
        assert_eq!(cs.command(stale).await.outcome(), "VersionMismatch");
        assert_eq!(
            cs.command(GetLocalListVersionRequest {}).await.outcome(),
            "version 1"
        );

        // Configuration.
        let keys = cs
            .command(GetConfigurationRequest {
                key: Some(vec!["HeartbeatInterval".into(), "Foo".into()]),
            })
            .await;
        assert_eq!(keys.outcome(), "1 key, 1 unknown");
        let change = ChangeConfigurationRequest {
            key: "NumberOfConnectors".into(),
            value: "4".into(),
        };
        assert_eq!(cs.command(change).await.outcome(), "Rejected");

        // A remote session: started, then stopped.
        let start = RemoteStartTransactionRequest {
            connector_id: Some(1),
            id_tag: "REMOTE-1".into(),
        };
        assert_eq!(cs.command(start.clone()).await.outcome(), "Accepted");
        let started = cs.expect_call("StartTransaction").await;
        assert_eq!(started["idTag"], "REMOTE-1");
        assert_eq!(started["connectorId"], 1);
        let charging = cs.expect_call("StatusNotification").await;
        assert_eq!(charging["status"], "Charging");
        assert_eq!(
            cs.command(start).await.outcome(),
            "Rejected",
            "connector 1 is busy"
        );
        let stop = |transaction_id| RemoteStopTransactionRequest { transaction_id };
        assert_eq!(
            cs.command(stop(TRANSACTION + 1)).await.outcome(),
            "Rejected"
        );
        assert_eq!(cs.command(stop(TRANSACTION)).await.outcome(), "Accepted");
        let stopped = cs.expect_call("StopTransaction").await;
        assert_eq!(stopped["transactionId"], TRANSACTION);
        assert_eq!(stopped["reason"], "Remote");
        assert_eq!(stopped["idTag"], "REMOTE-1");

        // A triggered message comes after the answer.
        let trigger = TriggerMessageRequest {
            requested_message: MessageTrigger::Heartbeat,
            connector_id: None,
        };
        assert_eq!(cs.command(trigger).await.outcome(), "Accepted");
        cs.expect_call("Heartbeat").await;

        // Availability.
        let out = ChangeAvailabilityRequest {
            connector_id: 1,
            availability_type: AvailabilityType::Inoperative,
        };
        assert_eq!(cs.command(out).await.outcome(), "Accepted");
        assert_eq!(
            cs.expect_call("StatusNotification").await["status"],
            "Unavailable"
        );
        let back = ChangeAvailabilityRequest {
            connector_id: 0,
            availability_type: AvailabilityType::Operative,
        };
        assert_eq!(cs.command(back).await.outcome(), "Accepted");
        assert_eq!(
            cs.expect_call("StatusNotification").await["status"],
            "Available"
        );

        // Unlock, DataTransfer, and what the station cannot read.
        let unlock = |connector_id| UnlockConnectorRequest { connector_id };
        assert_eq!(cs.command(unlock(1)).await.outcome(), "Unlocked");
        assert_eq!(cs.command(unlock(2)).await.outcome(), "NotSupported");
        let transfer = DataTransferRequest {
            vendor_id: "com.example".into(),
            message_id: None,
            data: None,
        };
        assert_eq!(cs.command(transfer).await.outcome(), "UnknownVendorId");
        for (action, payload, code) in [
            ("FooBar", json!({}), ErrorCode::NotImplemented),
            ("Heartbeat", json!({}), ErrorCode::NotSupported),
            ("ReserveNow", json!({}), ErrorCode::NotSupported),
            (
                "Reset",
                json!({"type": "Warm"}),
                ErrorCode::PropertyConstraintViolation,
            ),
            (
                "UnlockConnector",
                json!({}),
                ErrorCode::OccurenceConstraintViolation,
            ),
        ] {
            match cs.send_raw(action, payload, WAIT).await {
                Some(Frame::CallError { code: got, .. }) => {
                    assert_eq!(got, code.as_str(), "{action}")
                }
                other => panic!("{action}: {other:?}"),
            }
        }
        cs
    };
    let cs = tokio::select! {
        served = station.serve_until(far(), None, false) => panic!("the station stopped serving: {served:?}"),
        cs = script => cs,
    };

    // The station's own view: the remote session's verdict is cached, the list decides offline.
    assert_eq!(station.station().local_list().version(), 1);
    let decide = |station: &ChargePoint, id_tag: &str| {
        let decision = station.authorize_offline(id_tag);
        (decision.status, decision.source)
    };
    assert_eq!(
        decide(&station, "local-ok"),
        (AuthorizationStatus::Accepted, DecisionSource::LocalList)
    );
    assert_eq!(
        decide(&station, "LOCAL-BLOCKED"),
        (AuthorizationStatus::Blocked, DecisionSource::LocalList)
    );
    assert_eq!(
        decide(&station, "REMOTE-1"),
        (AuthorizationStatus::Accepted, DecisionSource::Cache)
    );
    assert_eq!(
        decide(&station, "NOBODY"),
        (AuthorizationStatus::Invalid, DecisionSource::Unknown)
    );

    // ClearCache, then a Reset: the station reboots on a new connection and keeps its list.
    let script = async move {
        let mut cs = cs;
        assert_eq!(cs.command(ClearCacheRequest {}).await.outcome(), "Accepted");
        let reset = ResetRequest {
            reset_type: ResetType::Soft,
        };
        assert_eq!(cs.command(reset).await.outcome(), "Accepted");
        // The old connection closes; the station comes back and boots.
        cs.read_until(WAIT, |_| false).await;
        let mut again = accept(&listener).await;
        again.expect_call("BootNotification").await;
        assert_eq!(
            again.command(GetLocalListVersionRequest {}).await.outcome(),
            "version 1"
        );
        again
    };
    let cs = tokio::select! {
        served = station.serve_until(far(), None, false) => panic!("the station stopped serving: {served:?}"),
        cs = script => cs,
    };
    assert!(station.station().cache().is_empty());
    assert_eq!(
        decide(&station, "REMOTE-1"),
        (AuthorizationStatus::Invalid, DecisionSource::Unknown)
    );

    // A silent station does not answer; a slow one answers late.
    station.set_command_behaviour(CommandBehaviour::Silent);
    let script = async move {
        let mut cs = cs;
        let answer = cs
            .send_raw("ClearCache", json!({}), Duration::from_millis(500))
            .await;
        assert_eq!(answer, None, "a silent station answers nothing");
        cs
    };
    let cs = tokio::select! {
        served = station.serve_until(far(), None, false) => panic!("the station stopped serving: {served:?}"),
        cs = script => cs,
    };
    station.set_command_behaviour(CommandBehaviour::Reject);
    station.set_answer_delay(Duration::from_millis(400));
    let script = async move {
        let mut cs = cs;
        let sent = Instant::now();
        assert_eq!(cs.command(ClearCacheRequest {}).await.outcome(), "Rejected");
        assert!(
            sent.elapsed() >= Duration::from_millis(400),
            "{:?}",
            sent.elapsed()
        );
        cs
    };
    tokio::select! {
        served = station.serve_until(far(), None, false) => panic!("the station stopped serving: {served:?}"),
        _ = script => {},
    };
}

#[tokio::test]
async fn a_station_without_a_local_list_and_one_that_supports_nothing() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let setup = StationSetup {
        local_list: sim::station::LocalListSupport::Unsupported,
        ..StationSetup::default()
    };
    let (mut station, connection) = start(&listener, setup).await;
    let script = async move {
        let mut cs = connection;
        assert_eq!(
            cs.command(GetLocalListVersionRequest {}).await,
            CommandResponse::GetLocalListVersion(GetLocalListVersionResponse { list_version: -1 })
        );
        let full = SendLocalListRequest {
            list_version: 1,
            local_authorization_list: None,
            update_type: UpdateType::Full,
        };
        assert_eq!(cs.command(full).await.outcome(), "NotSupported");
        let profiles = cs
            .command(GetConfigurationRequest {
                key: Some(vec!["SupportedFeatureProfiles".into()]),
            })
            .await;
        let CommandResponse::GetConfiguration(profiles) = profiles else {
            unreachable!()
        };
        assert_eq!(
            profiles.configuration_key.unwrap()[0].value.as_deref(),
            Some("Core,RemoteTrigger")
        );
        cs
    };
    let cs = tokio::select! {
        served = station.serve_until(far(), None, false) => panic!("the station stopped serving: {served:?}"),
        cs = script => cs,
    };

    station.set_command_behaviour(CommandBehaviour::NotSupported);
    let script = async move {
        let mut cs = cs;
        let answer = cs
            .send_raw("Reset", json!({"type": "Hard"}), WAIT)
            .await
            .unwrap();
        assert_eq!(
            answer,
            Frame::call_error(
                answer.id(),
                ErrorCode::NotSupported,
                "Reset is not supported by this station"
            )
        );
    };
    tokio::select! {
        served = station.serve_until(far(), None, false) => panic!("the station stopped serving: {served:?}"),
        _ = script => {},
    };
}
