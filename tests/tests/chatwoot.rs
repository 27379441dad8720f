//! The Chatwoot adapter, round trip, against a local stand-in for Chatwoot's API (a real HTTP
//! server) and one for Meta's: an admin links the workspace to an API inbox; a contact who
//! asks for a person on WhatsApp gets a Chatwoot conversation (contact, conversation, the
//! journey's note as a private note), and their next words arrive there as incoming
//! messages; an agent's reply, signed, goes to WhatsApp through Spool's gates (a bad or old
//! signature is refused, a private note is not sent); resolving the conversation there
//! resolves the ticket, and Chatwoot hears of it.

use std::time::Duration;

use serde_json::{Value, json};
use spool_tests::{Client, Database, Server, on_both_databases};
use spool_whatsapp::signature::sign;
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::inbox_reply::{eventually, help_desk, sent, ticket_of, unix_now, writes};
use crate::templates::{deliver, meta, publish, start_on};

const WS: &str = "/api/v1/workspaces/default";
const QUEUE: &str = "/api/v1/workspaces/default/handoffs";
const ANA: &str = "5511987654321";
const SECRET: &str = "chatwoot-inbox-webhook-secret";

/// Chatwoot's API, as far as the adapter uses it.
async fn chatwoot() -> MockServer {
    let server = MockServer::start().await;
    let answers = [
        (
            r"^/api/v1/accounts/1/contacts$",
            json!({ "payload": { "contact": { "id": 7 }, "contact_inbox": { "source_id": "src-7" } } }),
        ),
        (
            r"^/api/v1/accounts/1/conversations$",
            json!({ "id": 45, "status": "open" }),
        ),
        (
            r"^/api/v1/accounts/1/conversations/45/messages$",
            json!({ "id": 900 }),
        ),
        (
            r"^/api/v1/accounts/1/conversations/45/toggle_status$",
            json!({ "payload": { "current_status": "resolved" } }),
        ),
    ];
    for (path, answer) in answers {
        Mock::given(method("POST"))
            .and(path_regex(path))
            .respond_with(ResponseTemplate::new(200).set_body_json(answer))
            .mount(&server)
            .await;
    }
    server
}

