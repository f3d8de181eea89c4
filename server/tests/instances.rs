//! Two server instances on one PostgreSQL database, in one test process: two routers, each with its own hub and
//! its own `Db` handle (its own pool and listening connection), as two processes behind a load balancer would
//! have. A browser on one and a station on the other: taps reach the browser's tap stream (and only the
//! stream of an administrator of that station), a password change made through one closes the station's
//! connection on the other, and a station that connects to the second instance closes its connection on the
//! first, whose closing does not mark the station offline.
//!
//! PostgreSQL only (SQLite is one process): without `CHARGEDESK_TEST_PG_URL` each test prints a note and passes.

mod common;

use common::{login_token, open_get, partner_admin, PASSWORD};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use shared::ids::StationId;
use shared::names::{Email, OrgName, Password, PersonName};
use shared::station::{ChargePointId, StationName, StationPassword};
use std::net::SocketAddr;
use std::time::Duration;
use storage::test_support::TestDb;
use storage::{Db, OrgAdmin};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// A guard against waiting for ever; never an assertion about speed.
const PATIENCE: Duration = Duration::from_secs(10);

const STATION_PASSWORD: &str = "station-password-0001";

/// One instance: a router with its hub on its own `Db` handle, served on a loopback port.
struct Instance {
    addr: SocketAddr,
    db: Db,
    hub: server::central_system::OcppHub,
    task: tokio::task::JoinHandle<()>,
}

