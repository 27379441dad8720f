//! Load test of the full runtime path on Redis (or, with `--store sqlite|postgres`, on the
//! embedded sea-orm store): many contacts in a conversation, each inbound message accepted
//! (durable append to the partition log), read by the partition's worker, its contact's state
//! loaded, the run stepped, state + outbox + timers committed atomically (one Lua script on
//! Redis, one transaction on the embedded store), and the reply dispatched from the outbox to
//! a channel. Workers run as a server runs them, through `Runtime::spawn`, on an
//! `Arc<dyn Store>`.
//!
//! The flow: `hi` starts a run that greets the contact and waits for a reply (24 h timeout);
//! each reply goes `condition` → `set` (a counter) → `send_text` (echoing the reply) → back to
//! the wait. So every measured event resumes a waiting run and produces one outbound message.
//!
//! Phases: (1) setup: one `hi` per contact, so every contact waits; (2) measured: `--events`
//! replies, spread round-robin over the contacts, sent by `--concurrency` tasks that each own
//! a share of the contacts (so a contact's messages are accepted one after the other, in a
//! known order); closed loop (each task sends its next message as soon as the previous one
//! is accepted) or open loop at `--rate` events/s (latency counted from the scheduled time,
//! so a slow accept cannot hide queueing). (3) checks: every reply echoed exactly once, in
//! order per contact, and every contact's run holds its last message and its count.
//! (4) Redis memory per waiting contact (Redis only). (5) The keys under `--prefix` are
//! deleted; on the embedded store the scratch database is removed: SQLite's temporary file,
//! or the `spool_load_<pid>` database created on the PostgreSQL server of `--database-url`.
//!
//! `--preload` accepts all measured events with the workers stopped, then starts them, to
//! measure accepting and applying separately. The tool prints a Markdown table: rates,
//! latency percentiles, the CPU split between itself, the store's server (redis-server, or
//! PostgreSQL's processes; SQLite runs inside the tool) and the rest of the machine, Redis
//! commands per event, the checks, and memory per waiting contact (the Redis-only rows read
//! `n/a` on the embedded store). Results and how to read them: `docs/performance.md`.
//!
//! ```sh
//! cargo run --release -p spool-runtime --example load -- --contacts 10000 --events 200000
//! cargo run --release -p spool-runtime --example load -- --rate 13000 --events 130000
//! cargo run --release -p spool-runtime --example load -- --store sqlite --events 100000
//! cargo run --release -p spool-runtime --example load -- --store postgres --events 100000
//! ```

#![allow(clippy::print_stdout, clippy::print_stderr, clippy::unwrap_used)]

// glibc's malloc was 40% of the profile, plus arena lock contention between the worker
// threads; jemalloc gave about 40% more throughput (docs/performance.md).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use async_trait::async_trait;
use clap::{Parser, ValueEnum};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use spool_nodes::{Content, InboundMessage, Outbound, OutboundBody, RunStatus};
use spool_runtime::channel::{Channel, SendError, Sent as Accepted};
use spool_runtime::clock::{Clock, SystemClock};
use spool_runtime::http::NoServices;
use spool_runtime::state::contact_id_for;
use spool_runtime::store::embedded::{EmbeddedConfig, EmbeddedStore};
use spool_runtime::store::redis::{RedisConfig, RedisStore};
use spool_runtime::store::{Appended, Store};
use spool_runtime::{Engine, EngineConfig, Event, FlowRegistry, Runtime, RuntimeConfig};

