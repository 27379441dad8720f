//! How journeys behave over time and against each other: quiet hours, bursts of fragments,
//! re-entry, versions, handoffs, goto, splits, the AI agent, the funnel counters.

#[macro_use]
mod common;

use std::time::Duration;

use common::{Harness, START, hours};
use serde_json::{Value, json};
use spool_nodes::identity::{Bsuid, ContactIdentity, Phone};
use spool_nodes::{Content, HOUR, RunStatus};
use spool_runtime::EngineConfig;
use spool_runtime::clock::Clock;
use spool_runtime::http::{HttpServices, LlmConfig};
use spool_runtime::state::{ContactChange, contact_id_for};
use spool_runtime::store::{Appended, Store};
use spool_runtime::{CountKey, Event, EventKind, ScopedId};
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ANA: &str = "5511987650001";

fn flow(id: &str, settings: Value, nodes: Value, edges: &[(&str, &str, &str)]) -> String {
    let edges: Vec<Value> = edges
        .iter()
        .map(|(from, port, to)| json!({ "from": from, "port": port, "to": to }))
        .collect();
    json!({ "schema": 1, "id": id, "name": id, "nodes": nodes, "edges": edges, "settings": settings }).to_string()
}

/// 22:00 UTC on the harness's first day (Lisbon is on UTC in November).
const TEN_PM: i64 = START + 12 * 3_600_000;

async fn business_messages_wait_for_the_end_of_quiet_hours_but_replies_do_not(h: Harness) {
    let quiet =
        json!({ "quiet_hours": { "start": "21:00", "end": "08:00", "timezone": "Europe/Lisbon" } });
    h.publish(&flow(
        "ship",
        quiet.clone(),
        json!([
            { "id": "hook", "type": "webhook", "config": { "hook": "ship", "contact": "payload.phone" } },
            { "id": "note", "type": "send_template", "config": { "name": "shipped", "language": "en", "category": "utility" } },
        ]),
        &[("hook", "next", "note")],
    ));
    h.publish(&flow(
        "chat",
        quiet,
        json!([
            { "id": "hi", "type": "inbound_message", "config": { "match": { "type": "keyword", "keywords": ["hi"] } } },
            { "id": "hello", "type": "send_text", "config": { "text": "Hello!" } },
        ]),
        &[("hi", "next", "hello")],
    ));
    h.clock.set(TEN_PM);
    h.webhook(ANA, "ship", json!({})).await;
    h.text(ANA, "hi").await;
    h.settle().await;
    assert_eq!(
        h.received(ANA),
        ["Hello!"],
        "an answer to the contact goes out at once"
    );
    let run = h.run(ANA, "ship").await;
    assert_eq!(run.status, RunStatus::WaitingTimer);

    h.advance(hours(9)).await; // 07:00
    assert_eq!(h.received(ANA).len(), 1);
    h.advance(hours(1)).await; // 08:00
    assert_eq!(h.received(ANA), ["Hello!", "template shipped()"]);
    assert_eq!(h.run(ANA, "ship").await.status, RunStatus::Done);
    h.finish().await;
}

async fn a_delay_that_would_end_at_night_ends_in_the_morning(h: Harness) {
    h.publish(&flow(
        "later",
        json!({ "quiet_hours": { "start": "21:00", "end": "08:00", "timezone": "UTC" } }),
        json!([
            { "id": "hook", "type": "webhook", "config": { "hook": "later", "contact": "payload.phone" } },
            { "id": "wait", "type": "delay", "config": { "for": "12h" } },
            { "id": "remind", "type": "send_template", "config": { "name": "reminder", "language": "en", "category": "utility" } },
        ]),
        &[("hook", "next", "wait"), ("wait", "next", "remind")],
    ));
    h.webhook(ANA, "later", json!({})).await; // 10:00 + 12 h = 22:00: quiet
    h.settle().await;
    let timers = h.store.timers(&contact_id_for(ANA)).await.expect("timers");
    assert_eq!(timers.len(), 1);
    assert_eq!(
        timers[0].1,
        START + 22 * 3_600_000,
        "moved to 08:00 the next day"
    );
    h.finish().await;
}

