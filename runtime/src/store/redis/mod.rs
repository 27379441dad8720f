//! The Redis store: a stream per partition as the event log, one string per contact, a
//! sorted set of timers, a stream as the outbox, all under the partition's hash tag so that
//! each commit is one Lua script on one slot (and so works under Redis Cluster).
//!
//! Keys, for partition `n` under prefix `spool`:
//! `spool:{pn}:log`, `spool:{pn}:cursor`, `spool:{pn}:lease`, `spool:{pn}:fence`,
//! `spool:{pn}:c:<contact id>`, `spool:{pn}:timers`, `spool:{pn}:outbox`, `spool:{pn}:calls`
//! (a stream of calls runs wait for, until answered),
//! `spool:{pn}:seen:<key>`, and the funnel counts: `spool:{pn}:stats:<version>:<hour>` (a
//! hash `node|key` → count per flow version per hour, the hour as its start in ms) with
//! `spool:{pn}:stats:<version>` (a sorted set of the days that have counts: an index by
//! the day costs a hundredth of the hashes, by the hour it cost a quarter), both expiring
//! after [`RedisConfig::counter_retention`]. The contact alias index: `spool:{pn}:alias:<key>`
//! (an identifier's scoped key → its contact id) in the partition the key hashes to, with
//! `spool:{pn}:aliases:<contact id>` (the keys of that partition linked to the contact, so
//! that erasure finds them). Every append to a log is announced on the channel
//! `spool:appended` (the message: the partition), so that its holder wakes up at once.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use async_trait::async_trait;
use redis::AsyncCommands;
use redis::aio::ConnectionManager;
use spool_nodes::{DAY, HOUR, Millis};
use tokio::sync::watch;

use super::{
    Appended, Batch, Calling, Erased, Error, Lease, Logged, Pending, ReadBatch, Store, Wake,
    Watcher, hour_of,
};
use crate::counters::CountKey;
use crate::state::{ContactState, Event, TimerRef};

mod contacts;
mod log;
mod outbox;
mod scripts;
mod wake;

use scripts::Scripts;
use wake::listen_for_appends;

#[derive(Clone, Debug)]
pub struct RedisConfig {
    pub url: String,
    /// Key prefix; lets several Spools (or tests) share one Redis. No `{` or `}`.
    pub prefix: String,
    pub partitions: u16,
    /// How long inbound de-duplication keys are kept.
    pub dedupe_ttl: Duration,
    /// How long an hour's funnel counts are kept after the hour ends.
    pub counter_retention: Duration,
}

impl RedisConfig {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            prefix: "spool".into(),
            partitions: 16,
            // Duplicates arrive within minutes; a later one is caught by the contact's own
            // memory of recent messages, and an old message answers nothing anyway.
            dedupe_ttl: Duration::from_secs(24 * 3600),
            // A year and a bit: this year against last year's same weeks.
            counter_retention: Duration::from_secs(400 * 24 * 3600),
        }
    }

    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    pub fn with_partitions(mut self, partitions: u16) -> Self {
        self.partitions = partitions.max(1);
        self
    }
}

/// Runs and state in Redis.
pub struct RedisStore {
    config: RedisConfig,
    /// For the wake-up subscription, which needs a connection of its own.
    client: redis::Client,
    connection: ConnectionManager,
    scripts: Scripts,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// Up to `max` entries of a stream whose entries hold one JSON value each (the outbox,
    /// the pending calls), oldest first from after the entry `after`, with their positions.
    async fn oldest<T: serde::de::DeserializeOwned>(
        &self,
        stream: String,
        after: Option<&str>,
        max: usize,
        what: &str,
    ) -> Result<Vec<(String, T)>, Error> {
        // `(id` is exclusive (Redis 6.2+).
        let start = after.map_or_else(|| "-".to_owned(), |after| format!("({after}"));
        let entries: Vec<(String, Vec<Vec<u8>>)> = redis::cmd("XRANGE")
            .arg(stream)
            .arg(start)
            .arg("+")
            .arg("COUNT")
            .arg(max)
            .query_async(&mut self.con())
            .await?;
        entries
            .into_iter()
            .map(|(position, fields)| {
                let bytes = fields.get(1).ok_or_else(|| corrupt(what, &position))?;
                let value = serde_json::from_slice(bytes).map_err(|err| corrupt(what, err))?;
                Ok((position, value))
            })
            .collect()
    }

