//! Graceful shutdown and failover with real server processes: SIGTERM closes every station connection with
//! 1001 "going away" (so that the station reconnects elsewhere), ends tap streams, refuses new connections,
//! stores the frame log and exits 0; after `kill -9` of one instance a station completes its transaction on
//! another instance of the same PostgreSQL database, and a browser on one instance sees what a station does on
//! the other.
//!
//! The PostgreSQL tests need `CHARGEDESK_TEST_PG_URL` (see `scripts/pg.sh`); without it they print a note and
//! pass.

mod common;

use common::instances::{http_request, Browser, Instance, Station};
use serde_json::{json, Value};
use shared::ids::StationId;
use shared::model::{FrameDirection, FrameType, LogFilter, OcppLogEntry};
use shared::OrgId;
use std::ffi::OsString;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use storage::test_support::{postgres_admin_url, TestDb};
use storage::{Db, OrgAdmin, DEMO_PASSWORD, DEMO_STATIONS};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The demo's partner administrator (sees every demo station).
const EVA: &str = "eva@volta-partners.example";
/// The demo station of De Kroon Logistics, where [`FATIMA_TAG`] is whitelisted.
const LOGISTICS: usize = 1;
/// The demo station at the brewery.
const KROON: usize = 0;
/// Fatima's "Delivery van tag" (Whitelist at De Kroon Logistics): Accepted at [`LOGISTICS`].
const FATIMA_TAG: &str = "04A1B2C3D4E5F6";
/// The grace period the tests give a shutdown: they wait for the exit well within it.
const GRACE_SECS: &str = "30";
/// How long the tests wait for an instance to exit after SIGTERM (a failure guard, below [`GRACE_SECS`]).
const EXIT_WITHIN: Duration = Duration::from_secs(20);

fn data_dir_args(dir: &std::path::Path) -> Vec<OsString> {
    vec!["--data-dir".into(), dir.into()]
}

/// Connects as demo station `index` with its published password.
async fn demo_station(instance: &Instance, index: usize) -> Station {
    let demo = &DEMO_STATIONS[index];
    Station::connect(
        &instance.ocpp_url(demo.charge_point_id),
        Some((demo.charge_point_id, demo.password)),
    )
    .await
    .unwrap_or_else(|e| panic!("{} connects: {e}", demo.charge_point_id))
}

async fn boot(station: &mut Station) {
    let booted = station
        .call(
            "BootNotification",
            json!({"chargePointVendor": "ChargeDesk tests", "chargePointModel": "Shutdown"}),
        )
        .await;
    assert_eq!(booted["status"], "Accepted");
}

/// Eva's administrator scope of her partner organization, over `db` (the tests' own view of the database).
async fn eva(db: &Db) -> OrgAdmin {
    let storage::LoginOutcome::LoggedIn { session_token, .. } =
        db.login(EVA, DEMO_PASSWORD).await.unwrap()
    else {
        panic!("Eva's log-in failed")
    };
    let caller = db.caller(&session_token).await.unwrap().unwrap();
    let org = caller.me().home_org.as_ref().expect("Eva administers").id;
    caller.admin_of(db, org).await.unwrap()
}

async fn station_id(admin: &OrgAdmin, index: usize) -> StationId {
    admin
        .stations()
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.charge_point_id == DEMO_STATIONS[index].charge_point_id)
        .expect("demo station")
        .id
}

async fn online(admin: &OrgAdmin, index: usize) -> bool {
    admin
        .stations()
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.charge_point_id == DEMO_STATIONS[index].charge_point_id)
        .expect("demo station")
        .online
}

/// The station's frame log, oldest first.
async fn frames(admin: &OrgAdmin, station: StationId) -> Vec<OcppLogEntry> {
    let mut frames = admin
        .station_logs(
            station,
            &LogFilter {
                limit: shared::model::LOG_PAGE_MAX,
                ..LogFilter::default()
            },
        )
        .await
        .unwrap();
    frames.reverse();
    frames
}