async fn fragments_sent_in_quick_succession_are_one_answer(h: Harness) {
    h.publish(&flow(
        "ask",
        json!({ "burst_merge": "5s" }),
        json!([
            { "id": "start", "type": "inbound_message", "config": { "match": { "type": "keyword", "keywords": ["order"] } } },
            { "id": "ask", "type": "send_text", "config": { "text": "What would you like?" } },
            { "id": "wait", "type": "wait_for_reply", "config": { "variable": "wish" } },
            { "id": "echo", "type": "send_text", "config": { "text": "Noted: {{ vars.wish }}" } },
        ]),
        &[("start", "next", "ask"), ("ask", "next", "wait"), ("wait", "reply", "echo")],
    ));
    h.text(ANA, "order").await;
    h.settle().await;
    for fragment in ["two pizzas", "one large", "no onions"] {
        h.text(ANA, fragment).await;
        h.clock.advance(Duration::from_millis(700));
        h.settle().await;
    }
    assert_eq!(
        h.received(ANA),
        ["What would you like?"],
        "still collecting"
    );
    h.advance(Duration::from_secs(5)).await;
    assert_eq!(
        h.received(ANA),
        [
            "What would you like?",
            "Noted: two pizzas\none large\nno onions"
        ]
    );
    h.finish().await;
}

fn reentry_flow(rule: &str) -> String {
    flow(
        "promo",
        json!({ "reentry": rule }),
        json!([
            { "id": "hook", "type": "webhook", "config": { "hook": "promo", "contact": "payload.phone" } },
            { "id": "wait", "type": "delay", "config": { "for": "1h" } },
            { "id": "send", "type": "send_template", "config": { "name": "promo", "language": "en", "category": "utility", "body": ["{{ payload.n }}"] } },
        ]),
        &[("hook", "next", "wait"), ("wait", "next", "send")],
    )
}

async fn reentry(rule: &str) -> Vec<String> {
    let h = Harness::new().await;
    h.publish(&reentry_flow(rule));
    h.webhook(ANA, "promo", json!({ "n": 1 })).await;
    h.settle().await;
    h.advance(Duration::from_secs(600)).await;
    h.webhook(ANA, "promo", json!({ "n": 2 })).await;
    h.settle().await;
    // One hour for the running journey; a queued one starts when it ends and needs another.
    h.advance(hours(1)).await;
    h.advance(hours(1)).await;
    let received = h.received(ANA);
    h.finish().await;
    received
}

#[tokio::test]
async fn reentry_ignore_restart_and_queue() {
    assert_eq!(reentry("ignore").await, ["template promo(1)"]);
    assert_eq!(reentry("restart").await, ["template promo(2)"]);
    assert_eq!(
        reentry("queue").await,
        ["template promo(1)", "template promo(2)"]
    );
}

async fn a_run_stays_on_the_version_it_started_on(h: Harness) {
    let version = |text: &str| {
        flow(
            "ver",
            json!({}),
            json!([
                { "id": "start", "type": "inbound_message" },
                { "id": "wait", "type": "wait_for_reply", "config": { "variable": "x" } },
                { "id": "say", "type": "send_text", "config": { "text": text } },
            ]),
            &[("start", "next", "wait"), ("wait", "reply", "say")],
        )
    };
    h.publish(&version("old wording"));
    h.text(ANA, "hi").await;
    h.settle().await;
    h.publish(&version("new wording"));
    h.text(ANA, "answer").await;
    h.settle().await;
    assert_eq!(h.received(ANA), ["old wording"]);
    h.text(ANA, "hi again").await;
    h.settle().await;
    h.text(ANA, "answer").await;
    h.settle().await;
    assert_eq!(h.received(ANA), ["old wording", "new wording"]);
    h.finish().await;
}

