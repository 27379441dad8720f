//! A runtime on real Redis with a clock the test moves and a channel that records, plus
//! helpers that read like what a contact does.
#![allow(dead_code)] // each test file uses part of it

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::Value;
use spool_nodes::{Content, InboundMessage, Millis, Run, Services};
use spool_runtime::channel::RecordingChannel;
use spool_runtime::clock::{Clock, ManualClock};
use spool_runtime::http::HttpServices;
use spool_runtime::state::{ContactChange, contact_id_for};
use spool_runtime::store::redis::{RedisConfig, RedisStore};
use spool_runtime::store::{Appended, Store};
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

pub struct Harness {
    pub runtime: Arc<Runtime>,
    pub store: Arc<RedisStore>,
    pub flows: Arc<FlowRegistry>,
    pub clock: Arc<ManualClock>,
    pub channel: Arc<RecordingChannel>,
}

impl Harness {
    pub async fn new() -> Self {
        Self::with(
            HttpServices::new(None).expect("http client"),
            EngineConfig::default(),
            4,
        )
        .await
    }

    pub async fn with(
        services: impl Services + 'static,
        config: EngineConfig,
        partitions: u16,
    ) -> Self {
        let store = redis_store(partitions).await;
        let flows = Arc::new(FlowRegistry::new());
        let clock = Arc::new(ManualClock::new(START));
        let channel = Arc::new(RecordingChannel::new());
        let engine = Arc::new(Engine::new(flows.clone(), Arc::new(services), config));
        let runtime = Arc::new(Runtime::new(
            store.clone(),
            engine,
            clock.clone(),
            channel.clone(),
            RuntimeConfig::default(),
        ));
        Self {
            runtime,
            store,
            flows,
            clock,
            channel,
        }
    }

    /// Another process on the same Redis (same prefix), with its own engine and channel.
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
            profile_name: Some("Ana".to_owned()),
            timestamp: self.clock.now(),
            content,
            referral: None,
            context_id: None,
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

    pub async fn finish(self) {
        self.store.wipe().await.expect("wipe test keys");
    }
}

pub fn hours(n: u64) -> Duration {
    Duration::from_secs(n * 3600)
}
