//! Answering a handed-over contact from the inbox, over HTTP against a stand-in for Meta: a
//! contact writes "agent" on WhatsApp and a journey hands them to a person (an inbox page
//! listening live hears of the ticket and of each message); an operator's
//! reply takes the conversation and goes out through the Cloud API, its statuses follow in
//! the conversation, a colleague cannot answer someone else's conversation; once the 24-hour
//! window is closed text is refused with when it closed, a Marketing template needs an
//! opt-in, and an APPROVED Utility template goes; of two colleagues taking a conversation at
//! once one gets it; another workspace sees none of it; STOP during a handoff opts the
//! contact out and closes the ticket; notes for the team stay in the
//! conversation, never sent; a conversation closes by ending the journey or by moving the
//! contact to another live journey; a closed conversation takes no reply.

use std::time::Duration;

use serde_json::{Value, json};
use spool_tests::{Client, Database, Response, Server, on_both_databases};
use wiremock::MockServer;

use crate::simulator::read_until;
use crate::templates::{deliver, meta, publish, start_on};

const WS: &str = "/api/v1/workspaces/default";
const QUEUE: &str = "/api/v1/workspaces/default/handoffs";
const PHONE_NUMBER_ID: &str = "1098765432101";
const ANA: &str = "5511987654321";
const BEN: &str = "5511987654322";
const CARO: &str = "5511987654323";

pub(crate) fn help_desk() -> Value {
    json!({
        "schema": 1, "id": "help", "name": "Help desk",
        "nodes": [
            { "id": "start", "type": "inbound_message", "config": { "match": { "type": "keyword", "keywords": ["agent"] } } },
            { "id": "person", "type": "handoff", "config": { "team": "support", "note": "Asked for a person", "timeout": "2d" } },
            { "id": "done", "type": "end", "config": {} },
        ],
        "edges": [
            { "from": "start", "port": "next", "to": "person" },
            { "from": "person", "port": "resolved", "to": "done" },
            { "from": "person", "port": "timeout", "to": "done" },
        ],
    })
}

/// Meta's clock, which is the real one (so is the server's).
#[allow(clippy::disallowed_methods)]
pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
        })
}

/// Meta's webhook body: `phone` writes `text`, `ago` seconds ago.
pub(crate) fn writes(phone: &str, text: &str, ago: i64) -> Vec<u8> {
    // WhatsApp's message ids are unique: two messages of one contact stamped the same second
    // must not share one (the second would be taken for a repeat of the first).
    static SENT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = SENT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let sent = unix_now() - ago;
    json!({
        "object": "whatsapp_business_account",
        "entry": [{ "id": "102290129340398", "changes": [{ "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": { "display_phone_number": "15550001111", "phone_number_id": PHONE_NUMBER_ID },
            "contacts": [{ "profile": { "name": "Ana" }, "wa_id": phone }],
            "messages": [{ "from": phone, "id": format!("wamid.in.{phone}.{sent}.{n}"),
                           "timestamp": sent.to_string(), "type": "text", "text": { "body": text } }]
        } }] }]
    })
    .to_string()
    .into_bytes()
}

/// Meta's webhook body: WhatsApp's word on a message Spool sent (`sent` is Meta's request).
pub(crate) fn status(sent: &Value, status: &str) -> Vec<u8> {
    json!({
        "object": "whatsapp_business_account",
        "entry": [{ "id": "102290129340398", "changes": [{ "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": { "display_phone_number": "15550001111", "phone_number_id": PHONE_NUMBER_ID },
            "statuses": [{ "id": "wamid.OUT1", "status": status,
                           "timestamp": unix_now().to_string(),
                           "recipient_id": sent["to"], "biz_opaque_callback_data": sent["biz_opaque_callback_data"] }]
        } }] }]
    })
    .to_string()
    .into_bytes()
}

