//! A runtime wired as `spool serve` wires it (the WhatsApp sender, a real store, a real
//! database), in this process so that its clock can be moved, sending to a stand-in for
//! Meta's Cloud API that answers as a test scripts it and records every request.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection};
use serde_json::{Value, json};
use spool_builder_api::channels::{Sealed, WhatsAppChannels};
use spool_builder_api::conversation::History;
use spool_builder_api::db::channel;
use spool_builder_api::sealed::SecretKey;
use spool_builder_api::whatsapp::sender::WhatsAppSender;
use spool_builder_api::whatsapp::throughput::{Local, Shared, Throughput};
use spool_builder_api::whatsapp::webhook::status_event;
use spool_nodes::{Content, InboundMessage};
use spool_runtime::clock::{Clock, ManualClock, SystemClock};
use spool_runtime::http::HttpServices;
use spool_runtime::state::contact_id_for;
use spool_runtime::store::Store;
use spool_runtime::store::embedded::{EmbeddedConfig, EmbeddedStore};
use spool_runtime::store::redis::{RedisConfig, RedisStore};
use spool_runtime::{Engine, EngineConfig, Event, EventKind, FlowRegistry, Runtime, RuntimeConfig};
use spool_whatsapp::client::{ApiConfig, CloudApi};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// 2026-11-23T10:00:00Z.
pub const START: i64 = 1_795_428_000_000;
pub const PHONE_NUMBER_ID: &str = "1098765432101";
const CHANNEL: &str = "ch_limits";

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique() -> u64 {
    COUNTER.fetch_add(1, Ordering::SeqCst) + u64::from(std::process::id()) * 1_000
}

/// One request Meta was sent.
#[derive(Clone, Debug)]
pub struct Attempt {
    pub to: String,
    /// The text, or `template:<name>`.
    pub what: String,
    pub accepted: bool,
    pub at: Instant,
    /// The message id Meta answered with, when it accepted.
    pub wamid: Option<String>,
    /// What Meta gives back with the message's statuses (Spool's reference to it).
    pub callback: Option<String>,
}

/// How the stand-in answers: everyone 503 while `down`, else each recipient's scripted
/// failures first, then 200.
#[derive(Debug, Default)]
pub struct Script {
    pub down: bool,
    pub failures: HashMap<String, VecDeque<ResponseTemplate>>,
    pub attempts: Vec<Attempt>,
}

#[derive(Clone, Debug, Default)]
pub struct Meta(pub Arc<Mutex<Script>>);

impl Meta {
    fn lock(&self) -> std::sync::MutexGuard<'_, Script> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn set_down(&self, down: bool) {
        self.lock().down = down;
    }

    /// The next answers to `to`, before it is answered 200.
    pub fn fail(&self, to: &str, answers: Vec<ResponseTemplate>) {
        self.lock()
            .failures
            .insert(to.to_owned(), answers.into_iter().collect());
    }

    pub fn attempts(&self) -> Vec<Attempt> {
        self.lock().attempts.clone()
    }

    /// What `to` was sent and Meta accepted, in order.
    pub fn delivered(&self, to: &str) -> Vec<String> {
        self.lock()
            .attempts
            .iter()
            .filter(|attempt| attempt.accepted && attempt.to == to)
            .map(|attempt| attempt.what.clone())
            .collect()
    }

    pub fn accepted(&self) -> usize {
        self.lock()
            .attempts
            .iter()
            .filter(|attempt| attempt.accepted)
            .count()
    }
}

impl Respond for Meta {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let to = body["to"].as_str().unwrap_or_default().to_owned();
        let what = match body["type"].as_str() {
            Some("template") => format!(
                "template:{}",
                body["template"]["name"].as_str().unwrap_or_default()
            ),
            _ => body["text"]["body"].as_str().unwrap_or_default().to_owned(),
        };
        let mut script = self.lock();
        let failure = if script.down {
            Some(ResponseTemplate::new(503))
        } else {
            script.failures.get_mut(&to).and_then(VecDeque::pop_front)
        };
        let wamid = failure.is_none().then(|| format!("wamid.{}", unique()));
        script.attempts.push(Attempt {
            to: to.clone(),
            what,
            accepted: failure.is_none(),
            at: Instant::now(),
            wamid: wamid.clone(),
            callback: body["biz_opaque_callback_data"].as_str().map(str::to_owned),
        });
        failure.unwrap_or_else(|| {
            ResponseTemplate::new(200).set_body_json(json!({
                "messaging_product": "whatsapp",
                "contacts": [{ "input": to, "wa_id": to }],
                "messages": [{ "id": wamid }]
            }))
        })
    }
}

/// Meta's error answer with `code`.
pub fn meta_error(status: u16, code: i64) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "error": {
            "message": format!("(#{code}) error"),
            "type": "OAuthException",
            "code": code,
            "error_data": { "messaging_product": "whatsapp", "details": "test" },
            "fbtrace_id": "AbCdEf"
        }
    }))
}

