//! Moving from SQLite to PostgreSQL (`Db::copy_from_sqlite`): a SQLite database with something in every table
//! arrives whole (every row of every table equal on both sides), people and stations log in with the same
//! passwords, new rows get ids above the copied ones; a non-empty target, a missing or outdated source, and a
//! SQLite target are refused, and a failure part-way leaves the target empty.
//!
//! The copies need PostgreSQL (`CHARGEDESK_TEST_PG_URL`, see scripts/pg.sh) and are skipped with a note
//! without it; the refusals of the source are tested on every run.

mod common;

use common::*;
use shared::model::{FrameDirection, FrameType};
use shared::station::{ChargePointId, StationName, StationPassword};
use shared::time::Timestamp;
use shared::{PassMode, Role};
use sqlx::{Row, TypeInfo, ValueRef};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use storage::{
    now, ConnectedStation, CopyError, CopySource, Db, LoginOutcome, NewOcppMessage, OrgAdmin,
    BATCH_ROWS, DEMO_PASSWORD, DEMO_STATIONS,
};

const TAG: &str = "04AAAB11CD2345";
const STATION_PASSWORD: &str = "s3cret-station-key";
/// More frames than one batch holds, so that the frame log is copied in several.
const FRAMES: usize = BATCH_ROWS * 2 + 37;

/// Tables [`fill`] may leave empty: the leases of running instances (a stopped deployment, which is what gets
/// copied, has none left). Every other table, a new one included, must get rows there.
const MAY_BE_EMPTY: &[&str] = &["instances"];

/// A SQLite database in a temporary directory, the embedded default's way.
async fn sqlite_db() -> (tempfile::TempDir, Db, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open_sqlite_in(dir.path()).await.unwrap();
    let file = dir.path().join("chargedesk.db");
    (dir, db, file)
}

/// A new PostgreSQL database, migrated and empty; `None` (after a note) without `CHARGEDESK_TEST_PG_URL`.
async fn postgres_target(what: &str) -> Option<(TestDb, Db)> {
    if postgres_admin_url().is_none() {
        eprintln!("CHARGEDESK_TEST_PG_URL not set: {what} not tested in this run");
        return None;
    }
    let target = TestDb::new().await;
    assert!(target.is_postgres());
    let db = target.open().await;
    Some((target, db))
}

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

