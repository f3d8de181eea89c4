//! The OCPP hot path's batching over a real WebSocket (SQLite, or PostgreSQL with CHARGEDESK_TEST_PG_URL):
//! Authorize decisions are answered once queued and stored by the log writer in batches with the frames: every
//! answered decision is stored, in order, none is lost when the server shuts down gracefully (mid-flood), and a
//! flood from one station stays within its rate limit. Station passwords now have a fast
//! hash: a flood of wrong ones is still limited per client address (the argon2 upgrade: storage's
//! tests/station_passwords.rs).

mod common;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use shared::ids::StationId;
use shared::station::{ChargePointId, StationName, StationPassword};
use shared::time::Timestamp;
use std::net::SocketAddr;
use std::time::Duration;
use storage::{Db, OrgAdmin};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const STATION_PASSWORD: &str = "s3cret-station-key";

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

struct Server {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

/// A server on `db` that shuts down gracefully (as the binary does) when `stop` is sent.
fn start(db: &Db, config: server::central_system::OcppConfig) -> Server {
    // A raw socket plays the station here and answers no CALL: the list sync is tests/local_list.rs'.
    let config = server::central_system::OcppConfig {
        local_list_sync: false,
        ..config
    };
    let (router, hub) = server::router_and_hub(
        db.clone(),
        server::leptos_options().unwrap(),
        config,
        server::http::WebConfig::default(),
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        server::http::serve_until_stopped(
            listener,
            router,
            &hub,
            async {
                let _ = stopped.await;
            },
            server::http::ServeConfig::default(),
        )
        .await
        .unwrap();
    });
    Server {
        addr,
        stop: Some(stop),
        task,
    }
}

/// A partner with the station `CP-HOT` (password [`STATION_PASSWORD`]) and its administrator.
async fn setup(db: &Db) -> (OrgAdmin, StationId) {
    let (_, admin, _) = common::partner_admin(db).await;
    let station = admin
        .add_station(
            &ChargePointId::parse("CP-HOT").unwrap(),
            &StationName::parse("Busy depot").unwrap(),
            Some(&StationPassword::parse(STATION_PASSWORD).unwrap()),
        )
        .await
        .unwrap();
    (admin, station)
}

async fn connect(addr: SocketAddr, password: &str) -> Result<Socket, tungstenite::Error> {
    let request = common::station_request(addr, "CP-HOT", password);
    tokio_tungstenite::connect_async(request)
        .await
        .map(|(socket, _)| socket)
}

fn status(e: tungstenite::Error) -> u16 {
    match e {
        tungstenite::Error::Http(response) => response.status().as_u16(),
        other => panic!("expected an HTTP refusal, got {other:?}"),
    }
}

fn authorize(i: usize) -> Message {
    Message::Text(
        json!([2, format!("a{i}"), "Authorize", {"idTag": tag(i)}])
            .to_string()
            .into(),
    )
}

/// A distinct unknown card per call.
fn tag(i: usize) -> String {
    format!("UNKNOWN-{i:04}")
}

/// The next text frame, or `None` when the connection ends.
async fn next_text(socket: &mut Socket) -> Option<Value> {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("a frame or the end within 10 s");
        match message {
            Some(Ok(Message::Text(text))) => {
                return Some(serde_json::from_str(text.as_str()).unwrap())
            }
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
            Some(Ok(_)) => {}
        }
    }
}

