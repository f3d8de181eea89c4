//! Helpers shared by the integration tests: a fresh database per test and inputs built with the real `shared`
//! parse functions.
//!
//! The database is SQLite in a temporary directory, or, when `CHARGEDESK_TEST_PG_URL` is set, a new database
//! on that PostgreSQL server (`scripts/pg.sh start` makes a throwaway one and prints the variable). The URL
//! names a database to connect to for `CREATE DATABASE` (`…/postgres`); each test's database gets a unique
//! name and is left on the server, which is meant to be thrown away with them.
#![allow(dead_code)]

use shared::names::{Email, Nickname, OrgName, Password, PersonName};
use shared::pass_id::{check_pass_id, PassIdKind, PassIdentifier};
use shared::{OrgId, Role};
use storage::{Caller, Db, LoginOutcome, OrgAdmin};
use tempfile::TempDir;

/// The password every test account gets.
pub const PASSWORD: &str = "correct horse battery staple";

/// A new, migrated database (see the module documentation), with the temporary directory that holds it on
/// SQLite (kept alive by the returned guard; empty on PostgreSQL).
pub async fn fresh_db() -> (TempDir, Db) {
    let test_db = TestDb::new().await;
    let db = test_db.open().await;
    (test_db.dir, db)
}

/// The PostgreSQL server the tests run against, if any: `CHARGEDESK_TEST_PG_URL`.
pub fn postgres_admin_url() -> Option<String> {
    std::env::var("CHARGEDESK_TEST_PG_URL")
        .ok()
        .filter(|url| !url.is_empty())
}

/// A test's database, before and after [`Db`] opens it: for tests that open it again (a restart) or look at
/// it with a connection of their own.
pub struct TestDb {
    /// Holds the SQLite file (empty on PostgreSQL).
    pub dir: TempDir,
    /// The database's URL: `sqlite://…/chargedesk.db` or `postgres://…/chargedesk_test_…`.
    pub url: String,
}

impl TestDb {
    /// A new, empty database (no schema yet: [`TestDb::open`] applies the migrations).
    pub async fn new() -> TestDb {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = match postgres_admin_url() {
            None => format!("sqlite://{}", dir.path().join("chargedesk.db").display()),
            Some(admin) => create_postgres_database(&admin).await,
        };
        TestDb { dir, url }
    }

    /// Whether this database is on PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.url.starts_with("postgres")
    }

    /// Opens the database as the server does (applying the migrations): again after a restart, too.
    pub async fn open(&self) -> Db {
        if self.is_postgres() {
            Db::connect(&self.url).await.expect("open database")
        } else {
            Db::open_sqlite_in(self.dir.path())
                .await
                .expect("open database")
        }
    }

    /// A plain connection pool on the database, for what the API cannot do (counting rows, dating rows back).
    /// Queries through it must be portable like storage's own (`$N` placeholders, `i64` columns).
    pub async fn raw(&self) -> sqlx::AnyPool {
        sqlx::any::install_default_drivers();
        let url = if self.is_postgres() {
            self.url.clone()
        } else {
            format!("{}?mode=rwc", self.url)
        };
        sqlx::AnyPool::connect(&url).await.expect("raw connection")
    }
}

/// Creates a uniquely named database on the server behind `admin_url` and returns its URL.
async fn create_postgres_database(admin_url: &str) -> String {
    use sqlx::{Connection, Executor};
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_nanos();
    let name = format!(
        "chargedesk_test_{}_{nanos}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    sqlx::any::install_default_drivers();
    let mut admin = sqlx::AnyConnection::connect(admin_url)
        .await
        .expect("connect to CHARGEDESK_TEST_PG_URL");
    admin
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .expect("create the test database");
    admin.close().await.expect("close the admin connection");
    database_url(admin_url, &name)
}

/// `admin_url` with its database replaced by `name` (its query string kept).
fn database_url(admin_url: &str, name: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (admin_url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let server = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    }
}

pub fn email(s: &str) -> Email {
    Email::parse(s).expect("valid e-mail")
}
pub fn person(s: &str) -> PersonName {
    PersonName::parse(s).expect("valid name")
}
pub fn org_name(s: &str) -> OrgName {
    OrgName::parse(s).expect("valid organization name")
}
pub fn nick(s: &str) -> Nickname {
    Nickname::parse(s).expect("valid nickname")
}
pub fn password(s: &str) -> Password {
    Password::parse(s).expect("valid password")
}
pub fn visible(s: &str) -> PassIdentifier {
    check_pass_id(PassIdKind::Visible, s, false)
        .expect("valid Public Card ID")
        .value
}
pub fn hidden(s: &str) -> PassIdentifier {
    check_pass_id(PassIdKind::Hidden, s, false)
        .expect("valid Hidden ID")
        .value
}

/// The code an authenticator app shows for `key` at `at`.
pub fn totp_code(key: &str, at: shared::time::Timestamp) -> String {
    use totp_rs::{Algorithm, Secret, TOTP};
    let bytes = Secret::Encoded(key.to_owned()).to_bytes().unwrap();
    let totp = TOTP::new(Algorithm::SHA1, 6, 1, 30, bytes, None, String::new()).unwrap();
    totp.generate((at.0 / 1000) as u64)
}

/// Logs in with [`PASSWORD`] and returns the session token.
pub async fn login_token(db: &Db, address: &str) -> String {
    match db.login(address, PASSWORD).await.expect("login") {
        LoginOutcome::LoggedIn { session_token, .. } => session_token,
        other => panic!("expected to log in as {address}, got {other:?}"),
    }
}

/// The caller behind a fresh session of `address` (setting its password first).
pub async fn caller_for(db: &Db, address: &str) -> Caller {
    db.set_password(&email(address), &password(PASSWORD))
        .await
        .expect("set password");
    let token = login_token(db, address).await;
    db.caller(&token)
        .await
        .expect("caller")
        .expect("live session")
}

/// A partner organization "Volta Partners" with administrator pa@volta.example, as a caller.
pub async fn partner(db: &Db) -> (OrgId, Caller) {
    let (org, _) = db
        .create_partner(
            &org_name("Volta Partners"),
            &person("Paula"),
            &person("Partner"),
            &email("pa@volta.example"),
            &password(PASSWORD),
        )
        .await
        .expect("create partner");
    let token = login_token(db, "pa@volta.example").await;
    let caller = db.caller(&token).await.unwrap().unwrap();
    (org, caller)
}

/// Adds a member to the organization behind `scope` and returns their id.
pub async fn member(
    scope: &OrgAdmin,
    first: &str,
    last: &str,
    address: &str,
    role: Role,
) -> shared::UserId {
    scope
        .add_user(&person(first), &person(last), &email(address), role)
        .await
        .expect("add user")
        .user_id
}
