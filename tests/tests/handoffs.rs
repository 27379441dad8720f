//! The handoff queue as operators meet it: a journey hands a contact to a person and a
//! ticket appears with the node's note filled in; one person claims it (a second is told
//! who has it); it can be handed to a colleague, another team or back to the queue; closing
//! it as resolved sends the run on through `resolved`; a run that
//! leaves the handoff by itself (cancelled) closes its ticket; the ticket shows the
//! conversation; the flow says who waits at which step; erasing a contact erases its
//! tickets and its conversation. On SQLite with the embedded store and
//! on PostgreSQL with Redis.

use std::time::Duration;

use serde_json::{Value, json};
use spool_tests::{ADMIN_EMAIL, Client, Database, Options, Response, Server};

const ANA: &str = "+4915112340001";
const BEN: &str = "+4915112340002";
const QUEUE: &str = "/api/v1/workspaces/default/handoffs";
const WAITING: &str = "/api/v1/workspaces/default/flows/support/waiting";

fn support_flow() -> Value {
    json!({
        "schema": 1, "id": "support", "name": "Order support",
        "nodes": [
            { "id": "start", "type": "webhook", "config": { "hook": "support", "contact": "payload.phone" } },
            { "id": "ask_person", "type": "handoff", "config": {
                "team": "shop-support", "note": "Order {{ payload.order }} needs a person", "timeout": "8h" } },
            { "id": "helped", "type": "tag", "config": { "add": ["helped"] } },
            { "id": "thanks", "type": "send_template", "config": {
                "name": "support_done", "language": "en", "category": "utility", "body": ["{{ payload.order }}"] } },
            { "id": "unanswered", "type": "tag", "config": { "add": ["unanswered"] } },
        ],
        "edges": [
            { "from": "start", "port": "next", "to": "ask_person" },
            { "from": "ask_person", "port": "resolved", "to": "helped" },
            { "from": "helped", "port": "next", "to": "thanks" },
            { "from": "ask_person", "port": "timeout", "to": "unanswered" },
        ],
    })
}

async fn publish(admin: &Client, flow: &Value) {
    let created = admin.post("/api/v1/workspaces/default/flows", flow).await;
    assert_eq!(created.status, 201, "create: {}", created.text);
    let id = flow["id"].as_str().expect("an id");
    let published = admin
        .post(
            &format!("/api/v1/workspaces/default/flows/{id}/publish"),
            &json!({ "note": "support" }),
        )
        .await;
    assert!(published.status < 300, "publish: {}", published.text);
}

/// Polls `path` until `done` holds (the runtime applies events moments after they are taken).
async fn eventually(client: &Client, path: &str, done: impl Fn(&Response) -> bool) -> Response {
    let mut last = client.get(path).await;
    for _ in 0..100 {
        if done(&last) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        last = client.get(path).await;
    }
    panic!("{path} never became as expected: {}", last.text);
}

fn tickets(list: &Response) -> &Vec<Value> {
    list.body["tickets"].as_array().expect("a list of tickets")
}

async fn enter(server: &Server, phone: &str, order: &str) {
    let hook = server
        .anonymous()
        .post(
            "/hooks/default/support",
            &json!({ "phone": phone, "order": order }),
        )
        .await;
    assert!(hook.status < 300, "webhook: {}", hook.text);
}

