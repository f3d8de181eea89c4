//! `server copy-sqlite-to-postgres`: moving a deployment that started on the embedded SQLite database to
//! PostgreSQL without losing anything.
//!
//! [`Db::copy_from_sqlite`] copies every table of a ChargeDesk SQLite file into a migrated, empty PostgreSQL
//! database, in one PostgreSQL transaction: either everything arrives or nothing does.
//!
//! - **Which tables**: the target's own schema names them (every base table of the current schema but sqlx's
//!   `_sqlx_migrations`), and the source must have exactly the same set; no list here can forget a table a
//!   later migration adds. Columns are the target's, in order, each `BIGINT` or `TEXT` (the only types the
//!   migrations use: `migrations/README.md`); any other type stops the copy before anything is written.
//! - **Order**: parents before children, from the target's foreign keys; within a table by SQLite's `rowid`
//!   (the id for tables with an integer id), so an organization's parent, created before it, comes first.
//! - **Memory**: rows are read and inserted in batches of at most [`BATCH_ROWS`], so a large frame log is
//!   never held whole.
//! - **Ids**: identity columns keep their values; afterwards each identity sequence is set past both the
//!   highest copied id and SQLite's `sqlite_sequence` (ids of deleted rows are not handed out again, as on
//!   SQLite: e.g. a pruned transaction's id, which a station may still remember).
//! - **Checks**: the source must be at exactly this binary's migrations (else it is refused: run
//!   `server migrate` on it first, or use the newer ChargeDesk that migrated it) and is opened read-only; the
//!   target is locked against writers (`LOCK TABLE … IN EXCLUSIVE MODE`) and must have no row in any table;
//!   after copying, each table's row count must equal the source's, read in the same SQLite read transaction
//!   (one consistent snapshot).
//!
//! The source file is untrusted data for the target: its values reach PostgreSQL only as bound parameters,
//! never as SQL text. The only names spliced into the SQL (tables and columns, double-quoted) come from the
//! target's catalog, i.e. from our own migrations, never from the source.

use crate::db::{Backend, Db, SQLITE_MIGRATOR};
use sqlx::sqlite::{SqliteConnectOptions, SqliteRow};
use sqlx::{Connection, Row, SqliteConnection};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Rows read from SQLite and inserted into PostgreSQL at a time (fewer for tables with many columns, so
/// that one INSERT stays under PostgreSQL's 65,535 bound parameters).
pub const BATCH_ROWS: usize = 500;

/// PostgreSQL's limit on the bound parameters of one statement.
const MAX_PARAMETERS: usize = 65_535;

/// One table as [`Db::copy_from_sqlite`] copied it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCopy {
    /// The table's name.
    pub table: String,
    /// Its rows, the same number on both sides.
    pub rows: u64,
}

/// Why [`Db::copy_from_sqlite`] did not copy. Either way the PostgreSQL database is as it was.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// Refused before anything was written; the message (one line) says what to do.
    #[error("{0}")]
    Refused(String),
    /// Failed part-way: the PostgreSQL transaction was rolled back.
    #[error("{during} failed: {cause}; nothing was copied (the PostgreSQL database is as before)")]
    Failed {
        /// What was being done, e.g. `copying table ocpp_messages`.
        during: String,
        /// The database's own words, on one line.
        cause: String,
    },
}

/// A column's type, as far as copying cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Integer,
    Text,
}

#[derive(Debug)]
struct Column {
    name: String,
    kind: Kind,
    identity: bool,
}

#[derive(Debug)]
struct Table {
    name: String,
    columns: Vec<Column>,
}

/// One value of a row in flight.
enum Value {
    Integer(Option<i64>),
    Text(Option<String>),
}

/// `"name"`: an identifier from the target's catalog, quoted (doubling any quote in it).
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// An error's text and its causes' on one line (sqlx's errors repeat their source's text).
fn one_line(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cause = Some(error);
    while let Some(e) = cause {
        let text = e.to_string();
        if !parts.last().is_some_and(|last| last.ends_with(&text)) {
            parts.push(text);
        }
        cause = e.source();
    }
    parts.join(": ").replace(['\r', '\n'], " ")
}