#[derive(Parser, Debug, Clone)]
#[command(about = "Pushes inbound messages for many contacts through the full runtime path")]
struct Args {
    /// Contacts in the conversation.
    #[arg(long, default_value_t = 10_000)]
    contacts: usize,
    /// Replies sent in the measured phase (spread round-robin over the contacts).
    #[arg(long, default_value_t = 200_000)]
    events: usize,
    /// Sending tasks, i.e. accept calls in flight at most.
    #[arg(long, default_value_t = 256)]
    concurrency: usize,
    /// Open loop: send at this many events/s (latency below saturation). Closed loop if absent.
    #[arg(long)]
    rate: Option<f64>,
    /// Partitions of the store (RedisConfig::partitions, EmbeddedConfig::partitions).
    #[arg(long, default_value_t = 16)]
    partitions: u16,
    /// The store the runtime runs on.
    #[arg(long, value_enum, default_value_t = StoreKind::Redis)]
    store: StoreKind,
    #[arg(long, env = "REDIS_URL", default_value = "redis://127.0.0.1:6379")]
    redis_url: String,
    /// Embedded store. SQLite: the database (`sqlite://path?mode=rwc`; wiped at the end),
    /// by default a fresh temporary file, removed at the end. PostgreSQL: the server, on which
    /// a fresh database `spool_load_<pid>` is created and dropped at the end (default
    /// `postgres://postgres@127.0.0.1:5432/postgres`).
    #[arg(long)]
    database_url: Option<String>,
    /// Key prefix on Redis (unique per run; everything under it is deleted at the end).
    #[arg(long)]
    prefix: Option<String>,
    /// Tokio worker threads (the process's share of the machine).
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Events applied and committed together (RuntimeConfig::batch_size).
    #[arg(long, default_value_t = RuntimeConfig::default().batch_size)]
    batch_size: usize,
    /// Outbox messages dispatched together (RuntimeConfig::outbox_batch).
    #[arg(long, default_value_t = RuntimeConfig::default().outbox_batch)]
    outbox_batch: usize,
    /// Partition lease TTL in seconds (RuntimeConfig::lease_ttl; renewed every third of it).
    #[arg(long, default_value_t = RuntimeConfig::default().lease_ttl.as_secs_f64())]
    lease_ttl_secs: f64,
    /// Skip the per-key memory breakdown (a MEMORY USAGE per key under the prefix).
    #[arg(long)]
    no_breakdown: bool,
    /// Leave the data: the keys in Redis, the SQLite file, the PostgreSQL database.
    #[arg(long)]
    keep: bool,
    /// Accept every measured event with the workers stopped, then start them: measures
    /// accepting alone and applying alone (latencies are then meaningless).
    #[arg(long)]
    preload: bool,
    /// Give up waiting for the replies after this many seconds.
    #[arg(long, default_value_t = 300)]
    timeout_secs: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum StoreKind {
    Redis,
    Sqlite,
    Postgres,
}

impl StoreKind {
    fn name(self) -> &'static str {
        match self {
            Self::Redis => "redis",
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

fn conversation_flow() -> String {
    let nodes = json!([
        { "id": "start", "type": "inbound_message", "config": { "match": { "type": "keyword", "keywords": ["hi"] } } },
        { "id": "init", "type": "set", "config": { "assignments": [{ "variable": "n", "value": { "value": 0 } }] } },
        { "id": "hello", "type": "send_text", "config": { "text": "Hello {{ contact.name }}! Say anything." } },
        { "id": "wait", "type": "wait_for_reply", "config": { "variable": "last", "timeout": "24h" } },
        { "id": "check", "type": "condition", "config": { "expression": "vars.last != \"\"" } },
        { "id": "count", "type": "set", "config": { "assignments": [{ "variable": "n", "value": { "expr": "vars.n + 1" } }] } },
        { "id": "echo", "type": "send_text", "config": { "text": "#{{ vars.n }}: {{ vars.last }}" } },
        { "id": "bye", "type": "end" },
    ]);
    let edges: Vec<Value> = [
        ("start", "next", "init"),
        ("init", "next", "hello"),
        ("hello", "next", "wait"),
        ("wait", "reply", "check"),
        ("wait", "timeout", "bye"),
        ("check", "true", "count"),
        ("check", "false", "echo"),
        ("count", "next", "echo"),
        ("echo", "next", "wait"),
    ]
    .iter()
    .map(|(from, port, to)| json!({ "from": from, "port": port, "to": to }))
    .collect();
    json!({ "schema": 1, "id": "chat", "name": "chat", "nodes": nodes, "edges": edges }).to_string()
}

fn phone(contact: usize) -> String {
    format!("55119{contact:08}")
}

/// A message id as long as WhatsApp's (`wamid.` and 56 base64 characters), unique per run.
fn wamid(run_tag: &str, contact: usize, n: u64) -> String {
    let tag = run_tag
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        });
    format!("wamid.HBgM{contact:014}FQIAEhgg{tag:016X}{n:016X}AA==")
}

/// The body of measured event `g`; the echo carries it back.
fn body(g: usize) -> String {
    format!("m{g}")
}

fn now_ns(origin: Instant) -> u64 {
    origin.elapsed().as_nanos() as u64
}

/// Timestamps each reply as it reaches the channel and checks order and uniqueness.
#[derive(Debug)]
struct TimingChannel {
    origin: Instant,
    contacts: usize,
    /// Per measured event: ns since `origin` + 1 when its echo arrived (0: not yet).
    delivered: Vec<AtomicU64>,
    /// Per contact: rounds echoed so far (echoes must come in rounds 0, 1, 2, …).
    rounds_seen: Vec<AtomicU64>,
    keys: Mutex<HashSet<String>>,
    greetings: AtomicU64,
    echoes: AtomicU64,
    duplicate_keys: AtomicU64,
    out_of_order: AtomicU64,
    unexpected: AtomicU64,
}

impl TimingChannel {
    fn new(origin: Instant, contacts: usize, events: usize) -> Self {
        Self {
            origin,
            contacts,
            delivered: (0..events).map(|_| AtomicU64::new(0)).collect(),
            rounds_seen: (0..contacts).map(|_| AtomicU64::new(0)).collect(),
            keys: Mutex::new(HashSet::with_capacity(contacts + events)),
            greetings: AtomicU64::new(0),
            echoes: AtomicU64::new(0),
            duplicate_keys: AtomicU64::new(0),
            out_of_order: AtomicU64::new(0),
            unexpected: AtomicU64::new(0),
        }
    }

