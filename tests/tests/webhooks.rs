//! Webhooks as a shop or an order system meets them: `POST /hooks/{workspace}/{hook}` with a
//! JSON body, signed or not, retried with an `Idempotency-Key`, sent by many at once.
//!
//! What a journey did is read from the contact's state in the store the server keeps it in
//! (Redis, or the embedded store's database): "started nothing" is checked by sending a good
//! event after a refused one and seeing only the good one applied, since a contact's events
//! are applied in the order they were accepted.

use std::time::{Duration, Instant};

use hmac::{Hmac, KeyInit, Mac};
use reqwest::Method;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde_json::{Value, json};
use sha2::Sha256;
use spool_runtime::store::Store;
use spool_runtime::store::redis::{RedisConfig, RedisStore};
use spool_tests::{Client, Database, Options, Response, Server};

const SHOP_SECRET: &str = "whsec-7f3a9c1e-shop";
/// How long the tests wait for accepted events to be applied before failing loudly.
const APPLY_DEADLINE: Duration = Duration::from_secs(120);

/// A journey that remembers, in the contact's `seen` property, the `n` of every body it was
/// started with, in the order it ran: so order, losses and doubles all show.
fn remembering_flow(id: &str, hook: &str, contact: &str, secret: Option<&str>) -> Value {
    let mut trigger = json!({ "hook": hook, "contact": contact });
    if let Some(secret) = secret {
        trigger["secret"] = json!(secret);
    }
    json!({
        "schema": 1,
        "id": id,
        "name": format!("Remember {hook}"),
        "nodes": [
            { "id": "hook", "type": "webhook", "position": { "x": 0, "y": 0 }, "config": trigger },
            remember_node("remember", 0, "payload.n"),
            { "id": "done", "type": "end", "position": { "x": 500, "y": 0 }, "config": {} }
        ],
        "edges": [
            { "from": "hook", "port": "next", "to": "remember" },
            { "from": "remember", "port": "next", "to": "done" }
        ]
    })
}

/// A step that appends `value` to the contact's `seen` property.
fn remember_node(id: &str, y: i64, value: &str) -> Value {
    json!({
        "id": id, "type": "update_contact", "position": { "x": 250, "y": y },
        "config": { "properties": {
            "seen": { "expr": format!("(contact.properties.seen ?? []) + [{value}]") }
        } }
    })
}

async fn publish(admin: &Client, workspace: &str, flow: &Value) {
    let created = admin
        .post(&format!("/api/v1/workspaces/{workspace}/flows"), flow)
        .await;
    assert_eq!(created.status, 201, "create: {}", created.text);
    let id = flow["id"].as_str().expect("the flow has an id");
    let published = admin
        .post(
            &format!("/api/v1/workspaces/{workspace}/flows/{id}/publish"),
            &json!({}),
        )
        .await;
    assert!(
        published.status == 200 || published.status == 201,
        "publish: {}",
        published.text
    );
}

fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// POSTs `body` as it is to a hook, with the given headers.
async fn post_hook(client: &Client, path: &str, body: &[u8], headers: &[(&str, &str)]) -> Response {
    let mut request = client
        .request(Method::POST, path)
        .header("Content-Type", "application/json")
        .body(body.to_vec());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    client.send(request).await
}

/// Where the server keeps contact state, opened for reading.
enum States {
    Redis(Box<RedisStore>),
    Database(DatabaseConnection),
}

impl States {
    async fn open(server: &Server) -> Self {
        match &server.redis_prefix {
            Some(prefix) => {
                let config = RedisConfig::new(spool_tests::redis_url()).with_prefix(prefix.clone());
                Self::Redis(Box::new(
                    RedisStore::connect(config)
                        .await
                        .expect("the tests' Redis answers"),
                ))
            }
            None => Self::Database(
                sea_orm::Database::connect(&server.database_url)
                    .await
                    .expect("the server's database opens"),
            ),
        }
    }

    /// A contact's state as JSON (`None` for a contact the server has not met).
    async fn contact(&self, workspace: &str, phone_digits: &str) -> Option<Value> {
        let id = spool_runtime::ScopedId::new(workspace, &format!("wa:{phone_digits}"));
        let id = id.as_str();
        match self {
            Self::Redis(store) => store
                .contact(id)
                .await
                .expect("the state can be read")
                .map(|state| serde_json::to_value(state).expect("a state is JSON")),
            Self::Database(db) => {
                let backend = db.get_database_backend();
                let sql = match backend {
                    DbBackend::Postgres => {
                        "SELECT state FROM runtime_contacts WHERE contact_id = $1"
                    }
                    _ => "SELECT state FROM runtime_contacts WHERE contact_id = ?",
                };
                let row = db
                    .query_one_raw(Statement::from_sql_and_values(backend, sql, [id.into()]))
                    .await
                    .expect("the state can be read")?;
                let text: String = row.try_get("", "state").expect("a state column");
                Some(serde_json::from_str(&text).expect("a state is JSON"))
            }
        }
    }

