//! WhatsApp message templates end to end, against a stand-in for Meta: a connected number's
//! templates are read from Meta (page after page) and listed; publishing refuses a flow
//! whose template is missing, not approved, filed under another category or given another
//! number of values; Meta's webhooks (signed, over HTTP) recategorise and pause templates,
//! and sends follow: a template Meta refiled as Marketing needs the contact's opt-in and
//! goes out through the Marketing Messages API; each contact gets the translation of their
//! locale when Meta approved it; and a sync Meta refuses is shown and refuses nothing.

use std::time::Duration;

use serde_json::{Value, json};
use spool_tests::{Client, Database, Options, Server, on_both_databases};
use spool_whatsapp::signature::sign;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const WS: &str = "/api/v1/workspaces/default";
const PHONE_NUMBER_ID: &str = "1098765432101";
const WABA_ID: &str = "102290129340398";
const APP_SECRET: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
const ANA: &str = "5511987654321";

fn listed(name: &str, language: &str, category: &str, status: &str, body: &str) -> Value {
    json!({
        "id": format!("{name}-{language}"), "name": name, "language": language,
        "category": category, "status": status, "parameter_format": "POSITIONAL",
        "components": [{ "type": "BODY", "text": body }]
    })
}

/// Meta: two pages of templates, and both send endpoints.
pub(crate) async fn meta() -> MockServer {
    let meta = MockServer::start().await;
    let templates = format!("/v25.0/{WABA_ID}/message_templates");
    Mock::given(method("GET"))
        .and(path(templates.clone()))
        .and(query_param("after", "page2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [
                listed("delivery_window", "en", "UTILITY", "APPROVED", "We deliver tomorrow."),
                listed("delivery_window", "pt", "UTILITY", "APPROVED", "Entregamos amanhã."),
                listed("cart_reminder", "en_US", "UTILITY", "APPROVED", "{{1}}, your cart is waiting."),
            ],
            "paging": { "cursors": { "before": "page2", "after": "end" } }
        })))
        .with_priority(1)
        .mount(&meta)
        .await;
    Mock::given(method("GET"))
        .and(path(templates))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [
                listed("spring_sale", "en_US", "MARKETING", "APPROVED", "Hi {{1}}, spring is here."),
                listed("welcome_offer", "en_US", "MARKETING", "PENDING", "Welcome!"),
                listed("order_shipped", "en", "UTILITY", "APPROVED", "{{1}}, your order shipped."),
                listed("order_shipped", "pt_BR", "UTILITY", "APPROVED", "{{1}}, seu pedido saiu."),
            ],
            "paging": {
                "cursors": { "before": "page1", "after": "page2" },
                "next": format!("https://graph.facebook.com/v25.0/{WABA_ID}/message_templates?after=page2")
            }
        })))
        .with_priority(2)
        .mount(&meta)
        .await;
    for endpoint in ["messages", "marketing_messages"] {
        accept_sends(&meta, endpoint).await;
    }
    meta
}

/// Meta accepts every send to `endpoint` (`messages`, `marketing_messages`) of the number.
pub(crate) async fn accept_sends(meta: &MockServer, endpoint: &str) {
    Mock::given(method("POST"))
        .and(path(format!("/v25.0/{PHONE_NUMBER_ID}/{endpoint}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "messaging_product": "whatsapp",
            "contacts": [{ "input": ANA, "wa_id": ANA }],
            "messages": [{ "id": "wamid.OUT1" }]
        })))
        .mount(meta)
        .await;
}

/// A server whose one channel's templates were synced.
pub(crate) async fn start(
    meta: &MockServer,
    database: Database,
    marketing_api: bool,
) -> (Server, Client, String) {
    start_on(meta, database, marketing_api, false).await
}

