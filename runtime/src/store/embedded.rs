//! The embedded store: the same partitioned log, leases, states, timers and outbox as the
//! Redis store, durable in a local database through sea-orm — SQLite by default (one file,
//! nothing to install), PostgreSQL too. `spool serve` uses it when no Redis is configured.
//!
//! Tables (created by `spool-migrations`): `runtime_partitions` (per partition: the position
//! applied so far, the lease token and deadline, the fencing counter), `runtime_events` (the
//! log; the row id is the position), `runtime_seen` (fingerprints of de-duplication keys
//! with their expiry), `runtime_contacts` (state as JSON), `runtime_timers`,
//! `runtime_outbox`, `runtime_calls` (calls runs wait for, until answered),
//! `runtime_counters` (funnel counts per version and hour, one row per partition),
//! `runtime_contact_aliases` (the contact alias index: an identifier's scoped key → its
//! contact id).
//!
//! Every write that must be atomic is one transaction. On SQLite a transaction starts with
//! `BEGIN IMMEDIATE`, so it holds the database's write lock from its first statement and a
//! fenced check cannot go stale before the commit. On PostgreSQL the fenced statements lock
//! the partition's row until the commit (`commit` by the conditional `UPDATE` that moves the
//! position, `fire_due_timers` by `SELECT … FOR UPDATE`), so a new holder's `acquire` waits
//! for the old holder's last commit; and appends to a partition's log are serialized by a
//! transaction-scoped advisory lock, so positions become visible in the order they were
//! assigned and a reader never skips one.
//!
//! Concurrent appends are written together (group commit): whoever gets the turn writes every
//! append queued by then in one transaction, and each caller returns once its own append is
//! committed.
//!
//! Lease deadlines are operational time ([`SystemClock`]) of the process that checks them,
//! not the runtime's clock, which tests and the simulator move forward (processes sharing a
//! PostgreSQL need clocks in step, as they would with any lease).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use sea_orm::sqlx::postgres::PgSslMode;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, QueryResult, SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
    Value,
};
use spool_nodes::{Millis, Outbound};
use tokio::sync::oneshot;
use tracing::{debug, warn};

use super::{
    Appended, Batch, Calling, Erased, Error, Lease, Logged, Owner, Pending, Store, hour_of,
};
use crate::clock::{Clock, SystemClock};
use crate::state::{ContactState, Event, EventKind, PendingCall, TimerRef};

#[derive(Clone, Debug)]
pub struct EmbeddedConfig {
    /// A sea-orm database URL: `sqlite://path/to/spool.sqlite?mode=rwc`, `sqlite::memory:`,
    /// `postgres://user@host/db`.
    pub url: String,
    pub partitions: u16,
    /// How long inbound de-duplication keys are kept.
    pub dedupe_ttl: Duration,
    /// Pooled connections. By default 1 for SQLite (it has one writer at a time anyway, and
    /// one connection never waits on a lock), 8 for PostgreSQL.
    pub max_connections: Option<u32>,
}

impl EmbeddedConfig {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            partitions: 16,
            // Duplicates arrive within minutes; a later one is caught by the contact's own
            // memory of recent messages, and an old message answers nothing anyway.
            dedupe_ttl: Duration::from_secs(24 * 3600),
            max_connections: None,
        }
    }

    /// A SQLite file, created when missing.
    pub fn sqlite(path: impl AsRef<Path>) -> Self {
        Self::new(format!("sqlite://{}?mode=rwc", path.as_ref().display()))
    }

    pub fn with_partitions(mut self, partitions: u16) -> Self {
        self.partitions = partitions.max(1);
        self
    }

    pub fn with_max_connections(mut self, connections: u32) -> Self {
        self.max_connections = Some(connections.max(1));
        self
    }
}

/// Keys PostgreSQL advisory locks as (this, partition), and (this, -1) for migrating: "SPOO".
const LOG_LOCK_SPACE: i32 = 0x5350_4f4f;
/// Rows per multi-row statement (well under SQLite's and PostgreSQL's bind limits).
const ROWS_PER_STATEMENT: usize = 500;
/// How often expired de-duplication keys are deleted.
const PURGE_EVERY: Millis = 60_000;

/// Runs and state in SQLite or PostgreSQL.
pub struct EmbeddedStore {
    config: EmbeddedConfig,
    db: DatabaseConnection,
    backend: DbBackend,
    clock: SystemClock,
    last_purge: AtomicI64,
    appends: AppendQueue,
}

/// Appends waiting to be written, and whose turn it is to write them.
#[derive(Default)]
struct AppendQueue {
    waiting: Mutex<Vec<Queued>>,
    turn: tokio::sync::Mutex<()>,
}

impl AppendQueue {
    fn lock_waiting(&self) -> std::sync::MutexGuard<'_, Vec<Queued>> {
        // The list stays consistent even if a holder panicked: it is only pushed and taken.
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

struct Queued {
    partition: u16,
    dedupe_key: Option<String>,
    body: String,
    done: oneshot::Sender<Result<Appended, Error>>,
}

impl std::fmt::Debug for EmbeddedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedStore")
            .field("config", &self.config)
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

fn corrupt(what: &str, reason: impl ToString) -> Error {
    Error::Corrupt {
        what: what.to_owned(),
        reason: reason.to_string(),
    }
}

fn position_of(position: &str) -> Result<i64, Error> {
    position
        .parse()
        .map_err(|_| corrupt("log position", position))
}

fn ttl_millis(ttl: Duration) -> Millis {
    Millis::try_from(ttl.as_millis()).unwrap_or(Millis::MAX / 4)
}

/// `(?, ?), (?, ?)`: `rows` groups of `columns` placeholders.
fn placeholders(sql: &mut String, rows: usize, columns: usize) {
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..columns {
            sql.push_str(if column == 0 { "?" } else { ", ?" });
        }
        sql.push(')');
    }
}