/// What Chatwoot was asked, `(path, body)`, once `count` calls arrived.
async fn asked(chatwoot: &MockServer, count: usize) -> Vec<(String, Value)> {
    for _ in 0..100 {
        let calls: Vec<(String, Value)> = chatwoot
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .map(|request: &Request| {
                (
                    request.url.path().to_owned(),
                    serde_json::from_slice(&request.body).unwrap_or(Value::Null),
                )
            })
            .collect();
        if calls.len() >= count {
            return calls;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("Chatwoot was not called {count} time(s)");
}

/// POSTs a Chatwoot webhook as Chatwoot signs it (`timestamp.body`), or with `signature`.
async fn webhook(server: &Server, body: &Value, ago: i64, signature: Option<&str>) -> u16 {
    let raw = body.to_string();
    let timestamp = (unix_now() - ago).to_string();
    let signed = sign(SECRET, format!("{timestamp}.{raw}").as_bytes());
    reqwest::Client::new()
        .post(format!("{}/webhooks/chatwoot/default", server.base))
        .header("Content-Type", "application/json")
        .header("X-Chatwoot-Timestamp", timestamp)
        .header("X-Chatwoot-Signature", signature.unwrap_or(&signed))
        .body(raw)
        .send()
        .await
        .expect("the server answers")
        .status()
        .as_u16()
}

fn agent_says(id: i64, content: &str, private: bool) -> Value {
    json!({
        "event": "message_created", "id": id, "content": content,
        "message_type": "outgoing", "private": private,
        "conversation": { "id": 45 },
        "sender": { "id": 3, "name": "Marta", "email": "marta@shop.example", "type": "user" }
    })
}

async fn a_handoff_round_trips_through_chatwoot(database: Database) {
    let meta = meta().await;
    let redis = matches!(database, Database::Postgres);
    let (server, admin, channel) = start_on(&meta, database, false, redis).await;
    let chatwoot = chatwoot().await;
    // The stand-in listens on 127.0.0.1: a private address, which the workspace must allow.
    admin.allow_private_targets(true).await;
    let linked = admin
        .put(
            &format!("{WS}/chatwoot"),
            &json!({
                "base_url": format!("{}/", chatwoot.uri()), "account_id": 1, "inbox_id": 3,
                "api_access_token": "cw-agent-token", "webhook_secret": SECRET,
            }),
        )
        .await;
    assert_eq!(linked.status, 200, "{}", linked.text);
    assert_eq!(linked.body["webhook_path"], "/webhooks/chatwoot/default");
    assert!(
        !linked.text.contains("cw-agent-token"),
        "the token is never shown"
    );
    let bad = admin
        .put(
            &format!("{WS}/chatwoot"),
            &json!({ "base_url": "chatwoot", "account_id": 1, "inbox_id": 3, "api_access_token": "t", "webhook_secret": "s" }),
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert_eq!(publish(&admin, &help_desk()).await.status, 201);

    // Ana asks for a person: a conversation opens in Chatwoot, with the journey's note.
    deliver(&server, &channel, &writes(ANA, "agent", 5)).await;
    let ticket = ticket_of(&admin, ANA).await;
    let calls = asked(&chatwoot, 3).await;
    assert_eq!(calls[0].0, "/api/v1/accounts/1/contacts");
    assert_eq!(calls[0].1["inbox_id"], 3);
    assert_eq!(calls[0].1["phone_number"], format!("+{ANA}"));
    assert_eq!(calls[1].0, "/api/v1/accounts/1/conversations");
    assert_eq!(calls[1].1["source_id"], "src-7");
    assert_eq!(calls[2].0, "/api/v1/accounts/1/conversations/45/messages");
    assert_eq!(calls[2].1["private"], true);
    let context = calls[2].1["content"].as_str().unwrap_or_default();
    assert!(context.contains("Asked for a person"), "{context}");
    assert!(context.contains("Contact: agent"), "{context}");
    let token = chatwoot.received_requests().await.unwrap_or_default()[0]
        .headers
        .get("api_access_token")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    assert_eq!(token.as_deref(), Some("cw-agent-token"));

    // Her next words arrive there.
    deliver(&server, &channel, &writes(ANA, "My order A-17 is late", 1)).await;
    let calls = asked(&chatwoot, 4).await;
    assert_eq!(calls[3].1["message_type"], "incoming");
    assert_eq!(calls[3].1["content"], "My order A-17 is late");

    // Marta answers in Chatwoot: the reply reaches WhatsApp, once, through Spool's gates.
    let reply = agent_says(901, "Sorry Ana, it ships today.", false);
    assert_eq!(webhook(&server, &reply, 0, Some("sha256=00")).await, 401);
    assert_eq!(webhook(&server, &reply, 600, None).await, 401, "too old");
    assert_eq!(webhook(&server, &reply, 0, None).await, 200);
    assert_eq!(
        webhook(&server, &reply, 0, None).await,
        200,
        "delivered again"
    );
    let out = sent(&meta, 1).await;
    assert_eq!(out[0]["to"], ANA);
    assert_eq!(out[0]["text"]["body"], "Sorry Ana, it ships today.");
    let said = eventually(&admin, &format!("{QUEUE}/{ticket}/messages"), |r| {
        r.body["messages"]
            .as_array()
            .is_some_and(|m| m.iter().any(|m| m["from"] == "operator"))
    })
    .await;
    let from_marta: Vec<&Value> = said.body["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["from"] == "operator")
        .collect();
    assert_eq!(from_marta.len(), 1, "sent once: {}", said.text);
    assert_eq!(from_marta[0]["author"], "chatwoot:marta@shop.example");
    // A private note there stays there.
    let note = agent_says(902, "Customer seems upset", true);
    assert_eq!(webhook(&server, &note, 0, None).await, 200);

    // Resolved in Chatwoot: the ticket is resolved, the journey goes on, Chatwoot is told.
    let resolved =
        json!({ "event": "conversation_status_changed", "id": 45, "status": "resolved" });
    assert_eq!(webhook(&server, &resolved, 0, None).await, 200);
    let closed = eventually(&admin, &format!("{QUEUE}/{ticket}"), |r| {
        r.body["status"] == "closed"
    })
    .await;
    assert_eq!(closed.body["outcome"], "resolved");
    assert_eq!(closed.body["closed_by"], "chatwoot");
    let calls = asked(&chatwoot, 5).await;
    assert!(
        calls
            .iter()
            .any(|(path, body)| path.ends_with("/toggle_status") && body["status"] == "resolved"),
        "{calls:?}"
    );
    assert_eq!(
        sent(&meta, 1).await.len(),
        1,
        "the private note was not sent"
    );
    assert_eq!(admin.delete(&format!("{WS}/chatwoot")).await.status, 204);
    assert_eq!(
        webhook(&server, &reply, 0, None).await,
        404,
        "no link any more"
    );
    assert!(server.stop());
}

async fn nobody_else_links_a_workspace(database: Database) {
    let server = Server::start(database).await;
    let admin = server.admin().await;
    let key = admin
        .post(
            &format!("{WS}/api-keys"),
            &json!({ "name": "desk", "role": "operator" }),
        )
        .await;
    let operator = Client::with_api_key(&server.base, key.body["key"].as_str().expect("a key"));
    let refused = operator
        .put(
            &format!("{WS}/chatwoot"),
            &json!({ "base_url": "https://chatwoot.example.com", "account_id": 1, "inbox_id": 3, "api_access_token": "t", "webhook_secret": "s" }),
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.text);
    assert_eq!(admin.get(&format!("{WS}/chatwoot")).await.status, 404);
    assert!(server.stop());
}

on_both_databases!(
    a_handoff_round_trips_through_chatwoot,
    nobody_else_links_a_workspace
);
