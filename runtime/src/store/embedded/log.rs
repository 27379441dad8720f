//! The log: appends written together (group commit) and de-duplicated on the way in, read
//! back by the partition's holder, and the expired de-duplication keys purged now and then.

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::{Mutex, PoisonError};

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, Value};
use spool_nodes::Millis;
use tokio::sync::oneshot;
use tracing::{debug, warn};

use super::sql::{corrupt, get, placeholders, ttl_millis};
use super::{EmbeddedStore, LOG_LOCK_SPACE, ROWS_PER_STATEMENT};
use crate::clock::Clock;
use crate::state::Event;
use crate::store::{Appended, Error, Lease, Logged, Store};

/// How often expired de-duplication keys are deleted.
const PURGE_EVERY: Millis = 60_000;

/// Appends waiting to be written, and whose turn it is to write them.
#[derive(Default)]
pub(super) struct AppendQueue {
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

impl EmbeddedStore {
    pub(super) async fn append_grouped(&self, event: &Event) -> Result<Appended, Error> {
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

    pub(super) async fn read_log(&self, lease: &Lease, max: usize) -> Result<Vec<Logged>, Error> {
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
    pub(super) async fn purge_now_and_then(&self) {
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
    pub(super) async fn append_all(
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
    pub(super) async fn lock_log(
        &self,
        txn: &DatabaseTransaction,
        partition: u16,
    ) -> Result<(), Error> {
        if self.backend == DbBackend::Postgres {
            txn.execute_raw(self.statement(
                "SELECT pg_advisory_xact_lock(?, ?)",
                vec![LOG_LOCK_SPACE.into(), i32::from(partition).into()],
            ))
            .await?;
        }
        Ok(())
    }

    /// Adds events to their partitions' logs, in order.
    pub(super) async fn insert_events(
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
}