fn failed(during: impl Into<String>) -> impl FnOnce(sqlx::Error) -> CopyError {
    let during = during.into();
    move |e| CopyError::Failed {
        during,
        cause: one_line(&e),
    }
}

/// The SQLite database to copy, opened read-only and checked: a ChargeDesk database at exactly this binary's
/// migrations.
#[derive(Debug)]
pub struct CopySource {
    conn: SqliteConnection,
}

impl CopySource {
    /// Opens the SQLite file `path` read-only, refusing (in one line) a file that is missing, not SQLite, not
    /// ChargeDesk's, or at other migrations than this binary's.
    pub async fn open(path: &Path) -> Result<CopySource, CopyError> {
        let mut conn = open_source(path).await?;
        check_source_migrations(&mut conn, path).await?;
        Ok(CopySource { conn })
    }
}

impl Db {
    /// Copies the ChargeDesk SQLite database `source` into this database, which must be a PostgreSQL one,
    /// migrated (as [`Db::connect`] leaves it) and empty; returns each table with its row count, in the order
    /// copied. See the [module documentation](self) for what is checked and how; the source is only read.
    pub async fn copy_from_sqlite(&self, source: CopySource) -> Result<Vec<TableCopy>, CopyError> {
        if self.backend != Backend::Postgres {
            return Err(CopyError::Refused(
                "the target must be a PostgreSQL database (postgres://…)".to_owned(),
            ));
        }
        let mut source_conn = source.conn;

        let mut target = self
            .pool
            .begin()
            .await
            .map_err(failed("starting the PostgreSQL transaction"))?;
        let tables = target_tables(&mut target).await?;
        let source_tables = source_tables(&mut source_conn).await?;
        let target_names: BTreeSet<String> = tables.iter().map(|t| t.name.clone()).collect();
        if source_tables != target_names {
            let only = |a: &BTreeSet<String>, b: &BTreeSet<String>| {
                a.difference(b).cloned().collect::<Vec<_>>().join(", ")
            };
            return Err(CopyError::Refused(format!(
                "the two schemas differ (only in SQLite: [{}]; only in PostgreSQL: [{}]): both must be at this \
                 ChargeDesk's migrations",
                only(&source_tables, &target_names),
                only(&target_names, &source_tables)
            )));
        }
        let all = tables
            .iter()
            .map(|t| quoted(&t.name))
            .collect::<Vec<_>>()
            .join(", ");
        sqlx::query(&format!("LOCK TABLE {all} IN EXCLUSIVE MODE"))
            .execute(&mut *target)
            .await
            .map_err(failed("locking the PostgreSQL tables"))?;
        for table in &tables {
            let any: i64 = sqlx::query_scalar(&format!(
                "SELECT COUNT(*) FROM (SELECT 1 FROM {} LIMIT 1) AS t",
                quoted(&table.name)
            ))
            .fetch_one(&mut *target)
            .await
            .map_err(failed(format!("reading table {}", table.name)))?;
            if any > 0 {
                return Err(CopyError::Refused(format!(
                    "the PostgreSQL database is not empty (table {} has rows): copy only into a new database \
                     (createdb, then this command); nothing was written",
                    table.name
                )));
            }
        }

        // One read transaction on SQLite: every table is read from the same snapshot.
        let mut snapshot = source_conn
            .begin()
            .await
            .map_err(failed("starting the SQLite read transaction"))?;
        let sequences = sqlite_sequences(&mut snapshot).await?;
        let mut copied = Vec::with_capacity(tables.len());
        for table in &tables {
            let rows = copy_table(&mut snapshot, &mut target, table).await?;
            let identity = table.columns.iter().find(|c| c.identity);
            if let Some(column) = identity {
                advance_identity(
                    &mut target,
                    table,
                    column,
                    sequences.get(&table.name).copied(),
                )
                .await?;
            }
            tracing::debug!(table = %table.name, rows, "copied");
            copied.push(TableCopy {
                table: table.name.clone(),
                rows,
            });
        }
        target
            .commit()
            .await
            .map_err(failed("committing the PostgreSQL transaction"))?;
        snapshot
            .rollback()
            .await
            .map_err(failed("ending the SQLite read transaction"))?;
        Ok(copied)
    }
}

