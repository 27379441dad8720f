//! What becomes of a sent message reaches its run: a refusal sends the run out of the
//! sending node's `error` port (or fails it), and statuses land in `vars.delivery`, never
//! moving backwards, applied once however often they are reported. A person's message from
//! the inbox obeys the same rules and never moves the run.

#[macro_use]
mod common;

use common::{Harness, hours};
use serde_json::{Value, json};
use spool_nodes::{OutboundBody, RunStatus, SECOND, TemplateCategory};
use spool_runtime::OPERATOR_RUN;
use spool_runtime::clock::Clock;
use spool_runtime::delivery::{DeliveryError, DeliveryStatus, MessageRef, StatusReport};
use spool_runtime::notice::NoticeKind;
use spool_runtime::state::contact_id_for;
use spool_runtime::store::Appended;
use spool_runtime::{Event, EventKind};

const ANA: &str = "5511987650001";

/// "hi" → a question → a wait for the answer; when the question cannot be delivered, the
/// run notes it and ends instead of waiting for an answer that cannot come.
fn question(with_error_port: bool) -> String {
    let mut edges = vec![
        json!({ "from": "hi", "port": "next", "to": "ask" }),
        json!({ "from": "ask", "port": "next", "to": "wait" }),
        json!({ "from": "wait", "port": "reply", "to": "thanks" }),
    ];
    if with_error_port {
        edges.push(json!({ "from": "ask", "port": "error", "to": "note" }));
    }
    json!({
        "schema": 1, "id": "quiz", "name": "quiz",
        "nodes": [
            { "id": "hi", "type": "inbound_message", "config": { "match": { "type": "keyword", "keywords": ["hi"] } } },
            { "id": "ask", "type": "send_text", "config": { "text": "Which size?" } },
            { "id": "wait", "type": "wait_for_reply", "config": { "variable": "size", "timeout": "1h" } },
            { "id": "thanks", "type": "send_text", "config": { "text": "Thanks!" } },
            { "id": "note", "type": "set", "config": { "assignments": [{ "variable": "unreachable", "value": { "value": true } }] } },
        ],
        "edges": edges,
    })
    .to_string()
}

async fn status(h: &Harness, status: DeliveryStatus, error: Option<(&str, &str)>) -> Appended {
    let state = h.state(ANA).await;
    let run = state.runs.last().expect("a run");
    let message = MessageRef {
        key: format!("{}/{}/2/0", contact_id_for(ANA), run.id),
        run_id: run.id.clone(),
        node_id: "ask".into(),
    };
    let report = StatusReport {
        message,
        status,
        wamid: Some("wamid.HBgM".into()),
        error: error.map(|(code, message)| DeliveryError {
            code: code.into(),
            message: message.into(),
        }),
        pricing: None,
        timestamp: h.clock.now() - SECOND,
    };
    let mut event = Event::new(
        contact_id_for(ANA),
        ANA,
        h.clock.now(),
        EventKind::MessageStatus {
            report: report.clone(),
        },
    );
    event.dedupe_key = Some(report.dedupe_key());
    let appended = h.send(event).await;
    h.settle().await;
    appended
}

fn delivery(vars: &serde_json::Map<String, Value>) -> Value {
    vars.get("delivery")
        .and_then(|delivery| delivery.get("ask"))
        .cloned()
        .unwrap_or(Value::Null)
}

async fn a_message_the_channel_refuses_leaves_through_the_nodes_error_port(h: Harness) {
    h.publish(&question(true));
    h.channel.reject_next(
        "131047",
        "Re-engagement message: more than 24 hours have passed",
    );
    h.text(ANA, "hi").await;
    h.settle().await;
    let run = h.run(ANA, "quiz").await;
    assert_eq!(run.status, RunStatus::Done, "{:?}", run.reason);
    assert_eq!(run.vars["error"]["code"], "131047");
    assert_eq!(run.vars["unreachable"], true);
    assert_eq!(delivery(&run.vars)["status"], "failed");
    assert!(h.received(ANA).is_empty(), "nothing was delivered");
    h.finish().await;
}