    pub async fn connect(config: RedisConfig) -> Result<Self, Error> {
        let client = redis::Client::open(config.url.as_str())?;
        // While Redis is unreachable a caller must hear so promptly (a webhook answers 503
        // and its sender retries) rather than wait out the default reconnection (6 tries,
        // backing off to 3.2 s); the workers try again on their own anyway.
        let connection_config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_millis(500)))
            .set_response_timeout(Some(Duration::from_secs(1)))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(200));
        let connection = client
            .get_connection_manager_with_config(connection_config)
            .await?;
        let scripts = Scripts::new();
        let store = Self {
            config,
            client,
            connection,
            scripts,
        };
        store.check_partitions().await?;
        Ok(store)
    }

    /// Records the partition count on first use and refuses another one afterwards: every
    /// key and log is per partition, so a new count would look for contacts in the wrong place.
    async fn check_partitions(&self) -> Result<(), Error> {
        let key = format!("{}:partitions", self.config.prefix);
        let configured = self.config.partitions;
        let _: Option<String> = redis::cmd("SET")
            .arg(&key)
            .arg(configured)
            .arg("NX")
            .query_async(&mut self.con())
            .await?;
        let stored: Option<String> = self.con().get(&key).await?;
        match stored.as_deref().map(str::parse::<u16>) {
            Some(Ok(stored)) if stored != configured => {
                Err(Error::PartitionsChanged { stored, configured })
            }
            Some(Err(err)) => Err(corrupt("partition count", err)),
            _ => Ok(()),
        }
    }

    pub fn config(&self) -> &RedisConfig {
        &self.config
    }

    fn key(&self, partition: u16, name: &str) -> String {
        format!("{}:{{p{partition}}}:{name}", self.config.prefix)
    }

    /// Where every append to the log is announced (the message: the partition), so that the
    /// process holding the partition applies it at once, without polling the log.
    fn wake_channel(&self) -> String {
        format!("{}:appended", self.config.prefix)
    }

    fn contact_key(&self, partition: u16, contact_id: &str) -> String {
        self.key(partition, &format!("c:{contact_id}"))
    }

    /// The hash of one version's counts in one hour, and the sorted set of its days.
    fn counter_keys(&self, partition: u16, version: &str, hour: Millis) -> (String, String) {
        let days = self.key(partition, &format!("stats:{version}"));
        (format!("{days}:{hour}"), days)
    }

    fn con(&self) -> ConnectionManager {
        self.connection.clone()
    }

    /// Deletes every key under this store's prefix (tests, and erasing a sandbox).
    pub async fn wipe(&self) -> Result<(), Error> {
        let mut con = self.con();
        let pattern = format!("{}:*", self.config.prefix);
        let mut cursor: u64 = 0;
        loop {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(1000)
                .query_async(&mut con)
                .await?;
            if !keys.is_empty() {
                let _: i64 = con.del(keys).await?;
            }
            if next == 0 {
                return Ok(());
            }
            cursor = next;
        }
    }

    /// Bytes Redis uses for one key (`MEMORY USAGE`), for the memory benchmark.
    pub async fn memory_usage_of_contact(&self, contact_id: &str) -> Result<Option<i64>, Error> {
        let key = self.contact_key(self.partition_of(contact_id), contact_id);
        let mut con = self.con();
        Ok(redis::cmd("MEMORY")
            .arg("USAGE")
            .arg(key)
            .arg("SAMPLES")
            .arg(0)
            .query_async(&mut con)
            .await?)
    }
}

fn corrupt(what: &str, reason: impl ToString) -> Error {
    Error::Corrupt {
        what: what.to_owned(),
        reason: reason.to_string(),
    }
}

fn lease_error(err: redis::RedisError, partition: u16) -> Error {
    if err.to_string().contains("LEASE_LOST") {
        Error::LeaseLost(partition)
    } else {
        Error::Redis(err)
    }
}

#[async_trait]
impl Store for RedisStore {
    fn partitions(&self) -> u16 {
        self.config.partitions
    }