/// Opens `path` read-only, refusing a file that is missing or not SQLite in one line.
async fn open_source(path: &Path) -> Result<SqliteConnection, CopyError> {
    let shown = path.display();
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(CopyError::Refused(format!(
                "--from {shown}: no such file (the SQLite database to copy, e.g. data/chargedesk.db)"
            )))
        }
        Err(e) => return Err(CopyError::Refused(format!("--from {shown}: {e}"))),
        Ok(metadata) if metadata.is_dir() => {
            return Err(CopyError::Refused(format!(
                "--from {shown} is a directory: name the database file in it (chargedesk.db)"
            )))
        }
        Ok(_) => {}
    }
    let url = format!(
        "sqlite://{}",
        crate::db::encode_sqlite_path(&path.to_string_lossy())
    );
    if let Some(reason) = crate::health::sqlite_url_problem(&url) {
        return Err(CopyError::Refused(format!("--from {reason}")));
    }
    let options = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .create_if_missing(false);
    SqliteConnection::connect_with(&options).await.map_err(|e| {
        CopyError::Refused(format!(
            "--from {shown}: cannot be opened: {}",
            one_line(&e)
        ))
    })
}

/// Refuses a source that is not at exactly this binary's SQLite migrations.
async fn check_source_migrations(
    conn: &mut SqliteConnection,
    path: &Path,
) -> Result<(), CopyError> {
    let shown = path.display();
    let applied: Vec<(i64, Vec<u8>, bool)> =
        sqlx::query_as("SELECT version, checksum, success FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&mut *conn)
            .await
            .map_err(|_| {
                CopyError::Refused(format!(
                    "--from {shown} is not a ChargeDesk database (it has no migrations table)"
                ))
            })?;
    let ours: Vec<&sqlx::migrate::Migration> = SQLITE_MIGRATOR
        .iter()
        .filter(|m| !m.migration_type.is_down_migration())
        .collect();
    for (version, checksum, success) in &applied {
        let Some(migration) = ours.iter().find(|m| m.version == *version) else {
            return Err(CopyError::Refused(format!(
                "--from {shown} was migrated by a newer ChargeDesk (migration {version} is unknown to this \
                 version): copy it with that version or a newer one"
            )));
        };
        if !success {
            return Err(CopyError::Refused(format!(
                "--from {shown}: migration {version} failed part-way in an earlier run: restore it from a backup"
            )));
        }
        if migration.checksum.as_ref() != checksum.as_slice() {
            return Err(CopyError::Refused(format!(
                "--from {shown}: its migration {version} differs from this version's: it was set up by another \
                 build of ChargeDesk"
            )));
        }
    }
    if let Some(missing) = ours
        .iter()
        .find(|m| !applied.iter().any(|(v, _, _)| *v == m.version))
    {
        return Err(CopyError::Refused(format!(
            "--from {shown} lacks migration {} ({}): bring it up to date first with \
             server migrate --database-url sqlite://{}",
            missing.version,
            missing.description,
            crate::db::encode_sqlite_path(&path.to_string_lossy())
        )));
    }
    Ok(())
}

/// The tables of the source, but SQLite's own and `_sqlx_migrations`.
async fn source_tables(conn: &mut SqliteConnection) -> Result<BTreeSet<String>, CopyError> {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
         AND name <> '_sqlx_migrations'",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(failed("reading the SQLite schema"))?;
    Ok(names.into_iter().collect())
}

/// SQLite's highest id handed out per table with AUTOINCREMENT (`sqlite_sequence`; absent when none has one).
async fn sqlite_sequences(conn: &mut SqliteConnection) -> Result<BTreeMap<String, i64>, CopyError> {
    let exists: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'",
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(failed("reading the SQLite schema"))?;
    if exists == 0 {
        return Ok(BTreeMap::new());
    }
    let rows: Vec<(String, i64)> = sqlx::query_as("SELECT name, seq FROM sqlite_sequence")
        .fetch_all(&mut *conn)
        .await
        .map_err(failed("reading sqlite_sequence"))?;
    Ok(rows.into_iter().collect())
}

/// The target's tables with their columns, parents before children (by foreign key; ties by name).
async fn target_tables(target: &mut sqlx::AnyConnection) -> Result<Vec<Table>, CopyError> {
    let columns: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT c.table_name::text, c.column_name::text, c.data_type::text, c.is_identity::text \
         FROM information_schema.columns c \
         JOIN information_schema.tables t \
           ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
         WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' \
           AND c.table_name <> '_sqlx_migrations' \
         ORDER BY c.table_name, c.ordinal_position",
    )
    .fetch_all(&mut *target)
    .await
    .map_err(failed("reading the PostgreSQL schema"))?;
    let mut tables: BTreeMap<String, Vec<Column>> = BTreeMap::new();
    for (table, name, data_type, identity) in columns {
        let kind = match data_type.as_str() {
            "bigint" => Kind::Integer,
            "text" => Kind::Text,
            other => {
                return Err(CopyError::Refused(format!(
                    "column {table}.{name} is of type {other}: this ChargeDesk copies only bigint and text \
                     columns"
                )))
            }
        };
        tables.entry(table).or_default().push(Column {
            name,
            kind,
            identity: identity == "YES",
        });
    }
    let references: Vec<(String, String)> = sqlx::query_as(
        "SELECT child.relname::text, parent.relname::text \
         FROM pg_constraint c \
         JOIN pg_class child ON child.oid = c.conrelid \
         JOIN pg_class parent ON parent.oid = c.confrelid \
         JOIN pg_namespace n ON n.oid = child.relnamespace \
         WHERE c.contype = 'f' AND n.nspname = current_schema()",
    )
    .fetch_all(&mut *target)
    .await
    .map_err(failed("reading the PostgreSQL foreign keys"))?;
    let order = parents_first(tables.keys().cloned().collect(), &references).ok_or_else(|| {
        CopyError::Refused(
            "the PostgreSQL schema's foreign keys form a cycle between tables: no copy order exists".to_owned(),
        )
    })?;
    Ok(order
        .into_iter()
        .map(|name| {
            let columns = tables.remove(&name).unwrap_or_default();
            Table { name, columns }
        })
        .collect())
}

