//! The OCPP 1.6J endpoint over a real WebSocket on loopback, against the real router and a fresh database
//! (SQLite, or PostgreSQL with CHARGEDESK_TEST_PG_URL): the handshake rules (404, Basic auth, subprotocol),
//! every supported message, every error code, reconnection, restart in the middle of a transaction, and the
//! frame log.

mod common;

use common::{open_get, TestDb};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use shared::mode::PassMode;
use shared::model::{FrameDirection, FrameType, LogFilter};
use shared::names::{Email, Nickname, OrgName, Password, PersonName};
use shared::pass_id::{check_pass_id, PassIdKind};
use shared::role::Role;
use shared::station::{ChargePointId, StationName, StationPassword};
use shared::OrgId;
use std::net::SocketAddr;
use std::time::Duration;
use storage::{Db, OrgAdmin};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const ADMIN_PASSWORD: &str = "correct horse battery";
const STATION_PASSWORD: &str = "s3cret-station-key";

struct Server {
    addr: SocketAddr,
    db: Db,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    /// A server on `test_db` (opened again by each start: a restart keeps the data).
    async fn start(test_db: &TestDb) -> Server {
        let db = test_db.open().await;
        let config = server::central_system::OcppConfig {
            // A raw socket plays the station here and answers no CALL: the list sync is tests/local_list.rs'.
            local_list_sync: false,
            ping_interval: Duration::from_secs(1),
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
        Server { addr, db, task }
    }

    fn url(&self, cp: &str) -> String {
        format!("ws://{}/ocpp/{cp}", self.addr)
    }
}

/// The partner organization with a station `CP-1` (no password) and `CP-SECURE` (password), a cardholder and
/// an administrator scope to add passes with.
async fn setup(db: &Db) -> (OrgAdmin, OrgId) {
    let (org, _) = db
        .create_partner(
            &OrgName::parse("Volta Partners").unwrap(),
            &PersonName::parse("Pat").unwrap(),
            &PersonName::parse("Partner").unwrap(),
            &Email::parse("pat@volta.example").unwrap(),
            &Password::parse(ADMIN_PASSWORD).unwrap(),
        )
        .await
        .unwrap();
    let admin = admin_scope(db, org).await;
    admin
        .add_station(
            &ChargePointId::parse("CP-1").unwrap(),
            &StationName::parse("Depot charger").unwrap(),
            None,
        )
        .await
        .unwrap();
    admin
        .add_station(
            &ChargePointId::parse("CP-SECURE").unwrap(),
            &StationName::parse("Gate charger").unwrap(),
            Some(&StationPassword::parse(STATION_PASSWORD).unwrap()),
        )
        .await
        .unwrap();
    (admin, org)
}

async fn admin_scope(db: &Db, org: OrgId) -> OrgAdmin {
    let storage::LoginOutcome::LoggedIn { session_token, .. } =
        db.login("pat@volta.example", ADMIN_PASSWORD).await.unwrap()
    else {
        panic!("log-in failed")
    };
    let caller = db.caller(&session_token).await.unwrap().unwrap();
    caller.admin_of(db, org).await.unwrap()
}

async fn add_tag(admin: &OrgAdmin, uid: &str, mode: PassMode) {
    let user = admin
        .add_user(
            &PersonName::parse("Jan").unwrap(),
            &PersonName::parse("Jansen").unwrap(),
            &Email::parse(&format!("{}@volta.example", uid.to_lowercase())).unwrap(),
            Role::Cardholder,
        )
        .await
        .unwrap()
        .user_id;
    let id = check_pass_id(PassIdKind::Hidden, uid, false).unwrap().value;
    admin
        .add_pass(user, &id, &Nickname::parse("Tag").unwrap(), mode)
        .await
        .unwrap();
}

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

async fn connect(
    url: &str,
    protocol: Option<&str>,
    basic: Option<(&str, &str)>,
) -> Result<Socket, tungstenite::Error> {
    let mut request = url.into_client_request().unwrap();
    if let Some(p) = protocol {
        request
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", HeaderValue::from_str(p).unwrap());
    }
    if let Some((user, password)) = basic {
        use base64::Engine;
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        request.headers_mut().insert(
            "Authorization",
            HeaderValue::from_str(&format!("Basic {token}")).unwrap(),
        );
    }
    tokio_tungstenite::connect_async(request)
        .await
        .map(|(socket, response)| {
            if protocol == Some("ocpp1.6") {
                assert_eq!(
                    response.headers().get("sec-websocket-protocol").unwrap(),
                    "ocpp1.6"
                );
            }
            socket
        })
}

/// Sends a text frame and returns the next text frame (pings are answered by tungstenite itself).
async fn exchange(socket: &mut Socket, text: &str) -> Value {
    socket.send(Message::Text(text.into())).await.unwrap();
    next_text(socket).await
}

async fn next_text(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("an answer within 10 s")
            .expect("connection open")
            .expect("a frame");
        if let Message::Text(text) = message {
            return serde_json::from_str(text.as_str()).unwrap();
        }
    }
}

