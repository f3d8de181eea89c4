//! What the integration tests of this crate and of the server share (feature `test-support`, turned on only by
//! their dev-dependencies): a fresh database per test, on SQLite or on PostgreSQL.
//!
//! The database is SQLite in a temporary directory, or, when `CHARGEDESK_TEST_PG_URL` is set, a new database
//! on that PostgreSQL server (`scripts/pg.sh start` makes a throwaway one and prints the variable). The URL
//! names a database to connect to for `CREATE DATABASE` (`…/postgres`); each test's database gets a unique
//! name and is dropped again with its [`TestDb`] (a whole run's databases would fill gigabytes otherwise).

use crate::Db;
use std::ffi::OsString;
use tempfile::TempDir;

/// A new, migrated database (see the module documentation), with its [`TestDb`]: the guard that keeps it (the
/// SQLite file's directory, the PostgreSQL database) until the test drops it.
pub async fn fresh_db() -> (TestDb, Db) {
    let test_db = TestDb::new().await;
    let db = test_db.open().await;
    (test_db, db)
}

/// The PostgreSQL server the tests run against, if any: `CHARGEDESK_TEST_PG_URL`.
pub fn postgres_admin_url() -> Option<String> {
    std::env::var("CHARGEDESK_TEST_PG_URL")
        .ok()
        .filter(|url| !url.is_empty())
}

/// A test's database, before and after [`Db`] opens it: for tests that open it again (a restart), look at it
/// with a connection of their own, or hand it to a server process ([`TestDb::server_args`]). Dropping it deletes
/// the database (the directory on SQLite; on PostgreSQL the database, its connections closed).
pub struct TestDb {
    /// Holds the SQLite file (empty on PostgreSQL).
    pub dir: TempDir,
    /// The database's URL: `sqlite://…/chargedesk.db` or `postgres://…/chargedesk_test_…`.
    pub url: String,
    /// On PostgreSQL: the admin URL and the database's name, to drop it.
    postgres: Option<(String, String)>,
}

impl TestDb {
    /// A new, empty database (no schema yet: [`TestDb::open`] applies the migrations).
    pub async fn new() -> TestDb {
        let dir = tempfile::tempdir().expect("tempdir");
        match postgres_admin_url() {
            None => TestDb {
                url: format!("sqlite://{}", dir.path().join("chargedesk.db").display()),
                dir,
                postgres: None,
            },
            Some(admin) => {
                let name = create_postgres_database(&admin).await;
                TestDb {
                    url: database_url(&admin, &name),
                    dir,
                    postgres: Some((admin, name)),
                }
            }
        }
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

    /// The command-line arguments that make a `server` process use this database: `--database-url <url>` on
    /// PostgreSQL, `--data-dir <dir>` (the embedded default's way) on SQLite.
    pub fn server_args(&self) -> [OsString; 2] {
        if self.is_postgres() {
            ["--database-url".into(), self.url.clone().into()]
        } else {
            ["--data-dir".into(), self.dir.path().into()]
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

impl Drop for TestDb {
    /// Drops the PostgreSQL database, closing the connections a test left open (`WITH (FORCE)`), on a thread of
    /// its own (this may run inside the test's runtime, which cannot wait for itself). A failure is only noted: the
    /// server is thrown away after the run anyway.
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.postgres.take() else {
            return;
        };
        let dropped = std::thread::spawn(move || -> Result<(), String> {
            use sqlx::{Connection, Executor};
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let mut admin = sqlx::AnyConnection::connect(&admin_url)
                    .await
                    .map_err(|e| e.to_string())?;
                admin
                    .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                    .await
                    .map_err(|e| e.to_string())?;
                admin.close().await.map_err(|e| e.to_string())
            })
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("note: the test database was not dropped: {e}"),
            Err(_) => eprintln!("note: dropping the test database panicked"),
        }
    }
}

/// Creates a uniquely named database on the server behind `admin_url` and returns its name.
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
    name
}

/// `admin_url` with its database replaced by `name` (its query string kept).
pub(crate) fn database_url(admin_url: &str, name: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::database_url;

    #[test]
    fn a_test_database_url_keeps_the_server_and_the_query() {
        assert_eq!(
            database_url("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(
            database_url("postgres://u:p@db/postgres?sslmode=disable", "t2"),
            "postgres://u:p@db/t2?sslmode=disable"
        );
        assert_eq!(database_url("postgres://db", "t3"), "postgres://db/t3");
    }
}
