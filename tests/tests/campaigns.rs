//! Broadcast campaigns over real HTTP against a stand-in for Meta's Cloud API: a campaign
//! to a tag sends the flow's Marketing template to the recipients who consented, skips the
//! one who did not (saying why), completes, and follows WhatsApp's word on each message; a
//! campaign cannot be started twice; a scheduled one can be paused, resumed and cancelled
//! and sends nothing.

use std::time::Duration;

use serde_json::{Value, json};
use spool_tests::{Client, Database, Response, on_both_databases};

use crate::inbox_reply::{eventually, sent, status};
use crate::templates::{deliver, meta, publish, start_on};

const WS: &str = "/api/v1/workspaces/default";
const CAMPAIGNS: &str = "/api/v1/workspaces/default/campaigns";

fn spring_flow() -> Value {
    json!({
        "schema": 1, "id": "spring", "name": "Spring sale",
        "nodes": [
            { "id": "everyone", "type": "broadcast", "config": {} },
            { "id": "offer", "type": "send_template", "config": {
                "name": "spring_sale", "language": "en_US", "category": "marketing",
                "body": ["{{ contact.name }}"] } },
            { "id": "done", "type": "end", "config": {} },
        ],
        "edges": [
            { "from": "everyone", "port": "next", "to": "offer" },
            { "from": "offer", "port": "next", "to": "done" },
            { "from": "offer", "port": "error", "to": "done" },
        ],
    })
}

async fn add(admin: &Client, body: Value) {
    let added = admin.post(&format!("{WS}/contacts"), &body).await;
    assert_eq!(added.status, 202, "{}", added.text);
}

fn recipient<'a>(list: &'a Response, phone: &str) -> &'a Value {
    list.body["recipients"]
        .as_array()
        .and_then(|all| all.iter().find(|r| r["phone"] == phone))
        .unwrap_or_else(|| panic!("{phone} is not a recipient: {}", list.text))
}

