//! WhatsApp end to end, against a stand-in for Meta's Cloud API: a business connects its
//! number, Meta confirms the webhook, a contact's message (signed as Meta signs it) starts a
//! published journey whose answer goes out through the Cloud API with the exact body Meta
//! expects; a batch sent again is applied once, a forged one is refused, one that can never
//! be read is kept aside; a CTWA message leaves its ad on the contact; a message Meta
//! refuses sends the run through the node's `error` port.

use std::time::Duration;

use serde_json::{Value, json};
use spool_tests::{Client, Options, Server, workspace_root};
use spool_whatsapp::signature::sign;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const WS: &str = "/api/v1/workspaces/default";
const PHONE_NUMBER_ID: &str = "1098765432101";
const APP_SECRET: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
const VERIFY_TOKEN: &str = "loja-exemplo-verify-7781";
const ANA: &str = "5511987654321";

/// A fixture as Meta would send it now (its window open).
fn fixture(name: &str) -> Vec<u8> {
    spool_tests::whatsapp_fixture(name).into_bytes()
}

async fn meta() -> MockServer {
    let meta = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v25.0/{PHONE_NUMBER_ID}/messages")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "messaging_product": "whatsapp",
            "contacts": [{ "input": ANA, "wa_id": ANA }],
            "messages": [{ "id": "wamid.OUT1" }]
        })))
        .mount(&meta)
        .await;
    meta
}