async fn a_handoff_freezes_the_contacts_other_journeys_until_released(h: Harness) {
    h.publish(&reentry_flow("ignore"));
    h.publish(&flow(
        "help",
        json!({}),
        json!([
            { "id": "start", "type": "inbound_message", "config": { "match": { "type": "keyword", "keywords": ["agent"] } } },
            { "id": "human", "type": "handoff", "config": { "team": "support" } },
        ]),
        &[("start", "next", "human")],
    ));
    h.webhook(ANA, "promo", json!({ "n": 1 })).await;
    h.text(ANA, "agent").await;
    h.settle().await;
    h.advance(hours(2)).await;
    assert!(
        h.received(ANA).is_empty(),
        "the promo waits while a person handles the contact"
    );
    let handoff = h.run(ANA, "help").await;
    assert_eq!(handoff.status, RunStatus::Handoff);
    h.send(Event::new(
        contact_id_for(ANA),
        ANA,
        0,
        EventKind::HandoffClosed { run_id: handoff.id },
    ))
    .await;
    h.settle().await;
    assert_eq!(h.received(ANA), ["template promo(1)"]);
    h.finish().await;
}

async fn goto_flow_hands_the_contact_to_another_journey(h: Harness) {
    h.publish(&flow(
        "menu",
        json!({}),
        json!([
            { "id": "start", "type": "inbound_message" },
            { "id": "go", "type": "goto_flow", "config": { "flow": "faq" } },
        ]),
        &[("start", "next", "go")],
    ));
    h.publish(&flow(
        "faq",
        json!({}),
        json!([
            { "id": "entry", "type": "event", "config": { "event": "tag_added", "tag": "never" } },
            { "id": "answer", "type": "send_text", "config": { "text": "Opening hours: 9 to 5" } },
        ]),
        &[("entry", "next", "answer")],
    ));
    h.text(ANA, "hours?").await;
    h.settle().await;
    assert_eq!(h.received(ANA), ["Opening hours: 9 to 5"]);
    assert_eq!(h.run(ANA, "menu").await.status, RunStatus::Done);
    assert_eq!(h.run(ANA, "faq").await.status, RunStatus::Done);
    h.finish().await;
}

async fn a_split_sends_each_contact_the_same_way_every_time(h: Harness) {
    h.publish(&flow(
        "ab",
        json!({}),
        json!([
            { "id": "start", "type": "inbound_message" },
            { "id": "split", "type": "split", "config": { "branches": [{ "port": "a", "weight": 50 }, { "port": "b", "weight": 50 }] } },
            { "id": "say_a", "type": "send_text", "config": { "text": "A" } },
            { "id": "say_b", "type": "send_text", "config": { "text": "B" } },
        ]),
        &[("start", "next", "split"), ("split", "a", "say_a"), ("split", "b", "say_b")],
    ));
    let phones: Vec<String> = (0..60).map(|n| format!("3519100000{n:02}")).collect();
    for _ in 0..2 {
        for phone in &phones {
            h.text(phone, "hi").await;
        }
        h.settle().await;
    }
    let mut counts = [0, 0];
    for phone in &phones {
        let received = h.received(phone);
        assert_eq!(received.len(), 2);
        assert_eq!(received[0], received[1], "{phone} changed branch");
        counts[usize::from(received[0] == "B")] += 1;
    }
    assert!(
        counts[0] >= 15 && counts[1] >= 15,
        "a 50/50 split gave {counts:?}"
    );
    h.finish().await;
}

async fn a_tag_added_from_outside_starts_the_journey_listening_for_it(h: Harness) {
    h.publish(&flow(
        "vip",
        json!({}),
        json!([
            { "id": "entry", "type": "event", "config": { "event": "tag_added", "tag": "vip" } },
            { "id": "welcome", "type": "send_template", "config": { "name": "vip_welcome", "language": "en", "category": "utility" } },
        ]),
        &[("entry", "next", "welcome")],
    ));
    h.change(
        ANA,
        ContactChange {
            add_tags: vec!["regular".into()],
            ..ContactChange::default()
        },
    )
    .await;
    h.settle().await;
    assert!(h.received(ANA).is_empty());
    h.change(
        ANA,
        ContactChange {
            add_tags: vec!["vip".into()],
            ..ContactChange::default()
        },
    )
    .await;
    h.settle().await;
    assert_eq!(h.received(ANA), ["template vip_welcome()"]);
    h.finish().await;
}