/// Eva's browser on `instance`: her session and her organization.
async fn eva_browser(addr: SocketAddr) -> (Browser, OrgId) {
    let browser = Browser::login(addr, EVA, DEMO_PASSWORD).await;
    let me = browser.call("current_user", &[]).await;
    let org: OrgId = serde_json::from_value(me["home_org"]["id"].clone()).expect("home org id");
    (browser, org)
}

/// What Eva's "Assets" list on `browser`'s instance says about demo station `index`.
async fn listed_station(browser: &Browser, org: OrgId, index: usize) -> Value {
    let stations = browser
        .call("list_stations", &[("org", &org.to_string())])
        .await;
    stations
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["charge_point_id"] == DEMO_STATIONS[index].charge_point_id)
        .expect("the station is listed")
        .clone()
}

/// The meter reading the tests' sessions start at; the demo's history (storage's `seed_history`) has meters
/// from 1,000,000 Wh up, so its sessions are told apart by this.
const TEST_METER_START: i64 = 1000;

/// Eva's "Transactions" list on `browser`'s instance, for demo station `index`: the sessions the test made (the
/// demo's history left out).
async fn listed_transactions(browser: &Browser, org: OrgId, index: usize) -> Vec<Value> {
    let transactions = browser
        .call("list_transactions", &[("org", &org.to_string())])
        .await;
    transactions["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["charge_point_id"] == DEMO_STATIONS[index].charge_point_id)
        .filter(|t| t["meter_start_wh"] == TEST_METER_START)
        .cloned()
        .collect()
}

// --- One process -------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_closes_stations_with_going_away_ends_tap_streams_stores_the_log_and_exits_0() {
    let data = tempfile::tempdir().unwrap();
    let mut server = Instance::start(
        &data_dir_args(data.path()),
        true,
        &[("CHARGEDESK_SHUTDOWN_GRACE_SECS", GRACE_SECS)],
    )
    .await;
    let (browser, org) = eva_browser(server.addr).await;
    let listed = listed_station(&browser, org, LOGISTICS).await;
    let station_id = listed["id"].as_i64().unwrap();

    // An administrator waits at "Scan at a station".
    let cookie = browser.session_cookie().to_owned();
    let (status, mut taps) = common::open_get(
        server.addr,
        &format!("/events/stations/{station_id}/taps?org={org}"),
        Some(&cookie),
    )
    .await;
    assert_eq!(status, 200);

    let mut station = demo_station(&server, LOGISTICS).await;
    boot(&mut station).await;
    let authorized = station
        .call("Authorize", json!({"idTag": FATIMA_TAG}))
        .await;
    assert_eq!(authorized["idTagInfo"]["status"], "Accepted");
    assert_eq!(
        listed_station(&browser, org, LOGISTICS).await["online"],
        true
    );
    // The last frames are sent right before the signal: they are still in the frame-log queue (it stores in
    // batches) when the shutdown begins.
    station.call("Heartbeat", json!({})).await;

    server.terminate();
    let close = station
        .closed(EXIT_WITHIN)
        .await
        .expect("a close frame, not a dropped connection");
    assert_eq!(u16::from(close.code), 1001, "going away: {close:?}");
    assert!(close.reason.contains("reconnect"), "{close:?}");

    // The server no longer accepts connections: a station trying again now is refused (and goes elsewhere).
    match Station::connect(
        &server.ocpp_url(DEMO_STATIONS[LOGISTICS].charge_point_id),
        Some((
            DEMO_STATIONS[LOGISTICS].charge_point_id,
            DEMO_STATIONS[LOGISTICS].password,
        )),
    )
    .await
    {
        Err(tokio_tungstenite::tungstenite::Error::Io(e)) => {
            assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused, "{e}")
        }
        Err(e) => panic!("refused at the TCP level, not {e}"),
        Ok(_) => panic!("a connection after the signal was accepted"),
    }

    // The tap stream ended (its response complete), so that the browser's EventSource reconnects.
    let mut received = Vec::new();
    tokio::time::timeout(EXIT_WITHIN, taps.read_to_end(&mut received))
        .await
        .expect("the tap stream ends")
        .expect("read the tap stream");
    let received = String::from_utf8_lossy(&received);
    assert!(
        received.contains("event: tap") && received.contains(FATIMA_TAG),
        "the tap before the signal arrived: {received}"
    );
    assert!(
        received.ends_with("0\r\n\r\n"),
        "the stream was ended, not cut: {received:?}"
    );

    let status = server.wait_exit(EXIT_WITHIN);
    assert_eq!(status.code(), Some(0), "{}", server.output());
    let output = server.output();
    assert!(output.contains("ChargeDesk stopped"), "{output}");

    // What the process left in the database: the station offline, every frame up to the close in the log.
    let db = Db::open_sqlite_in(data.path()).await.unwrap();
    let admin = eva(&db).await;
    assert!(!online(&admin, LOGISTICS).await, "offline after the close");
    let logged = frames(&admin, StationId(station_id)).await;
    let actions: Vec<(FrameDirection, Option<&str>)> = logged
        .iter()
        .map(|f| (f.direction, f.action.as_deref()))
        .collect();
    use FrameDirection::{Incoming, Outgoing};
    assert_eq!(
        actions,
        [
            (Incoming, Some("BootNotification")),
            (Outgoing, Some("BootNotification")),
            (Incoming, Some("Authorize")),
            (Outgoing, Some("Authorize")),
            (Incoming, Some("Heartbeat")),
            (Outgoing, Some("Heartbeat")),
        ]
    );
}