async fn call(socket: &mut Socket, id: &str, action: &str, payload: Value) -> Value {
    let answer = exchange(socket, &json!([2, id, action, payload]).to_string()).await;
    assert_eq!(answer[1], id, "answer correlates with the call: {answer}");
    answer
}

fn result(answer: &Value) -> &Value {
    assert_eq!(answer[0], 3, "expected a CALLRESULT: {answer}");
    &answer[2]
}

fn error_code(answer: &Value) -> &str {
    assert_eq!(answer[0], 4, "expected a CALLERROR: {answer}");
    answer[2].as_str().unwrap()
}

/// Sends a WebSocket upgrade request by hand and returns the response head.
async fn raw_upgrade(addr: SocketAddr, path: &str, protocol: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Protocol: {protocol}\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut byte))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(n, 1, "connection closed during the handshake");
        head.push(byte[0]);
    }
    String::from_utf8(head).unwrap()
}

fn http_status(e: tungstenite::Error) -> u16 {
    match e {
        tungstenite::Error::Http(response) => response.status().as_u16(),
        other => panic!("expected an HTTP refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn the_handshake_follows_ocpp_j() {
    let test_db = TestDb::new().await;
    let server = Server::start(&test_db).await;
    setup(&server.db).await;

    // Unknown charge point ID → 404.
    let e = connect(&server.url("NOPE"), Some("ocpp1.6"), None)
        .await
        .unwrap_err();
    assert_eq!(http_status(e), 404);

    // A station with a password: missing, wrong, or another station's ID as user → 401.
    let e = connect(&server.url("CP-SECURE"), Some("ocpp1.6"), None)
        .await
        .unwrap_err();
    assert_eq!(http_status(e), 401);
    let e = connect(
        &server.url("CP-SECURE"),
        Some("ocpp1.6"),
        Some(("CP-SECURE", "wrong-password-123")),
    )
    .await
    .unwrap_err();
    assert_eq!(http_status(e), 401);
    let e = connect(
        &server.url("CP-SECURE"),
        Some("ocpp1.6"),
        Some(("CP-1", STATION_PASSWORD)),
    )
    .await
    .unwrap_err();
    assert_eq!(http_status(e), 401);
    let mut ok = connect(
        &server.url("cp-secure"),
        Some("ocpp1.6"),
        Some(("CP-SECURE", STATION_PASSWORD)),
    )
    .await
    .unwrap();
    let answer = call(&mut ok, "h1", "Heartbeat", json!({})).await;
    assert!(result(&answer)["currentTime"].is_string());

    // No acceptable subprotocol: the handshake completes without it, then the server closes.
    let mut plain = connect(&server.url("CP-1"), None, None).await.unwrap();
    match tokio::time::timeout(Duration::from_secs(5), plain.next())
        .await
        .unwrap()
    {
        Some(Ok(Message::Close(Some(frame)))) => assert_eq!(u16::from(frame.code), 1002),
        other => panic!("expected a close frame, got {other:?}"),
    }
    // Offering only another OCPP version: switching protocols without the header (tungstenite's client then
    // refuses the connection itself, so this is checked on the raw HTTP answer).
    let head = raw_upgrade(server.addr, "/ocpp/CP-1", "ocpp2.0.1").await;
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    assert!(
        !head.to_ascii_lowercase().contains("sec-websocket-protocol"),
        "{head}"
    );
    server.task.abort();
}

#[tokio::test]
async fn every_supported_message_is_answered() {
    let test_db = TestDb::new().await;
    let server = Server::start(&test_db).await;
    let (admin, _) = setup(&server.db).await;
    add_tag(&admin, "04AAAB11CD2345", PassMode::Whitelist).await;
    let mut cp = connect(&server.url("CP-1"), Some("ocpp1.6"), None)
        .await
        .unwrap();

    let boot = call(&mut cp, "1", "BootNotification", json!({"chargePointVendor": "VendorX", "chargePointModel": "SingleSocketCharger", "firmwareVersion": "1.2.3"})).await;
    assert_eq!(result(&boot)["status"], "Accepted");
    assert!(result(&boot)["interval"].as_i64().unwrap() > 0);
    let status = call(&mut cp, "2", "StatusNotification", json!({"connectorId": 1, "errorCode": "NoError", "status": "Available", "timestamp": "2026-11-24T10:00:00Z"})).await;
    assert_eq!(result(&status), &json!({}));

    // The seed's path: an unknown card is refused, a whitelisted tag accepted (hex normalised).
    let unknown = call(
        &mut cp,
        "3",
        "Authorize",
        json!({"idTag": "04FFFF11CD2345"}),
    )
    .await;
    assert_eq!(result(&unknown)["idTagInfo"]["status"], "Invalid");
    let known = call(
        &mut cp,
        "4",
        "Authorize",
        json!({"idTag": "04aaab11cd2345"}),
    )
    .await;
    assert_eq!(result(&known)["idTagInfo"]["status"], "Accepted");

    let start = json!({"connectorId": 1, "idTag": "04AAAB11CD2345", "meterStart": 1000, "timestamp": "2026-11-24T10:01:00Z"});
    let started = call(&mut cp, "5", "StartTransaction", start.clone()).await;
    assert_eq!(result(&started)["idTagInfo"]["status"], "Accepted");
    let tx = result(&started)["transactionId"].as_i64().unwrap();
    // The same StartTransaction again (a retry after a reconnect) gets the same transaction.
    let again = call(&mut cp, "6", "StartTransaction", start).await;
    assert_eq!(result(&again)["transactionId"].as_i64().unwrap(), tx);

    let meter = call(&mut cp, "7", "MeterValues", json!({"connectorId": 1, "transactionId": tx, "meterValue": [{"timestamp": "2026-11-24T10:05:00Z", "sampledValue": [{"value": "2.5", "unit": "kWh", "measurand": "Energy.Active.Import.Register"}]}]})).await;
    assert_eq!(result(&meter), &json!({}));
    let stopped = call(&mut cp, "8", "StopTransaction", json!({"transactionId": tx, "meterStop": 6000, "timestamp": "2026-11-24T10:30:00Z", "reason": "Local", "transactionData": [{"timestamp": "2026-11-24T10:30:00Z", "sampledValue": [{"value": "6000"}]}]})).await;
    assert!(result(&stopped).is_object());
    // A station that stopped by itself sends no idTag; that is accepted too.
    let unknown_stop = call(
        &mut cp,
        "9",
        "StopTransaction",
        json!({"transactionId": 999999, "meterStop": 10, "timestamp": "2026-11-24T10:31:00Z"}),
    )
    .await;
    assert!(result(&unknown_stop).is_object());

    let data = call(
        &mut cp,
        "10",
        "DataTransfer",
        json!({"vendorId": "com.example", "messageId": "x"}),
    )
    .await;
    assert_eq!(result(&data)["status"], "UnknownVendorId");
    let diag = call(
        &mut cp,
        "11",
        "DiagnosticsStatusNotification",
        json!({"status": "Idle"}),
    )
    .await;
    assert_eq!(result(&diag), &json!({}));
    let fw = call(
        &mut cp,
        "12",
        "FirmwareStatusNotification",
        json!({"status": "Installed"}),
    )
    .await;
    assert_eq!(result(&fw), &json!({}));

    let transactions = admin.transactions(10).await.unwrap();
    let t = transactions
        .iter()
        .find(|t| t.id.0 == tx)
        .expect("stored transaction");
    assert_eq!(
        (t.meter_start_wh, t.meter_stop_wh, t.energy_wh),
        (1000, Some(6000), Some(5000))
    );
    assert_eq!(
        t.billing,
        Some(shared::decision::Billing::Free),
        "whitelisted: not settled"
    );
    assert_eq!(
        transactions
            .iter()
            .filter(|t| t.connector_id == 1 && t.meter_start_wh == 1000)
            .count(),
        1
    );
    server.task.abort();
}

#[tokio::test]
async fn bad_input_gets_the_right_error_code_and_never_drops_the_connection() {
    let test_db = TestDb::new().await;
    let server = Server::start(&test_db).await;
    setup(&server.db).await;
    let mut cp = connect(&server.url("CP-1"), Some("ocpp1.6"), None)
        .await
        .unwrap();
    let long_id = "x".repeat(37);
    let cases: Vec<(String, &str)> = vec![
        (r#"[2,"a1","Authorize","not an object"]"#.into(), "FormationViolation"),
        (r#"[2,"a2","Authorize"]"#.into(), "FormationViolation"),
        (format!(r#"[2,"{long_id}","Heartbeat",{{}}]"#), "FormationViolation"),
        (r#"[2,"a3","FlyToTheMoon",{}]"#.into(), "NotImplemented"),
        (r#"[2,"a4","Reset",{"type":"Hard"}]"#.into(), "NotSupported"),
        (r#"[2,"a5","Authorize",{}]"#.into(), "OccurenceConstraintViolation"),
        (r#"[2,"a6","Authorize",{"idTag":"04AAAB11CD2345FF001122"}]"#.into(), "PropertyConstraintViolation"),
        (r#"[2,"a7","Authorize",{"idTag":"04AAAB11CD2345","colour":"blue"}]"#.into(), "OccurenceConstraintViolation"),
        (r#"[2,"a8","StatusNotification",{"connectorId":"1","errorCode":"NoError","status":"Available"}]"#.into(), "TypeConstraintViolation"),
        (r#"[2,"a9","StatusNotification",{"connectorId":1,"errorCode":"NoError","status":"Sleeping"}]"#.into(), "PropertyConstraintViolation"),
        (r#"[2,"a10","StartTransaction",{"connectorId":1,"idTag":"X","meterStart":0,"timestamp":"yesterday"}]"#.into(), "PropertyConstraintViolation"),
    ];
    for (frame, code) in &cases {
        let answer = exchange(&mut cp, frame).await;
        assert_eq!(error_code(&answer), *code, "{frame} → {answer}");
    }
    // Not JSON at all (so no message id to answer), and an unknown message type: no answer, and the
    // connection lives on.
    cp.send(Message::Text(
        r#"[2,"a11","Authorize",{"idTag":"04AAAB11CD2345"]"#.into(),
    ))
    .await
    .unwrap();
    cp.send(Message::Text("this is not json".into()))
        .await
        .unwrap();
    cp.send(Message::Text(r#"[9,"z","Heartbeat",{}]"#.into()))
        .await
        .unwrap();
    let alive = call(&mut cp, "after", "Heartbeat", json!({})).await;
    assert!(result(&alive)["currentTime"].is_string());
    server.task.abort();
}

#[tokio::test]
async fn a_new_connection_replaces_the_old_one() {
    let test_db = TestDb::new().await;
    let server = Server::start(&test_db).await;
    setup(&server.db).await;
    let mut first = connect(&server.url("CP-1"), Some("ocpp1.6"), None)
        .await
        .unwrap();
    call(&mut first, "1", "Heartbeat", json!({})).await;
    let mut second = connect(&server.url("CP-1"), Some("ocpp1.6"), None)
        .await
        .unwrap();
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match first.next().await {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => continue,
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the older connection is closed");
    let answer = call(&mut second, "2", "Heartbeat", json!({})).await;
    assert!(result(&answer)["currentTime"].is_string());
    server.task.abort();
}

#[tokio::test]
async fn a_transaction_survives_a_server_restart() {
    let test_db = TestDb::new().await;
    let server = Server::start(&test_db).await;
    let (admin, org) = setup(&server.db).await;
    // Public charging here: a roaming pass is accepted and its session settled.
    admin
        .set_default_access_mode(Some(shared::station::AccessMode::RoamingAndWhitelisting))
        .await
        .unwrap();
    add_tag(&admin, "04AAAB11CD2345", PassMode::Roaming).await;
    let mut cp = connect(&server.url("CP-1"), Some("ocpp1.6"), None)
        .await
        .unwrap();
    let started = call(&mut cp, "1", "StartTransaction", json!({"connectorId": 2, "idTag": "04AAAB11CD2345", "meterStart": 500, "timestamp": "2026-11-24T10:00:00Z"})).await;
    assert_eq!(result(&started)["idTagInfo"]["status"], "Accepted");
    let tx = result(&started)["transactionId"].as_i64().unwrap();
    drop(cp);
    server.task.abort();
    drop(admin);
    drop(server);

    // A new server process on the same database file.
    let server = Server::start(&test_db).await;
    let mut cp = connect(&server.url("CP-1"), Some("ocpp1.6"), None)
        .await
        .unwrap();
    let stopped = call(&mut cp, "2", "StopTransaction", json!({"transactionId": tx, "meterStop": 2500, "timestamp": "2026-11-24T11:00:00Z", "idTag": "04AAAB11CD2345"})).await;
    assert_eq!(result(&stopped)["idTagInfo"]["status"], "Accepted");
    let admin = admin_scope(&server.db, org).await;
    let t = admin
        .transactions(10)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.id.0 == tx)
        .unwrap();
    assert_eq!(t.energy_wh, Some(2000));
    assert_eq!(
        t.billing,
        Some(shared::decision::Billing::Settled),
        "roaming pass: settled"
    );
    server.task.abort();
}

#[tokio::test]
async fn every_frame_is_logged_with_answers_paired_to_their_calls() {
    let test_db = TestDb::new().await;
    let server = Server::start(&test_db).await;
    let (admin, _) = setup(&server.db).await;
    let mut cp = connect(&server.url("CP-1"), Some("ocpp1.6"), None)
        .await
        .unwrap();
    call(
        &mut cp,
        "b1",
        "BootNotification",
        json!({"chargePointVendor": "V", "chargePointModel": "M"}),
    )
    .await;
    call(
        &mut cp,
        "t1",
        "Authorize",
        json!({"idTag": "04AAAB11CD2345"}),
    )
    .await;
    exchange(&mut cp, r#"[2,"bad","Authorize",{}]"#).await;

    // The log is written in the background: poll until the six frames are there.
    let station = admin
        .stations()
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.charge_point_id == "CP-1")
        .unwrap()
        .id;
    let mut entries = Vec::new();
    for _ in 0..50 {
        entries = admin
            .station_logs(station, &LogFilter::default())
            .await
            .unwrap();
        if entries.len() >= 6 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(entries.len(), 6, "{entries:#?}");
    let authorize = LogFilter {
        action: Some("Authorize".into()),
        ..LogFilter::default()
    };
    let tapped = admin.station_logs(station, &authorize).await.unwrap();
    assert_eq!(
        tapped.len(),
        4,
        "two Authorize calls and their answers: {tapped:#?}"
    );
    let call_entry = tapped
        .iter()
        .find(|e| e.unique_id == "t1" && e.direction == FrameDirection::Incoming)
        .unwrap();
    assert_eq!(call_entry.message_type, FrameType::Call);
    assert_eq!(call_entry.id_tag.as_deref(), Some("04AAAB11CD2345"));
    assert!(
        !call_entry.id_tag_known,
        "not a pass yet: the UI offers \"Add as pass\""
    );
    let answer = tapped
        .iter()
        .find(|e| e.unique_id == "t1" && e.direction == FrameDirection::Outgoing)
        .unwrap();
    assert_eq!(answer.message_type, FrameType::CallResult);
    assert!(answer.payload.contains("Invalid"));
    // "Logs" shows an answer's outcome without opening it: the idTagInfo status, a CALLERROR's code.
    assert_eq!(answer.outcome.as_deref(), Some("Invalid"));
    assert_eq!(call_entry.outcome, None);
    let refused = tapped
        .iter()
        .find(|e| e.unique_id == "bad" && e.direction == FrameDirection::Outgoing)
        .unwrap();
    assert_eq!(refused.message_type, FrameType::CallError);
    assert_eq!(
        refused.outcome.as_deref(),
        Some("OccurenceConstraintViolation")
    );
    assert!(refused.payload.contains("OccurenceConstraintViolation"));
    // The unknown card is listed for "Add as pass" on the station's Overview.
    let taps = admin
        .unknown_taps(station, shared::time::Timestamp(0))
        .await
        .unwrap();
    assert_eq!(
        taps.iter().map(|t| t.id_tag.as_str()).collect::<Vec<_>>(),
        ["04AAAB11CD2345"]
    );
    server.task.abort();
}

async fn session_of(db: &Db, email: &str) -> String {
    match db.login(email, ADMIN_PASSWORD).await.unwrap() {
        storage::LoginOutcome::LoggedIn { session_token, .. } => session_token,
        other => panic!("log-in failed: {other:?}"),
    }
}

#[tokio::test]
async fn taps_are_streamed_live_to_administrators_of_the_station_only() {
    let test_db = TestDb::new().await;
    let server = Server::start(&test_db).await;
    let (admin, org) = setup(&server.db).await;
    let station = admin
        .stations()
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.charge_point_id == "CP-1")
        .unwrap()
        .id;
    let path = format!("/events/stations/{station}/taps?org={org}");
    let mine = session_of(&server.db, "pat@volta.example").await;

    // Refusals: no session → 401; another partner's administrator → 404, exactly as for a missing station.
    assert_eq!(open_get(server.addr, &path, None).await.0, 401);
    let (other_org, _) = server
        .db
        .create_partner(
            &OrgName::parse("Other Partner").unwrap(),
            &PersonName::parse("Olga").unwrap(),
            &PersonName::parse("Other").unwrap(),
            &Email::parse("olga@other.example").unwrap(),
            &Password::parse(ADMIN_PASSWORD).unwrap(),
        )
        .await
        .unwrap();
    let theirs = session_of(&server.db, "olga@other.example").await;
    assert_eq!(open_get(server.addr, &path, Some(&theirs)).await.0, 404);
    let via_own_org = format!("/events/stations/{station}/taps?org={other_org}");
    assert_eq!(
        open_get(server.addr, &via_own_org, Some(&theirs)).await.0,
        404
    );
    let missing = format!("/events/stations/987654/taps?org={org}");
    assert_eq!(open_get(server.addr, &missing, Some(&mine)).await.0, 404);

    // The administrator's browser waits; the card is held against the reader; the tap arrives at once.
    let (status, mut events) = open_get(server.addr, &path, Some(&mine)).await;
    assert_eq!(status, 200);
    let mut cp = connect(&server.url("CP-1"), Some("ocpp1.6"), None)
        .await
        .unwrap();
    call(
        &mut cp,
        "t",
        "Authorize",
        json!({"idTag": "04ABCDEF012345"}),
    )
    .await;
    let received = tokio::time::timeout(Duration::from_secs(5), async {
        use tokio::io::AsyncReadExt;
        let mut text = String::new();
        let mut buf = [0u8; 512];
        while !text.contains("04ABCDEF012345") {
            let n = events.read(&mut buf).await.unwrap();
            assert!(n > 0, "stream closed");
            text.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
        text
    })
    .await
    .expect("the tap arrives within 5 s");
    assert!(received.contains("event: tap"), "{received}");
    assert!(received.contains("\"known\":false"), "{received}");
    server.task.abort();
}

async fn online(admin: &OrgAdmin, cp: &str) -> bool {
    let stations = admin.stations().await.unwrap();
    stations
        .into_iter()
        .find(|s| s.charge_point_id == cp)
        .unwrap()
        .online
}

#[tokio::test]
async fn a_station_that_stops_answering_pings_is_disconnected() {
    let test_db = TestDb::new().await;
    let server = Server::start(&test_db).await; // pings every second
    let (admin, _) = setup(&server.db).await;
    let mut cp = connect(&server.url("CP-1"), Some("ocpp1.6"), None)
        .await
        .unwrap();
    call(&mut cp, "1", "Heartbeat", json!({})).await;
    assert!(online(&admin, "CP-1").await);
    // Not reading means not answering the server's pings (tungstenite answers them only while reading).
    tokio::time::sleep(Duration::from_millis(4500)).await;
    // Within a bounded time the pings sent before the server gave up are drained and the close arrives.
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match cp.next().await {
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return true,
                Some(Ok(_)) => continue,
            }
        }
    })
    .await
    .unwrap_or(false);
    assert!(closed, "the server closed the silent connection");
    assert!(
        !online(&admin, "CP-1").await,
        "and shows the station offline"
    );
    server.task.abort();
}
