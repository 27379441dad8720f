//! The flow list as the editor shows it: which flows are drafts, which are live, and which
//! have edits that contacts do not get yet; and who saved each one last.

use serde_json::{Value, json};
use spool_tests::{Client, Database, Server, example_flow, on_both_databases};

const FLOWS: &str = "/api/v1/workspaces/default/flows";

/// The list's entry for `id`.
async fn listed(client: &Client, id: &str) -> Value {
    let list = client.get(FLOWS).await;
    assert_eq!(list.status, 200, "{}", list.text);
    list.body
        .as_array()
        .and_then(|flows| flows.iter().find(|flow| flow["id"] == id).cloned())
        .unwrap_or_else(|| panic!("{id} is not in the list: {}", list.text))
}

async fn save(client: &Client, id: &str, document: &Value, revision: i64) {
    let saved = client
        .send(
            client
                .request(reqwest::Method::PUT, &format!("{FLOWS}/{id}"))
                .header("If-Match", format!("\"{revision}\""))
                .json(document),
        )
        .await;
    assert_eq!(saved.status, 200, "{}", saved.text);
}

async fn list_tells_drafts_live_flows_and_unpublished_changes_apart(database: Database) {
    let server = Server::start(database).await;
    let admin = server.admin().await;
    let cart = example_flow("abandoned-cart");
    assert_eq!(admin.post(FLOWS, &cart).await.status, 201);

    let draft = listed(&admin, "abandoned-cart").await;
    assert_eq!(draft["published_version"], Value::Null);
    assert_eq!(draft["unpublished_changes"], false);
    assert!(
        draft["updated_by"]
            .as_str()
            .is_some_and(|by| by.starts_with("user:")),
        "{draft}"
    );

    let published = admin
        .post(&format!("{FLOWS}/abandoned-cart/publish"), &json!({}))
        .await;
    assert_eq!(published.status, 201, "{}", published.text);
    let live = listed(&admin, "abandoned-cart").await;
    assert_eq!(live["published_version"], 1);
    assert_eq!(live["unpublished_changes"], false);

    // An edit after publishing is an unpublished change until the next publish.
    let mut edited = cart.clone();
    edited["nodes"][1]["config"]["for"] = json!("2h");
    save(&admin, "abandoned-cart", &edited, 1).await;
    assert_eq!(
        listed(&admin, "abandoned-cart").await["unpublished_changes"],
        true
    );

    // Saving the live document back (an undo) is no change.
    save(&admin, "abandoned-cart", &cart, 2).await;
    assert_eq!(
        listed(&admin, "abandoned-cart").await["unpublished_changes"],
        false
    );

    save(&admin, "abandoned-cart", &edited, 3).await;
    let v2 = admin
        .post(&format!("{FLOWS}/abandoned-cart/publish"), &json!({}))
        .await;
    assert_eq!(v2.status, 201, "{}", v2.text);
    let republished = listed(&admin, "abandoned-cart").await;
    assert_eq!(republished["published_version"], 2);
    assert_eq!(republished["unpublished_changes"], false);

    // Rolling back to version 1 makes version 1 live; the draft (version 2's) is then ahead.
    let rolled = admin
        .post(
            &format!("{FLOWS}/abandoned-cart/versions/1/rollback"),
            &json!({}),
        )
        .await;
    assert_eq!(rolled.status, 201, "{}", rolled.text);
    let after = listed(&admin, "abandoned-cart").await;
    assert_eq!(after["published_version"], 3);
    assert_eq!(after["unpublished_changes"], true);
    assert!(server.stop());
}

on_both_databases!(list_tells_drafts_live_flows_and_unpublished_changes_apart);