// --- The attacker: a station that ignores the close ----------------------------------------------------------

/// A WebSocket client written by hand, so that it can go on sending after the server's close frame (a
/// well-behaved library refuses to).
struct RawStation {
    read: tokio::net::tcp::OwnedReadHalf,
    write: tokio::net::tcp::OwnedWriteHalf,
}

impl RawStation {
    async fn connect(addr: SocketAddr, index: usize) -> RawStation {
        use base64::Engine;
        let demo = &DEMO_STATIONS[index];
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let basic = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", demo.charge_point_id, demo.password));
        let request = format!(
            "GET /ocpp/{} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
             Sec-WebSocket-Protocol: ocpp1.6\r\nAuthorization: Basic {basic}\r\n\r\n",
            demo.charge_point_id
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            assert_eq!(
                stream.read(&mut byte).await.unwrap(),
                1,
                "the upgrade answer"
            );
            head.push(byte[0]);
        }
        let head = String::from_utf8(head).unwrap();
        assert!(head.starts_with("HTTP/1.1 101"), "{head}");
        let (read, write) = stream.into_split();
        RawStation { read, write }
    }
}

/// Sends one masked text frame (what a client must send).
async fn send_text(write: &mut tokio::net::tcp::OwnedWriteHalf, text: &str) -> std::io::Result<()> {
    let payload = text.as_bytes();
    let mask = [0x5a, 0x17, 0xc3, 0x08];
    let mut frame = vec![0x81];
    if payload.len() < 126 {
        frame.push(0x80 | payload.len() as u8);
    } else {
        frame.push(0x80 | 126);
        frame.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    }
    frame.extend_from_slice(&mask);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    write.write_all(&frame).await
}

