//! The OCPP endpoint under attack, over real WebSockets on loopback against the real router: credentials that
//! change under an open connection, browser pages opening OCPP connections, guessing charge point IDs and
//! passwords, flooding a connection, connector numbers out of range, a noisy station drowning another's taps,
//! a tap stream outliving its session, and a StopTransaction answer that would tell a station to keep
//! accepting a deleted card.

mod common;

use common::open_get;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use shared::ids::StationId;
use shared::mode::PassMode;
use shared::names::{Email, Nickname, PersonName};
use shared::pass_id::{check_pass_id, PassIdKind};
use shared::role::Role;
use shared::station::{ChargePointId, StationName, StationPassword};
use shared::OrgId;
use std::net::SocketAddr;
use std::time::Duration;
use storage::{Db, OrgAdmin};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::WebSocketStream;

const STATION_PASSWORD: &str = "s3cret-station-key";
const NEW_PASSWORD: &str = "brand-new-station-key";
const TAG: &str = "04AAAB11CD2345";

struct Server {
    addr: SocketAddr,
    db: Db,
    task: tokio::task::JoinHandle<()>,
    _db: common::TestDb,
}

impl Server {
    /// The real router with `config` (the ping interval shortened), served by the binary's loop (which
    /// records each request's peer address).
    async fn start(config: server::central_system::OcppConfig) -> Server {
        let test_db = common::TestDb::new().await;
        let db = test_db.open().await;
        let router = server::router_with(db.clone(), server::leptos_options().unwrap(), config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            server::http::serve(listener, router, std::future::pending())
                .await
                .unwrap();
        });
        Server {
            addr,
            db,
            task,
            _db: test_db,
        }
    }

    async fn default() -> Server {
        Self::start(config()).await
    }

    fn url(&self, cp: &str) -> String {
        format!("ws://{}/ocpp/{cp}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn config() -> server::central_system::OcppConfig {
    server::central_system::OcppConfig {
        // A raw socket plays the station here and answers no CALL: the list sync is tests/local_list.rs'.
        local_list_sync: false,
        ping_interval: Duration::from_secs(5),
        ..Default::default()
    }
}

/// The partner "Volta Partners" with stations `CP-1` and `CP-2` and `CP-SECURE`, all with [`STATION_PASSWORD`].
async fn setup(db: &Db) -> (OrgAdmin, OrgId) {
    let (org, admin, _) = common::partner_admin(db).await;
    for cp in ["CP-1", "CP-2", "CP-SECURE"] {
        admin
            .add_station(
                &ChargePointId::parse(cp).unwrap(),
                &StationName::parse("Depot charger").unwrap(),
                Some(&StationPassword::parse(STATION_PASSWORD).unwrap()),
            )
            .await
            .unwrap();
    }
    (admin, org)
}

async fn station_id(admin: &OrgAdmin, cp: &str) -> StationId {
    admin
        .stations()
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.charge_point_id == cp)
        .unwrap()
        .id
}

async fn add_tag(admin: &OrgAdmin, uid: &str) -> shared::PassId {
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
        .add_pass(
            user,
            &id,
            &Nickname::parse("Tag").unwrap(),
            PassMode::Whitelist,
        )
        .await
        .unwrap()
}

type Socket = WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

/// A station's WebSocket upgrade: subprotocol ocpp1.6, Basic credentials, extra headers; from `from` (a
/// loopback address) when given.
async fn connect_from(
    from: Option<&str>,
    url: &str,
    basic: Option<(&str, &str)>,
    headers: &[(&str, &str)],
) -> Result<Socket, tungstenite::Error> {
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("ocpp1.6"),
    );
    if let Some((user, password)) = basic {
        use base64::Engine;
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        request.headers_mut().insert(
            "Authorization",
            HeaderValue::from_str(&format!("Basic {token}")).unwrap(),
        );
    }
    for (name, value) in headers {
        request.headers_mut().insert(
            tungstenite::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    let host: SocketAddr = request.uri().authority().unwrap().as_str().parse().unwrap();
    let socket = TcpSocket::new_v4().unwrap();
    if let Some(from) = from {
        socket
            .bind(SocketAddr::new(from.parse().unwrap(), 0))
            .unwrap();
    }
    let stream = socket.connect(host).await.unwrap();
    tokio_tungstenite::client_async(request, tokio_tungstenite::MaybeTlsStream::Plain(stream))
        .await
        .map(|(socket, _)| socket)
}

async fn connect(url: &str, password: &str) -> Result<Socket, tungstenite::Error> {
    let cp = url.rsplit('/').next().unwrap().to_owned();
    connect_from(None, url, Some((&cp, password)), &[]).await
}

/// The HTTP status of a refused upgrade, and its `Retry-After` header.
fn refusal(e: tungstenite::Error) -> (u16, Option<String>) {
    match e {
        tungstenite::Error::Http(response) => (
            response.status().as_u16(),
            response
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_owned()),
        ),
        other => panic!("expected an HTTP refusal, got {other:?}"),
    }
}

