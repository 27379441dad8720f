//! The Redis store: a stream per partition as the event log, one string per contact, a
//! sorted set of timers, a stream as the outbox, all under the partition's hash tag so that
//! each commit is one Lua script on one slot (and so works under Redis Cluster).
//!
//! Keys, for partition `n` under prefix `spool`:
//! `spool:{pn}:log`, `spool:{pn}:cursor`, `spool:{pn}:lease`, `spool:{pn}:fence`,
//! `spool:{pn}:c:<contact id>`, `spool:{pn}:timers`, `spool:{pn}:outbox`,
//! `spool:{pn}:seen:<key>`, `spool:{pn}:stats`.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use redis::aio::ConnectionManager;
use redis::{AsyncCommands, Script};
use spool_nodes::{Millis, Outbound};

use super::{Appended, Batch, Error, Lease, Logged, Pending, Store};
use crate::state::{ContactState, Event, EventKind, TimerRef};

#[derive(Clone, Debug)]
pub struct RedisConfig {
    pub url: String,
    /// Key prefix; lets several Spools (or tests) share one Redis. No `{` or `}`.
    pub prefix: String,
    pub partitions: u16,
    /// How long inbound de-duplication keys are kept.
    pub dedupe_ttl: Duration,
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

const ACCEPT: &str = r"
if #KEYS > 1 then
  if not redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[2]) then return 0 end
end
redis.call('XADD', KEYS[1], '*', 'e', ARGV[1])
return 1";

const ACQUIRE: &str = r"
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], token, 'PX', ARGV[1])
return token";

const RENEW: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0";

const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1";

const READ: &str = r"
local cursor = redis.call('GET', KEYS[1])
local start = '-'
if cursor then start = '(' .. cursor end
return redis.call('XRANGE', KEYS[2], start, '+', 'COUNT', ARGV[1])";

/// KEYS: lease, cursor, log, timers, outbox, stats, contact keys…
/// ARGV: token, position, then counted groups: states, timers set (member, due), timers
/// cleared, outbox messages, counters (field, increment).
const COMMIT: &str = r"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return redis.error_reply('LEASE_LOST') end
local i = 3
local n = tonumber(ARGV[i]); i = i + 1
for k = 1, n do redis.call('SET', KEYS[6 + k], ARGV[i]); i = i + 1 end
n = tonumber(ARGV[i]); i = i + 1
for k = 1, n do redis.call('ZADD', KEYS[4], ARGV[i + 1], ARGV[i]); i = i + 2 end
n = tonumber(ARGV[i]); i = i + 1
for k = 1, n do redis.call('ZREM', KEYS[4], ARGV[i]); i = i + 1 end
n = tonumber(ARGV[i]); i = i + 1
for k = 1, n do redis.call('XADD', KEYS[5], '*', 'm', ARGV[i]); i = i + 1 end
n = tonumber(ARGV[i]); i = i + 1
for k = 1, n do redis.call('HINCRBY', KEYS[6], ARGV[i], ARGV[i + 1]); i = i + 2 end
redis.call('SET', KEYS[2], ARGV[2])
redis.call('XTRIM', KEYS[3], 'MINID', ARGV[2])
return 1";

const FIRE: &str = r"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return redis.error_reply('LEASE_LOST') end
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[2], 'LIMIT', 0, ARGV[3])
for _, member in ipairs(due) do
  redis.call('XADD', KEYS[3], '*', 't', member)
  redis.call('ZREM', KEYS[2], member)
end
return #due";

/// Runs and state in Redis.
pub struct RedisStore {
    config: RedisConfig,
    connection: ConnectionManager,
    scripts: Scripts,
}

struct Scripts {
    accept: Script,
    acquire: Script,
    renew: Script,
    release: Script,
    read: Script,
    commit: Script,
    fire: Script,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    pub async fn connect(config: RedisConfig) -> Result<Self, Error> {
        let client = redis::Client::open(config.url.as_str())?;
        let connection = client.get_connection_manager().await?;
        let scripts = Scripts {
            accept: Script::new(ACCEPT),
            acquire: Script::new(ACQUIRE),
            renew: Script::new(RENEW),
            release: Script::new(RELEASE),
            read: Script::new(READ),
            commit: Script::new(COMMIT),
            fire: Script::new(FIRE),
        };
        Ok(Self {
            config,
            connection,
            scripts,
        })
    }

    pub fn config(&self) -> &RedisConfig {
        &self.config
    }

    fn key(&self, partition: u16, name: &str) -> String {
        format!("{}:{{p{partition}}}:{name}", self.config.prefix)
    }

