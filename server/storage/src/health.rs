//! Operability: whether the database is ready to serve (`GET /readyz`), closing the pool, and why opening the
//! database failed, in words that tell the operator what to fix.

use crate::db::{Backend, Db};
use crate::error::StorageError;
use sqlx::migrate::{MigrateError, Migrator};
use std::error::Error as StdError;
use std::time::Duration;

/// How long the readiness check may take before the database counts as unreachable: a load balancer's probe
/// gets an answer well within its own timeout even when the database hangs.
pub const READINESS_TIMEOUT: Duration = Duration::from_secs(3);

/// Why the database is not ready. Only the category: the probe's answer reveals nothing else (the cause goes
/// to the log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotReady {
    /// The database did not answer a trivial query (closed pool, server down, timeout).
    Unreachable,
    /// A migration this binary knows is not applied (or the migrations table cannot be read).
    MigrationsPending,
}

impl NotReady {
    /// A short, fixed reason for the probe's answer.
    pub fn reason(self) -> &'static str {
        match self {
            NotReady::Unreachable => "database unreachable",
            NotReady::MigrationsPending => "database migrations pending",
        }
    }
}

impl Db {
    /// Whether this instance can serve: the database answers a trivial query and every migration this binary
    /// knows is applied, within [`READINESS_TIMEOUT`]. Two small reads; nothing is written.
    pub async fn readiness(&self) -> Result<(), NotReady> {
        match tokio::time::timeout(READINESS_TIMEOUT, self.check_readiness()).await {
            Ok(result) => result,
            Err(_) => {
                tracing::warn!("readiness check: the database did not answer in time");
                Err(NotReady::Unreachable)
            }
        }
    }

    async fn check_readiness(&self) -> Result<(), NotReady> {
        let mut conn = self.read().await.map_err(|e| {
            tracing::warn!(error = ?e, "readiness check: no database connection");
            NotReady::Unreachable
        })?;
        let one: i64 = sqlx::query_scalar("SELECT 1")
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "readiness check: the database did not answer");
                NotReady::Unreachable
            })?;
        if one != 1 {
            return Err(NotReady::Unreachable);
        }
        let applied: Vec<i64> =
            sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
                .fetch_all(&mut *conn)
                .await
                .map_err(|e| {
                    tracing::warn!(error = %e, "readiness check: reading the applied migrations");
                    NotReady::MigrationsPending
                })?;
        let pending = self
            .migrations()
            .iter()
            .filter(|m| !m.migration_type.is_down_migration())
            .find(|m| !applied.contains(&m.version));
        if let Some(missing) = pending {
            tracing::warn!(
                version = missing.version,
                "readiness check: a migration of this version is not applied"
            );
            return Err(NotReady::MigrationsPending);
        }
        Ok(())
    }

    /// The migrations of this database's kind that this binary carries.
    fn migrations(&self) -> &'static Migrator {
        match self.backend {
            Backend::Sqlite => &crate::db::SQLITE_MIGRATOR,
            Backend::Postgres => &crate::db::POSTGRES_MIGRATOR,
        }
    }

    /// Closes the pool: waits for the connections in use to be returned, then closes them all. Every later
    /// query fails (and [`Db::readiness`] answers [`NotReady::Unreachable`]); clones share the pool.
    pub async fn close(&self) {
        self.pool.close().await;
        self.write_pool.close().await;
    }
}

/// What went wrong opening the database ([`Db::connect`], [`Db::open_sqlite_in`]), said as what to fix, on one
/// line and without the URL (the caller names the setting). `None` when the failure is none of the known
/// configuration mistakes.
pub fn open_failure_reason(error: &StorageError) -> Option<String> {
    let mut cause: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(e) = cause {
        if let Some(reason) = explain(e) {
            return Some(reason);
        }
        cause = e.source();
    }
    None
}