async fn start(meta: &MockServer, redis: bool) -> (Server, Client, String) {
    let server = Server::start_with(
        spool_tests::Database::Sqlite,
        Options {
            redis,
            env: vec![("SPOOL_WHATSAPP_API_URL".into(), meta.uri())],
            ..Options::default()
        },
    )
    .await;
    let admin = server.admin().await;
    let created = admin
        .post(
            &format!("{WS}/channels"),
            &json!({
                "display_name": "Loja Exemplo",
                "phone_number_id": PHONE_NUMBER_ID,
                "waba_id": "102290129340398",
                "access_token": "EAAGm0PX4ZCpsBAKZBl7x9QzLojaExemploPermanentToken",
                "app_secret": APP_SECRET,
                "verify_token": VERIFY_TOKEN,
            }),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.body["id"].as_str().expect("an id").to_owned();
    (server, admin, id)
}

async fn publish(admin: &Client, flow: Value) {
    let id = flow["id"].as_str().expect("flow id").to_owned();
    let created = admin.post(&format!("{WS}/flows"), &flow).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let published = admin
        .post(&format!("{WS}/flows/{id}/publish"), &json!({}))
        .await;
    assert_eq!(published.status, 201, "{}", published.text);
}

/// POSTs a webhook body as Meta would, signed unless `signature` says otherwise.
async fn deliver(server: &Server, channel: &str, body: &[u8], signature: Option<&str>) -> u16 {
    let mut request = reqwest::Client::new()
        .post(format!("{}/webhooks/whatsapp/{channel}", server.base))
        .header("Content-Type", "application/json")
        .body(body.to_vec());
    let signed = sign(APP_SECRET, body);
    if let Some(signature) = signature
        .or(Some(&signed))
        .filter(|value| !value.is_empty())
    {
        request = request.header("X-Hub-Signature-256", signature);
    }
    request
        .send()
        .await
        .expect("the server answers")
        .status()
        .as_u16()
}

/// The messages Meta was asked to send, waiting up to 30 s for `count` of them (the whole
/// suite runs at once on 2 cores: 10 s was once too short).
async fn sends(meta: &MockServer, count: usize) -> Vec<Value> {
    for _ in 0..300 {
        let sent: Vec<Value> = meta
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .filter(|request: &&Request| request.url.path().ends_with("/messages"))
            .map(|request| serde_json::from_slice(&request.body).expect("a JSON body"))
            .collect();
        if sent.len() >= count {
            return sent;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("Meta was not asked to send {count} message(s)");
}

/// A stand-in for the shop's system, subscribed to every event of the workspace.
async fn subscriber(admin: &Client) -> MockServer {
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/spool-events"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&receiver)
        .await;
    admin.allow_private_targets(true).await;
    let subscribed = admin
        .post(
            &format!("{WS}/event-subscriptions"),
            &json!({ "url": format!("{}/spool-events", receiver.uri()) }),
        )
        .await;
    assert_eq!(subscribed.status, 201, "{}", subscribed.text);
    receiver
}

/// The events the subscriber has received, by type, waiting up to 10 s until every one of
/// `expected` is there.
async fn events(receiver: &MockServer, expected: &[&str]) -> Vec<(String, Value)> {
    let mut got = Vec::new();
    for _ in 0..100 {
        got = receiver
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .map(|request| {
                let body: Value = serde_json::from_slice(&request.body).expect("a JSON body");
                (body["type"].as_str().unwrap_or_default().to_owned(), body)
            })
            .collect();
        if expected
            .iter()
            .all(|kind| got.iter().any(|(got, _)| got == kind))
        {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let types: Vec<_> = got.iter().map(|(kind, _)| kind.as_str()).collect();
    panic!("expected events {expected:?}, the subscriber got {types:?}");
}

fn greeting() -> Value {
    json!({
        "schema": 1, "id": "greeting", "name": "Greeting",
        "nodes": [
            { "id": "start", "type": "inbound_message", "config": { "match": { "type": "any" } } },
            { "id": "hello", "type": "send_text", "config": { "text": "Olá {{ contact.name }}! Já vejo o seu pedido." } },
            { "id": "unreachable", "type": "tag", "config": { "add": ["unreachable"] } },
        ],
        "edges": [
            { "from": "start", "port": "next", "to": "hello" },
            { "from": "hello", "port": "error", "to": "unreachable" },
        ],
    })
}

async fn a_contacts_message_is_answered_through_the_cloud_api(redis: bool) {
    let meta = meta().await;
    let (server, admin, channel) = start(&meta, redis).await;
    publish(&admin, greeting()).await;
    let shop = subscriber(&admin).await;

    // Meta's handshake when the webhook URL is saved.
    let confirm = |token: &str| {
        format!(
            "/webhooks/whatsapp/{channel}?hub.mode=subscribe&hub.verify_token={token}&hub.challenge=1158201444"
        )
    };
    let anonymous = server.anonymous();
    let confirmed = anonymous.get(&confirm(VERIFY_TOKEN)).await;
    assert_eq!(
        (confirmed.status, confirmed.text.as_str()),
        (200, "1158201444")
    );
    assert_eq!(anonymous.get(&confirm("guess")).await.status, 403);

    let body = fixture("text.json");
    assert_eq!(
        deliver(&server, &channel, &body, Some("")).await,
        401,
        "unsigned"
    );
    let forged = sign("another app's secret", &body);
    assert_eq!(deliver(&server, &channel, &body, Some(&forged)).await, 401);
    assert_eq!(
        deliver(&server, "ch_0000000000000000", &body, None).await,
        404
    );
    for _ in 0..3 {
        assert_eq!(deliver(&server, &channel, &body, None).await, 200);
    }

    let sent = sends(&meta, 1).await;
    let reference = sent[0]["biz_opaque_callback_data"]
        .as_str()
        .expect("Spool's reference rides along")
        .to_owned();
    assert_eq!(
        sent[0],
        json!({
            "messaging_product": "whatsapp", "recipient_type": "individual", "to": ANA,
            "type": "text", "text": { "body": "Olá Ana Souza! Já vejo o seu pedido." },
            "biz_opaque_callback_data": reference,
        })
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        sends(&meta, 1).await.len(),
        1,
        "a batch sent again is applied once"
    );
    // A reply inside the contact's window counts nothing towards the messaging limit.
    let shown = admin.get(&format!("{WS}/channels/{channel}")).await;
    assert_eq!(
        (
            &shown.body["reached_24h"],
            &shown.body["queued"],
            &shown.body["next_release_at"]
        ),
        (&json!(0), &json!(0), &Value::Null),
        "{}",
        shown.text
    );

    // Meta reports what became of it, out of order and twice: the run sees the furthest.
    let statuses = String::from_utf8(fixture("statuses_read_before_delivered.json"))
        .expect("text")
        .replace(
            "\"run7:step2\"",
            &serde_json::to_string(&reference).expect("a JSON string"),
        );
    for _ in 0..2 {
        assert_eq!(
            deliver(&server, &channel, statuses.as_bytes(), None).await,
            200
        );
    }
    let contact_path = format!("{WS}/contacts/%2B{ANA}");
    let mut delivery = Value::Null;
    for _ in 0..100 {
        let contact = admin.get(&contact_path).await.body;
        delivery = contact["finished_runs"][0]["vars"]["delivery"]["hello"].clone();
        if delivery["status"] == "read" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(delivery["status"], "read", "{delivery}");
    assert_eq!(delivery["wamid"], "wamid.OUT3", "{delivery}");

    // The shop's system heard of the run and of its message, each once: read before
    // delivered means read only (a status never goes backwards).
    let heard = events(&shop, &["run.started", "run.finished", "message.read"]).await;
    let kinds: Vec<_> = heard.iter().map(|(kind, _)| kind.as_str()).collect();
    assert_eq!(kinds.len(), 3, "each event once: {kinds:?}");
    let (_, read) = heard
        .iter()
        .find(|(kind, _)| kind == "message.read")
        .expect("read");
    assert_eq!(read["data"]["contact"]["phone"], format!("+{ANA}"));
    assert_eq!(read["data"]["message"]["node_id"], "hello");
    assert_eq!(read["data"]["message"]["flow_id"], "greeting");
    assert_eq!(read["data"]["message"]["wamid"], "wamid.OUT3");
    let (_, finished) = heard
        .iter()
        .find(|(kind, _)| kind == "run.finished")
        .expect("finished");
    assert_eq!(finished["data"]["run"]["flow_id"], "greeting");
    assert_eq!(finished["data"]["run"]["status"], "done");

    // A contact tells WhatsApp they want Marketing messages, then that they no longer do:
    // their consent follows, and the shop hears of both.
    let consent_path = format!("{WS}/contacts/%2B16505551234");
    for (fixture_name, wanted) in [
        ("user_preferences_resume.json", true),
        ("user_preferences_stop.json", false),
    ] {
        assert_eq!(
            deliver(&server, &channel, &fixture(fixture_name), None).await,
            200
        );
        let mut consent = Value::Null;
        for _ in 0..100 {
            consent = admin.get(&consent_path).await.body["marketing_opt_in"].clone();
            if consent == wanted {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(consent, wanted, "after {fixture_name}");
    }
    let heard = events(&shop, &["contact.opted_in", "contact.opted_out"]).await;
    for (kind, event) in &heard {
        if kind.starts_with("contact.") {
            assert_eq!(event["data"]["contact"]["phone"], "+16505551234", "{event}");
        }
    }

    // Meta sends every number of an app to one URL: a message for the business's second
    // number is answered from that number.
    const SECOND_NUMBER: &str = "1098765432102";
    Mock::given(method("POST"))
        .and(path(format!("/v25.0/{SECOND_NUMBER}/messages")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "messaging_product": "whatsapp", "messages": [{ "id": "wamid.SECOND1" }]
        })))
        .mount(&meta)
        .await;
    let second = admin
        .post(
            &format!("{WS}/channels"),
            &json!({
                "display_name": "Loja Exemplo (entregas)", "phone_number_id": SECOND_NUMBER,
                "waba_id": "102290129340398", "access_token": "EAAGm0PX4ZCpsBAKZBl7x9QzLojaSecondToken",
                "app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN,
            }),
        )
        .await;
    assert_eq!(second.status, 201, "{}", second.text);
    let for_second = String::from_utf8(fixture("text.json"))
        .expect("text")
        .replace(PHONE_NUMBER_ID, SECOND_NUMBER)
        .replace("wamid.AAA1", "wamid.AAA2")
        .replace(ANA, "5511987650002");
    assert_eq!(
        deliver(&server, &channel, for_second.as_bytes(), None).await,
        200
    );
    let mut from_second = 0;
    for _ in 0..100 {
        from_second = meta
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .filter(|request| request.url.path() == format!("/v25.0/{SECOND_NUMBER}/messages"))
            .count();
        if from_second > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        from_second, 1,
        "the answer goes out from the number written to"
    );

    // A body Meta signed that can never be read is kept aside and answered 200.
    let truncated = &body[..body.len() / 2];
    assert_eq!(deliver(&server, &channel, truncated, None).await, 200);
    // Every documented shape, good and bad, is taken without a crash.
    let fixtures = workspace_root().join("tests/fixtures/whatsapp");
    for entry in std::fs::read_dir(&fixtures).expect("the fixtures") {
        let name = entry.expect("an entry").file_name();
        let name = name.to_string_lossy();
        if name.ends_with(".json") {
            let status = deliver(&server, &channel, &fixture(&name), None).await;
            assert_eq!(status, 200, "{name}");
        }
    }
    // More than the server takes in one body (1 MiB by default) is refused as too large.
    let huge = vec![b' '; 10 * 1024 * 1024];
    assert_eq!(deliver(&server, &channel, &huge, None).await, 413);
    assert_eq!(server.anonymous().get("/readyz").await.status, 200);
    assert!(server.stop());
}

async fn an_ad_tap_leaves_its_ad_on_the_contact_and_a_refusal_takes_the_error_port(redis: bool) {
    let meta = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v25.0/{PHONE_NUMBER_ID}/messages")))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": {
                "message": "(#131047) Re-engagement message", "type": "OAuthException",
                "code": 131047,
                "error_data": { "messaging_product": "whatsapp", "details": "Message failed to send because more than 24 hours have passed since the customer last replied to this number." },
                "fbtrace_id": "Az8or2yhqkZfEZ-_4Qn_Bam"
            }
        })))
        .mount(&meta)
        .await;
    let (server, admin, channel) = start(&meta, redis).await;
    publish(&admin, greeting()).await;
    let shop = subscriber(&admin).await;
    assert_eq!(
        deliver(&server, &channel, &fixture("referral_ctwa.json"), None).await,
        200
    );
    sends(&meta, 1).await;
    let contact_path = format!("{WS}/contacts/%2B{ANA}");
    let mut contact = Value::Null;
    for _ in 0..100 {
        contact = admin.get(&contact_path).await.body;
        if contact["tags"]
            .as_array()
            .is_some_and(|tags| tags.contains(&json!("unreachable")))
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(contact["tags"], json!(["unreachable"]), "{contact}");
    assert_eq!(contact["first_touch"]["source_type"], "ad", "{contact}");
    assert!(contact["first_touch"]["ctwa_clid"].is_string(), "{contact}");
    assert_eq!(contact["last_touch"], contact["first_touch"]);
    let heard = events(&shop, &["message.failed"]).await;
    let (_, failed) = heard
        .iter()
        .find(|(kind, _)| kind == "message.failed")
        .expect("failed");
    assert_eq!(failed["data"]["message"]["error"]["code"], "131047");
    assert_eq!(failed["data"]["message"]["node_id"], "hello");
    assert!(server.stop());
}

async fn a_revoked_token_pauses_sending_until_the_check_finds_it_accepted(redis: bool) {
    let meta = MockServer::start().await;
    let messages = format!("/v25.0/{PHONE_NUMBER_ID}/messages");
    Mock::given(method("POST"))
        .and(path(messages.clone()))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": { "message": "Error validating access token: The session has been invalidated.",
                       "type": "OAuthException", "code": 190, "error_subcode": 460 }
        })))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&meta)
        .await;
    Mock::given(method("POST"))
        .and(path(messages))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "messaging_product": "whatsapp", "messages": [{ "id": "wamid.OUT2" }]
        })))
        .mount(&meta)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v25.0/{PHONE_NUMBER_ID}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": PHONE_NUMBER_ID, "display_phone_number": "+1 555-000-1111",
            "verified_name": "Loja Exemplo", "quality_rating": "GREEN",
            "throughput": { "level": "STANDARD" },
            "whatsapp_business_manager_messaging_limit": "TIER_2K"
        })))
        .mount(&meta)
        .await;
    Mock::given(method("GET"))
        .and(path("/v25.0/102290129340398/subscribed_apps"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [{ "whatsapp_business_api_data": { "id": "7", "name": "Spool" } }]
        })))
        .mount(&meta)
        .await;
    let (server, admin, channel) = start(&meta, redis).await;
    publish(&admin, greeting()).await;
    assert_eq!(
        deliver(&server, &channel, &fixture("text.json"), None).await,
        200
    );
    sends(&meta, 1).await;

    let channel_path = format!("{WS}/channels/{channel}");
    let mut paused = Value::Null;
    for _ in 0..100 {
        paused = admin.get(&channel_path).await.body["paused_reason"].clone();
        if paused.is_string() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        paused.is_string(),
        "the channel says why it stopped sending"
    );
    let ready = server.anonymous().get("/readyz").await;
    assert!(ready.text.contains(&channel), "{}", ready.text);

    // The business fixed the token at Meta: the check says all is well and sending goes on.
    let checked = admin.get(&format!("{channel_path}/check")).await;
    assert_eq!(checked.status, 200, "{}", checked.text);
    assert_eq!(checked.body["ok"], true, "{}", checked.text);
    assert_eq!(checked.body["resumed"], true, "{}", checked.text);
    // Meta's word on the number becomes the channel's: the portfolio grew to 2,000 a day.
    assert_eq!(
        checked.body["refreshed"],
        json!([
            "messaging_limit: 250 → 2000",
            "quality_rating: unknown → GREEN"
        ]),
        "{}",
        checked.text
    );
    let standing = admin.get(&channel_path).await.body;
    assert_eq!(standing["messaging_limit"], 2000, "{standing}");
    assert_eq!(standing["quality_rating"], "GREEN", "{standing}");
    let sent = sends(&meta, 2).await;
    assert_eq!(
        sent[1]["text"]["body"],
        "Olá Ana Souza! Já vejo o seu pedido."
    );
    assert_eq!(
        admin.get(&channel_path).await.body["paused_reason"],
        Value::Null
    );
    assert!(server.stop());
}