fn frame(station: shared::ids::StationId, i: usize) -> NewOcppMessage {
    let call = i.is_multiple_of(2);
    NewOcppMessage {
        station,
        at: Timestamp(now().0 + i as i64),
        direction: if call {
            FrameDirection::Incoming
        } else {
            FrameDirection::Outgoing
        },
        message_type: if call {
            FrameType::Call
        } else {
            FrameType::CallResult
        },
        action: call.then(|| "Heartbeat".to_owned()),
        unique_id: format!("m-{}", i / 2),
        // Quotes, backslashes, SQL and non-ASCII travel as values.
        payload: format!(r#"{{"n":{i},"note":"it's \\ '); DROP TABLE users; -- ü€"}}"#),
        id_tag: None,
        outcome: (!call).then(|| "Accepted".to_owned()),
    }
}

/// Fills `db` with the demo data and something in every other table: accounts (with a password, an
/// invitation, a reset link, two-factor with recovery codes and a pending log-in challenge, a failed log-in),
/// sessions, a station with its connector status, decisions, transactions, meter values, a frame log of
/// several batches, the mail outbox and the audit log. Returns the partner administrator's e-mail.
async fn fill(db: &Db) -> &'static str {
    db.seed_demo().await.unwrap().expect("demo loaded");
    let (org, _) = db
        .create_partner(
            &org_name("Copy Partners"),
            &person("Paula"),
            &person("Partner"),
            &email("pa@copy.example"),
            &password(PASSWORD),
        )
        .await
        .unwrap();
    let caller = caller_for(db, "pa@copy.example").await;
    let admin = caller.admin_of(db, org).await.unwrap();
    let holder = member(
        &admin,
        "Card",
        "Holder",
        "holder@copy.example",
        Role::Cardholder,
    )
    .await;
    admin
        .add_pass(holder, &hidden(TAG), &nick("Tag"), PassMode::Whitelist)
        .await
        .unwrap();
    db.request_password_reset(&email("pa@copy.example"))
        .await
        .unwrap();
    assert!(matches!(
        db.login("pa@copy.example", "not the password")
            .await
            .unwrap(),
        LoginOutcome::WrongCredentials
    ));
    // Two-factor for a second administrator: recovery codes, and a log-in waiting for its second step.
    let second = caller_for(db, "holder@copy.example").await;
    let enrolment = second.start_two_factor(db).await.unwrap();
    let codes = second
        .confirm_two_factor(db, &totp_code(&enrolment.key, now()))
        .await
        .unwrap()
        .expect("right code");
    assert!(!codes.is_empty());
    assert!(matches!(
        db.login("holder@copy.example", PASSWORD).await.unwrap(),
        LoginOutcome::SecondFactor { .. }
    ));

    let cp = station(db, &admin, "CP-COPY").await;
    cp.boot("Vendor", "Model", Some("SN-1"), Some("1.0"))
        .await
        .unwrap();
    cp.status(1, "Available", "NoError", None, now())
        .await
        .unwrap();
    cp.authorize(TAG).await.unwrap();
    let (first, _) = cp.start_transaction(1, TAG, 1000, now()).await.unwrap();
    cp.meter_value(Some(first.0), 1, 1500.0, now())
        .await
        .unwrap();
    cp.stop_transaction(first.0, 2000, now(), Some(TAG), None)
        .await
        .unwrap();
    cp.start_transaction(1, "04FFFF11CD2345", 5, now())
        .await
        .unwrap();
    cp.meter_value(None, 1, 7.0, now()).await.unwrap();
    // What ChargeDesk knows of the station's Local Authorization List: a connection, and a Full list the
    // station accepted (the mirror is JSON text).
    cp.local_list_connected().await.unwrap();
    let full = shared::local_list::ListMessage {
        version: 1,
        full: true,
        entries: vec![(
            TAG.to_owned(),
            Some(shared::local_list::ListEntry {
                status: shared::local_list::ListStatus::Accepted,
                expiry_millis: None,
            }),
        )],
    };
    cp.local_list_answer(
        &shared::command::CommandRequest::SendLocalList(full),
        &storage::CommandEnd {
            state: shared::command::CommandState::Answered,
            outcome: "Accepted".into(),
            detail: None,
            result: None,
        },
    )
    .await
    .unwrap();
    let frames: Vec<NewOcppMessage> = (0..FRAMES).map(|i| frame(cp.station_id(), i)).collect();
    db.insert_ocpp_messages(&frames).await.unwrap();
    // A command for the station: queued (it is not connected through a hub here, so it waits).
    admin
        .queue_command(
            cp.station_id(),
            shared::command::CommandRequest::ChangeConfiguration {
                key: shared::command::ConfigKey::parse("HeartbeatInterval").unwrap(),
                value: shared::command::ConfigValue::parse("it's ü-free").unwrap_or_else(|_| {
                    shared::command::ConfigValue::parse("it's '); DROP TABLE users; --").unwrap()
                }),
            },
        )
        .await
        .unwrap();
    "pa@copy.example"
}

/// A column's value as both databases hold it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Value {
    Null,
    Integer(i64),
    Text(String),
}

/// Every user table's column names and rows (sorted), read with plain connections.
type Contents = BTreeMap<String, (Vec<String>, Vec<Vec<Value>>)>;

