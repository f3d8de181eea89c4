//! `Db::migrate` (`server migrate`): applies what is missing and says which, once; refuses a database migrated
//! by a newer ChargeDesk; and several instances migrating one fresh PostgreSQL database at the same moment
//! (sqlx's advisory lock) all succeed, the work done exactly once.

mod common;

use common::*;
use storage::{open_failure_reason, Db, MigrationRun};

/// The migrations this build carries, as applied to a fresh SQLite database (same numbers as PostgreSQL's).
async fn all_migrations() -> Vec<i64> {
    let dir = tempfile::tempdir().unwrap();
    let run = Db::migrate_sqlite_in(dir.path()).await.unwrap();
    run.applied.iter().map(|m| m.version).collect()
}

fn versions(run: &MigrationRun) -> Vec<i64> {
    run.applied.iter().map(|m| m.version).collect()
}

#[tokio::test]
async fn a_fresh_database_gets_every_migration_once() {
    let test_db = TestDb::new().await;
    let first = Db::migrate(&test_db.url).await.unwrap();
    let all = all_migrations().await;
    assert_eq!(versions(&first), all);
    assert!(all.len() >= 9, "{all:?}");
    assert_eq!(
        first.applied.first().unwrap().description,
        "organizations users passes"
    );
    assert_eq!(&first.latest, first.applied.last().unwrap());
    let raw = test_db.raw().await;
    let recorded: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(&raw)
            .await
            .unwrap();
    raw.close().await;
    assert_eq!(recorded, all);
    // The database works (it is the one `Db::connect` opens), and a second run has nothing to do.
    first.db.seed_demo().await.unwrap().expect("demo loaded");
    first.db.close().await;
    let again = Db::migrate(&test_db.url).await.unwrap();
    assert!(again.applied.is_empty(), "{:?}", again.applied);
    assert_eq!(again.latest, first.latest);
    assert!(again.db.has_organizations().await.unwrap());
    assert!(again.db.readiness().await.is_ok());
}

#[tokio::test]
async fn a_database_migrated_by_a_newer_chargedesk_is_refused() {
    let test_db = TestDb::new().await;
    test_db.open().await.close().await;
    let raw = test_db.raw().await;
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (99990001, 'from the future', TRUE, $1, 1)",
    )
    .bind(vec![0u8])
    .execute(&raw)
    .await
    .unwrap();
    raw.close().await;
    let error = Db::migrate(&test_db.url).await.unwrap_err();
    assert_eq!(
        open_failure_reason(&error).as_deref(),
        Some(
            "the database was migrated by a newer ChargeDesk (migration 99990001 is unknown to this version): \
             run that version or a newer one"
        )
    );
}

#[tokio::test]
async fn instances_migrating_one_fresh_postgresql_database_at_once_all_succeed() {
    if postgres_admin_url().is_none() {
        eprintln!("CHARGEDESK_TEST_PG_URL not set: concurrent migrations on PostgreSQL not tested in this run");
        return;
    }
    let all = all_migrations().await;
    // `server migrate` twice at once: one applies everything, the other finds nothing left.
    let test_db = TestDb::new().await;
    let (a, b) = tokio::join!(Db::migrate(&test_db.url), Db::migrate(&test_db.url));
    let (a, b) = (a.unwrap(), b.unwrap());
    let mut applied = [versions(&a), versions(&b)];
    applied.sort();
    assert_eq!(applied, [vec![], all.clone()]);

    // Instances starting at once (`Db::connect`, as `serve` does), on another fresh database.
    let test_db = TestDb::new().await;
    let starts = start_instances(&test_db.url, 4).await;
    for db in &starts {
        assert!(db.readiness().await.is_ok());
    }
    let raw = test_db.raw().await;
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(&raw)
        .await
        .unwrap();
    assert_eq!(rows, all.len() as i64);
}

/// `n` instances calling [`Db::connect`] on `url` at the same moment.
async fn start_instances(url: &str, n: usize) -> Vec<Db> {
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let url = url.to_owned();
            tokio::spawn(async move { Db::connect(&url).await })
        })
        .collect();
    let mut dbs = Vec::new();
    for task in tasks {
        dbs.push(task.await.unwrap().expect("every instance starts"));
    }
    dbs
}

#[tokio::test]
async fn the_postgresql_pool_size_is_the_setting() {
    assert_eq!(storage::DEFAULT_POSTGRES_MAX_CONNECTIONS, 10);
    // (The other tests of this file work with any pool size.)
    storage::set_postgres_max_connections(3);
    assert_eq!(storage::postgres_max_connections(), 3);
    let test_db = TestDb::new().await;
    let db = test_db.open().await;
    if test_db.is_postgres() {
        assert_eq!(db.max_connections(), 3);
    } else {
        // SQLite keeps its own.
        assert_eq!(db.max_connections(), 8);
    }
}