#[derive(Clone, Copy, Debug)]
pub struct Setup {
    pub redis: bool,
    /// A clock the test moves; else the machine's, with the workers running on their own.
    pub virtual_clock: bool,
    pub per_second: i32,
    pub messaging_limit: i64,
}

impl Setup {
    pub fn new(redis: bool) -> Self {
        Self {
            redis,
            virtual_clock: true,
            per_second: 80,
            messaging_limit: 250,
        }
    }
}

pub struct Rig {
    pub runtime: Arc<Runtime>,
    pub clock: Option<Arc<ManualClock>>,
    pub flows: Arc<FlowRegistry>,
    pub meta: Meta,
    pub db: DatabaseConnection,
    pub channel_id: String,
    _server: MockServer,
    dir: PathBuf,
    /// The Redis key prefix, when state is in Redis.
    prefix: Option<String>,
}

impl Rig {
    pub async fn start(setup: Setup) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = std::env::temp_dir().join(format!("spool-limits-{}", unique()));
        std::fs::create_dir_all(&dir).expect("a directory");
        let url = format!("sqlite://{}?mode=rwc", dir.join("spool.sqlite").display());
        let prefix = format!("spool-limits-{}", unique());
        let (store, db): (Arc<dyn Store>, DatabaseConnection) = if setup.redis {
            let redis = RedisConfig::new(spool_tests::redis_url())
                .with_prefix(prefix.clone())
                .with_partitions(4);
            let store = RedisStore::connect(redis).await.expect("Redis answers");
            let db = spool_builder_api::db::connect(&url)
                .await
                .expect("a database");
            (Arc::new(store), db)
        } else {
            let embedded = EmbeddedStore::connect(EmbeddedConfig::new(url).with_partitions(4))
                .await
                .expect("a database");
            let db = embedded.database().clone();
            (Arc::new(embedded), db)
        };
        let manual = setup
            .virtual_clock
            .then(|| Arc::new(ManualClock::new(START)));
        let clock: Arc<dyn Clock> = match &manual {
            Some(manual) => manual.clone(),
            None => Arc::new(SystemClock),
        };
        let key = SecretKey::from_bytes(&[7; 32]).expect("a key");
        let channels = Arc::new(WhatsAppChannels::new(db.clone(), Some(key), clock.clone()));
        add_channel(&channels, &db, setup).await;
        let server = MockServer::start().await;
        let meta = Meta::default();
        Mock::given(method("POST"))
            .respond_with(meta.clone())
            .mount(&server)
            .await;
        let api = CloudApi::new(&ApiConfig {
            base_url: server.uri(),
            ..ApiConfig::default()
        })
        .expect("an HTTP client");
        let throughput: Arc<dyn Throughput> = if setup.redis {
            Arc::new(
                Shared::connect(&spool_tests::redis_url(), &prefix)
                    .await
                    .expect("Redis answers"),
            )
        } else {
            Arc::new(Local::default())
        };
        let sender = WhatsAppSender::new(channels, api, clock.clone(), throughput, db.clone());
        let flows = Arc::new(FlowRegistry::new());
        let engine = Arc::new(Engine::new(
            flows.clone(),
            Arc::new(HttpServices::new(None).expect("an HTTP client")),
            EngineConfig::default(),
        ));
        let runtime = Arc::new(
            Runtime::new(
                store,
                engine,
                clock,
                Arc::new(sender),
                RuntimeConfig::default(),
            )
            .with_observer(Arc::new(History::new(db.clone()))),
        );
        Self {
            runtime,
            clock: manual,
            flows,
            meta,
            db,
            channel_id: CHANNEL.to_owned(),
            _server: server,
            dir,
            prefix: setup.redis.then_some(prefix),
        }
    }

    pub fn publish(&self, flow: &Value) {
        let compiled = spool_flows::compile_source(&flow.to_string())
            .unwrap_or_else(|err| panic!("flow does not compile: {err}"));
        self.flows.publish(compiled);
    }

    fn now(&self) -> i64 {
        self.runtime.clock().now()
    }

    /// `phone` writes `text` (its window opens).
    pub async fn text(&self, phone: &str, text: &str) {
        let message = InboundMessage {
            id: format!("wamid.in.{}", unique()),
            from: phone.to_owned(),
            from_user_id: None,
            profile_name: None,
            timestamp: self.now(),
            content: Content::Text {
                body: text.to_owned(),
            },
            referral: None,
            context_id: None,
            channel: None,
        };
        self.runtime
            .accept(Event::inbound(message, self.now()))
            .await
            .expect("accepted");
    }

    /// A system calls the flow's webhook for `phone` (who may never have written).
    pub async fn webhook(&self, phone: &str, flow_id: &str) {
        self.webhook_with(phone, flow_id, json!({})).await;
    }

    /// A system calls the flow's webhook for `phone` with `payload`.
    pub async fn webhook_with(&self, phone: &str, flow_id: &str, payload: Value) {
        let kind = EventKind::Webhook {
            flow_id: flow_id.to_owned(),
            trigger: None,
            payload,
        };
        self.runtime
            .accept(Event::new(contact_id_for(phone), phone, self.now(), kind))
            .await
            .expect("accepted");
    }

    /// A Meta webhook body arrives for the channel: every message and status in it is taken
    /// in as `POST /webhooks/whatsapp/{channel}` takes it in (signature checks aside).
    pub async fn meta_webhook(&self, body: &Value) {
        use spool_whatsapp::inbound::Notification;
        let raw = serde_json::to_vec(body).expect("JSON");
        let notifications = spool_whatsapp::inbound::parse(&raw).expect("a webhook body");
        for notification in notifications {
            match notification {
                Notification::Message { mut message, .. } => {
                    message.channel = Some(self.channel_id.clone());
                    self.runtime
                        .accept_inbound("", message)
                        .await
                        .expect("accepted");
                }
                Notification::Status(status) => {
                    if let Some(event) = status_event("", &status, self.now()) {
                        self.runtime.accept(event).await.expect("accepted");
                    }
                }
                _ => {}
            }
        }
    }

    /// The contact's profile changes from outside (as the contacts API changes it).
    pub async fn update_contact(&self, phone: &str, change: spool_runtime::state::ContactChange) {
        let kind = EventKind::UpdateContact { change };
        self.runtime
            .accept(Event::new(contact_id_for(phone), phone, self.now(), kind))
            .await
            .expect("accepted");
    }

    /// Applies everything and sends what may go at the current (virtual) time.
    pub async fn settle(&self) {
        self.runtime.run_until_idle().await.expect("runtime works");
    }

    /// Moves the virtual clock on, then settles.
    pub async fn advance(&self, by: Duration) {
        self.clock.as_ref().expect("a virtual clock").advance(by);
        self.settle().await;
    }

    /// Deletes what the test stored.
    pub async fn finish(self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some(prefix) = &self.prefix {
            let client = redis::Client::open(spool_tests::redis_url()).expect("a Redis URL");
            let mut redis = client
                .get_multiplexed_async_connection()
                .await
                .expect("Redis answers");
            let keys: Vec<String> = redis::cmd("KEYS")
                .arg(format!("{prefix}:*"))
                .query_async(&mut redis)
                .await
                .expect("keys listed");
            if !keys.is_empty() {
                let _: i64 = redis::cmd("DEL")
                    .arg(keys)
                    .query_async(&mut redis)
                    .await
                    .expect("keys deleted");
            }
        }
    }
}

