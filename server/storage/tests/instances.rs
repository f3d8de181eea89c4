//! Several server instances on one database: station events reach every `Db` handle exactly once (through
//! PostgreSQL's notifications; in-process on SQLite), forged or malformed notifications are ignored, a lost
//! listening connection is re-established and reported, and instance leases decide which stations are online.
//!
//! Each `Db` handle opened with `TestDb::open` stands for one instance: on PostgreSQL it has its own pool and its
//! own listening connection, exactly like a second server process.

mod common;

use common::*;
use shared::ids::StationId;
use shared::model::TapEvent;
use shared::station::{ChargePointId, StationName, StationPassword};
use std::time::Duration;
use storage::{
    CleanedUp, ConnectedStation, Db, EventGap, InstanceId, OrgAdmin, StationEvent, StationEvents,
    DEFAULT_INSTANCE_LEASE, EVENT_CHANNEL,
};

const STATION_PASSWORD: &str = "station-password-0001";

/// A guard against waiting for ever; never an assertion about speed.
const PATIENCE: Duration = Duration::from_secs(10);

/// The partner's administrator scope and two stations `CP-A` and `CP-B` (with a password).
async fn stations(db: &Db) -> (OrgAdmin, StationId, StationId) {
    let (org, caller) = partner(db).await;
    let admin = caller.admin_of(db, org).await.unwrap();
    let mut ids = Vec::new();
    for cp in ["CP-A", "CP-B"] {
        ids.push(
            admin
                .add_station(
                    &ChargePointId::parse(cp).unwrap(),
                    &StationName::parse(&format!("Charger {cp}")).unwrap(),
                    Some(&StationPassword::parse(STATION_PASSWORD).unwrap()),
                )
                .await
                .unwrap(),
        );
    }
    (admin, ids[0], ids[1])
}

async fn connect(db: &Db, charge_point_id: &str) -> ConnectedStation {
    let login = db.station_login(charge_point_id).await.unwrap().unwrap();
    assert!(login.verify_password(STATION_PASSWORD).await.unwrap());
    login.accept(db).unwrap()
}

async fn online(admin: &OrgAdmin, station: StationId) -> bool {
    let listed = admin
        .stations()
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.id == station)
        .unwrap()
        .online;
    let detail = admin.station(station).await.unwrap();
    assert_eq!(listed, detail.summary.online, "list and detail agree");
    assert_eq!(detail.connected_since.is_some(), detail.summary.online);
    listed
}

/// `(connected_at, connected_instance)` of a station's row, as stored.
async fn stored_connection(raw: &sqlx::AnyPool, station: StationId) -> (Option<i64>, Option<i64>) {
    sqlx::query_as("SELECT connected_at, connected_instance FROM stations WHERE id = $1")
        .bind(station.0)
        .fetch_one(raw)
        .await
        .unwrap()
}

fn tap(station: StationId, id_tag: &str) -> TapEvent {
    TapEvent {
        station,
        id_tag: id_tag.into(),
        at: storage::now(),
        known: false,
    }
}

async fn next_event(events: &mut StationEvents) -> Result<StationEvent, EventGap> {
    tokio::time::timeout(PATIENCE, events.recv())
        .await
        .expect("an event within the patience")
}

async fn next_tap(taps: &mut storage::TapSubscription) -> TapEvent {
    tokio::time::timeout(PATIENCE, taps.recv())
        .await
        .expect("a tap within the patience")
        .expect("no tap lost")
}

async fn notify(raw: &sqlx::AnyPool, payload: &str) {
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(EVENT_CHANNEL)
        .bind(payload)
        .execute(raw)
        .await
        .unwrap();
}

