//! The abandoned-cart journey hands a contact to a person, on WhatsApp, against stand-ins for
//! Meta's API: the shop's webhook starts it, the reminder template goes out, the contact
//! answers in their own words (no button), so the journey hands them to the shop's team;
//! the ticket appears in the queue and on the live stream; an operator takes it, answers
//! (the answer reaches Meta), writes a note for the team and resolves it: the journey goes
//! on through `resolved` and its next message goes out. The example is used with its hour's
//! wait shortened to a second, one message added after `resolved` (in the example the
//! journey simply ends there) and without its quiet hours (the clock here is the real one).

use serde_json::{Value, json};
use spool_tests::{Database, on_both_databases};
use spool_whatsapp::signature::sign;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::inbox_reply::{eventually, sent, ticket_of, writes};
use crate::simulator::{example, read_until};
use crate::templates::{accept_sends, deliver, publish, start_on};

const WS: &str = "/api/v1/workspaces/default";
const QUEUE: &str = "/api/v1/workspaces/default/handoffs";
const WABA_ID: &str = "102290129340398";
const ANA: &str = "5511987654321";
/// What the shop signs its webhooks with (the workspace secret `shop-webhook-secret`).
const SHOP_SECRET: &str = "whsec-loja-exemplo-2026";

/// Meta: the shop's two cart templates, approved, and the send endpoint.
async fn meta() -> MockServer {
    let meta = MockServer::start().await;
    let buttons = json!({ "type": "BUTTONS", "buttons": [
        { "type": "URL", "text": "See my cart", "url": "https://shop.example/cart/{{1}}" },
        { "type": "QUICK_REPLY", "text": "Send me a discount" },
        { "type": "QUICK_REPLY", "text": "Not interested" },
    ] });
    Mock::given(method("GET"))
        .and(path(format!("/v25.0/{WABA_ID}/message_templates")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [
                { "id": "1", "name": "cart_reminder", "language": "en", "category": "MARKETING",
                  "status": "APPROVED", "parameter_format": "POSITIONAL",
                  "components": [{ "type": "BODY", "text": "Hi {{1}}, your cart of {{2}} is waiting." }, buttons] },
                { "id": "2", "name": "cart_last_chance", "language": "en", "category": "MARKETING",
                  "status": "APPROVED", "parameter_format": "POSITIONAL",
                  "components": [{ "type": "BODY", "text": "Last chance, {{1}}!" },
                                 { "type": "BUTTONS", "buttons": [{ "type": "URL", "text": "See my cart", "url": "https://shop.example/cart/{{1}}" }] }] },
            ],
            "paging": { "cursors": {} }
        })))
        .mount(&meta)
        .await;
    accept_sends(&meta, "messages").await;
    meta
}

/// The example, its hour's wait a second long, a thank-you after a person resolved it, and
/// no quiet hours (the test runs on the real clock, at any hour: in the example's quiet
/// hours the reminder would wait for the morning).
fn cart_journey() -> Value {
    let mut flow = example("abandoned-cart");
    if let Some(settings) = flow["settings"].as_object_mut() {
        settings.remove("quiet_hours");
    }
    for node in flow["nodes"].as_array_mut().into_iter().flatten() {
        if node["id"] == "wait_1h" {
            node["config"]["for"] = json!("1s");
        }
    }
    if let Some(nodes) = flow["nodes"].as_array_mut() {
        nodes.push(json!({ "id": "thank_after_support", "type": "send_text", "position": { "x": 0, "y": 900 },
                           "config": { "text": "Thanks for your patience, {{ contact.name }}!" } }));
    }
    for edge in flow["edges"].as_array_mut().into_iter().flatten() {
        if edge["from"] == "ask_support" && edge["port"] == "resolved" {
            edge["to"] = json!("thank_after_support");
        }
    }
    if let Some(edges) = flow["edges"].as_array_mut() {
        edges.push(json!({ "from": "thank_after_support", "port": "next", "to": "end_support" }));
    }
    flow
}