async fn next_message(socket: &mut Socket) -> Option<Message> {
    tokio::time::timeout(Duration::from_secs(10), socket.next())
        .await
        .expect("something within 10 s")
        .and_then(Result::ok)
}

async fn next_text(socket: &mut Socket) -> Value {
    loop {
        match next_message(socket).await.expect("connection open") {
            Message::Text(text) => return serde_json::from_str(text.as_str()).unwrap(),
            Message::Close(frame) => panic!("closed: {frame:?}"),
            _ => continue,
        }
    }
}

async fn call(socket: &mut Socket, id: &str, action: &str, payload: Value) -> Value {
    socket
        .send(Message::Text(
            json!([2, id, action, payload]).to_string().into(),
        ))
        .await
        .unwrap();
    let answer = next_text(socket).await;
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

/// Reads until the server closes the connection; returns the close code if it sent a close frame.
async fn closed(socket: &mut Socket) -> Option<CloseCode> {
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| f.code),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return None,
            }
        }
    })
    .await
    .expect("the server closes the connection within 10 s")
}

// ---------------------------------------------------------------------------------------------------------------
// 1. Credentials that change under an open connection
// ---------------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn changing_a_station_password_closes_its_open_connection_at_once() {
    let server = Server::default().await;
    let (admin, _) = setup(&server.db).await;
    let station = station_id(&admin, "CP-SECURE").await;
    let mut old = connect(&server.url("CP-SECURE"), STATION_PASSWORD)
        .await
        .unwrap();
    let mut other = connect(&server.url("CP-1"), STATION_PASSWORD)
        .await
        .unwrap();
    call(&mut old, "1", "Heartbeat", json!({})).await;

    admin
        .set_station_password(
            station,
            Some(&StationPassword::parse(NEW_PASSWORD).unwrap()),
        )
        .await
        .unwrap();
    assert_eq!(closed(&mut old).await, Some(CloseCode::Normal));
    // Another station's connection is not touched.
    let answer = call(&mut other, "2", "Heartbeat", json!({})).await;
    assert!(result(&answer)["currentTime"].is_string());

    // The old password no longer opens a connection; the new one does.
    let e = connect(&server.url("CP-SECURE"), STATION_PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(refusal(e).0, 401);
    let mut new = connect(&server.url("CP-SECURE"), NEW_PASSWORD)
        .await
        .unwrap();
    let answer = call(&mut new, "3", "Heartbeat", json!({})).await;
    assert!(result(&answer)["currentTime"].is_string());
}

// ---------------------------------------------------------------------------------------------------------------
// 2. Browser pages opening OCPP connections
// ---------------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn an_upgrade_from_a_browser_origin_is_refused_unless_allowed() {
    let server = Server::start(server::central_system::OcppConfig {
        // A raw socket plays the station here and answers no CALL: the list sync is tests/local_list.rs'.
        local_list_sync: false,
        allowed_origins: vec!["https://ops.example.com".into()],
        ..config()
    })
    .await;
    setup(&server.db).await;
    let url = server.url("CP-1");
    let creds = Some(("CP-1", STATION_PASSWORD));

    // A page on another site (e.g. one the operator visits) cannot ride on the operator's network.
    for origin in [
        "https://evil.example",
        "null",
        "https://ops.example.com.evil.example",
    ] {
        let e = connect_from(None, &url, creds, &[("Origin", origin)])
            .await
            .unwrap_err();
        assert_eq!(refusal(e).0, 403, "{origin}");
    }
    // Refused before the station is even looked up: an unknown ID is 403 too, not 404.
    let e = connect_from(
        None,
        &server.url("NO-SUCH-CP"),
        None,
        &[("Origin", "https://evil.example")],
    )
    .await
    .unwrap_err();
    assert_eq!(refusal(e).0, 403);

    // The allowed origin, and a station (which sends none), connect.
    connect_from(None, &url, creds, &[("Origin", "https://ops.example.com")])
        .await
        .unwrap();
    connect_from(None, &url, creds, &[]).await.unwrap();
}