    async fn append(&self, event: &Event) -> Result<Appended, Error> {
        let partition = self.partition_of(&event.contact_id);
        let body = serde_json::to_string(event).map_err(|err| corrupt("event", err))?;
        let log = self.key(partition, "log");
        let Some(dedupe) = &event.dedupe_key else {
            // Nothing to de-duplicate (a webhook without Idempotency-Key): a plain XADD,
            // which costs Redis a fraction of a script call, and its wake-up, in one trip.
            let _: () = redis::pipe()
                .cmd("XADD")
                .arg(log)
                .arg("*")
                .arg("e")
                .arg(body)
                .arg("c")
                .arg(&event.contact_id)
                .ignore()
                .cmd("PUBLISH")
                .arg(self.wake_channel())
                .arg(partition)
                .ignore()
                .query_async(&mut self.con())
                .await?;
            return Ok(Appended::Accepted);
        };
        // A 64-bit fingerprint keeps the key short: a wamid is 60+ characters.
        let fingerprint = crate::state::message_fingerprint(dedupe);
        let mut invocation = self.scripts.accept.key(log);
        invocation.key(self.key(partition, &format!("seen:{fingerprint:016x}")));
        let taken: i64 = invocation
            .arg(body)
            .arg(self.config.dedupe_ttl.as_secs().max(1))
            .arg(&event.contact_id)
            .arg(self.wake_channel())
            .arg(partition)
            .invoke_async(&mut self.con())
            .await?;
        Ok(if taken == 1 {
            Appended::Accepted
        } else {
            Appended::Duplicate
        })
    }

    async fn acquire(&self, partition: u16, ttl: Duration) -> Result<Option<Lease>, Error> {
        let token: u64 = self
            .scripts
            .acquire
            .key(self.key(partition, "lease"))
            .key(self.key(partition, "fence"))
            .arg(ttl.as_millis() as u64)
            .invoke_async(&mut self.con())
            .await?;
        Ok((token > 0).then_some(Lease { partition, token }))
    }

    async fn renew(&self, lease: &Lease, ttl: Duration) -> Result<bool, Error> {
        let renewed: i64 = self
            .scripts
            .renew
            .key(self.key(lease.partition, "lease"))
            .arg(lease.token)
            .arg(ttl.as_millis() as u64)
            .invoke_async(&mut self.con())
            .await?;
        Ok(renewed == 1)
    }

    async fn release(&self, lease: &Lease) -> Result<(), Error> {
        let _: i64 = self
            .scripts
            .release
            .key(self.key(lease.partition, "lease"))
            .arg(lease.token)
            .invoke_async(&mut self.con())
            .await?;
        Ok(())
    }

    async fn read(&self, lease: &Lease, max: usize) -> Result<Vec<Logged>, Error> {
        self.read_entries(lease, max).await
    }

    async fn read_batch(&self, lease: &Lease, max: usize) -> Result<ReadBatch, Error> {
        self.read_with_states(lease, max).await
    }

    async fn load(
        &self,
        partition: u16,
        contact_ids: &[String],
    ) -> Result<Vec<Option<ContactState>>, Error> {
        self.load_states(partition, contact_ids).await
    }

    async fn commit(&self, lease: &Lease, batch: Batch) -> Result<(), Error> {
        let p = lease.partition;
        let mut invocation = self.scripts.commit.prepare_invoke();
        for name in ["lease", "cursor", "log", "timers", "outbox", "calls"] {
            invocation.key(self.key(p, name));
        }
        invocation
            .arg(lease.token)
            .arg(&batch.position)
            .arg(batch.states.len());
        for state in &batch.states {
            invocation.key(self.contact_key(p, &state.contact.id));
            invocation.arg(serde_json::to_vec(state).map_err(|err| corrupt("contact state", err))?);
        }
        invocation.arg(batch.timers_set.len());
        for (timer, due) in &batch.timers_set {
            invocation.arg(timer.encode()).arg(*due);
        }
        invocation.arg(batch.timers_cleared.len());
        for timer in &batch.timers_cleared {
            invocation.arg(timer.encode());
        }
        invocation.arg(batch.outbox.len());
        for message in &batch.outbox {
            invocation
                .arg(serde_json::to_vec(message).map_err(|err| corrupt("outbound message", err))?);
        }
        invocation.arg(batch.calls.len());
        for call in &batch.calls {
            invocation.arg(serde_json::to_vec(call).map_err(|err| corrupt("pending call", err))?);
        }
        let mut by_version: BTreeMap<&str, Vec<(String, i64)>> = BTreeMap::new();
        for (counter, increment) in &batch.counters {
            by_version
                .entry(&counter.version)
                .or_default()
                .push((counter.at.encode(), *increment));
        }
        invocation.arg(by_version.len());
        if !by_version.is_empty() {
            let hour = hour_of(batch.at);
            let retention = Millis::try_from(self.config.counter_retention.as_millis())
                .unwrap_or(Millis::MAX / 4);
            // Relative to the batch's own clock, so a clock that is not the wall's (tests,
            // the simulator) still keeps counts for the whole retention.
            let ttl = (hour + HOUR + retention - batch.at).max(1);
            let day = hour.div_euclid(DAY) * DAY;
            invocation.arg(day).arg(ttl).arg(day - retention);
            for (version, fields) in &by_version {
                let (bucket, days) = self.counter_keys(p, version, hour);
                invocation.key(bucket).key(days).arg(fields.len());
                for (name, increment) in fields {
                    invocation.arg(name).arg(*increment);
                }
            }
        }
        let _: i64 = invocation
            .invoke_async(&mut self.con())
            .await
            .map_err(|err| lease_error(err, p))?;
        Ok(())
    }