async fn a_campaign_sends_to_those_who_consented_and_follows_each_message(db: Database) {
    let meta = meta().await;
    let (server, admin, channel) = start_on(&meta, db, false, false).await;
    let published = publish(&admin, &spring_flow()).await;
    assert_eq!(published.status, 201, "{}", published.text);
    let consent = "signed up at the shop's till";
    add(
        &admin,
        json!({ "phone": "+5511987650201", "name": "Ana", "tags": ["customers"],
                        "marketing_opt_in": true, "consent_basis": consent }),
    )
    .await;
    add(
        &admin,
        json!({ "phone": "+5511987650202", "name": "Ben", "tags": ["customers"],
                        "marketing_opt_in": true, "consent_basis": consent }),
    )
    .await;
    add(
        &admin,
        json!({ "phone": "+5511987650203", "name": "Caro", "tags": ["customers"] }),
    )
    .await;
    add(
        &admin,
        json!({ "phone": "+5511987650204", "name": "Dora",
                        "marketing_opt_in": true, "consent_basis": consent }),
    )
    .await;
    eventually(&admin, &format!("{WS}/contacts?tag=customers"), |page| {
        page.body["contacts"]
            .as_array()
            .is_some_and(|all| all.len() == 3)
    })
    .await;

    let created = admin
        .post(
            CAMPAIGNS,
            &json!({ "name": "Spring sale", "flow_id": "spring",
                     "audience": { "all": [{ "kind": "tag", "tag": "customers" }] } }),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["state"], "draft");
    let id = created.body["id"].as_str().expect("an id").to_owned();
    let preflight = admin.get(&format!("{CAMPAIGNS}/{id}/preflight")).await;
    assert_eq!(preflight.status, 200, "{}", preflight.text);
    assert_eq!(preflight.body["audience"], 3);
    assert_eq!(preflight.body["marketing"], true);
    assert_eq!(preflight.body["no_opt_in"], 1);
    assert_eq!(preflight.body["recipients"], 2);
    assert_eq!(
        preflight.body["outside_window"], 2,
        "nobody wrote in the last 24 hours"
    );
    assert_eq!(preflight.body["fits"], true, "{}", preflight.text);

    let started = admin
        .post(&format!("{CAMPAIGNS}/{id}/start"), &json!({}))
        .await;
    assert_eq!(started.status, 200, "{}", started.text);
    let again = admin
        .post(&format!("{CAMPAIGNS}/{id}/start"), &json!({}))
        .await;
    assert_eq!(again.status, 409, "{}", again.text);
    assert_eq!(again.body["error"]["code"], "campaign_state");
    let done = eventually(&admin, &format!("{CAMPAIGNS}/{id}"), |campaign| {
        campaign.body["state"] == "completed"
    })
    .await;
    assert_eq!(done.body["progress"]["total"], 3, "{}", done.text);

    // Meta was asked for the template twice: Ana and Ben, never Caro.
    let sends = sent(&meta, 2).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let sends_now = sent(&meta, 2).await;
    assert_eq!(sends_now.len(), 2, "sent once each: {sends_now:?}");
    let mut to: Vec<&str> = sends
        .iter()
        .filter_map(|send| send["to"].as_str())
        .collect();
    to.sort_unstable();
    assert_eq!(to, ["5511987650201", "5511987650202"]);
    assert!(
        sends
            .iter()
            .all(|send| send["template"]["name"] == "spring_sale")
    );
    let list = admin.get(&format!("{CAMPAIGNS}/{id}/recipients")).await;
    assert_eq!(recipient(&list, "+5511987650203")["state"], "skipped");
    assert_eq!(recipient(&list, "+5511987650203")["reason"], "no_opt_in");

    // WhatsApp says Ana's message was delivered, then read; she replies.
    let ana = sends
        .iter()
        .find(|send| send["to"] == "5511987650201")
        .expect("Ana's send");
    deliver(&server, &channel, &status(ana, "delivered")).await;
    let list = eventually(&admin, &format!("{CAMPAIGNS}/{id}/recipients"), |list| {
        recipient(list, "+5511987650201")["state"] == "delivered"
    })
    .await;
    assert_eq!(recipient(&list, "+5511987650202")["state"], "pending");
    deliver(
        &server,
        &channel,
        &crate::inbox_reply::writes("5511987650201", "Is the sale on in the shop too?", 0),
    )
    .await;
    let campaign = eventually(&admin, &format!("{CAMPAIGNS}/{id}"), |campaign| {
        campaign.body["progress"]["counts"]["replied"] == 1
    })
    .await;
    assert_eq!(
        campaign.body["progress"]["counts"]["pending"], 1,
        "{}",
        campaign.text
    );
    assert_eq!(campaign.body["progress"]["counts"]["skipped"], 1);

    // A campaign for later is paused, resumed and cancelled: it never sends.
    let later = admin
        .post(
            CAMPAIGNS,
            &json!({ "name": "Later", "flow_id": "spring",
                     "phones": ["+55 11 98765-0204"], "send_at": "2099-01-01T10:00:00Z" }),
        )
        .await;
    assert_eq!(later.status, 201, "{}", later.text);
    let later = later.body["id"].as_str().expect("an id").to_owned();
    for (action, state) in [
        ("start", "scheduled"),
        ("pause", "paused"),
        ("resume", "scheduled"),
        ("cancel", "cancelled"),
    ] {
        let changed = admin
            .post(&format!("{CAMPAIGNS}/{later}/{action}"), &json!({}))
            .await;
        assert_eq!(changed.status, 200, "{action}: {}", changed.text);
        assert_eq!(changed.body["state"], state, "{action}");
    }
    let refused = admin
        .post(&format!("{CAMPAIGNS}/{later}/resume"), &json!({}))
        .await;
    assert_eq!(refused.status, 409);
    assert_eq!(
        sent(&meta, 2).await.len(),
        2,
        "the cancelled campaign sent nothing"
    );

    // A flow without a broadcast trigger cannot be a campaign's.
    let refused = admin
        .post(
            CAMPAIGNS,
            &json!({ "name": "x", "flow_id": "nope", "phones": ["+5511987650201"] }),
        )
        .await;
    assert_eq!(refused.status, 400, "{}", refused.text);
}

on_both_databases!(a_campaign_sends_to_those_who_consented_and_follows_each_message);