/// As [`start`], with contact state in Redis when `redis`.
pub(crate) async fn start_on(
    meta: &MockServer,
    database: Database,
    marketing_api: bool,
    redis: bool,
) -> (Server, Client, String) {
    let server = Server::start_with(
        database,
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
                "display_name": "Loja Exemplo", "phone_number_id": PHONE_NUMBER_ID,
                "waba_id": WABA_ID, "access_token": "EAAGm0PX4ZCpsBAKZBl7x9QzLojaExemploPermanentToken",
                "app_secret": APP_SECRET, "verify_token": "loja-exemplo-verify-7781",
                "marketing_messages_api": marketing_api,
            }),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let channel = created.body["id"].as_str().expect("an id").to_owned();
    // Connecting the number reads its templates.
    for _ in 0..100 {
        let list = admin.get(&format!("{WS}/templates")).await;
        if list.body["syncs"][0]["synced_at"].is_string() {
            return (server, admin, channel);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the new channel's templates were not synced");
}

/// A fixture as Meta would send it now, its message id replaced by `wamid`.
fn fixture(name: &str, wamid: &str) -> Vec<u8> {
    spool_tests::whatsapp_fixture(name)
        .replace("wamid.AAA1", wamid)
        .into_bytes()
}

pub(crate) async fn deliver(server: &Server, channel: &str, body: &[u8]) {
    let status = reqwest::Client::new()
        .post(format!("{}/webhooks/whatsapp/{channel}", server.base))
        .header("Content-Type", "application/json")
        .header("X-Hub-Signature-256", sign(APP_SECRET, body))
        .body(body.to_vec())
        .send()
        .await
        .expect("the server answers")
        .status()
        .as_u16();
    assert_eq!(status, 200);
}

/// The template sends Meta was asked for, `(endpoint, template)`, waiting for `count`.
async fn sends(meta: &MockServer, count: usize) -> Vec<(String, Value)> {
    for _ in 0..100 {
        let sent: Vec<(String, Value)> = meta
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .filter(|request: &&Request| request.method.as_str() == "POST")
            .map(|request| {
                let body: Value = serde_json::from_slice(&request.body).expect("a JSON body");
                let endpoint = request.url.path().rsplit('/').next().unwrap_or_default();
                (endpoint.to_owned(), body["template"].clone())
            })
            .collect();
        if sent.len() >= count {
            return sent;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("Meta was not asked to send {count} message(s)");
}

fn template_flow(id: &str, sends: &[Value]) -> Value {
    let mut nodes = vec![json!({ "id": "start", "type": "inbound_message" })];
    let mut edges = Vec::new();
    let mut previous = "start".to_owned();
    for (i, config) in sends.iter().enumerate() {
        let node = format!("send{}", i + 1);
        nodes.push(json!({ "id": node, "type": "send_template", "config": config }));
        edges.push(json!({ "from": previous, "port": "next", "to": node }));
        edges.push(json!({ "from": node, "port": "error", "to": "refused" }));
        previous = node;
    }
    nodes.push(json!({ "id": "refused", "type": "tag", "config": { "add": ["refused"] } }));
    json!({ "schema": 1, "id": id, "name": id, "nodes": nodes, "edges": edges })
}

/// Creates the flow and publishes it: the answer to the publish.
pub(crate) async fn publish(admin: &Client, flow: &Value) -> spool_tests::Response {
    let id = flow["id"].as_str().expect("flow id");
    let created = admin.post(&format!("{WS}/flows"), flow).await;
    assert_eq!(created.status, 201, "{}", created.text);
    admin
        .post(&format!("{WS}/flows/{id}/publish"), &json!({}))
        .await
}

/// `(node, code, field)` of each error diagnostic.
fn errors(diagnostics: &Value) -> Vec<(String, String, String)> {
    diagnostics
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["severity"] == "error")
        .map(|d| {
            let text = |key: &str| d[key].as_str().unwrap_or_default().to_owned();
            (text("node_id"), text("code"), text("field"))
        })
        .collect()
}

fn triple(node: &str, code: &str, field: &str) -> (String, String, String) {
    (node.to_owned(), code.to_owned(), field.to_owned())
}

async fn synced_templates_are_listed_and_publishing_checks_sends_against_them(database: Database) {
    let meta = meta().await;
    let (server, admin, channel) = start(&meta, database, false).await;

    let list = admin.get(&format!("{WS}/templates")).await;
    assert_eq!(list.status, 200, "{}", list.text);
    let names: Vec<String> = list.body["templates"]
        .as_array()
        .expect("templates")
        .iter()
        .map(|t| {
            format!(
                "{}/{}",
                t["name"].as_str().unwrap_or_default(),
                t["language"].as_str().unwrap_or_default()
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            "cart_reminder/en_US",
            "delivery_window/en",
            "delivery_window/pt",
            "order_shipped/en",
            "order_shipped/pt_BR",
            "spring_sale/en_US",
            "welcome_offer/en_US"
        ],
        "both pages of Meta's listing are kept"
    );
    let spring = &list.body["templates"][5];
    assert_eq!(spring["category"], "MARKETING");
    assert_eq!(spring["status"], "APPROVED");
    assert_eq!(
        spring["parameters"],
        json!([{ "component": "body", "index": null, "format": null, "count": 1, "names": [] }])
    );
    assert_eq!(spring["channels"], json!([channel]));
    let pending = admin.get(&format!("{WS}/templates?status=PENDING")).await;
    assert_eq!(
        pending.body["templates"].as_array().map(Vec::len),
        Some(1),
        "{}",
        pending.text
    );

    // A viewer lists; syncing takes an editor.
    let key = admin
        .post(
            &format!("{WS}/api-keys"),
            &json!({ "name": "dashboard", "role": "viewer" }),
        )
        .await;
    let viewer = Client::with_api_key(&server.base, key.body["key"].as_str().expect("a key"));
    assert_eq!(viewer.get(&format!("{WS}/templates")).await.status, 200);
    let sync_path = format!("{WS}/channels/{channel}/templates/sync");
    assert_eq!(viewer.post(&sync_path, &json!({})).await.status, 403);

    // Just synced: Meta is not asked again, and the answer says so.
    let again = admin.post(&sync_path, &json!({})).await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.body["outcome"], "cached", "{}", again.text);
    let listings = meta
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|request| request.url.path().ends_with("/message_templates"))
        .count();
    assert_eq!(listings, 2, "one sync, two pages");

    let correct = json!({ "name": "spring_sale", "language": "en_US", "category": "marketing", "body": ["{{ contact.name }}"] });
    let mut missing = correct.clone();
    missing["name"] = json!("autumn_sale");
    let mut utility = correct.clone();
    utility["category"] = json!("utility");
    let pending = json!({ "name": "welcome_offer", "language": "en_US", "category": "marketing" });
    let mut counted = correct.clone();
    counted["body"] = json!([]);
    let refused = publish(
        &admin,
        &template_flow("promo", &[missing, utility, pending, counted]),
    )
    .await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert_eq!(refused.error_code(), "flow_invalid");
    let diagnostics = &refused.body["error"]["details"]["diagnostics"];
    assert_eq!(
        errors(diagnostics),
        [
            triple("send1", "template_missing", "config.name"),
            triple("send2", "template_category_mismatch", "config.category"),
            triple("send3", "template_not_approved", "config.name"),
            triple("send4", "template_parameter_count", "config.body"),
        ]
    );
    let words: Vec<&str> = diagnostics
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|d| d["message"].as_str())
        .collect();
    assert!(
        words[1].starts_with("Meta files 'spring_sale' as Marketing, this node says Utility"),
        "{}",
        words[1]
    );
    assert!(words[2].contains("PENDING"), "{}", words[2]);
    // The editor sees the same before publishing.
    let validated = admin
        .post(&format!("{WS}/flows/promo/validate"), &json!({}))
        .await;
    assert_eq!(validated.body["valid"], false);
    assert_eq!(errors(&validated.body["diagnostics"]), errors(diagnostics));

    let published = publish(&admin, &template_flow("spring", &[correct])).await;
    assert_eq!(published.status, 201, "{}", published.text);
    assert!(server.stop());
}

