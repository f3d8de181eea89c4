//! `server migrate`: applying the migrations on their own, saying which ones were applied.
//!
//! [`Db::connect`] (and so `server serve`) applies pending migrations at every start as well; both go through
//! sqlx's migrator, which on PostgreSQL first takes a session-level advisory lock (`pg_advisory_lock`, keyed
//! by the database's name) and creates `_sqlx_migrations` only under it. Several instances starting at once on
//! one database therefore migrate one after the other: the first applies what is pending, the others find
//! nothing left to do. On SQLite the file's write lock serialises them.

use crate::db::{Backend, Db, POSTGRES_MIGRATOR, SQLITE_MIGRATOR};
use crate::error::StorageError;
use sqlx::migrate::{Migrate, Migrator};
use std::path::Path;

/// One migration as `server migrate` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationInfo {
    /// Its number (`0009` in `0009_accounts.sql`).
    pub version: i64,
    /// Its name, words separated by spaces (`accounts`).
    pub description: String,
}

/// What [`Db::migrate`] did.
#[derive(Debug)]
pub struct MigrationRun {
    /// The database, open and migrated.
    pub db: Db,
    /// The migrations this run applied, in order: empty when the database was already up to date.
    pub applied: Vec<MigrationInfo>,
    /// The newest migration this binary knows (which the database is now at).
    pub latest: MigrationInfo,
}

impl Db {
    /// Opens the database at `url` (`sqlite:` or `postgres:`, as [`Db::connect`]) and applies the migrations
    /// it lacks, returning which. A database migrated by a newer ChargeDesk (a migration this binary does not
    /// know), or one whose applied migration differs from ours, is refused with sqlx's [`sqlx::migrate::MigrateError`] inside
    /// the error ([`crate::open_failure_reason`] says it in words) and nothing is applied.
    ///
    /// The lock sqlx's migrator takes on PostgreSQL is held from before the applied migrations are read until
    /// after the last one is applied, so the list is exactly this run's even when other instances migrate the
    /// same database at the same moment.
    pub async fn migrate(url: &str) -> Result<MigrationRun, StorageError> {
        let db = Db::open_unmigrated(url).await?;
        let migrator = db.migrator();
        let mut conn = db.pool.acquire().await?;
        conn.lock().await?;
        let applied = match apply(&mut conn, migrator).await {
            Ok(applied) => applied,
            Err(e) => {
                // The migrator may have returned early still holding its own (re-entrant) lock: the connection
                // must not go back to the pool with it.
                conn.close_on_drop();
                return Err(e);
            }
        };
        conn.unlock().await?;
        drop(conn);
        let latest = migrator
            .iter()
            .filter(|m| !m.migration_type.is_down_migration())
            .map(info)
            .next_back()
            .ok_or_else(|| StorageError::internal("this build carries no migrations"))?;
        Ok(MigrationRun {
            db,
            applied,
            latest,
        })
    }

    /// [`Db::migrate`] on the embedded database `<dir>/chargedesk.db` (creating `dir` and the file if needed),
    /// the one [`Db::open_sqlite_in`] opens.
    pub async fn migrate_sqlite_in(dir: &Path) -> Result<MigrationRun, StorageError> {
        Self::migrate(&crate::db::sqlite_url_in(dir)?).await
    }

    /// The migrations of this database's kind.
    pub(crate) fn migrator(&self) -> &'static Migrator {
        match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATOR,
            Backend::Postgres => &POSTGRES_MIGRATOR,
        }
    }
}

/// Under the caller's lock: reads what is applied, runs the migrator (which locks again — PostgreSQL's
/// advisory locks are re-entrant — and refuses unknown or changed migrations before applying anything), and
/// returns the migrations that were not applied before.
async fn apply(
    conn: &mut sqlx::AnyConnection,
    migrator: &'static Migrator,
) -> Result<Vec<MigrationInfo>, StorageError> {
    conn.ensure_migrations_table().await?;
    let before: Vec<i64> = conn
        .list_applied_migrations()
        .await?
        .iter()
        .map(|m| m.version)
        .collect();
    migrator.run(&mut *conn).await?;
    Ok(migrator
        .iter()
        .filter(|m| !m.migration_type.is_down_migration() && !before.contains(&m.version))
        .map(info)
        .collect())
}

fn info(migration: &sqlx::migrate::Migration) -> MigrationInfo {
    MigrationInfo {
        version: migration.version,
        description: migration.description.to_string(),
    }
}
