//! A runtime on a real store (Redis, or the embedded store on SQLite or PostgreSQL) with a
//! clock the test moves and a channel that records, plus helpers that read like what a
//! contact does.
#![allow(dead_code)] // each test file uses part of it

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};
use serde_json::Value;
use spool_nodes::{Content, InboundMessage, Millis, Run, Services};
use spool_runtime::TimerRef;
use spool_runtime::channel::RecordingChannel;
use spool_runtime::clock::{Clock, ManualClock};
use spool_runtime::http::HttpServices;
use spool_runtime::notice::{Notice, NoticeKind, Observer};
use spool_runtime::state::{ContactChange, contact_id_for};
use spool_runtime::store::embedded::{EmbeddedConfig, EmbeddedStore};
use spool_runtime::store::redis::{RedisConfig, RedisStore};
use spool_runtime::store::{
    Appended, Batch, Calling, Erased, Error, Lease, Logged, Pending, ReadBatch, Store,
};
use spool_runtime::{
    ContactState, Engine, EngineConfig, Event, EventKind, FlowRegistry, Runtime, RuntimeConfig,
};

/// 2026-11-23T10:00:00Z: a Monday morning.
pub const START: Millis = 1_795_428_000_000;

static COUNTER: AtomicU64 = AtomicU64::new(0);

pub fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// A store under a prefix no other test uses. Fails loudly when Redis is not there.
pub async fn redis_store(partitions: u16) -> Arc<RedisStore> {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let prefix = format!("spool-test-{}-{n}", std::process::id());
    let config = RedisConfig::new(redis_url())
        .with_prefix(prefix)
        .with_partitions(partitions);
    match RedisStore::connect(config).await {
        Ok(store) => Arc::new(store),
        Err(err) => panic!(
            "Redis is not reachable at {} ({err}). `make test` starts a local redis-server; or set REDIS_URL.",
            redis_url()
        ),
    }
}