    async fn fire_due_timers(
        &self,
        lease: &Lease,
        now: Millis,
        max: usize,
    ) -> Result<usize, Error> {
        let p = lease.partition;
        let fired: usize = self
            .scripts
            .fire
            .key(self.key(p, "lease"))
            .key(self.key(p, "timers"))
            .key(self.key(p, "log"))
            .arg(lease.token)
            .arg(now)
            .arg(max)
            .invoke_async(&mut self.con())
            .await
            .map_err(|err| lease_error(err, p))?;
        Ok(fired)
    }

    async fn next_timer(&self, partition: u16) -> Result<Option<Millis>, Error> {
        let earliest: Vec<(String, Millis)> = redis::cmd("ZRANGE")
            .arg(self.key(partition, "timers"))
            .arg(0)
            .arg(0)
            .arg("WITHSCORES")
            .query_async(&mut self.con())
            .await?;
        Ok(earliest.first().map(|(_, due)| *due))
    }

    fn watch_appends(&self, wake: Wake, stop: watch::Receiver<bool>) -> Option<Watcher> {
        Some(Box::pin(listen_for_appends(
            self.client.clone(),
            self.wake_channel(),
            self.partitions(),
            wake,
            stop,
        )))
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
        let mut totals = HashMap::new();
        if to <= from {
            return Ok(totals);
        }
        // The days that have counts, per partition, then the hashes of their hours in the
        // range: two round trips (one per thousand hours).
        let first = hour_of(from);
        let mut pipe = redis::pipe();
        for partition in 0..self.partitions() {
            let (_, days) = self.counter_keys(partition, version, 0);
            pipe.cmd("ZRANGEBYSCORE")
                .arg(days)
                .arg(first.div_euclid(DAY) * DAY)
                .arg(format!("({to}"));
        }
        let days: Vec<Vec<Millis>> = pipe.query_async(&mut self.con()).await?;
        let mut buckets = Vec::new();
        for (partition, days) in (0..self.partitions()).zip(&days) {
            for day in days {
                let mut hour = (*day).max(first);
                while hour < (day + DAY).min(to) {
                    buckets.push(self.counter_keys(partition, version, hour).0);
                    hour += HOUR;
                }
            }
        }
        for chunk in buckets.chunks(1_000) {
            let mut pipe = redis::pipe();
            for bucket in chunk {
                pipe.hgetall(bucket);
            }
            let all: Vec<HashMap<String, i64>> = pipe.query_async(&mut self.con()).await?;
            for counts in all {
                // Every field was written from a CountKey: none fails to read back.
                for (key, count) in counts
                    .into_iter()
                    .filter_map(|(field, count)| Some((CountKey::decode(&field)?, count)))
                {
                    *totals.entry(key).or_insert(0) += count;
                }
            }
        }
        Ok(totals)
    }

    async fn timers(&self, contact_id: &str) -> Result<Vec<(TimerRef, Millis)>, Error> {
        let key = self.key(self.partition_of(contact_id), "timers");
        let all: Vec<(String, Millis)> = self.con().zrange_withscores(key, 0, -1).await?;
        Ok(all
            .into_iter()
            .filter_map(|(member, due)| TimerRef::decode(&member).map(|timer| (timer, due)))
            .filter(|(timer, _)| timer.contact_id == contact_id)
            .collect())
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
