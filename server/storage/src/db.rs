//! The connection pool: connecting, SQLite settings, migrations and transactions.

use crate::decision_cache::DecisionCache;
use crate::error::StorageError;
use shared::time::Timestamp;
use sqlx::any::AnyPoolOptions;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, Executor, Transaction};
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Which SQL server sits behind the `Any` pool. Only DDL (migrations) and transaction start differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

/// The SQLite migrations, embedded at compile time (see `migrations/README.md`).
pub(crate) static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// The same schema in PostgreSQL DDL, with the same numbers (see `migrations/README.md`).
pub(crate) static POSTGRES_MIGRATOR: sqlx::migrate::Migrator =
    sqlx::migrate!("./migrations/postgres");

/// Connections a PostgreSQL pool keeps open at most (per server process) unless
/// [`set_postgres_max_connections`] says otherwise (`CHARGEDESK_DB_MAX_CONNECTIONS`).
pub const DEFAULT_POSTGRES_MAX_CONNECTIONS: u32 = 10;

static POSTGRES_MAX_CONNECTIONS: AtomicU32 = AtomicU32::new(DEFAULT_POSTGRES_MAX_CONNECTIONS);

/// Sets how many connections each PostgreSQL pool opened from now on keeps open at most (at least 1): with
/// several instances, their sum must stay below the server's `max_connections`. SQLite pools keep their own
/// size (one writer at a time; more connections would only wait).
pub fn set_postgres_max_connections(connections: u32) {
    POSTGRES_MAX_CONNECTIONS.store(connections.max(1), Ordering::Relaxed);
}

/// The size of PostgreSQL pools: [`DEFAULT_POSTGRES_MAX_CONNECTIONS`] or what
/// [`set_postgres_max_connections`] set.
pub fn postgres_max_connections() -> u32 {
    POSTGRES_MAX_CONNECTIONS.load(Ordering::Relaxed)
}

/// Run on every new SQLite connection. `foreign_keys` and `busy_timeout` are per connection; WAL is stored
/// in the file but setting it again is harmless.
const SQLITE_PRAGMAS: &[&str] = &[
    "PRAGMA journal_mode = WAL",
    "PRAGMA foreign_keys = ON",
    "PRAGMA busy_timeout = 5000",
    "PRAGMA synchronous = NORMAL",
];

/// Run on the SQLite write connection besides [`SQLITE_PRAGMAS`]: a page cache of 64 MB (the default is 2 MB)
/// for the indexes the OCPP log writer adds to, which spread over every station (with the default, most of its
/// time went to reading pages back from the file).
const SQLITE_WRITER_PRAGMAS: &[&str] = &["PRAGMA cache_size = -65536"];

/// A handle on the ChargeDesk database. Cheap to clone (the pool is shared).
#[derive(Debug, Clone)]
pub struct Db {
    pub(crate) pool: AnyPool,
    /// Where write transactions run ([`Db::begin_write`]): on a SQLite file, a pool of its own with one
    /// connection — SQLite lets one writer in at a time anyway, so writers queue here instead of spinning on
    /// the file lock, and the one connection keeps the pages they write in its cache (a write on any of eight
    /// connections found its cache out of date, as another had written since, and read the pages again).
    /// Otherwise the same pool as `pool`.
    pub(crate) write_pool: AnyPool,
    pub(crate) backend: Backend,
    /// Changes that live connections react to, from every instance (see [`crate::events`]).
    pub(crate) events: crate::events::Events,
    /// The base URL of links in e-mails (see [`Db::public_url`]).
    pub(crate) public_url: std::sync::Arc<str>,
    /// Wakes this process's mail sender when a message is queued (see [`Db::wake_mail_sender`]).
    pub(crate) mail_wakeup: std::sync::Arc<tokio::sync::Notify>,
    /// What authorization decisions are taken from, in memory (see [`crate::decision_cache`]).
    pub(crate) decision_cache: Arc<DecisionCache>,
    /// The most a tariff may ask (see [`Db::with_platform_caps`]).
    pub(crate) platform_caps: shared::tariff::PlatformCaps,
    /// The VAT rate of companies' credit statements (see [`Db::with_statement_vat`]).
    pub(crate) statement_vat_basis_points: u32,
}