pub fn postgres_url() -> String {
    std::env::var("SPOOL_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// Which store a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Redis,
    /// The embedded store on a SQLite file of its own.
    Sqlite,
    /// The embedded store on a PostgreSQL database of its own.
    Postgres,
}

/// A store for one test, and what to clean up after it.
#[derive(Debug)]
pub struct TestStore {
    pub store: Arc<dyn Store>,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    Redis(Arc<RedisStore>),
    Embedded(Arc<EmbeddedStore>, TempDatabase),
}

impl TestStore {
    pub async fn new(backend: Backend, partitions: u16) -> Self {
        match backend {
            Backend::Redis => {
                let store = redis_store(partitions).await;
                Self {
                    store: store.clone(),
                    kind: Kind::Redis(store),
                }
            }
            Backend::Sqlite => {
                let path = std::env::temp_dir().join(format!(
                    "spool-test-{}-{}.sqlite",
                    std::process::id(),
                    COUNTER.fetch_add(1, Ordering::SeqCst)
                ));
                let place = Place::Sqlite(path.clone());
                place.remove_files();
                let temp = TempDatabase(Some(place));
                let config = EmbeddedConfig::sqlite(&path).with_partitions(partitions);
                let store = EmbeddedStore::connect(config).await.unwrap_or_else(|err| {
                    panic!("cannot open SQLite at {}: {err}", path.display())
                });
                Self::embedded(store, temp)
            }
            Backend::Postgres => {
                let (url, temp) = postgres_database().await;
                let config = EmbeddedConfig::new(url).with_partitions(partitions);
                let store = EmbeddedStore::connect(config)
                    .await
                    .unwrap_or_else(|err| panic!("cannot open the test database: {err}"));
                Self::embedded(store, temp)
            }
        }
    }

    fn embedded(store: EmbeddedStore, temp: TempDatabase) -> Self {
        let store = Arc::new(store);
        Self {
            store: store.clone(),
            kind: Kind::Embedded(store, temp),
        }
    }

    /// The embedded store itself, when it is one.
    pub fn embedded_store(&self) -> Option<&Arc<EmbeddedStore>> {
        match &self.kind {
            Kind::Embedded(store, _) => Some(store),
            Kind::Redis(_) => None,
        }
    }

    /// What reads everything this store keeps, bypassing the [`Store`] trait.
    pub fn inspector(&self) -> Inspector {
        match &self.kind {
            Kind::Redis(store) => Inspector::Redis {
                prefix: store.config().prefix.clone(),
            },
            Kind::Embedded(store, _) => Inspector::Embedded(store.database().clone()),
        }
    }

    /// Deletes what the test stored: its Redis keys, its SQLite file, its PostgreSQL database.
    pub async fn finish(self) {
        match self.kind {
            Kind::Redis(store) => store.wipe().await.expect("wipe test keys"),
            Kind::Embedded(store, mut temp) => {
                store.close().await.expect("close the test database");
                temp.remove().await;
            }
        }
    }
}

/// Reads a store's raw contents, to check what is (not) kept anywhere in it.
#[derive(Clone, Debug)]
pub enum Inspector {
    Redis { prefix: String },
    Embedded(DatabaseConnection),
}

impl Inspector {
    /// Every key and value under the Redis prefix, or every text column of the runtime's
    /// tables, as one text.
    pub async fn everything(&self) -> String {
        match self {
            Self::Redis { prefix } => redis_dump(prefix).await,
            Self::Embedded(db) => {
                let mut all = String::new();
                for (table, columns) in [
                    ("runtime_contacts", "contact_id, state"),
                    ("runtime_events", "body"),
                    ("runtime_seen", "dedupe_key"),
                    ("runtime_timers", "member, contact_id"),
                    ("runtime_outbox", "body"),
                    ("runtime_counters", "version, name"),
                    ("runtime_contact_aliases", "alias, contact_id"),
                ] {
                    let rows = db
                        .query_all_raw(sea_orm::Statement::from_string(
                            db.get_database_backend(),
                            format!("SELECT {columns} FROM {table}"),
                        ))
                        .await
                        .unwrap_or_else(|err| panic!("cannot read {table}: {err}"));
                    for row in rows {
                        for index in 0..columns.split(',').count() {
                            let text: String = row.try_get_by_index(index).expect("text");
                            all.push_str(&text);
                            all.push('\n');
                        }
                    }
                }
                all
            }
        }
    }
}

async fn redis_dump(prefix: &str) -> String {
    let client = redis::Client::open(redis_url()).expect("redis url");
    let mut con = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis connection");
    let mut all = String::new();
    let mut cursor: u64 = 0;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(format!("{prefix}:*"))
            .arg("COUNT")
            .arg(1000)
            .query_async(&mut con)
            .await
            .expect("scan");
        for key in keys {
            let kind: String = redis::cmd("TYPE")
                .arg(&key)
                .query_async(&mut con)
                .await
                .expect("type");
            let value: redis::Value = match kind.as_str() {
                "string" => redis::cmd("GET").arg(&key).query_async(&mut con).await,
                "hash" => redis::cmd("HGETALL").arg(&key).query_async(&mut con).await,
                "zset" => {
                    redis::cmd("ZRANGE")
                        .arg(&key)
                        .arg(0)
                        .arg(-1)
                        .arg("WITHSCORES")
                        .query_async(&mut con)
                        .await
                }
                "stream" => {
                    redis::cmd("XRANGE")
                        .arg(&key)
                        .arg("-")
                        .arg("+")
                        .query_async(&mut con)
                        .await
                }
                "set" => redis::cmd("SMEMBERS").arg(&key).query_async(&mut con).await,
                "list" => {
                    redis::cmd("LRANGE")
                        .arg(&key)
                        .arg(0)
                        .arg(-1)
                        .query_async(&mut con)
                        .await
                }
                other => panic!("a key of an unexpected type {other}: {key}"),
            }
            .expect("value");
            all.push_str(&format!("{key} = {}\n", redis_text(&value)));
        }
        if next == 0 {
            return all;
        }
        cursor = next;
    }
}