// ---------------------------------------------------------------------------------------------------------------
// 3. Guessing charge point IDs and passwords
// ---------------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn failed_handshakes_are_limited_per_client_address() {
    let server = Server::start(server::central_system::OcppConfig {
        // A raw socket plays the station here and answers no CALL: the list sync is tests/local_list.rs'.
        local_list_sync: false,
        handshake_failures_per_min: std::num::NonZeroU32::new(3).unwrap(),
        ..config()
    })
    .await;
    setup(&server.db).await;
    let attacker = "127.0.0.2";

    // Successful connections never count, however many (a site reconnecting all its stations).
    for _ in 0..10 {
        connect_from(
            Some(attacker),
            &server.url("CP-1"),
            Some(("CP-1", STATION_PASSWORD)),
            &[],
        )
        .await
        .unwrap();
    }
    // Unknown IDs keep their 404 and wrong passwords their 401 while the address has failures left ...
    let guesses = [
        ("GUESS-1", None),
        ("GUESS-2", None),
        ("CP-SECURE", Some(("CP-SECURE", "wrong-password-123"))),
    ];
    for (cp, creds) in guesses {
        let e = connect_from(Some(attacker), &server.url(cp), creds, &[])
            .await
            .unwrap_err();
        let status = refusal(e).0;
        assert!(status == 404 || status == 401, "{cp}: {status}");
    }
    // ... then every upgrade from that address gets 429 with Retry-After, even with the right password.
    for (cp, creds) in [
        ("GUESS-3", None),
        ("CP-SECURE", Some(("CP-SECURE", STATION_PASSWORD))),
    ] {
        let e = connect_from(Some(attacker), &server.url(cp), creds, &[])
            .await
            .unwrap_err();
        let (status, retry_after) = refusal(e);
        assert_eq!(status, 429, "{cp}");
        let secs: u64 = retry_after.expect("Retry-After").parse().unwrap();
        assert!((1..=60).contains(&secs), "{secs}");
    }
    // Another address is not affected.
    let e = connect_from(Some("127.0.0.3"), &server.url("GUESS-4"), None, &[])
        .await
        .unwrap_err();
    assert_eq!(refusal(e).0, 404);
    connect_from(
        Some("127.0.0.3"),
        &server.url("CP-SECURE"),
        Some(("CP-SECURE", STATION_PASSWORD)),
        &[],
    )
    .await
    .unwrap();
}

// ---------------------------------------------------------------------------------------------------------------
// 5. StopTransaction's idTagInfo
// ---------------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn stop_transaction_answers_the_id_tag_as_authorize_would() {
    let server = Server::default().await;
    let (admin, _) = setup(&server.db).await;
    let pass = add_tag(&admin, TAG).await;
    let mut cp = connect(&server.url("CP-1"), STATION_PASSWORD)
        .await
        .unwrap();
    let start = |connector: i64| json!({"connectorId": connector, "idTag": TAG, "meterStart": 0, "timestamp": "2026-11-24T10:00:00Z"});
    let stop = |tx: i64, tag: &str| json!({"transactionId": tx, "meterStop": 100, "timestamp": "2026-11-24T11:00:00Z", "idTag": tag});

    // A whitelisted card: Accepted.
    let started = call(&mut cp, "1", "StartTransaction", start(1)).await;
    let tx = result(&started)["transactionId"].as_i64().unwrap();
    let stopped = call(&mut cp, "2", "StopTransaction", stop(tx, TAG)).await;
    assert_eq!(result(&stopped)["idTagInfo"]["status"], "Accepted");

    // The pass is deleted while a session runs: the stop must not tell the station the card is still good.
    let started = call(&mut cp, "3", "StartTransaction", start(2)).await;
    let tx = result(&started)["transactionId"].as_i64().unwrap();
    admin.delete_pass(pass).await.unwrap();
    let stopped = call(&mut cp, "4", "StopTransaction", stop(tx, TAG)).await;
    let status = &result(&stopped)["idTagInfo"]["status"];
    assert_ne!(status, "Accepted");
    let authorized = call(&mut cp, "5", "Authorize", json!({"idTag": TAG})).await;
    assert_eq!(
        &result(&authorized)["idTagInfo"]["status"],
        status,
        "the same answer as Authorize"
    );

    // A card nobody knows, on a transaction nobody knows: Invalid.
    let stopped = call(
        &mut cp,
        "6",
        "StopTransaction",
        stop(987654, "04FFFF11CD2345"),
    )
    .await;
    assert_eq!(result(&stopped)["idTagInfo"]["status"], "Invalid");
    // Without an idTag there is nothing to answer about it.
    let stopped = call(
        &mut cp,
        "7",
        "StopTransaction",
        json!({"transactionId": tx, "meterStop": 100, "timestamp": "2026-11-24T11:00:00Z"}),
    )
    .await;
    assert!(result(&stopped).get("idTagInfo").is_none());
}