/// Links in e-mails start with this until [`Db::with_public_url`] says otherwise: the default listening address.
pub(crate) const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:3000";

impl Db {
    /// Connects to a `sqlite:` or `postgres:` URL and applies the migrations of that dialect
    /// (`migrations/sqlite` or `migrations/postgres`). For SQLite it creates the file if missing (unless the
    /// URL sets its own `mode=`) and turns on WAL, foreign keys and a busy timeout on every connection. A
    /// PostgreSQL database must exist; its schema is created by the migrations.
    pub async fn connect(url: &str) -> Result<Db, StorageError> {
        let db = Self::open_unmigrated(url).await?;
        db.migrator().run(&db.pool).await?;
        Ok(db)
    }

    /// [`Db::connect`] without applying the migrations (`server migrate` applies them itself, to say which).
    pub(crate) async fn open_unmigrated(url: &str) -> Result<Db, StorageError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StorageError::internal(
                "unsupported database URL: expected sqlite: or postgres:",
            ));
        };
        match backend {
            Backend::Sqlite => {
                let url = sqlite_url_creating_file(url);
                let in_memory = url.contains(":memory:") || url.contains("mode=memory");
                let mut options = AnyPoolOptions::new().after_connect(|conn, _meta| {
                    Box::pin(async move {
                        for pragma in SQLITE_PRAGMAS {
                            conn.execute(*pragma).await?;
                        }
                        Ok(())
                    })
                });
                if in_memory {
                    // Every connection to `:memory:` is a database of its own: keep exactly one, forever.
                    options = options
                        .max_connections(1)
                        .min_connections(1)
                        .idle_timeout(None)
                        .max_lifetime(None);
                } else {
                    // No ping before handing out a connection: a connection to a file does not go stale, and
                    // the ping is a round trip to the connection's worker thread on every acquire (the OCPP
                    // log writer acquires one per batch).
                    options = options
                        .max_connections(8)
                        .acquire_timeout(Duration::from_secs(10))
                        .test_before_acquire(false);
                }
                let write_pool = if in_memory {
                    None
                } else {
                    Some(
                        options
                            .clone()
                            .max_connections(1)
                            .after_connect(|conn, _meta| {
                                Box::pin(async move {
                                    for pragma in SQLITE_PRAGMAS.iter().chain(SQLITE_WRITER_PRAGMAS)
                                    {
                                        conn.execute(*pragma).await?;
                                    }
                                    Ok(())
                                })
                            })
                            .connect(&url)
                            .await?,
                    )
                };
                let pool = options.connect(&url).await?;
                Ok(Db {
                    write_pool: write_pool.unwrap_or_else(|| pool.clone()),
                    pool,
                    backend,
                    events: crate::events::Events::local(),
                    public_url: DEFAULT_PUBLIC_URL.into(),
                    mail_wakeup: Default::default(),
                    decision_cache: DecisionCache::new(),
                    platform_caps: Default::default(),
                    statement_vat_basis_points: crate::settlement::DEFAULT_STATEMENT_VAT,
                })
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(postgres_max_connections())
                    .acquire_timeout(Duration::from_secs(10))
                    .connect(url)
                    .await?;
                let decision_cache = DecisionCache::new();
                Ok(Db {
                    write_pool: pool.clone(),
                    pool,
                    backend,
                    // Listening before we return: nothing committed afterwards is missed.
                    events: crate::events::Events::listening(url, decision_cache.clone()).await?,
                    public_url: DEFAULT_PUBLIC_URL.into(),
                    mail_wakeup: Default::default(),
                    decision_cache,
                    platform_caps: Default::default(),
                    statement_vat_basis_points: crate::settlement::DEFAULT_STATEMENT_VAT,
                })
            }
        }
    }

    /// Opens (creating it and `dir` if needed) the SQLite database `<dir>/chargedesk.db`.
    pub async fn open_sqlite_in(dir: &Path) -> Result<Db, StorageError> {
        Self::connect(&sqlite_url_in(dir)?).await
    }

    /// How many connections this handle's pool keeps open at most.
    pub fn max_connections(&self) -> u32 {
        self.pool.options().get_max_connections()
    }

    /// Whether any organization exists (i.e. the database has been bootstrapped).
    pub async fn has_organizations(&self) -> Result<bool, StorageError> {
        let any: Option<i64> = sqlx::query_scalar("SELECT id FROM organizations LIMIT 1")
            .fetch_optional(&self.pool)
            .await?;
        Ok(any.is_some())
    }

    /// A pooled connection for reads.
    pub(crate) async fn read(&self) -> Result<PoolConnection<Any>, StorageError> {
        Ok(self.pool.acquire().await?)
    }

    /// Starts a write transaction that may change what authorization decisions are taken from (organizations,
    /// stations, passes, or anything else not known to be unrelated): when it commits, every decision input
    /// cached in this process is out of date, and on PostgreSQL the transaction tells the other instances so
    /// too (see [`crate::decision_cache`]). For the station traffic and other writes that change none of it,
    /// use [`Db::begin_operational_write`].
    ///
    /// On SQLite it takes the write lock up front (`BEGIN IMMEDIATE`), so that a read-then-write transaction
    /// waits for other writers (busy timeout) instead of failing with "database is locked" when it tries to
    /// upgrade.
    pub(crate) async fn begin_write(&self) -> Result<WriteTx, StorageError> {
        self.begin(true).await
    }

    /// Starts a write transaction that changes nothing authorization decisions are taken from — not the
    /// organizations, their names or access modes, the stations' organizations or access modes, nor the
    /// passes: the station traffic (frames, decisions, transactions, meter values, boots, statuses,
    /// connections), sessions, log-in failures, mail, instance leases, pruning. It leaves the decision cache
    /// alone. When in doubt, [`Db::begin_write`].
    pub(crate) async fn begin_operational_write(&self) -> Result<WriteTx, StorageError> {
        self.begin(false).await
    }

    async fn begin(&self, changes_decision_inputs: bool) -> Result<WriteTx, StorageError> {
        let tx = match self.backend {
            Backend::Sqlite => self.write_pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.write_pool.begin().await?,
        };
        Ok(WriteTx {
            tx,
            invalidates: changes_decision_inputs.then(|| self.clone()),
        })
    }
}

