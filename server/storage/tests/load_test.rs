//! The load test's data (`Db::seed_load_test`, `server seed-load-test`): the counts, every station logging in
//! with the one password (and no other), every seeded card Accepted at every seeded station, and a database
//! that already has it refused without a change.

mod common;

use common::*;
use shared::decision::AuthorizationStatus;
use shared::station::StationPassword;
use storage::load_test::{id_tag, station_id, ADMIN_EMAIL, PARTNER};
use storage::StorageError;

const STATION_PASSWORD: &str = "load-test-station-key-1";

async fn count(raw: &sqlx::AnyPool, sql: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(raw)
        .await
        .unwrap()
}

async fn counts(raw: &sqlx::AnyPool) -> (i64, i64, i64, i64) {
    (
        count(raw, "SELECT COUNT(*) FROM organizations").await,
        count(raw, "SELECT COUNT(*) FROM stations").await,
        count(raw, "SELECT COUNT(*) FROM passes").await,
        count(raw, "SELECT COUNT(*) FROM audit_log").await,
    )
}

#[tokio::test]
async fn seeds_stations_that_log_in_with_the_password_and_cards_that_are_accepted() {
    let (test_db, db) = fresh_db().await;
    let password = StationPassword::parse(STATION_PASSWORD).unwrap();
    let seed = db.seed_load_test(30, 12, &password).await.unwrap();
    assert_eq!(seed.stations, (station_id(1), station_id(30)));
    assert_eq!(seed.stations.0, "CP-LOAD-00001");
    assert_eq!(seed.id_tags, (id_tag(1), id_tag(12)));
    assert_eq!((seed.station_count, seed.pass_count), (30, 12));

    let raw = test_db.raw().await;
    let org = seed.org.0;
    let in_org = |table: &str| format!("SELECT COUNT(*) FROM {table} WHERE org_id = {org}");
    assert_eq!(count(&raw, &in_org("stations")).await, 30);
    assert_eq!(
        count(
            &raw,
            &format!("{} AND mode = 'whitelist'", in_org("passes"))
        )
        .await,
        12
    );
    assert_eq!(
        count(
            &raw,
            "SELECT COUNT(DISTINCT password_hash) FROM stations WHERE password_hash IS NOT NULL"
        )
        .await,
        1,
        "hashed once"
    );
    let stored: String = sqlx::query_scalar("SELECT password_hash FROM stations LIMIT 1")
        .fetch_one(&raw)
        .await
        .unwrap();
    assert!(!stored.contains(STATION_PASSWORD));
    let name: String =
        sqlx::query_scalar("SELECT name FROM organizations WHERE id = $1 AND parent_id IS NULL")
            .bind(org)
            .fetch_one(&raw)
            .await
            .unwrap();
    assert_eq!(name, PARTNER);

    for number in [1, 17, 30] {
        let id = station_id(number);
        let login = db.station_login(&id).await.unwrap().unwrap();
        assert!(login.requires_password());
        assert!(!login
            .verify_password("load-test-station-key-2")
            .await
            .unwrap());
        assert!(login.accept(&db).is_err(), "{id}: not let in");
        let login = db.station_login(&id).await.unwrap().unwrap();
        assert!(login.verify_password(STATION_PASSWORD).await.unwrap());
        let station = login.accept(&db).unwrap();
        for card in [1, 12] {
            let decision = station.authorize(&id_tag(card)).await.unwrap();
            assert_eq!(
                decision.status,
                AuthorizationStatus::Accepted,
                "{id} {}: {}",
                id_tag(card),
                decision.reason
            );
        }
        let unknown = station.authorize(&id_tag(13)).await.unwrap();
        assert_ne!(unknown.status, AuthorizationStatus::Accepted);
    }
    assert!(db.station_login(&station_id(31)).await.unwrap().is_none());
}

#[tokio::test]
async fn a_database_that_has_the_load_test_is_refused_without_a_change() {
    let (test_db, db) = fresh_db().await;
    let password = StationPassword::parse(STATION_PASSWORD).unwrap();
    db.seed_load_test(3, 2, &password).await.unwrap();
    let raw = test_db.raw().await;
    let before = counts(&raw).await;
    for _ in 0..2 {
        let refused = db.seed_load_test(5, 5, &password).await.unwrap_err();
        assert!(
            matches!(&refused, StorageError::Conflict { message }
                if message.contains("already has the load test's partner \"Load test\"")),
            "{refused:?}"
        );
        assert_eq!(counts(&raw).await, before);
    }
}

#[tokio::test]
async fn an_account_with_the_administrators_address_or_counts_out_of_range_are_refused() {
    let (test_db, db) = fresh_db().await;
    let password = StationPassword::parse(STATION_PASSWORD).unwrap();
    for (stations, passes) in [(0, 1), (1, 0), (100_000, 1)] {
        let refused = db
            .seed_load_test(stations, passes, &password)
            .await
            .unwrap_err();
        assert!(
            matches!(&refused, StorageError::Conflict { message } if message.contains("The load test needs")),
            "{refused:?}"
        );
    }
    // The administrator's address is taken by someone else's account: refused as not fresh, nothing written.
    db.create_partner(
        &org_name("Elsewhere"),
        &person("Some"),
        &person("One"),
        &email(ADMIN_EMAIL),
        &common::password(PASSWORD),
    )
    .await
    .unwrap();
    let raw = test_db.raw().await;
    let before = counts(&raw).await;
    let refused = db.seed_load_test(2, 2, &password).await.unwrap_err();
    assert!(
        matches!(&refused, StorageError::Conflict { message } if message.contains("seed a fresh database")),
        "{refused:?}"
    );
    assert_eq!(counts(&raw).await, before);
}
