//! The contact directory over real HTTP, on SQLite and PostgreSQL, and with state in Redis:
//! contacts added, changed and written to are found by every kind of condition with exactly
//! the members they should have; pages follow a cursor; bulk tags reach an audience; the
//! consent ledger says where each opt-in and opt-out came from; the directory agrees with
//! the contact as the runtime holds it; an erased number is gone from the directory and
//! cannot be added again.

use std::time::Duration;

use serde_json::{Value, json};
use spool_nodes::{Content, InboundMessage};
use spool_runtime::clock::{Clock, SystemClock};
use spool_runtime::state::contact_id_for;
use spool_runtime::store::Store;
use spool_runtime::{Event, ScopedId};
use spool_tests::{Client, Database, Options, Response, Server, on_both_databases};

use crate::contacts::{same_store, welcome_flow};

const CONTACTS: &str = "/api/v1/workspaces/default/contacts";
const ANA: &str = "4915112345678";
const BRUNO: &str = "351912345678";
const CARLA: &str = "5511912345678";
const DAN: &str = "14155550100";

async fn start(db: Database, redis: bool) -> Server {
    Server::start_with(
        db,
        Options {
            redis,
            args: vec!["--partitions".into(), "4".into()],
            ..Options::default()
        },
    )
    .await
}

/// A contact writes, as the WhatsApp webhook would hand the message over.
async fn writes(store: &dyn Store, wa_id: &str, text: &str, referral: Option<Value>) {
    let now = SystemClock.now();
    let message = InboundMessage {
        id: format!("wamid.{wa_id}.{now}.{}", text.len()),
        from: wa_id.to_owned(),
        from_user_id: None,
        profile_name: None,
        timestamp: now,
        content: Content::Text { body: text.into() },
        referral,
        context_id: None,
        channel: Some("ch_main".into()),
    };
    let mut event = Event::inbound(message, now);
    event.contact_id = ScopedId::new("default", &contact_id_for(wa_id)).into();
    store.append(&event).await.expect("the message is taken");
}

/// The numbers (digits) a search finds, in order.
async fn search(client: &Client, audience: Value) -> Vec<String> {
    let found = client
        .post(
            &format!("{CONTACTS}/search"),
            &json!({ "audience": { "all": audience }, "sort": "phone", "limit": 500 }),
        )
        .await;
    assert_eq!(found.status, 200, "{audience}: {}", found.text);
    numbers(&found)
}

/// Numbers in the order a search by number gives them.
fn sorted(numbers: &[&str]) -> Vec<String> {
    let mut numbers: Vec<String> = numbers.iter().map(|n| (*n).to_owned()).collect();
    numbers.sort();
    numbers
}

fn numbers(page: &Response) -> Vec<String> {
    phones_of(&page.body["contacts"])
}

/// The numbers (digits) of a list of contacts, in its order.
fn phones_of(contacts: &Value) -> Vec<String> {
    contacts
        .as_array()
        .expect("contacts")
        .iter()
        .map(|contact| {
            contact["phone"]
                .as_str()
                .unwrap_or_default()
                .trim_start_matches('+')
                .to_owned()
        })
        .collect()
}