/// The first bytes of every SQLite database file.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// Why the SQLite database at `url` (a `sqlite:` URL) cannot be ChargeDesk's, found before connecting: a
/// directory, or a file that is not SQLite. (The driver would report such a file only as a pool timeout, after
/// retrying for seconds.) `None` when there is nothing against it, a missing file included.
pub fn sqlite_url_problem(url: &str) -> Option<String> {
    let rest = url.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path.contains(":memory:") {
        return None;
    }
    // Undo what `Db::open_sqlite_in` escapes (sqlx percent-decodes the file name).
    let path = path
        .replace("%3F", "?")
        .replace("%23", "#")
        .replace("%25", "%");
    sqlite_file_problem(std::path::Path::new(&path))
}

/// [`sqlite_url_problem`] for the database file [`Db::open_sqlite_in`] opens in `dir`.
pub fn sqlite_dir_problem(dir: &std::path::Path) -> Option<String> {
    sqlite_file_problem(&dir.join("chargedesk.db"))
}

fn sqlite_file_problem(path: &std::path::Path) -> Option<String> {
    use std::io::Read;
    let metadata = std::fs::metadata(path).ok()?;
    if metadata.is_dir() {
        return Some(format!(
            "{} is a directory, not a database file",
            path.display()
        ));
    }
    if metadata.len() == 0 {
        // SQLite writes its header into an empty file.
        return None;
    }
    let not_sqlite = || {
        Some(format!(
            "{} is not a ChargeDesk database (not an SQLite file): point to another file or directory",
            path.display()
        ))
    };
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) => return Some(format!("{}: {}", path.display(), explain_io(&e))),
    };
    let mut header = [0u8; 16];
    match file.read_exact(&mut header) {
        Ok(()) if &header == SQLITE_HEADER => None,
        Ok(()) => not_sqlite(),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => not_sqlite(),
        Err(e) => Some(format!("{}: {}", path.display(), explain_io(&e))),
    }
}

/// The explanation of one error in the chain, when it is of a kind we recognise.
fn explain(error: &(dyn StdError + 'static)) -> Option<String> {
    if let Some(e) = error.downcast_ref::<MigrateError>() {
        return explain_migrate(e);
    }
    if let Some(e) = error.downcast_ref::<sqlx::Error>() {
        return explain_sqlx(e);
    }
    if let Some(e) = error.downcast_ref::<std::io::Error>() {
        return Some(explain_io(e));
    }
    None
}

fn explain_migrate(error: &MigrateError) -> Option<String> {
    Some(match error {
        MigrateError::VersionMissing(version) => format!(
            "the database was migrated by a newer ChargeDesk (migration {version} is unknown to this \
             version): run that version or a newer one"
        ),
        MigrateError::VersionMismatch(version) => format!(
            "the database's migration {version} differs from this version's: it was set up by another build \
             of ChargeDesk"
        ),
        MigrateError::Dirty(version) => format!(
            "migration {version} failed part-way in an earlier run: restore the database from a backup"
        ),
        MigrateError::Execute(e) | MigrateError::ExecuteMigration(e, _) => return explain_sqlx(e),
        _ => return None,
    })
}

/// SQLite's primary result codes (the low byte of an extended code) that mean a setting to fix.
const SQLITE_CANTOPEN: i64 = 14;
const SQLITE_READONLY: i64 = 8;
const SQLITE_PERM: i64 = 3;
const SQLITE_NOTADB: i64 = 26;

fn explain_sqlx(error: &sqlx::Error) -> Option<String> {
    Some(match error {
        sqlx::Error::Configuration(e) => format!("not a usable database URL ({e})"),
        sqlx::Error::Io(e) => explain_io(e),
        sqlx::Error::Tls(e) => format!("the TLS connection to the database failed ({e})"),
        sqlx::Error::PoolTimedOut => {
            "no connection to the database could be made in time: is it running and reachable?"
                .to_owned()
        }
        sqlx::Error::Database(db) => {
            let code = db.code()?;
            if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                // Extended result codes: the primary code is the low byte.
                match code.parse::<i64>().ok()? & 0xff {
                    SQLITE_NOTADB => {
                        "the file is not a ChargeDesk database (not SQLite): point to another file or directory"
                            .to_owned()
                    }
                    SQLITE_CANTOPEN | SQLITE_PERM => {
                        "the database file cannot be created or opened there: check that the directory exists \
                         and this user may write to it"
                            .to_owned()
                    }
                    SQLITE_READONLY => {
                        "the database is read-only: this user must be able to write the file and its directory"
                            .to_owned()
                    }
                    _ => return None,
                }
            } else {
                postgres_reason(&code, db.message())?
            }
        }
        _ => return None,
    })
}