/// `?, ?, ?`
fn list(sql: &mut String, items: usize) {
    for item in 0..items {
        sql.push_str(if item == 0 { "?" } else { ", ?" });
    }
}

impl EmbeddedStore {
    /// Connects, creates or upgrades the tables, and makes sure every partition has its row.
    pub async fn connect(config: EmbeddedConfig) -> Result<Self, Error> {
        let sqlite = config.url.starts_with("sqlite:");
        let memory =
            sqlite && (config.url.contains(":memory:") || config.url.contains("mode=memory"));
        let mut options = ConnectOptions::new(config.url.clone());
        options
            .sqlx_logging(false)
            .record_stmt_in_spans(false)
            .test_before_acquire(false)
            .max_connections(config.max_connections.unwrap_or(if sqlite { 1 } else { 8 }));
        if sqlite {
            options.map_sqlx_sqlite_opts(|sqlite| {
                sqlite
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10))
                    .statement_cache_capacity(256)
            });
        }
        if !sqlite && !config.url.contains("sslmode=") {
            // sqlx 0.9.0 leaves Nagle's algorithm on (sqlx issue #4335): a statement larger
            // than one TLS record then waits ~40 ms for a delayed ACK (measured: a 256-event
            // commit took 90 ms instead of 5). TLS to a server on this machine protects
            // nothing, so there it is off unless the URL sets `sslmode`.
            options.map_sqlx_postgres_opts(|postgres| {
                if is_loopback(postgres.get_host()) {
                    postgres.ssl_mode(PgSslMode::Disable)
                } else {
                    postgres
                }
            });
        }
        if memory {
            // An in-memory database lives as long as one of its connections: keep one.
            options
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None);
        }
        let db = connect_retrying_while_locked(options, sqlite).await?;
        let store = Self {
            backend: db.get_database_backend(),
            config,
            db,
            clock: SystemClock,
            last_purge: AtomicI64::new(0),
            appends: AppendQueue::default(),
        };
        store.prepare().await?;
        Ok(store)
    }

    pub fn config(&self) -> &EmbeddedConfig {
        &self.config
    }

    /// The connection, for whatever else lives in the same database.
    pub fn database(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Closes the connections (the store is unusable afterwards).
    pub async fn close(&self) -> Result<(), Error> {
        Ok(self.db.close_by_ref().await?)
    }

    /// Applies pending migrations and gives every partition its row, in one transaction that
    /// one process at a time runs (the others wait, then find nothing left to do).
    async fn prepare(&self) -> Result<(), Error> {
        let txn = self.begin_write().await?;
        if self.backend == DbBackend::Postgres {
            txn.execute_raw(self.statement(
                "SELECT pg_advisory_xact_lock(?, ?)",
                vec![LOG_LOCK_SPACE.into(), (-1i32).into()],
            ))
            .await?;
        }
        spool_migrations::migrate(&txn).await?;
        let partitions: Vec<u16> = (0..self.config.partitions).collect();
        for chunk in partitions.chunks(ROWS_PER_STATEMENT) {
            let mut sql = String::from("INSERT INTO runtime_partitions (partition_id) VALUES ");
            placeholders(&mut sql, chunk.len(), 1);
            sql.push_str(" ON CONFLICT (partition_id) DO NOTHING");
            let values = chunk.iter().map(|p| Value::from(i32::from(*p))).collect();
            txn.execute_raw(self.statement(&sql, values)).await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// Deletes everything this store holds (tests, and erasing a sandbox).
    pub async fn wipe(&self) -> Result<(), Error> {
        let txn = self.begin_write().await?;
        for table in [
            "runtime_events",
            "runtime_seen",
            "runtime_contacts",
            "runtime_timers",
            "runtime_outbox",
            "runtime_calls",
            "runtime_counters",
            "runtime_contact_aliases",
        ] {
            txn.execute_unprepared(&format!("DELETE FROM {table}"))
                .await?;
        }
        txn.execute_unprepared(
            "UPDATE runtime_partitions SET applied = 0, lease_token = NULL, lease_until = 0",
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Deletes de-duplication keys that have expired; returns how many.
    pub async fn purge_expired(&self) -> Result<u64, Error> {
        let now = self.clock.now();
        let mut purged = 0;
        for sql in ["DELETE FROM runtime_seen WHERE expires_at <= ?"] {
            purged += self
                .db
                .execute_raw(self.statement(sql, vec![now.into()]))
                .await?
                .rows_affected();
        }
        debug!(purged, "expired keys purged");
        Ok(purged)
    }

    /// Purges expired keys at most once per [`PURGE_EVERY`], from whichever call comes first;
    /// a failure is only logged (the next purge tries again).
    async fn purge_now_and_then(&self) {
        let now = self.clock.now();
        let last = self.last_purge.load(Ordering::Relaxed);
        if now - last < PURGE_EVERY
            || self
                .last_purge
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        if let Err(err) = self.purge_expired().await {
            warn!(%err, "expired keys could not be purged");
        }
    }

    /// A statement written with `?` placeholders, numbered for PostgreSQL.
    fn statement(&self, sql: &str, values: Vec<Value>) -> Statement {
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
    async fn begin_write(&self) -> Result<DatabaseTransaction, Error> {
        let options = TransactionOptions {
            sqlite_transaction_mode: (self.backend == DbBackend::Sqlite)
                .then_some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        };
        Ok(self.db.begin_with_options(options).await?)
    }

    /// Writes queued appends in one transaction and tells each caller how its append went.
    async fn write_appends(&self, queued: Vec<Queued>) {
        let items: Vec<(u16, Option<&str>, &str)> = queued
            .iter()
            .map(|item| {
                (
                    item.partition,
                    item.dedupe_key.as_deref(),
                    item.body.as_str(),
                )
            })
            .collect();
        match self.append_all(&items).await {
            Ok(outcomes) => {
                for (item, outcome) in queued.into_iter().zip(outcomes) {
                    let _ = item.done.send(Ok(outcome));
                }
            }
            Err(err) => {
                warn!(%err, appends = queued.len(), "appends failed");
                let reason = err.to_string();
                for item in queued {
                    let _ = item
                        .done
                        .send(Err(Error::Database(DbErr::Custom(reason.clone()))));
                }
            }
        }
    }

    /// Appends events (partition, de-duplication key, JSON) in one transaction, in order:
    /// an event whose key was seen (before, or earlier in `items`) is a duplicate.
    async fn append_all(
        &self,
        items: &[(u16, Option<&str>, &str)],
    ) -> Result<Vec<Appended>, Error> {
        let now = self.clock.now();
        let expires = now + ttl_millis(self.config.dedupe_ttl);
        let mut outcomes = vec![Appended::Accepted; items.len()];
        let mut keys: HashSet<(u16, &str)> = HashSet::new();
        let mut keyed: Vec<usize> = Vec::new();
        for (index, (partition, key, _)) in items.iter().enumerate() {
            if let Some(key) = key {
                if keys.insert((*partition, key)) {
                    keyed.push(index);
                } else {
                    outcomes[index] = Appended::Duplicate;
                }
            }
        }
        let mut partitions: Vec<u16> = items.iter().map(|(partition, _, _)| *partition).collect();
        partitions.sort_unstable();
        partitions.dedup();

        let txn = self.begin_write().await?;
        for partition in partitions {
            self.lock_log(&txn, partition).await?;
        }
        // A key seen before counts only while it has not expired; the keys returned are the
        // ones taken now.
        let mut taken: HashSet<(u16, String)> = HashSet::new();
        for chunk in keyed.chunks(ROWS_PER_STATEMENT) {
            let mut sql = String::from(
                "INSERT INTO runtime_seen (partition_id, dedupe_key, expires_at) VALUES ",
            );
            placeholders(&mut sql, chunk.len(), 3);
            sql.push_str(
                " ON CONFLICT (partition_id, dedupe_key) \
                 DO UPDATE SET expires_at = excluded.expires_at \
                 WHERE runtime_seen.expires_at <= ? RETURNING partition_id, dedupe_key",
            );
            let mut values = Vec::with_capacity(chunk.len() * 3 + 1);
            for index in chunk {
                let (partition, key, _) = items[*index];
                values.push(Value::from(i32::from(partition)));
                values.push(Value::from(key.unwrap_or_default().to_owned()));
                values.push(Value::from(expires));
            }
            values.push(Value::from(now));
            for row in txn.query_all_raw(self.statement(&sql, values)).await? {
                let partition: i32 = get(&row, 0)?;
                let key: String = get(&row, 1)?;
                let partition =
                    u16::try_from(partition).map_err(|err| corrupt("partition", err))?;
                taken.insert((partition, key));
            }
        }
        for index in keyed {
            let (partition, key, _) = items[index];
            if !taken.contains(&(partition, key.unwrap_or_default().to_owned())) {
                outcomes[index] = Appended::Duplicate;
            }
        }
        let accepted: Vec<(u16, &str)> = items
            .iter()
            .zip(&outcomes)
            .filter(|(_, outcome)| **outcome == Appended::Accepted)
            .map(|((partition, _, body), _)| (*partition, *body))
            .collect();
        self.insert_events(&txn, &accepted).await?;
        txn.commit().await?;
        Ok(outcomes)
    }

    /// Serializes appends to a partition's log until the transaction ends (PostgreSQL; SQLite
    /// transactions are serialized already).
    async fn lock_log(&self, txn: &DatabaseTransaction, partition: u16) -> Result<(), Error> {
        if self.backend == DbBackend::Postgres {
            txn.execute_raw(self.statement(
                "SELECT pg_advisory_xact_lock(?, ?)",
                vec![LOG_LOCK_SPACE.into(), i32::from(partition).into()],
            ))
            .await?;
        }
        Ok(())
    }

    /// Fails with [`Error::LeaseLost`] unless `lease` still holds its partition; the row stays
    /// locked until the transaction ends.
    async fn check_lease(&self, txn: &DatabaseTransaction, lease: &Lease) -> Result<(), Error> {
        let mut sql = String::from(
            "SELECT lease_token FROM runtime_partitions \
             WHERE partition_id = ? AND lease_token = ? AND lease_until > ?",
        );
        if self.backend == DbBackend::Postgres {
            sql.push_str(" FOR UPDATE");
        }
        let held = txn
            .query_one_raw(self.statement(
                &sql,
                vec![
                    i32::from(lease.partition).into(),
                    token_value(lease.token),
                    self.clock.now().into(),
                ],
            ))
            .await?;
        if held.is_none() {
            return Err(Error::LeaseLost(lease.partition));
        }
        Ok(())
    }

    /// Adds events to their partitions' logs, in order.
    async fn insert_events(
        &self,
        txn: &DatabaseTransaction,
        events: &[(u16, &str)],
    ) -> Result<(), Error> {
        for chunk in events.chunks(ROWS_PER_STATEMENT) {
            let mut sql = String::from("INSERT INTO runtime_events (partition_id, body) VALUES ");
            placeholders(&mut sql, chunk.len(), 2);
            let mut values = Vec::with_capacity(chunk.len() * 2);
            for (partition, body) in chunk {
                values.push(i32::from(*partition).into());
                values.push((*body).to_owned().into());
            }
            txn.execute_raw(self.statement(&sql, values)).await?;
        }
        Ok(())
    }

    /// Upserts `rows` (each `columns` values) into `table`; `conflict` is the SQL after `ON
    /// CONFLICT`.
    async fn insert_rows(
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
    async fn delete_in(
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

/// Whether a PostgreSQL host is this machine (a loopback address or a Unix socket).
impl EmbeddedStore {
    /// Removes every link to `contact_id` from the alias index, inside erasure's transaction.
    async fn unlink_aliases(
        &self,
        txn: &DatabaseTransaction,
        contact_id: &str,
    ) -> Result<usize, Error> {
        let removed = txn
            .execute_raw(self.statement(
                "DELETE FROM runtime_contact_aliases WHERE contact_id = ?",
                vec![contact_id.to_owned().into()],
            ))
            .await?
            .rows_affected();
        Ok(usize::try_from(removed).unwrap_or(usize::MAX))
    }
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host.starts_with('/')
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Tokens are handed out from 1 by the database: they fit in an i64.
fn token_value(token: u64) -> Value {
    Value::from(i64::try_from(token).unwrap_or(i64::MAX))
}

fn get<T: sea_orm::TryGetable>(row: &QueryResult, index: usize) -> Result<T, Error> {
    Ok(row.try_get_by_index(index)?)
}

/// The event a fired timer becomes, as the worker reads it back.
fn timer_event(timer: TimerRef) -> Event {
    Event::new(
        timer.contact_id,
        "",
        0,
        EventKind::Timer {
            run_id: timer.run_id,
            token: timer.token,
        },
    )
}

#[async_trait]
impl Store for EmbeddedStore {
    fn partitions(&self) -> u16 {
        self.config.partitions
    }

    async fn append(&self, event: &Event) -> Result<Appended, Error> {
        let body = serde_json::to_string(event).map_err(|err| corrupt("event", err))?;
        let (done, mut outcome) = oneshot::channel();
        self.appends.lock_waiting().push(Queued {
            partition: self.partition_of(&event.contact_id),
            // A fingerprint, as in Redis: shorter, and a WhatsApp message id encodes the
            // sender's number, which must not outlive an erasure.
            dedupe_key: event
                .dedupe_key
                .as_deref()
                .map(|key| format!("{:016x}", crate::state::message_fingerprint(key))),
            body,
            done,
        });
        // Whoever gets the turn writes everything queued by then, in one transaction (group
        // commit); an append written by someone else's turn is answered without waiting.
        loop {
            tokio::select! {
                biased;
                answer = &mut outcome => {
                    return answer.unwrap_or_else(|_| {
                        Err(Error::Database(DbErr::Custom(
                            "the append was interrupted before it was confirmed".into(),
                        )))
                    });
                }
                _turn = self.appends.turn.lock() => {
                    let queued = std::mem::take(&mut *self.appends.lock_waiting());
                    if !queued.is_empty() {
                        self.write_appends(queued).await;
                    }
                }
            }
        }
    }

    async fn acquire(&self, partition: u16, ttl: Duration) -> Result<Option<Lease>, Error> {
        self.purge_now_and_then().await;
        let now = self.clock.now();
        // One statement: the right-hand sides read the row as it was.
        let row = self
            .db
            .query_one_raw(self.statement(
                "UPDATE runtime_partitions \
                 SET fence = fence + 1, lease_token = fence + 1, lease_until = ? \
                 WHERE partition_id = ? AND (lease_token IS NULL OR lease_until <= ?) \
                 RETURNING lease_token",
                vec![
                    (now + ttl_millis(ttl)).into(),
                    i32::from(partition).into(),
                    now.into(),
                ],
            ))
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let token: i64 = get(&row, 0)?;
        let token = u64::try_from(token).map_err(|err| corrupt("fencing token", err))?;
        Ok(Some(Lease { partition, token }))
    }

    async fn renew(&self, lease: &Lease, ttl: Duration) -> Result<bool, Error> {
        let now = self.clock.now();
        let renewed = self
            .db
            .execute_raw(self.statement(
                "UPDATE runtime_partitions SET lease_until = ? \
                 WHERE partition_id = ? AND lease_token = ? AND lease_until > ?",
                vec![
                    (now + ttl_millis(ttl)).into(),
                    i32::from(lease.partition).into(),
                    token_value(lease.token),
                    now.into(),
                ],
            ))
            .await?
            .rows_affected();
        Ok(renewed == 1)
    }

    async fn release(&self, lease: &Lease) -> Result<(), Error> {
        self.db
            .execute_raw(self.statement(
                "UPDATE runtime_partitions SET lease_token = NULL, lease_until = 0 \
                 WHERE partition_id = ? AND lease_token = ?",
                vec![i32::from(lease.partition).into(), token_value(lease.token)],
            ))
            .await?;
        Ok(())
    }

    async fn read(&self, lease: &Lease, max: usize) -> Result<Vec<Logged>, Error> {
        let partition = i32::from(lease.partition);
        let rows = self
            .db
            .query_all_raw(self.statement(
                "SELECT id, body FROM runtime_events WHERE partition_id = ? AND id > \
                 (SELECT applied FROM runtime_partitions WHERE partition_id = ?) \
                 ORDER BY id LIMIT ?",
                vec![
                    partition.into(),
                    partition.into(),
                    i64::try_from(max).unwrap_or(i64::MAX).into(),
                ],
            ))
            .await?;
        rows.iter()
            .map(|row| {
                let position: i64 = get(row, 0)?;
                let body: String = get(row, 1)?;
                let event = serde_json::from_str(&body).map_err(|err| corrupt("event", err))?;
                Ok(Logged {
                    position: position.to_string(),
                    event,
                })
            })
            .collect()
    }

    async fn load(
        &self,
        _partition: u16,
        contact_ids: &[String],
    ) -> Result<Vec<Option<ContactState>>, Error> {
        let mut found: HashMap<String, String> = HashMap::with_capacity(contact_ids.len());
        for chunk in contact_ids.chunks(ROWS_PER_STATEMENT) {
            let mut sql = String::from(
                "SELECT contact_id, state FROM runtime_contacts WHERE contact_id IN (",
            );
            list(&mut sql, chunk.len());
            sql.push(')');
            let values = chunk.iter().map(|id| Value::from(id.clone())).collect();
            for row in self.db.query_all_raw(self.statement(&sql, values)).await? {
                found.insert(get(&row, 0)?, get(&row, 1)?);
            }
        }
        contact_ids
            .iter()
            .map(|id| {
                found
                    .get(id)
                    .map(|state| {
                        serde_json::from_str(state).map_err(|err| corrupt("contact state", err))
                    })
                    .transpose()
            })
            .collect()
    }

    async fn commit(&self, lease: &Lease, batch: Batch) -> Result<(), Error> {
        let partition = i32::from(lease.partition);
        let position = position_of(&batch.position)?;

        // Everything is encoded before the transaction starts, to keep it short. Keys are
        // unique within a statement (last one wins, as in Redis) and sorted.
        let mut states = BTreeMap::new();
        for state in &batch.states {
            let json = serde_json::to_string(state).map_err(|err| corrupt("contact state", err))?;
            states.insert(state.contact.id.clone(), json);
        }
        let states: Vec<Vec<Value>> = states
            .into_iter()
            .map(|(id, json)| vec![id.into(), partition.into(), json.into()])
            .collect();
        let mut timers = BTreeMap::new();
        for (timer, due) in &batch.timers_set {
            timers.insert(timer.encode(), (timer.contact_id.clone(), *due));
        }
        let timers: Vec<Vec<Value>> = timers
            .into_iter()
            .map(|(member, (contact, due))| {
                vec![member.into(), partition.into(), contact.into(), due.into()]
            })
            .collect();
        let cleared: Vec<Value> = batch
            .timers_cleared
            .iter()
            .map(|timer| Value::from(timer.encode()))
            .collect();
        let outbox = batch
            .outbox
            .iter()
            .map(|message| {
                serde_json::to_string(message).map_err(|err| corrupt("outbound message", err))
            })
            .collect::<Result<Vec<String>, Error>>()?;
        let calls: Vec<Vec<Value>> = batch
            .calls
            .iter()
            .map(|call| {
                serde_json::to_string(call)
                    .map(|body| vec![partition.into(), body.into()])
                    .map_err(|err| corrupt("pending call", err))
            })
            .collect::<Result<_, Error>>()?;
        let mut counters: BTreeMap<(String, String), i64> = BTreeMap::new();
        for (field, increment) in &batch.counters {
            let (version, name) = field.split_once('|').unwrap_or((field.as_str(), ""));
            *counters
                .entry((version.to_owned(), name.to_owned()))
                .or_insert(0) += increment;
        }
        let hour = hour_of(batch.at);
        let counters: Vec<Vec<Value>> = counters
            .into_iter()
            .map(|((version, name), count)| {
                vec![
                    version.into(),
                    hour.into(),
                    name.into(),
                    partition.into(),
                    count.into(),
                ]
            })
            .collect();

        let txn = self.begin_write().await?;
        // The fencing check and the new position at once; the row stays locked till the end.
        let fenced = txn
            .execute_raw(self.statement(
                "UPDATE runtime_partitions SET applied = ? \
                 WHERE partition_id = ? AND lease_token = ? AND lease_until > ?",
                vec![
                    position.into(),
                    partition.into(),
                    token_value(lease.token),
                    self.clock.now().into(),
                ],
            ))
            .await?
            .rows_affected();
        if fenced == 0 {
            txn.rollback().await?;
            return Err(Error::LeaseLost(lease.partition));
        }
        self.insert_rows(
            &txn,
            "INSERT INTO runtime_contacts (contact_id, partition_id, state)",
            3,
            states,
            "ON CONFLICT (contact_id) DO UPDATE \
             SET state = excluded.state, partition_id = excluded.partition_id",
        )
        .await?;
        self.insert_rows(
            &txn,
            "INSERT INTO runtime_timers (member, partition_id, contact_id, due)",
            4,
            timers,
            "ON CONFLICT (member) DO UPDATE SET due = excluded.due",
        )
        .await?;
        self.delete_in(
            &txn,
            "DELETE FROM runtime_timers WHERE member",
            &[],
            cleared,
        )
        .await?;
        let outbox: Vec<Vec<Value>> = outbox
            .into_iter()
            .map(|body| vec![partition.into(), body.into()])
            .collect();
        self.insert_rows(
            &txn,
            "INSERT INTO runtime_outbox (partition_id, body)",
            2,
            outbox,
            "",
        )
        .await?;
        self.insert_rows(
            &txn,
            "INSERT INTO runtime_calls (partition_id, body)",
            2,
            calls,
            "",
        )
        .await?;
        self.insert_rows(
            &txn,
            "INSERT INTO runtime_counters (version, hour, name, partition_id, count)",
            5,
            counters,
            "ON CONFLICT (version, hour, name, partition_id) \
             DO UPDATE SET count = runtime_counters.count + excluded.count",
        )
        .await?;
        txn.execute_raw(self.statement(
            "DELETE FROM runtime_events WHERE partition_id = ? AND id <= ?",
            vec![partition.into(), position.into()],
        ))
        .await?;
        txn.commit().await?;
        Ok(())
    }

    async fn fire_due_timers(
        &self,
        lease: &Lease,
        now: Millis,
        max: usize,
    ) -> Result<usize, Error> {
        let partition = i32::from(lease.partition);
        let txn = self.begin_write().await?;
        self.check_lease(&txn, lease).await?;
        let due = txn
            .query_all_raw(self.statement(
                "SELECT member FROM runtime_timers WHERE partition_id = ? AND due <= ? \
                 ORDER BY due, member LIMIT ?",
                vec![
                    partition.into(),
                    now.into(),
                    i64::try_from(max).unwrap_or(i64::MAX).into(),
                ],
            ))
            .await?;
        if due.is_empty() {
            txn.commit().await?;
            return Ok(0);
        }
        let mut members = Vec::with_capacity(due.len());
        let mut bodies = Vec::with_capacity(due.len());
        for row in &due {
            let member: String = get(row, 0)?;
            match TimerRef::decode(&member) {
                Some(timer) => bodies.push(
                    serde_json::to_string(&timer_event(timer))
                        .map_err(|err| corrupt("event", err))?,
                ),
                None => warn!(%member, "a timer that cannot be read is dropped"),
            }
            members.push(Value::from(member));
        }
        self.lock_log(&txn, lease.partition).await?;
        let events: Vec<(u16, &str)> = bodies
            .iter()
            .map(|body| (lease.partition, body.as_str()))
            .collect();
        self.insert_events(&txn, &events).await?;
        self.delete_in(
            &txn,
            "DELETE FROM runtime_timers WHERE member",
            &[],
            members,
        )
        .await?;
        txn.commit().await?;
        Ok(due.len())
    }

    async fn outbox(&self, partition: u16, max: usize) -> Result<Vec<Pending>, Error> {
        let rows = self
            .db
            .query_all_raw(self.statement(
                "SELECT id, body FROM runtime_outbox WHERE partition_id = ? ORDER BY id LIMIT ?",
                vec![
                    i32::from(partition).into(),
                    i64::try_from(max).unwrap_or(i64::MAX).into(),
                ],
            ))
            .await?;
        rows.iter()
            .map(|row| {
                let position: i64 = get(row, 0)?;
                let body: String = get(row, 1)?;
                let message: Outbound =
                    serde_json::from_str(&body).map_err(|err| corrupt("outbound message", err))?;
                Ok(Pending {
                    position: position.to_string(),
                    message,
                })
            })
            .collect()
    }

    async fn mark_sent(&self, partition: u16, sent: &[Pending]) -> Result<(), Error> {
        if sent.is_empty() {
            return Ok(());
        }
        let p = i32::from(partition);
        let positions = sent
            .iter()
            .map(|item| position_of(&item.position).map(Value::from))
            .collect::<Result<Vec<Value>, Error>>()?;
        let txn = self.begin_write().await?;
        self.delete_in(
            &txn,
            "DELETE FROM runtime_outbox WHERE partition_id = ? AND id",
            &[p.into()],
            positions,
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    async fn counters(
        &self,
        version: &str,
        from: Millis,
        to: Millis,
    ) -> Result<HashMap<String, i64>, Error> {
        if to <= from {
            return Ok(HashMap::new());
        }
        let rows = self
            .db
            .query_all_raw(self.statement(
                "SELECT name, CAST(SUM(count) AS BIGINT) FROM runtime_counters \
                 WHERE version = ? AND hour >= ? AND hour < ? GROUP BY name",
                vec![version.to_owned().into(), hour_of(from).into(), to.into()],
            ))
            .await?;
        rows.iter()
            .map(|row| Ok((get(row, 0)?, get(row, 1)?)))
            .collect()
    }

    async fn timers(&self, contact_id: &str) -> Result<Vec<(TimerRef, Millis)>, Error> {
        let rows = self
            .db
            .query_all_raw(self.statement(
                "SELECT member, due FROM runtime_timers WHERE contact_id = ? ORDER BY due, member",
                vec![contact_id.to_owned().into()],
            ))
            .await?;
        let mut timers = Vec::with_capacity(rows.len());
        for row in &rows {
            let member: String = get(row, 0)?;
            let due: Millis = get(row, 1)?;
            if let Some(timer) = TimerRef::decode(&member) {
                timers.push((timer, due));
            }
        }
        Ok(timers)
    }

    async fn erase(&self, contact_id: &str) -> Result<Erased, Error> {
        let partition = i32::from(self.partition_of(contact_id));
        let txn = self.begin_write().await?;
        // The lease goes first, and its row stays locked until the end (PostgreSQL; SQLite
        // holds its write lock already): the holder's batch, loaded before, cannot commit.
        txn.execute_raw(self.statement(
            "UPDATE runtime_partitions SET lease_token = NULL, lease_until = 0 \
             WHERE partition_id = ?",
            vec![partition.into()],
        ))
        .await?;
        self.lock_log(&txn, self.partition_of(contact_id)).await?;
        let state = txn
            .execute_raw(self.statement(
                "DELETE FROM runtime_contacts WHERE contact_id = ?",
                vec![contact_id.to_owned().into()],
            ))
            .await?
            .rows_affected();
        let timers = txn
            .execute_raw(self.statement(
                "DELETE FROM runtime_timers WHERE contact_id = ?",
                vec![contact_id.to_owned().into()],
            ))
            .await?
            .rows_affected();
        let mut removed = [0usize; 3];
        for (table, count) in ["runtime_events", "runtime_outbox", "runtime_calls"]
            .into_iter()
            .zip(removed.iter_mut())
        {
            let rows = txn
                .query_all_raw(self.statement(
                    &format!("SELECT id, body FROM {table} WHERE partition_id = ?"),
                    vec![partition.into()],
                ))
                .await?;
            let mut ids = Vec::new();
            for row in &rows {
                let id: i64 = get(row, 0)?;
                let body: String = get(row, 1)?;
                // Whose it is, from the decoded body: another contact's event may well
                // mention this one's id in its payload.
                let owner: Owner =
                    serde_json::from_str(&body).map_err(|err| corrupt(table, err))?;
                if owner.contact_id == contact_id {
                    ids.push(Value::from(id));
                }
            }
            *count = ids.len();
            self.delete_in(&txn, &format!("DELETE FROM {table} WHERE id"), &[], ids)
                .await?;
        }
        let aliases = self.unlink_aliases(&txn, contact_id).await?;
        txn.commit().await?;
        let [events, outbox, calls] = removed;
        Ok(Erased {
            state: state > 0,
            timers: usize::try_from(timers).unwrap_or(usize::MAX),
            events,
            outbox,
            calls,
            aliases,
        })
    }

    async fn aliases(&self, keys: &[String]) -> Result<Vec<Option<String>>, Error> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql =
            String::from("SELECT alias, contact_id FROM runtime_contact_aliases WHERE alias IN (");
        list(&mut sql, keys.len());
        sql.push(')');
        let values = keys.iter().map(|key| Value::from(key.clone())).collect();
        let rows = self.db.query_all_raw(self.statement(&sql, values)).await?;
        let mut linked = HashMap::with_capacity(rows.len());
        for row in &rows {
            linked.insert(get::<String>(row, 0)?, get::<String>(row, 1)?);
        }
        Ok(keys.iter().map(|key| linked.remove(key)).collect())
    }

    async fn link_alias(&self, key: &str, contact_id: &str) -> Result<String, Error> {
        // Insert unless linked, then read whichever link won: the row's key decides races,
        // on both databases, without a transaction.
        self.db
            .execute_raw(self.statement(
                "INSERT INTO runtime_contact_aliases (alias, contact_id) VALUES (?, ?) \
                 ON CONFLICT (alias) DO NOTHING",
                vec![key.to_owned().into(), contact_id.to_owned().into()],
            ))
            .await?;
        let row = self
            .db
            .query_one_raw(self.statement(
                "SELECT contact_id FROM runtime_contact_aliases WHERE alias = ?",
                vec![key.to_owned().into()],
            ))
            .await?
            .ok_or_else(|| corrupt("contact alias", format!("{key} vanished once linked")))?;
        get(&row, 0)
    }

    async fn calls(&self, partition: u16, max: usize) -> Result<Vec<Calling>, Error> {
        let rows = self
            .db
            .query_all_raw(self.statement(
                "SELECT id, body FROM runtime_calls WHERE partition_id = ? ORDER BY id LIMIT ?",
                vec![
                    i32::from(partition).into(),
                    i64::try_from(max).unwrap_or(i64::MAX).into(),
                ],
            ))
            .await?;
        rows.iter()
            .map(|row| {
                let position: i64 = get(row, 0)?;
                let body: String = get(row, 1)?;
                let call: PendingCall =
                    serde_json::from_str(&body).map_err(|err| corrupt("pending call", err))?;
                Ok(Calling {
                    position: position.to_string(),
                    call,
                })
            })
            .collect()
    }

    async fn answer_call(
        &self,
        partition: u16,
        call: &Calling,
        answer: &Event,
    ) -> Result<bool, Error> {
        let body = serde_json::to_string(answer).map_err(|err| corrupt("event", err))?;
        let txn = self.begin_write().await?;
        let taken = txn
            .execute_raw(self.statement(
                "DELETE FROM runtime_calls WHERE partition_id = ? AND id = ?",
                vec![
                    i32::from(partition).into(),
                    position_of(&call.position)?.into(),
                ],
            ))
            .await?
            .rows_affected();
        if taken == 0 {
            txn.rollback().await?;
            return Ok(false);
        }
        self.lock_log(&txn, partition).await?;
        self.insert_events(&txn, &[(partition, body.as_str())])
            .await?;
        txn.commit().await?;
        Ok(true)
    }
}

/// Opens the pool. Two processes opening one new SQLite file at once both switch it to WAL
/// when their first connection is made, and one of them can be told "database is locked"
/// at once (the busy timeout does not cover that switch): that one tries again, for about
/// two seconds.
async fn connect_retrying_while_locked(
    options: ConnectOptions,
    sqlite: bool,
) -> Result<DatabaseConnection, Error> {
    let mut attempts = 0;
    loop {
        match Database::connect(options.clone()).await {
            Err(err)
                if sqlite && attempts < 40 && err.to_string().contains("database is locked") =>
            {
                attempts += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            outcome => return Ok(outcome?),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use serde_json::json;

    fn event(contact: &str, n: u64) -> Event {
        Event::new(
            contact,
            "",
            0,
            EventKind::Webhook {
                flow_id: "f".into(),
                trigger: None,
                payload: json!({ "n": n }),
            },
        )
    }

    fn temp_file(name: &str) -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!(
            "spool-embedded-{}-{name}.sqlite",
            std::process::id()
        ));
        remove(&path);
        path
    }

    fn remove(path: &Path) {
        for suffix in ["", "-wal", "-shm"] {
            let mut file = path.as_os_str().to_owned();
            file.push(suffix);
            let _ = std::fs::remove_file(file);
        }
    }

    #[tokio::test]
    async fn an_in_memory_database_lives_as_long_as_the_store() {
        let store =
            EmbeddedStore::connect(EmbeddedConfig::new("sqlite::memory:").with_partitions(1))
                .await
                .unwrap();
        store.append(&event("wa:1", 1)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        let lease = store
            .acquire(0, Duration::from_secs(5))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(store.read(&lease, 10).await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn a_file_database_is_in_wal_mode_and_gains_partitions_on_reconnect() {
        let path = temp_file("wal");
        let store = EmbeddedStore::connect(EmbeddedConfig::sqlite(&path).with_partitions(2))
            .await
            .unwrap();
        let mode = store
            .database()
            .query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                "PRAGMA journal_mode",
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(get::<String>(&mode, 0).unwrap(), "wal");
        assert!(
            store
                .acquire(3, Duration::from_secs(5))
                .await
                .unwrap()
                .is_none()
        );
        store.append(&event("wa:1", 1)).await.unwrap();
        store.close().await.unwrap();

        // Reopened with more partitions: migrations are not run twice, the log is kept.
        let store = EmbeddedStore::connect(EmbeddedConfig::sqlite(&path).with_partitions(4))
            .await
            .unwrap();
        assert!(
            store
                .acquire(3, Duration::from_secs(5))
                .await
                .unwrap()
                .is_some()
        );
        // The event stays in the log of the partition it was appended to.
        let before = crate::store::partition_of("wa:1", 2);
        let lease = store
            .acquire(before, Duration::from_secs(5))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(store.read(&lease, 10).await.unwrap().len(), 1);
        store.close().await.unwrap();
        remove(&path);
    }

    #[tokio::test]
    async fn processes_opening_one_new_file_at_once_migrate_it_once() {
        let path = temp_file("race");
        let open = || EmbeddedStore::connect(EmbeddedConfig::sqlite(&path).with_partitions(2));
        let (first, second) = tokio::join!(open(), open());
        let (first, second) = (first.unwrap(), second.unwrap());
        first.append(&event("wa:1", 1)).await.unwrap();
        let partition = second.partition_of("wa:1");
        let lease = second
            .acquire(partition, Duration::from_secs(5))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(second.read(&lease, 10).await.unwrap().len(), 1);
        assert!(
            first
                .acquire(partition, Duration::from_secs(5))
                .await
                .unwrap()
                .is_none()
        );
        first.close().await.unwrap();
        second.close().await.unwrap();
        remove(&path);
    }

    #[tokio::test]
    async fn expired_keys_count_again_and_are_purged() {
        let mut config = EmbeddedConfig::new("sqlite::memory:").with_partitions(1);
        config.dedupe_ttl = Duration::ZERO;
        let store = EmbeddedStore::connect(config).await.unwrap();
        let keyed = event("wa:1", 1).with_dedupe_key("k");
        assert_eq!(store.append(&keyed).await.unwrap(), Appended::Accepted);
        assert_eq!(store.append(&keyed).await.unwrap(), Appended::Accepted);

        let lease = store
            .acquire(0, Duration::from_secs(5))
            .await
            .unwrap()
            .unwrap();
        let logged = store.read(&lease, 10).await.unwrap();
        assert_eq!(logged.len(), 2);
        let message = Outbound {
            key: "m".into(),
            contact_id: "wa:1".into(),
            to: "1".into(),
            run_id: "r".into(),
            node_id: "n".into(),
            body: spool_nodes::OutboundBody::Text {
                text: "hi".into(),
                preview_url: false,
            },
        };
        let batch = Batch {
            position: logged[1].position.clone(),
            outbox: vec![message],
            ..Batch::default()
        };
        store.commit(&lease, batch).await.unwrap();
        let pending = store.outbox(0, 10).await.unwrap();
        store.mark_sent(0, &pending).await.unwrap();
        assert!(store.outbox(0, 10).await.unwrap().is_empty());
        // The expired de-duplication key went with the first acquire.
        assert_eq!(store.purge_expired().await.unwrap(), 0);
    }

    #[tokio::test]
    async fn a_duplicate_within_one_group_commit_is_a_duplicate() {
        let store =
            EmbeddedStore::connect(EmbeddedConfig::new("sqlite::memory:").with_partitions(2))
                .await
                .unwrap();
        let items = [
            (0, Some("a"), "{}"),
            (1, Some("a"), "{}"),
            (0, Some("a"), "{}"),
            (0, None, "{}"),
        ];
        let outcomes = store.append_all(&items).await.unwrap();
        assert_eq!(
            outcomes,
            [
                Appended::Accepted,
                Appended::Accepted,
                Appended::Duplicate,
                Appended::Accepted
            ]
        );
        let again = store.append_all(&items[..2]).await.unwrap();
        assert_eq!(again, [Appended::Duplicate, Appended::Duplicate]);
    }
}