#[tokio::test]
async fn every_answered_authorize_is_stored_in_order_with_the_next_batch() {
    let (_dir, db) = common::fresh_db().await;
    let (admin, station) = setup(&db).await;
    let mut server = start(&db, Default::default());
    let mut socket = connect(server.addr, STATION_PASSWORD).await.unwrap();
    let since = Timestamp(0);
    // Sent at once (within the burst), so that the writer batches them.
    const CALLS: usize = 60;
    for i in 0..CALLS {
        socket.send(authorize(i)).await.unwrap();
    }
    for i in 0..CALLS {
        let answer = next_text(&mut socket).await.expect("an answer");
        assert_eq!(answer[0], 3, "{answer}");
        assert_eq!(answer[1], format!("a{i}"));
        assert_eq!(answer[2]["idTagInfo"]["status"], "Invalid");
    }
    // Answered once queued: stored with the writer's next batch (within its linger of 100 ms when the database
    // keeps up), all of them, in the order they were taken.
    let newest_first: Vec<String> = (0..CALLS).rev().map(tag).collect();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let taps = admin.unknown_taps(station, since).await.unwrap();
        let stored: Vec<String> = taps.into_iter().map(|t| t.id_tag).collect();
        if stored.len() == CALLS {
            assert_eq!(stored, newest_first);
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {} of {CALLS} answered decisions stored",
            stored.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(server.stop.take());
    server.task.await.unwrap();
}

#[tokio::test]
async fn no_decision_is_lost_when_the_server_shuts_down_gracefully() {
    let (_dir, db) = common::fresh_db().await;
    let (admin, station) = setup(&db).await;
    let mut server = start(&db, Default::default());
    let mut socket = connect(server.addr, STATION_PASSWORD).await.unwrap();
    const CALLS: usize = 80;
    for i in 0..CALLS {
        socket.send(authorize(i)).await.unwrap();
    }
    // The shutdown begins while the calls are being processed.
    let _ = server.stop.take().unwrap().send(());
    let mut answered = Vec::new();
    while let Some(answer) = next_text(&mut socket).await {
        if answer[0] == 3 {
            answered.push(answer[1].as_str().unwrap().to_owned());
        }
    }
    tokio::time::timeout(Duration::from_secs(30), server.task)
        .await
        .expect("the server stops")
        .unwrap();
    // Every decision the station was told about is stored, after the shutdown too.
    let stored: Vec<String> = admin
        .unknown_taps(station, Timestamp(0))
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id_tag)
        .collect();
    for id in &answered {
        let i: usize = id[1..].parse().unwrap();
        assert!(stored.contains(&tag(i)), "answered {id} but not stored");
    }
    assert!(stored.len() >= answered.len());
}

#[tokio::test]
async fn a_flood_of_authorize_from_one_station_is_still_rate_limited() {
    let (_dir, db) = common::fresh_db().await;
    let (admin, station) = setup(&db).await;
    let config = server::central_system::OcppConfig {
        // A raw socket plays the station here and answers no CALL: the list sync is tests/local_list.rs'.
        local_list_sync: false,
        calls_per_sec: std::num::NonZeroU32::new(1).unwrap(),
        call_burst: std::num::NonZeroU32::new(10).unwrap(),
        ..Default::default()
    };
    let mut server = start(&db, config);
    let mut socket = connect(server.addr, STATION_PASSWORD).await.unwrap();
    // Over the burst at once: the excess is refused with a CALLERROR before it is decided, so it is neither
    // queued nor stored.
    const SENT: usize = 18;
    for i in 0..SENT {
        socket.send(authorize(i)).await.unwrap();
    }
    let (mut accepted, mut refused) = (0, 0);
    for _ in 0..SENT {
        let answer = next_text(&mut socket)
            .await
            .expect("an answer to every call");
        match answer[0].as_i64() {
            Some(3) => accepted += 1,
            Some(4) => refused += 1,
            _ => panic!("{answer}"),
        }
    }
    assert!(
        accepted <= 12,
        "at most the burst (and a refill): {accepted}"
    );
    assert!(refused >= 6, "{refused}");
    // The graceful stop stores what is queued.
    drop(server.stop.take());
    server.task.await.unwrap();
    let stored = admin.unknown_taps(station, Timestamp(0)).await.unwrap();
    assert_eq!(
        stored.len(),
        accepted,
        "only the accepted calls were decided and stored"
    );
}

#[tokio::test]
async fn a_flood_of_wrong_station_passwords_is_still_limited_per_address() {
    let (_dir, db) = common::fresh_db().await;
    setup(&db).await;
    let config = server::central_system::OcppConfig {
        // A raw socket plays the station here and answers no CALL: the list sync is tests/local_list.rs'.
        local_list_sync: false,
        handshake_failures_per_min: std::num::NonZeroU32::new(5).unwrap(),
        ..Default::default()
    };
    let mut server = start(&db, config);
    let mut statuses = Vec::new();
    for i in 0..40 {
        statuses.push(status(
            connect(server.addr, &format!("wrong-password-{i:04}"))
                .await
                .unwrap_err(),
        ));
    }
    assert!(statuses[..5].iter().all(|s| *s == 401), "{statuses:?}");
    assert!(statuses[5..].iter().all(|s| *s == 429), "{statuses:?}");
    // Even the right password waits until the address has room again.
    assert_eq!(
        status(connect(server.addr, STATION_PASSWORD).await.unwrap_err()),
        429
    );
    drop(server.stop.take());
    server.task.await.unwrap();
}