async fn sqlite_contents(file: &Path) -> Contents {
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(file)
        .read_only(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
         AND name <> '_sqlx_migrations' ORDER BY name",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut contents = Contents::new();
    for table in tables {
        let rows = sqlx::query(&format!("SELECT * FROM \"{table}\""))
            .fetch_all(&pool)
            .await
            .unwrap();
        let columns: Vec<String> = sqlx::query_scalar(&format!(
            "SELECT name FROM pragma_table_info('{table}') ORDER BY cid"
        ))
        .fetch_all(&pool)
        .await
        .unwrap();
        let mut values: Vec<Vec<Value>> = rows
            .iter()
            .map(|row| {
                (0..row.columns().len())
                    .map(|i| {
                        let raw = row.try_get_raw(i).unwrap();
                        if raw.is_null() {
                            return Value::Null;
                        }
                        match raw.type_info().name() {
                            "INTEGER" => Value::Integer(row.get(i)),
                            "TEXT" => Value::Text(row.get(i)),
                            other => panic!("{table}: a value of SQLite type {other}"),
                        }
                    })
                    .collect()
            })
            .collect();
        values.sort();
        contents.insert(table, (columns, values));
    }
    pool.close().await;
    contents
}

async fn postgres_contents(url: &str) -> Contents {
    let pool = sqlx::PgPool::connect(url).await.unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() \
         AND table_type = 'BASE TABLE' AND table_name <> '_sqlx_migrations' ORDER BY table_name",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut contents = Contents::new();
    for table in tables {
        let columns: Vec<String> = sqlx::query_scalar(
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
        )
        .bind(&table)
        .fetch_all(&pool)
        .await
        .unwrap();
        let rows = sqlx::query(&format!("SELECT * FROM \"{table}\""))
            .fetch_all(&pool)
            .await
            .unwrap();
        let mut values: Vec<Vec<Value>> = rows
            .iter()
            .map(|row| {
                (0..row.columns().len())
                    .map(|i| {
                        let raw = row.try_get_raw(i).unwrap();
                        if raw.is_null() {
                            return Value::Null;
                        }
                        match raw.type_info().name() {
                            "INT8" => Value::Integer(row.get(i)),
                            "TEXT" => Value::Text(row.get(i)),
                            other => panic!("{table}: a value of PostgreSQL type {other}"),
                        }
                    })
                    .collect()
            })
            .collect();
        values.sort();
        contents.insert(table, (columns, values));
    }
    pool.close().await;
    contents
}

fn row_counts(contents: &Contents) -> BTreeMap<String, u64> {
    contents
        .iter()
        .map(|(table, (_, rows))| (table.clone(), rows.len() as u64))
        .collect()
}

#[tokio::test]
async fn everything_arrives_and_keeps_working_on_postgresql() {
    let Some((target, pg)) = postgres_target("copying SQLite to PostgreSQL").await else {
        return;
    };
    let (_dir, sqlite, file) = sqlite_db().await;
    let admin_email = fill(&sqlite).await;
    // SQLite hands out an id only once: the newest meter value, deleted, keeps its id taken.
    let raw = sqlx::SqlitePool::connect(&format!("sqlite://{}", file.display()))
        .await
        .unwrap();
    let deleted_meter_value: i64 = sqlx::query_scalar(
        "DELETE FROM meter_values WHERE id = (SELECT MAX(id) FROM meter_values) RETURNING id",
    )
    .fetch_one(&raw)
    .await
    .unwrap();
    raw.close().await;
    sqlite.close().await;

    let source = sqlite_contents(&file).await;
    for (table, (_, rows)) in &source {
        assert!(
            !rows.is_empty() || MAY_BE_EMPTY.contains(&table.as_str()),
            "the fixture leaves table {table} empty: give it rows in fill(), so that the copy is tested with them"
        );
    }

    let copied = pg
        .copy_from_sqlite(CopySource::open(&file).await.unwrap())
        .await
        .unwrap();
    let summary: BTreeMap<String, u64> = copied.iter().map(|t| (t.table.clone(), t.rows)).collect();
    assert_eq!(summary, row_counts(&source));
    let position = |t: &str| copied.iter().position(|c| c.table == t).unwrap();
    assert!(position("organizations") < position("memberships"));
    assert!(position("memberships") < position("passes"));
    assert!(position("authorization_decisions") < position("transactions"));
    assert!(position("transactions") < position("meter_values"));

    // Every row of every table, equal on both sides; the SQLite file unchanged.
    assert_eq!(postgres_contents(&target.url).await, source);
    assert_eq!(sqlite_contents(&file).await, source);

    // People and stations log in with their passwords.
    let token = login_token(&pg, admin_email).await;
    let caller = pg.caller(&token).await.unwrap().expect("a session");
    assert_eq!(caller.me().email, admin_email);
    assert!(matches!(
        pg.login("holder@copy.example", PASSWORD).await.unwrap(),
        LoginOutcome::SecondFactor { .. }
    ));
    let demo = &DEMO_STATIONS[0];
    let login = pg
        .station_login(demo.charge_point_id)
        .await
        .unwrap()
        .unwrap();
    assert!(login.verify_password(demo.password).await.unwrap());
    assert!(!login.verify_password("not its password").await.unwrap());
    let login = pg.station_login("CP-COPY").await.unwrap().unwrap();
    assert!(login.verify_password(STATION_PASSWORD).await.unwrap());
    let cp = login.accept(&pg).unwrap();

    // New rows get ids above the copied ones (and above SQLite's deleted one).
    let max = |table: &str| -> i64 {
        source[table]
            .1
            .iter()
            .map(|row| match row[0] {
                Value::Integer(id) => id,
                ref other => panic!("{table}.id is {other:?}"),
            })
            .max()
            .unwrap()
    };
    let (org, _) = pg
        .create_partner(
            &org_name("After The Move"),
            &person("New"),
            &person("Partner"),
            &email("new@after.example"),
            &password(PASSWORD),
        )
        .await
        .unwrap();
    assert!(org.0 > max("organizations"), "{org:?}");
    let (transaction, _) = cp
        .start_transaction(2, TAG, 0, Timestamp(now().0 + 1))
        .await
        .unwrap();
    assert!(transaction.0 > max("transactions"), "{transaction:?}");
    cp.meter_value(Some(transaction.0), 2, 10.0, now())
        .await
        .unwrap();
    let after = postgres_contents(&target.url).await;
    for table in ["users", "audit_log", "authorization_decisions"] {
        assert_eq!(
            after[table].1.len(),
            source[table].1.len() + 1,
            "one new row in {table}"
        );
        let newest = after[table].1.iter().map(|row| row[0].clone()).max();
        assert!(
            newest > Some(Value::Integer(max(table))),
            "{table}: {newest:?}"
        );
    }
    let meter_ids: Vec<i64> = after["meter_values"]
        .1
        .iter()
        .filter_map(|row| match row[0] {
            Value::Integer(id) if id >= deleted_meter_value => Some(id),
            _ => None,
        })
        .collect();
    assert_eq!(meter_ids.len(), 1, "{meter_ids:?}");
    assert!(meter_ids[0] > deleted_meter_value);
}

#[tokio::test]
async fn a_target_with_rows_is_refused_and_left_as_it_was() {
    let Some((target, pg)) = postgres_target("refusing a non-empty target").await else {
        return;
    };
    let (_dir, sqlite, file) = sqlite_db().await;
    sqlite.seed_demo().await.unwrap();
    sqlite.close().await;
    // A database someone already started using: one partner.
    partner(&pg).await;
    let before = postgres_contents(&target.url).await;
    let error = pg
        .copy_from_sqlite(CopySource::open(&file).await.unwrap())
        .await
        .unwrap_err();
    match &error {
        CopyError::Refused(line) => {
            assert!(
                line.starts_with("the PostgreSQL database is not empty (table "),
                "{line}"
            );
            assert!(line.ends_with("nothing was written"), "{line}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(postgres_contents(&target.url).await, before);

    // A copy is refused a second time too: the first one's rows are there.
    let (target, pg) = postgres_target("copying twice").await.unwrap();
    pg.copy_from_sqlite(CopySource::open(&file).await.unwrap())
        .await
        .unwrap();
    let copied = postgres_contents(&target.url).await;
    assert!(matches!(
        pg.copy_from_sqlite(CopySource::open(&file).await.unwrap())
            .await,
        Err(CopyError::Refused(_))
    ));
    assert_eq!(postgres_contents(&target.url).await, copied);
}

#[tokio::test]
async fn a_failure_part_way_leaves_the_target_empty() {
    let Some((target, pg)) = postgres_target("a failing copy").await else {
        return;
    };
    let (_dir, sqlite, file) = sqlite_db().await;
    fill(&sqlite).await;
    sqlite.close().await;
    // SQLite keeps a NUL character in text; PostgreSQL refuses it. The frame log comes after most tables,
    // in its second batch.
    let raw = sqlx::SqlitePool::connect(&format!("sqlite://{}", file.display()))
        .await
        .unwrap();
    sqlx::query(
        "UPDATE ocpp_messages SET payload = 'a' || char(0) || 'b' WHERE id = (SELECT MAX(id) FROM ocpp_messages)",
    )
    .execute(&raw)
    .await
    .unwrap();
    raw.close().await;

    let error = pg
        .copy_from_sqlite(CopySource::open(&file).await.unwrap())
        .await
        .unwrap_err();
    match &error {
        CopyError::Failed { during, .. } => assert_eq!(during, "copying table ocpp_messages"),
        other => panic!("{other:?}"),
    }
    let text = error.to_string();
    assert!(!text.contains('\n'), "{text}");
    assert!(
        text.ends_with("nothing was copied (the PostgreSQL database is as before)"),
        "{text}"
    );
    for (table, (_, rows)) in postgres_contents(&target.url).await {
        assert!(rows.is_empty(), "{table} has {} rows", rows.len());
    }
    // Nothing stays locked or half-done: the database is still usable, and still a copy's target.
    partner(&pg).await;
}

fn refused(result: Result<CopySource, CopyError>) -> String {
    match result {
        Err(CopyError::Refused(line)) => {
            assert!(!line.contains('\n'), "{line}");
            line
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn a_missing_or_foreign_source_is_refused_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nothing.db");
    assert_eq!(
        refused(CopySource::open(&missing).await),
        format!(
            "--from {}: no such file (the SQLite database to copy, e.g. data/chargedesk.db)",
            missing.display()
        )
    );
    assert_eq!(
        refused(CopySource::open(dir.path()).await),
        format!(
            "--from {} is a directory: name the database file in it (chargedesk.db)",
            dir.path().display()
        )
    );
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "these are not the tables you are looking for").unwrap();
    assert!(refused(CopySource::open(&text).await).contains("is not a ChargeDesk database"));
    // An SQLite file that is not ChargeDesk's.
    let other = dir.path().join("other.db");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=rwc", other.display()))
        .await
        .unwrap();
    sqlx::query("CREATE TABLE t (x INTEGER)")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    assert_eq!(
        refused(CopySource::open(&other).await),
        format!(
            "--from {} is not a ChargeDesk database (it has no migrations table)",
            other.display()
        )
    );
}

#[tokio::test]
async fn a_source_at_other_migrations_is_refused_with_what_to_do() {
    let (_dir, sqlite, file) = sqlite_db().await;
    sqlite.close().await;
    let raw = sqlx::SqlitePool::connect(&format!("sqlite://{}", file.display()))
        .await
        .unwrap();
    let latest: i64 = sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations")
        .fetch_one(&raw)
        .await
        .unwrap();
    // What an older ChargeDesk left: the newest migration not applied yet.
    let saved: (String, Vec<u8>) =
        sqlx::query_as("SELECT description, checksum FROM _sqlx_migrations WHERE version = $1")
            .bind(latest)
            .fetch_one(&raw)
            .await
            .unwrap();
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version = $1")
        .bind(latest)
        .execute(&raw)
        .await
        .unwrap();
    let line = refused(CopySource::open(&file).await);
    assert!(
        line.starts_with(&format!(
            "--from {} lacks migration {latest} (",
            file.display()
        )),
        "{line}"
    );
    assert!(
        line.ends_with(&format!(
            "): bring it up to date first with server migrate --database-url sqlite://{}",
            file.display()
        )),
        "{line}"
    );
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES ($1, $2, TRUE, $3, 1)",
    )
    .bind(latest)
    .bind(&saved.0)
    .bind(&saved.1)
    .execute(&raw)
    .await
    .unwrap();
    assert!(CopySource::open(&file).await.is_ok());
    // What a newer ChargeDesk left: a migration this one does not know.
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (99990001, 'from the future', TRUE, X'00', 1)",
    )
    .execute(&raw)
    .await
    .unwrap();
    raw.close().await;
    assert_eq!(
        refused(CopySource::open(&file).await),
        format!(
            "--from {} was migrated by a newer ChargeDesk (migration 99990001 is unknown to this version): \
             copy it with that version or a newer one",
            file.display()
        )
    );
}

#[tokio::test]
async fn only_postgresql_is_a_target() {
    let (_dir, sqlite, file) = sqlite_db().await;
    let (_other_dir, other, _) = sqlite_db().await;
    let error = other
        .copy_from_sqlite(CopySource::open(&file).await.unwrap())
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "the target must be a PostgreSQL database (postgres://…)"
    );
    assert!(!other.has_organizations().await.unwrap());
    sqlite.close().await;
}

#[tokio::test]
async fn the_demo_password_still_works_after_the_move() {
    let Some((_target, pg)) = postgres_target("demo log-ins after a copy").await else {
        return;
    };
    let (_dir, sqlite, file) = sqlite_db().await;
    let logins = sqlite.seed_demo().await.unwrap().unwrap();
    sqlite.close().await;
    pg.copy_from_sqlite(CopySource::open(&file).await.unwrap())
        .await
        .unwrap();
    for login in logins {
        assert_eq!(login.password, DEMO_PASSWORD);
        assert!(
            matches!(
                pg.login(&login.email, DEMO_PASSWORD).await.unwrap(),
                LoginOutcome::LoggedIn { .. }
            ),
            "{}",
            login.email
        );
    }
}

#[tokio::test]
async fn a_source_cannot_smuggle_sql_in_names_or_values() {
    let Some((target, pg)) = postgres_target("a hostile source").await else {
        return;
    };
    let (_dir, sqlite, file) = sqlite_db().await;
    sqlite.seed_demo().await.unwrap();
    sqlite.close().await;
    let raw = sqlx::SqlitePool::connect(&format!("sqlite://{}", file.display()))
        .await
        .unwrap();
    // A value written to break out of a quoted string or a statement arrives as that text.
    let hostile = "x'); DROP TABLE users; --\" $1 \\";
    sqlx::query("UPDATE users SET last_name = $1 WHERE id = (SELECT MIN(id) FROM users)")
        .bind(hostile)
        .execute(&raw)
        .await
        .unwrap();
    // A table whose name is SQL: never spliced into a statement, the copy is refused.
    sqlx::query(r#"CREATE TABLE "users"" (id) ; DROP TABLE organizations; --" (x INTEGER)"#)
        .execute(&raw)
        .await
        .unwrap();
    raw.close().await;
    let error = pg
        .copy_from_sqlite(CopySource::open(&file).await.unwrap())
        .await
        .unwrap_err();
    match &error {
        CopyError::Refused(line) => assert!(
            line.starts_with("the two schemas differ (only in SQLite: [users\" (id) ; DROP TABLE"),
            "{line}"
        ),
        other => panic!("{other:?}"),
    }
    for (table, (_, rows)) in postgres_contents(&target.url).await {
        assert!(rows.is_empty(), "{table}");
    }

    // Without the extra table the copy goes through, the value unchanged.
    let raw = sqlx::SqlitePool::connect(&format!("sqlite://{}", file.display()))
        .await
        .unwrap();
    sqlx::query(r#"DROP TABLE "users"" (id) ; DROP TABLE organizations; --""#)
        .execute(&raw)
        .await
        .unwrap();
    raw.close().await;
    pg.copy_from_sqlite(CopySource::open(&file).await.unwrap())
        .await
        .unwrap();
    let copied = postgres_contents(&target.url).await;
    assert_eq!(copied, sqlite_contents(&file).await);
    let (columns, users) = &copied["users"];
    let last_name = columns.iter().position(|c| c == "last_name").unwrap();
    assert!(users
        .iter()
        .any(|row| row[last_name] == Value::Text(hostile.to_owned())));
}