async fn a_contact_only_ever_enters_journeys_of_its_own_workspace(h: Harness) {
    for (workspace, greeting) in [("acme", "Welcome to Acme"), ("globex", "Welcome to Globex")] {
        h.publish(&flow(
            ScopedId::new(workspace, "welcome").as_str(),
            json!({}),
            json!([
                { "id": "hi", "type": "inbound_message", "config": { "match": { "type": "keyword", "keywords": ["hi"] } } },
                { "id": "greet", "type": "send_text", "config": { "text": greeting } },
                { "id": "again", "type": "goto_flow", "config": { "flow": "second" } },
            ]),
            &[("hi", "next", "greet"), ("greet", "next", "again")],
        ));
        h.publish(&flow(
            ScopedId::new(workspace, "second").as_str(),
            json!({}),
            json!([
                { "id": "start", "type": "event", "config": { "event": "opted_in" } },
                { "id": "note", "type": "send_text", "config": { "text": format!("{greeting}, again") } },
            ]),
            &[("start", "next", "note")],
        ));
    }
    let contact = ScopedId::new("globex", "wa:+15550001111");
    let mut message = h.message(
        "+15550001111",
        Content::Text {
            body: "hi".to_owned(),
        },
    );
    message.from = "+15550001111".to_owned();
    let mut event = Event::inbound(message, h.clock.now());
    event.contact_id = contact.to_string();
    h.send(event).await;
    h.settle().await;
    let received: Vec<String> = h
        .channel
        .sent_to(contact.as_str())
        .iter()
        .map(|message| message.body.preview())
        .collect();
    // Its own workspace's journey, and goto_flow reaches the same workspace's "second".
    assert_eq!(received, ["Welcome to Globex", "Welcome to Globex, again"]);
    h.finish().await;
}

#[tokio::test]
async fn the_ai_agent_talks_calls_tools_and_ends_the_conversation() {
    let llm = MockServer::start().await;
    let tools = MockServer::start().await;
    // First turn: the model looks the order up; second: it answers; third: it ends.
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(body_string_contains("thanks, bye"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "choices": [{ "message": { "role": "assistant", "content": null,
            "tool_calls": [{ "id": "c3", "type": "function", "function": { "name": "end_conversation", "arguments": "{\"summary\":\"order A-1 status given\"}" } }] } }] })))
        .with_priority(1)
        .mount(&llm)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(body_string_contains("ships tomorrow"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "choices": [{ "message": { "role": "assistant",
            "content": "Your order A-1 ships tomorrow." } }] })),
        )
        .with_priority(2)
        .mount(&llm)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "choices": [{ "message": { "role": "assistant", "content": null,
            "tool_calls": [{ "id": "c1", "type": "function", "function": { "name": "order_status", "arguments": "{\"order\":\"A-1\"}" } }] } }] })))
        .with_priority(3)
        .mount(&llm)
        .await;
    Mock::given(method("POST"))
        .and(path("/orders/status"))
        .and(body_string_contains("A-1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "order": "A-1", "status": "ships tomorrow" })),
        )
        .mount(&tools)
        .await;

    let services = HttpServices::new(Some(LlmConfig {
        base_url: format!("{}/v1", llm.uri()),
        api_key: Some("test-key".into()),
        timeout: Duration::from_secs(5),
    }))
    .expect("http client");
    let h = Harness::with(services, EngineConfig::default(), 4).await;
    h.publish(&flow(
        "assistant",
        json!({}),
        json!([
            { "id": "start", "type": "inbound_message" },
            { "id": "agent", "type": "ai_agent", "config": {
                "model": "small-model", "instructions": "You help customers of Loja Exemplo with their orders.",
                "knowledge": ["Orders ship within 2 days."], "variable": "summary",
                "tools": [{ "name": "order_status", "description": "Look up an order", "url": format!("{}/orders/status", tools.uri()),
                            "parameters": { "type": "object", "properties": { "order": { "type": "string" } } } }] } },
            { "id": "bye", "type": "send_text", "config": { "text": "Glad to help!" } },
        ]),
        &[("start", "next", "agent"), ("agent", "done", "bye")],
    ));
    h.text(ANA, "where is my order A-1?").await;
    h.settle().await;
    assert_eq!(h.received(ANA), ["Your order A-1 ships tomorrow."]);
    h.text(ANA, "thanks, bye").await;
    h.settle().await;
    assert_eq!(
        h.received(ANA),
        ["Your order A-1 ships tomorrow.", "Glad to help!"]
    );
    let run = h.run(ANA, "assistant").await;
    assert_eq!(run.status, RunStatus::Done);
    assert_eq!(run.vars["summary"], json!("order A-1 status given"));
    let calls = llm.received_requests().await.unwrap_or_default();
    assert_eq!(calls.len(), 3);
    assert_eq!(
        calls[0]
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok()),
        Some("Bearer test-key")
    );
    h.finish().await;
}