async fn add_channel(channels: &WhatsAppChannels, db: &DatabaseConnection, setup: Setup) {
    let seal = |field| {
        channels
            .seal(CHANNEL, field, "secret-value")
            .expect("sealed")
    };
    channel::ActiveModel {
        id: Set(CHANNEL.to_owned()),
        // The runtime's own scope: contacts of `contact_id_for`.
        workspace_id: Set(String::new()),
        display_name: Set("Loja Exemplo".to_owned()),
        phone_number_id: Set(PHONE_NUMBER_ID.to_owned()),
        waba_id: Set("102290129340398".to_owned()),
        access_token: Set(seal(Sealed::AccessToken)),
        app_secret: Set(seal(Sealed::AppSecret)),
        verify_token: Set(seal(Sealed::VerifyToken)),
        api_version: Set("v25.0".to_owned()),
        throughput_per_second: Set(setup.per_second),
        messaging_limit: Set(setup.messaging_limit),
        marketing_messages_api: Set(false),
        is_default: Set(true),
        paused_reason: Set(None),
        quality_rating: Set(None),
        created_at: Set(0),
        created_by: Set("user:a@b.c".to_owned()),
        updated_at: Set(0),
        updated_by: Set("user:a@b.c".to_owned()),
    }
    .insert(db)
    .await
    .expect("channel stored");
}

/// Whoever writes gets `count` texts in a row, `m1` … `m<count>`.
pub fn texts_in_a_row(count: usize) -> Value {
    let mut nodes = vec![json!({ "id": "start", "type": "inbound_message" })];
    let mut edges = Vec::new();
    let mut previous = "start".to_owned();
    for n in 1..=count {
        let id = format!("m{n}");
        nodes.push(json!({ "id": id, "type": "send_text", "config": { "text": id } }));
        edges.push(json!({ "from": previous, "port": "next", "to": id }));
        previous = id;
    }
    json!({ "schema": 1, "id": "texts", "name": "texts", "nodes": nodes, "edges": edges })
}

/// A webhook sends two Utility templates in a row, `hello` then `details`.
pub fn two_templates() -> Value {
    let template = |id: &str| {
        json!({ "id": id, "type": "send_template", "config": {
            "name": id, "language": "en", "category": "utility" } })
    };
    json!({
        "schema": 1, "id": "notify", "name": "notify",
        "nodes": [
            { "id": "start", "type": "webhook", "config": { "hook": "notify", "contact": "payload.phone" } },
            template("hello"),
            template("details"),
        ],
        "edges": [
            { "from": "start", "port": "next", "to": "hello" },
            { "from": "hello", "port": "next", "to": "details" },
        ],
    })
}
