//! Commands to stations over a real WebSocket on loopback, against the real router and a fresh database (SQLite,
//! or PostgreSQL with CHARGEDESK_TEST_PG_URL): a command reaches the station as a CALL and its answer, CALLERROR,
//! invalid answer or silence is stored with it; one CALL at a time, in order; commands for an offline station
//! wait or are refused by their nature and expire; the frames are in the station's log; and the attackers — a
//! cardholder, another tenant's administrator, a station answering what it was not asked — get nothing.

mod common;

use common::TestDb;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use shared::command::{
    CommandRequest, CommandState, ConfigKey, ConfigValue, Connector, ResetKind, StationCommand,
};
use shared::ids::{CommandId, StationId};
use shared::model::{FrameDirection, FrameType, LogFilter};
use shared::names::{Email, OrgName, Password, PersonName};
use shared::station::{ChargePointId, StationName};
use shared::OrgId;
use std::net::SocketAddr;
use std::time::Duration;
use storage::{Db, OrgAdmin, StorageError};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const PASSWORD: &str = "correct horse battery";

struct Server {
    addr: SocketAddr,
    _task: tokio::task::JoinHandle<()>,
}

async fn start(db: &Db, command_timeout: Duration) -> Server {
    let config = server::central_system::OcppConfig {
        // A raw socket plays the station here and answers no CALL: the list sync is tests/local_list.rs'.
        local_list_sync: false,
        command_timeout,
        ..Default::default()
    };
    let router = server::router_with(db.clone(), server::leptos_options().unwrap(), config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        server::http::serve(listener, router, std::future::pending())
            .await
            .unwrap();
    });
    Server { addr, _task: task }
}

/// A partner with station `CP-1` (no password), and its administrator's scope.
async fn partner(db: &Db, org: &str, email: &str, cp: &str) -> (OrgAdmin, StationId) {
    let (org, _) = db
        .create_partner(
            &OrgName::parse(org).unwrap(),
            &PersonName::parse("Pat").unwrap(),
            &PersonName::parse("Partner").unwrap(),
            &Email::parse(email).unwrap(),
            &Password::parse(PASSWORD).unwrap(),
        )
        .await
        .unwrap();
    let admin = scope(db, email, org).await;
    let station = admin
        .add_station(
            &ChargePointId::parse(cp).unwrap(),
            &StationName::parse("Depot charger").unwrap(),
            None,
        )
        .await
        .unwrap();
    (admin, station)
}

async fn scope(db: &Db, email: &str, org: OrgId) -> OrgAdmin {
    let storage::LoginOutcome::LoggedIn { session_token, .. } =
        db.login(email, PASSWORD).await.unwrap()
    else {
        panic!("log-in failed")
    };
    let caller = db.caller(&session_token).await.unwrap().unwrap();
    caller.admin_of(db, org).await.unwrap()
}

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

async fn connect(server: &Server, cp: &str) -> Socket {
    let mut request = format!("ws://{}/ocpp/{cp}", server.addr)
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("ocpp1.6"),
    );
    tokio_tungstenite::connect_async(request).await.unwrap().0
}

/// Connects and waits until the station reads as online (its connection is recorded).
async fn online(server: &Server, admin: &OrgAdmin, station: StationId, cp: &str) -> Socket {
    let socket = connect(server, cp).await;
    for _ in 0..100 {
        if admin.station(station).await.unwrap().summary.online {
            return socket;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the station never read as online");
}

/// The next text frame within `wait`, or `None`.
async fn next_frame(socket: &mut Socket, wait: Duration) -> Option<Value> {
    tokio::time::timeout(wait, async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Text(text))) => {
                    return serde_json::from_str(text.as_str()).unwrap()
                }
                Some(Ok(_)) => continue,
                other => panic!("the connection ended: {other:?}"),
            }
        }
    })
    .await
    .ok()
}

/// The next CALL the server sends (within 10 s).
async fn next_call(socket: &mut Socket) -> Value {
    let frame = next_frame(socket, Duration::from_secs(10))
        .await
        .expect("a CALL within 10 s");
    assert_eq!(frame[0], 2, "a CALL: {frame}");
    frame
}

async fn send(socket: &mut Socket, frame: Value) {
    socket
        .send(Message::Text(frame.to_string().into()))
        .await
        .unwrap();
}

