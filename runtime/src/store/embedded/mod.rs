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
use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::AtomicI64;
use std::time::Duration;

use async_trait::async_trait;
use sea_orm::sqlx::postgres::PgSslMode;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Value};
use spool_nodes::Millis;

use super::{Appended, Batch, Calling, Erased, Error, Lease, Logged, Pending, Store};
use crate::clock::SystemClock;
use crate::counters::CountKey;
use crate::state::{ContactState, Event, TimerRef};

mod commit;
mod contacts;
mod leases;
mod log;
mod outbox;
mod sql;
mod timers;

use log::AppendQueue;
use sql::placeholders;

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

/// Runs and state in SQLite or PostgreSQL.
pub struct EmbeddedStore {
    config: EmbeddedConfig,
    db: DatabaseConnection,
    backend: DbBackend,
    clock: SystemClock,
    last_purge: AtomicI64,
    appends: AppendQueue,
}

impl std::fmt::Debug for EmbeddedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedStore")
            .field("config", &self.config)
            .field("backend", &self.backend)
            .finish_non_exhaustive()
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
}

#[async_trait]
impl Store for EmbeddedStore {
    fn partitions(&self) -> u16 {
        self.config.partitions
    }

    async fn append(&self, event: &Event) -> Result<Appended, Error> {
        self.append_grouped(event).await
    }

    async fn acquire(&self, partition: u16, ttl: Duration) -> Result<Option<Lease>, Error> {
        self.acquire_lease(partition, ttl).await
    }

    async fn renew(&self, lease: &Lease, ttl: Duration) -> Result<bool, Error> {
        self.renew_lease(lease, ttl).await
    }

    async fn release(&self, lease: &Lease) -> Result<(), Error> {
        self.release_lease(lease).await
    }

    async fn read(&self, lease: &Lease, max: usize) -> Result<Vec<Logged>, Error> {
        self.read_log(lease, max).await
    }

    async fn load(
        &self,
        _partition: u16,
        contact_ids: &[String],
    ) -> Result<Vec<Option<ContactState>>, Error> {
        self.load_states(contact_ids).await
    }

    async fn commit(&self, lease: &Lease, batch: Batch) -> Result<(), Error> {
        self.commit_batch(lease, batch).await
    }

    async fn fire_due_timers(
        &self,
        lease: &Lease,
        now: Millis,
        max: usize,
    ) -> Result<usize, Error> {
        self.fire_timers(lease, now, max).await
    }

    async fn next_timer(&self, partition: u16) -> Result<Option<Millis>, Error> {
        self.earliest_timer(partition).await
    }

    async fn outbox_after(
        &self,
        partition: u16,
        after: Option<&str>,
        max: usize,
    ) -> Result<Vec<Pending>, Error> {
        self.pending_outbox(partition, after, max).await
    }

    async fn mark_sent(&self, partition: u16, sent: &[Pending]) -> Result<(), Error> {
        self.delete_sent(partition, sent).await
    }

    async fn counters(
        &self,
        version: &str,
        from: Millis,
        to: Millis,
    ) -> Result<HashMap<CountKey, i64>, Error> {
        self.sum_counters(version, from, to).await
    }

    async fn timers(&self, contact_id: &str) -> Result<Vec<(TimerRef, Millis)>, Error> {
        self.timers_of(contact_id).await
    }

    async fn erase(&self, contact_id: &str) -> Result<Erased, Error> {
        self.erase_contact(contact_id).await
    }

    async fn aliases(&self, keys: &[String]) -> Result<Vec<Option<String>>, Error> {
        self.find_aliases(keys).await
    }

    async fn link_alias(&self, key: &str, contact_id: &str) -> Result<String, Error> {
        self.insert_alias(key, contact_id).await
    }

    async fn calls(&self, partition: u16, max: usize) -> Result<Vec<Calling>, Error> {
        self.pending_calls(partition, max).await
    }

    async fn answer_call(
        &self,
        partition: u16,
        call: &Calling,
        answer: &Event,
    ) -> Result<bool, Error> {
        self.answer_pending_call(partition, call, answer).await
    }
}

/// Whether a PostgreSQL host is this machine (a loopback address or a Unix socket).
fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host.starts_with('/')
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
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
mod tests;