impl Instance {
    async fn start(test_db: &TestDb) -> Instance {
        let db = test_db.open().await;
        let (router, hub) = server::router_and_hub(
            db.clone(),
            server::leptos_options().unwrap(),
            server::central_system::OcppConfig {
                local_list_sync: false,
                ..Default::default()
            },
            server::http::WebConfig::default(),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            server::http::serve(listener, router, std::future::pending())
                .await
                .unwrap();
        });
        Instance {
            addr,
            db,
            hub,
            task,
        }
    }

    fn ocpp_url(&self, charge_point_id: &str) -> String {
        format!("ws://{}/ocpp/{charge_point_id}", self.addr)
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Two instances on one new PostgreSQL database, or `None` (with a note) without one.
async fn two_instances() -> Option<(TestDb, Instance, Instance)> {
    let test_db = TestDb::new().await;
    if !test_db.is_postgres() {
        println!("skipped: several instances need PostgreSQL (set CHARGEDESK_TEST_PG_URL)");
        return None;
    }
    let a = Instance::start(&test_db).await;
    let b = Instance::start(&test_db).await;
    Some((test_db, a, b))
}

async fn add_station(admin: &OrgAdmin, charge_point_id: &str, password: Option<&str>) -> StationId {
    admin
        .add_station(
            &ChargePointId::parse(charge_point_id).unwrap(),
            &StationName::parse(&format!("Charger {charge_point_id}")).unwrap(),
            password
                .map(|p| StationPassword::parse(p).unwrap())
                .as_ref(),
        )
        .await
        .unwrap()
}

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

async fn connect(url: &str, basic: Option<(&str, &str)>) -> Result<Socket, tungstenite::Error> {
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
    tokio_tungstenite::connect_async(request)
        .await
        .map(|(socket, _)| socket)
}

/// Sends a CALL and returns its answer's payload (a CALLRESULT is expected).
async fn call(socket: &mut Socket, id: &str, action: &str, payload: Value) -> Value {
    let text = json!([2, id, action, payload]).to_string();
    socket.send(Message::Text(text.into())).await.unwrap();
    loop {
        let message = tokio::time::timeout(PATIENCE, socket.next())
            .await
            .expect("an answer within the patience")
            .expect("the connection is open")
            .unwrap();
        if let Message::Text(text) = message {
            let answer: Value = serde_json::from_str(text.as_str()).unwrap();
            assert_eq!(answer[0], 3, "a CALLRESULT: {answer}");
            assert_eq!(answer[1], id);
            return answer[2].clone();
        }
    }
}

/// Waits for the server's close frame, then for the connection's end (the server drops it once the session
/// finished, including its database writes). Returns the close frame's code and reason.
async fn closed_by_server(socket: &mut Socket) -> (u16, String) {
    tokio::time::timeout(PATIENCE, async {
        let mut frame = None;
        while let Some(message) = socket.next().await {
            match message {
                Ok(Message::Close(Some(close))) => {
                    frame = Some((u16::from(close.code), close.reason.to_string()))
                }
                Ok(_) => continue,
                Err(_) => break,
            }
        }
        frame.expect("a close frame from the server")
    })
    .await
    .expect("closed within the patience")
}

async fn online(admin: &OrgAdmin, station: StationId) -> bool {
    admin.station(station).await.unwrap().summary.online
}

/// Reads the tap stream until `wanted` appears; returns everything read.
async fn read_until(events: &mut TcpStream, wanted: &str) -> String {
    tokio::time::timeout(PATIENCE, async {
        let mut text = String::new();
        let mut buf = [0u8; 512];
        while !text.contains(wanted) {
            let n = events.read(&mut buf).await.unwrap();
            assert!(n > 0, "the stream closed: {text}");
            text.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
        text
    })
    .await
    .unwrap_or_else(|_| panic!("{wanted} arrives within the patience"))
}

#[tokio::test]
async fn a_tap_at_a_station_on_one_instance_reaches_the_tap_stream_opened_on_the_other_and_no_one_elses(
) {
    let Some((_test_db, a, b)) = two_instances().await else {
        return;
    };
    let (org, admin, token) = partner_admin(&a.db).await;
    let station = add_station(&admin, "CP-1", None).await;
    // The attacker: another partner's administrator, with a station of their own.
    let (attacker_org, _) =
        a.db.create_partner(
            &OrgName::parse("Other Partner").unwrap(),
            &PersonName::parse("Olga").unwrap(),
            &PersonName::parse("Other").unwrap(),
            &Email::parse("olga@other.example").unwrap(),
            &Password::parse(PASSWORD).unwrap(),
        )
        .await
        .unwrap();
    let attacker_token = login_token(&a.db, "olga@other.example").await;
    let attacker_admin =
        a.db.caller(&attacker_token)
            .await
            .unwrap()
            .unwrap()
            .admin_of(&a.db, attacker_org)
            .await
            .unwrap();
    let attacker_station = add_station(&attacker_admin, "CP-X", None).await;

    // The browser waits on instance A; the attacker cannot watch the victim's station (through either
    // organization) but watches their own, also on A.
    let (status, mut events) = open_get(
        a.addr,
        &format!("/events/stations/{station}/taps?org={org}"),
        Some(&token),
    )
    .await;
    assert_eq!(status, 200);
    for path in [
        format!("/events/stations/{station}/taps?org={org}"),
        format!("/events/stations/{station}/taps?org={attacker_org}"),
    ] {
        assert_eq!(open_get(a.addr, &path, Some(&attacker_token)).await.0, 404);
    }
    let (status, mut attacker_events) = open_get(
        a.addr,
        &format!("/events/stations/{attacker_station}/taps?org={attacker_org}"),
        Some(&attacker_token),
    )
    .await;
    assert_eq!(status, 200);

    // The card is held against the reader of the station, which is connected to instance B.
    let mut cp = connect(&b.ocpp_url("CP-1"), None).await.unwrap();
    call(
        &mut cp,
        "1",
        "Authorize",
        json!({"idTag": "04ABCDEF012345"}),
    )
    .await;
    let received = read_until(&mut events, "04ABCDEF012345").await;
    assert!(received.contains("event: tap"), "{received}");
    assert!(
        received.contains(&format!("\"station\":{station}")),
        "{received}"
    );

    // The attacker's stream gets their own station's tap, and had nothing before it.
    let mut theirs = connect(&b.ocpp_url("CP-X"), None).await.unwrap();
    call(
        &mut theirs,
        "1",
        "Authorize",
        json!({"idTag": "04FFFFFF000001"}),
    )
    .await;
    let seen = read_until(&mut attacker_events, "04FFFFFF000001").await;
    assert!(!seen.contains("04ABCDEF012345"), "{seen}");
    assert!(!seen.contains(&format!("\"station\":{station}")), "{seen}");
}

#[tokio::test]
async fn a_password_change_through_one_instance_closes_the_connection_on_the_other() {
    let Some((_test_db, a, b)) = two_instances().await else {
        return;
    };
    let (_, admin, _) = partner_admin(&a.db).await;
    let secure = add_station(&admin, "CP-SECURE", Some(STATION_PASSWORD)).await;
    let other = add_station(&admin, "CP-OTHER", Some(STATION_PASSWORD)).await;
    let mut cp = connect(
        &b.ocpp_url("CP-SECURE"),
        Some(("CP-SECURE", STATION_PASSWORD)),
    )
    .await
    .unwrap();
    let mut bystander = connect(
        &b.ocpp_url("CP-OTHER"),
        Some(("CP-OTHER", STATION_PASSWORD)),
    )
    .await
    .unwrap();
    call(&mut cp, "1", "Heartbeat", json!({})).await;
    call(&mut bystander, "1", "Heartbeat", json!({})).await;

    // The administrator, on instance A, gives the station a new password.
    let new_password = "station-password-0002";
    admin
        .set_station_password(secure, Some(&StationPassword::parse(new_password).unwrap()))
        .await
        .unwrap();
    let (code, reason) = closed_by_server(&mut cp).await;
    assert_eq!(code, 1000);
    assert!(reason.contains("credentials changed"), "{reason}");
    // Only that station's connection: the other one on B still answers.
    call(&mut bystander, "2", "Heartbeat", json!({})).await;
    assert!(online(&admin, other).await);

    // The old password no longer opens a connection on either instance; the new one does.
    for instance in [&a, &b] {
        let refused = connect(
            &instance.ocpp_url("CP-SECURE"),
            Some(("CP-SECURE", STATION_PASSWORD)),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(&refused, tungstenite::Error::Http(response) if response.status() == 401),
            "{refused:?}"
        );
    }
    let mut again = connect(&a.ocpp_url("CP-SECURE"), Some(("CP-SECURE", new_password)))
        .await
        .unwrap();
    call(&mut again, "2", "Heartbeat", json!({})).await;
    assert!(online(&admin, secure).await);
}

/// The attacker (anyone who can `NOTIFY` on the database) or simply a late event: a "credentials changed"
/// notification for a station whose credentials did not change since its connection logged in closes nothing:
/// the connection asks the database first. (Before, a station that logged in with its new password right after
/// the change was closed by the change's own event arriving through the listener afterwards.)
#[tokio::test]
async fn a_late_or_forged_credentials_event_does_not_close_a_connection_whose_credentials_are_current(
) {
    let Some((test_db, a, b)) = two_instances().await else {
        return;
    };
    let (_, admin, _) = partner_admin(&a.db).await;
    let station = add_station(&admin, "CP-CURRENT", Some(STATION_PASSWORD)).await;
    let changed = add_station(&admin, "CP-CHANGED", Some(STATION_PASSWORD)).await;
    let mut cp = connect(
        &b.ocpp_url("CP-CURRENT"),
        Some(("CP-CURRENT", STATION_PASSWORD)),
    )
    .await
    .unwrap();
    let mut other = connect(
        &b.ocpp_url("CP-CHANGED"),
        Some(("CP-CHANGED", STATION_PASSWORD)),
    )
    .await
    .unwrap();
    call(&mut cp, "1", "Heartbeat", json!({})).await;
    call(&mut other, "1", "Heartbeat", json!({})).await;

    let forged = json!({"v": 1, "event": {"kind": "credentials_changed", "station": station.0}});
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(storage::EVENT_CHANNEL)
        .bind(forged.to_string())
        .execute(&test_db.raw().await)
        .await
        .unwrap();
    // A real change of another station, notified after the forged one: once its connection is closed, B has
    // handed the forged event to CP-CURRENT's session (events are handled in order), whose check comes before
    // any further frame it reads.
    admin
        .set_station_password(
            changed,
            Some(&StationPassword::parse("station-password-0002").unwrap()),
        )
        .await
        .unwrap();
    let (code, reason) = closed_by_server(&mut other).await;
    assert_eq!(code, 1000);
    assert!(reason.contains("credentials changed"), "{reason}");
    call(&mut cp, "2", "Heartbeat", json!({})).await;
    assert!(online(&admin, station).await);
}

#[tokio::test]
async fn a_station_connecting_to_another_instance_closes_its_older_connection_which_leaves_it_online(
) {
    let Some((test_db, a, b)) = two_instances().await else {
        return;
    };
    let (_, admin, _) = partner_admin(&a.db).await;
    let station = add_station(&admin, "CP-1", None).await;
    let mut first = connect(&a.ocpp_url("CP-1"), None).await.unwrap();
    call(&mut first, "1", "Heartbeat", json!({})).await;
    assert!(online(&admin, station).await);

    // The station connects again, through the load balancer to instance B.
    let mut second = connect(&b.ocpp_url("CP-1"), None).await.unwrap();
    call(&mut second, "1", "Heartbeat", json!({})).await;
    // A closes the older connection; once it is gone (its session ended, its database writes done) the
    // station is still online, through B.
    let (code, reason) = closed_by_server(&mut first).await;
    assert_eq!(code, 1000);
    assert!(reason.contains("replaced"), "{reason}");
    assert!(
        online(&admin, station).await,
        "A's closing did not mark it offline"
    );
    let raw = test_db.raw().await;
    let (holder, instances): (Option<i64>, i64) = sqlx::query_as(
        "SELECT s.connected_instance, (SELECT COUNT(*) FROM instances) FROM stations s WHERE s.id = $1",
    )
    .bind(station.0)
    .fetch_one(&raw)
    .await
    .unwrap();
    assert!(holder.is_some());
    assert_eq!(instances, 2);
    call(&mut second, "2", "Heartbeat", json!({})).await;

    // And the other way round: back to A closes B's.
    let mut third = connect(&a.ocpp_url("CP-1"), None).await.unwrap();
    call(&mut third, "1", "Heartbeat", json!({})).await;
    let (_, reason) = closed_by_server(&mut second).await;
    assert!(reason.contains("replaced"), "{reason}");
    assert!(online(&admin, station).await);
    let (now_held_by,): (Option<i64>,) =
        sqlx::query_as("SELECT connected_instance FROM stations WHERE id = $1")
            .bind(station.0)
            .fetch_one(&raw)
            .await
            .unwrap();
    assert!(now_held_by.is_some() && now_held_by != holder);

    // The station goes away: offline.
    third.close(None).await.unwrap();
    tokio::time::timeout(PATIENCE, async {
        while online(&admin, station).await {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("offline once its connection ended");
}

#[tokio::test]
async fn a_graceful_stop_retires_the_instance_and_leaves_the_other_ones_stations_alone() {
    let Some((test_db, a, b)) = two_instances().await else {
        return;
    };
    let (_, admin, _) = partner_admin(&a.db).await;
    let leaving = add_station(&admin, "CP-1", None).await;
    let staying = add_station(&admin, "CP-2", None).await;
    let mut on_a = connect(&a.ocpp_url("CP-1"), None).await.unwrap();
    let mut on_b = connect(&b.ocpp_url("CP-2"), None).await.unwrap();
    call(&mut on_a, "1", "Heartbeat", json!({})).await;
    call(&mut on_b, "1", "Heartbeat", json!({})).await;
    let raw = test_db.raw().await;
    let count = || async {
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM instances")
            .fetch_one(&raw)
            .await
            .unwrap();
        rows
    };
    assert_eq!(count().await, 2);

    // Instance A stops (SIGTERM): its station is told to go away, and its row is retired.
    a.hub.begin_shutdown();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    assert!(a.hub.finish_shutdown(deadline).await);
    let (code, _) = closed_by_server(&mut on_a).await;
    assert_eq!(code, 1001);
    assert_eq!(count().await, 1, "only B's row is left");
    assert!(!online(&admin, leaving).await);
    assert!(online(&admin, staying).await);
    call(&mut on_b, "2", "Heartbeat", json!({})).await;

    // The station reconnects, to the instance that is left.
    let mut back = connect(&b.ocpp_url("CP-1"), None).await.unwrap();
    call(&mut back, "1", "Heartbeat", json!({})).await;
    assert!(online(&admin, leaving).await);
}

// ---------------------------------------------------------------------------------------------------------------
// Two real server processes on one PostgreSQL database (tests/common/instances.rs): the browser on one, the
// station on the other.
// ---------------------------------------------------------------------------------------------------------------

use common::instances::{Browser, Instance as Process, Station};
use storage::{DEMO_PASSWORD, DEMO_STATIONS};

/// The demo's partner administrator (sees every demo station).
const EVA: &str = "eva@volta-partners.example";

/// A new PostgreSQL database for server processes, or `None` (with a note) without one.
async fn process_database() -> Option<TestDb> {
    let test_db = TestDb::new().await;
    if !test_db.is_postgres() {
        println!("skipped: several server processes need PostgreSQL (set CHARGEDESK_TEST_PG_URL)");
        return None;
    }
    Some(test_db)
}

/// Eva logged in on `process`, and her organization.
async fn eva_on(process: &Process) -> (Browser, String) {
    let browser = Browser::login(process.addr, EVA, DEMO_PASSWORD).await;
    let me = browser.call("current_user", &[]).await;
    let org = me["home_org"]["id"].to_string();
    (browser, org)
}

/// Demo station 0 as Eva's "Assets" list on `browser`'s instance shows it.
async fn listed_demo_station(browser: &Browser, org: &str) -> Value {
    browser
        .call("list_stations", &[("org", org)])
        .await
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["charge_point_id"] == DEMO_STATIONS[0].charge_point_id)
        .expect("the demo station is listed")
        .clone()
}

async fn demo_station_on(process: &Process, password: &str) -> Station {
    let id = DEMO_STATIONS[0].charge_point_id;
    let mut station = Station::connect(&process.ocpp_url(id), Some((id, password)))
        .await
        .unwrap_or_else(|e| panic!("{id} connects: {e}"));
    let booted = station
        .call(
            "BootNotification",
            json!({"chargePointVendor": "ChargeDesk tests", "chargePointModel": "Instances"}),
        )
        .await;
    assert_eq!(booted["status"], "Accepted");
    station
}

#[tokio::test(flavor = "multi_thread")]
async fn two_processes_the_browser_on_one_sees_taps_and_changes_the_password_of_a_station_on_the_other(
) {
    let Some(database) = process_database().await else {
        return;
    };
    let args = database.server_args();
    let a = Process::start(&args, true, &[]).await;
    let b = Process::start(&args, false, &[]).await;
    let (browser, org) = eva_on(&a).await;
    let mut station = demo_station_on(&b, DEMO_STATIONS[0].password).await;
    let listed = listed_demo_station(&browser, &org).await;
    assert_eq!(listed["online"], true, "{listed}");
    let station_id = listed["id"].to_string();

    // "Scan at a station" in the browser on A; the card is held against the reader of the station on B.
    let (status, mut taps) = open_get(
        a.addr,
        &format!("/events/stations/{station_id}/taps?org={org}"),
        Some(browser.session_cookie()),
    )
    .await;
    assert_eq!(status, 200);
    station
        .call("Authorize", json!({"idTag": "04ABCDEF012345"}))
        .await;
    let received = read_until(&mut taps, "04ABCDEF012345").await;
    assert!(received.contains("event: tap"), "{received}");

    // "Generate new password" in the browser on A: the station's connection on B is closed ...
    let password = browser
        .call(
            "generate_station_password",
            &[("org", org.as_str()), ("station", station_id.as_str())],
        )
        .await;
    let password = password.as_str().expect("the new password").to_owned();
    let close = station.closed(PATIENCE).await.expect("a close frame");
    assert_eq!(u16::from(close.code), 1000);
    assert!(
        close.reason.contains("credentials changed"),
        "{}",
        close.reason
    );
    // ... and it reconnects, to either instance, with the new one only.
    let id = DEMO_STATIONS[0].charge_point_id;
    let refused = Station::connect(&b.ocpp_url(id), Some((id, DEMO_STATIONS[0].password)))
        .await
        .err()
        .expect("the old password is refused");
    assert!(
        matches!(&refused, tungstenite::Error::Http(response) if response.status() == 401),
        "{refused:?}"
    );
    let mut station = demo_station_on(&b, &password).await;
    station.call("Heartbeat", json!({})).await;
    assert_eq!(listed_demo_station(&browser, &org).await["online"], true);
}

#[tokio::test(flavor = "multi_thread")]
async fn two_processes_a_killed_instances_station_is_offline_within_the_lease_and_cleaned_up_by_the_other(
) {
    let Some(database) = process_database().await else {
        return;
    };
    let args = database.server_args();
    // Short leases (renewed every second), long enough that a busy test machine does not let them lapse.
    let lease = [("CHARGEDESK_INSTANCE_LEASE_SECS", "3")];
    let a = Process::start(&args, true, &lease).await;
    let mut b = Process::start(&args, false, &lease).await;
    let (browser, org) = eva_on(&a).await;
    let _station = demo_station_on(&b, DEMO_STATIONS[0].password).await;
    let listed = listed_demo_station(&browser, &org).await;
    assert_eq!(listed["online"], true, "{listed}");

    // kill -9: B renews nothing and cleans up nothing any more; its station's record stays behind.
    b.kill();
    tokio::time::timeout(PATIENCE, async {
        while listed_demo_station(&browser, &org).await["online"] != false {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("offline once B's three-second lease has passed");
    // A, still renewing its own lease, cleans up after B: B's row is deleted and the station's record cleared.
    let raw = database.raw().await;
    tokio::time::timeout(PATIENCE, async {
        loop {
            let (instances, recorded): (i64, i64) = sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM instances), \
                        (SELECT COUNT(*) FROM stations WHERE connected_at IS NOT NULL)",
            )
            .fetch_one(&raw)
            .await
            .unwrap();
            if (instances, recorded) == (1, 0) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("A cleans up after B");
    // The station reconnects, to A: online again.
    let _station = demo_station_on(&a, DEMO_STATIONS[0].password).await;
    assert_eq!(listed_demo_station(&browser, &org).await["online"], true);
}

/// A command asked for through one instance reaches the station connected to the other (the queue is in the
/// database, the announcement a notification), and the station's answer, stored there, is what the first one
/// reads.
#[tokio::test]
async fn a_command_sent_through_one_instance_reaches_the_station_on_the_other() {
    let Some((_test_db, a, b)) = two_instances().await else {
        return;
    };
    let (_, admin, _) = partner_admin(&a.db).await;
    let station = add_station(&admin, "CP-REMOTE", None).await;
    let mut cp = connect(&b.ocpp_url("CP-REMOTE"), None).await.unwrap();
    call(&mut cp, "1", "Heartbeat", json!({})).await;
    tokio::time::timeout(PATIENCE, async {
        while !online(&admin, station).await {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the station reads as online");

    let queued = admin
        .queue_command(
            station,
            shared::command::CommandRequest::Reset {
                kind: shared::command::ResetKind::Soft,
            },
        )
        .await
        .unwrap();
    let frame = tokio::time::timeout(PATIENCE, async {
        loop {
            if let Some(Ok(Message::Text(text))) = cp.next().await {
                break serde_json::from_str::<Value>(text.as_str()).unwrap();
            }
        }
    })
    .await
    .expect("the CALL arrives through the other instance");
    assert_eq!(frame[0], 2);
    assert_eq!(frame[2], "Reset");
    cp.send(Message::Text(
        json!([3, frame[1], {"status": "Accepted"}])
            .to_string()
            .into(),
    ))
    .await
    .unwrap();
    let answered = tokio::time::timeout(PATIENCE, async {
        loop {
            let command = admin.station_command(station, queued.id).await.unwrap();
            if command.state.is_final() {
                break command;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the answer is stored");
    assert_eq!(answered.outcome.as_deref(), Some("Accepted"));
}