/// The lead funnel (the example journey) on WhatsApp: an ad tap starts it, a typed budget
/// and a tapped button move it on, each answer going out through the Cloud API.
async fn an_ad_tap_starts_the_lead_funnel_and_a_button_tap_moves_it_on(redis: bool) {
    let meta = meta().await;
    let (server, admin, channel) = start(&meta, redis).await;
    let example = workspace_root().join("flows/examples/ctwa-lead-qualification.json");
    let text = std::fs::read_to_string(&example).expect("the example");
    publish(&admin, serde_json::from_str(&text).expect("JSON")).await;

    let said = |fixture_name: &str, replace: &[(&str, &str)]| {
        let mut body = String::from_utf8(fixture(fixture_name)).expect("text");
        for (from, to) in replace {
            body = body.replace(from, to);
        }
        body
    };
    let tap = said("referral_ctwa.json", &[]);
    assert_eq!(deliver(&server, &channel, tap.as_bytes(), None).await, 200);
    let sent = sends(&meta, 1).await;
    let first = sent[0]["text"]["body"].as_str().unwrap_or_default();
    assert!(
        first.starts_with("Hi Ana Souza, thanks for your interest in Frete grátis hoje!"),
        "{first}"
    );

    let budget = said(
        "text.json",
        &[
            ("wamid.AAA1", "wamid.LEAD2"),
            ("Quero rastrear meu pedido", "800"),
        ],
    );
    assert_eq!(
        deliver(&server, &channel, budget.as_bytes(), None).await,
        200
    );
    let sent = sends(&meta, 2).await;
    assert_eq!(sent[1]["type"], "interactive", "{}", sent[1]);
    assert_eq!(
        sent[1]["interactive"]["body"]["text"],
        "2/3: When would you like to start?"
    );

    let button = said(
        "button_reply.json",
        &[
            ("wamid.AAA2", "wamid.LEAD3"),
            ("opt_track", "this_month"),
            ("Track order", "This month"),
        ],
    );
    assert_eq!(
        deliver(&server, &channel, button.as_bytes(), None).await,
        200
    );
    let sent = sends(&meta, 3).await;
    assert_eq!(
        sent[2]["text"]["body"],
        "3/3: In a sentence or two, what do you need help with?"
    );
    let contact = admin.get(&format!("{WS}/contacts/%2B{ANA}")).await.body;
    assert_eq!(
        contact["first_touch"]["headline"], "Frete grátis hoje",
        "{contact}"
    );
    assert_eq!(
        contact["runs"][0]["vars"]["timing"], "this_month",
        "{contact}"
    );
    assert!(server.stop());
}

