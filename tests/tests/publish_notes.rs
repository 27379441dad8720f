//! What the editor's properties panel and publish dialog ask the API, over real HTTP: a
//! field's expression checked while it is typed, the document in the editor validated
//! before it is saved, versions published with a note and listed with what changed, and
//! how many contacts wait in the nodes a publish would change.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};
use spool_tests::{Client, Database, Server, on_both_databases};

const FLOWS: &str = "/api/v1/workspaces/default/flows";
/// Well past the time a worker takes to apply a webhook, for a loaded machine.
const DEADLINE: Duration = Duration::from_secs(20);

/// A journey a webhook starts, that asks a question and waits for the answer.
fn order_flow(name: &str) -> Value {
    json!({
        "schema": 1,
        "id": "orders",
        "name": name,
        "nodes": [
            { "id": "hook", "type": "webhook", "config": { "hook": "order", "contact": "payload.phone" } },
            { "id": "ask", "type": "wait_for_reply", "config": { "variable": "answer", "timeout": "2d" } },
            { "id": "done", "type": "end", "config": {} }
        ],
        "edges": [
            { "from": "hook", "port": "next", "to": "ask" },
            { "from": "ask", "port": "reply", "to": "done" }
        ]
    })
}

async fn save(client: &Client, document: &Value, revision: &str) -> String {
    let saved = client
        .send(
            client
                .request(Method::PUT, &format!("{FLOWS}/orders"))
                .header("If-Match", revision)
                .json(document),
        )
        .await;
    assert_eq!(saved.status, 200, "save: {}", saved.text);
    saved.header("etag").unwrap_or_default().to_owned()
}

async fn editor_checks_fields_and_unsaved_documents(database: Database) {
    let server = Server::start(database).await;
    let admin = server.admin().await;

    // A field checked alone: the same words and place as validation.
    let check = |kind: &str, source: &str| json!({ "kind": kind, "source": source });
    let fine = admin
        .post(
            "/api/v1/expressions/check",
            &check("expression", "vars.total > 50"),
        )
        .await;
    assert_eq!(fine.status, 200, "{}", fine.text);
    assert_eq!(fine.body, json!({ "ok": true, "diagnostics": [] }));
    let unknown = admin
        .post(
            "/api/v1/expressions/check",
            &check("expression", "cart.total > 50"),
        )
        .await;
    assert_eq!(unknown.body["ok"], false);
    assert_eq!(unknown.body["diagnostics"][0]["code"], "unknown_variable");
    let template = admin
        .post(
            "/api/v1/expressions/check",
            &check("template", "Hi {{ contact.name"),
        )
        .await;
    assert_eq!(template.body["diagnostics"][0]["code"], "template_syntax");
    assert_eq!(
        template.body["diagnostics"][0]["location"],
        json!({ "line": 1, "column": 4 })
    );
    let response = admin
        .post(
            "/api/v1/expressions/check",
            &json!({ "kind": "expression", "source": "response.status == 200", "names": ["response"] }),
        )
        .await;
    assert_eq!(response.body["ok"], true, "{}", response.text);
    let wrong = admin
        .post(
            "/api/v1/expressions/check",
            &json!({ "kind": "sql", "source": "1" }),
        )
        .await;
    assert_eq!(wrong.status, 400, "{}", wrong.text);

    // The document in the editor, checked before it is saved; the draft is untouched.
    let created = admin.post(FLOWS, &order_flow("Order follow-up")).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let mut unsaved = order_flow("Order follow-up");
    unsaved["nodes"][1]["config"]["variable"] = json!("1 answer");
    let checked = admin
        .post(&format!("{FLOWS}/orders/validate"), &unsaved)
        .await;
    assert_eq!(checked.status, 200, "{}", checked.text);
    assert_eq!(checked.body["valid"], false);
    let on = &checked.body["diagnostics"][0];
    assert_eq!(
        (&on["node_id"], &on["field"]),
        (&json!("ask"), &json!("config.variable"))
    );
    let saved = admin
        .post(&format!("{FLOWS}/orders/validate"), &json!(null))
        .await;
    assert_eq!(
        saved.status, 422,
        "a body that is not a document: {}",
        saved.text
    );
    let draft = admin
        .send(admin.request(Method::POST, &format!("{FLOWS}/orders/validate")))
        .await;
    assert_eq!(draft.body["valid"], true, "the saved draft: {}", draft.text);
    assert!(server.stop());
}

