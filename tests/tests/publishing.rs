//! Two `spool serve` processes sharing one database, as a deployment with more than one
//! instance runs: what is published, republished, unpublished or deleted through one is what
//! the other starts journeys on, within its sync period (2 s), seen from the other's hooks.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};
use spool_tests::{Client, Database, Options, Server, on_both_databases};

const FLOWS: &str = "/api/v1/workspaces/default/flows";
/// Well past the sync period, for a loaded machine.
const DEADLINE: Duration = Duration::from_secs(20);

fn hooked_flow(id: &str, hook: &str) -> Value {
    json!({
        "schema": 1,
        "id": id,
        "name": format!("Started by {hook}"),
        "nodes": [
            {
                "id": "hook", "type": "webhook", "position": { "x": 0, "y": 0 },
                "config": { "hook": hook, "contact": "payload.phone" }
            },
            { "id": "done", "type": "end", "position": { "x": 250, "y": 0 }, "config": {} }
        ],
        "edges": [{ "from": "hook", "port": "next", "to": "done" }]
    })
}

async fn publish(admin: &Client, flow: &str) -> Value {
    let published = admin
        .post(&format!("{FLOWS}/{flow}/publish"), &json!({}))
        .await;
    assert_eq!(published.status, 201, "publish: {}", published.text);
    published.body
}

/// The status a hook answers on `server` (202 when a published flow listens on it).
async fn hook_status(server: &Client, hook: &str) -> u16 {
    server
        .send(
            server
                .request(Method::POST, &format!("/hooks/default/{hook}"))
                .json(&json!({ "phone": "+4915112345678" })),
        )
        .await
        .status
}

/// Waits until `hook` answers `status` on `server`; panics with what it answered instead.
async fn until_hook_answers(server: &Client, hook: &str, status: u16) {
    let started = Instant::now();
    loop {
        let answered = hook_status(server, hook).await;
        if answered == status {
            return;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "/hooks/default/{hook} still answers {answered}, not {status}, after {DEADLINE:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn another_process_follows_what_is_published(database: Database) {
    let one = Server::start(database).await;
    let admin = one.admin().await;
    let created = admin.post(FLOWS, &hooked_flow("orders", "order")).await;
    assert_eq!(created.status, 201, "{}", created.text);
    publish(&admin, "orders").await;

    // Started on the same database after the publish: it knows the flow at once.
    let two = Server::start_with(
        Database::Sqlite,
        Options {
            args: vec!["--database-url".into(), one.database_url.clone()],
            ..Options::default()
        },
    )
    .await;
    let other = two.anonymous();
    assert_eq!(hook_status(&other, "order").await, 202);
    assert_eq!(hook_status(&other, "new-order").await, 404);

    // A new version listening on another hook replaces the first one there too.
    let saved = admin
        .send(
            admin
                .request(Method::PUT, &format!("{FLOWS}/orders"))
                .header("If-Match", "\"1\"")
                .json(&hooked_flow("orders", "new-order")),
        )
        .await;
    assert_eq!(saved.status, 200, "{}", saved.text);
    assert_eq!(publish(&admin, "orders").await["version"], 2);
    until_hook_answers(&other, "new-order", 202).await;
    assert_eq!(hook_status(&other, "order").await, 404);

    // Unpublished, rolled back to the first version, deleted.
    let unpublished = admin
        .post(&format!("{FLOWS}/orders/unpublish"), &json!({}))
        .await;
    assert_eq!(unpublished.status, 200, "{}", unpublished.text);
    until_hook_answers(&other, "new-order", 404).await;
    let rolled_back = admin
        .post(&format!("{FLOWS}/orders/versions/1/rollback"), &json!({}))
        .await;
    assert_eq!(rolled_back.status, 201, "{}", rolled_back.text);
    until_hook_answers(&other, "order", 202).await;
    assert_eq!(admin.delete(&format!("{FLOWS}/orders")).await.status, 204);
    until_hook_answers(&other, "order", 404).await;

    assert!(two.stop());
    assert!(one.stop());
}

on_both_databases!(another_process_follows_what_is_published);
