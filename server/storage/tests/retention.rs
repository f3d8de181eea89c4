//! Retention of the growing OCPP tables: authorization decisions and raw meter values are deleted after their
//! retention period; a transaction's decision, the readings of a running transaction, and the transactions
//! themselves are kept.

mod common;

use common::*;
use shared::station::{ChargePointId, StationName, StationPassword};
use shared::time::Timestamp;
use shared::Role;
use storage::{now, ConnectedStation, Db, OrgAdmin};

const TAG: &str = "04AAAB11CD2345";
const STATION_PASSWORD: &str = "s3cret-station-key";
const DAY_MS: i64 = 24 * 3600 * 1000;

async fn station(db: &Db, admin: &OrgAdmin, cp: &str) -> ConnectedStation {
    admin
        .add_station(
            &ChargePointId::parse(cp).unwrap(),
            &StationName::parse("Depot charger").unwrap(),
            Some(&StationPassword::parse(STATION_PASSWORD).unwrap()),
        )
        .await
        .unwrap();
    let login = db.station_login(cp).await.unwrap().expect("known station");
    assert!(login.verify_password(STATION_PASSWORD).await.unwrap());
    login.accept(db).expect("accepted")
}

#[tokio::test]
async fn old_decisions_are_pruned_but_a_transactions_decision_is_kept() {
    let (_dir, db) = fresh_db().await;
    let (org, caller) = partner(&db).await;
    let admin = caller.admin_of(&db, org).await.unwrap();
    let holder = member(
        &admin,
        "Card",
        "Holder",
        "holder@volta.example",
        Role::Cardholder,
    )
    .await;
    let pass = admin
        .add_pass(
            holder,
            &hidden(TAG),
            &nick("Tag"),
            shared::PassMode::Whitelist,
        )
        .await
        .unwrap();
    let cp = station(&db, &admin, "CP-RET").await;
    cp.authorize(TAG).await.unwrap();
    cp.authorize("04FFFF11CD2345").await.unwrap();
    let (transaction, _) = cp
        .start_transaction(1, TAG, 0, Timestamp(now().0 - DAY_MS))
        .await
        .unwrap();
    let before = admin.pass_decisions(pass, 10).await.unwrap();
    assert_eq!(before.len(), 2, "{before:#?}");

    // Nothing is older than the retention period yet.
    let cutoff = Timestamp(now().0 - 90 * DAY_MS);
    assert_eq!(db.prune_authorization_decisions(cutoff).await.unwrap(), 0);

    // Once they are: the two Authorize decisions go, the StartTransaction's stays with its transaction.
    let later = Timestamp(now().0 + DAY_MS);
    assert_eq!(db.prune_authorization_decisions(later).await.unwrap(), 2);
    let after = admin.pass_decisions(pass, 10).await.unwrap();
    assert_eq!(
        after.iter().map(|d| d.action.as_str()).collect::<Vec<_>>(),
        ["StartTransaction"]
    );
    let kept = admin.transactions(10).await.unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].id, transaction);
    assert_eq!(db.prune_authorization_decisions(later).await.unwrap(), 0);
}

#[tokio::test]
async fn meter_values_expire_by_the_stop_time_of_their_transaction() {
    let (_dir, db) = fresh_db().await;
    let (org, caller) = partner(&db).await;
    let admin = caller.admin_of(&db, org).await.unwrap();
    let cp = station(&db, &admin, "CP-METER").await;
    let long_ago = now().0 - 500 * DAY_MS;
    let recently = now().0 - DAY_MS;

    // Finished long ago: its readings expire.
    let (finished, _) = cp
        .start_transaction(1, TAG, 0, Timestamp(long_ago))
        .await
        .unwrap();
    for i in 1..=3 {
        cp.meter_value(
            Some(finished.0),
            1,
            100.0 * i as f64,
            Timestamp(long_ago + i),
        )
        .await
        .unwrap();
    }
    cp.stop_transaction(finished.0, 400, Timestamp(long_ago + 10), None, None)
        .await
        .unwrap();
    // Started long ago, finished recently: kept (the stop time counts, not the reading's).
    let (recent, _) = cp
        .start_transaction(2, TAG, 0, Timestamp(long_ago))
        .await
        .unwrap();
    cp.meter_value(Some(recent.0), 2, 50.0, Timestamp(long_ago + 5))
        .await
        .unwrap();
    cp.stop_transaction(recent.0, 60, Timestamp(recently), None, None)
        .await
        .unwrap();
    // Still running after a long time: kept.
    let (running, _) = cp
        .start_transaction(3, TAG, 0, Timestamp(long_ago))
        .await
        .unwrap();
    cp.meter_value(Some(running.0), 3, 70.0, Timestamp(long_ago + 5))
        .await
        .unwrap();
    // Readings without a transaction: by their own time.
    cp.meter_value(None, 4, 1.0, Timestamp(long_ago))
        .await
        .unwrap();
    cp.meter_value(None, 4, 2.0, Timestamp(recently))
        .await
        .unwrap();

    let cutoff = Timestamp(now().0 - 400 * DAY_MS);
    assert_eq!(
        db.prune_meter_values(cutoff).await.unwrap(),
        4,
        "the finished transaction's three readings and the old unassigned one"
    );
    assert_eq!(db.prune_meter_values(cutoff).await.unwrap(), 0);

    // The running transaction's reading goes only once it has stopped long enough ago.
    cp.stop_transaction(running.0, 80, Timestamp(long_ago + 20), None, None)
        .await
        .unwrap();
    assert_eq!(db.prune_meter_values(cutoff).await.unwrap(), 1);

    // The transactions themselves are records: all three are kept, with their totals.
    let transactions = admin.transactions(10).await.unwrap();
    assert_eq!(transactions.len(), 3);
    let first = transactions.iter().find(|t| t.id == finished).unwrap();
    assert_eq!(
        (first.energy_wh, first.last_meter_wh),
        (Some(400), Some(300))
    );

    // A cutoff past everything removes the recent readings too.
    assert_eq!(
        db.prune_meter_values(Timestamp(now().0 + DAY_MS))
            .await
            .unwrap(),
        2
    );
}