    fn contact_key(&self, partition: u16, contact_id: &str) -> String {
        self.key(partition, &format!("c:{contact_id}"))
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

fn decode_entry(position: String, fields: Vec<Vec<u8>>) -> Result<Logged, Error> {
    let (Some(name), Some(value)) = (fields.first(), fields.get(1)) else {
        return Err(corrupt("log entry", format!("{position} has no fields")));
    };
    let event = match name.as_slice() {
        b"e" => serde_json::from_slice(value).map_err(|err| corrupt("event", err))?,
        b"t" => {
            let member = std::str::from_utf8(value).map_err(|err| corrupt("timer", err))?;
            let timer = TimerRef::decode(member).ok_or_else(|| corrupt("timer", member))?;
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
        other => return Err(corrupt("log entry", String::from_utf8_lossy(other))),
    };
    Ok(Logged { position, event })
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
        let mut invocation = self.scripts.accept.key(self.key(partition, "log"));
        if let Some(dedupe) = &event.dedupe_key {
            // A 64-bit fingerprint keeps the key short: a wamid is 60+ characters.
            let fingerprint = crate::state::message_fingerprint(dedupe);
            invocation.key(self.key(partition, &format!("seen:{fingerprint:016x}")));
        }
        let taken: i64 = invocation
            .arg(body)
            .arg(self.config.dedupe_ttl.as_secs().max(1))
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
        let entries: Vec<(String, Vec<Vec<u8>>)> = self
            .scripts
            .read
            .key(self.key(lease.partition, "cursor"))
            .key(self.key(lease.partition, "log"))
            .arg(max)
            .invoke_async(&mut self.con())
            .await?;
        entries
            .into_iter()
            .map(|(position, fields)| decode_entry(position, fields))
            .collect()
    }

    async fn load(
        &self,
        partition: u16,
        contact_ids: &[String],
    ) -> Result<Vec<Option<ContactState>>, Error> {
        if contact_ids.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<String> = contact_ids
            .iter()
            .map(|id| self.contact_key(partition, id))
            .collect();
        let values: Vec<Option<Vec<u8>>> = redis::cmd("MGET")
            .arg(&keys)
            .query_async(&mut self.con())
            .await?;
        values
            .into_iter()
            .map(|value| {
                value
                    .map(|bytes| {
                        serde_json::from_slice(&bytes).map_err(|err| corrupt("contact state", err))
                    })
                    .transpose()
            })
            .collect()
    }

    async fn commit(&self, lease: &Lease, batch: Batch) -> Result<(), Error> {
        let p = lease.partition;
        let mut invocation = self.scripts.commit.prepare_invoke();
        for name in ["lease", "cursor", "log", "timers", "outbox", "stats"] {
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
        invocation.arg(batch.counters.len());
        for (field, increment) in &batch.counters {
            invocation.arg(field).arg(*increment);
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

    async fn outbox(&self, partition: u16, max: usize) -> Result<Vec<Pending>, Error> {
        let entries: Vec<(String, Vec<Vec<u8>>)> = redis::cmd("XRANGE")
            .arg(self.key(partition, "outbox"))
            .arg("-")
            .arg("+")
            .arg("COUNT")
            .arg(max)
            .query_async(&mut self.con())
            .await?;
        entries
            .into_iter()
            .map(|(position, fields)| {
                let bytes = fields
                    .get(1)
                    .ok_or_else(|| corrupt("outbox entry", &position))?;
                let message: Outbound = serde_json::from_slice(bytes)
                    .map_err(|err| corrupt("outbound message", err))?;
                Ok(Pending { position, message })
            })
            .collect()
    }

    async fn mark_sent(&self, partition: u16, sent: &[Pending]) -> Result<(), Error> {
        if sent.is_empty() {
            return Ok(());
        }
        let positions: Vec<&str> = sent
            .iter()
            .map(|pending| pending.position.as_str())
            .collect();
        let _: i64 = redis::cmd("XDEL")
            .arg(self.key(partition, "outbox"))
            .arg(positions)
            .query_async(&mut self.con())
            .await?;
        Ok(())
    }

    async fn counters(&self, version: &str) -> Result<HashMap<String, i64>, Error> {
        let mut totals = HashMap::new();
        let prefix = format!("{version}|");
        for partition in 0..self.partitions() {
            let all: HashMap<String, i64> =
                self.con().hgetall(self.key(partition, "stats")).await?;
            for (field, count) in all {
                if let Some(rest) = field.strip_prefix(&prefix) {
                    *totals.entry(rest.to_owned()).or_insert(0) += count;
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
}
