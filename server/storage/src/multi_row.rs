//! Statements with many values (the OCPP log writer's multi-row INSERTs): the text and the values are written
//! together, each value where its placeholder goes, so that they cannot disagree.
//!
//! Placeholders are positional: `?` on SQLite, `$1, $2, …` in order on PostgreSQL. Not `$N` on SQLite, as
//! everywhere else: SQLite keeps named parameters in a list that sqlx searches once per parameter when it
//! binds (`sqlite3_bind_parameter_name`), quadratic in their number — with 3,000 values that was half the
//! server's time at 2,000 Authorize/s. Anonymous `?` are bound by position.

use crate::db::{Backend, Conn};
use crate::error::StorageError;
use std::fmt::Write;

/// One value of a statement.
pub(crate) enum Value<'a> {
    Int(i64),
    OptInt(Option<i64>),
    Text(&'a str),
    OptText(Option<&'a str>),
    OptString(Option<String>),
}

/// A statement being written: its text so far and its values, in the order of their placeholders.
pub(crate) struct Statement<'a> {
    backend: Backend,
    sql: String,
    values: Vec<Value<'a>>,
}

impl<'a> Statement<'a> {
    /// A statement starting with `sql`.
    pub(crate) fn new(backend: Backend, sql: &str) -> Self {
        Self {
            backend,
            sql: sql.to_owned(),
            values: Vec::new(),
        }
    }

    /// Appends text.
    pub(crate) fn sql(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    /// Appends a placeholder with its value.
    pub(crate) fn value(&mut self, value: Value<'a>) -> &mut Self {
        self.values.push(value);
        match self.backend {
            Backend::Sqlite => self.sql.push('?'),
            Backend::Postgres => {
                let _ = write!(self.sql, "${}", self.values.len());
            }
        }
        self
    }

    /// Appends `(v1, v2, …)`.
    pub(crate) fn tuple(&mut self, values: impl IntoIterator<Item = Value<'a>>) -> &mut Self {
        self.sql.push('(');
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                self.sql.push_str(", ");
            }
            self.value(value);
        }
        self.sql.push(')');
        self
    }

    /// Runs it on `conn` and reads the rows it returns. Not kept prepared: the text changes with the number of
    /// values.
    pub(crate) async fn fetch_all<T>(self, conn: &mut Conn) -> Result<Vec<T>, StorageError>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
    {
        let mut query = sqlx::query_as::<_, T>(&self.sql);
        for value in self.values {
            query = match value {
                Value::Int(v) => query.bind(v),
                Value::OptInt(v) => query.bind(v),
                Value::Text(v) => query.bind(v),
                Value::OptText(v) => query.bind(v),
                Value::OptString(v) => query.bind(v),
            };
        }
        Ok(query.persistent(false).fetch_all(&mut *conn).await?)
    }

    /// Runs it on `conn` and says how many rows it changed.
    pub(crate) async fn execute_counting(self, conn: &mut Conn) -> Result<u64, StorageError> {
        let mut query = sqlx::query(&self.sql);
        for value in self.values {
            query = match value {
                Value::Int(v) => query.bind(v),
                Value::OptInt(v) => query.bind(v),
                Value::Text(v) => query.bind(v),
                Value::OptText(v) => query.bind(v),
                Value::OptString(v) => query.bind(v),
            };
        }
        Ok(query
            .persistent(false)
            .execute(&mut *conn)
            .await?
            .rows_affected())
    }

    /// Runs it on `conn`. Not kept prepared: the text changes with the number of rows.
    pub(crate) async fn execute(self, conn: &mut Conn) -> Result<(), StorageError> {
        self.execute_counting(conn).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(backend: Backend) -> String {
        let mut statement = Statement::new(backend, "INSERT INTO t (a, b, c) VALUES ");
        statement
            .tuple([Value::Int(1), Value::Text("x"), Value::OptInt(None)])
            .sql(", ")
            .tuple([Value::Int(2), Value::OptText(None), Value::OptString(None)])
            .sql(" -- ")
            .value(Value::Int(3));
        assert_eq!(statement.values.len(), 7);
        statement.sql
    }

    #[test]
    fn placeholders_follow_the_values() {
        assert_eq!(
            written(Backend::Sqlite),
            "INSERT INTO t (a, b, c) VALUES (?, ?, ?), (?, ?, ?) -- ?"
        );
        assert_eq!(
            written(Backend::Postgres),
            "INSERT INTO t (a, b, c) VALUES ($1, $2, $3), ($4, $5, $6) -- $7"
        );
    }

    #[tokio::test]
    async fn rows_are_stored_with_their_values_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::Db::open_sqlite_in(dir.path()).await.unwrap();
        let mut conn = db.read().await.unwrap();
        sqlx::query("CREATE TEMP TABLE t (a BIGINT, b TEXT, c BIGINT)")
            .execute(&mut *conn)
            .await
            .unwrap();
        let mut statement = Statement::new(Backend::Sqlite, "INSERT INTO t (a, b, c) VALUES ");
        for i in 0..1000_i64 {
            if i > 0 {
                statement.sql(", ");
            }
            statement.tuple([
                Value::Int(i),
                Value::OptString((i % 2 == 0).then(|| format!("row {i}"))),
                Value::OptInt((i % 3 == 0).then_some(-i)),
            ]);
        }
        statement.execute(&mut conn).await.unwrap();
        let rows: Vec<(i64, Option<String>, Option<i64>)> =
            sqlx::query_as("SELECT a, b, c FROM t ORDER BY a")
                .fetch_all(&mut *conn)
                .await
                .unwrap();
        assert_eq!(rows.len(), 1000);
        for (i, (a, b, c)) in rows.into_iter().enumerate() {
            let i = i as i64;
            assert_eq!(a, i);
            assert_eq!(b, (i % 2 == 0).then(|| format!("row {i}")));
            assert_eq!(c, (i % 3 == 0).then_some(-i));
        }
    }
}