/// The next frame from the server (unmasked): its opcode and payload; `None` when the connection ended.
async fn read_frame(read: &mut tokio::net::tcp::OwnedReadHalf) -> Option<(u8, Vec<u8>)> {
    let mut head = [0u8; 2];
    read.read_exact(&mut head).await.ok()?;
    let len = match head[1] & 0x7f {
        126 => {
            let mut len = [0u8; 2];
            read.read_exact(&mut len).await.ok()?;
            u16::from_be_bytes(len) as usize
        }
        127 => {
            let mut len = [0u8; 8];
            read.read_exact(&mut len).await.ok()?;
            u64::from_be_bytes(len) as usize
        }
        n => n as usize,
    };
    let mut payload = vec![0u8; len];
    read.read_exact(&mut payload).await.ok()?;
    Some((head[0] & 0x0f, payload))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_station_that_keeps_sending_after_sigterm_gets_nothing_more_processed() {
    let data = tempfile::tempdir().unwrap();
    let mut server = Instance::start(
        &data_dir_args(data.path()),
        true,
        &[("CHARGEDESK_SHUTDOWN_GRACE_SECS", GRACE_SECS)],
    )
    .await;
    let RawStation {
        mut read,
        mut write,
    } = RawStation::connect(server.addr, LOGISTICS).await;

    // CALLs numbered 1, 2, 3, … ten a second (within the rate limit), whatever happens, until 20 after the close
    // frame arrived or the connection refuses them. `sent` is the highest number whose sending began.
    let sent = Arc::new(AtomicU64::new(0));
    let close_seen_after = Arc::new(AtomicU64::new(u64::MAX));
    let sender = {
        let sent = sent.clone();
        let close_seen_after = close_seen_after.clone();
        tokio::spawn(async move {
            let mut after_close = 0;
            for n in 1.. {
                let call =
                    json!([2, n.to_string(), "Authorize", {"idTag": FATIMA_TAG}]).to_string();
                sent.store(n, Ordering::SeqCst);
                if send_text(&mut write, &call).await.is_err() {
                    break;
                }
                if close_seen_after.load(Ordering::SeqCst) != u64::MAX {
                    after_close += 1;
                    if after_close == 20 {
                        break;
                    }
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    // Read the answers; the signal comes after five.
    let mut answered = Vec::new();
    let close = loop {
        let (opcode, payload) = tokio::time::timeout(EXIT_WITHIN, read_frame(&mut read))
            .await
            .expect("a frame in time")
            .expect("a close frame before the connection ends");
        match opcode {
            0x1 => {
                let answer: Value = serde_json::from_slice(&payload).unwrap();
                assert_eq!(answer[0], 3, "{answer}");
                answered.push(answer[1].as_str().unwrap().parse::<u64>().unwrap());
                if answered.len() == 5 {
                    server.terminate();
                }
            }
            0x8 => break payload,
            _ => {}
        }
    };
    // Every CALL numbered above this one is sent after the server closed the connection.
    close_seen_after.store(sent.load(Ordering::SeqCst), Ordering::SeqCst);
    assert_eq!(u16::from_be_bytes([close[0], close[1]]), 1001);
    sender.await.unwrap();
    // Nothing is answered after the close: the server has stopped reading and ends the connection.
    let rest = tokio::time::timeout(EXIT_WITHIN, read_frame(&mut read))
        .await
        .expect("the connection ends");
    assert!(rest.is_none(), "a frame after the close: {rest:?}");
    assert_eq!(server.wait_exit(EXIT_WITHIN).code(), Some(0));

    // The frame log holds exactly the CALLs that were answered, each with its answer, and none sent after the
    // close frame arrived.
    let db = Db::open_sqlite_in(data.path()).await.unwrap();
    let admin = eva(&db).await;
    let station = station_id(&admin, LOGISTICS).await;
    let logged = frames(&admin, station).await;
    let calls: Vec<u64> = logged
        .iter()
        .filter(|f| f.direction == FrameDirection::Incoming && f.message_type == FrameType::Call)
        .map(|f| f.unique_id.parse().unwrap())
        .collect();
    let answers: Vec<u64> = logged
        .iter()
        .filter(|f| f.direction == FrameDirection::Outgoing)
        .map(|f| f.unique_id.parse().unwrap())
        .collect();
    assert_eq!(calls, answered, "processed = answered");
    assert_eq!(answers, answered);
    let limit = close_seen_after.load(Ordering::SeqCst);
    assert!(
        calls.iter().all(|n| *n <= limit),
        "a CALL sent after the close was processed: {calls:?} (close after {limit})"
    );
    assert!(!online(&admin, LOGISTICS).await);
}

// --- Two processes on one PostgreSQL database ---------------------------------------------------------------

/// A fresh PostgreSQL database for two instances, or `None` (with a note) without `CHARGEDESK_TEST_PG_URL`.
async fn postgres(test: &str) -> Option<TestDb> {
    if postgres_admin_url().is_none() {
        eprintln!("CHARGEDESK_TEST_PG_URL not set: {test} runs only on PostgreSQL (scripts/pg.sh)");
        return None;
    }
    Some(TestDb::new().await)
}

/// A StartTransaction the station sends, and sends again after a reconnect (OCPP 1.6 lets it repeat an
/// unanswered one).
fn start_transaction() -> Value {
    json!({"connectorId": 1, "idTag": FATIMA_TAG, "meterStart": TEST_METER_START, "timestamp": "2026-11-30T08:00:00Z"})
}

#[tokio::test(flavor = "multi_thread")]
async fn after_kill_9_a_station_completes_its_transaction_on_the_other_instance() {
    let Some(database) = postgres("failover after kill -9").await else {
        return;
    };
    let args = database.server_args();
    let a = Instance::start(&args, true, &[]).await;
    let mut b = Instance::start(&args, false, &[]).await;
    // The browser is on A, the station on B.
    let (browser, org) = eva_browser(a.addr).await;

    let mut station = demo_station(&b, LOGISTICS).await;
    boot(&mut station).await;
    let authorized = station
        .call("Authorize", json!({"idTag": FATIMA_TAG}))
        .await;
    assert_eq!(authorized["idTagInfo"]["status"], "Accepted");
    let started = station.call("StartTransaction", start_transaction()).await;
    assert_eq!(started["idTagInfo"]["status"], "Accepted");
    let transaction = started["transactionId"].as_i64().unwrap();
    station
        .call(
            "MeterValues",
            json!({"connectorId": 1, "transactionId": transaction, "meterValue": [{
                "timestamp": "2026-11-30T08:30:00Z",
                "sampledValue": [{"value": "1800", "measurand": "Energy.Active.Import.Register", "unit": "Wh"}]
            }]}),
        )
        .await;
    // A shows what the station does on B: online, charging.
    assert_eq!(
        listed_station(&browser, org, LOGISTICS).await["online"],
        true
    );
    let running = listed_transactions(&browser, org, LOGISTICS).await;
    assert_eq!(running.len(), 1, "{running:?}");
    assert_eq!(running[0]["id"], transaction);
    assert!(running[0]["stopped_at"].is_null());
    assert_eq!(running[0]["last_meter_wh"], 1800);

    // B dies without a word; the station's connection breaks.
    b.kill();
    drop(station);

    // Meanwhile another station, connected to A with its own credentials, sends a StopTransaction for that
    // transaction: answered as any stop is, and nothing changes (it is not its transaction).
    let mut intruder = demo_station(&a, KROON).await;
    let forged = intruder
        .call(
            "StopTransaction",
            json!({"transactionId": transaction, "meterStop": 999_999, "timestamp": "2026-11-30T08:45:00Z"}),
        )
        .await;
    assert!(forged.get("idTagInfo").is_none(), "{forged}");
    let still = listed_transactions(&browser, org, LOGISTICS).await;
    assert!(still[0]["stopped_at"].is_null(), "{still:?}");
    assert!(still[0]["meter_stop_wh"].is_null(), "{still:?}");

    // The station reconnects, through the load balancer to A, repeats its StartTransaction (it never knew
    // whether the answer was stored) and stops.
    let mut station = demo_station(&a, LOGISTICS).await;
    boot(&mut station).await;
    let repeated = station.call("StartTransaction", start_transaction()).await;
    assert_eq!(
        repeated["transactionId"], transaction,
        "the same transaction"
    );
    assert_eq!(repeated["idTagInfo"]["status"], "Accepted");
    let stopped = station
        .call(
            "StopTransaction",
            json!({"transactionId": transaction, "meterStop": 3500, "timestamp": "2026-11-30T09:00:00Z",
                   "idTag": FATIMA_TAG, "reason": "EVDisconnected"}),
        )
        .await;
    assert_eq!(stopped["idTagInfo"]["status"], "Accepted");

    // One transaction, complete: on A's "Transactions" page ...
    let done = listed_transactions(&browser, org, LOGISTICS).await;
    assert_eq!(done.len(), 1, "{done:?}");
    assert_eq!(done[0]["id"], transaction);
    assert_eq!(done[0]["meter_start_wh"], 1000);
    assert_eq!(done[0]["meter_stop_wh"], 3500);
    assert_eq!(done[0]["energy_wh"], 2500);
    assert_eq!(done[0]["stop_reason"], "EVDisconnected");
    assert!(done[0]["stopped_at"].is_i64(), "{done:?}");
    // ... and in the database.
    let db = database.open().await;
    let admin = eva(&db).await;
    let stored: Vec<_> = admin
        .transactions(100)
        .await
        .unwrap()
        .into_iter()
        .filter(|t| t.charge_point_id == DEMO_STATIONS[LOGISTICS].charge_point_id)
        .filter(|t| t.meter_start_wh == TEST_METER_START)
        .collect();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].id.0, transaction);
    assert_eq!(stored[0].energy_wh, Some(2500));
    assert_eq!(stored[0].last_meter_wh, Some(1800));
    assert!(stored[0].stopped_at.is_some());
    // The intruder's station has no transaction but the demo's history.
    assert!(admin
        .transactions(1000)
        .await
        .unwrap()
        .iter()
        .filter(|t| t.charge_point_id == DEMO_STATIONS[KROON].charge_point_id)
        .all(|t| t.meter_start_wh != TEST_METER_START && t.meter_stop_wh != Some(999_999)));
    db.close().await;
    drop(intruder);
}

#[tokio::test(flavor = "multi_thread")]
async fn after_sigterm_a_station_reconnects_to_the_other_instance_and_is_online_there() {
    let Some(database) = postgres("failover after SIGTERM").await else {
        return;
    };
    let args = database.server_args();
    let a = Instance::start(&args, true, &[]).await;
    let mut b = Instance::start(
        &args,
        false,
        &[("CHARGEDESK_SHUTDOWN_GRACE_SECS", GRACE_SECS)],
    )
    .await;
    let (browser, org) = eva_browser(a.addr).await;

    let mut station = demo_station(&b, KROON).await;
    boot(&mut station).await;
    assert_eq!(listed_station(&browser, org, KROON).await["online"], true);

    b.terminate();
    let close = station.closed(EXIT_WITHIN).await.expect("a close frame");
    assert_eq!(u16::from(close.code), 1001);
    // What a station does on "going away": connect again, and the load balancer sends it to A.
    let mut station = demo_station(&a, KROON).await;
    boot(&mut station).await;
    station.call("Heartbeat", json!({})).await;
    assert_eq!(b.wait_exit(EXIT_WITHIN).code(), Some(0), "{}", b.output());

    // B's session ended after the station was on A already, or before: either way the station is online, on A.
    let listed = listed_station(&browser, org, KROON).await;
    assert_eq!(listed["online"], true, "{listed}");
    let db = database.open().await;
    assert!(online(&eva(&db).await, KROON).await);
    // And the frames of both connections are stored: B's BootNotification (flushed at its shutdown) and A's.
    let admin = eva(&db).await;
    let station_id = station_id(&admin, KROON).await;
    let boots = frames(&admin, station_id)
        .await
        .into_iter()
        .filter(|f| {
            f.direction == FrameDirection::Incoming
                && f.action.as_deref() == Some("BootNotification")
        })
        .count();
    assert_eq!(boots, 2);
    db.close().await;

    // A connection to the stopped instance is refused.
    let refused = http_request(b.addr, "GET", "/healthz", &[], "").await;
    assert!(refused.is_err(), "{refused:?}");
}