fn redis_text(value: &redis::Value) -> String {
    match value {
        redis::Value::BulkString(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        redis::Value::Array(items) | redis::Value::Set(items) => {
            items.iter().map(redis_text).collect::<Vec<_>>().join(" ")
        }
        redis::Value::Map(pairs) => pairs
            .iter()
            .map(|(key, value)| format!("{} {}", redis_text(key), redis_text(value)))
            .collect::<Vec<_>>()
            .join(" "),
        other => format!("{other:?}"),
    }
}

/// A database that exists for one test; removed by [`TestStore::finish`], or when dropped
/// (a test that panicked).
#[derive(Debug)]
struct TempDatabase(Option<Place>);

#[derive(Debug)]
enum Place {
    Sqlite(PathBuf),
    Postgres { admin_url: String, name: String },
}

impl Place {
    fn remove_files(&self) {
        if let Self::Sqlite(path) = self {
            for suffix in ["", "-wal", "-shm"] {
                let mut file = path.clone().into_os_string();
                file.push(suffix);
                let _ = std::fs::remove_file(file);
            }
        }
    }

    async fn remove(self) {
        match &self {
            Self::Sqlite(_) => self.remove_files(),
            Self::Postgres { admin_url, name } => drop_postgres_database(admin_url, name).await,
        }
    }
}

impl TempDatabase {
    async fn remove(&mut self) {
        if let Some(place) = self.0.take() {
            place.remove().await;
        }
    }
}

impl Drop for TempDatabase {
    fn drop(&mut self) {
        match self.0.take() {
            Some(place @ Place::Sqlite(_)) => place.remove_files(),
            Some(place @ Place::Postgres { .. }) => {
                // Dropping happens in async code: do it on a thread with its own runtime.
                let _ = std::thread::spawn(move || {
                    if let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    {
                        runtime.block_on(place.remove());
                    }
                })
                .join();
            }
            None => {}
        }
    }
}

async fn postgres_admin(url: &str) -> DatabaseConnection {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .sqlx_logging(false)
        .max_connections(1)
        .connect_timeout(Duration::from_secs(5));
    Database::connect(options).await.unwrap_or_else(|err| {
        panic!(
            "PostgreSQL is not reachable at {url} ({err}). `make test` starts the local cluster; \
             or set SPOOL_TEST_POSTGRES_URL to a server where this user may create databases."
        )
    })
}

/// `url` with its database name replaced.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |at| at + 3);
    let path_start = base[authority_start..]
        .find('/')
        .map_or(base.len(), |at| authority_start + at);
    let mut out = format!("{}/{name}", &base[..path_start]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

/// A fresh database `spool_test_<pid>_<n>` on the test server, and its URL.
async fn postgres_database() -> (String, TempDatabase) {
    let admin_url = postgres_url();
    let admin = postgres_admin(&admin_url).await;
    drop_abandoned_databases(&admin).await;
    let name = format!(
        "spool_test_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    );
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap_or_else(|err| {
            panic!("cannot create the test database {name} at {admin_url}: {err}")
        });
    let _ = admin.close().await;
    let url = with_database(&admin_url, &name);
    (url, TempDatabase(Some(Place::Postgres { admin_url, name })))
}

#[allow(clippy::print_stderr)] // a test harness with nowhere else to say it
async fn drop_postgres_database(admin_url: &str, name: &str) {
    let admin = postgres_admin(admin_url).await;
    if let Err(err) = admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await
    {
        eprintln!("cannot drop the test database {name}: {err}");
    }
    let _ = admin.close().await;
}

/// Test databases of processes that are gone (tests killed before cleaning up).
async fn drop_abandoned_databases(admin: &DatabaseConnection) {
    static ONCE: std::sync::Once = std::sync::Once::new();
    let mut first = false;
    ONCE.call_once(|| first = true);
    if !first {
        return;
    }
    let Ok(rows) = admin
        .query_all_raw(sea_orm::Statement::from_string(
            admin.get_database_backend(),
            "SELECT datname FROM pg_database WHERE datname LIKE 'spool\\_test\\_%'",
        ))
        .await
    else {
        return;
    };
    for row in rows {
        let Ok(name) = row.try_get_by_index::<String>(0) else {
            continue;
        };
        let pid = name
            .split('_')
            .nth(2)
            .and_then(|pid| pid.parse::<u32>().ok());
        if pid.is_some_and(|pid| !std::path::Path::new(&format!("/proc/{pid}")).exists()) {
            let _ = admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await;
        }
    }
}

/// Whichever store a test runs on, as one type: `Arc<SharedStore>` turns into the
/// `Arc<dyn Store>` a [`Runtime`] takes, and its methods are the [`Store`] trait's.
#[derive(Clone, Debug)]
pub struct SharedStore(pub Arc<dyn Store>);

#[async_trait::async_trait]
impl Store for SharedStore {
    fn partitions(&self) -> u16 {
        self.0.partitions()
    }

    fn partition_of(&self, contact_id: &str) -> u16 {
        self.0.partition_of(contact_id)
    }

    async fn append(&self, event: &Event) -> Result<Appended, Error> {
        self.0.append(event).await
    }

    async fn acquire(&self, partition: u16, ttl: Duration) -> Result<Option<Lease>, Error> {
        self.0.acquire(partition, ttl).await
    }

    async fn renew(&self, lease: &Lease, ttl: Duration) -> Result<bool, Error> {
        self.0.renew(lease, ttl).await
    }

    async fn release(&self, lease: &Lease) -> Result<(), Error> {
        self.0.release(lease).await
    }

    async fn read(&self, lease: &Lease, max: usize) -> Result<Vec<Logged>, Error> {
        self.0.read(lease, max).await
    }

    async fn load(
        &self,
        partition: u16,
        contact_ids: &[String],
    ) -> Result<Vec<Option<ContactState>>, Error> {
        self.0.load(partition, contact_ids).await
    }

    async fn read_batch(&self, lease: &Lease, max: usize) -> Result<ReadBatch, Error> {
        self.0.read_batch(lease, max).await
    }

    async fn commit(&self, lease: &Lease, batch: Batch) -> Result<(), Error> {
        self.0.commit(lease, batch).await
    }

    async fn fire_due_timers(
        &self,
        lease: &Lease,
        now: Millis,
        max: usize,
    ) -> Result<usize, Error> {
        self.0.fire_due_timers(lease, now, max).await
    }

    async fn next_timer(&self, partition: u16) -> Result<Option<Millis>, Error> {
        self.0.next_timer(partition).await
    }

    fn watch_appends(
        &self,
        wake: spool_runtime::store::Wake,
        stop: tokio::sync::watch::Receiver<bool>,
    ) -> Option<spool_runtime::store::Watcher> {
        self.0.watch_appends(wake, stop)
    }

    async fn outbox_after(
        &self,
        partition: u16,
        after: Option<&str>,
        max: usize,
    ) -> Result<Vec<Pending>, Error> {
        self.0.outbox_after(partition, after, max).await
    }

    async fn mark_sent(&self, partition: u16, sent: &[Pending]) -> Result<(), Error> {
        self.0.mark_sent(partition, sent).await
    }

    async fn contact(&self, contact_id: &str) -> Result<Option<ContactState>, Error> {
        self.0.contact(contact_id).await
    }

    async fn counters(
        &self,
        version: &str,
        from: Millis,
        to: Millis,
    ) -> Result<HashMap<spool_runtime::CountKey, i64>, Error> {
        self.0.counters(version, from, to).await
    }

    async fn erase(&self, contact_id: &str) -> Result<Erased, Error> {
        self.0.erase(contact_id).await
    }

    async fn calls(&self, partition: u16, max: usize) -> Result<Vec<Calling>, Error> {
        self.0.calls(partition, max).await
    }

    async fn answer_call(
        &self,
        partition: u16,
        call: &Calling,
        answer: &Event,
    ) -> Result<bool, Error> {
        self.0.answer_call(partition, call, answer).await
    }

    async fn timers(&self, contact_id: &str) -> Result<Vec<(TimerRef, Millis)>, Error> {
        self.0.timers(contact_id).await
    }

    async fn aliases(&self, keys: &[String]) -> Result<Vec<Option<String>>, Error> {
        self.0.aliases(keys).await
    }

    async fn link_alias(&self, key: &str, contact_id: &str) -> Result<String, Error> {
        self.0.link_alias(key, contact_id).await
    }
}

/// Keeps the notices the runtime tells of, and refuses them while told to (as a database
/// that is down would), or panics while told to (as a bug would).
#[derive(Debug, Default)]
pub struct RecordingObserver {
    pub notices: std::sync::Mutex<Vec<Notice>>,
    pub refusing: std::sync::atomic::AtomicBool,
    pub panicking: std::sync::atomic::AtomicBool,
}

impl RecordingObserver {
    /// What was told of so far, as (kind, run or message) in order.
    pub fn told(&self) -> Vec<NoticeKind> {
        self.notices
            .lock()
            .expect("not poisoned")
            .iter()
            .map(|notice| notice.kind)
            .collect()
    }
}

#[async_trait::async_trait]
impl Observer for RecordingObserver {
    async fn observe(&self, notices: &[Notice]) -> Result<(), Error> {
        assert!(
            !self.panicking.load(Ordering::SeqCst),
            "an observer with a bug"
        );
        if self.refusing.load(Ordering::SeqCst) {
            return Err(Error::Observer("the events table is unreachable".into()));
        }
        self.notices
            .lock()
            .expect("not poisoned")
            .extend_from_slice(notices);
        Ok(())
    }
}

pub struct Harness {
    pub runtime: Arc<Runtime>,
    pub observer: Arc<RecordingObserver>,
    pub store: Arc<SharedStore>,
    pub flows: Arc<FlowRegistry>,
    pub clock: Arc<ManualClock>,
    pub channel: Arc<RecordingChannel>,
    pub backend: Backend,
    test_store: TestStore,
}

impl Harness {
    /// On Redis.
    pub async fn new() -> Self {
        Self::on(Backend::Redis).await
    }

    /// On the embedded store (a SQLite file of its own).
    pub async fn embedded() -> Self {
        Self::on(Backend::Sqlite).await
    }

    pub async fn on(backend: Backend) -> Self {
        Self::with_backend(
            backend,
            HttpServices::new(None).expect("http client"),
            EngineConfig::default(),
            4,
        )
        .await
    }

    /// On Redis.
    pub async fn with(
        services: impl Services + 'static,
        config: EngineConfig,
        partitions: u16,
    ) -> Self {
        Self::with_backend(Backend::Redis, services, config, partitions).await
    }

    pub async fn with_backend(
        backend: Backend,
        services: impl Services + 'static,
        config: EngineConfig,
        partitions: u16,
    ) -> Self {
        let test_store = TestStore::new(backend, partitions).await;
        let store = Arc::new(SharedStore(test_store.store.clone()));
        let flows = Arc::new(FlowRegistry::new());
        let clock = Arc::new(ManualClock::new(START));
        let channel = Arc::new(RecordingChannel::new());
        let engine = Arc::new(Engine::new(flows.clone(), Arc::new(services), config));
        let observer = Arc::new(RecordingObserver::default());
        let runtime = Arc::new(
            Runtime::new(
                store.clone(),
                engine,
                clock.clone(),
                channel.clone(),
                RuntimeConfig::default(),
            )
            .with_observer(observer.clone()),
        );
        Self {
            runtime,
            observer,
            store,
            flows,
            clock,
            channel,
            backend,
            test_store,
        }
    }

    /// Another process on the same store, with its own engine and channel.
    pub fn second_process(&self, channel: Arc<RecordingChannel>) -> Arc<Runtime> {
        let engine = Arc::new(Engine::new(
            self.flows.clone(),
            Arc::new(HttpServices::new(None).expect("http client")),
            EngineConfig::default(),
        ));
        Arc::new(Runtime::new(
            self.store.clone(),
            engine,
            self.clock.clone(),
            channel,
            RuntimeConfig::default(),
        ))
    }

    /// A runtime like the harness's (its store, engine, clock and channel) with `config`.
    pub fn runtime_with(&self, config: RuntimeConfig) -> Arc<Runtime> {
        Arc::new(Runtime::new(
            self.store.clone(),
            self.runtime.engine().clone(),
            self.clock.clone(),
            self.channel.clone(),
            config,
        ))
    }

    pub fn publish(&self, source: &str) {
        let compiled = spool_flows::compile_source(source)
            .unwrap_or_else(|err| panic!("flow does not compile: {err}"));
        self.flows.publish(compiled);
    }

    pub fn example(name: &str) -> String {
        let path = format!(
            "{}/../flows/examples/{name}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("cannot read {path}: {err}"))
    }

    pub fn publish_example(&self, name: &str) {
        self.publish(&Self::example(name));
    }

    pub async fn send(&self, event: Event) -> Appended {
        self.runtime.accept(event).await.expect("event accepted")
    }

    pub fn message(&self, phone: &str, content: Content) -> InboundMessage {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        InboundMessage {
            id: format!("wamid.test.{n}"),
            from: phone.to_owned(),
            from_user_id: None,
            profile_name: Some("Ana".to_owned()),
            timestamp: self.clock.now(),
            content,
            referral: None,
            context_id: None,
            channel: None,
        }
    }

    pub async fn text(&self, phone: &str, body: &str) -> Appended {
        let message = self.message(
            phone,
            Content::Text {
                body: body.to_owned(),
            },
        );
        self.send(Event::inbound(message, self.clock.now())).await
    }

    pub async fn tap(&self, phone: &str, id: &str, title: &str) -> Appended {
        let message = self.message(
            phone,
            Content::ButtonReply {
                id: id.to_owned(),
                title: title.to_owned(),
            },
        );
        self.send(Event::inbound(message, self.clock.now())).await
    }

    pub async fn template_tap(&self, phone: &str, payload: &str, text: &str) -> Appended {
        let message = self.message(
            phone,
            Content::TemplateButton {
                payload: payload.to_owned(),
                text: text.to_owned(),
            },
        );
        self.send(Event::inbound(message, self.clock.now())).await
    }

    pub async fn webhook(&self, phone: &str, flow_id: &str, payload: Value) -> Appended {
        let kind = EventKind::Webhook {
            flow_id: flow_id.to_owned(),
            trigger: None,
            payload,
        };
        self.send(Event::new(
            contact_id_for(phone),
            phone,
            self.clock.now(),
            kind,
        ))
        .await
    }

    pub async fn change(&self, phone: &str, change: ContactChange) -> Appended {
        let kind = EventKind::UpdateContact { change };
        self.send(Event::new(
            contact_id_for(phone),
            phone,
            self.clock.now(),
            kind,
        ))
        .await
    }

    pub async fn opt_in(&self, phone: &str) -> Appended {
        self.change(
            phone,
            ContactChange {
                marketing_opt_in: Some(true),
                ..ContactChange::default()
            },
        )
        .await
    }

    /// Applies everything accepted so far, fires due timers, drains the outbox.
    pub async fn settle(&self) {
        self.runtime.run_until_idle().await.expect("runtime works");
    }

    pub async fn advance(&self, by: Duration) {
        self.clock.advance(by);
        self.settle().await;
    }

    /// What a contact has received, as short human renderings.
    pub fn received(&self, phone: &str) -> Vec<String> {
        self.channel
            .sent_to(&contact_id_for(phone))
            .iter()
            .map(|message| message.body.preview())
            .collect()
    }

    pub async fn state(&self, phone: &str) -> ContactState {
        self.store
            .contact(&contact_id_for(phone))
            .await
            .expect("store readable")
            .expect("contact exists")
    }

    /// The contact's latest run of a flow.
    pub async fn run(&self, phone: &str, flow_id: &str) -> Run {
        let state = self.state(phone).await;
        state
            .runs
            .into_iter()
            .rev()
            .find(|run| run.flow_id == flow_id)
            .expect("a run of that flow")
    }

    /// Deletes what the test stored.
    pub async fn finish(self) {
        self.test_store.finish().await;
    }
}

pub fn hours(n: u64) -> Duration {
    Duration::from_secs(n * 3600)
}

/// Runs each scenario (an `async fn(Harness)` beside the call) once on Redis and once on
/// the embedded store, as `on_redis::<name>` and `on_embedded::<name>`.
#[allow(unused_macros)] // the contract suite picks its stores itself
macro_rules! on_every_store {
    ($($name:ident),* $(,)?) => {
        mod on_redis {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(crate::common::Harness::new().await).await;
                }
            )*
        }
        mod on_embedded {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(crate::common::Harness::embedded().await).await;
                }
            )*
        }
    };
}