/// Waits until `done` holds for a search (changes land in the directory when applied).
async fn eventually(client: &Client, audience: Value, expected: &[&str]) {
    let mut last = Vec::new();
    for _ in 0..400 {
        last = search(client, audience.clone()).await;
        if last == sorted(expected) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{audience} found {last:?}, not {expected:?}");
}

async fn add(client: &Client, body: Value) {
    let added = client.post(CONTACTS, &body).await;
    assert_eq!(added.status, 202, "{body}: {}", added.text);
}

/// Ana (VIP lead, Lisbon, 5 orders, consent), Bruno (Porto, 1 order, came from an ad and
/// wrote just now), Carla (12 orders written as text, consent), Dan (a number alone).
async fn seed(admin: &Client, store: &dyn Store) {
    let created = admin
        .post("/api/v1/workspaces/default/flows", &welcome_flow())
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let published = admin
        .post(
            "/api/v1/workspaces/default/flows/welcome/publish",
            &json!({}),
        )
        .await;
    assert_eq!(published.status, 201, "{}", published.text);
    add(
        admin,
        json!({
            "phone": "+49 151 12345678", "name": "Ana Pereira", "tags": ["vip", "lead"],
            "properties": { "city": "Lisboa", "orders": 5 },
            "marketing_opt_in": true, "consent_basis": "ticked the box at checkout",
            "consent_text": "Send me offers on WhatsApp"
        }),
    )
    .await;
    add(
        admin,
        json!({ "phone": "+351912345678", "name": "Bruno", "tags": ["newsletter"],
                "properties": { "city": "Porto", "orders": 1 } }),
    )
    .await;
    add(
        admin,
        json!({ "phone": "+5511912345678", "name": "Carla", "properties": { "orders": "12" },
                "marketing_opt_in": true, "consent_basis": "signed up in the shop" }),
    )
    .await;
    add(admin, json!({ "phone": "+14155550100" })).await;
    writes(
        store,
        BRUNO,
        "Hi! Is the sale still on?",
        Some(json!({ "source_id": "ad-42", "source_type": "ad", "source_url": "https://fb.me/x" })),
    )
    .await;
    eventually(
        admin,
        json!([{ "kind": "wrote_within", "days": 1 }]),
        &[BRUNO],
    )
    .await;
    eventually(
        admin,
        json!([{ "kind": "reached", "flow_id": "welcome", "node_id": "ask" }]),
        &[ANA],
    )
    .await;
}

async fn every_condition_finds_exactly_its_members(db: Database) {
    let server = start(db, false).await;
    let admin = server.admin().await;
    let store = same_store(&server).await;
    seed(&admin, store.as_ref()).await;
    let cases = [
        (json!([]), vec![DAN, ANA, BRUNO, CARLA]),
        (json!([{ "kind": "tag", "tag": "vip" }]), vec![ANA]),
        (
            json!([{ "kind": "not_tag", "tag": "vip" }]),
            vec![DAN, BRUNO, CARLA],
        ),
        (
            json!([{ "kind": "property", "name": "city", "test": "equals", "value": "lisboa" }]),
            vec![ANA],
        ),
        (
            json!([{ "kind": "property", "name": "city", "test": "not_equals", "value": "Lisboa" }]),
            vec![DAN, BRUNO, CARLA],
        ),
        (
            json!([{ "kind": "property", "name": "city", "test": "contains", "value": "ORT" }]),
            vec![BRUNO],
        ),
        (
            json!([{ "kind": "property", "name": "orders", "test": "greater_than", "value": 3 }]),
            vec![ANA, CARLA],
        ),
        (
            json!([{ "kind": "property", "name": "orders", "test": "less_than", "value": "3" }]),
            vec![BRUNO],
        ),
        (
            json!([{ "kind": "property", "name": "orders", "test": "equals", "value": 12 }]),
            vec![CARLA],
        ),
        (
            json!([{ "kind": "property", "name": "city", "test": "exists" }]),
            vec![ANA, BRUNO],
        ),
        (
            json!([{ "kind": "property", "name": "city", "test": "missing" }]),
            vec![DAN, CARLA],
        ),
        (
            json!([{ "kind": "marketing_consent", "given": true }]),
            vec![ANA, CARLA],
        ),
        (
            json!([{ "kind": "marketing_consent", "given": false }]),
            vec![DAN, BRUNO],
        ),
        (json!([{ "kind": "wrote_within", "days": 7 }]), vec![BRUNO]),
        (
            json!([{ "kind": "silent_for", "days": 1 }]),
            vec![DAN, ANA, CARLA],
        ),
        (
            json!([{ "kind": "reached", "flow_id": "welcome" }]),
            vec![ANA],
        ),
        (
            json!([{ "kind": "reached", "flow_id": "welcome", "node_id": "bye" }]),
            Vec::<&str>::new(),
        ),
        (
            json!([{ "kind": "from_ad", "ad_id": "ad-42" }]),
            vec![BRUNO],
        ),
        (json!([{ "kind": "from_ad", "ad_id": "ad-7" }]), vec![]),
        (
            json!([{ "kind": "channel", "channel": "ch_main" }]),
            vec![BRUNO],
        ),
        (json!([{ "kind": "search", "text": "car" }]), vec![CARLA]),
        (
            json!([{ "kind": "search", "text": "+351 91" }]),
            vec![BRUNO],
        ),
        (
            json!([
                { "kind": "marketing_consent", "given": true },
                { "kind": "property", "name": "orders", "test": "greater_than", "value": 10 }
            ]),
            vec![CARLA],
        ),
    ];
    for (audience, expected) in cases {
        assert_eq!(
            search(&admin, audience.clone()).await,
            sorted(&expected),
            "{audience}"
        );
    }

    // The same filters in a list's query.
    let listed = admin
        .get(&format!(
            "{CONTACTS}?tag=lead&consent=given&flow=welcome&node=ask"
        ))
        .await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    assert_eq!(numbers(&listed), [ANA]);
    let refused = admin.get(&format!("{CONTACTS}?colour=red")).await;
    assert_eq!(refused.status, 400);
    assert_eq!(refused.body["error"]["code"], "unknown_parameter");
    let refused = admin
        .post(
            &format!("{CONTACTS}/search"),
            &json!({ "audience": { "all": [
                { "kind": "tag", "tag": "vip" },
                { "kind": "property", "name": "orders", "test": "greater_than", "value": "many" }
            ] } }),
        )
        .await;
    assert_eq!(refused.status, 400, "{}", refused.text);
    assert_eq!(refused.body["error"]["code"], "invalid_audience");
    assert_eq!(refused.body["error"]["details"]["condition"], 2);

    // Pages by name follow their cursor, and a cursor of another order is refused.
    let first = admin.get(&format!("{CONTACTS}?sort=name&limit=3")).await;
    assert_eq!(
        numbers(&first),
        [DAN, ANA, BRUNO],
        "no name first, then A to Z"
    );
    let cursor = first.body["next_cursor"].as_str().expect("a next page");
    let second = admin
        .get(&format!("{CONTACTS}?sort=name&limit=3&cursor={cursor}"))
        .await;
    assert_eq!(numbers(&second), [CARLA]);
    assert_eq!(second.body["next_cursor"], Value::Null);
    let mixed = admin
        .get(&format!("{CONTACTS}?sort=created&cursor={cursor}"))
        .await;
    assert_eq!(
        mixed.body["error"]["code"], "invalid_cursor",
        "{}",
        mixed.text
    );

    // A segment is a saved audience: its count and sample are whoever matches now.
    let segments = "/api/v1/workspaces/default/segments";
    let consented = json!({ "all": [{ "kind": "marketing_consent", "given": true }] });
    let preview = admin.post(&format!("{segments}/preview"), &consented).await;
    assert_eq!(preview.status, 200, "{}", preview.text);
    assert_eq!(preview.body["count"], 2);
    let mut sample = phones_of(&preview.body["sample"]);
    sample.sort();
    assert_eq!(sample, sorted(&[ANA, CARLA]));
    let saved = admin
        .post(
            segments,
            &json!({ "name": "Opted in", "audience": consented }),
        )
        .await;
    assert_eq!(saved.status, 201, "{}", saved.text);
    assert_eq!(saved.body["count"], 2);
    let taken = admin
        .post(
            segments,
            &json!({ "name": "Opted in", "audience": { "all": [] } }),
        )
        .await;
    assert_eq!(taken.status, 409, "{}", taken.text);
    let id = saved.body["id"].as_str().expect("an id");
    let narrowed = admin
        .send(
            admin
                .request(reqwest::Method::PUT, &format!("{segments}/{id}"))
                .json(&json!({ "name": "Opted-in VIPs", "audience": { "all": [
                    { "kind": "marketing_consent", "given": true }, { "kind": "tag", "tag": "vip" }
                ] } })),
        )
        .await;
    assert_eq!(narrowed.status, 200, "{}", narrowed.text);
    assert_eq!(narrowed.body["count"], 1);
    let listed = admin.get(segments).await;
    assert_eq!(listed.body["segments"][0]["name"], "Opted-in VIPs");
    let gone = admin
        .send(admin.request(reqwest::Method::DELETE, &format!("{segments}/{id}")))
        .await;
    assert_eq!(gone.status, 204);

    // The directory agrees with the contact as the runtime holds it.
    let listed = admin.get(&format!("{CONTACTS}?q=ana")).await;
    let entry = &listed.body["contacts"][0];
    let contact = admin.get(&format!("{CONTACTS}/%2B{ANA}")).await;
    assert_eq!(contact.status, 200);
    for field in ["name", "tags", "properties", "marketing_opt_in", "phone"] {
        assert_eq!(entry[field], contact.body[field], "{field}");
    }
    assert_eq!(entry["tags"], json!(["lead", "vip"]));
    assert_eq!(
        entry["properties"],
        json!({ "city": "Lisboa", "orders": 5 })
    );
}

async fn bulk_tags_consent_ledger_and_erasure(db: Database) {
    let server = start(db, false).await;
    let admin = server.admin().await;
    let store = same_store(&server).await;
    seed(&admin, store.as_ref()).await;

    // Everyone with consent gets a tag, in one call.
    let tagged = admin
        .post(
            &format!("{CONTACTS}/bulk"),
            &json!({
                "audience": { "all": [{ "kind": "marketing_consent", "given": true }] },
                "add_tags": ["spring-sale"]
            }),
        )
        .await;
    assert_eq!(tagged.status, 200, "{}", tagged.text);
    assert_eq!(tagged.body["changed"], 2);
    eventually(
        &admin,
        json!([{ "kind": "tag", "tag": "spring-sale" }]),
        &[ANA, CARLA],
    )
    .await;
    let untagged = admin
        .post(
            &format!("{CONTACTS}/bulk"),
            &json!({ "phones": ["+4915112345678", "+447700900123"], "remove_tags": ["spring-sale"] }),
        )
        .await;
    assert_eq!(untagged.status, 200, "{}", untagged.text);
    assert_eq!(untagged.body["changed"], 1);
    assert_eq!(untagged.body["unknown"], json!(["+447700900123"]));
    eventually(
        &admin,
        json!([{ "kind": "tag", "tag": "spring-sale" }]),
        &[CARLA],
    )
    .await;

    // Ana says STOP: the ledger has the operator's opt-in with its basis, then her keyword.
    writes(store.as_ref(), ANA, "STOP", None).await;
    eventually(
        &admin,
        json!([{ "kind": "marketing_consent", "given": true }]),
        &[CARLA],
    )
    .await;
    let ledger = admin.get(&format!("{CONTACTS}/%2B{ANA}/consent")).await;
    assert_eq!(ledger.status, 200, "{}", ledger.text);
    let entries = ledger.body["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 2, "{}", ledger.text);
    assert_eq!(entries[0]["opted_in"], true);
    assert_eq!(entries[0]["source"], "operator");
    assert_eq!(entries[0]["actor"], "user:admin@spool.test");
    assert_eq!(entries[0]["basis"], "ticked the box at checkout");
    assert_eq!(entries[0]["text"], "Send me offers on WhatsApp");
    assert_eq!(entries[1]["opted_in"], false);
    assert_eq!(entries[1]["source"], "keyword");
    assert_eq!(entries[1]["text"], "STOP");

    // Ana asks for her data: one document with her profile, consent and messages.
    let export = admin.get(&format!("{CONTACTS}/%2B{ANA}/export")).await;
    assert_eq!(export.status, 200, "{}", export.text);
    assert_eq!(export.body["about"], format!("+{ANA}"));
    assert_eq!(export.body["profile"]["name"], "Ana Pereira");
    assert_eq!(export.body["consent"], ledger.body["entries"]);
    let words: Vec<&str> = export.body["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter_map(|message| message["content"]["body"].as_str())
        .collect();
    assert_eq!(words, ["STOP"], "{}", export.text);
    assert!(export.body["processing"]["recipients"].is_string());

    // Consent without a basis is refused before anything is kept.
    let refused = admin
        .post(
            CONTACTS,
            &json!({ "phone": "+447700900123", "marketing_opt_in": true }),
        )
        .await;
    assert_eq!(refused.status, 400, "{}", refused.text);
    assert_eq!(
        refused.body["error"]["code"], "invalid_consent",
        "{}",
        refused.text
    );

    // Dan is erased: gone from the directory, and his number cannot be added back.
    let erased = admin
        .send(admin.request(reqwest::Method::DELETE, &format!("{CONTACTS}/%2B{DAN}")))
        .await;
    assert_eq!(erased.status, 204, "{}", erased.text);
    assert_eq!(
        search(&admin, json!([])).await,
        sorted(&[ANA, BRUNO, CARLA])
    );
    let again = admin
        .post(CONTACTS, &json!({ "phone": "+1 415 555 0100" }))
        .await;
    assert_eq!(again.status, 409, "{}", again.text);
    assert_eq!(again.body["error"]["code"], "suppressed");
}

on_both_databases!(
    every_condition_finds_exactly_its_members,
    bulk_tags_consent_ledger_and_erasure
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_directory_follows_contacts_kept_in_redis() {
    let server = start(Database::Sqlite, true).await;
    let admin = server.admin().await;
    let store = same_store(&server).await;
    seed(&admin, store.as_ref()).await;
    assert_eq!(
        search(&admin, json!([{ "kind": "tag", "tag": "lead" }])).await,
        [ANA]
    );
    assert_eq!(
        search(&admin, json!([{ "kind": "from_ad", "ad_id": "ad-42" }])).await,
        [BRUNO]
    );
}
