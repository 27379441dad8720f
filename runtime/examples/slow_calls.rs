//! Does a slow outside call hold up other contacts? Two groups of contacts share the same
//! partitions (contacts hash to partitions, so each group spreads over all of them):
//!
//! - `--contacts` contacts each send `crm`, all at the start: the "crm" flow calls a stub CRM
//!   (`http_request`, POST, answers `{"score": 7}` after `--crm-delay-ms`), then sends
//!   "Your score is 7".
//! - `--contacts` other contacts each send `hi` (the "reply" flow answers "Hello!" and waits
//!   for a reply), then one more message as soon as "Hello!" reaches them, answered "Got it".
//!   Their `hi`s go out open loop, starting with the crm messages, so that the reply
//!   contacts send `--rate` messages/s in all (`hi`s at half the rate, the second messages
//!   following them).
//!
//! The reply flow calls nothing, so its latency (from the contact sending, i.e. the
//! scheduled time of a `hi` or the arrival of "Hello!", to the channel receiving the answer)
//! shows how much the calls of other contacts in its partition hold it up. The crm flow's
//! completion time (from accepting `crm` to "Your score is 7") is reported beside it.
//!
//! The runtime runs as a server runs it (`Runtime::spawn`, `HttpServices` as the services)
//! on Redis under a fresh key prefix (deleted at the end), or with `--store sqlite` on the
//! embedded store in a temporary file (removed at the end). It uses only the runtime's
//! public API, so the same tool measures every version of the runtime. Results and how to
//! read them: `docs/performance.md`, "Slow calls and the partition loop".
//!
//! ```sh
//! cargo run --release -p spool-runtime --example slow_calls
//! cargo run --release -p spool-runtime --example slow_calls -- --store sqlite
//! ```

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use async_trait::async_trait;
use clap::{Parser, ValueEnum};
use serde_json::{Value, json};
use spool_nodes::{Content, InboundMessage, Outbound, OutboundBody};
use spool_runtime::channel::{Channel, SendError, Sent};
use spool_runtime::clock::{Clock, SystemClock};
use spool_runtime::http::HttpServices;
use spool_runtime::store::embedded::{EmbeddedConfig, EmbeddedStore};
use spool_runtime::store::redis::{RedisConfig, RedisStore};
use spool_runtime::store::{Appended, Store};
use spool_runtime::{Engine, EngineConfig, Event, FlowRegistry, Runtime, RuntimeConfig};
use tokio::sync::mpsc;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[derive(Parser, Debug)]
#[command(about = "Measures whether slow http_request calls hold up other contacts' replies")]
struct Args {
    /// Partitions of the store.
    #[arg(long, default_value_t = 16)]
    partitions: u16,
    /// How long the stub CRM takes to answer.
    #[arg(long, default_value_t = 2000)]
    crm_delay_ms: u64,
    /// Contacts in each group (crm, reply).
    #[arg(long, default_value_t = 1000)]
    contacts: usize,
    /// Messages/s the reply contacts send in all (open loop).
    #[arg(long, default_value_t = 200.0)]
    rate: f64,
    /// The store the runtime runs on.
    #[arg(long, value_enum, default_value_t = StoreKind::Redis)]
    store: StoreKind,
    #[arg(long, env = "REDIS_URL", default_value = "redis://127.0.0.1:6379")]
    redis_url: String,
    /// Give up waiting for the answers after this many seconds.
    #[arg(long, default_value_t = 900)]
    timeout_secs: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum StoreKind {
    Redis,
    Sqlite,
}

const SCORE_TEXT: &str = "Your score is 7";
const CRM_FAILED_TEXT: &str = "The CRM did not answer";
const HELLO_TEXT: &str = "Hello!";
const GOT_IT_TEXT: &str = "Got it";

fn flow(id: &str, nodes: Value, edges: &[(&str, &str, &str)]) -> String {
    let edges: Vec<Value> = edges
        .iter()
        .map(|(from, port, to)| json!({ "from": from, "port": port, "to": to }))
        .collect();
    json!({ "schema": 1, "id": id, "name": id, "nodes": nodes, "edges": edges }).to_string()
}

fn crm_flow(crm_url: &str) -> String {
    let nodes = json!([
        { "id": "start", "type": "inbound_message", "config": { "match": { "type": "keyword", "keywords": ["crm"] } } },
        { "id": "lookup", "type": "http_request", "config": {
            "method": "POST",
            "url": crm_url,
            "body": "{\"phone\": \"{{ contact.phone }}\"}",
            "timeout": "10s",
            "retries": 0,
            "save": { "score": "response.body.score" }
        } },
        { "id": "score", "type": "send_text", "config": { "text": "Your score is {{ vars.score }}" } },
        { "id": "failed", "type": "send_text", "config": { "text": CRM_FAILED_TEXT } },
    ]);
    flow(
        "crm",
        nodes,
        &[
            ("start", "next", "lookup"),
            ("lookup", "ok", "score"),
            ("lookup", "error", "failed"),
        ],
    )
}

fn reply_flow() -> String {
    let nodes = json!([
        { "id": "start", "type": "inbound_message", "config": { "match": { "type": "keyword", "keywords": ["hi"] } } },
        { "id": "hello", "type": "send_text", "config": { "text": HELLO_TEXT } },
        { "id": "wait", "type": "wait_for_reply", "config": { "variable": "answer", "timeout": "1h" } },
        { "id": "got_it", "type": "send_text", "config": { "text": GOT_IT_TEXT } },
        { "id": "bye", "type": "end" },
    ]);
    flow(
        "reply",
        nodes,
        &[
            ("start", "next", "hello"),
            ("hello", "next", "wait"),
            ("wait", "reply", "got_it"),
            ("wait", "timeout", "bye"),
        ],
    )
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Contact {
    Crm(usize),
    Reply(usize),
}

impl Contact {
    fn phone(self) -> String {
        match self {
            Self::Crm(i) => format!("55118{i:08}"),
            Self::Reply(i) => format!("55119{i:08}"),
        }
    }
}

/// Per contact of a group, the ns since the origin + 1 at which something happened (0: not
/// yet).
#[derive(Debug)]
struct Moments(Vec<AtomicU64>);

impl Moments {
    fn new(contacts: usize) -> Self {
        Self((0..contacts).map(|_| AtomicU64::new(0)).collect())
    }

    fn set(&self, contact: usize, at_ns: u64) {
        self.0[contact].store(at_ns + 1, Ordering::Relaxed);
    }

    fn count(&self) -> usize {
        self.0
            .iter()
            .filter(|at| at.load(Ordering::Relaxed) > 0)
            .count()
    }

    /// `to - from` per contact, in ns; None if either moment is missing.
    fn since(&self, from: &Moments) -> Option<Vec<u64>> {
        self.0
            .iter()
            .zip(&from.0)
            .map(|(to, from)| {
                let (to, from) = (to.load(Ordering::Relaxed), from.load(Ordering::Relaxed));
                (to > 0 && from > 0).then(|| to.saturating_sub(from))
            })
            .collect()
    }
}

/// What the contacts did and received, timed from one origin.
#[derive(Debug)]
struct Timeline {
    origin: Instant,
    crm_sent: Moments,
    crm_answered: Moments,
    hi_sent: Moments,
    hello_received: Moments,
    second_sent: Moments,
    got_it_received: Moments,
    crm_failed: AtomicU64,
    duplicates: AtomicU64,
    unexpected: AtomicU64,
    accept_failures: Mutex<Vec<String>>,
}

impl Timeline {
    fn new(contacts: usize) -> Self {
        Self {
            origin: Instant::now(),
            crm_sent: Moments::new(contacts),
            crm_answered: Moments::new(contacts),
            hi_sent: Moments::new(contacts),
            hello_received: Moments::new(contacts),
            second_sent: Moments::new(contacts),
            got_it_received: Moments::new(contacts),
            crm_failed: AtomicU64::new(0),
            duplicates: AtomicU64::new(0),
            unexpected: AtomicU64::new(0),
            accept_failures: Mutex::new(Vec::new()),
        }
    }

    fn now_ns(&self) -> u64 {
        self.origin.elapsed().as_nanos() as u64
    }

    fn failures(&self) -> std::sync::MutexGuard<'_, Vec<String>> {
        self.accept_failures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The channel: timestamps each message as it is sent, and has a reply contact answer
/// "Hello!" at once (through `follow_ups`, so the outbox is never held up by an accept).
#[derive(Debug)]
struct TimingChannel {
    timeline: Arc<Timeline>,
    contacts: HashMap<String, Contact>,
    keys: Mutex<HashSet<String>>,
    follow_ups: mpsc::UnboundedSender<usize>,
}

#[async_trait]
impl Channel for TimingChannel {
    async fn send(&self, message: &Outbound) -> Result<Sent, SendError> {
        let at = self.timeline.now_ns();
        let timeline = &self.timeline;
        let fresh = self
            .keys
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(message.key.clone());
        if !fresh {
            timeline.duplicates.fetch_add(1, Ordering::Relaxed);
            return Ok(Sent::default());
        }
        let text = match &message.body {
            OutboundBody::Text { text, .. } => text.as_str(),
            _ => "",
        };
        match (self.contacts.get(&message.to), text) {
            (Some(Contact::Crm(i)), SCORE_TEXT) => timeline.crm_answered.set(*i, at),
            (Some(Contact::Crm(i)), CRM_FAILED_TEXT) => {
                timeline.crm_failed.fetch_add(1, Ordering::Relaxed);
                timeline.crm_answered.set(*i, at);
            }
            (Some(Contact::Reply(i)), HELLO_TEXT) => {
                timeline.hello_received.set(*i, at);
                let _ = self.follow_ups.send(*i);
            }
            (Some(Contact::Reply(i)), GOT_IT_TEXT) => timeline.got_it_received.set(*i, at),
            _ => {
                timeline.unexpected.fetch_add(1, Ordering::Relaxed);
            }
        }
        Ok(Sent::default())
    }
}

/// Accepts one text message from `contact` in a task of its own, so that a slow accept
/// delays neither the schedule nor other contacts; a failure is recorded in the timeline.
fn send(runtime: &Arc<Runtime>, timeline: &Arc<Timeline>, contact: Contact, text: &str, n: u8) {
    let runtime = runtime.clone();
    let timeline = timeline.clone();
    let text = text.to_owned();
    tokio::spawn(async move {
        let clock = SystemClock;
        let phone = contact.phone();
        let message = InboundMessage {
            id: format!("wamid.slow-calls.{}.{phone}.{n}", std::process::id()),
            from: phone,
            from_user_id: None,
            profile_name: Some("Ana".to_owned()),
            timestamp: clock.now(),
            content: Content::Text { body: text },
            referral: None,
            context_id: None,
            channel: None,
        };
        let outcome = runtime.accept(Event::inbound(message, clock.now())).await;
        let failure = match outcome {
            Ok(Appended::Accepted) => return,
            Ok(other) => format!("{contact:?} message {n}: {other:?}"),
            Err(err) => format!("{contact:?} message {n}: {err}"),
        };
        timeline.failures().push(failure);
    });
}

/// The reply contacts' `hi`s, open loop: contact `i` at `i × 2 / rate` s.
async fn send_his(runtime: Arc<Runtime>, timeline: Arc<Timeline>, contacts: usize, rate: f64) {
    let interval = 2.0 / rate;
    for i in 0..contacts {
        let offset = Duration::from_secs_f64(i as f64 * interval);
        tokio::time::sleep_until((timeline.origin + offset).into()).await;
        // Latency counts from the schedule, so a late wake-up cannot hide queueing.
        timeline.hi_sent.set(i, offset.as_nanos() as u64);
        send(&runtime, &timeline, Contact::Reply(i), "hi", 0);
    }
}

/// Each reply contact's second message, sent as soon as "Hello!" reaches it.
async fn send_second_messages(
    runtime: Arc<Runtime>,
    timeline: Arc<Timeline>,
    mut follow_ups: mpsc::UnboundedReceiver<usize>,
) {
    while let Some(i) = follow_ups.recv().await {
        timeline.second_sent.set(i, timeline.now_ns());
        send(&runtime, &timeline, Contact::Reply(i), "thanks", 1);
    }
}

enum Backend {
    Redis(Arc<RedisStore>),
    Sqlite(Arc<EmbeddedStore>, PathBuf),
}

impl Backend {
    async fn open(args: &Args) -> anyhow::Result<Self> {
        let name = format!(
            "spool-slow-calls-{}-{}",
            std::process::id(),
            SystemClock.now() % 1_000_000_000
        );
        match args.store {
            StoreKind::Redis => {
                let config = RedisConfig::new(args.redis_url.clone())
                    .with_prefix(name)
                    .with_partitions(args.partitions);
                let store = RedisStore::connect(config)
                    .await
                    .with_context(|| format!("Redis at {}", args.redis_url))?;
                Ok(Self::Redis(Arc::new(store)))
            }
            StoreKind::Sqlite => {
                let file = std::env::temp_dir().join(format!("{name}.sqlite"));
                let config = EmbeddedConfig::sqlite(&file).with_partitions(args.partitions);
                let store = EmbeddedStore::connect(config)
                    .await
                    .with_context(|| format!("SQLite at {}", file.display()))?;
                Ok(Self::Sqlite(Arc::new(store), file))
            }
        }
    }

    fn store(&self) -> Arc<dyn Store> {
        match self {
            Self::Redis(store) => store.clone(),
            Self::Sqlite(store, _) => store.clone(),
        }
    }

    /// Deletes what the run wrote.
    async fn finish(self) -> anyhow::Result<()> {
        match self {
            Self::Redis(store) => store.wipe().await?,
            Self::Sqlite(store, file) => {
                store.close().await?;
                for suffix in ["", "-wal", "-shm"] {
                    let mut path = file.clone().into_os_string();
                    path.push(suffix);
                    let _ = std::fs::remove_file(path);
                }
            }
        }
        Ok(())
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.contacts == 0 || args.rate <= 0.0 {
        bail!("--contacts and --rate must be positive");
    }
    let backend = Backend::open(&args).await?;
    let outcome = measure(&args, backend.store()).await;
    backend.finish().await?;
    outcome
}

async fn measure(args: &Args, store: Arc<dyn Store>) -> anyhow::Result<()> {
    let crm = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/score"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "score": 7 }))
                .set_delay(Duration::from_millis(args.crm_delay_ms)),
        )
        .mount(&crm)
        .await;

    let flows = Arc::new(FlowRegistry::new());
    for source in [crm_flow(&format!("{}/score", crm.uri())), reply_flow()] {
        flows.publish(
            spool_flows::compile_source(&source)
                .map_err(|err| anyhow::anyhow!("a benchmark flow does not compile: {err}"))?,
        );
    }
    let services = Arc::new(HttpServices::new(None)?);
    let engine = Arc::new(Engine::new(flows, services, EngineConfig::default()));

    let n = args.contacts;
    let timeline = Arc::new(Timeline::new(n));
    let (follow_ups, follow_ups_received) = mpsc::unbounded_channel();
    let contacts = (0..n)
        .flat_map(|i| [Contact::Crm(i), Contact::Reply(i)])
        .map(|contact| (contact.phone(), contact))
        .collect();
    let channel = Arc::new(TimingChannel {
        timeline: timeline.clone(),
        contacts,
        keys: Mutex::new(HashSet::new()),
        follow_ups,
    });
    let runtime = Arc::new(Runtime::new(
        store,
        engine,
        Arc::new(SystemClock),
        channel,
        RuntimeConfig::default(),
    ));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut workers = runtime.spawn(stopped);

    for i in 0..n {
        timeline.crm_sent.set(i, timeline.now_ns());
        send(&runtime, &timeline, Contact::Crm(i), "crm", 0);
    }
    tokio::spawn(send_his(runtime.clone(), timeline.clone(), n, args.rate));
    tokio::spawn(send_second_messages(
        runtime.clone(),
        timeline.clone(),
        follow_ups_received,
    ));

    let finished = wait_for_answers(&timeline, n, Duration::from_secs(args.timeout_secs)).await;
    let wall = timeline.origin.elapsed();
    let _ = stop.send(true);
    while workers.join_next().await.is_some() {}
    finished?;

    let crm_calls = crm.received_requests().await.map_or(0, |calls| calls.len());
    report(args, &timeline, wall, crm_calls)
}

async fn wait_for_answers(timeline: &Timeline, n: usize, timeout: Duration) -> anyhow::Result<()> {
    let mut reported = Instant::now();
    loop {
        let crm = timeline.crm_answered.count();
        let got_it = timeline.got_it_received.count();
        if crm == n && got_it == n {
            return Ok(());
        }
        if let Some(failure) = timeline.failures().first() {
            bail!("a message was not accepted: {failure}");
        }
        if timeline.origin.elapsed() > timeout {
            bail!(
                "after {timeout:?}: only {crm} of {n} crm answers and {got_it} of {n} second reply answers"
            );
        }
        if reported.elapsed() > Duration::from_secs(10) {
            eprintln!(
                "  … {:.0} s: crm answers {crm}/{n}, \"Hello!\" {}/{n}, \"Got it\" {got_it}/{n}",
                timeline.origin.elapsed().as_secs_f64(),
                timeline.hello_received.count(),
            );
            reported = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// p50 / p90 / p99 / max of `latencies` (ns), in ms.
fn percentiles(mut latencies: Vec<u64>) -> String {
    latencies.sort_unstable();
    let at = |q: f64| {
        let rank = ((q * latencies.len() as f64).ceil() as usize).clamp(1, latencies.len());
        latencies
            .get(rank - 1)
            .map_or(f64::NAN, |ns| *ns as f64 / 1e6)
    };
    format!(
        "{:.0} | {:.0} | {:.0} | {:.0}",
        at(0.5),
        at(0.9),
        at(0.99),
        at(1.0)
    )
}

fn report(
    args: &Args,
    timeline: &Timeline,
    wall: Duration,
    crm_calls: usize,
) -> anyhow::Result<()> {
    let missing = || anyhow::anyhow!("a message was not sent or not answered");
    let first = timeline
        .hello_received
        .since(&timeline.hi_sent)
        .ok_or_else(missing)?;
    let second = timeline
        .got_it_received
        .since(&timeline.second_sent)
        .ok_or_else(missing)?;
    let crm = timeline
        .crm_answered
        .since(&timeline.crm_sent)
        .ok_or_else(missing)?;
    let both: Vec<u64> = first.iter().chain(&second).copied().collect();
    let over_a_second = both.iter().filter(|ns| **ns > 1_000_000_000).count();
    let n = args.contacts;

    println!();
    println!(
        "## slow_calls: {:?} store, {} partitions, CRM answers after {} ms, {n} crm + {n} reply contacts, reply contacts sending {:.0} messages/s",
        args.store, args.partitions, args.crm_delay_ms, args.rate
    );
    println!();
    println!("| latency, ms | p50 | p90 | p99 | max |");
    println!("|---|---|---|---|---|");
    println!(
        "| reply flow, both answers ({}) | {} |",
        both.len(),
        percentiles(both)
    );
    println!("| reply flow, `hi` → \"Hello!\" | {} |", percentiles(first));
    println!(
        "| reply flow, second message → \"Got it\" | {} |",
        percentiles(second)
    );
    println!(
        "| crm flow, `crm` → \"Your score is 7\" | {} |",
        percentiles(crm)
    );
    println!();
    println!("| measure | value |");
    println!("|---|---|");
    println!(
        "| reply answers later than 1 s | {over_a_second} of {} |",
        2 * n
    );
    println!(
        "| first message → last answer | {:.1} s |",
        wall.as_secs_f64()
    );
    println!("| calls the stub CRM received | {crm_calls} (one per crm contact: {n}) |");
    let crm_failed = timeline.crm_failed.load(Ordering::Relaxed);
    let duplicates = timeline.duplicates.load(Ordering::Relaxed);
    let unexpected = timeline.unexpected.load(Ordering::Relaxed);
    println!(
        "| checks | {crm_failed} crm calls failed, {duplicates} duplicate sends, {unexpected} unexpected messages |"
    );
    println!();
    if crm_failed > 0 || duplicates > 0 || unexpected > 0 {
        bail!("the run broke a guarantee (see the checks row)");
    }
    Ok(())
}