async fn the_funnel_counts_entries_and_ports_per_node(h: Harness) {
    let source = flow(
        "funnel",
        json!({}),
        json!([
            { "id": "start", "type": "inbound_message" },
            { "id": "big", "type": "condition", "config": { "expression": "parse_int(msg.text) > 50" } },
            { "id": "yes", "type": "send_text", "config": { "text": "big" } },
            { "id": "no", "type": "send_text", "config": { "text": "small" } },
        ]),
        &[
            ("start", "next", "big"),
            ("big", "true", "yes"),
            ("big", "false", "no"),
        ],
    );
    h.publish(&source);
    for (n, amount) in ["10", "80", "90", "abc"].iter().enumerate() {
        h.text(&format!("35191000010{n}"), amount).await;
    }
    h.settle().await;
    let version = spool_flows::compile_source(&source)
        .expect("compiles")
        .hash()
        .to_owned();
    let counts = h
        .store
        .counters(&version, START, START + HOUR)
        .await
        .expect("counters");
    let count = |node: &str, key: &str| counts.get(&CountKey::new(node, key)).copied().unwrap_or(0);
    assert_eq!(count("start", "entered"), 4);
    assert_eq!(count("big", "entered"), 4);
    assert_eq!(count("big", "port:true"), 2);
    assert_eq!(count("big", "port:false"), 1);
    assert_eq!(count("big", "failed"), 1, "`parse_int(\"abc\")` fails");
    assert_eq!(count("yes", "entered"), 2);

    // Counts are kept by the hour: the hour before saw nothing, and a message two hours
    // later counts in its own hour and in any range that includes both.
    let before = h.store.counters(&version, START - HOUR, START).await;
    assert!(before.expect("counters").is_empty());
    h.clock.advance(hours(2));
    h.text("351910000109", "70").await;
    h.settle().await;
    let later = h
        .store
        .counters(&version, START + 2 * HOUR, START + 3 * HOUR)
        .await
        .expect("counters");
    assert_eq!(later.get(&CountKey::new("big", "port:true")), Some(&1));
    assert_eq!(later.get(&CountKey::new("start", "entered")), Some(&1));
    let both = h
        .store
        .counters(&version, START, START + 3 * HOUR)
        .await
        .expect("counters");
    assert_eq!(both.get(&CountKey::new("start", "entered")), Some(&5));
    assert_eq!(both.get(&CountKey::new("big", "port:true")), Some(&3));
    h.finish().await;
}

on_every_store!(
    business_messages_wait_for_the_end_of_quiet_hours_but_replies_do_not,
    a_delay_that_would_end_at_night_ends_in_the_morning,
    fragments_sent_in_quick_succession_are_one_answer,
    a_run_stays_on_the_version_it_started_on,
    a_handoff_freezes_the_contacts_other_journeys_until_released,
    goto_flow_hands_the_contact_to_another_journey,
    a_split_sends_each_contact_the_same_way_every_time,
    a_tag_added_from_outside_starts_the_journey_listening_for_it,
    the_funnel_counts_entries_and_ports_per_node,
    a_contact_only_ever_enters_journeys_of_its_own_workspace,
    a_bsuid_only_contact_gaining_a_phone_number_stays_one_contact,
    the_outside_world_hears_of_runs_handoffs_and_consent_even_after_an_outage,
    an_observer_that_panics_holds_the_batch_back_until_it_is_fixed,
);