async fn an_operator_answers_the_cart_journeys_handoff(database: Database) {
    let meta = meta().await;
    let redis = matches!(database, Database::Postgres);
    let (server, admin, channel) = start_on(&meta, database, false, redis).await;
    let secret = admin
        .put(
            &format!("{WS}/secrets/shop-webhook-secret"),
            &json!({ "value": SHOP_SECRET }),
        )
        .await;
    assert_eq!(secret.status, 204, "{}", secret.text);
    let published = publish(&admin, &cart_journey()).await;
    assert_eq!(published.status, 201, "{}", published.text);
    let named = admin
        .request(reqwest::Method::PATCH, &format!("{WS}/contacts/%2B{ANA}"))
        .json(&json!({ "name": "Ana", "marketing_opt_in": true }));
    assert_eq!(admin.send(named).await.status, 202);
    let mut live = admin
        .request(reqwest::Method::GET, &format!("{WS}/inbox/events"))
        .send()
        .await
        .expect("the stream opens");
    let mut heard = String::new();
    read_until(&mut live, &mut heard, ": listening").await;

    // The shop's webhook; a second later the reminder goes out.
    let cart = json!({
        "customer": { "phone": format!("+{ANA}") },
        "cart": { "id": "c-981", "total": 120, "currency": "EUR", "purchased": false,
                  "checkout_url": "https://shop.example/checkout/c-981" }
    });
    let hook = server
        .anonymous()
        .request(reqwest::Method::POST, "/hooks/default/cart-abandoned")
        .header(
            "X-Spool-Signature",
            sign(SHOP_SECRET, cart.to_string().as_bytes()),
        )
        .header("Content-Type", "application/json")
        .body(cart.to_string());
    let hooked = server.anonymous().send(hook).await;
    assert!(hooked.status < 300, "{}", hooked.text);
    let reminder = sent(&meta, 1).await;
    assert_eq!(reminder[0]["template"]["name"], "cart_reminder");

    // Ana answers in her own words: the journey hands her to the shop's team.
    deliver(&server, &channel, &writes(ANA, "Can I pay by invoice?", 0)).await;
    let ticket = ticket_of(&admin, ANA).await;
    read_until(&mut live, &mut heard, "event: ticket").await;
    let shown = admin.get(&format!("{QUEUE}/{ticket}")).await;
    assert_eq!(shown.body["node_id"], "ask_support");
    assert_eq!(
        shown.body["note"],
        "Abandoned cart c-981 (EUR 120). The customer replied to the reminder: Can I pay by invoice?"
    );

    // Taken, answered, noted, resolved.
    let claimed = admin
        .post(&format!("{QUEUE}/{ticket}/claim"), &json!({}))
        .await;
    assert_eq!(claimed.status, 200, "{}", claimed.text);
    let replied = admin
        .post(
            &format!("{QUEUE}/{ticket}/messages"),
            &json!({ "text": "Yes, Ana: choose 'Invoice' at checkout." }),
        )
        .await;
    assert_eq!(replied.status, 202, "{}", replied.text);
    let out = sent(&meta, 2).await;
    assert_eq!(
        out[1]["text"]["body"],
        "Yes, Ana: choose 'Invoice' at checkout."
    );
    let noted = admin
        .post(
            &format!("{QUEUE}/{ticket}/notes"),
            &json!({ "text": "Asked about invoices" }),
        )
        .await;
    assert_eq!(noted.status, 201, "{}", noted.text);
    let resolved = admin
        .post(
            &format!("{QUEUE}/{ticket}/close"),
            &json!({ "outcome": "resolved" }),
        )
        .await;
    assert_eq!(resolved.status, 200, "{}", resolved.text);
    let out = sent(&meta, 3).await;
    assert_eq!(out[2]["text"]["body"], "Thanks for your patience, Ana!");
    let said = eventually(&admin, &format!("{QUEUE}/{ticket}/messages"), |r| {
        r.body["messages"].as_array().is_some_and(|m| m.len() == 5)
    })
    .await;
    let who: Vec<(&str, &str)> = said.body["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            (
                m["direction"].as_str().unwrap_or(""),
                m["from"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        who,
        [
            ("out", "journey"),
            ("in", "contact"),
            ("out", "operator"),
            ("note", "operator"),
            ("out", "journey")
        ],
        "{}",
        said.text
    );
    drop(live);
    assert!(server.stop());
}

on_both_databases!(an_operator_answers_the_cart_journeys_handoff);