// ---------------------------------------------------------------------------------------------------------------
// 6. Flooding a connection
// ---------------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn calls_over_the_rate_limit_are_refused_and_a_flood_is_disconnected() {
    let server = Server::start(server::central_system::OcppConfig {
        // A raw socket plays the station here and answers no CALL: the list sync is tests/local_list.rs'.
        local_list_sync: false,
        calls_per_sec: std::num::NonZeroU32::new(1).unwrap(),
        call_burst: std::num::NonZeroU32::new(3).unwrap(),
        ..config()
    })
    .await;
    let (admin, _) = setup(&server.db).await;
    let station = station_id(&admin, "CP-1").await;
    let mut cp = connect(&server.url("CP-1"), STATION_PASSWORD)
        .await
        .unwrap();

    // A burst of three is answered; the fourth CALL, sent right after, is refused and not processed.
    let status = |n: i64| json!([2, format!("s{n}"), "StatusNotification", {"connectorId": n, "errorCode": "NoError", "status": "Available"}]);
    for n in 1..=4 {
        cp.send(Message::Text(status(n).to_string().into()))
            .await
            .unwrap();
    }
    for n in 1..=3 {
        let answer = next_text(&mut cp).await;
        assert_eq!(answer[1], format!("s{n}"));
        result(&answer);
    }
    let refused = next_text(&mut cp).await;
    assert_eq!(refused[1], "s4");
    assert_eq!(error_code(&refused), "GenericError");
    assert!(
        refused[3].as_str().unwrap().contains("rate limit"),
        "{refused}"
    );
    let connectors: Vec<i64> = admin
        .station(station)
        .await
        .unwrap()
        .summary
        .connectors
        .iter()
        .map(|c| c.connector_id)
        .collect();
    assert_eq!(
        connectors,
        [1, 2, 3],
        "the refused StatusNotification stored nothing"
    );

    // Keeping on flooding: more than a burst's worth refused in a row closes the connection (policy, 1008).
    for n in 5..=20 {
        if cp
            .send(Message::Text(status(n).to_string().into()))
            .await
            .is_err()
        {
            break;
        }
    }
    assert_eq!(closed(&mut cp).await, Some(CloseCode::Policy));
}

// ---------------------------------------------------------------------------------------------------------------
// 8. Connector numbers out of range
// ---------------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn connector_ids_above_the_limit_are_refused_and_nothing_is_stored() {
    let server = Server::start(server::central_system::OcppConfig {
        // A raw socket plays the station here and answers no CALL: the list sync is tests/local_list.rs'.
        local_list_sync: false,
        max_connectors: 2,
        ..config()
    })
    .await;
    let (admin, _) = setup(&server.db).await;
    add_tag(&admin, TAG).await;
    let station = station_id(&admin, "CP-1").await;
    let mut cp = connect(&server.url("CP-1"), STATION_PASSWORD)
        .await
        .unwrap();

    let too_high = [
        (
            "StatusNotification",
            json!({"connectorId": 3, "errorCode": "NoError", "status": "Available"}),
        ),
        (
            "StartTransaction",
            json!({"connectorId": 3, "idTag": TAG, "meterStart": 0, "timestamp": "2026-11-24T10:00:00Z"}),
        ),
        (
            "MeterValues",
            json!({"connectorId": 99, "meterValue": [{"timestamp": "2026-11-24T10:05:00Z", "sampledValue": [{"value": "2500"}]}]}),
        ),
    ];
    for (i, (action, payload)) in too_high.into_iter().enumerate() {
        let answer = call(&mut cp, &format!("x{i}"), action, payload).await;
        assert_eq!(
            error_code(&answer),
            "PropertyConstraintViolation",
            "{action}"
        );
        assert!(
            answer[3]
                .as_str()
                .unwrap()
                .contains("limit of 2 connectors"),
            "{answer}"
        );
    }
    let detail = admin.station(station).await.unwrap();
    let connectors = &detail.summary.connectors;
    assert!(connectors.is_empty(), "{connectors:?}");
    assert!(admin.transactions(10).await.unwrap().is_empty());

    // Up to the limit all is well.
    let answer = call(
        &mut cp,
        "ok",
        "StatusNotification",
        json!({"connectorId": 2, "errorCode": "NoError", "status": "Available"}),
    )
    .await;
    result(&answer);
}

