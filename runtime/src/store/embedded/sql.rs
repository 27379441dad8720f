//! Statements for both databases: `?` placeholders numbered for PostgreSQL, multi-row inserts
//! and deletes in chunks, write transactions, and reading and encoding column values.

use std::fmt::Write as _;
use std::time::Duration;

use sea_orm::{
    ConnectionTrait, DatabaseTransaction, DbBackend, QueryResult, SqliteTransactionMode, Statement,
    TransactionOptions, TransactionTrait, Value,
};
use spool_nodes::Millis;

use super::{EmbeddedStore, ROWS_PER_STATEMENT};
use crate::store::Error;

pub(super) fn corrupt(what: &str, reason: impl ToString) -> Error {
    Error::Corrupt {
        what: what.to_owned(),
        reason: reason.to_string(),
    }
}

pub(super) fn position_of(position: &str) -> Result<i64, Error> {
    position
        .parse()
        .map_err(|_| corrupt("log position", position))
}

pub(super) fn ttl_millis(ttl: Duration) -> Millis {
    Millis::try_from(ttl.as_millis()).unwrap_or(Millis::MAX / 4)
}

/// `(?, ?), (?, ?)`: `rows` groups of `columns` placeholders.
pub(super) fn placeholders(sql: &mut String, rows: usize, columns: usize) {
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..columns {
            sql.push_str(if column == 0 { "?" } else { ", ?" });
        }
        sql.push(')');
    }
}

/// `?, ?, ?`
pub(super) fn list(sql: &mut String, items: usize) {
    for item in 0..items {
        sql.push_str(if item == 0 { "?" } else { ", ?" });
    }
}

/// Tokens are handed out from 1 by the database: they fit in an i64.
pub(super) fn token_value(token: u64) -> Value {
    Value::from(i64::try_from(token).unwrap_or(i64::MAX))
}

pub(super) fn get<T: sea_orm::TryGetable>(row: &QueryResult, index: usize) -> Result<T, Error> {
    Ok(row.try_get_by_index(index)?)
}

impl EmbeddedStore {
    /// A statement written with `?` placeholders, numbered for PostgreSQL.
    pub(super) fn statement(&self, sql: &str, values: Vec<Value>) -> Statement {
        let sql = if self.backend == DbBackend::Postgres {
            let mut numbered = String::with_capacity(sql.len() + values.len() * 2);
            let mut n = 0;
            for c in sql.chars() {
                if c == '?' {
                    n += 1;
                    let _ = write!(numbered, "${n}");
                } else {
                    numbered.push(c);
                }
            }
            numbered
        } else {
            sql.to_owned()
        };
        Statement::from_sql_and_values(self.backend, sql, values)
    }

    /// A transaction that writes: on SQLite it takes the write lock at once.
    pub(super) async fn begin_write(&self) -> Result<DatabaseTransaction, Error> {
        let options = TransactionOptions {
            sqlite_transaction_mode: (self.backend == DbBackend::Sqlite)
                .then_some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        };
        Ok(self.db.begin_with_options(options).await?)
    }

    /// Upserts `rows` (each `columns` values) into `table`; `conflict` is the SQL after `ON
    /// CONFLICT`.
    pub(super) async fn insert_rows(
        &self,
        txn: &DatabaseTransaction,
        head: &str,
        columns: usize,
        rows: Vec<Vec<Value>>,
        conflict: &str,
    ) -> Result<(), Error> {
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let mut sql = String::from(head);
            sql.push_str(" VALUES ");
            placeholders(&mut sql, chunk.len(), columns);
            sql.push(' ');
            sql.push_str(conflict);
            let values = chunk.iter().flatten().cloned().collect();
            txn.execute_raw(self.statement(&sql, values)).await?;
        }
        Ok(())
    }

    /// `DELETE … WHERE <prefix> IN (keys)`, in chunks; `fixed` values come first.
    pub(super) async fn delete_in(
        &self,
        txn: &DatabaseTransaction,
        prefix: &str,
        fixed: &[Value],
        keys: Vec<Value>,
    ) -> Result<(), Error> {
        for chunk in keys.chunks(ROWS_PER_STATEMENT) {
            let mut sql = String::from(prefix);
            sql.push_str(" IN (");
            list(&mut sql, chunk.len());
            sql.push(')');
            let values = fixed.iter().chain(chunk).cloned().collect();
            txn.execute_raw(self.statement(&sql, values)).await?;
        }
        Ok(())
    }
}
