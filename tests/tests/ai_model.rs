//! A workspace's AI model, as an admin sets it up: the endpoint through the API, its key as a
//! workspace secret; then a published journey with an `ai_agent` answers a contact through a
//! local stub of an OpenAI-compatible server, which sees the key as a Bearer token.

use serde_json::{Value, json};
use spool_tests::{Client, Database, Server, on_both_databases};
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const WS: &str = "/api/v1/workspaces/default";
const KEY: &str = "sk-shop-7d1c";

fn assistant() -> Value {
    json!({
        "schema": 1,
        "id": "assistant",
        "name": "Order assistant",
        "nodes": [
            { "id": "start", "type": "inbound_message", "position": { "x": 0, "y": 0 }, "config": {} },
            { "id": "agent", "type": "ai_agent", "position": { "x": 250, "y": 0 },
              "config": { "instructions": "You help customers of Loja Exemplo with their orders.", "max_turns": 1 } },
            { "id": "sorry", "type": "send_text", "position": { "x": 500, "y": 100 },
              "config": { "text": "Sorry, our assistant is away." } },
            { "id": "done", "type": "end", "position": { "x": 500, "y": 0 }, "config": {} },
            { "id": "failed", "type": "end", "position": { "x": 750, "y": 100 }, "config": {} }
        ],
        "edges": [
            { "from": "start", "port": "next", "to": "agent" },
            { "from": "agent", "port": "done", "to": "done" },
            { "from": "agent", "port": "error", "to": "sorry" },
            { "from": "sorry", "port": "next", "to": "failed" }
        ]
    })
}

/// Starts a simulation of the published assistant and says `text`; returns the simulation.
async fn ask(admin: &Client, text: &str) -> Value {
    let started = admin
        .post(
            &format!("{WS}/simulations"),
            &json!({ "flow": "assistant", "source": "published", "contact": { "name": "Ana" } }),
        )
        .await;
    assert_eq!(started.status, 201, "{}", started.text);
    let id = started.body["id"].as_str().unwrap_or_default().to_owned();
    let said = admin
        .post(
            &format!("{WS}/simulations/{id}/messages"),
            &json!({ "text": text }),
        )
        .await;
    assert_eq!(said.status, 200, "{}", said.text);
    let read = admin.get(&format!("{WS}/simulations/{id}")).await;
    assert_eq!(read.status, 200, "{}", read.text);
    read.body
}

fn texts_sent(simulation: &Value) -> Vec<String> {
    simulation["transcript"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter(|entry| entry["direction"] == "flow")
        .filter_map(|entry| entry["message"]["text"].as_str().map(str::to_owned))
        .collect()
}

async fn ai_model(db: Database) {
    let llm = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .and(body_partial_json(json!({ "model": "house-model" })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "choices": [{ "message": { "role": "assistant", "content": "Your order A-1 ships tomorrow." } }]
        })))
        .mount(&llm)
        .await;
    let server = Server::start(db).await;
    let admin = server.admin().await;
    let created = admin.post(&format!("{WS}/flows"), &assistant()).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let published = admin
        .post(&format!("{WS}/flows/assistant/publish"), &json!({}))
        .await;
    assert_eq!(published.status, 201, "{}", published.text);

    // No model yet: the agent leaves through `error`, and says why in the trace.
    let none = admin.get(&format!("{WS}/ai-model")).await;
    assert_eq!(none.status, 404, "{}", none.text);
    let without = ask(&admin, "where is my order A-1?").await;
    assert_eq!(
        texts_sent(&without),
        ["Sorry, our assistant is away."],
        "{without}"
    );
    assert!(
        without
            .to_string()
            .contains("this workspace has no AI model"),
        "{without}"
    );

    let refused = admin
        .put(
            &format!("{WS}/ai-model"),
            &json!({ "base_url": "api.example", "default_model": "house-model" }),
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert_eq!(refused.error_code(), "invalid_ai_model");

    let set = admin
        .put(
            &format!("{WS}/ai-model"),
            &json!({ "base_url": format!("{}/v1", llm.uri()), "default_model": "house-model",
                     "api_key_secret": "llm_key" }),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.text);
    assert_eq!(set.body["api_key_set"], false, "{}", set.text);
    let secret = admin
        .put(&format!("{WS}/secrets/llm_key"), &json!({ "value": KEY }))
        .await;
    assert_eq!(secret.status, 204, "{}", secret.text);
    let read = admin.get(&format!("{WS}/ai-model")).await;
    assert_eq!(read.body["api_key_set"], true, "{}", read.text);
    assert!(!read.text.contains(KEY), "the key is never returned");

    let answered = ask(&admin, "where is my order A-1?").await;
    assert_eq!(
        texts_sent(&answered),
        ["Your order A-1 ships tomorrow."],
        "{answered}"
    );
    let asked = llm.received_requests().await.unwrap_or_default();
    assert_eq!(asked.len(), 1, "the stub was asked once");
    let body: Value = serde_json::from_slice(&asked[0].body).unwrap_or(Value::Null);
    assert_eq!(body["messages"][1]["content"], "where is my order A-1?");

    let log = admin.get(&format!("{WS}/audit-log")).await;
    assert!(log.text.contains("ai_model.set"), "{}", log.text);
    assert!(!log.text.contains(KEY), "the key is not in the audit log");

    let removed = admin.delete(&format!("{WS}/ai-model")).await;
    assert_eq!(removed.status, 204, "{}", removed.text);
    let after = ask(&admin, "and order A-2?").await;
    assert_eq!(
        texts_sent(&after),
        ["Sorry, our assistant is away."],
        "{after}"
    );
    assert!(server.stop(), "the server did not stop cleanly");
}

on_both_databases!(ai_model);