/// Polls `path` until `done` holds.
pub(crate) async fn eventually(
    client: &Client,
    path: &str,
    done: impl Fn(&Response) -> bool,
) -> Response {
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

/// The messages Meta was asked to send, waiting for `count`.
pub(crate) async fn sent(meta: &MockServer, count: usize) -> Vec<Value> {
    for _ in 0..100 {
        let sent: Vec<Value> = meta
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .filter(|request| request.method.as_str() == "POST")
            .filter_map(|request| serde_json::from_slice(&request.body).ok())
            .collect();
        if sent.len() >= count {
            return sent;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("Meta was not asked to send {count} message(s)");
}

/// The open ticket of `phone`.
pub(crate) async fn ticket_of(admin: &Client, phone: &str) -> String {
    let queue = eventually(admin, QUEUE, |r| {
        r.body["tickets"]
            .as_array()
            .is_some_and(|tickets| tickets.iter().any(|t| t["phone"] == format!("+{phone}")))
    })
    .await;
    let tickets = queue.body["tickets"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let ticket = tickets
        .iter()
        .find(|t| t["phone"] == format!("+{phone}"))
        .expect("a ticket");
    ticket["id"].as_str().expect("an id").to_owned()
}

async fn key(server: &Server, admin: &Client, name: &str, role: &str) -> Client {
    let created = admin
        .post(
            &format!("{WS}/api-keys"),
            &json!({ "name": name, "role": role }),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    Client::with_api_key(&server.base, created.body["key"].as_str().expect("a key"))
}

async fn operators_answer_within_whatsapps_rules(database: Database) {
    let meta = meta().await;
    // SQLite with the embedded store; PostgreSQL with Redis.
    let redis = matches!(database, Database::Postgres);
    let (server, admin, channel) = start_on(&meta, database, false, redis).await;
    let published = publish(&admin, &help_desk()).await;
    assert_eq!(published.status, 201, "{}", published.text);
    let rita = key(&server, &admin, "Rita", "operator").await;
    let rui = key(&server, &admin, "Rui", "operator").await;

    // An inbox page listens for changes.
    let mut live = admin
        .request(reqwest::Method::GET, &format!("{WS}/inbox/events"))
        .send()
        .await
        .expect("the stream opens");
    assert_eq!(live.status().as_u16(), 200);
    let mut heard = String::new();
    read_until(&mut live, &mut heard, ": listening").await;

    deliver(&server, &channel, &writes(ANA, "agent", 5)).await;
    read_until(&mut live, &mut heard, "event: ticket").await;
    assert!(heard.contains("\"contact\":\"+5511987654321\""), "{heard}");
    let ana = ticket_of(&admin, ANA).await;
    let replied = rita
        .post(
            &format!("{QUEUE}/{ana}/messages"),
            &json!({ "text": "Hi Ana, Rita here. How can I help?" }),
        )
        .await;
    assert_eq!(replied.status, 202, "{}", replied.text);
    let ticket = admin.get(&format!("{QUEUE}/{ana}")).await;
    assert!(
        ticket.body["assignee"]
            .as_str()
            .is_some_and(|who| who.starts_with("api_key:")),
        "answering took the conversation: {}",
        ticket.text
    );
    heard.clear();
    read_until(&mut live, &mut heard, "event: message").await;
    let out = sent(&meta, 1).await;
    assert_eq!(out[0]["to"], ANA);
    assert_eq!(out[0]["text"]["body"], "Hi Ana, Rita here. How can I help?");
    // Someone else's conversation.
    let other = rui
        .post(
            &format!("{QUEUE}/{ana}/messages"),
            &json!({ "text": "Me too" }),
        )
        .await;
    assert_eq!(other.status, 403, "{}", other.text);

    // WhatsApp's statuses follow in the conversation.
    deliver(&server, &channel, &status(&out[0], "delivered")).await;
    let said = eventually(&admin, &format!("{QUEUE}/{ana}/messages"), |r| {
        r.body["messages"][1]["status"] == "delivered"
    })
    .await;
    let messages = said.body["messages"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(messages.len(), 2, "{}", said.text);
    assert_eq!(messages[0]["from"], "contact");
    assert_eq!(messages[0]["text"], "agent");
    assert_eq!(messages[1]["from"], "operator");
    assert!(
        messages[1]["author"]
            .as_str()
            .is_some_and(|who| who.starts_with("api_key:"))
    );
    assert_eq!(messages[1]["text"], "Hi Ana, Rita here. How can I help?");

    // Two colleagues take the same conversation at once: one gets it, the other is told who.
    deliver(&server, &channel, &writes(CARO, "agent", 5)).await;
    let caro = ticket_of(&admin, CARO).await;
    let claim = format!("{QUEUE}/{caro}/claim");
    let nothing = json!({});
    let (first, second) = tokio::join!(rita.post(&claim, &nothing), rui.post(&claim, &nothing));
    let mut statuses = [first.status, second.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409], "{} / {}", first.text, second.text);
    let loser = if first.status == 409 { &first } else { &second };
    let winner = if first.status == 200 { &first } else { &second };
    assert_eq!(
        loser.body["error"]["details"]["by"],
        winner.body["assignee"]
    );
    // Someone of another workspace sees none of it.
    let created = admin
        .post(
            "/api/v1/workspaces",
            &json!({ "id": "globex", "name": "Globex" }),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let globex_key = admin
        .post(
            "/api/v1/workspaces/globex/api-keys",
            &json!({ "name": "Globex desk", "role": "operator" }),
        )
        .await;
    assert_eq!(globex_key.status, 201, "{}", globex_key.text);
    let outsider = Client::with_api_key(
        &server.base,
        globex_key.body["key"].as_str().expect("a key"),
    );
    for path in [
        QUEUE.to_owned(),
        format!("{QUEUE}/{caro}"),
        format!("{QUEUE}/{caro}/messages"),
    ] {
        let seen = outsider.get(&path).await;
        assert!(matches!(seen.status, 403 | 404), "{path}: {}", seen.text);
    }
    let theirs = outsider.get("/api/v1/workspaces/globex/handoffs").await;
    assert_eq!(theirs.body["tickets"], json!([]), "{}", theirs.text);
    // STOP during the handoff: Caro is opted out of everything, her ticket closes, and no
    // one answers her (neither the journey nor, from now on, an operator).
    deliver(&server, &channel, &writes(CARO, "STOP", 1)).await;
    let closed = eventually(&admin, &format!("{QUEUE}/{caro}"), |r| {
        r.body["status"] == "closed"
    })
    .await;
    assert_eq!(closed.body["outcome"], "left");
    assert_eq!(closed.body["closed_by"], "journey");
    let said = admin.get(&format!("{QUEUE}/{caro}/messages")).await;
    let texts: Vec<&str> = said.body["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["text"].as_str())
        .collect();
    assert_eq!(
        texts,
        ["agent", "STOP"],
        "only her own words: {}",
        said.text
    );

    // A note for the team sits in the conversation and is never sent.
    let noted = rita
        .post(
            &format!("{QUEUE}/{ana}/notes"),
            &json!({ "text": "Regular customer, order A-17 is late" }),
        )
        .await;
    assert_eq!(noted.status, 201, "{}", noted.text);
    assert_eq!(noted.body["direction"], "note");
    let viewer = key(&server, &admin, "Vera", "viewer").await;
    let not_hers = viewer
        .post(&format!("{QUEUE}/{ana}/notes"), &json!({ "text": "hi" }))
        .await;
    assert_eq!(not_hers.status, 403, "{}", not_hers.text);
    let said = admin.get(&format!("{QUEUE}/{ana}/messages")).await;
    assert_eq!(
        said.body["messages"][2]["text"],
        "Regular customer, order A-17 is late"
    );
    assert_eq!(said.body["messages"][2]["from"], "operator");
    assert_eq!(sent(&meta, 1).await.len(), 1, "the note was not sent");

    // Ben wrote 25 hours ago: his window is closed.
    deliver(&server, &channel, &writes(BEN, "agent", 25 * 3600)).await;
    let ben = ticket_of(&admin, BEN).await;
    let text = rita
        .post(
            &format!("{QUEUE}/{ben}/messages"),
            &json!({ "text": "Still there?" }),
        )
        .await;
    assert_eq!(text.status, 409, "{}", text.text);
    assert_eq!(text.error_code(), "window_closed");
    assert!(
        text.body["error"]["details"]["closed_at"].is_string(),
        "{}",
        text.text
    );
    let untaken = admin.get(&format!("{QUEUE}/{ben}")).await;
    assert_eq!(
        untaken.body["assignee"],
        Value::Null,
        "a refused reply takes nothing"
    );
    let marketing = rita
        .post(
            &format!("{QUEUE}/{ben}/messages"),
            &json!({ "template": { "name": "spring_sale", "language": "en_US", "body": ["Ben"] } }),
        )
        .await;
    assert_eq!(marketing.status, 409, "{}", marketing.text);
    assert_eq!(marketing.error_code(), "no_opt_in");
    let unknown = rita
        .post(
            &format!("{QUEUE}/{ben}/messages"),
            &json!({ "template": { "name": "welcome_offer", "language": "en_US" } }),
        )
        .await;
    assert_eq!(
        unknown.status, 409,
        "pending, not approved: {}",
        unknown.text
    );
    assert_eq!(unknown.error_code(), "template_not_approved");
    let utility = rita
        .post(
            &format!("{QUEUE}/{ben}/messages"),
            &json!({ "template": { "name": "order_shipped", "language": "en", "body": ["Ben"] } }),
        )
        .await;
    assert_eq!(utility.status, 202, "{}", utility.text);
    let out = sent(&meta, 2).await;
    assert_eq!(out[1]["to"], BEN);
    assert_eq!(out[1]["template"]["name"], "order_shipped");
    let said = eventually(&admin, &format!("{QUEUE}/{ben}/messages"), |r| {
        r.body["messages"].as_array().is_some_and(|m| m.len() == 2)
    })
    .await;
    assert_eq!(said.body["messages"][1]["window_closed"], true);
    assert_eq!(said.body["messages"][1]["from"], "operator");
    // Ben writes again while handed over: it reaches his ticket, whose window opens again,
    // and free text goes.
    let before = admin.get(&format!("{QUEUE}/{ben}")).await;
    deliver(&server, &channel, &writes(BEN, "hello? anyone?", 1)).await;
    let reopened = eventually(&admin, &format!("{QUEUE}/{ben}"), |r| {
        r.body["window_closes_at"] != before.body["window_closes_at"]
    })
    .await;
    assert!(
        reopened.body["window_closes_at"].is_string(),
        "{}",
        reopened.text
    );
    let answered = rita
        .post(
            &format!("{QUEUE}/{ben}/messages"),
            &json!({ "text": "Yes, Rita here" }),
        )
        .await;
    assert_eq!(answered.status, 202, "{}", answered.text);
    assert_eq!(sent(&meta, 3).await[2]["text"]["body"], "Yes, Rita here");

    // Ben's journey ends here: his run is gone, and the ticket says how it closed.
    let ended = rita
        .post(
            &format!("{QUEUE}/{ben}/close"),
            &json!({ "outcome": "ended" }),
        )
        .await;
    assert_eq!(ended.status, 200, "{}", ended.text);
    assert_eq!(ended.body["outcome"], "ended");
    eventually(&admin, &format!("{WS}/contacts/%2B{BEN}"), |r| {
        r.body["runs"].as_array().is_some_and(Vec::is_empty)
    })
    .await;
    let unknown_outcome = rita
        .post(
            &format!("{QUEUE}/{ana}/close"),
            &json!({ "outcome": "escalated" }),
        )
        .await;
    assert_eq!(unknown_outcome.status, 400, "{}", unknown_outcome.text);

    // Bad input, and a closed conversation.
    for body in [
        json!({}),
        json!({ "text": "  " }),
        json!({ "text": "a", "template": { "name": "x", "language": "en" } }),
    ] {
        let refused = rita.post(&format!("{QUEUE}/{ana}/messages"), &body).await;
        assert_eq!(refused.status, 400, "{body}: {}", refused.text);
    }
    // Quick replies and a picture, while Ana's window is open; WhatsApp's limits first.
    let to_ana = format!("{QUEUE}/{ana}/messages");
    for (body, words) in [
        (
            json!({ "text": "Which?", "buttons": ["A", "B", "C", "D"] }),
            "at most 3",
        ),
        (
            json!({ "text": "Which?", "buttons": ["A much too long button title"] }),
            "1 to 20",
        ),
        (
            json!({ "text": "Which?", "buttons": ["A", "A"] }),
            "Two buttons",
        ),
        (
            json!({ "media": { "kind": "image", "url": "http://shop.example/r.png" } }),
            "https",
        ),
        (
            json!({ "media": { "kind": "image", "url": "https://shop.example/r.png" }, "buttons": ["A"] }),
            "exactly one",
        ),
    ] {
        let refused = rita.post(&to_ana, &body).await;
        assert_eq!(refused.status, 400, "{body}: {}", refused.text);
        assert!(refused.text.contains(words), "{body}: {}", refused.text);
    }
    let asked = rita
        .post(
            &to_ana,
            &json!({ "text": "Shall I refund you?", "buttons": ["Yes please", "No"] }),
        )
        .await;
    assert_eq!(asked.status, 202, "{}", asked.text);
    let pictured = rita
        .post(
            &to_ana,
            &json!({ "media": { "kind": "image", "url": "https://shop.example/receipt.png", "caption": "Your receipt" } }),
        )
        .await;
    assert_eq!(pictured.status, 202, "{}", pictured.text);
    let out = sent(&meta, 5).await;
    assert_eq!(out[3]["type"], "interactive");
    assert_eq!(
        out[3]["interactive"]["action"]["buttons"][1]["reply"]["title"],
        "No"
    );
    assert_eq!(out[4]["type"], "image");
    assert_eq!(out[4]["image"]["caption"], "Your receipt");

    // Ana goes on to the satisfaction survey: her help-desk journey ends, the survey starts.
    let survey = json!({
        "schema": 1, "id": "survey", "name": "Survey",
        "nodes": [
            { "id": "start", "type": "broadcast", "config": {} },
            { "id": "ask", "type": "send_text", "config": { "text": "How did we do, from 1 to 5?" } },
        ],
        "edges": [{ "from": "start", "port": "next", "to": "ask" }],
    });
    let unpublished = rita
        .post(
            &format!("{QUEUE}/{ana}/close"),
            &json!({ "outcome": "moved", "flow": "survey" }),
        )
        .await;
    assert_eq!(unpublished.status, 422, "{}", unpublished.text);
    assert_eq!(unpublished.error_code(), "not_published");
    assert_eq!(publish(&admin, &survey).await.status, 201);
    let closed = rita
        .post(
            &format!("{QUEUE}/{ana}/close"),
            &json!({ "outcome": "moved", "flow": "survey" }),
        )
        .await;
    assert_eq!(closed.status, 200, "{}", closed.text);
    assert_eq!(closed.body["outcome"], "moved");
    let out = sent(&meta, 6).await;
    assert_eq!(out[5]["to"], ANA);
    assert_eq!(out[5]["text"]["body"], "How did we do, from 1 to 5?");
    let late = rita
        .post(
            &format!("{QUEUE}/{ana}/messages"),
            &json!({ "text": "One more thing" }),
        )
        .await;
    assert_eq!(late.status, 409, "{}", late.text);
    assert_eq!(late.error_code(), "ticket_closed");
    // A listening page would hold the server's graceful stop open.
    drop(live);
    assert!(server.stop());
}

on_both_databases!(operators_answer_within_whatsapps_rules);