/// `tables` ordered so that every table comes after the tables it references (`(child, parent)` pairs; a
/// table referencing itself is left to the row order), ties by name; `None` on a cycle.
fn parents_first(tables: BTreeSet<String>, references: &[(String, String)]) -> Option<Vec<String>> {
    let mut waiting_for: BTreeMap<&str, BTreeSet<&str>> = tables
        .iter()
        .map(|t| (t.as_str(), BTreeSet::new()))
        .collect();
    for (child, parent) in references {
        if child != parent && tables.contains(parent) {
            if let Some(parents) = waiting_for.get_mut(child.as_str()) {
                parents.insert(parent.as_str());
            }
        }
    }
    let mut order: Vec<String> = Vec::with_capacity(tables.len());
    while !waiting_for.is_empty() {
        let ready = waiting_for
            .iter()
            .find(|(_, parents)| parents.is_empty())
            .map(|(table, _)| *table)?;
        waiting_for.remove(ready);
        for parents in waiting_for.values_mut() {
            parents.remove(ready);
        }
        order.push(ready.to_owned());
    }
    Some(order)
}

/// Copies one table in batches; returns its row count after checking that both sides have it.
async fn copy_table(
    source: &mut SqliteConnection,
    target: &mut sqlx::AnyConnection,
    table: &Table,
) -> Result<u64, CopyError> {
    let during = || format!("copying table {}", table.name);
    let names = table
        .columns
        .iter()
        .map(|c| quoted(&c.name))
        .collect::<Vec<_>>()
        .join(", ");
    let select = format!(
        "SELECT rowid, {names} FROM {} WHERE rowid > $1 ORDER BY rowid LIMIT $2",
        quoted(&table.name)
    );
    let width = table.columns.len().max(1);
    let batch = BATCH_ROWS.min(MAX_PARAMETERS / width).max(1);
    let mut after = i64::MIN;
    let mut copied: u64 = 0;
    loop {
        let rows: Vec<SqliteRow> = sqlx::query(&select)
            .bind(after)
            .bind(batch as i64)
            .fetch_all(&mut *source)
            .await
            .map_err(failed(during()))?;
        let Some(last) = rows.last() else { break };
        after = last.try_get::<i64, _>(0).map_err(failed(during()))?;
        let mut values: Vec<Value> = Vec::with_capacity(rows.len() * width);
        for row in &rows {
            for (i, column) in table.columns.iter().enumerate() {
                let value = match column.kind {
                    Kind::Integer => row.try_get::<Option<i64>, _>(i + 1).map(Value::Integer),
                    Kind::Text => row.try_get::<Option<String>, _>(i + 1).map(Value::Text),
                };
                values.push(value.map_err(|e| CopyError::Failed {
                    during: format!(
                        "copying table {} (column {}, SQLite rowid {})",
                        table.name,
                        column.name,
                        row.try_get::<i64, _>(0).unwrap_or_default()
                    ),
                    cause: one_line(&e),
                })?);
            }
        }
        insert_batch(target, table, &names, rows.len(), values)
            .await
            .map_err(failed(during()))?;
        copied += rows.len() as u64;
        if rows.len() < batch {
            break;
        }
    }
    let count_sql = format!("SELECT COUNT(*) FROM {}", quoted(&table.name));
    let in_source: i64 = sqlx::query_scalar(&count_sql)
        .fetch_one(&mut *source)
        .await
        .map_err(failed(during()))?;
    let in_target: i64 = sqlx::query_scalar(&count_sql)
        .fetch_one(&mut *target)
        .await
        .map_err(failed(during()))?;
    if in_source != in_target || in_target as u64 != copied {
        return Err(CopyError::Failed {
            during: during(),
            cause: format!(
                "row counts differ: {in_source} in SQLite, {copied} read, {in_target} in PostgreSQL"
            ),
        });
    }
    Ok(copied)
}