async fn versions_keep_notes_and_say_what_changed(database: Database) {
    let server = Server::start(database).await;
    let admin = server.admin().await;
    let created = admin.post(FLOWS, &order_flow("Order follow-up")).await;
    assert_eq!(created.status, 201, "{}", created.text);

    let first = admin
        .post(
            &format!("{FLOWS}/orders/publish"),
            &json!({ "note": "  First version  " }),
        )
        .await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(first.body["note"], "First version");

    // Nothing is live yet to compare with: nobody waits anywhere.
    let long = admin
        .post(
            &format!("{FLOWS}/orders/publish"),
            &json!({ "note": "x".repeat(501) }),
        )
        .await;
    assert_eq!((long.status, long.error_code()), (422, "note_too_long"));

    // Contacts start the live version and wait in `ask`.
    for phone in ["+4915112345678", "+4915112345679"] {
        let started = admin
            .send(
                admin
                    .request(Method::POST, "/hooks/default/order")
                    .json(&json!({ "phone": phone })),
            )
            .await;
        assert_eq!(started.status, 202, "{}", started.text);
    }

    // The draft changes the question and adds a thank-you.
    let mut draft = order_flow("Order follow-up, longer wait");
    draft["nodes"][1]["config"]["timeout"] = json!("3d");
    draft["nodes"]
        .as_array_mut()
        .expect("nodes")
        .push(json!({ "id": "thanks", "type": "end", "config": {} }));
    draft["edges"][1]["to"] = json!("thanks");
    save(&admin, &draft, "\"1\"").await;

    let impact_path = format!("{FLOWS}/orders/publish/impact");
    let started = Instant::now();
    let impact = loop {
        let impact = admin.get(&impact_path).await;
        assert_eq!(impact.status, 200, "{}", impact.text);
        if impact.body["contacts_waiting"] == 2 {
            break impact.body;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "the two contacts never showed as waiting: {}",
            impact.text
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(impact["live_version"], 1);
    assert_eq!(
        impact["waiting"],
        json!([{ "node_id": "ask", "change": "changed", "contacts": 2 }])
    );
    assert_eq!(impact["changes"]["added"], json!(["thanks"]));
    assert_eq!(impact["changes"]["changed"], json!(["ask"]));
    assert_eq!(impact["changes"]["settings_changed"], true);

    let second = admin
        .post(
            &format!("{FLOWS}/orders/publish"),
            &json!({ "note": "Waits three days" }),
        )
        .await;
    assert_eq!(second.status, 201, "{}", second.text);
    let rolled = admin
        .send(admin.request(Method::POST, &format!("{FLOWS}/orders/versions/1/rollback")))
        .await;
    assert_eq!(rolled.status, 201, "{}", rolled.text);

    let versions = admin.get(&format!("{FLOWS}/orders/versions")).await;
    assert_eq!(versions.status, 200, "{}", versions.text);
    let notes: Vec<&Value> = versions
        .body
        .as_array()
        .expect("a list")
        .iter()
        .map(|v| &v["note"])
        .collect();
    assert_eq!(
        notes,
        [
            &json!("Back to version 1"),
            &json!("Waits three days"),
            &json!("First version")
        ]
    );
    let changes = |i: usize| &versions.body[i]["changes"];
    assert_eq!(changes(2)["added"], json!(["hook", "ask", "done"]));
    assert_eq!(changes(1)["added"], json!(["thanks"]));
    assert_eq!(changes(1)["changed"], json!(["ask"]));
    assert_eq!(
        (&changes(1)["edges_added"], &changes(1)["edges_removed"]),
        (&json!(1), &json!(1))
    );
    assert_eq!(changes(0)["removed"], json!(["thanks"]));

    // One version read alone carries its note too.
    let one = admin.get(&format!("{FLOWS}/orders/versions/2")).await;
    assert_eq!(one.body["note"], "Waits three days");
    assert!(server.stop());
}

on_both_databases!(
    editor_checks_fields_and_unsaved_documents,
    versions_keep_notes_and_say_what_changed
);