async fn without_an_error_port_a_refused_message_fails_the_run_with_the_reason(h: Harness) {
    h.publish(&question(false));
    h.channel.reject_next("131026", "Message undeliverable");
    h.text(ANA, "hi").await;
    h.settle().await;
    let run = h.run(ANA, "quiz").await;
    assert_eq!(run.status, RunStatus::Failed);
    assert_eq!(run.reason.as_deref(), Some("131026: Message undeliverable"));
    h.finish().await;
}

async fn statuses_in_any_order_and_repeated_leave_the_furthest_one(h: Harness) {
    h.publish(&question(true));
    h.text(ANA, "hi").await;
    h.settle().await;
    assert_eq!(h.received(ANA), ["Which size?"]);
    assert_eq!(
        status(&h, DeliveryStatus::Read, None).await,
        Appended::Accepted
    );
    assert_eq!(
        status(&h, DeliveryStatus::Read, None).await,
        Appended::Duplicate,
        "a status reported twice is applied once"
    );
    status(&h, DeliveryStatus::Delivered, None).await;
    status(&h, DeliveryStatus::Sent, None).await;
    let run = h.run(ANA, "quiz").await;
    assert_eq!(
        run.status,
        RunStatus::WaitingReply,
        "statuses are not answers"
    );
    let ask = delivery(&run.vars);
    assert_eq!(ask["status"], "read");
    assert_eq!(ask["wamid"], "wamid.HBgM");
    h.finish().await;
}

async fn a_failure_reported_later_interrupts_the_wait_for_an_answer(h: Harness) {
    h.publish(&question(true));
    h.text(ANA, "hi").await;
    h.settle().await;
    status(&h, DeliveryStatus::Sent, None).await;
    status(
        &h,
        DeliveryStatus::Failed,
        Some(("131026", "Message undeliverable")),
    )
    .await;
    let run = h.run(ANA, "quiz").await;
    assert_eq!(run.status, RunStatus::Done);
    assert_eq!(run.vars["unreachable"], true);
    assert_eq!(run.vars["error"]["message"], "Message undeliverable");
    // The wait's timeout was cleared with it: nothing fires an hour later.
    h.advance(hours(2)).await;
    assert_eq!(h.received(ANA), ["Which size?"]);
    h.finish().await;
}

/// "hi" → a last message, with an `error` edge to a tag: the run has ended by the time
/// WhatsApp refuses it, and still goes through `error`.
async fn a_run_that_ended_on_the_refused_message_still_takes_its_error_port(h: Harness) {
    h.publish(
        &json!({
            "schema": 1, "id": "bye", "name": "bye",
            "nodes": [
                { "id": "hi", "type": "inbound_message", "config": { "match": { "type": "keyword", "keywords": ["hi"] } } },
                { "id": "ask", "type": "send_text", "config": { "text": "Bye!" } },
                { "id": "note", "type": "tag", "config": { "add": ["unreachable"] } },
            ],
            "edges": [
                { "from": "hi", "port": "next", "to": "ask" },
                { "from": "ask", "port": "error", "to": "note" },
            ],
        })
        .to_string(),
    );
    h.channel.reject_next("131026", "Message undeliverable");
    h.text(ANA, "hi").await;
    h.settle().await;
    let state = h.state(ANA).await;
    assert!(state.contact.tags.contains("unreachable"), "{state:?}");
    assert_eq!(state.runs[0].status, RunStatus::Done);
    h.finish().await;
}

/// "agent" → a person, for up to two days.
fn help_desk() -> String {
    json!({
        "schema": 1, "id": "help", "name": "help",
        "nodes": [
            { "id": "start", "type": "inbound_message", "config": { "match": { "type": "keyword", "keywords": ["agent"] } } },
            { "id": "person", "type": "handoff", "config": { "team": "support", "timeout": "48h" } },
            { "id": "after", "type": "send_text", "config": { "text": "Back with the bot" } },
        ],
        "edges": [
            { "from": "start", "port": "next", "to": "person" },
            { "from": "person", "port": "resolved", "to": "after" },
        ],
    })
    .to_string()
}

async fn from_operator(h: &Harness, n: u32, body: OutboundBody) -> String {
    let key = format!("{}/{OPERATOR_RUN}/{n}/0", contact_id_for(ANA));
    let mut event = Event::new(
        contact_id_for(ANA),
        ANA,
        h.clock.now(),
        EventKind::OperatorMessage {
            key: key.clone(),
            author: "rita@shop.example".into(),
            body,
        },
    );
    event.dedupe_key = Some(key.clone());
    h.send(event).await;
    h.settle().await;
    key
}