    fn event_of(text: &str) -> Option<usize> {
        text.rsplit_once(": m")?.1.parse().ok()
    }
}

#[async_trait]
impl Channel for TimingChannel {
    async fn send(&self, message: &Outbound) -> Result<Accepted, SendError> {
        let at = now_ns(self.origin) + 1;
        let fresh = self
            .keys
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(message.key.clone());
        if !fresh {
            self.duplicate_keys.fetch_add(1, Ordering::Relaxed);
            return Ok(Accepted::default());
        }
        let OutboundBody::Text { text, .. } = &message.body else {
            self.unexpected.fetch_add(1, Ordering::Relaxed);
            return Ok(Accepted::default());
        };
        if text.starts_with("Hello ") {
            self.greetings.fetch_add(1, Ordering::Relaxed);
            return Ok(Accepted::default());
        }
        let Some(g) = Self::event_of(text).filter(|g| *g < self.delivered.len()) else {
            self.unexpected.fetch_add(1, Ordering::Relaxed);
            return Ok(Accepted::default());
        };
        let contact = g % self.contacts;
        let round = (g / self.contacts) as u64;
        let seen = self.rounds_seen[contact].swap(round + 1, Ordering::Relaxed);
        if seen != round {
            self.out_of_order.fetch_add(1, Ordering::Relaxed);
        }
        self.delivered[g].store(at, Ordering::Relaxed);
        self.echoes.fetch_add(1, Ordering::Relaxed);
        Ok(Accepted::default())
    }
}

/// What the senders recorded per measured event.
struct Sent {
    /// ns since origin the latency counts from (+1; 0: not sent).
    start: Vec<AtomicU64>,
    /// ns the accept call took.
    accept: Vec<AtomicU64>,
    /// ns since origin the last accept returned.
    last_accepted: AtomicU64,
}

/// CPU seconds used so far: this process, the store's server (redis-server, PostgreSQL's
/// processes; none for SQLite, which runs inside this process), and the whole machine (busy,
/// total).
#[derive(Clone, Copy, Debug, Default)]
struct Cpu {
    process: f64,
    server: f64,
    machine_busy: f64,
    machine_total: f64,
    /// Interrupt and softirq time (loopback TCP is processed there), not any process's.
    machine_irq: f64,
}

/// /proc counts in clock ticks; USER_HZ is 100 on Linux.
const TICKS: f64 = 100.0;

fn process_cpu() -> f64 {
    std::fs::read_to_string("/proc/self/stat").map_or(0.0, |stat| stat_cpu(&stat))
}

/// CPU seconds of the processes named `name` (the command in `/proc/<pid>/stat`) alive now.
fn processes_cpu(name: &str) -> f64 {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    entries
        .filter_map(Result::ok)
        .filter(|entry| {
            entry
                .file_name()
                .to_str()
                .is_some_and(|pid| pid.bytes().all(|b| b.is_ascii_digit()))
        })
        .filter_map(|entry| std::fs::read_to_string(entry.path().join("stat")).ok())
        .filter(|stat| {
            stat.split_once(" (")
                .and_then(|(_, rest)| rest.rsplit_once(')'))
                .is_some_and(|(command, _)| command == name)
        })
        .map(|stat| stat_cpu(&stat))
        .sum()
}

/// utime + stime of a `/proc/<pid>/stat` line, in seconds.
fn stat_cpu(stat: &str) -> f64 {
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return 0.0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the command: state is field 3, utime 14, stime 15 (1-based over the whole line).
    let ticks = |n: usize| {
        fields
            .get(n - 3)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(14) + ticks(15)) / TICKS
}

fn machine_cpu() -> (f64, f64, f64) {
    let Ok(stat) = std::fs::read_to_string("/proc/stat") else {
        return (0.0, 0.0, 0.0);
    };
    let Some(line) = stat.lines().next() else {
        return (0.0, 0.0, 0.0);
    };
    let values: Vec<f64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    let total: f64 = values.iter().take(8).sum();
    let field = |n: usize| values.get(n).copied().unwrap_or(0.0);
    let idle = field(3) + field(4);
    (
        (total - idle) / TICKS,
        total / TICKS,
        (field(5) + field(6)) / TICKS,
    )
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

async fn info_field(
    con: &mut redis::aio::MultiplexedConnection,
    section: &str,
    field: &str,
) -> anyhow::Result<f64> {
    let info: String = redis::cmd("INFO").arg(section).query_async(con).await?;
    info.lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|value| value.trim().parse().ok())
        .with_context(|| format!("INFO {section} has no {field}"))
}

/// `INFO commandstats`: command → (calls, µs).
async fn command_stats(
    con: &mut redis::aio::MultiplexedConnection,
) -> anyhow::Result<BTreeMap<String, (f64, f64)>> {
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query_async(con)
        .await?;
    let mut stats = BTreeMap::new();
    for line in info.lines() {
        let Some((name, rest)) = line
            .strip_prefix("cmdstat_")
            .and_then(|line| line.split_once(':'))
        else {
            continue;
        };
        let field = |key: &str| {
            rest.split(',')
                .find_map(|pair| pair.strip_prefix(key)?.strip_prefix('='))
                .and_then(|value| value.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        stats.insert(name.to_owned(), (field("calls"), field("usec")));
    }
    Ok(stats)
}

/// The store the runtime runs on, and what the tool sees of it besides the `Store` trait.
enum Backend {
    Redis {
        store: Arc<RedisStore>,
        admin: redis::aio::MultiplexedConnection,
    },
    Embedded {
        kind: StoreKind,
        store: Arc<EmbeddedStore>,
        /// What to remove at the end (nothing: wipe the tables of the database given).
        scratch: Option<Scratch>,
    },
}

/// A database made for the run.
enum Scratch {
    SqliteFile(std::path::PathBuf),
    PostgresDatabase { admin_url: String, name: String },
}

impl Backend {
    async fn open(args: &Args, prefix: &str) -> anyhow::Result<Self> {
        let (url, scratch) = match args.store {
            StoreKind::Redis => {
                let config = RedisConfig::new(args.redis_url.clone())
                    .with_prefix(prefix.to_owned())
                    .with_partitions(args.partitions);
                let store = RedisStore::connect(config)
                    .await
                    .with_context(|| format!("Redis at {}", args.redis_url))?;
                let admin = redis::Client::open(args.redis_url.as_str())?
                    .get_multiplexed_async_connection()
                    .await?;
                return Ok(Self::Redis {
                    store: Arc::new(store),
                    admin,
                });
            }
            StoreKind::Sqlite => match &args.database_url {
                Some(url) if url.starts_with("sqlite:") => (url.clone(), None),
                Some(url) => bail!("--store sqlite wants a sqlite: URL, not {url}"),
                None => {
                    let path = std::env::temp_dir().join(format!("{prefix}.sqlite"));
                    let url = EmbeddedConfig::sqlite(&path).url;
                    (url, Some(Scratch::SqliteFile(path)))
                }
            },
            StoreKind::Postgres => {
                let admin_url = args
                    .database_url
                    .clone()
                    .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
                if !admin_url.starts_with("postgres") {
                    bail!("--store postgres wants a postgres:// URL, not {admin_url}");
                }
                let name = format!("spool_load_{}", std::process::id());
                let admin = Database::connect(admin_url.as_str())
                    .await
                    .with_context(|| format!("PostgreSQL at {admin_url}"))?;
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await?;
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .with_context(|| format!("creating the database {name} at {admin_url}"))?;
                admin.close().await?;
                let url = with_database(&admin_url, &name);
                (url, Some(Scratch::PostgresDatabase { admin_url, name }))
            }
        };
        let config = EmbeddedConfig::new(url.clone()).with_partitions(args.partitions);
        let store = match EmbeddedStore::connect(config).await {
            Ok(store) => store,
            Err(err) => {
                if let Some(scratch) = &scratch {
                    scratch.remove().await;
                }
                return Err(err).with_context(|| format!("the embedded store at {url}"));
            }
        };
        Ok(Self::Embedded {
            kind: args.store,
            store: Arc::new(store),
            scratch,
        })
    }

    fn store(&self) -> Arc<dyn Store> {
        match self {
            Self::Redis { store, .. } => store.clone(),
            Self::Embedded { store, .. } => store.clone(),
        }
    }

    fn describe(&self) -> String {
        match self {
            Self::Redis { store, .. } => format!("redis, prefix {}", store.config().prefix),
            Self::Embedded { kind, store, .. } => {
                format!("{} at {}", kind.name(), store.config().url)
            }
        }
    }

    /// The store's server process, when it has one.
    fn server(&self) -> Option<&'static str> {
        match self {
            Self::Redis { .. } => Some("redis-server"),
            Self::Embedded {
                kind: StoreKind::Postgres,
                ..
            } => Some("postgres"),
            Self::Embedded { .. } => None,
        }
    }

    async fn cpu(&self) -> anyhow::Result<Cpu> {
        let server = match self {
            Self::Redis { admin, .. } => {
                let mut con = admin.clone();
                info_field(&mut con, "cpu", "used_cpu_user").await?
                    + info_field(&mut con, "cpu", "used_cpu_sys").await?
            }
            Self::Embedded { .. } => self.server().map_or(0.0, processes_cpu),
        };
        let (machine_busy, machine_total, machine_irq) = machine_cpu();
        Ok(Cpu {
            process: process_cpu(),
            server,
            machine_busy,
            machine_total,
            machine_irq,
        })
    }

    /// `INFO commandstats` (Redis only).
    async fn command_stats(&self) -> anyhow::Result<Option<BTreeMap<String, (f64, f64)>>> {
        match self {
            Self::Redis { admin, .. } => Ok(Some(command_stats(&mut admin.clone()).await?)),
            Self::Embedded { .. } => Ok(None),
        }
    }

    /// Redis's `used_memory` (Redis only).
    async fn used_memory(&self) -> anyhow::Result<Option<i64>> {
        match self {
            Self::Redis { admin, .. } => Ok(Some(
                info_field(&mut admin.clone(), "memory", "used_memory").await? as i64,
            )),
            Self::Embedded { .. } => Ok(None),
        }
    }

    /// Deletes what the run wrote, unless `keep`.
    async fn finish(self, keep: bool) -> anyhow::Result<()> {
        let started = Instant::now();
        match self {
            Self::Redis { store, .. } => {
                let prefix = &store.config().prefix;
                if keep {
                    eprintln!("keys kept under {prefix}:*");
                } else {
                    store.wipe().await?;
                    eprintln!(
                        "wiped {prefix}:* in {:.1} s",
                        started.elapsed().as_secs_f64()
                    );
                }
            }
            Self::Embedded { store, scratch, .. } => {
                let url = store.config().url.clone();
                if keep {
                    store.close().await?;
                    eprintln!("database kept: {url}");
                } else if let Some(scratch) = scratch {
                    store.close().await?;
                    scratch.remove().await;
                    eprintln!("removed {url} in {:.1} s", started.elapsed().as_secs_f64());
                } else {
                    store.wipe().await?;
                    store.close().await?;
                    eprintln!("wiped {url} in {:.1} s", started.elapsed().as_secs_f64());
                }
            }
        }
        Ok(())
    }
}

impl Scratch {
    async fn remove(&self) {
        match self {
            Self::SqliteFile(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut file = path.clone().into_os_string();
                    file.push(suffix);
                    let _ = std::fs::remove_file(file);
                }
            }
            Self::PostgresDatabase { admin_url, name } => {
                let dropped = async {
                    let admin = Database::connect(admin_url.as_str()).await?;
                    admin
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await?;
                    admin.close().await
                };
                if let Err(err) = dropped.await {
                    eprintln!("cannot drop the database {name} at {admin_url}: {err}");
                }
            }
        }
    }
}

/// `url` with its database name replaced.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, ""), |(base, query)| (base, query));
    let authority = base.find("://").map_or(0, |at| at + 3);
    let path = base[authority..]
        .find('/')
        .map_or(base.len(), |at| authority + at);
    let query = if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    };
    format!("{}/{name}{query}", &base[..path])
}