    /// The `n`s the journey remembered for a contact, in the order it ran.
    async fn seen(&self, workspace: &str, phone_digits: &str) -> Vec<i64> {
        self.contact(workspace, phone_digits)
            .await
            .and_then(|state| state["contact"]["properties"]["seen"].as_array().cloned())
            .unwrap_or_default()
            .iter()
            .map(|n| n.as_i64().expect("the journey stores numbers"))
            .collect()
    }

    /// Waits until every contact has remembered `count` events; fails loudly with what each
    /// has otherwise.
    async fn wait_until_seen(&self, workspace: &str, phones: &[String], count: usize) {
        let started = Instant::now();
        loop {
            let mut behind = Vec::new();
            for phone in phones {
                let seen = self.seen(workspace, phone).await;
                if seen.len() < count {
                    behind.push((phone.clone(), seen));
                }
            }
            if behind.is_empty() {
                return;
            }
            assert!(
                started.elapsed() < APPLY_DEADLINE,
                "after {APPLY_DEADLINE:?}, {} contacts have not had their {count} events applied, e.g. {:?}",
                behind.len(),
                &behind[..behind.len().min(5)]
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Every refusal and every acceptance a caller can meet, on one server.
async fn answers_callers_precisely(redis: bool) {
    let server = Server::start_with(
        Database::Sqlite,
        Options {
            redis,
            env: vec![("SPOOL_BODY_LIMIT".into(), "4096".into())],
            ..Options::default()
        },
    )
    .await;
    let admin = server.admin().await;
    publish(
        &admin,
        "default",
        &remembering_flow(
            "orders",
            "order-update",
            "payload.customer.phone",
            Some("shop"),
        ),
    )
    .await;
    publish(
        &admin,
        "default",
        &remembering_flow("leads", "lead", "payload.phone", None),
    )
    .await;
    let created = admin
        .post(
            "/api/v1/workspaces",
            &json!({ "id": "other", "name": "Another shop" }),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    publish(
        &admin,
        "other",
        &remembering_flow("private", "private-hook", "payload.phone", None),
    )
    .await;
    let states = States::open(&server).await;
    let shop = server.anonymous();
    let orders = "/hooks/default/order-update";

    // The flow names a secret nobody has set yet: the caller hears what to fix.
    let body = br#"{"customer":{"phone":"+49 151 1234-5678"},"n":0}"#;
    let unset = post_hook(
        &shop,
        orders,
        body,
        &[("X-Spool-Signature", &sign(SHOP_SECRET, body))],
    )
    .await;
    assert_eq!(unset.status, 503, "{}", unset.text);
    assert_eq!(unset.error_code(), "webhook_secret_missing");
    assert!(
        unset.body["error"]["message"]
            .as_str()
            .is_some_and(|message| message.contains("/api/v1/workspaces/default/secrets/shop")),
        "{}",
        unset.text
    );
    let set = admin
        .put(
            "/api/v1/workspaces/default/secrets/shop",
            &json!({ "value": SHOP_SECRET }),
        )
        .await;
    assert_eq!(set.status, 204, "{}", set.text);

    // Refused: unsigned, signed with another secret, signed over other bytes, malformed.
    let refused = [
        (vec![], "missing"),
        (
            vec![("X-Spool-Signature", sign("not-the-secret", body))],
            "does not match",
        ),
        (
            vec![("X-Spool-Signature", sign(SHOP_SECRET, br#"{"n":0}"#))],
            "does not match",
        ),
        (
            vec![("X-Spool-Signature", "sha256=zz".to_owned())],
            "malformed",
        ),
        (
            vec![("X-Spool-Signature", hex::encode([7u8; 32]))],
            "malformed",
        ),
    ];
    for (headers, says) in refused {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let response = post_hook(&shop, orders, body, &headers).await;
        assert_eq!(response.status, 401, "{headers:?}: {}", response.text);
        assert_eq!(response.error_code(), "invalid_signature");
        assert!(response.text.contains(says), "{says}: {}", response.text);
    }

    // Signed right: accepted, for the contact the body names (normalised).
    let signed = post_hook(
        &shop,
        orders,
        body,
        &[("X-Spool-Signature", &sign(SHOP_SECRET, body))],
    )
    .await;
    assert_eq!(signed.status, 202, "{}", signed.text);
    assert_eq!(
        signed.body,
        json!({ "status": "accepted", "flow_id": "orders", "contact_id": "wa:4915112345678" })
    );
    states
        .wait_until_seen("default", &["4915112345678".to_owned()], 1)
        .await;
    assert_eq!(
        states.seen("default", "4915112345678").await,
        vec![0],
        "the refused calls started nothing; the signed one ran once"
    );
    let state = states
        .contact("default", "4915112345678")
        .await
        .expect("the contact exists");
    assert_eq!(state["contact"]["phone"], "4915112345678");
    assert_eq!(state["runs"][0]["status"], "done", "{state}");

    // An unsigned flow takes unsigned calls; `00` reads as `+`.
    let lead = br#"{"phone":"0044 20 7946 0958","n":7}"#;
    let accepted = post_hook(&shop, "/hooks/default/lead", lead, &[]).await;
    assert_eq!(accepted.status, 202, "{}", accepted.text);
    assert_eq!(accepted.body["contact_id"], "wa:442079460958");

    // Replayed Idempotency-Key: taken once, answered `duplicate` after.
    let phone = "5511987654321";
    for n in [1, 2] {
        let body = format!(r#"{{"phone":"+{phone}","n":{n}}}"#);
        let first = post_hook(
            &shop,
            "/hooks/default/lead",
            body.as_bytes(),
            &[("Idempotency-Key", &format!("evt-{n}"))],
        )
        .await;
        assert_eq!(first.status, 202, "{}", first.text);
        for _ in 0..3 {
            let again = post_hook(
                &shop,
                "/hooks/default/lead",
                body.as_bytes(),
                &[("Idempotency-Key", &format!("evt-{n}"))],
            )
            .await;
            assert_eq!(again.status, 200, "{}", again.text);
            assert_eq!(again.body["status"], "duplicate");
        }
    }
    // The same key on another hook is another event.
    let other_hook_body = format!(r#"{{"customer":{{"phone":"+{phone}"}},"n":3}}"#);
    let other_hook = post_hook(
        &shop,
        orders,
        other_hook_body.as_bytes(),
        &[
            ("Idempotency-Key", "evt-1"),
            (
                "X-Spool-Signature",
                &sign(SHOP_SECRET, other_hook_body.as_bytes()),
            ),
        ],
    )
    .await;
    assert_eq!(other_hook.status, 202, "{}", other_hook.text);
    states
        .wait_until_seen("default", &[phone.to_owned()], 3)
        .await;
    assert_eq!(
        states.seen("default", phone).await,
        vec![1, 2, 3],
        "each keyed event ran exactly once"
    );

    // Bodies that are not usable start nothing, each with its own answer.
    let bad_key = "k".repeat(256);
    let bad = [
        (
            "/hooks/default/lead",
            b"{\"phone\": \"+4915".to_vec(),
            vec![],
            400,
            "malformed_json",
        ),
        (
            "/hooks/default/lead",
            b"phone=+4915112345678".to_vec(),
            vec![],
            400,
            "malformed_json",
        ),
        (
            "/hooks/default/lead",
            br#"{"n":4}"#.to_vec(),
            vec![],
            422,
            "contact_missing",
        ),
        (
            "/hooks/default/lead",
            br#"{"phone":"","n":4}"#.to_vec(),
            vec![],
            422,
            "contact_missing",
        ),
        (
            "/hooks/default/lead",
            br#"{"phone":"015112345678","n":4}"#.to_vec(),
            vec![],
            422,
            "invalid_contact",
        ),
        (
            "/hooks/default/lead",
            br#"{"phone":4915112345678,"n":4}"#.to_vec(),
            vec![],
            422,
            "invalid_contact",
        ),
        (
            "/hooks/default/lead",
            br#"{"phone":"call me","n":4}"#.to_vec(),
            vec![],
            422,
            "invalid_contact",
        ),
        (
            "/hooks/default/lead",
            format!(
                r#"{{"phone":"+{phone}","n":4,"pad":"{}"}}"#,
                "x".repeat(5000)
            )
            .into_bytes(),
            vec![],
            413,
            "payload_too_large",
        ),
        (
            "/hooks/default/lead",
            format!(r#"{{"phone":"+{phone}","n":4}}"#).into_bytes(),
            vec![("Idempotency-Key", bad_key.as_str())],
            400,
            "invalid_idempotency_key",
        ),
        (
            "/hooks/default/no-such-hook",
            br#"{"phone":"+4915112345678"}"#.to_vec(),
            vec![],
            404,
            "unknown_hook",
        ),
        // A hook of another workspace, and a workspace that does not exist.
        (
            "/hooks/default/private-hook",
            br#"{"phone":"+4915112345678"}"#.to_vec(),
            vec![],
            404,
            "unknown_hook",
        ),
        (
            "/hooks/other/lead",
            br#"{"phone":"+4915112345678"}"#.to_vec(),
            vec![],
            404,
            "unknown_hook",
        ),
        (
            "/hooks/nowhere/lead",
            br#"{"phone":"+4915112345678"}"#.to_vec(),
            vec![],
            404,
            "unknown_hook",
        ),
    ];
    for (path, body, headers, status, code) in &bad {
        let response = post_hook(&shop, path, body, headers).await;
        assert_eq!(response.status, *status, "{path} {code}: {}", response.text);
        assert_eq!(response.error_code(), *code, "{}", response.text);
    }
    let last = format!(r#"{{"phone":"+{phone}","n":5}}"#);
    let accepted = post_hook(&shop, "/hooks/default/lead", last.as_bytes(), &[]).await;
    assert_eq!(accepted.status, 202, "{}", accepted.text);
    states
        .wait_until_seen("default", &[phone.to_owned()], 4)
        .await;
    assert_eq!(
        states.seen("default", phone).await,
        vec![1, 2, 3, 5],
        "none of the refused bodies started anything"
    );
    let other_contact = states.seen("other", "4915112345678").await;
    assert!(other_contact.is_empty(), "{other_contact:?}");

    // Only POST.
    let get = shop.get("/hooks/default/lead").await;
    assert_eq!(get.status, 405, "{}", get.text);
    assert_eq!(get.header("allow"), Some("POST"));

    assert!(server.stop(), "the server stops cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_callers_precisely_on_redis() {
    answers_callers_precisely(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_callers_precisely_on_the_embedded_store() {
    answers_callers_precisely(false).await;
}

/// A shop's cart journey with two ways in: `cart-abandoned` remembers `payload.n`,
/// `cart-paid` remembers `payload.n + 1000`, so the start each call took shows.
fn two_hook_flow(id: &str) -> Value {
    json!({
        "schema": 1,
        "id": id,
        "name": "Cart follow-up",
        "nodes": [
            { "id": "abandoned", "type": "webhook", "position": { "x": 0, "y": 0 },
              "config": { "hook": "cart-abandoned", "contact": "payload.phone" } },
            { "id": "paid", "type": "webhook", "position": { "x": 0, "y": 200 },
              "config": { "hook": "cart-paid", "contact": "payload.phone" } },
            remember_node("remember_abandoned", 0, "payload.n"),
            remember_node("remember_paid", 200, "payload.n + 1000"),
            { "id": "done", "type": "end", "position": { "x": 500, "y": 100 }, "config": {} }
        ],
        "edges": [
            { "from": "abandoned", "port": "next", "to": "remember_abandoned" },
            { "from": "paid", "port": "next", "to": "remember_paid" },
            { "from": "remember_abandoned", "port": "next", "to": "done" },
            { "from": "remember_paid", "port": "next", "to": "done" }
        ]
    })
}

/// Each hook of a flow starts the run at its own trigger; a hook belongs to one live flow of
/// a workspace, and publishing a second one on it says which flow holds it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_hook_starts_its_own_trigger_and_belongs_to_one_flow() {
    let server = Server::start(Database::Sqlite).await;
    let admin = server.admin().await;
    publish(&admin, "default", &two_hook_flow("cart")).await;
    let states = States::open(&server).await;
    let shop = server.anonymous();
    let phone = "4915112340001";

    for (hook, n) in [("cart-paid", 1), ("cart-abandoned", 2), ("cart-paid", 3)] {
        let body = json!({ "phone": format!("+{phone}"), "n": n }).to_string();
        let taken = post_hook(
            &shop,
            &format!("/hooks/default/{hook}"),
            body.as_bytes(),
            &[],
        )
        .await;
        assert_eq!(taken.status, 202, "{hook}: {}", taken.text);
        // One at a time: the flow does not queue a second run while one is active.
        states
            .wait_until_seen("default", &[phone.to_owned()], n)
            .await;
    }
    assert_eq!(
        states.seen("default", phone).await,
        vec![1001, 2, 1003],
        "each call started at the trigger of the hook it called"
    );

    // Another flow on `cart-paid`: refused, naming the flow that has it.
    let mut rival = remembering_flow("receipts", "cart-paid", "payload.phone", None);
    rival["name"] = json!("Receipts");
    let created = admin.post("/api/v1/workspaces/default/flows", &rival).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let refused = admin
        .post(
            "/api/v1/workspaces/default/flows/receipts/publish",
            &json!({}),
        )
        .await;
    assert_eq!(refused.status, 409, "{}", refused.text);
    assert_eq!(refused.error_code(), "hook_taken");
    assert_eq!(
        refused.body["error"]["details"]["held_by"]["flow_id"],
        "cart"
    );
    let message = refused.body["error"]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(
        message.contains("cart-paid") && message.contains("Cart follow-up"),
        "{message}"
    );
    // Nothing of the refused flow went live: the hook still starts the cart journey.
    let body = json!({ "phone": format!("+{phone}"), "n": 4 }).to_string();
    let taken = post_hook(&shop, "/hooks/default/cart-paid", body.as_bytes(), &[]).await;
    assert_eq!(taken.status, 202, "{}", taken.text);
    assert_eq!(taken.body["flow_id"], "cart");
    states
        .wait_until_seen("default", &[phone.to_owned()], 4)
        .await;
    assert_eq!(
        states.seen("default", phone).await,
        vec![1001, 2, 1003, 1004]
    );

    // Republishing the flow that holds the hook is fine; so is the same hook in another
    // workspace; and once the cart journey is unpublished the hook is free.
    let again = admin
        .post("/api/v1/workspaces/default/flows/cart/publish", &json!({}))
        .await;
    assert!(again.status == 200 || again.status == 201, "{}", again.text);
    let created = admin
        .post(
            "/api/v1/workspaces",
            &json!({ "id": "other", "name": "Another shop" }),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    publish(&admin, "other", &rival).await;
    let unpublished = admin
        .post(
            "/api/v1/workspaces/default/flows/cart/unpublish",
            &json!({}),
        )
        .await;
    assert!(unpublished.status < 300, "{}", unpublished.text);
    let freed = admin
        .post(
            "/api/v1/workspaces/default/flows/receipts/publish",
            &json!({}),
        )
        .await;
    assert_eq!(freed.status, 201, "{}", freed.text);

    assert!(server.stop(), "the server stops cleanly");
}

/// 1,000 POSTs for 100 contacts, all contacts at once, each contact's 10 in sequence: every
/// contact's events are applied in order, none lost, none doubled.
async fn many_callers_at_once(database: Database, redis: bool) {
    const CONTACTS: usize = 100;
    const EVENTS_PER_CONTACT: i64 = 10;
    let server = Server::start_with(
        database,
        Options {
            redis,
            ..Options::default()
        },
    )
    .await;
    let admin = server.admin().await;
    publish(
        &admin,
        "default",
        &remembering_flow(
            "orders",
            "order-update",
            "payload.customer.phone",
            Some("shop"),
        ),
    )
    .await;
    let set = admin
        .put(
            "/api/v1/workspaces/default/secrets/shop",
            &json!({ "value": SHOP_SECRET }),
        )
        .await;
    assert_eq!(set.status, 204, "{}", set.text);
    let states = States::open(&server).await;

    let phones: Vec<String> = (0..CONTACTS)
        .map(|i| format!("3161{:07}", 2_000_000 + i))
        .collect();
    let mut senders = tokio::task::JoinSet::new();
    for phone in phones.clone() {
        let shop = server.anonymous();
        senders.spawn(async move {
            for n in 0..EVENTS_PER_CONTACT {
                let body = format!(
                    r#"{{"customer":{{"phone":"+{phone}"}},"n":{n},"order":"o-{phone}-{n}"}}"#
                );
                let signature = sign(SHOP_SECRET, body.as_bytes());
                let key = format!("o-{phone}-{n}");
                let response = post_hook(
                    &shop,
                    "/hooks/default/order-update",
                    body.as_bytes(),
                    &[("X-Spool-Signature", &signature), ("Idempotency-Key", &key)],
                )
                .await;
                assert_eq!(response.status, 202, "{phone} #{n}: {}", response.text);
            }
        });
    }
    while let Some(done) = senders.join_next().await {
        done.expect("a sender finished");
    }
    states
        .wait_until_seen("default", &phones, EVENTS_PER_CONTACT as usize)
        .await;
    let expected: Vec<i64> = (0..EVENTS_PER_CONTACT).collect();
    for phone in &phones {
        assert_eq!(
            states.seen("default", phone).await,
            expected,
            "contact {phone}: its events in order, none lost, none doubled"
        );
    }
    assert!(server.stop(), "the server stops cleanly");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_callers_at_once_on_redis() {
    many_callers_at_once(Database::Sqlite, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_callers_at_once_on_sqlite() {
    many_callers_at_once(Database::Sqlite, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_callers_at_once_on_postgres() {
    many_callers_at_once(Database::Postgres, false).await;
}