/// One multi-row INSERT of `rows` rows, every value a bound parameter.
async fn insert_batch(
    target: &mut sqlx::AnyConnection,
    table: &Table,
    names: &str,
    rows: usize,
    values: Vec<Value>,
) -> Result<(), sqlx::Error> {
    let width = table.columns.len();
    let mut sql = format!("INSERT INTO {} ({names}) VALUES ", quoted(&table.name));
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..width {
            if column > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("${}", row * width + column + 1));
        }
        sql.push(')');
    }
    let mut query = sqlx::query(&sql);
    for value in values {
        query = match value {
            Value::Integer(v) => query.bind(v),
            Value::Text(v) => query.bind(v),
        };
    }
    query.execute(&mut *target).await?;
    Ok(())
}

/// Sets the identity sequence of `column` so that the next generated id is above every copied one and above
/// what SQLite had handed out (`sqlite_sequence`).
async fn advance_identity(
    target: &mut sqlx::AnyConnection,
    table: &Table,
    column: &Column,
    sqlite_sequence: Option<i64>,
) -> Result<(), CopyError> {
    let during = || format!("advancing the id sequence of {}", table.name);
    let highest: Option<i64> = sqlx::query_scalar(&format!(
        "SELECT MAX({}) FROM {}",
        quoted(&column.name),
        quoted(&table.name)
    ))
    .fetch_one(&mut *target)
    .await
    .map_err(failed(during()))?;
    let next = highest
        .unwrap_or(0)
        .max(sqlite_sequence.unwrap_or(0))
        .saturating_add(1);
    let _: i64 = sqlx::query_scalar("SELECT setval(pg_get_serial_sequence($1, $2), $3, false)")
        .bind(quoted(&table.name))
        .bind(column.name.clone())
        .bind(next)
        .fetch_one(&mut *target)
        .await
        .map_err(failed(during()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    fn pair(child: &str, parent: &str) -> (String, String) {
        (child.to_owned(), parent.to_owned())
    }

    #[test]
    fn parents_come_first_and_self_references_do_not_block() {
        let order = parents_first(
            set(&["passes", "memberships", "users", "organizations"]),
            &[
                pair("passes", "memberships"),
                pair("passes", "users"),
                pair("memberships", "users"),
                pair("memberships", "organizations"),
                pair("organizations", "organizations"),
            ],
        )
        .unwrap();
        assert_eq!(order, ["organizations", "users", "memberships", "passes"]);
    }

    #[test]
    fn a_cycle_has_no_order() {
        assert_eq!(
            parents_first(set(&["a", "b"]), &[pair("a", "b"), pair("b", "a")]),
            None
        );
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quoted("users"), "\"users\"");
        assert_eq!(quoted("a\"b"), "\"a\"\"b\"");
    }
}
