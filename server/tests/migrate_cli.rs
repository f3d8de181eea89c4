//! `server migrate` and `server copy-sqlite-to-postgres`, run as the built binary: what they print, their
//! one-line refusals (exit status 2), two migrations of one fresh PostgreSQL database at once, a whole copy of
//! a SQLite deployment that then works on PostgreSQL, and the `CHARGEDESK_DB_MAX_CONNECTIONS` setting.
//!
//! The PostgreSQL tests need `CHARGEDESK_TEST_PG_URL` (scripts/pg.sh) and are skipped with a note without it.

mod common;

use common::cli::{finish, refusal, run, server};
use std::path::Path;
use std::process::{Command, Output};
use storage::test_support::{postgres_admin_url, TestDb};
use storage::{Db, LoginOutcome, DEMO_PASSWORD, DEMO_STATIONS};

/// The standard output of a run that succeeded.
fn success(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{:?}: {}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).expect("utf-8")
}

/// `server migrate` on `test_db` (its data directory, or `--database-url` on PostgreSQL).
fn migrate(cwd: &Path, test_db: &TestDb) -> Command {
    let mut command = server(cwd);
    command.args(test_db.server_args()).arg("migrate");
    command
}

#[tokio::test]
async fn migrate_applies_what_is_missing_and_then_has_nothing_to_do() {
    let test_db = TestDb::new().await;
    let first = success(&run(migrate(test_db.dir.path(), &test_db)));
    let lines: Vec<&str> = first.lines().collect();
    assert_eq!(
        lines[0], "Applied migration 0001 organizations users passes",
        "{first}"
    );
    assert!(
        lines.contains(&"Applied migration 0009 accounts"),
        "{first}"
    );
    let last = lines.last().unwrap();
    assert!(last.contains(": now at migration "), "{first}");
    // The database is ChargeDesk's, ready to serve.
    let db = test_db.open().await;
    assert!(db.readiness().await.is_ok());
    db.close().await;

    let again = success(&run(migrate(test_db.dir.path(), &test_db)));
    assert_eq!(again.lines().count(), 1, "{again}");
    let latest = last
        .split(": now at migration ")
        .nth(1)
        .unwrap()
        .trim_end_matches('.');
    assert!(
        again.ends_with(&format!(": already up to date (migration {latest}).\n")),
        "{again} / {latest}"
    );
}

#[tokio::test]
async fn migrate_refuses_a_database_migrated_by_a_newer_chargedesk() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    drop(Db::open_sqlite_in(&data).await.unwrap());
    let pool = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}",
        data.join("chargedesk.db").display()
    ))
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (99990001, 'from the future', TRUE, X'00', 1)",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    let mut command = server(dir.path());
    command.arg("migrate");
    assert_eq!(
        refusal(&run(command)),
        "data directory data: the database was migrated by a newer ChargeDesk (migration 99990001 is \
         unknown to this version): run that version or a newer one"
    );
}

#[tokio::test]
async fn two_migrations_of_one_fresh_postgresql_database_at_once_both_succeed() {
    if postgres_admin_url().is_none() {
        eprintln!(
            "CHARGEDESK_TEST_PG_URL not set: concurrent `server migrate` not tested in this run"
        );
        return;
    }
    let test_db = TestDb::new().await;
    let cwd = test_db.dir.path();
    let a = migrate(cwd, &test_db).spawn().unwrap();
    let b = migrate(cwd, &test_db).spawn().unwrap();
    let mut outputs = [success(&finish(a)), success(&finish(b))];
    // The one that took the lock first applied everything; the other found nothing left.
    outputs.sort_by_key(|o| o.contains("already up to date"));
    assert!(
        outputs[0].starts_with("Applied migration 0001 "),
        "{outputs:?}"
    );
    assert_eq!(outputs[1].lines().count(), 1, "{outputs:?}");
    assert!(outputs[1].contains("already up to date"), "{outputs:?}");
}

#[test]
fn the_copy_refuses_a_missing_target_or_source_and_a_sqlite_target_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = server(dir.path());
    command.args(["copy-sqlite-to-postgres", "--from", "data/chargedesk.db"]);
    assert_eq!(
        refusal(&run(command)),
        "copy-sqlite-to-postgres: name the PostgreSQL database to copy into with DATABASE_URL or \
         --database-url (postgres://…)"
    );

    let mut command = server(dir.path());
    command.env("DATABASE_URL", "sqlite://elsewhere.db").args([
        "copy-sqlite-to-postgres",
        "--from",
        "data/chargedesk.db",
    ]);
    assert_eq!(
        refusal(&run(command)),
        "DATABASE_URL sqlite://elsewhere.db: the copy's target must be a PostgreSQL database (postgres://…)"
    );
    assert!(!dir.path().join("elsewhere.db").exists());

    // The source is checked before the target is connected to (nothing listens on this one).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut command = server(dir.path());
    command
        .env(
            "DATABASE_URL",
            format!("postgres://mover:pw@127.0.0.1:{port}/chargedesk"),
        )
        .args(["copy-sqlite-to-postgres", "--from", "data/chargedesk.db"]);
    assert_eq!(
        refusal(&run(command)),
        "--from data/chargedesk.db: no such file (the SQLite database to copy, e.g. data/chargedesk.db)"
    );
    assert!(!dir.path().join("data").exists());
}