/// What a PostgreSQL error of SQLSTATE `code` (with `message`) met while connecting and migrating asks the
/// operator to fix.
fn postgres_reason(code: &str, message: &str) -> Option<String> {
    Some(match code {
        // invalid_password; invalid_authorization_specification (also an unknown role, or pg_hba.conf)
        "28P01" | "28000" => format!(
            "authentication failed ({message}): check the user name and password in the URL, and pg_hba.conf"
        ),
        "3D000" => format!("{message}: create it first (createdb), or fix the name in the URL"),
        "42501" => format!(
            "permission denied ({message}): the user must be allowed to create and use tables in that database"
        ),
        "53300" => "the PostgreSQL server has too many connections: try again or raise max_connections"
            .to_owned(),
        "57P03" => "the PostgreSQL server is starting up or shutting down: try again in a moment".to_owned(),
        _ => return None,
    })
}

fn explain_io(error: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match error.kind() {
        ErrorKind::ConnectionRefused => {
            "connection refused: is the database server running on that host and port?".to_owned()
        }
        ErrorKind::PermissionDenied => {
            "permission denied: this user may not create or write it".to_owned()
        }
        ErrorKind::NotFound => "not found: check the path".to_owned(),
        ErrorKind::AlreadyExists | ErrorKind::NotADirectory => {
            "cannot create the directory: a file of that name is in the way".to_owned()
        }
        ErrorKind::TimedOut => "the connection timed out: is the host reachable?".to_owned(),
        ErrorKind::UnexpectedEof | ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted => {
            "the server closed the connection: is that PostgreSQL's host and port, and does it accept this \
             client (pg_hba.conf, TLS)?"
                .to_owned()
        }
        _ => format!("{error}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;

    fn io_reason(kind: io::ErrorKind) -> String {
        open_failure_reason(&StorageError::Internal(Box::new(sqlx::Error::Io(
            io::Error::from(kind),
        ))))
        .expect("explained")
    }

    #[test]
    fn io_failures_name_what_to_check() {
        assert!(io_reason(io::ErrorKind::ConnectionRefused).starts_with("connection refused"));
        assert!(io_reason(io::ErrorKind::PermissionDenied).starts_with("permission denied"));
        // create_dir_all's own error, not wrapped in sqlx.
        let reason = open_failure_reason(&StorageError::Internal(Box::new(io::Error::from(
            io::ErrorKind::PermissionDenied,
        ))))
        .unwrap();
        assert!(reason.starts_with("permission denied"));
    }

    #[test]
    fn a_newer_database_is_named_as_such() {
        let reason = open_failure_reason(&StorageError::from(MigrateError::VersionMissing(42)))
            .expect("explained");
        assert!(reason.starts_with("the database was migrated by a newer ChargeDesk"));
        assert!(reason.contains("42"));
        assert!(!reason.contains('\n'));
    }

    #[test]
    fn unknown_failures_are_not_dressed_up() {
        assert_eq!(
            open_failure_reason(&StorageError::internal("something else")),
            None
        );
        assert_eq!(
            open_failure_reason(&StorageError::from(sqlx::Error::RowNotFound)),
            None
        );
    }
}