/// A write transaction ([`Db::begin_write`], [`Db::begin_operational_write`]): a connection (`&mut *tx`) that
/// is committed with [`WriteTx::commit`] and rolled back when dropped.
pub(crate) struct WriteTx {
    tx: Transaction<'static, Any>,
    /// The database whose decision cache the commit invalidates, if it may change decision inputs.
    invalidates: Option<Db>,
}

impl WriteTx {
    /// Commits. A transaction that may have changed decision inputs first announces that to the other
    /// instances (PostgreSQL: a notification that the commit sends), then, once committed, invalidates this
    /// process's cache: a decision taken after `commit` returns sees the change.
    pub(crate) async fn commit(mut self) -> Result<(), StorageError> {
        if let Some(db) = &self.invalidates {
            db.announce_decision_inputs_changed(&mut self.tx).await?;
        }
        self.tx.commit().await?;
        if let Some(db) = &self.invalidates {
            db.decision_cache.invalidate();
        }
        Ok(())
    }
}

impl std::ops::Deref for WriteTx {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}

/// Rows deleted per transaction when pruning, so that other writers (stations) are not held up for long.
pub(crate) const PRUNE_CHUNK: i64 = 5_000;

impl Db {
    /// Runs `delete` — a DELETE of at most `$2` rows that are older than `$1` — in one write transaction after
    /// another until a run deletes less than a chunk ([`PRUNE_CHUNK`]); returns how many rows were deleted.
    pub(crate) async fn delete_in_chunks(
        &self,
        delete: &str,
        older_than: Timestamp,
    ) -> Result<u64, StorageError> {
        let mut total = 0;
        loop {
            let mut tx = self.begin_operational_write().await?;
            let deleted = sqlx::query(delete)
                .bind(older_than.0)
                .bind(PRUNE_CHUNK)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            tx.commit().await?;
            total += deleted;
            if deleted < PRUNE_CHUNK as u64 {
                return Ok(total);
            }
        }
    }
}