// ---------------------------------------------------------------------------------------------------------------
// 9, 10. Tap streams
// ---------------------------------------------------------------------------------------------------------------

/// Reads the event stream until `until` appears in it or it ends; returns what was read and whether it ended.
async fn read_events(events: &mut TcpStream, until: &str) -> (String, bool) {
    tokio::time::timeout(Duration::from_secs(10), async {
        let mut text = String::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = events.read(&mut buf).await.unwrap_or(0);
            if n == 0 {
                return (text, true);
            }
            text.push_str(&String::from_utf8_lossy(&buf[..n]));
            // The end of a chunked body: the stream ended, the connection stays open.
            if text.ends_with("\r\n0\r\n\r\n") || text.starts_with("0\r\n\r\n") {
                return (text, true);
            }
            if !until.is_empty() && text.contains(until) {
                return (text, false);
            }
        }
    })
    .await
    .expect("within 10 s")
}

#[tokio::test]
async fn a_noisy_station_does_not_drown_another_stations_taps() {
    let server = Server::start(server::central_system::OcppConfig {
        // A raw socket plays the station here and answers no CALL: the list sync is tests/local_list.rs'.
        local_list_sync: false,
        calls_per_sec: std::num::NonZeroU32::new(10_000).unwrap(),
        call_burst: std::num::NonZeroU32::new(10_000).unwrap(),
        ..config()
    })
    .await;
    let (admin, org) = setup(&server.db).await;
    let quiet = station_id(&admin, "CP-2").await;
    let noisy = station_id(&admin, "CP-1").await;
    let session = common::login_token(&server.db, "pat@volta.example").await;
    let (status, mut quiet_events) = open_get(
        server.addr,
        &format!("/events/stations/{quiet}/taps?org={org}"),
        Some(&session),
    )
    .await;
    assert_eq!(status, 200);
    // Someone watches the noisy station too, so its taps are really published.
    let (status, _noisy_events) = open_get(
        server.addr,
        &format!("/events/stations/{noisy}/taps?org={org}"),
        Some(&session),
    )
    .await;
    assert_eq!(status, 200);

    let mut flood = connect(&server.url("CP-1"), STATION_PASSWORD)
        .await
        .unwrap();
    let mut quiet_cp = connect(&server.url("CP-2"), STATION_PASSWORD)
        .await
        .unwrap();
    let quiet_tap = "04ABCDEF012345";
    call(&mut quiet_cp, "q", "Authorize", json!({"idTag": quiet_tap})).await;
    for i in 0..400 {
        flood
            .send(Message::Text(
                json!([2, format!("f{i}"), "Authorize", {"idTag": format!("04{i:012X}")}])
                    .to_string()
                    .into(),
            ))
            .await
            .unwrap();
    }
    for _ in 0..400 {
        result(&next_text(&mut flood).await);
    }
    let (text, ended) = read_events(&mut quiet_events, quiet_tap).await;
    assert!(!ended, "{text}");
    assert!(text.contains(quiet_tap), "{text}");
    assert!(
        !text.contains("0400000000"),
        "only its own station's taps: {text}"
    );
}

#[tokio::test]
async fn a_tap_stream_ends_when_its_session_is_logged_out() {
    let server = Server::start(server::central_system::OcppConfig {
        // A raw socket plays the station here and answers no CALL: the list sync is tests/local_list.rs'.
        local_list_sync: false,
        tap_recheck_interval: Duration::from_millis(200),
        ..config()
    })
    .await;
    let (admin, org) = setup(&server.db).await;
    let station = station_id(&admin, "CP-1").await;
    let session = common::login_token(&server.db, "pat@volta.example").await;
    let path = format!("/events/stations/{station}/taps?org={org}");
    let (status, mut events) = open_get(server.addr, &path, Some(&session)).await;
    assert_eq!(status, 200);

    server.db.logout(&session).await.unwrap();
    let (text, ended) = read_events(&mut events, "").await;
    assert!(ended, "{text}");
    // And it cannot be opened again with that session.
    assert_eq!(open_get(server.addr, &path, Some(&session)).await.0, 401);
}