mod on_embedded {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_ad_tap_starts_the_lead_funnel_and_a_button_tap_moves_it_on() {
        super::an_ad_tap_starts_the_lead_funnel_and_a_button_tap_moves_it_on(false).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_revoked_token_pauses_sending_until_the_check_finds_it_accepted() {
        super::a_revoked_token_pauses_sending_until_the_check_finds_it_accepted(false).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_contacts_message_is_answered_through_the_cloud_api() {
        super::a_contacts_message_is_answered_through_the_cloud_api(false).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_ad_tap_leaves_its_ad_on_the_contact_and_a_refusal_takes_the_error_port() {
        super::an_ad_tap_leaves_its_ad_on_the_contact_and_a_refusal_takes_the_error_port(false)
            .await;
    }
}

mod on_redis {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_ad_tap_starts_the_lead_funnel_and_a_button_tap_moves_it_on() {
        super::an_ad_tap_starts_the_lead_funnel_and_a_button_tap_moves_it_on(true).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_revoked_token_pauses_sending_until_the_check_finds_it_accepted() {
        super::a_revoked_token_pauses_sending_until_the_check_finds_it_accepted(true).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_contacts_message_is_answered_through_the_cloud_api() {
        super::a_contacts_message_is_answered_through_the_cloud_api(true).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_ad_tap_leaves_its_ad_on_the_contact_and_a_refusal_takes_the_error_port() {
        super::an_ad_tap_leaves_its_ad_on_the_contact_and_a_refusal_takes_the_error_port(true)
            .await;
    }
}