fn template(category: TemplateCategory) -> OutboundBody {
    OutboundBody::Template {
        name: "order_help".into(),
        language: "en".into(),
        category,
        header: Vec::new(),
        body: vec!["A-17".into()],
        buttons: Vec::new(),
    }
}

/// What the notices said of the operator's messages: `(kind, key, reason)`.
fn operator_notices(h: &Harness) -> Vec<(NoticeKind, String, String)> {
    h.observer
        .notices
        .lock()
        .expect("not poisoned")
        .iter()
        .filter(|notice| {
            matches!(
                notice.kind,
                NoticeKind::MessageQueued | NoticeKind::MessageRefused
            ) && notice.data["message"]["author"] == "rita@shop.example"
        })
        .map(|notice| {
            let message = &notice.data["message"];
            (
                notice.kind,
                message["key"].as_str().unwrap_or_default().to_owned(),
                message["error"]["code"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect()
}

/// A person answers a handed-over contact: free text inside the 24-hour window, a template
/// after it (Marketing only with an opt-in); what the rules forbid is not sent and is told
/// with its reason; a failure of an operator's message leaves the journey where it is.
async fn an_operators_message_follows_whatsapps_rules_and_never_moves_the_run(h: Harness) {
    use NoticeKind::{MessageQueued, MessageRefused};
    h.publish(&help_desk());
    h.text(ANA, "agent").await;
    h.settle().await;
    assert_eq!(h.run(ANA, "help").await.status, RunStatus::Handoff);

    let hello = OutboundBody::Text {
        text: "Hi Ana, Rita here".into(),
        preview_url: false,
    };
    let first = from_operator(&h, 1, hello.clone()).await;
    assert_eq!(h.received(ANA), ["Hi Ana, Rita here"]);
    // WhatsApp cannot deliver it: the journey still waits for the person.
    let report = StatusReport {
        message: MessageRef {
            key: first.clone(),
            run_id: OPERATOR_RUN.into(),
            node_id: "inbox".into(),
        },
        status: DeliveryStatus::Failed,
        wamid: Some("wamid.op1".into()),
        error: Some(DeliveryError {
            code: "131026".into(),
            message: "Message undeliverable".into(),
        }),
        pricing: None,
        timestamp: h.clock.now(),
    };
    let mut event = Event::new(
        contact_id_for(ANA),
        ANA,
        h.clock.now(),
        EventKind::MessageStatus {
            report: report.clone(),
        },
    );
    event.dedupe_key = Some(report.dedupe_key());
    h.send(event).await;
    h.settle().await;
    assert_eq!(h.run(ANA, "help").await.status, RunStatus::Handoff);

    // A day and more later the window is closed: text is refused, a Utility template goes,
    // a Marketing one needs her opt-in.
    h.advance(hours(25)).await;
    let late = from_operator(&h, 2, hello).await;
    let marketing = from_operator(&h, 3, template(TemplateCategory::Marketing)).await;
    let utility = from_operator(&h, 4, template(TemplateCategory::Utility)).await;
    assert_eq!(
        operator_notices(&h),
        [
            (MessageQueued, first, String::new()),
            (MessageRefused, late, "window_closed".into()),
            (MessageRefused, marketing, "no_opt_in".into()),
            (MessageQueued, utility, String::new()),
        ]
    );
    assert_eq!(
        h.received(ANA),
        ["Hi Ana, Rita here", "template order_help(A-17)"]
    );
    assert_eq!(h.run(ANA, "help").await.status, RunStatus::Handoff);
    h.finish().await;
}

on_every_store!(
    an_operators_message_follows_whatsapps_rules_and_never_moves_the_run,
    a_run_that_ended_on_the_refused_message_still_takes_its_error_port,
    a_message_the_channel_refuses_leaves_through_the_nodes_error_port,
    without_an_error_port_a_refused_message_fails_the_run_with_the_reason,
    statuses_in_any_order_and_repeated_leave_the_furthest_one,
    a_failure_reported_later_interrupts_the_wait_for_an_answer,
);