/// Waits until the command ended (at most 10 s) and returns it.
async fn ended(admin: &OrgAdmin, station: StationId, id: CommandId) -> StationCommand {
    for _ in 0..200 {
        let command = admin.station_command(station, id).await.unwrap();
        if command.state.is_final() {
            return command;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("command {id} did not end");
}

fn reset(kind: ResetKind) -> CommandRequest {
    CommandRequest::Reset { kind }
}

#[tokio::test]
async fn a_command_reaches_the_station_and_its_answer_is_stored_and_logged() {
    let test_db = TestDb::new().await;
    let db = test_db.open().await;
    let (admin, station) = partner(&db, "Volta", "pat@volta.example", "CP-1").await;
    let server = start(&db, Duration::from_secs(30)).await;
    let mut socket = online(&server, &admin, station, "CP-1").await;

    let queued = admin
        .queue_command(station, reset(ResetKind::Soft))
        .await
        .unwrap();
    assert!(!queued.state.is_final());
    assert_eq!(queued.requested_by, "Pat Partner");
    let call = next_call(&mut socket).await;
    assert_eq!(call[2], "Reset");
    assert_eq!(call[3], json!({"type": "Soft"}));
    let id = call[1].as_str().unwrap().to_owned();
    send(&mut socket, json!([3, id, {"status": "Accepted"}])).await;
    let done = ended(&admin, station, queued.id).await;
    assert_eq!(done.state, CommandState::Answered);
    assert_eq!(done.outcome.as_deref(), Some("Accepted"));
    assert_eq!(done.status_text(), "Accepted");
    assert!(done.sent_at.is_some() && done.finished_at.is_some());

    // Both frames are in the station's "Logs", the answer under the command's action.
    let mut logged = Vec::new();
    for _ in 0..100 {
        logged = admin
            .station_logs(
                station,
                &LogFilter {
                    action: Some("Reset".into()),
                    ..LogFilter::default()
                },
            )
            .await
            .unwrap();
        if logged.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(logged.len(), 2, "{logged:?}");
    assert!(logged
        .iter()
        .any(|e| e.direction == FrameDirection::Outgoing
            && e.message_type == FrameType::Call
            && e.unique_id == id));
    assert!(logged
        .iter()
        .any(|e| e.direction == FrameDirection::Incoming
            && e.message_type == FrameType::CallResult
            && e.payload.contains("Accepted")));

    // The command is in the history and in the audit log.
    let history = admin.station_commands(station).await.unwrap();
    assert_eq!(history[0].id, queued.id);
    let audit = admin.audit_log(50).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.summary.contains("Reset (soft) sent to station")),
        "{audit:?}"
    );
}

#[tokio::test]
async fn one_call_at_a_time_in_order_and_callerrors_silence_and_bad_answers_end_a_command() {
    let test_db = TestDb::new().await;
    let db = test_db.open().await;
    let (admin, station) = partner(&db, "Volta", "pat@volta.example", "CP-1").await;
    let server = start(&db, Duration::from_secs(1)).await;
    let mut socket = online(&server, &admin, station, "CP-1").await;

    let first = admin
        .queue_command(station, reset(ResetKind::Hard))
        .await
        .unwrap();
    let second = admin
        .queue_command(station, CommandRequest::ClearCache)
        .await
        .unwrap();
    let third = admin
        .queue_command(
            station,
            CommandRequest::UnlockConnector {
                connector: Connector::parse("1").unwrap(),
            },
        )
        .await
        .unwrap();
    let fourth = admin
        .queue_command(
            station,
            CommandRequest::ChangeConfiguration {
                key: ConfigKey::parse("HeartbeatInterval").unwrap(),
                value: ConfigValue::parse("300").unwrap(),
            },
        )
        .await
        .unwrap();

    // The first; nothing else while it is outstanding.
    let call = next_call(&mut socket).await;
    assert_eq!(call[2], "Reset");
    assert_eq!(
        next_frame(&mut socket, Duration::from_millis(400)).await,
        None,
        "a second CALL while one is outstanding"
    );
    // An answer to another message id changes nothing; a CALLERROR to ours fails the command.
    send(&mut socket, json!([3, "not-ours", {"status": "Accepted"}])).await;
    send(
        &mut socket,
        json!([4, call[1], "NotSupported", "no resets here", {}]),
    )
    .await;
    let done = ended(&admin, station, first.id).await;
    assert_eq!(done.state, CommandState::Failed);
    assert_eq!(done.outcome.as_deref(), Some("NotSupported"));
    assert_eq!(done.detail.as_deref(), Some("no resets here"));

    // The second: no answer within the timeout (1 s here).
    let call = next_call(&mut socket).await;
    assert_eq!(call[2], "ClearCache");
    let done = ended(&admin, station, second.id).await;
    assert_eq!(done.state, CommandState::TimedOut);
    assert_eq!(done.outcome.as_deref(), Some("no answer in 1 s"));
    // A late answer does not change it.
    send(&mut socket, json!([3, call[1], {"status": "Accepted"}])).await;

    // The third: an answer that is not valid OCPP.
    let call = next_call(&mut socket).await;
    assert_eq!(call[2], "UnlockConnector");
    assert_eq!(call[3], json!({"connectorId": 1}));
    send(&mut socket, json!([3, call[1], {"status": "Opened"}])).await;
    let done = ended(&admin, station, third.id).await;
    assert_eq!(done.state, CommandState::Failed);
    assert_eq!(done.outcome.as_deref(), Some("invalid answer"));
    assert!(done
        .detail
        .unwrap()
        .starts_with("PropertyConstraintViolation"));
    assert_eq!(
        admin
            .station_command(station, second.id)
            .await
            .unwrap()
            .state,
        CommandState::TimedOut,
        "the late answer changed nothing"
    );

    // The fourth, answered.
    let call = next_call(&mut socket).await;
    assert_eq!(call[2], "ChangeConfiguration");
    assert_eq!(call[3], json!({"key": "HeartbeatInterval", "value": "300"}));
    send(
        &mut socket,
        json!([3, call[1], {"status": "RebootRequired"}]),
    )
    .await;
    let done = ended(&admin, station, fourth.id).await;
    assert_eq!(done.outcome.as_deref(), Some("RebootRequired"));
}

#[tokio::test]
async fn an_offline_station_gets_the_commands_that_wait_and_not_the_others() {
    let test_db = TestDb::new().await;
    let db = test_db.open().await;
    let (admin, station) = partner(&db, "Volta", "pat@volta.example", "CP-1").await;
    let server = start(&db, Duration::from_secs(30)).await;

    // Offline: a reset is refused at once (and audited), clearing the cache waits.
    let refused = admin
        .queue_command(station, reset(ResetKind::Hard))
        .await
        .unwrap();
    assert_eq!(refused.state, CommandState::Refused);
    assert_eq!(refused.status_text(), "station offline: not sent");
    let waiting = admin
        .queue_command(station, CommandRequest::ClearCache)
        .await
        .unwrap();
    assert_eq!(waiting.state, CommandState::Queued);
    assert_eq!(waiting.status_text(), "station offline, queued");
    let expiring = admin
        .queue_command(station, CommandRequest::GetLocalListVersion)
        .await
        .unwrap();
    // This one's time runs out before the station connects.
    sqlx::query("UPDATE station_commands SET expires_at = 1 WHERE id = $1")
        .bind(expiring.id.0)
        .execute(&test_db.raw().await)
        .await
        .unwrap();

    // Its history says so before the station is back.
    assert_eq!(
        admin
            .station_command(station, expiring.id)
            .await
            .unwrap()
            .state,
        CommandState::Expired
    );

    let mut socket = connect(&server, "CP-1").await;
    let call = next_call(&mut socket).await;
    assert_eq!(call[2], "ClearCache", "only the waiting command is sent");
    send(&mut socket, json!([3, call[1], {"status": "Accepted"}])).await;
    assert_eq!(
        ended(&admin, station, waiting.id).await.outcome.as_deref(),
        Some("Accepted")
    );
    assert_eq!(
        next_frame(&mut socket, Duration::from_millis(400)).await,
        None,
        "the expired and the refused commands are never sent"
    );
    let expired = admin.station_command(station, expiring.id).await.unwrap();
    assert_eq!(expired.state, CommandState::Expired);
    assert_eq!(
        admin
            .station_command(station, refused.id)
            .await
            .unwrap()
            .state,
        CommandState::Refused
    );
}

#[tokio::test]
async fn a_command_outstanding_when_the_connection_ends_is_not_left_waiting() {
    let test_db = TestDb::new().await;
    let db = test_db.open().await;
    let (admin, station) = partner(&db, "Volta", "pat@volta.example", "CP-1").await;
    let server = start(&db, Duration::from_secs(30)).await;
    let mut socket = online(&server, &admin, station, "CP-1").await;
    let first = admin
        .queue_command(station, CommandRequest::ClearCache)
        .await
        .unwrap();
    let second = admin
        .queue_command(station, CommandRequest::GetLocalListVersion)
        .await
        .unwrap();
    let call = next_call(&mut socket).await;
    assert_eq!(call[2], "ClearCache");
    drop(socket);
    let done = ended(&admin, station, first.id).await;
    assert_eq!(done.state, CommandState::TimedOut);
    assert_eq!(
        done.outcome.as_deref(),
        Some("no answer: the connection ended")
    );
    // The next one waits for the station and goes out when it is back.
    let mut socket = connect(&server, "CP-1").await;
    let call = next_call(&mut socket).await;
    assert_eq!(call[2], "GetLocalListVersion");
    send(&mut socket, json!([3, call[1], {"listVersion": 7}])).await;
    assert_eq!(
        ended(&admin, station, second.id).await.outcome.as_deref(),
        Some("version 7")
    );
}

#[tokio::test]
async fn another_tenant_sees_and_commands_none_of_our_stations() {
    let test_db = TestDb::new().await;
    let db = test_db.open().await;
    let (admin, station) = partner(&db, "Volta", "pat@volta.example", "CP-1").await;
    let (other, _) = partner(&db, "Rival", "rita@rival.example", "CP-RIVAL").await;
    let server = start(&db, Duration::from_secs(30)).await;
    let mut socket = online(&server, &admin, station, "CP-1").await;

    let attempt = other
        .queue_command(station, reset(ResetKind::Hard))
        .await
        .unwrap_err();
    assert!(matches!(
        attempt,
        StorageError::NotFound { what: "station" }
    ));
    assert!(matches!(
        other.station_commands(station).await.unwrap_err(),
        StorageError::NotFound { what: "station" }
    ));
    let ours = admin
        .queue_command(station, CommandRequest::ClearCache)
        .await
        .unwrap();
    assert!(matches!(
        other.station_command(station, ours.id).await.unwrap_err(),
        StorageError::NotFound { .. }
    ));
    // Their remote start cannot use our passes either: the card must be theirs.
    assert!(matches!(
        other
            .remote_start_id_tag("04AAAB11CD2345")
            .await
            .unwrap_err(),
        StorageError::NotFound { what: "pass" }
    ));
    // Only our command reached the station.
    let call = next_call(&mut socket).await;
    assert_eq!(call[2], "ClearCache");
    assert_eq!(
        next_frame(&mut socket, Duration::from_millis(300)).await,
        None
    );
}

#[tokio::test]
async fn a_flood_of_commands_for_one_station_is_refused_past_its_limit() {
    let test_db = TestDb::new().await;
    let db = test_db.open().await;
    let (admin, station) = partner(&db, "Volta", "pat@volta.example", "CP-1").await;
    for _ in 0..storage::MAX_OPEN_COMMANDS {
        admin
            .queue_command(station, CommandRequest::ClearCache)
            .await
            .unwrap();
    }
    let refused = admin
        .queue_command(station, CommandRequest::ClearCache)
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, StorageError::Conflict { message } if message.contains("20 commands waiting")),
        "{refused:?}"
    );
    // Refusals of an offline station's immediate commands are not work for it, so they still count in the
    // history (and the audit log), not against the limit.
    assert_eq!(
        admin
            .queue_command(station, reset(ResetKind::Soft))
            .await
            .unwrap()
            .state,
        CommandState::Refused
    );
    assert_eq!(
        admin.station_commands(station).await.unwrap().len(),
        storage::MAX_OPEN_COMMANDS as usize + 1
    );
}

#[tokio::test]
async fn ended_commands_are_pruned_after_their_retention_and_waiting_ones_are_kept() {
    let test_db = TestDb::new().await;
    let db = test_db.open().await;
    let (admin, station) = partner(&db, "Volta", "pat@volta.example", "CP-1").await;
    let refused = admin
        .queue_command(station, reset(ResetKind::Hard))
        .await
        .unwrap();
    let waiting = admin
        .queue_command(station, CommandRequest::ClearCache)
        .await
        .unwrap();
    let later = shared::time::Timestamp(storage::now().0 + 1_000);
    assert_eq!(db.prune_station_commands(later).await.unwrap(), 1);
    assert!(matches!(
        admin
            .station_command(station, refused.id)
            .await
            .unwrap_err(),
        StorageError::NotFound { .. }
    ));
    assert_eq!(
        admin
            .station_command(station, waiting.id)
            .await
            .unwrap()
            .state,
        CommandState::Queued
    );
    // Nothing younger than the cut-off goes.
    let earlier = shared::time::Timestamp(storage::now().0 - 60_000);
    assert_eq!(db.prune_station_commands(earlier).await.unwrap(), 0);
}