/// A connection or a transaction, as taken by the internal query functions.
pub(crate) type Conn = AnyConnection;

/// The current time as stored in the database (the one clock for everything the server timestamps).
pub fn now() -> Timestamp {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    Timestamp(ms)
}

/// `s` with its case folded as the database's `lower()` folds it: ASCII letters only (`Ü` stays `Ü`). That is
/// SQLite's `lower()`, and PostgreSQL's on the columns of migration 0012 (collation "C"). A value compared
/// with `lower(column)` is bound folded by this, never as `lower($N)`: a parameter has PostgreSQL's default
/// collation, under which `lower()` folds every letter, so the two databases would disagree.
pub(crate) fn fold_case(s: &str) -> String {
    s.to_ascii_lowercase()
}

/// The URL of the SQLite database `<dir>/chargedesk.db`, creating `dir` if needed (the file is created on
/// connecting).
pub(crate) fn sqlite_url_in(dir: &Path) -> Result<String, StorageError> {
    std::fs::create_dir_all(dir).map_err(|e| StorageError::Internal(Box::new(e)))?;
    let file = dir.join("chargedesk.db");
    let file = file
        .to_str()
        .ok_or_else(|| StorageError::internal("database path is not valid UTF-8"))?;
    Ok(format!("sqlite://{}?mode=rwc", encode_sqlite_path(file)))
}

