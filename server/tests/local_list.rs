//! The Local Authorization List kept in sync, over real WebSockets against the real router and a fresh database
//! (SQLite, or PostgreSQL with CHARGEDESK_TEST_PG_URL): the simulated station (`sim`) keeps its own list and
//! cache and authorizes offline from them, so these tests prove what a station does while the server is down.
//! A raw socket plays a station where the answers must be ones the simulator would not give (VersionMismatch,
//! Failed forever, a firmware change).

mod common;

use common::TestDb;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use shared::ids::StationId;
use shared::local_list::Support;
use shared::mode::PassMode;
use shared::names::{Email, Nickname, OrgName, Password, PersonName};
use shared::pass_id::{check_pass_id, PassIdKind};
use shared::role::Role;
use shared::station::{ChargePointId, StationName};
use shared::{OrgId, PassId};
use sim::client::ChargePoint;
use sim::station::{DecisionSource, LocalListSupport, Station, StationSetup};
use std::net::SocketAddr;
use std::time::Duration;
use storage::{Db, OrgAdmin, StorageError};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

const PASSWORD: &str = "correct horse battery";
const WAIT: Duration = Duration::from_secs(15);

struct Server {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    fn url(&self) -> String {
        format!("ws://{}/ocpp", self.addr)
    }
}