async fn operators_claim_and_resolve_a_handoff(database: Database, redis: bool) {
    let server = Server::start_with(
        database,
        Options {
            redis,
            ..Options::default()
        },
    )
    .await;
    let admin = server.admin().await;
    publish(&admin, &support_flow()).await;

    // Ana's name is known (applied in order with her other events, before the webhook's).
    let named = admin
        .request(
            reqwest::Method::PATCH,
            &format!("/api/v1/workspaces/default/contacts/%2B{}", &ANA[1..]),
        )
        .json(&json!({ "name": "Ana Souza" }));
    let named = admin.send(named).await;
    assert_eq!(named.status, 202, "{}", named.text);
    enter(&server, ANA, "A-17").await;
    let queue = eventually(&admin, QUEUE, |r| tickets(r).len() == 1).await;
    let ticket = &tickets(&queue)[0];
    assert_eq!(ticket["phone"], ANA);
    assert_eq!(ticket["contact_name"], "Ana Souza");
    assert_eq!(ticket["team"], "shop-support");
    assert_eq!(ticket["note"], "Order A-17 needs a person");
    assert_eq!(ticket["node_id"], "ask_person");
    assert_eq!(ticket["status"], "open");
    assert!(ticket["times_out_at"].is_string(), "{ticket}");
    assert_eq!(
        queue.body["counts"],
        json!({ "open": 1, "unassigned": 1, "mine": 0, "closed": 0 })
    );
    assert_eq!(queue.body["teams"], json!(["shop-support"]));
    // The counts alone (the top bar's "Inbox (N)").
    let counted = admin.get(&format!("{QUEUE}?limit=0")).await;
    assert!(tickets(&counted).is_empty());
    assert_eq!(counted.body["counts"]["unassigned"], 1);
    let too_many = admin.get(&format!("{QUEUE}?limit=500")).await;
    assert_eq!(too_many.status, 400);
    let id = ticket["id"].as_str().expect("an id").to_owned();

    // Who waits where: Ana, at the handoff step.
    let waiting = admin.get(WAITING).await;
    assert_eq!(
        waiting.body["steps"],
        json!([{ "node_id": "ask_person", "waiting": 1 }])
    );
    let there = admin.get(&format!("{WAITING}/ask_person")).await;
    assert_eq!(there.body["total"], 1);
    assert_eq!(there.body["contacts"][0]["phone"], ANA);
    assert_eq!(there.body["contacts"][0]["status"], "handoff");
    assert!(there.body["contacts"][0]["until"].is_string());

    // One owner at a time: the admin claims it, a machine with an editor key is told who has it.
    let claimed = admin.post(&format!("{QUEUE}/{id}/claim"), &json!({})).await;
    assert_eq!(claimed.status, 200, "{}", claimed.text);
    assert_eq!(claimed.body["assignee"], ADMIN_EMAIL);
    let key = admin
        .post(
            "/api/v1/workspaces/default/api-keys",
            &json!({ "name": "helpdesk", "role": "editor" }),
        )
        .await;
    assert_eq!(key.status, 201, "{}", key.text);
    let helpdesk = Client::with_api_key(&server.base, key.body["key"].as_str().expect("a key"));
    let second = helpdesk
        .post(&format!("{QUEUE}/{id}/claim"), &json!({}))
        .await;
    assert_eq!(second.status, 409, "{}", second.text);
    assert_eq!(second.error_code(), "ticket_claimed");
    assert_eq!(second.body["error"]["details"]["by"], ADMIN_EMAIL);
    // An operator works the queue but cannot change flows.
    let key = admin
        .post(
            "/api/v1/workspaces/default/api-keys",
            &json!({ "name": "front desk", "role": "operator" }),
        )
        .await;
    assert_eq!(key.status, 201, "{}", key.text);
    let operator = Client::with_api_key(&server.base, key.body["key"].as_str().expect("a key"));
    let listed = operator.get(QUEUE).await;
    assert_eq!(tickets(&listed).len(), 1);
    let edit = operator
        .put("/api/v1/workspaces/default/flows/support", &support_flow())
        .await;
    assert_eq!(edit.status, 403, "{}", edit.text);
    let mine = admin.get(&format!("{QUEUE}?view=mine")).await;
    assert_eq!(tickets(&mine).len(), 1);
    let unassigned = admin.get(&format!("{QUEUE}?view=unassigned")).await;
    assert!(tickets(&unassigned).is_empty());

    // Handing it on: to a colleague who works the inbox (not a viewer, not a stranger),
    // to another team, back to the queue; someone else's only by them or an admin.
    for (email, role) in [
        ("rita@shop.example", "operator"),
        ("vera@shop.example", "viewer"),
    ] {
        let added = admin
            .post(
                "/api/v1/workspaces/default/members",
                &json!({ "email": email, "role": role, "password": "a long first password" }),
            )
            .await;
        assert_eq!(added.status, 201, "{}", added.text);
    }
    let assign = format!("{QUEUE}/{id}/assign");
    for (body, code) in [
        (json!({ "to": "vera@shop.example" }), "invalid_assignee"),
        (json!({ "to": "nobody@shop.example" }), "invalid_assignee"),
        (json!({ "team": " " }), "invalid_assignee"),
        (json!({}), "invalid_assignee"),
    ] {
        let refused = admin.post(&assign, &body).await;
        assert_eq!(refused.status, 422, "{body}: {}", refused.text);
        assert_eq!(refused.error_code(), code);
    }
    let handed = admin
        .post(
            &assign,
            &json!({ "to": "Rita@shop.example", "team": "returns" }),
        )
        .await;
    assert_eq!(handed.status, 200, "{}", handed.text);
    assert_eq!(handed.body["assignee"], "rita@shop.example");
    assert_eq!(handed.body["team"], "returns");
    let not_theirs = operator.post(&assign, &json!({ "to": null })).await;
    assert_eq!(not_theirs.status, 409, "{}", not_theirs.text);
    assert_eq!(
        not_theirs.body["error"]["details"]["by"],
        "rita@shop.example"
    );
    let queued = admin.post(&assign, &json!({ "to": null })).await;
    assert_eq!(queued.status, 200, "{}", queued.text);
    assert_eq!(queued.body["assignee"], Value::Null);
    assert_eq!(queued.body["team"], "returns", "the team stays");
    let back = admin.post(&format!("{QUEUE}/{id}/claim"), &json!({})).await;
    assert_eq!(back.status, 200, "{}", back.text);

    // Only the one working on it (or an admin) resolves it.
    let not_theirs = operator
        .post(&format!("{QUEUE}/{id}/close"), &json!({}))
        .await;
    assert_eq!(not_theirs.status, 403, "{}", not_theirs.text);

    // Resolved: the run goes on through `resolved` (the contact gets its tag).
    let closed = admin
        .post(
            &format!("{QUEUE}/{id}/close"),
            &json!({ "outcome": "resolved" }),
        )
        .await;
    assert_eq!(closed.status, 200, "{}", closed.text);
    assert_eq!(closed.body["outcome"], "resolved");
    assert_eq!(closed.body["closed_by"], ADMIN_EMAIL);
    let contact = format!("/api/v1/workspaces/default/contacts/%2B{}", &ANA[1..]);
    let helped = eventually(&admin, &contact, |r| {
        r.body["tags"]
            .as_array()
            .is_some_and(|tags| tags.contains(&json!("helped")))
    })
    .await;
    assert!(
        !helped.body["tags"]
            .as_array()
            .expect("tags")
            .contains(&json!("unanswered"))
    );
    // Her run ended: no one waits any more.
    eventually(&admin, WAITING, |r| r.body["steps"] == json!([])).await;
    // The conversation, as the operator reads it on the ticket: the journey's thanks.
    let said = eventually(&admin, &format!("{QUEUE}/{id}/messages"), |r| {
        r.body["messages"].as_array().is_some_and(|m| !m.is_empty())
    })
    .await;
    let thanks = &said.body["messages"][0];
    assert_eq!(thanks["direction"], "out");
    assert_eq!(thanks["from"], "journey");
    assert_eq!(thanks["node_id"], "thanks");
    assert_eq!(thanks["message"]["body"], json!(["A-17"]));
    assert!(
        thanks["text"]
            .as_str()
            .is_some_and(|text| text.starts_with("Template support_done (utility, en)")),
        "{thanks}"
    );
    assert_eq!(thanks["window_closed"], true, "Ana never wrote");
    assert_eq!(said.body["earlier"], Value::Null);
    let by_number = admin.get(&format!("{contact}/messages?limit=1")).await;
    assert_eq!(by_number.body["messages"], said.body["messages"]);
    assert_eq!(by_number.body["earlier"], Value::Null, "nothing before it");
    let too_long = admin.get(&format!("{contact}/messages?limit=501")).await;
    assert_eq!(too_long.status, 400, "{}", too_long.text);
    let again = admin.post(&format!("{QUEUE}/{id}/close"), &json!({})).await;
    assert_eq!(again.status, 409);
    assert_eq!(again.error_code(), "ticket_closed");
    let open = admin.get(QUEUE).await;
    assert!(tickets(&open).is_empty(), "{}", open.text);
    assert_eq!(open.body["counts"]["open"], 0);
    assert_eq!(open.body["counts"]["closed"], 1);

    // A run that leaves the handoff by itself (cancelled here) closes its ticket.
    enter(&server, BEN, "B-3").await;
    let queue = eventually(&admin, QUEUE, |r| tickets(r).len() == 1).await;
    let ben = &tickets(&queue)[0];
    assert_eq!(ben["note"], "Order B-3 needs a person");
    let cancel = admin
        .post(
            &format!(
                "/api/v1/workspaces/default/contacts/%2B{}/runs/{}/cancel",
                &BEN[1..],
                ben["run_id"].as_str().expect("a run")
            ),
            &json!({}),
        )
        .await;
    assert_eq!(cancel.status, 202, "{}", cancel.text);
    let closed = eventually(&admin, &format!("{QUEUE}?view=closed"), |r| {
        tickets(r).len() == 2
    })
    .await;
    let left = tickets(&closed)
        .iter()
        .find(|t| t["phone"] == BEN)
        .expect("Ben's ticket is closed");
    assert_eq!(left["closed_by"], "journey");
    assert_eq!(left["outcome"], "left");
    let claim_closed = admin
        .post(
            &format!("{QUEUE}/{}/claim", left["id"].as_str().expect("id")),
            &json!({}),
        )
        .await;
    assert_eq!(claim_closed.status, 409);
    assert_eq!(claim_closed.error_code(), "ticket_closed");
    eventually(&admin, WAITING, |r| r.body["steps"] == json!([])).await;

    // Erasing a contact erases its tickets (they hold its number and the journey's note).
    let erased = admin
        .delete(&format!(
            "/api/v1/workspaces/default/contacts/%2B{}",
            &BEN[1..]
        ))
        .await;
    assert_eq!(erased.status, 204, "{}", erased.text);
    let closed = admin.get(&format!("{QUEUE}?view=closed")).await;
    assert!(
        tickets(&closed).iter().all(|t| t["phone"] != BEN),
        "{}",
        closed.text
    );
    // … and its conversation.
    let erased = admin.delete(&contact).await;
    assert_eq!(erased.status, 204, "{}", erased.text);
    let gone = admin.get(&format!("{QUEUE}/{id}/messages")).await;
    assert_eq!(gone.status, 404, "the ticket went with her: {}", gone.text);
    assert!(server.stop());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_sqlite_with_the_embedded_store() {
    operators_claim_and_resolve_a_handoff(Database::Sqlite, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_with_redis() {
    operators_claim_and_resolve_a_handoff(Database::Postgres, true).await;
}