/// An observer with a bug (it panics) does not stop the partition's worker: the batch is
/// refused, said loudly, and applied once the observer works.
async fn an_observer_that_panics_holds_the_batch_back_until_it_is_fixed(h: Harness) {
    use std::sync::atomic::Ordering;
    h.publish(&flow(
        "hello",
        json!({}),
        json!([
            { "id": "start", "type": "inbound_message", "config": {} },
            { "id": "hi", "type": "send_text", "config": { "text": "Hello!" } },
        ]),
        &[("start", "next", "hi")],
    ));
    h.observer.panicking.store(true, Ordering::SeqCst);
    h.text(ANA, "hi").await;
    let refused = h.runtime.run_until_idle().await;
    assert!(
        refused
            .as_ref()
            .is_err_and(|err| err.to_string().contains("an observer with a bug")),
        "{refused:?}"
    );
    assert!(h.received(ANA).is_empty(), "nothing was committed");
    h.observer.panicking.store(false, Ordering::SeqCst);
    h.settle().await;
    assert_eq!(h.received(ANA), ["Hello!"]);
    h.finish().await;
}

/// Events out and the conversation history see what happens to the contact's messages, runs
/// and consent, in order; while they cannot be kept (their database is down) the contact's
/// events wait, and afterwards nothing is missing.
async fn the_outside_world_hears_of_runs_handoffs_and_consent_even_after_an_outage(h: Harness) {
    use spool_runtime::notice::NoticeKind::*;
    use std::sync::atomic::Ordering;
    h.publish(&flow(
        "help",
        json!({}),
        json!([
            { "id": "start", "type": "inbound_message", "config": { "match": { "type": "keyword", "keywords": ["agent"] } } },
            { "id": "human", "type": "handoff", "config": { "team": "support" } },
            { "id": "bye", "type": "send_text", "config": { "text": "Glad we could help" } },
        ]),
        &[("start", "next", "human"), ("human", "resolved", "bye")],
    ));
    h.observer.refusing.store(true, Ordering::SeqCst);
    h.text(ANA, "agent").await;
    assert!(
        h.runtime.run_until_idle().await.is_err(),
        "the batch is not committed while its notices cannot be kept"
    );
    assert!(
        h.store
            .contact(&contact_id_for(ANA))
            .await
            .expect("readable")
            .is_none()
    );
    h.observer.refusing.store(false, Ordering::SeqCst);
    h.settle().await;
    // Each batch that changes the contact (or moves a run on) ends with the profile as it
    // is now, for the contact directory.
    assert_eq!(
        h.observer.told(),
        [
            MessageReceived,
            RunStarted,
            HandoffRequested,
            RunWaiting,
            ContactChanged
        ]
    );
    let notices = h.observer.notices.lock().expect("not poisoned").clone();
    let profile = &notices[4].data;
    assert_eq!(profile["profile"]["phone"], ANA);
    assert_eq!(
        profile["reached"],
        json!([{ "flow_id": "help", "node_id": "start" }, { "flow_id": "help", "node_id": "human" }])
    );

    let handoff = h.run(ANA, "help").await;
    h.send(Event::new(
        contact_id_for(ANA),
        ANA,
        0,
        EventKind::HandoffClosed {
            run_id: handoff.id.clone(),
        },
    ))
    .await;
    h.settle().await;
    h.opt_in(ANA).await;
    h.settle().await;
    h.text(ANA, "stop").await;
    h.settle().await;
    let told: Vec<_> = h
        .observer
        .told()
        .into_iter()
        .filter(|kind| *kind != ContactChanged)
        .collect();
    assert_eq!(
        told,
        [
            MessageReceived,
            RunStarted,
            HandoffRequested,
            RunWaiting,
            HandoffClosed,
            RunFinished,
            MessageQueued,
            OptedIn,
            MessageReceived,
            OptedOut
        ]
    );
    let notices: Vec<_> = h
        .observer
        .notices
        .lock()
        .expect("not poisoned")
        .iter()
        .filter(|notice| notice.kind != ContactChanged)
        .cloned()
        .collect();
    // The conversation history hears both sides, words included.
    assert_eq!(notices[0].data["message"]["text"], "agent");
    assert_eq!(notices[8].data["message"]["text"], "stop");
    // The consent ledger learns where each change came from.
    assert_eq!(notices[7].data["consent"]["source"], "api");
    assert_eq!(notices[9].data["consent"]["source"], "keyword");
    assert_eq!(notices[9].data["consent"]["text"], "stop");
    let queued = &notices[6].data["message"];
    assert_eq!(queued["body"]["text"], "Glad we could help");
    assert_eq!(queued["node_id"], "bye");
    let waiting = &notices[3];
    assert_eq!(waiting.data["run"]["node_id"], "human");
    let finished = &notices[5];
    assert_eq!(finished.data["run"]["id"], handoff.id.as_str());
    assert_eq!(finished.data["run"]["flow_id"], "help");
    assert_eq!(finished.data["run"]["status"], "done");
    assert_eq!(finished.data["contact"]["phone"], format!("+{ANA}"));
    let mut ids: Vec<_> = notices.iter().map(|notice| notice.id.clone()).collect();
    ids.dedup();
    assert_eq!(ids.len(), notices.len(), "each happening has its own id");
    h.finish().await;
}