async fn start(db: &Db) -> Server {
    let config = server::central_system::OcppConfig {
        command_timeout: Duration::from_secs(5),
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
    Server { addr, task }
}

/// A partner (its administrator's scope) with one station `cp`.
async fn partner(db: &Db, name: &str, email: &str, cp: &str) -> (OrgAdmin, StationId) {
    let (org, _) = db
        .create_partner(
            &OrgName::parse(name).unwrap(),
            &PersonName::parse("Pat").unwrap(),
            &PersonName::parse("Partner").unwrap(),
            &Email::parse(email).unwrap(),
            &Password::parse(PASSWORD).unwrap(),
        )
        .await
        .unwrap();
    let admin = scope(db, email, org).await;
    let station = add_station(&admin, cp).await;
    (admin, station)
}

async fn add_station(admin: &OrgAdmin, cp: &str) -> StationId {
    admin
        .add_station(
            &ChargePointId::parse(cp).unwrap(),
            &StationName::parse("Depot charger").unwrap(),
            None,
        )
        .await
        .unwrap()
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

/// Adds a cardholder with the pass `uid` (a Hidden ID) in `mode`.
async fn add_tag(admin: &OrgAdmin, uid: &str, mode: PassMode) -> PassId {
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
        .unwrap()
}

/// Waits (at most [`WAIT`]) until `ready` holds.
async fn eventually(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !ready() {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the station page reads "in sync" with `passes`, and returns its headline.
async fn in_sync(admin: &OrgAdmin, station: StationId, passes: usize) -> String {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let status = admin.station_local_list(station).await.unwrap();
        if status.pending == 0 && status.entries == passes && status.version.is_some() {
            return status.headline();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never in sync with {passes} passes: {status:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The summaries of the list sync's commands in the station's history, oldest first, once none is waiting for
/// its answer (at most [`WAIT`]).
async fn sync_commands(admin: &OrgAdmin, station: StationId) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let ours: Vec<_> = admin
            .station_commands(station)
            .await
            .unwrap()
            .into_iter()
            .filter(|c| c.requested_by == storage::SYNC_NAME)
            .collect();
        if ours.iter().all(|c| c.state.is_final()) || tokio::time::Instant::now() >= deadline {
            let mut history: Vec<String> = ours
                .into_iter()
                .map(|c| format!("{}: {}", c.summary, c.outcome.unwrap_or_default()))
                .collect();
            history.reverse();
            return history;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits (at most [`WAIT`]) until the sync's settled history ends with `tail`, and returns it (the next command,
/// e.g. a ClearCache after an accepted list, is queued a moment after the list reads as in sync).
async fn sync_commands_ending(admin: &OrgAdmin, station: StationId, tail: &[&str]) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let commands = sync_commands(admin, station).await;
        if commands.ends_with(&tail.iter().map(|t| t.to_string()).collect::<Vec<_>>())
            || tokio::time::Instant::now() >= deadline
        {
            return commands;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn simulated(server: &Server, cp: &str, setup: StationSetup) -> ChargePoint {
    let mut station = ChargePoint::connect_as(
        &server.url(),
        cp,
        None,
        Duration::from_secs(10),
        Station::new(setup),
    )
    .await
    .unwrap();
    station.start_up().await.unwrap();
    station
}

#[tokio::test]
async fn the_whitelist_reaches_the_station_and_it_charges_offline_with_exactly_those_passes() {
    let test_db = TestDb::new().await;
    let db = test_db.open().await;
    let (admin, station) = partner(&db, "Volta", "pat@volta.example", "CP-1").await;
    admin
        .set_station_access_mode(station, Some(shared::station::AccessMode::Whitelisting))
        .await
        .unwrap();
    add_tag(&admin, "04A1B2C3D4E5F6", PassMode::Whitelist).await;
    let leaving = add_tag(&admin, "04A1B2C3D4E5F7", PassMode::Whitelist).await;
    add_tag(&admin, "04AAAB11CD2345", PassMode::Roaming).await;
    let server = start(&db).await;
    let mut cp = simulated(&server, "CP-1", StationSetup::default()).await;

    // On connect: limits, version, then one Full list of the whitelisted passes (Whitelisting mode).
    assert_eq!(
        in_sync(&admin, station, 2).await,
        "Local list version 1 — in sync (2 passes)"
    );
    eventually("the station holds the list", || {
        cp.station().local_list().len() == 2
    })
    .await;
    assert_eq!(
        sync_commands_ending(&admin, station, &["Clear cache: Accepted"]).await,
        [
            "Read configuration keys LocalAuthListMaxLength, SendLocalListMaxLength, SupportedFeatureProfiles: 3 keys",
            "Read the local list version: version 0",
            "Send the local list (full, version 1, 2 passes): Accepted",
            "Clear cache: Accepted",
        ]
    );

    // A pass added in "Passes": one Differential update with only that pass.
    add_tag(&admin, "04C0FFEE123456", PassMode::Whitelist).await;
    in_sync(&admin, station, 3).await;
    eventually("the new pass is on the station's list", || {
        cp.station().local_list().get("04C0FFEE123456").is_some()
    })
    .await;
    let commands = sync_commands(&admin, station).await;
    assert_eq!(
        commands.last().unwrap(),
        "Update the local list (version 2: 1 pass added or changed, 0 passes removed): Accepted"
    );

    // The leaving card is charged with online once (the station caches "Accepted"), then deleted: it leaves
    // the list and the cache is cleared.
    assert_eq!(
        cp.authorize("04A1B2C3D4E5F7").await.unwrap(),
        ocpp::messages::AuthorizationStatus::Accepted
    );
    assert!(cp.station().cache().get("04A1B2C3D4E5F7").is_some());
    admin.delete_pass(leaving).await.unwrap();
    in_sync(&admin, station, 2).await;
    eventually("the cache is cleared", || {
        cp.station().cache().get("04A1B2C3D4E5F7").is_none()
    })
    .await;
    let commands = sync_commands_ending(&admin, station, &["Clear cache: Accepted"]).await;
    assert_eq!(
        commands[commands.len() - 2..],
        [
            "Update the local list (version 3: 0 passes added or changed, 1 pass removed): Accepted",
            "Clear cache: Accepted",
        ]
    );

    // The server goes away: the station decides alone, from its list.
    server.task.abort();
    cp.close().await;
    let offline = cp.authorize_offline("04A1B2C3D4E5F6");
    assert_eq!(
        (offline.status, offline.source),
        (
            ocpp::messages::AuthorizationStatus::Accepted,
            DecisionSource::LocalList
        ),
        "a whitelisted pass charges while the server is down"
    );
    assert_ne!(
        cp.authorize_offline("04A1B2C3D4E5F7").status,
        ocpp::messages::AuthorizationStatus::Accepted,
        "a deleted pass does not"
    );
    assert_ne!(
        cp.authorize_offline("04AAAB11CD2345").status,
        ocpp::messages::AuthorizationStatus::Accepted,
        "a roaming pass is not free here (Whitelisting): it is checked online"
    );
}

#[tokio::test]
async fn a_long_list_is_sent_in_parts_and_cut_to_what_the_station_holds() {
    let test_db = TestDb::new().await;
    let db = test_db.open().await;
    let (admin, station) = partner(&db, "Volta", "pat@volta.example", "CP-1").await;
    for n in 0..5 {
        add_tag(&admin, &format!("04A1B2C3D4E5F{n}"), PassMode::Whitelist).await;
    }
    let server = start(&db).await;
    let cp = simulated(
        &server,
        "CP-1",
        StationSetup {
            local_list_max: 3,
            send_local_list_max: 2,
            ..StationSetup::default()
        },
    )
    .await;
    assert_eq!(
        in_sync(&admin, station, 3).await,
        "Local list version 2 — in sync (3 passes)"
    );
    let status = admin.station_local_list(station).await.unwrap();
    assert_eq!((status.wanted, status.left_out), (5, 2));
    assert_eq!(cp.station().local_list().len(), 3);
    let commands = sync_commands(&admin, station).await;
    assert_eq!(
        commands[2..4],
        [
            "Send the local list (full, version 1, 2 passes): Accepted",
            "Update the local list (version 2: 1 pass added or changed, 0 passes removed): Accepted",
        ]
    );
}

#[tokio::test]
async fn a_change_updates_only_the_stations_it_concerns_and_never_with_a_full_list() {
    let test_db = TestDb::new().await;
    let db = test_db.open().await;
    let (partner_admin, partner_station) =
        partner(&db, "Volta", "pat@volta.example", "CP-PARTNER").await;
    let hotel = partner_admin
        .add_sub_organization(&OrgName::parse("Hotel").unwrap())
        .await
        .unwrap();
    let depot = partner_admin
        .add_sub_organization(&OrgName::parse("Depot").unwrap())
        .await
        .unwrap();
    let hotel_admin = scope(&db, "pat@volta.example", hotel).await;
    let depot_admin = scope(&db, "pat@volta.example", depot).await;
    let hotel_station = add_station(&hotel_admin, "CP-HOTEL").await;
    let depot_station = add_station(&depot_admin, "CP-DEPOT").await;
    add_tag(&hotel_admin, "04A1B2C3D4E5F6", PassMode::Whitelist).await;
    let server = start(&db).await;
    let _a = simulated(&server, "CP-PARTNER", StationSetup::default()).await;
    let _b = simulated(&server, "CP-HOTEL", StationSetup::default()).await;
    let _c = simulated(&server, "CP-DEPOT", StationSetup::default()).await;
    in_sync(&partner_admin, partner_station, 1).await;
    in_sync(&partner_admin, hotel_station, 1).await;
    // The depot's list is empty: a Full list with no entries, then the cache is cleared.
    let depot_before = {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let status = partner_admin
                .station_local_list(depot_station)
                .await
                .unwrap();
            let commands = sync_commands(&partner_admin, depot_station).await;
            if status.version == Some(1)
                && status.pending == 0
                && commands.last().map(String::as_str) == Some("Clear cache: Accepted")
            {
                break commands;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{status:?} {commands:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    assert_eq!(
        depot_before
            .iter()
            .filter(|c| c.starts_with("Read configuration keys"))
            .count(),
        1,
        "the limits are read once, also when the configuration is answered before the first boot: {depot_before:?}"
    );

    // A pass added at the hotel: the hotel's and the partner's stations (the partner's list holds the passes
    // below it) get a Differential update; the depot's station is not even asked.
    add_tag(&hotel_admin, "04C0FFEE123456", PassMode::Whitelist).await;
    in_sync(&partner_admin, partner_station, 2).await;
    in_sync(&partner_admin, hotel_station, 2).await;
    for station in [partner_station, hotel_station] {
        let commands = sync_commands(&partner_admin, station).await;
        assert!(
            commands
                .last()
                .unwrap()
                .starts_with("Update the local list (version 2: 1 pass added"),
            "{commands:?}"
        );
        assert_eq!(
            commands.iter().filter(|c| c.contains("full")).count(),
            1,
            "one Full list, at the first connection: {commands:?}"
        );
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        sync_commands(&partner_admin, depot_station).await,
        depot_before
    );

    // Another tenant neither sees nor resends our stations' lists.
    let (other, _) = partner(&db, "Other", "olga@other.example", "CP-OTHER").await;
    assert!(matches!(
        other.station_local_list(hotel_station).await,
        Err(StorageError::NotFound { what: "station" })
    ));
    assert!(matches!(
        other.resend_local_list(hotel_station).await,
        Err(StorageError::NotFound { what: "station" })
    ));
}

#[tokio::test]
async fn a_station_without_a_list_is_remembered_and_its_cache_still_cleared() {
    let test_db = TestDb::new().await;
    let db = test_db.open().await;
    let (admin, station) = partner(&db, "Volta", "pat@volta.example", "CP-1").await;
    let pass = add_tag(&admin, "04A1B2C3D4E5F6", PassMode::Whitelist).await;
    let server = start(&db).await;
    let mut cp = simulated(
        &server,
        "CP-1",
        StationSetup {
            local_list: LocalListSupport::Unsupported,
            ..StationSetup::default()
        },
    )
    .await;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let status = admin.station_local_list(station).await.unwrap();
        if status.support == Support::NotSupported {
            assert_eq!(
                status.headline(),
                "Local list: not supported by this station"
            );
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{status:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Not asked again on the next connection (same firmware).
    cp.reconnect().await.unwrap();
    cp.authorize("04A1B2C3D4E5F6").await.unwrap();
    assert!(cp.station().cache().get("04A1B2C3D4E5F6").is_some());
    admin.delete_pass(pass).await.unwrap();
    eventually("the cache is cleared", || cp.station().cache().is_empty()).await;
    let commands = sync_commands(&admin, station).await;
    assert_eq!(
        commands
            .iter()
            .filter(|c| c.starts_with("Read configuration keys"))
            .count(),
        1,
        "{commands:?}"
    );
    assert!(
        !commands.iter().any(|c| c.contains("local list (")),
        "no list is sent: {commands:?}"
    );
    assert_eq!(commands.last().unwrap(), "Clear cache: Accepted");
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A raw station: connects and boots with `firmware`.
async fn raw_station(server: &Server, cp: &str, firmware: &str) -> Socket {
    let mut request = format!("{}/{cp}", server.url())
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("ocpp1.6"),
    );
    let mut socket = tokio_tungstenite::connect_async(request).await.unwrap().0;
    send(
        &mut socket,
        json!([2, "boot", "BootNotification", {
            "chargePointVendor": "Raw", "chargePointModel": "R1", "firmwareVersion": firmware
        }]),
    )
    .await;
    socket
}

async fn send(socket: &mut Socket, frame: Value) {
    socket
        .send(Message::Text(frame.to_string().into()))
        .await
        .unwrap();
}

/// The next CALL from the server (answers to our own CALLs are skipped), or `None` within `wait`.
async fn next_call(socket: &mut Socket, wait: Duration) -> Option<(String, String, Value)> {
    tokio::time::timeout(wait, async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Text(text))) => {
                    let frame: Value = serde_json::from_str(text.as_str()).unwrap();
                    if frame[0] == 2 {
                        return (
                            frame[1].as_str().unwrap().to_owned(),
                            frame[2].as_str().unwrap().to_owned(),
                            frame[3].clone(),
                        );
                    }
                }
                Some(Ok(_)) => continue,
                other => panic!("the connection ended: {other:?}"),
            }
        }
    })
    .await
    .ok()
}

async fn expect_call(socket: &mut Socket, action: &str) -> (String, Value) {
    let (id, got, payload) = next_call(socket, WAIT).await.expect("a CALL");
    assert_eq!(got, action, "{payload}");
    (id, payload)
}

async fn answer_configuration(socket: &mut Socket, profiles: &str) {
    let (id, _) = expect_call(socket, "GetConfiguration").await;
    send(
        socket,
        json!([3, id, {"configurationKey": [
            {"key": "LocalAuthListMaxLength", "readonly": true, "value": "100"},
            {"key": "SendLocalListMaxLength", "readonly": true, "value": "50"},
            {"key": "SupportedFeatureProfiles", "readonly": true, "value": profiles}
        ]}]),
    )
    .await;
}

#[tokio::test]
async fn a_version_mismatch_or_failure_gets_a_full_list_and_a_station_that_keeps_failing_is_let_be()
{
    let test_db = TestDb::new().await;
    let db = test_db.open().await;
    let (admin, station) = partner(&db, "Volta", "pat@volta.example", "CP-RAW").await;
    add_tag(&admin, "04A1B2C3D4E5F6", PassMode::Whitelist).await;
    let server = start(&db).await;
    let mut socket = raw_station(&server, "CP-RAW", "1.0").await;
    answer_configuration(&mut socket, "Core,LocalAuthListManagement").await;
    let (id, _) = expect_call(&mut socket, "GetLocalListVersion").await;
    send(&mut socket, json!([3, id, {"listVersion": 5}])).await;
    let (id, list) = expect_call(&mut socket, "SendLocalList").await;
    assert_eq!(list["updateType"], "Full");
    assert_eq!(list["listVersion"], 6);
    assert_eq!(
        list["localAuthorizationList"],
        json!([{"idTag": "04A1B2C3D4E5F6", "idTagInfo": {"status": "Accepted"}}])
    );
    // VersionMismatch: the version is read again and a Full list follows.
    send(&mut socket, json!([3, id, {"status": "VersionMismatch"}])).await;
    let (id, _) = expect_call(&mut socket, "GetLocalListVersion").await;
    send(&mut socket, json!([3, id, {"status": "ignored"}])).await;
    // An invalid answer counts as a failure; the version is asked again.
    let (id, _) = expect_call(&mut socket, "GetLocalListVersion").await;
    send(&mut socket, json!([3, id, {"listVersion": 9}])).await;
    let (id, list) = expect_call(&mut socket, "SendLocalList").await;
    assert_eq!(
        (list["updateType"].as_str(), list["listVersion"].as_i64()),
        (Some("Full"), Some(10))
    );
    send(&mut socket, json!([3, id, {"status": "Failed"}])).await;
    // Three failures in a row: the sync stops asking this connection (no flood of retries).
    assert!(
        next_call(&mut socket, Duration::from_secs(1))
            .await
            .is_none(),
        "nothing more after three failures"
    );
    let status = admin.station_local_list(station).await.unwrap();
    assert!(status.gave_up);
    assert_eq!(
        status.last_error.unwrap().0,
        "The station answered Failed to list version 10"
    );
    // "Resend full list" starts over.
    admin.resend_local_list(station).await.unwrap();
    answer_configuration(&mut socket, "Core,LocalAuthListManagement").await;
    let (id, _) = expect_call(&mut socket, "GetLocalListVersion").await;
    send(&mut socket, json!([3, id, {"listVersion": 9}])).await;
    let (id, list) = expect_call(&mut socket, "SendLocalList").await;
    assert_eq!(list["listVersion"], 10);
    send(&mut socket, json!([3, id, {"status": "Accepted"}])).await;
    let (id, _) = expect_call(&mut socket, "ClearCache").await;
    send(&mut socket, json!([3, id, {"status": "Accepted"}])).await;
    assert_eq!(
        in_sync(&admin, station, 1).await,
        "Local list version 10 — in sync (1 pass)"
    );
    let audit = admin.audit_log(20).await.unwrap();
    assert!(audit.iter().any(|e| e
        .summary
        .starts_with("Resend the full local list to station")));
}

#[tokio::test]
async fn not_supported_is_remembered_until_the_station_boots_with_another_firmware() {
    let test_db = TestDb::new().await;
    let db = test_db.open().await;
    let (admin, station) = partner(&db, "Volta", "pat@volta.example", "CP-RAW").await;
    add_tag(&admin, "04A1B2C3D4E5F6", PassMode::Whitelist).await;
    let server = start(&db).await;
    let mut socket = raw_station(&server, "CP-RAW", "1.0").await;
    answer_configuration(&mut socket, "Core,RemoteTrigger").await;
    let extra = next_call(&mut socket, Duration::from_secs(1)).await;
    assert!(extra.is_none(), "no more CALLs: {extra:?}");
    assert_eq!(
        admin.station_local_list(station).await.unwrap().support,
        Support::NotSupported
    );
    drop(socket);
    // The same firmware again: not asked.
    let mut socket = raw_station(&server, "CP-RAW", "1.0").await;
    let extra = next_call(&mut socket, Duration::from_secs(1)).await;
    assert!(extra.is_none(), "no more CALLs: {extra:?}");
    drop(socket);
    // New firmware: asked again, and now it has the profile.
    let mut socket = raw_station(&server, "CP-RAW", "2.0").await;
    answer_configuration(&mut socket, "Core,LocalAuthListManagement").await;
    let (id, _) = expect_call(&mut socket, "GetLocalListVersion").await;
    send(&mut socket, json!([3, id, {"listVersion": 0}])).await;
    let (_, list) = expect_call(&mut socket, "SendLocalList").await;
    assert_eq!(list["listVersion"], 1);
}

#[tokio::test]
async fn a_pass_added_through_another_instance_reaches_the_station_connected_here() {
    let test_db = TestDb::new().await;
    if !test_db.is_postgres() {
        println!("skipped: several instances need PostgreSQL (set CHARGEDESK_TEST_PG_URL)");
        return;
    }
    // This instance holds the station's connection; the administrator works through another one (its own
    // database handle, with its own LISTEN connection).
    let here = test_db.open().await;
    let there = test_db.open().await;
    let (admin, station) = partner(&there, "Volta", "pat@volta.example", "CP-1").await;
    let server = start(&here).await;
    let cp = simulated(&server, "CP-1", StationSetup::default()).await;
    in_sync(&admin, station, 0).await;
    add_tag(&admin, "04A1B2C3D4E5F6", PassMode::Whitelist).await;
    assert_eq!(
        in_sync(&admin, station, 1).await,
        "Local list version 2 — in sync (1 pass)"
    );
    eventually("the pass is on the station's list", || {
        cp.station().local_list().get("04A1B2C3D4E5F6").is_some()
    })
    .await;
}