/// Adds `mode=rwc` (create if missing) unless the URL chooses a mode or is in-memory.
fn sqlite_url_creating_file(url: &str) -> String {
    if url.contains("mode=") || url.contains(":memory:") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

/// sqlx percent-decodes the file name of a `sqlite://` URL, so `%`, `?` and `#` must be escaped.
pub(crate) fn encode_sqlite_path(path: &str) -> String {
    path.replace('%', "%25")
        .replace('?', "%3F")
        .replace('#', "%23")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_get_create_mode_unless_they_choose() {
        assert_eq!(
            sqlite_url_creating_file("sqlite://a.db"),
            "sqlite://a.db?mode=rwc"
        );
        assert_eq!(
            sqlite_url_creating_file("sqlite://a.db?cache=shared"),
            "sqlite://a.db?cache=shared&mode=rwc"
        );
        assert_eq!(
            sqlite_url_creating_file("sqlite://a.db?mode=ro"),
            "sqlite://a.db?mode=ro"
        );
        assert_eq!(
            sqlite_url_creating_file("sqlite::memory:"),
            "sqlite::memory:"
        );
        assert_eq!(encode_sqlite_path("/t/a?b#c%d"), "/t/a%3Fb%23c%25d");
    }

    async fn temp_db() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open_sqlite_in(&dir.path().join("sub dir #1"))
            .await
            .unwrap();
        (dir, db)
    }

    #[tokio::test]
    async fn sqlite_binds_dollar_placeholders_by_number_not_by_position() {
        let (_dir, db) = temp_db().await;
        // `$2` appears before `$1`: SQLite numbers named parameters by first appearance, sqlx maps `$N` to
        // the N-th bound value.
        let (a, b): (String, i64) = sqlx::query_as("SELECT $2 AS a, $1 AS b")
            .bind(7_i64)
            .bind("second")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!((a.as_str(), b), ("second", 7));
        // A placeholder used twice is one value.
        let (x, y, z): (i64, i64, String) = sqlx::query_as("SELECT $1 + $1 AS x, $3 AS y, $2 AS z")
            .bind(20_i64)
            .bind("two")
            .bind(3_i64)
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!((x, y, z.as_str()), (40, 3, "two"));
    }

    #[tokio::test]
    async fn connections_use_wal_foreign_keys_and_a_busy_timeout() {
        let (dir, db) = temp_db().await;
        assert!(dir.path().join("sub dir #1").join("chargedesk.db").exists());
        let mut conn = db.pool.acquire().await.unwrap();
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(mode, "wal");
        let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(fk, 1);
        let timeout: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(timeout, 5000);
        // Foreign keys are enforced: a membership of a user that does not exist is refused.
        let err = sqlx::query(
            "INSERT INTO memberships (user_id, org_id, role, created_at) VALUES (99, 99, 'cardholder', 0)",
        )
        .execute(&mut *conn)
        .await
        .unwrap_err();
        assert!(matches!(StorageError::from(err), StorageError::Internal(_)));
    }

    #[tokio::test]
    async fn migrations_are_applied_once_and_reopening_is_fine() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open_sqlite_in(dir.path()).await.unwrap();
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .fetch_all(&db.pool)
        .await
        .unwrap();
        for t in [
            "_sqlx_migrations",
            "audit_log",
            "authorization_decisions",
            "connectors",
            "login_failures",
            "memberships",
            "meter_values",
            "ocpp_messages",
            "organizations",
            "passes",
            "sessions",
            "stations",
            "transactions",
            "users",
        ] {
            assert!(
                tables.iter().any(|x| x == t),
                "missing table {t}: {tables:?}"
            );
        }
        assert!(!db.has_organizations().await.unwrap());
        db.pool.close().await;
        let again = Db::connect(&format!("sqlite://{}/chargedesk.db", dir.path().display()))
            .await
            .unwrap();
        let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
            .fetch_one(&again.pool)
            .await
            .unwrap();
        assert_eq!(applied, SQLITE_MIGRATOR.iter().count() as i64);
        assert!(applied >= 2);
    }

    #[tokio::test]
    async fn unique_violations_become_a_generic_conflict_and_missing_rows_not_found() {
        let (_dir, db) = temp_db().await;
        let insert =
            "INSERT INTO users (email, first_name, last_name, created_at) VALUES ($1, 'A', 'B', 0)";
        sqlx::query(insert)
            .bind("a@b.example")
            .execute(&db.pool)
            .await
            .unwrap();
        let err = sqlx::query(insert)
            .bind("A@B.example")
            .execute(&db.pool)
            .await
            .unwrap_err();
        match StorageError::from(err) {
            StorageError::Conflict { message } => assert!(!message.contains("UNIQUE")),
            other => panic!("expected a conflict, got {other:?}"),
        }
        let err = sqlx::query_scalar::<_, i64>("SELECT id FROM users WHERE id = 12345")
            .fetch_one(&db.pool)
            .await
            .unwrap_err();
        assert!(matches!(
            StorageError::from(err),
            StorageError::NotFound { .. }
        ));
    }

    #[tokio::test]
    async fn any_driver_rejects_sqlite_columns_declared_boolean_or_datetime() {
        // Why the schema declares only INTEGER/BIGINT/TEXT: the Any driver maps SQLite columns by their
        // declared type and refuses BOOLEAN, DATETIME, NUMERIC, ... even when the value is a plain integer.
        let (_dir, db) = temp_db().await;
        let mut conn = db.pool.acquire().await.unwrap();
        sqlx::query("CREATE TEMP TABLE t2 (flag BOOLEAN, n BIGINT)")
            .execute(&mut *conn)
            .await
            .unwrap();
        sqlx::query("INSERT INTO t2 VALUES (1, 2)")
            .execute(&mut *conn)
            .await
            .unwrap();
        let n: i64 = sqlx::query_scalar("SELECT n FROM t2")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(n, 2);
        let err = sqlx::query_scalar::<_, i64>("SELECT flag FROM t2")
            .fetch_one(&mut *conn)
            .await
            .unwrap_err();
        assert!(
            format!("{err:?}").contains("Any driver does not support the SQLite type"),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn unreachable_servers_and_other_databases_are_internal_errors() {
        let err = Db::connect("postgres://nobody@127.0.0.1:1/none")
            .await
            .unwrap_err();
        assert!(matches!(err, StorageError::Internal(_)));
        assert!(matches!(
            Db::connect("mysql://x").await.unwrap_err(),
            StorageError::Internal(_)
        ));
    }

    #[tokio::test]
    async fn in_memory_databases_keep_their_single_connection() {
        let db = Db::connect("sqlite::memory:").await.unwrap();
        assert!(!db.has_organizations().await.unwrap());
    }
}
