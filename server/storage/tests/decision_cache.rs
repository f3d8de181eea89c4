//! The decision cache (`storage::decision_cache`): an Authorize reads a station's organization and access mode
//! and a card's candidate passes from memory once they were read, and every change ChargeDesk makes to them —
//! on this instance or, on PostgreSQL, on another — counts from the next decision on.

mod common;

use common::*;
use shared::decision::{AuthorizationStatus, Billing, Decision};
use shared::station::{AccessMode, ChargePointId, StationName, StationPassword};
use shared::{OrgId, PassId, PassMode, Role};
use std::time::Duration;
use storage::test_support::TestDb;
use storage::{Caller, ConnectedStation, Db, OrgAdmin};

const STATION_PASSWORD: &str = "decision-cache-station-key";
const CARD: &str = "04AAAB11CD2345";

/// Volta Partners ── De Kroon Logistics (k) ── De Kroon Werkplaats (k1); station KRN-CP-001 in k; a
/// cardholder in k and in k1.
struct Fixture {
    admin: Caller,
    partner: OrgId,
    k: OrgId,
    k1: OrgId,
    station: shared::ids::StationId,
}

impl Fixture {
    async fn scope(&self, db: &Db, org: OrgId) -> OrgAdmin {
        self.admin.admin_of(db, org).await.unwrap()
    }

    async fn pass(&self, db: &Db, org: OrgId, nickname: &str, mode: PassMode) -> PassId {
        let scope = self.scope(db, org).await;
        let first = scope.users().await.unwrap()[0].id;
        let user = scope.member(first).await.unwrap();
        scope
            .add_pass(user, &hidden(CARD), &nick(nickname), mode)
            .await
            .unwrap()
    }
}

async fn fixture(db: &Db) -> Fixture {
    let (partner, admin) = common::partner(db).await;
    let k = admin
        .admin_of(db, partner)
        .await
        .unwrap()
        .add_sub_organization(&org_name("De Kroon Logistics"))
        .await
        .unwrap();
    let ks = admin.admin_of(db, k).await.unwrap();
    let k1 = ks
        .add_sub_organization(&org_name("De Kroon Werkplaats"))
        .await
        .unwrap();
    member(&ks, "Jan", "Holder", "jan@kroon.example", Role::Cardholder).await;
    let k1s = admin.admin_of(db, k1).await.unwrap();
    member(
        &k1s,
        "Anna",
        "Holder",
        "anna@kroon.example",
        Role::Cardholder,
    )
    .await;
    let station = ks
        .add_station(
            &ChargePointId::parse("KRN-CP-001").unwrap(),
            &StationName::parse("Laadpaal Zuid").unwrap(),
            Some(&StationPassword::parse(STATION_PASSWORD).unwrap()),
        )
        .await
        .unwrap();
    Fixture {
        admin,
        partner,
        k,
        k1,
        station,
    }
}

async fn connect(db: &Db) -> ConnectedStation {
    let login = db.station_login("KRN-CP-001").await.unwrap().unwrap();
    assert!(login.verify_password(STATION_PASSWORD).await.unwrap());
    login.accept(db).unwrap()
}

/// (status, billing, pass) of a decision.
fn outcome(d: &Decision) -> (AuthorizationStatus, Option<Billing>, Option<PassId>) {
    (d.status, d.billing, d.pass)
}

#[tokio::test]
async fn every_change_to_what_decisions_read_counts_from_the_next_authorize() {
    use AuthorizationStatus::{Accepted, Invalid};
    let (_dir, db) = fresh_db().await;
    let f = fixture(&db).await;
    let (p, k) = (f.scope(&db, f.partner).await, f.scope(&db, f.k).await);
    let station = connect(&db).await;

    // Unknown: the miss is cached too, and a new pass ends it.
    let d = station.authorize(CARD).await.unwrap();
    assert_eq!(outcome(&d), (Invalid, None, None));
    let pass = f.pass(&db, f.k, "Tag Jan", PassMode::Whitelist).await;
    let d = station.authorize(CARD).await.unwrap();
    assert_eq!(outcome(&d), (Accepted, Some(Billing::Free), Some(pass)));
    // Asked again: the same.
    let d = station.authorize(CARD).await.unwrap();
    assert_eq!(outcome(&d), (Accepted, Some(Billing::Free), Some(pass)));

    // The pass's mode.
    k.set_pass_mode(pass, PassMode::Roaming).await.unwrap();
    let d = station.authorize(CARD).await.unwrap();
    assert_eq!(outcome(&d), (Invalid, None, Some(pass)));
    assert!(d.reason.contains("set to roaming"), "{}", d.reason);

    // An ancestor's default access mode, inherited by the station.
    p.set_default_access_mode(Some(AccessMode::Roaming))
        .await
        .unwrap();
    let d = station.authorize(CARD).await.unwrap();
    assert_eq!(outcome(&d), (Accepted, Some(Billing::Settled), Some(pass)));

    // The organization's own default.
    k.set_default_access_mode(Some(AccessMode::Whitelisting))
        .await
        .unwrap();
    let d = station.authorize(CARD).await.unwrap();
    assert_eq!(outcome(&d), (Invalid, None, Some(pass)));

    // The station's own access mode.
    k.set_station_access_mode(f.station, Some(AccessMode::Open))
        .await
        .unwrap();
    let d = station.authorize(CARD).await.unwrap();
    assert_eq!(outcome(&d), (Accepted, Some(Billing::Free), Some(pass)));
    k.set_station_access_mode(f.station, None).await.unwrap();

    // The pass deleted: a pass with the same Hidden ID in the sub-organization counts now.
    k.delete_pass(pass).await.unwrap();
    let d = station.authorize(CARD).await.unwrap();
    assert_eq!(outcome(&d), (Invalid, None, None));
    let sub_pass = f.pass(&db, f.k1, "Tag Anna", PassMode::Whitelist).await;
    let d = station.authorize(CARD).await.unwrap();
    assert_eq!(outcome(&d), (Accepted, Some(Billing::Free), Some(sub_pass)));
    assert!(d.reason.contains("De Kroon Werkplaats"), "{}", d.reason);

    // The cardholder removed from the organization: their passes go with them.
    let k1 = f.scope(&db, f.k1).await;
    let anna = k1.users().await.unwrap()[0].id;
    let anna = k1.member(anna).await.unwrap();
    k1.remove_user(anna).await.unwrap();
    let d = station.authorize(CARD).await.unwrap();
    assert_eq!(outcome(&d), (Invalid, None, None));

    // A StartTransaction decides with the same, current inputs.
    let (_, d) = station
        .start_transaction(1, CARD, 0, storage::now())
        .await
        .unwrap();
    assert_eq!(outcome(&d), (Invalid, None, None));
}