/// Sends events `g` of this task's contacts (contact `g % contacts` belongs to task
/// `contact % tasks`), in increasing `g`, so each contact's messages go in order.
#[allow(clippy::too_many_arguments)]
async fn sender(
    runtime: Arc<Runtime>,
    task: usize,
    tasks: usize,
    contacts: usize,
    events: usize,
    greeting: bool,
    rate: Option<f64>,
    origin: Instant,
    sent: Option<Arc<Sent>>,
    run_tag: Arc<str>,
) -> anyhow::Result<()> {
    let clock = SystemClock;
    let rounds = events.div_ceil(contacts);
    for round in 0..rounds {
        for contact in (task..contacts).step_by(tasks) {
            let g = round * contacts + contact;
            if g >= events {
                break;
            }
            let scheduled = rate.map(|rate| origin + Duration::from_secs_f64(g as f64 / rate));
            if let Some(at) = scheduled {
                tokio::time::sleep_until(at.into()).await;
            }
            let (id, text) = if greeting {
                (wamid(&run_tag, contact, u64::MAX), "hi".to_owned())
            } else {
                (wamid(&run_tag, contact, g as u64), body(g))
            };
            let number = phone(contact);
            let message = InboundMessage {
                id,
                from: number,
                from_user_id: None,
                profile_name: Some("Ana".to_owned()),
                timestamp: clock.now(),
                content: Content::Text { body: text },
                referral: None,
                context_id: None,
                channel: None,
            };
            let event = Event::inbound(message, clock.now());
            let started = now_ns(origin);
            let appended = runtime.accept(event).await?;
            let ended = now_ns(origin);
            if appended != Appended::Accepted {
                bail!("event {g} was not accepted: {appended:?}");
            }
            if let Some(sent) = &sent {
                let from = scheduled.map_or(started, |at| (at - origin).as_nanos() as u64);
                sent.start[g].store(from + 1, Ordering::Relaxed);
                sent.accept[g].store(ended - started, Ordering::Relaxed);
                sent.last_accepted.fetch_max(ended, Ordering::Relaxed);
            }
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn send_all(
    runtime: &Arc<Runtime>,
    args: &Args,
    events: usize,
    greeting: bool,
    rate: Option<f64>,
    origin: Instant,
    sent: Option<Arc<Sent>>,
    run_tag: &Arc<str>,
) -> anyhow::Result<()> {
    let tasks = args.concurrency.clamp(1, args.contacts);
    let mut set = tokio::task::JoinSet::new();
    for task in 0..tasks {
        set.spawn(sender(
            runtime.clone(),
            task,
            tasks,
            args.contacts,
            events,
            greeting,
            rate,
            origin,
            sent.clone(),
            run_tag.clone(),
        ));
    }
    while let Some(done) = set.join_next().await {
        done??;
    }
    Ok(())
}

async fn wait_for(
    what: &str,
    timeout: Duration,
    done: impl Fn() -> (u64, u64),
) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    let mut reported = Instant::now();
    loop {
        let (have, want) = done();
        if have >= want {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("{what}: only {have} of {want} after {timeout:?}");
        }
        if reported.elapsed() > Duration::from_secs(5) {
            eprintln!("  … {what}: {have} / {want}");
            reported = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// `spool 28.0 µs, redis-server 19.5 µs`: CPU per event between two readings.
fn cpu_per_event(server: Option<&str>, before: &Cpu, after: &Cpu, events: usize) -> String {
    let per_event = |secs: f64| secs * 1e6 / events as f64;
    let spool = format!("spool {:.1} µs", per_event(after.process - before.process));
    match server {
        Some(server) => format!(
            "{spool}, {server} {:.1} µs",
            per_event(after.server - before.server)
        ),
        None => spool,
    }
}

fn percentile(sorted: &[u64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1] as f64 / 1e6
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.contacts == 0 || args.events == 0 {
        bail!("--contacts and --events must be positive");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads)
        .enable_all()
        .build()?;
    runtime.block_on(run(args))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let prefix = args.prefix.clone().unwrap_or_else(|| {
        format!(
            "spool-load-{}-{}",
            std::process::id(),
            SystemClock.now() % 1_000_000_000
        )
    });
    let run_tag: Arc<str> = Arc::from(prefix.as_str());
    let backend = Backend::open(&args, &prefix).await?;
    let outcome = measure(&args, &backend, &run_tag).await;
    backend.finish(args.keep).await?;
    outcome
}

async fn measure(args: &Args, backend: &Backend, run_tag: &Arc<str>) -> anyhow::Result<()> {
    let store = backend.store();
    let server = backend.server();
    let flows = Arc::new(FlowRegistry::new());
    flows.publish(
        spool_flows::compile_source(&conversation_flow())
            .map_err(|err| anyhow::anyhow!("the load flow does not compile: {err}"))?,
    );
    let engine = Arc::new(Engine::new(
        flows,
        Arc::new(NoServices),
        EngineConfig::default(),
    ));
    let origin = Instant::now();
    let channel = Arc::new(TimingChannel::new(origin, args.contacts, args.events));
    let config = RuntimeConfig {
        batch_size: args.batch_size,
        outbox_batch: args.outbox_batch,
        lease_ttl: Duration::from_secs_f64(args.lease_ttl_secs),
        ..RuntimeConfig::default()
    };
    let runtime = Arc::new(Runtime::new(
        store.clone(),
        engine,
        Arc::new(SystemClock),
        channel.clone(),
        config,
    ));
    let (mut stop, stopped) = tokio::sync::watch::channel(false);
    let mut workers = runtime.spawn(stopped);

    eprintln!(
        "load: {} contacts, {} events, {} senders, {}, {} partitions, {} threads, batch {}, {}; loadavg {}",
        args.contacts,
        args.events,
        args.concurrency.min(args.contacts),
        args.rate.map_or("closed loop".to_owned(), |rate| format!(
            "open loop at {rate} events/s"
        )),
        args.partitions,
        args.threads,
        args.batch_size,
        backend.describe(),
        loadavg(),
    );
    let memory_before = backend.used_memory().await?;

    // (1) Every contact says hi and ends up waiting for a reply.
    let setup = Instant::now();
    send_all(
        &runtime,
        args,
        args.contacts,
        true,
        None,
        origin,
        None,
        run_tag,
    )
    .await?;
    let contacts = args.contacts as u64;
    wait_for("greetings", Duration::from_secs(args.timeout_secs), || {
        (channel.greetings.load(Ordering::Relaxed), contacts)
    })
    .await?;
    let setup_secs = setup.elapsed().as_secs_f64();
    // Let the outbox deletions land before measuring memory.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let memory_waiting = backend.used_memory().await?;
    eprintln!(
        "setup: {} contacts waiting after {:.2} s ({:.0} events/s)",
        contacts,
        setup_secs,
        contacts as f64 / setup_secs
    );

    // (2) The measured replies.
    let sent = Arc::new(Sent {
        start: (0..args.events).map(|_| AtomicU64::new(0)).collect(),
        accept: (0..args.events).map(|_| AtomicU64::new(0)).collect(),
        last_accepted: AtomicU64::new(0),
    });
    let commands_before = backend.command_stats().await?;
    let cpu_before = backend.cpu().await?;
    let load_before = loadavg();
    if args.preload {
        let _ = stop.send(true);
        while workers.join_next().await.is_some() {}
    }
    let measure_origin = Instant::now();
    let first_ns = (measure_origin - origin).as_nanos() as u64;
    send_all(
        &runtime,
        args,
        args.events,
        false,
        args.rate,
        measure_origin,
        Some(sent.clone()),
        run_tag,
    )
    .await?;
    if args.preload {
        let accepted = measure_origin.elapsed().as_secs_f64();
        let cpu_accepted = backend.cpu().await?;
        eprintln!(
            "preload: {} events accepted in {:.2} s ({:.0} events/s), {} of CPU per event",
            args.events,
            accepted,
            args.events as f64 / accepted,
            cpu_per_event(server, &cpu_before, &cpu_accepted, args.events),
        );
        let drain = Instant::now();
        let (restart, stopped) = tokio::sync::watch::channel(false);
        stop = restart;
        workers = runtime.spawn(stopped);
        wait_for("echoes", Duration::from_secs(args.timeout_secs), || {
            (channel.echoes.load(Ordering::Relaxed), args.events as u64)
        })
        .await?;
        let drained = drain.elapsed().as_secs_f64();
        let cpu_drained = backend.cpu().await?;
        eprintln!(
            "preload: {} events applied and dispatched in {:.2} s ({:.0} events/s), {} of CPU per event",
            args.events,
            drained,
            args.events as f64 / drained,
            cpu_per_event(server, &cpu_accepted, &cpu_drained, args.events),
        );
    }
    let events = args.events as u64;
    wait_for("echoes", Duration::from_secs(args.timeout_secs), || {
        (channel.echoes.load(Ordering::Relaxed), events)
    })
    .await?;
    let cpu_after = backend.cpu().await?;
    let cpu_wall = measure_origin.elapsed().as_secs_f64();
    let commands_after = backend.command_stats().await?;
    let load_after = loadavg();

    let _ = stop.send(true);
    while workers.join_next().await.is_some() {}

    // Latencies, rates. The senders count from `measure_origin`, the channel from `origin`.
    let shift = (measure_origin - origin).as_nanos() as u64;
    let mut latencies = Vec::with_capacity(args.events);
    let mut accepts = Vec::with_capacity(args.events);
    let mut deliveries = Vec::with_capacity(args.events);
    for g in 0..args.events {
        let start = sent.start[g].load(Ordering::Relaxed);
        let delivered = channel.delivered[g].load(Ordering::Relaxed);
        if start == 0 || delivered == 0 {
            bail!("event {g} was not sent or not delivered");
        }
        let start = start - 1 + shift;
        let delivered = delivered - 1;
        latencies.push(delivered.saturating_sub(start));
        accepts.push(sent.accept[g].load(Ordering::Relaxed));
        deliveries.push(delivered);
    }
    // Latency by second of sending, to tell a steady tail from a passing stall.
    let mut by_second: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    for (g, latency) in latencies.iter().enumerate() {
        let start = sent.start[g].load(Ordering::Relaxed) - 1;
        by_second
            .entry(start / 1_000_000_000)
            .or_default()
            .push(*latency);
    }
    let seconds: Vec<String> = by_second
        .into_iter()
        .map(|(second, mut window)| {
            window.sort_unstable();
            format!(
                "{second}s: {:.1}/{:.1}/{:.1}",
                percentile(&window, 0.5),
                percentile(&window, 0.99),
                percentile(&window, 1.0)
            )
        })
        .collect();
    eprintln!(
        "latency p50/p99/max (ms) by second sent: {}",
        seconds.join(", ")
    );
    latencies.sort_unstable();
    accepts.sort_unstable();
    deliveries.sort_unstable();
    let last_delivered = *deliveries.last().unwrap_or(&0);
    let last_accepted = sent.last_accepted.load(Ordering::Relaxed) + shift;
    let wall = (last_delivered - first_ns) as f64 / 1e9;
    let accept_wall = (last_accepted.saturating_sub(first_ns)) as f64 / 1e9;
    // Steady state: the middle 80% of deliveries.
    let steady = if args.events >= 10 {
        let d10 = deliveries[args.events / 10];
        let d90 = deliveries[args.events * 9 / 10 - 1];
        (args.events as f64 * 0.8) / (d90.saturating_sub(d10).max(1) as f64 / 1e9)
    } else {
        f64::NAN
    };

    // (3) Checks.
    let duplicates = channel.duplicate_keys.load(Ordering::Relaxed);
    let out_of_order = channel.out_of_order.load(Ordering::Relaxed);
    let unexpected = channel.unexpected.load(Ordering::Relaxed);
    let unique_keys = channel.keys.lock().unwrap_or_else(|p| p.into_inner()).len();
    let mut wrong_state = 0usize;
    let mut by_partition: BTreeMap<u16, Vec<(usize, String)>> = BTreeMap::new();
    for contact in 0..args.contacts {
        let id = contact_id_for(&phone(contact));
        by_partition
            .entry(store.partition_of(&id))
            .or_default()
            .push((contact, id));
    }
    for (partition, members) in &by_partition {
        for chunk in members.chunks(500) {
            let ids: Vec<String> = chunk.iter().map(|(_, id)| id.clone()).collect();
            let states = store.load(*partition, &ids).await?;
            for ((contact, _), state) in chunk.iter().zip(states) {
                let count = args.events.saturating_sub(*contact).div_ceil(args.contacts);
                let last = (count > 0).then(|| body((count - 1) * args.contacts + contact));
                let ok = state.as_ref().is_some_and(|state| {
                    state.runs.len() == 1 && {
                        let run = &state.runs[0];
                        run.status == RunStatus::WaitingReply
                            && run.vars.get("n") == Some(&json!(count))
                            && last
                                .as_ref()
                                .is_none_or(|last| run.vars.get("last") == Some(&json!(last)))
                    }
                });
                if !ok {
                    wrong_state += 1;
                    if wrong_state <= 3 {
                        eprintln!("contact {contact}: unexpected state {state:?}");
                    }
                }
            }
        }
    }

    // (4) Memory (Redis only).
    let sample_contact = contact_id_for(&phone(args.contacts / 2));
    let timers = store.timers(&sample_contact).await?;
    let mut memory_after = None;
    let mut contact_usage = None;
    let mut breakdown = None;
    if let Backend::Redis { store, admin } = backend {
        tokio::time::sleep(Duration::from_millis(300)).await;
        memory_after = backend.used_memory().await?;
        contact_usage = Some(
            store
                .memory_usage_of_contact(&sample_contact)
                .await?
                .unwrap_or(0),
        );
        if !args.no_breakdown {
            breakdown = Some(memory_breakdown(&mut admin.clone(), &store.config().prefix).await?);
        }
    }

    // Report.
    let cpu_secs = |f: fn(&Cpu) -> f64| f(&cpu_after) - f(&cpu_before);
    let busy = cpu_secs(|c| c.machine_busy);
    let total = cpu_secs(|c| c.machine_total);
    let process = cpu_secs(|c| c.process);
    let server_cpu = cpu_secs(|c| c.server);
    let irq = cpu_secs(|c| c.machine_irq);
    let others = (busy - process - server_cpu - irq).max(0.0);
    let na = format!("n/a ({} store)", args.store.name());
    println!();
    println!(
        "## {}: {} contacts, {} events, {}, {} senders, {} partitions, {} threads, batch {}",
        args.store.name(),
        args.contacts,
        args.events,
        args.rate.map_or("closed loop".to_owned(), |rate| format!(
            "open loop {rate:.0}/s"
        )),
        args.concurrency.min(args.contacts),
        args.partitions,
        args.threads,
        args.batch_size
    );
    println!();
    println!("| measure | value |");
    println!("|---|---|");
    println!(
        "| events applied end to end (first accept → last echo) | {:.0} events/s over {:.2} s |",
        args.events as f64 / wall,
        wall
    );
    println!("| steady state (middle 80% of echoes) | {steady:.0} events/s |");
    println!(
        "| accepted (first accept → last accept returned) | {:.0} events/s |",
        args.events as f64 / accept_wall
    );
    println!(
        "| latency accept → echo at the channel: p50 / p90 / p99 / p99.9 / max | {:.2} / {:.2} / {:.2} / {:.2} / {:.2} ms |",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.9),
        percentile(&latencies, 0.99),
        percentile(&latencies, 0.999),
        percentile(&latencies, 1.0)
    );
    println!(
        "| accept call: p50 / p99 / max | {:.2} / {:.2} / {:.2} ms |",
        percentile(&accepts, 0.5),
        percentile(&accepts, 0.99),
        percentile(&accepts, 1.0)
    );
    println!(
        "| CPU during the measured phase, in cores (of {:.1}) | spool {:.2}{}, irq/softirq {:.2}, other processes {:.2}, idle {:.2} |",
        total / cpu_wall,
        process / cpu_wall,
        server.map_or(String::new(), |server| format!(
            ", {server} {:.2}",
            server_cpu / cpu_wall
        )),
        irq / cpu_wall,
        others / cpu_wall,
        (total - busy) / cpu_wall
    );
    println!(
        "| CPU per event | {} |",
        cpu_per_event(server, &cpu_before, &cpu_after, args.events)
    );
    let commands = match (&commands_before, &commands_after) {
        (Some(before), Some(after)) => {
            let mut commands: Vec<(String, f64, f64)> = after
                .iter()
                .map(|(name, (calls, usec))| {
                    let (calls_before, usec_before) = before.get(name).copied().unwrap_or_default();
                    (name.clone(), calls - calls_before, usec - usec_before)
                })
                .filter(|(_, calls, _)| *calls > 0.0)
                .collect();
            commands.sort_by(|a, b| b.2.total_cmp(&a.2));
            let per_event = args.events as f64;
            commands
                .iter()
                .take(12)
                .map(|(name, calls, usec)| {
                    format!(
                        "{name} {:.2} ({:.2} µs)",
                        calls / per_event,
                        usec / per_event
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        }
        _ => na.clone(),
    };
    println!(
        "| Redis commands per event: calls (µs inside Redis; commands run by scripts are also counted on their own) | {commands} |"
    );
    println!("| loadavg before / after | {load_before} / {load_after} |");
    println!(
        "| checks | {} echoes, {} unique keys (want {}), {} duplicate sends, {} out of order, {} unexpected, {} contacts in a wrong state |",
        channel.echoes.load(Ordering::Relaxed),
        unique_keys,
        args.contacts + args.events,
        duplicates,
        out_of_order,
        unexpected,
        wrong_state
    );
    let memory = match (memory_before, memory_waiting, memory_after) {
        (Some(before), Some(waiting), Some(after)) => format!(
            "{:.0} B after setup (1 message each), {:.0} B after the run ({:.1} messages each on average)",
            (waiting - before) as f64 / args.contacts as f64,
            (after - before) as f64 / args.contacts as f64,
            (args.contacts + args.events) as f64 / args.contacts as f64
        ),
        _ => na.clone(),
    };
    println!("| Redis used_memory delta / waiting contact | {memory} |");
    println!(
        "| MEMORY USAGE of a contact key ({sample_contact}) | {}; timers: {} |",
        contact_usage.map_or(na, |bytes| format!("{bytes} B")),
        timers.len()
    );
    if let Some(breakdown) = &breakdown {
        let per = |name: &str| breakdown.get(name).copied().unwrap_or((0, 0));
        for (name, (keys, bytes)) in breakdown {
            println!(
                "| keys `{name}` | {keys} keys, {bytes} B, {:.0} B per contact |",
                *bytes as f64 / args.contacts as f64
            );
        }
        let (_, contact_bytes) = per("c:<contact>");
        let (_, timer_bytes) = per("timers");
        let fixed: i64 = breakdown
            .iter()
            .filter(|(name, _)| !name.starts_with("seen:") && !name.starts_with("sent:"))
            .map(|(_, (_, bytes))| *bytes)
            .sum();
        println!(
            "| resting cost per waiting contact (contact key + timer entry; all non-dedupe keys) | {:.0} B; {:.0} B |",
            (contact_bytes + timer_bytes) as f64 / args.contacts as f64,
            fixed as f64 / args.contacts as f64
        );
    }
    println!();

    if duplicates > 0
        || out_of_order > 0
        || unexpected > 0
        || wrong_state > 0
        || unique_keys != args.contacts + args.events
    {
        bail!("the load run broke a guarantee (see the checks row)");
    }
    Ok(())
}

/// Bytes (MEMORY USAGE, exact) of every key under the prefix, by kind of key.
async fn memory_breakdown(
    con: &mut redis::aio::MultiplexedConnection,
    prefix: &str,
) -> anyhow::Result<BTreeMap<String, (i64, i64)>> {
    let mut totals: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    let pattern = format!("{prefix}:*");
    let mut cursor: u64 = 0;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(&pattern)
            .arg("COUNT")
            .arg(1000)
            .query_async(con)
            .await?;
        if !keys.is_empty() {
            let mut pipe = redis::pipe();
            for key in &keys {
                pipe.cmd("MEMORY")
                    .arg("USAGE")
                    .arg(key)
                    .arg("SAMPLES")
                    .arg(0);
            }
            let sizes: Vec<Option<i64>> = pipe.query_async(con).await?;
            for (key, size) in keys.iter().zip(sizes) {
                // `<prefix>:{pN}:<name>`
                let name = key.split_once("}:").map_or(key.as_str(), |(_, name)| name);
                let kind = if name.starts_with("c:") {
                    "c:<contact>".to_owned()
                } else if name.starts_with("seen:") {
                    "seen:<dedupe key>".to_owned()
                } else if name.starts_with("sent:") {
                    "sent:<message key>".to_owned()
                } else {
                    name.to_owned()
                };
                let entry = totals.entry(kind).or_insert((0, 0));
                entry.0 += 1;
                entry.1 += size.unwrap_or(0);
            }
        }
        if next == 0 {
            return Ok(totals);
        }
        cursor = next;
    }
}