#[tokio::test]
async fn a_sqlite_deployment_moves_to_postgresql_and_works_there() {
    if postgres_admin_url().is_none() {
        eprintln!("CHARGEDESK_TEST_PG_URL not set: `server copy-sqlite-to-postgres` not tested in this run");
        return;
    }
    // The embedded default, with the demo data.
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Db::open_sqlite_in(&dir.path().join("data")).await.unwrap();
    let logins = sqlite.seed_demo().await.unwrap().unwrap();
    sqlite.close().await;
    let target = TestDb::new().await;
    assert!(target.is_postgres());

    let copy = || {
        let mut command = server(dir.path());
        command.env("DATABASE_URL", &target.url).args([
            "copy-sqlite-to-postgres",
            "--from",
            "data/chargedesk.db",
        ]);
        run(command)
    };
    let printed = success(&copy());
    assert!(
        printed.starts_with("Copied data/chargedesk.db into postgres"),
        "{printed}"
    );
    let rows_of = |table: &str| -> u64 {
        printed
            .lines()
            .find_map(|line| {
                let mut words = line.split_whitespace();
                (words.next() == Some(table)).then(|| words.next().unwrap().parse().unwrap())
            })
            .unwrap_or_else(|| panic!("no line for {table}: {printed}"))
    };
    let source = sqlx::SqlitePool::connect(&format!(
        "sqlite://{}?mode=ro",
        dir.path().join("data").join("chargedesk.db").display()
    ))
    .await
    .unwrap();
    for table in [
        "organizations",
        "users",
        "memberships",
        "passes",
        "stations",
        "audit_log",
    ] {
        let rows: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&source)
            .await
            .unwrap();
        assert!(rows > 0, "{table}");
        assert_eq!(rows_of(table), rows as u64, "{table}");
    }
    source.close().await;
    assert_eq!(rows_of("stations"), DEMO_STATIONS.len() as u64);

    let pg = Db::connect(&target.url).await.unwrap();
    for login in &logins {
        assert!(
            matches!(
                pg.login(&login.email, DEMO_PASSWORD).await.unwrap(),
                LoginOutcome::LoggedIn { .. }
            ),
            "{}",
            login.email
        );
    }
    for station in DEMO_STATIONS {
        let login = pg
            .station_login(station.charge_point_id)
            .await
            .unwrap()
            .unwrap();
        assert!(login.verify_password(station.password).await.unwrap());
    }

    // Again into the same database: refused, nothing written twice.
    let line = refusal(&copy());
    assert!(
        line.starts_with("the PostgreSQL database is not empty (table "),
        "{line}"
    );
    assert!(matches!(
        pg.login(&logins[0].email, DEMO_PASSWORD).await.unwrap(),
        LoginOutcome::LoggedIn { .. }
    ));
    let raw = target.raw().await;
    let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(&raw)
        .await
        .unwrap();
    assert_eq!(users as u64, rows_of("users"));
}

#[test]
fn an_invalid_pool_size_is_refused_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    for bad in ["0", "many", "-3"] {
        let mut command = server(dir.path());
        command
            .env("CHARGEDESK_DB_MAX_CONNECTIONS", bad)
            .arg("migrate");
        assert_eq!(
            refusal(&run(command)),
            format!(
                "CHARGEDESK_DB_MAX_CONNECTIONS={bad}: expected a number of connections from 1 to 10000"
            )
        );
    }
    // Refused before the database is touched.
    assert!(!dir.path().join("data").exists());
    let mut command = server(dir.path());
    command
        .env("CHARGEDESK_DB_MAX_CONNECTIONS", "4")
        .arg("migrate");
    assert!(success(&run(command)).contains("now at migration"));
}

#[tokio::test]
async fn a_copy_that_fails_part_way_says_so_in_one_line_and_leaves_the_target_empty() {
    if postgres_admin_url().is_none() {
        eprintln!("CHARGEDESK_TEST_PG_URL not set: a failing `server copy-sqlite-to-postgres` not tested in this run");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Db::open_sqlite_in(&dir.path().join("data")).await.unwrap();
    sqlite.seed_demo().await.unwrap().unwrap();
    sqlite.close().await;
    // A station name with a NUL character: SQLite keeps it, PostgreSQL refuses it, after the tables before
    // `stations` were written in the same transaction.
    let file = dir.path().join("data").join("chargedesk.db");
    let raw = sqlx::SqlitePool::connect(&format!("sqlite://{}", file.display()))
        .await
        .unwrap();
    sqlx::query(
        "UPDATE stations SET name = name || char(0) WHERE id = (SELECT MAX(id) FROM stations)",
    )
    .execute(&raw)
    .await
    .unwrap();
    raw.close().await;
    let target = TestDb::new().await;
    let mut command = server(dir.path());
    command.env("DATABASE_URL", &target.url).args([
        "copy-sqlite-to-postgres",
        "--from",
        "data/chargedesk.db",
    ]);
    let output = run(command);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        output.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let stderr = String::from_utf8(output.stderr).unwrap();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].starts_with("copying table stations failed: "),
        "{stderr}"
    );
    assert!(
        lines[0].ends_with("; nothing was copied (the PostgreSQL database is as before)"),
        "{stderr}"
    );
    let raw = target.raw().await;
    for table in ["organizations", "users", "memberships", "stations"] {
        let rows: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&raw)
            .await
            .unwrap();
        assert_eq!(rows, 0, "{table}");
    }
}