/// The cache is really used: a change made behind ChargeDesk's back (SQL by hand, announced to nobody) is not
/// seen while the station traffic goes on, which writes without invalidating anything; the next change made
/// through ChargeDesk makes every cached input count as out of date.
#[tokio::test]
async fn station_traffic_keeps_the_cache_and_a_change_through_chargedesk_ends_it() {
    use AuthorizationStatus::{Accepted, Invalid};
    let test_db = TestDb::new().await;
    let db = test_db.open().await;
    let raw = test_db.raw().await;
    let f = fixture(&db).await;
    let k = f.scope(&db, f.k).await;
    let pass = f.pass(&db, f.k, "Tag Jan", PassMode::Whitelist).await;
    let station = connect(&db).await;
    let d = station.authorize(CARD).await.unwrap();
    assert_eq!(outcome(&d), (Accepted, Some(Billing::Free), Some(pass)));

    sqlx::query("UPDATE passes SET mode = 'roaming' WHERE id = $1")
        .bind(pass.0)
        .execute(&raw)
        .await
        .unwrap();
    // Station traffic: a boot, a status, an Authorize stored by the log writer's batch, a transaction.
    station
        .boot("Alfen", "Eve Single", Some("ACE0001"), Some("6.1"))
        .await
        .unwrap();
    station
        .status(1, "Available", "NoError", None, storage::now())
        .await
        .unwrap();
    let (d, record) = station.decide_authorize(CARD).await.unwrap();
    assert_eq!(outcome(&d), (Accepted, Some(Billing::Free), Some(pass)));
    let (_, stored) = db.store_ocpp_batch(&[], &[record], &[]).await;
    assert_eq!(stored, vec![true]);
    let (_, d) = station
        .start_transaction(1, CARD, 0, storage::now())
        .await
        .unwrap();
    assert_eq!(
        outcome(&d),
        (Accepted, Some(Billing::Free), Some(pass)),
        "the cached inputs are still used"
    );

    // Any change through ChargeDesk, here one that has nothing to do with the card.
    k.set_default_access_mode(Some(AccessMode::Whitelisting))
        .await
        .unwrap();
    let d = station.authorize(CARD).await.unwrap();
    assert_eq!(outcome(&d), (Invalid, None, Some(pass)));
}

/// Two instances on one PostgreSQL database: a change committed by one counts at the other's next decision,
/// as soon as its notification arrived.
#[tokio::test]
async fn a_change_on_another_instance_counts_once_its_notification_arrived() {
    use AuthorizationStatus::{Accepted, Invalid};
    let test_db = TestDb::new().await;
    if !test_db.is_postgres() {
        // One process per SQLite database: there is no other instance.
        return;
    }
    let here = test_db.open().await;
    let there = test_db.open().await;
    let f = fixture(&here).await;
    let pass = f.pass(&here, f.k, "Tag Jan", PassMode::Whitelist).await;
    let station = connect(&here).await;
    let d = station.authorize(CARD).await.unwrap();
    assert_eq!(outcome(&d), (Accepted, Some(Billing::Free), Some(pass)));

    f.scope(&there, f.k)
        .await
        .set_pass_mode(pass, PassMode::Roaming)
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let d = station.authorize(CARD).await.unwrap();
        if outcome(&d) == (Invalid, None, Some(pass)) {
            break;
        }
        assert_eq!(outcome(&d), (Accepted, Some(Billing::Free), Some(pass)));
        assert!(
            tokio::time::Instant::now() < deadline,
            "the other instance's change never counted here"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