/// WhatsApp names some users by BSUID alone; later messages may carry their number too, then
/// the number alone. All of them reach one contact: its state, its run, its id.
async fn a_bsuid_only_contact_gaining_a_phone_number_stays_one_contact(h: Harness) {
    h.publish(&flow(
        ScopedId::new("acme", "order").as_str(),
        json!({}),
        json!([
            { "id": "start", "type": "inbound_message", "config": { "match": { "type": "keyword", "keywords": ["order"] } } },
            { "id": "ask", "type": "send_text", "config": { "text": "What would you like?" } },
            { "id": "wait", "type": "wait_for_reply", "config": { "variable": "wish" } },
            { "id": "echo", "type": "send_text", "config": { "text": "Noted: {{ vars.wish }}. Anything else?" } },
            { "id": "wait_more", "type": "wait_for_reply", "config": { "variable": "more" } },
            { "id": "done", "type": "send_text", "config": { "text": "Also noted: {{ vars.more }}" } },
        ]),
        &[
            ("start", "next", "ask"),
            ("ask", "next", "wait"),
            ("wait", "reply", "echo"),
            ("echo", "next", "wait_more"),
            ("wait_more", "reply", "done"),
        ],
    ));
    let bsuid = Bsuid::parse("US.13491208655302741918").expect("a BSUID");
    let say = |text: &str, phone: &str, bsuid: Option<&Bsuid>| {
        let mut message = h.message(
            phone,
            Content::Text {
                body: text.to_owned(),
            },
        );
        message.from_user_id = bsuid.cloned();
        message
    };
    let harness = &h;
    let accept = |message| async move {
        let taken = harness.runtime.accept_inbound("acme", message).await;
        assert_eq!(taken.expect("accepted"), Appended::Accepted);
        harness.settle().await;
    };

    accept(say("order", "", Some(&bsuid))).await;
    accept(say("pizza", ANA, Some(&bsuid))).await;
    accept(say("lemonade", ANA, None)).await;

    let id = ScopedId::new("acme", "wa:US.13491208655302741918");
    let received: Vec<String> = h
        .channel
        .sent_to(id.as_str())
        .iter()
        .map(|message| message.body.preview())
        .collect();
    assert_eq!(
        received,
        [
            "What would you like?",
            "Noted: pizza. Anything else?",
            "Also noted: lemonade"
        ]
    );
    let state = h
        .store
        .contact(id.as_str())
        .await
        .expect("store readable")
        .expect("one contact");
    assert_eq!(state.contact.phone, ANA, "the number is learnt");
    assert_eq!(state.contact.bsuid, Some(bsuid.clone()));
    assert_eq!(state.runs.len(), 1, "one run went through all three");
    assert_eq!(state.runs[0].status, RunStatus::Done);
    let by_number = ScopedId::new("acme", &contact_id_for(ANA));
    assert_eq!(
        h.store.contact(by_number.as_str()).await.expect("readable"),
        None
    );
    let phone = Phone::parse(ANA).expect("a number");
    for identity in [
        ContactIdentity::from(phone.clone()),
        ContactIdentity::from(bsuid.clone()),
        ContactIdentity::Both { phone, bsuid },
    ] {
        assert_eq!(
            h.store
                .find_contact("acme", &identity)
                .await
                .expect("readable"),
            id.as_str()
        );
    }
    h.finish().await;
}