#[tokio::test]
async fn an_event_reaches_every_handle_once_including_the_publishing_one() {
    let test_db = TestDb::new().await;
    let first = test_db.open().await;
    let second = test_db.open().await;
    let raw = test_db.raw().await;
    let (admin, a, b) = stations(&first).await;
    let mut on_first = first.station_events();
    let mut on_second = second.station_events();
    let instance = first.start_instance(DEFAULT_INSTANCE_LEASE).await.unwrap();

    // Changes made through the first handle: a password change each for A and B, and A connecting.
    admin
        .set_station_password(
            a,
            Some(&StationPassword::parse("another-password-01").unwrap()),
        )
        .await
        .unwrap();
    admin
        .set_station_password(
            b,
            Some(&StationPassword::parse("another-password-02").unwrap()),
        )
        .await
        .unwrap();
    admin
        .set_station_password(a, Some(&StationPassword::parse(STATION_PASSWORD).unwrap()))
        .await
        .unwrap();
    let station = connect(&first, "CP-A").await;
    station.connected(&instance).await;
    let expected = [
        StationEvent::CredentialsChanged(a),
        StationEvent::CredentialsChanged(b),
        StationEvent::CredentialsChanged(a),
        StationEvent::Connected {
            station: a,
            connection: station.connection_nonce(),
            instance: instance.id(),
        },
    ];
    // Everything up to a marker sent after them: each event once, in order, on the publishing handle ...
    assert_eq!(station_events_so_far(&raw, &mut on_first).await, expected);
    if test_db.is_postgres() {
        // ... and on the other instance's.
        assert_eq!(station_events_so_far(&raw, &mut on_second).await, expected);
    } else {
        println!("SQLite: one process per database, events stay in-process (the second handle is not asked)");
    }

    // Taps, each station on its own channel, on both handles.
    let mut a_here = first.subscribe_taps(a);
    let mut b_here = first.subscribe_taps(b);
    let mut a_there = second.subscribe_taps(a);
    first.publish_tap(&tap(a, "04AAAA0001")).await.unwrap();
    first.publish_tap(&tap(b, "04BBBB0001")).await.unwrap();
    first.publish_tap(&tap(a, "04AAAA0002")).await.unwrap();
    assert_eq!(next_tap(&mut a_here).await.id_tag, "04AAAA0001");
    assert_eq!(
        next_tap(&mut a_here).await.id_tag,
        "04AAAA0002",
        "not twice"
    );
    assert_eq!(next_tap(&mut b_here).await.id_tag, "04BBBB0001", "only B's");
    if test_db.is_postgres() {
        assert_eq!(next_tap(&mut a_there).await.id_tag, "04AAAA0001");
        assert_eq!(next_tap(&mut a_there).await.id_tag, "04AAAA0002");
    }
    drop(a_there);
    assert_eq!(
        second.tap_channels(),
        0,
        "the last listener took its channel"
    );
}

