//! The simulator's two shortcuts for a builder trying a journey: starting at a chosen step
//! with the variables the steps before would have set, and answers written in place of the
//! CRM or the AI model for HTTP and AI steps. The CRM's address in the example does not
//! exist, so a journey that goes on through `ok` can only have had the stub's answer.

use serde_json::{Value, json};
use spool_tests::{Client, Database, Server, on_both_databases};

use crate::simulator::{
    WS, changed_at, create_flow, example, say, start, system_lines, texts, took,
};

/// What a lead who wrote, answered three questions and scored 80 would carry.
fn hot_lead_vars() -> Value {
    json!({
        "score": 80, "ad_id": "ad-1", "lead_source": "ctwa",
        "budget": 2500, "timing": "This month", "need": "An online shop"
    })
}

async fn starts_at_a_step_with_a_stubbed_crm(client: &Client) {
    let (_, started) = start(
        client,
        json!({
            "flow": "ctwa-lead-qualification",
            "start": { "node": "route_score", "vars": hot_lead_vars() },
            "stubs": { "create_crm_lead": { "status": 201, "body": { "id": "lead-9" } } },
        }),
    )
    .await;
    let lines = system_lines(&started["transcript"]);
    assert!(
        lines[0].starts_with("Started at route_score, with "),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|line| line.contains("stub answer, answers 201")),
        "the transcript says the CRM did not really answer: {lines:?}"
    );
    // Nothing before the chosen step ran: no greeting, no questions.
    assert!(!took(&started["trace"], "ad_click", "next"), "{started}");
    assert!(took(&started["trace"], "route_score", "hot"), "{started}");
    assert!(
        took(&started["trace"], "create_crm_lead", "ok"),
        "{started}"
    );
    assert_eq!(
        changed_at(&started["trace"], "create_crm_lead"),
        json!({ "crm_id": "lead-9", "crm_status": 201 })
    );
    assert_eq!(started["runs"][0]["status"], "handoff", "{started}");
    assert_eq!(
        started["stubs"],
        json!({ "create_crm_lead": { "status": 201, "body": { "id": "lead-9" } } })
    );
}

async fn a_stubbed_failure_takes_the_error_port(client: &Client) {
    let (_, started) = start(
        client,
        json!({
            "flow": "ctwa-lead-qualification",
            "start": { "node": "create_crm_lead", "vars": hot_lead_vars() },
            "stubs": { "create_crm_lead": { "error": "the CRM is down for maintenance" } },
        }),
    )
    .await;
    assert!(
        took(&started["trace"], "create_crm_lead", "error"),
        "{started}"
    );
    assert!(
        system_lines(&started["transcript"])
            .iter()
            .any(|line| line.contains("fails: the CRM is down for maintenance")),
        "{started}"
    );
}

fn assistant() -> Value {
    json!({
        "schema": 1, "id": "assistant", "name": "Order assistant",
        "nodes": [
            { "id": "start", "type": "inbound_message", "position": { "x": 0, "y": 0 }, "config": {} },
            { "id": "agent", "type": "ai_agent", "position": { "x": 250, "y": 0 },
              "config": { "instructions": "You help customers with their orders.", "max_turns": 1 } },
            { "id": "done", "type": "end", "position": { "x": 500, "y": 0 }, "config": {} },
            { "id": "failed", "type": "end", "position": { "x": 500, "y": 100 }, "config": {} }
        ],
        "edges": [
            { "from": "start", "port": "next", "to": "agent" },
            { "from": "agent", "port": "done", "to": "done" },
            { "from": "agent", "port": "error", "to": "failed" }
        ]
    })
}

/// The workspace has no AI model: without the stub the agent could only fail.
async fn an_ai_step_answers_with_the_builders_words(client: &Client) {
    create_flow(client, &assistant()).await;
    let (id, _) = start(
        client,
        json!({
            "flow": "assistant",
            "stubs": { "agent": { "reply": "Your order ships tomorrow." } },
        }),
    )
    .await;
    let answered = say(client, &id, json!({ "text": "Where is my order?" })).await;
    assert_eq!(
        texts(&answered["entries"]),
        ["Your order ships tomorrow."],
        "{answered}"
    );
    assert!(!took(&answered["trace"], "agent", "error"), "{answered}");
}

async fn refusals(client: &Client) {
    for (request, code, words) in [
        (
            json!({ "flow": "ctwa-lead-qualification", "start": { "node": "nowhere" } }),
            "unknown_step",
            "no step `nowhere`",
        ),
        (
            json!({ "flow": "ctwa-lead-qualification", "start": { "node": "ad_click" } }),
            "unknown_step",
            "is a trigger",
        ),
        (
            json!({ "flow": "ctwa-lead-qualification", "stubs": { "end_hot": { "status": 200 } } }),
            "invalid_stub",
            "calls nothing",
        ),
        (
            json!({ "flow": "assistant", "stubs": { "agent": { "status": 200 } } }),
            "invalid_stub",
            "not `status` or `body`",
        ),
    ] {
        let refused = client.post(&format!("{WS}/simulations"), &request).await;
        assert_eq!(refused.status, 422, "{request}: {}", refused.text);
        assert_eq!(refused.error_code(), code, "{request}: {}", refused.text);
        assert!(refused.text.contains(words), "{request}: {}", refused.text);
    }
}

async fn simulator_shortcuts(db: Database) {
    let server = Server::start(db).await;
    let admin = server.admin().await;
    create_flow(&admin, &example("ctwa-lead-qualification")).await;
    starts_at_a_step_with_a_stubbed_crm(&admin).await;
    a_stubbed_failure_takes_the_error_port(&admin).await;
    an_ai_step_answers_with_the_builders_words(&admin).await;
    refusals(&admin).await;
    assert!(server.stop(), "the server did not stop cleanly");
}

on_both_databases!(simulator_shortcuts);