on_both_databases!(synced_templates_are_listed_and_publishing_checks_sends_against_them);

async fn contact_patch(admin: &Client, change: Value) {
    let path = format!("{WS}/contacts/%2B{ANA}");
    let answer = admin
        .send(admin.request(reqwest::Method::PATCH, &path).json(&change))
        .await;
    assert_eq!(answer.status, 202, "{}", answer.text);
}

async fn tags_of_ana(admin: &Client, wanted: &str) -> Value {
    let mut contact = Value::Null;
    for _ in 0..100 {
        contact = admin.get(&format!("{WS}/contacts/%2B{ANA}")).await.body;
        if contact["tags"]
            .as_array()
            .is_some_and(|tags| tags.contains(&json!(wanted)))
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    contact
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metas_webhooks_recategorise_and_pause_templates_and_sends_follow() {
    let meta = meta().await;
    let (server, admin, channel) = start(&meta, Database::Sqlite, true).await;
    let reminder = json!({ "name": "cart_reminder", "language": "en_US", "category": "utility", "body": ["{{ contact.name }}"] });
    let published = publish(&admin, &template_flow("reminder", &[reminder])).await;
    assert_eq!(published.status, 201, "{}", published.text);

    deliver(&server, &channel, &fixture("text.json", "wamid.AAA1")).await;
    let sent = sends(&meta, 1).await;
    assert_eq!(
        sent[0].0, "messages",
        "a Utility template goes to /messages"
    );
    assert_eq!(sent[0].1["name"], "cart_reminder");

    // Meta refiles it as Marketing: Ana never opted in, so the next send is refused.
    deliver(
        &server,
        &channel,
        &fixture("template_category_update.json", ""),
    )
    .await;
    let list = admin
        .get(&format!("{WS}/templates?name=cart_reminder"))
        .await;
    assert_eq!(
        list.body["templates"][0]["category"], "MARKETING",
        "{}",
        list.text
    );
    deliver(&server, &channel, &fixture("text.json", "wamid.AAA2")).await;
    let contact = tags_of_ana(&admin, "refused").await;
    assert_eq!(contact["tags"], json!(["refused"]), "{contact}");
    assert_eq!(
        sends(&meta, 1).await.len(),
        1,
        "nothing was sent without the opt-in"
    );

    // With her consent it goes out as Marketing, through the Marketing Messages API.
    contact_patch(
        &admin,
        json!({ "marketing_opt_in": true, "remove_tags": ["refused"] }),
    )
    .await;
    deliver(&server, &channel, &fixture("text.json", "wamid.AAA3")).await;
    let sent = sends(&meta, 2).await;
    assert_eq!(sent[1].0, "marketing_messages");
    assert_eq!(sent[1].1["name"], "cart_reminder");

    // Meta pauses a translation (its webhook spells the language `pt-BR`) and rates another.
    deliver(
        &server,
        &channel,
        &fixture("template_status_update.json", ""),
    )
    .await;
    deliver(
        &server,
        &channel,
        &fixture("template_quality_update.json", ""),
    )
    .await;
    let list = admin
        .get(&format!("{WS}/templates?name=order_shipped"))
        .await;
    let brazil = &list.body["templates"][1];
    assert_eq!(
        (&brazil["language"], &brazil["status"], &brazil["quality"]),
        (&json!("pt_BR"), &json!("PAUSED"), &json!("YELLOW")),
        "{}",
        list.text
    );
    let shipped = json!({ "name": "order_shipped", "language": "pt_BR", "category": "utility", "body": ["{{ contact.name }}"] });
    let refused = publish(&admin, &template_flow("shipped", &[shipped])).await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert_eq!(
        errors(&refused.body["error"]["details"]["diagnostics"]),
        [triple("send1", "template_not_approved", "config.name")]
    );
    assert!(server.stop());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_contact_gets_the_approved_translation_of_their_locale() {
    let meta = meta().await;
    let (server, admin, channel) = start(&meta, Database::Sqlite, false).await;
    let shipped = json!({ "name": "order_shipped", "language": "en", "category": "utility", "body": ["{{ contact.name }}"] });
    let window = json!({ "name": "delivery_window", "language": "en", "category": "utility" });
    let published = publish(&admin, &template_flow("shipping", &[shipped, window])).await;
    assert_eq!(published.status, 201, "{}", published.text);

    contact_patch(&admin, json!({ "locale": "pt-BR" })).await;
    // Applied moments after the 202, in order with Ana's other events.
    let mut contact = admin.get(&format!("{WS}/contacts/%2B{ANA}")).await;
    for _ in 0..100 {
        if contact.body["locale"] == "pt_BR" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        contact = admin.get(&format!("{WS}/contacts/%2B{ANA}")).await;
    }
    assert_eq!(contact.body["locale"], "pt_BR", "{}", contact.text);
    deliver(&server, &channel, &fixture("text.json", "wamid.AAA1")).await;
    let sent = sends(&meta, 2).await;
    let languages = |sent: &[(String, Value)]| -> Vec<String> {
        sent.iter()
            .map(|(_, template)| {
                format!(
                    "{}:{}",
                    template["name"].as_str().unwrap_or_default(),
                    template["language"]["code"].as_str().unwrap_or_default()
                )
            })
            .collect()
    };
    assert_eq!(
        languages(&sent),
        ["order_shipped:pt_BR", "delivery_window:pt"],
        "her locale when approved, else her language without the region"
    );

    contact_patch(&admin, json!({ "locale": "de_DE" })).await;
    deliver(&server, &channel, &fixture("text.json", "wamid.AAA2")).await;
    let sent = sends(&meta, 4).await;
    assert_eq!(
        languages(&sent[2..]),
        ["order_shipped:en", "delivery_window:en"],
        "else the node's language"
    );
    let refused = admin
        .send(
            admin
                .request(reqwest::Method::PATCH, &format!("{WS}/contacts/%2B{ANA}"))
                .json(&json!({ "locale": "Portuguese" })),
        )
        .await;
    assert_eq!(
        (refused.status, refused.error_code()),
        (400, "invalid_locale")
    );
    assert!(server.stop());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_meta_refuses_is_shown_and_refuses_no_publish() {
    let meta = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v25.0/{WABA_ID}/message_templates")))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({
            "error": { "message": "(#200) Requires whatsapp_business_management permission",
                       "type": "OAuthException", "code": 200 }
        })))
        .mount(&meta)
        .await;
    let server = Server::start_with(
        Database::Sqlite,
        Options {
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
                "display_name": "Loja Exemplo", "phone_number_id": PHONE_NUMBER_ID,
                "waba_id": WABA_ID, "access_token": "EAAGm0PX4ZCpsBAKZBl7x9QzLojaExemploPermanentToken",
                "app_secret": APP_SECRET, "verify_token": "loja-exemplo-verify-7781",
            }),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let mut syncs = Value::Null;
    for _ in 0..100 {
        syncs = admin.get(&format!("{WS}/templates")).await.body["syncs"].clone();
        if syncs[0]["last_error"].is_string() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let error = syncs[0]["last_error"].as_str().unwrap_or_default();
    assert!(error.contains("whatsapp_business_management"), "{syncs}");
    assert_eq!(syncs[0]["synced_at"], Value::Null, "{syncs}");

    // Never synced: nothing to check against, so nothing is refused; a warning says so.
    let send = json!({ "name": "spring_sale", "language": "en_US", "category": "marketing" });
    let published = publish(&admin, &template_flow("spring", &[send])).await;
    assert_eq!(published.status, 201, "{}", published.text);
    let validated = admin
        .post(&format!("{WS}/flows/spring/validate"), &json!({}))
        .await;
    assert_eq!(validated.body["valid"], true, "{}", validated.text);
    assert_eq!(
        validated.body["diagnostics"][0]["code"], "templates_not_checked",
        "{}",
        validated.text
    );
    assert!(server.stop());
}