#[tokio::test]
async fn forged_and_malformed_notifications_are_ignored() {
    let test_db = TestDb::new().await;
    if !test_db.is_postgres() {
        println!("skipped: notifications need PostgreSQL (set CHARGEDESK_TEST_PG_URL)");
        return;
    }
    let db = test_db.open().await;
    let raw = test_db.raw().await;
    let (admin, a, _) = stations(&db).await;
    let mut events = db.station_events();
    let mut taps = db.subscribe_taps(a);

    // Anyone who can reach the database can NOTIFY on the channel: nothing of this may act, or stop the
    // listener.
    let long = "x".repeat(7_000);
    let station = a.0;
    for payload in [
        String::new(),
        "garbage".into(),
        "{}".into(),
        "null".into(),
        format!(r#"{{"v":2,"event":{{"kind":"credentials_changed","station":{station}}}}}"#),
        format!(r#"{{"v":1,"event":{{"kind":"close_everything","station":{station}}}}}"#),
        format!(r#"{{"v":1,"event":{{"kind":"credentials_changed","station":-{station}}}}}"#),
        format!(
            r#"{{"v":1,"event":{{"kind":"credentials_changed","station":{station},"also":1}}}}"#
        ),
        format!(
            r#"{{"v":1,"event":{{"kind":"tap","station":{station},"id_tag":"","at":0,"known":true}}}}"#
        ),
        format!(
            r#"{{"v":1,"event":{{"kind":"tap","station":{station},"id_tag":"{long}","at":0,"known":true}}}}"#
        ),
        format!(
            r#"{{"v":1,"event":{{"kind":"connected","station":{station},"connection":"1","instance":2}}}}"#
        ),
        r#"{"v":1,"event":{"kind":"credentials_changed","station":99999999999999999999999}}"#
            .into(),
    ] {
        notify(&raw, &payload).await;
    }
    // A real change and a real tap afterwards are the next things each subscriber gets: nothing in between,
    // and no gap (the listener kept its connection).
    admin
        .set_station_password(
            a,
            Some(&StationPassword::parse("another-password-01").unwrap()),
        )
        .await
        .unwrap();
    assert_eq!(
        next_event(&mut events).await,
        Ok(StationEvent::CredentialsChanged(a))
    );
    db.publish_tap(&tap(a, "04AAAA0001")).await.unwrap();
    assert_eq!(next_tap(&mut taps).await.id_tag, "04AAAA0001");
}

#[tokio::test]
async fn a_lost_listening_connection_comes_back_and_reports_missed_events() {
    let test_db = TestDb::new().await;
    if !test_db.is_postgres() {
        println!("skipped: the listening connection exists on PostgreSQL only (set CHARGEDESK_TEST_PG_URL)");
        return;
    }
    let db = test_db.open().await;
    let raw = test_db.raw().await;
    let (admin, a, _) = stations(&db).await;
    let mut events = db.station_events();

    // The server ends the listener's connection (an administrator, a restart, a network cut).
    let ended: Vec<i64> = sqlx::query_scalar(
        "SELECT CASE WHEN pg_terminate_backend(pid) THEN 1 ELSE 0 END FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid() AND query ILIKE 'LISTEN%'",
    )
    .fetch_all(&raw)
    .await
    .unwrap();
    assert_eq!(ended, [1], "exactly the listening connection");

    // Subscribers are told they may have missed events once it is back ...
    assert_eq!(next_event(&mut events).await, Err(EventGap::Missed));
    // ... and events flow again.
    admin
        .set_station_password(
            a,
            Some(&StationPassword::parse("another-password-01").unwrap()),
        )
        .await
        .unwrap();
    assert_eq!(
        next_event(&mut events).await,
        Ok(StationEvent::CredentialsChanged(a))
    );
}

/// Lets the lease of `instance` run out, as if its process had died without a word that long ago.
async fn expire_lease(raw: &sqlx::AnyPool, instance: InstanceId) {
    let changed = sqlx::query("UPDATE instances SET lease_until = $1 WHERE id = $2")
        .bind(storage::now().0 - 1)
        .bind(instance.0)
        .execute(raw)
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(changed, 1);
}

#[tokio::test]
async fn a_dead_instances_stations_read_offline_once_its_lease_ran_out_and_clean_up_clears_them() {
    let test_db = TestDb::new().await;
    let db = test_db.open().await;
    let raw = test_db.raw().await;
    let (admin, a, b) = stations(&db).await;
    let dying = db.start_instance(DEFAULT_INSTANCE_LEASE).await.unwrap();
    let survivor = test_db.open().await;
    let living = survivor
        .start_instance(DEFAULT_INSTANCE_LEASE)
        .await
        .unwrap();
    connect(&db, "CP-A").await.connected(&dying).await;
    connect(&survivor, "CP-B").await.connected(&living).await;
    assert!(online(&admin, a).await && online(&admin, b).await);

    // The instance stops renewing (kill -9): while its lease runs, its station still counts as online.
    let dead = dying.id();
    drop(dying);
    assert!(online(&admin, a).await);

    // Its lease has passed: the station reads as offline although no one cleaned up yet.
    expire_lease(&raw, dead).await;
    assert!(!online(&admin, a).await, "offline before the clean-up");
    let (connected_at, holder) = stored_connection(&raw, a).await;
    assert!(
        connected_at.is_some() && holder == Some(dead.0),
        "still recorded"
    );
    assert!(
        online(&admin, b).await,
        "the living instance's station stays online"
    );

    // The surviving instance cleans up: the dead row is gone and its station cleared; the other is untouched.
    assert_eq!(
        survivor.clean_up_instances().await.unwrap(),
        CleanedUp {
            instances: 1,
            stations: 1
        }
    );
    assert_eq!(stored_connection(&raw, a).await, (None, None));
    assert!(stored_connection(&raw, b).await.0.is_some());
    assert!(online(&admin, b).await);
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM instances WHERE id = $1")
        .bind(dead.0)
        .fetch_one(&raw)
        .await
        .unwrap();
    assert_eq!(rows, 0);
}

#[tokio::test]
async fn a_new_instance_leaves_live_instances_stations_alone_and_clears_dead_and_legacy_ones() {
    let test_db = TestDb::new().await;
    let db = test_db.open().await;
    let raw = test_db.raw().await;
    let (admin, a, b) = stations(&db).await;
    let live = db.start_instance(DEFAULT_INSTANCE_LEASE).await.unwrap();
    connect(&db, "CP-A").await.connected(&live).await;
    // A connection recorded before instances existed (an older release): no instance, so it reads as offline.
    sqlx::query(
        "UPDATE stations SET connected_at = $1, connection_nonce = 7, connected_instance = NULL WHERE id = $2",
    )
    .bind(storage::now().0)
    .bind(b.0)
    .execute(&raw)
    .await
    .unwrap();
    assert!(!online(&admin, b).await);

    // Another instance starts (a second server process, or this one after a restart).
    let other = test_db.open().await;
    let started = other.start_instance(DEFAULT_INSTANCE_LEASE).await.unwrap();
    assert_ne!(started.id(), live.id());
    assert!(
        online(&admin, a).await,
        "the live instance's station stays online"
    );
    assert_eq!(stored_connection(&raw, a).await.1, Some(live.id().0));
    assert_eq!(
        stored_connection(&raw, b).await,
        (None, None),
        "the legacy record is cleared"
    );
    // Starting again (or cleaning up) finds nothing more to do.
    assert_eq!(
        other.clean_up_instances().await.unwrap(),
        CleanedUp::default()
    );
    assert!(online(&admin, a).await);
}

#[tokio::test]
async fn an_instance_whose_row_was_cleaned_up_registers_again_and_says_its_lease_was_lost() {
    let test_db = TestDb::new().await;
    let db = test_db.open().await;
    let raw = test_db.raw().await;
    let (admin, a, _) = stations(&db).await;
    let mut events = db.station_events();
    // A short lease, renewed every second (long enough that a busy test machine does not let it lapse).
    let instance = db.start_instance(Duration::from_secs(3)).await.unwrap();
    let station = connect(&db, "CP-A").await;
    station.connected(&instance).await;
    assert!(matches!(
        next_event(&mut events).await,
        Ok(StationEvent::Connected { .. })
    ));

    // The instance stalled beyond its lease, and another instance cleaned up after it meanwhile (what
    // clean_up_instances does, in one transaction, so that no renewal in between can save the row).
    let mut cleanup = raw.begin().await.unwrap();
    for statement in [
        "DELETE FROM instances WHERE id = $1",
        "UPDATE stations SET connected_at = NULL, connection_nonce = NULL, connected_instance = NULL \
         WHERE connected_instance = $1",
    ] {
        sqlx::query(statement)
            .bind(instance.id().0)
            .execute(&mut *cleanup)
            .await
            .unwrap();
    }
    cleanup.commit().await.unwrap();
    assert!(!online(&admin, a).await);
    // Its next renewal notices: it is registered again, and its connections are to be closed so that the
    // stations reconnect and are recorded again.
    assert_eq!(next_event(&mut events).await, Err(EventGap::LeaseLost));
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM instances WHERE id = $1")
        .bind(instance.id().0)
        .fetch_one(&raw)
        .await
        .unwrap();
    assert_eq!(rows, 1);
    let again = connect(&db, "CP-A").await;
    again.connected(&instance).await;
    assert!(online(&admin, a).await);
    // The old connection's late end does not mark the new one offline.
    station.disconnected().await;
    assert!(online(&admin, a).await);

    // Retiring ends it for good: no renewal brings the row back.
    assert_eq!(instance.retire().await.unwrap(), 1);
    assert!(!online(&admin, a).await);
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM instances")
        .fetch_one(&raw)
        .await
        .unwrap();
    assert_eq!(rows, 0);
}
