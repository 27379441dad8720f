//! What the runtime promises whatever happens: duplicates and late messages, several
//! processes, crashes, stale timers, runaway flows, and WhatsApp's rules.

#[macro_use]
mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Harness, hours};
use serde_json::{Value, json};
use spool_nodes::{Content, RunStatus};
use spool_runtime::channel::RecordingChannel;
use spool_runtime::state::{ContactChange, contact_id_for};
use spool_runtime::store::Appended;
use spool_runtime::store::Store;
use spool_runtime::{Event, EventKind, RuntimeConfig};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const ANA: &str = "5511987650001";
const BEN: &str = "5511987650002";

fn flow(id: &str, nodes: Value, edges: &[(&str, &str, &str)]) -> String {
    let edges: Vec<Value> = edges
        .iter()
        .map(|(from, port, to)| json!({ "from": from, "port": port, "to": to }))
        .collect();
    json!({ "schema": 1, "id": id, "name": id, "nodes": nodes, "edges": edges }).to_string()
}

/// Echoes every message a contact sends, in a loop through a wait.
fn echo_flow() -> String {
    flow(
        "echo",
        json!([
            { "id": "start", "type": "inbound_message" },
            { "id": "first", "type": "send_text", "config": { "text": "echo {{ msg.text }}" } },
            { "id": "wait", "type": "wait_for_reply", "config": { "variable": "last" } },
            { "id": "again", "type": "send_text", "config": { "text": "echo {{ vars.last }}" } },
        ]),
        &[
            ("start", "next", "first"),
            ("first", "next", "wait"),
            ("wait", "reply", "again"),
            ("again", "next", "wait"),
        ],
    )
}

async fn a_redelivered_message_is_applied_once(h: Harness) {
    h.publish(&echo_flow());
    let message = h.message(
        ANA,
        Content::Text {
            body: "hello".into(),
        },
    );
    assert_eq!(
        h.send(Event::inbound(message.clone(), 0)).await,
        Appended::Accepted
    );
    assert_eq!(
        h.send(Event::inbound(message.clone(), 0)).await,
        Appended::Duplicate
    );
    h.settle().await;
    assert_eq!(
        h.send(Event::inbound(message, 0)).await,
        Appended::Duplicate
    );
    h.settle().await;
    assert_eq!(h.received(ANA), ["echo hello"]);
    h.finish().await;
}

async fn a_message_that_arrives_after_a_newer_one_answers_nothing(h: Harness) {
    h.publish(&echo_flow());
    h.text(ANA, "hi").await;
    h.settle().await;
    h.clock.advance(Duration::from_secs(10));
    let older = h.message(
        ANA,
        Content::Text {
            body: "first thought".into(),
        },
    );
    h.clock.advance(Duration::from_secs(5));
    let newer = h.message(
        ANA,
        Content::Text {
            body: "second thought".into(),
        },
    );
    h.send(Event::inbound(newer, 0)).await;
    h.send(Event::inbound(older, 0)).await;
    h.settle().await;
    assert_eq!(h.received(ANA), ["echo hi", "echo second thought"]);
    let run = h.run(ANA, "echo").await;
    assert_eq!(run.vars["last"], json!("second thought"));
    h.finish().await;
}

async fn two_processes_on_one_redis_apply_each_contacts_messages_once_and_in_order(h: Harness) {
    h.publish(&echo_flow());
    let other_channel = Arc::new(RecordingChannel::new());
    let processes = [h.runtime.clone(), h.second_process(other_channel.clone())];
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut workers: Vec<_> = processes
        .iter()
        .map(|process| process.spawn(stopped.clone()))
        .collect();

    let contacts: Vec<String> = (0..20).map(|n| format!("55119000000{n:02}")).collect();
    let messages_each = 10;
    for round in 0..messages_each {
        for (n, phone) in contacts.iter().enumerate() {
            // Half the messages go in through each process.
            let process = &processes[(n + round) % 2];
            let message = h.message(
                phone,
                Content::Text {
                    body: format!("m{round}"),
                },
            );
            h.clock.advance(Duration::from_millis(1));
            process
                .accept(Event::inbound(message, 0))
                .await
                .expect("accepted");
        }
    }
    let expected = contacts.len() * messages_each;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while h.channel.sent().len() + other_channel.sent().len() < expected
        && tokio::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = stop.send(true);
    for tasks in &mut workers {
        while tasks.join_next().await.is_some() {}
    }

    for phone in &contacts {
        let id = contact_id_for(phone);
        let mut echoes = h.channel.sent_to(&id);
        echoes.extend(other_channel.sent_to(&id));
        let mut keys: Vec<&str> = echoes.iter().map(|message| message.key.as_str()).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(
            keys.len(),
            messages_each,
            "{phone}: each message echoed exactly once"
        );
        // Each channel saw this contact's echoes in the order they were sent.
        for channel in [&h.channel, &other_channel] {
            let texts: Vec<String> = channel
                .sent_to(&id)
                .iter()
                .map(|message| message.body.preview())
                .collect();
            let rounds: Vec<usize> = texts
                .iter()
                .filter_map(|text| text.strip_prefix("echo m")?.parse().ok())
                .collect();
            assert!(
                rounds.windows(2).all(|pair| pair[0] < pair[1]),
                "{phone}: out of order {texts:?}"
            );
        }
        let run = h.run(phone, "echo").await;
        assert_eq!(run.vars["last"], json!(format!("m{}", messages_each - 1)));
    }
    h.finish().await;
}

async fn a_process_that_dies_during_a_call_makes_it_again_with_the_same_key_and_applies_it_once(
    mut h: Harness,
) {
    let crm = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "ok": true }))
                .set_delay(Duration::from_millis(300)),
        )
        .mount(&crm)
        .await;
    let config = RuntimeConfig {
        lease_ttl: Duration::from_millis(400),
        ..RuntimeConfig::default()
    };
    h.runtime = h.runtime_with(config);
    h.publish(&flow(
        "slow",
        json!([
            { "id": "start", "type": "inbound_message" },
            { "id": "before", "type": "send_text", "config": { "text": "one moment" } },
            { "id": "call", "type": "http_request", "config": { "method": "POST", "url": format!("{}/slow", crm.uri()) } },
            { "id": "after", "type": "send_text", "config": { "text": "done" } },
        ]),
        &[("start", "next", "before"), ("before", "next", "call"), ("call", "ok", "after")],
    ));
    h.text(ANA, "go").await;
    // The process dies while the HTTP call is in flight, after the run and its call were
    // committed: the future is dropped.
    let died = tokio::time::timeout(Duration::from_millis(100), h.runtime.run_until_idle()).await;
    assert!(died.is_err(), "the work was cut short");
    let run = h.run(ANA, "slow").await;
    assert_eq!(run.status, RunStatus::Calling, "the run waits for its call");
    assert_eq!(run.cursor, "call");
    // Another start, once the dead process's lease has run out: the call is made again
    // with the same idempotency key, and its answer moves the run on once.
    tokio::time::sleep(Duration::from_millis(500)).await;
    h.settle().await;
    h.settle().await;
    assert_eq!(h.received(ANA), ["one moment", "done"]);
    let requests = crm.received_requests().await.unwrap_or_default();
    assert_eq!(requests.len(), 2, "the call is at least once");
    let keys: Vec<String> = requests
        .iter()
        .map(|request| {
            request
                .headers
                .get("idempotency-key")
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert!(!keys[0].is_empty(), "the call carries an Idempotency-Key");
    assert_eq!(keys[0], keys[1], "the retried call carries the same key");
    assert_eq!(h.run(ANA, "slow").await.status, RunStatus::Done);
    h.finish().await;
}

async fn a_channel_failure_is_retried_and_the_message_sent_once(h: Harness) {
    h.publish(&echo_flow());
    h.channel.fail_next(2);
    h.text(ANA, "hello").await;
    h.settle().await;
    assert!(h.received(ANA).is_empty(), "the channel is down");
    h.settle().await;
    assert!(
        h.received(ANA).is_empty(),
        "the contact waits out the backoff"
    );
    h.advance(Duration::from_millis(500)).await;
    assert!(h.received(ANA).is_empty(), "the channel is still down");
    h.advance(Duration::from_millis(500)).await;
    assert!(
        h.received(ANA).is_empty(),
        "the wait doubles at each failure"
    );
    h.advance(Duration::from_millis(500)).await;
    assert_eq!(h.received(ANA), ["echo hello"]);
    h.settle().await;
    assert_eq!(h.received(ANA), ["echo hello"]);
    assert_eq!(h.channel.attempts(), 3);
    h.finish().await;
}

async fn a_timer_that_fires_after_the_contact_answered_is_ignored(h: Harness) {
    h.publish(&flow(
        "ask",
        json!([
            { "id": "start", "type": "inbound_message" },
            { "id": "ask", "type": "send_text", "config": { "text": "Which size?" } },
            { "id": "wait", "type": "wait_for_reply", "config": { "variable": "size", "timeout": "1h" } },
            { "id": "thanks", "type": "send_text", "config": { "text": "Size {{ vars.size }} it is" } },
            { "id": "nudge", "type": "send_text", "config": { "text": "Still there?" } },
        ]),
        &[("start", "next", "ask"), ("ask", "next", "wait"), ("wait", "reply", "thanks"), ("wait", "timeout", "nudge")],
    ));
    h.text(ANA, "hi").await;
    h.settle().await;
    // The answer is accepted just before the deadline, but the timer fires before it is applied.
    h.clock.advance(Duration::from_secs(3599));
    h.text(ANA, "M").await;
    h.clock.advance(Duration::from_secs(2));
    h.settle().await;
    assert_eq!(h.received(ANA), ["Which size?", "Size M it is"]);
    // A timer event for an old wait, delivered late, changes nothing either.
    let run = h.run(ANA, "ask").await;
    let stale = EventKind::Timer {
        run_id: run.id.clone(),
        token: 1,
    };
    h.send(Event::new(contact_id_for(ANA), ANA, 0, stale)).await;
    h.advance(hours(2)).await;
    assert_eq!(h.received(ANA).len(), 2);
    assert_eq!(h.run(ANA, "ask").await.status, RunStatus::Done);
    h.finish().await;
}

async fn a_run_that_takes_too_many_steps_fails_with_step_budget_exceeded(h: Harness) {
    let mut nodes = vec![json!({ "id": "start", "type": "inbound_message" })];
    let mut edges = vec![("start".to_owned(), "next".to_owned(), "s0".to_owned())];
    for n in 0..8 {
        nodes.push(json!({ "id": format!("s{n}"), "type": "set", "config": { "assignments": [{ "variable": "n", "value": { "value": n } }] } }));
        edges.push((format!("s{n}"), "next".into(), format!("s{}", n + 1)));
    }
    nodes.push(json!({ "id": "s8", "type": "send_text", "config": { "text": "made it" } }));
    let edges: Vec<(&str, &str, &str)> = edges
        .iter()
        .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
        .collect();
    let mut source: Value =
        serde_json::from_str(&flow("long", Value::Array(nodes), &edges)).expect("json");
    source["settings"] = json!({ "step_budget": 5 });
    h.publish(&source.to_string());
    h.text(ANA, "go").await;
    h.settle().await;
    assert!(h.received(ANA).is_empty());
    let run = h.run(ANA, "long").await;
    assert_eq!(run.status, RunStatus::Failed);
    assert!(
        run.reason
            .as_deref()
            .unwrap_or_default()
            .starts_with("step_budget_exceeded"),
        "{:?}",
        run.reason
    );
    h.finish().await;
}

async fn a_runaway_expression_fails_its_run_and_no_other(h: Harness) {
    let items = format!("[{}]", vec!["1"; 30].join(","));
    let heavy = format!(
        "{items}.map(|a| {items}.map(|b| {items}.map(|c| {items}.map(|d| a + b + c + d)))).len() > 0"
    );
    h.publish(&flow(
        "guard",
        json!([
            { "id": "start", "type": "inbound_message" },
            { "id": "check", "type": "condition", "config": { "expression": format!("msg.text != \"boom\" || {heavy}") } },
            { "id": "ok", "type": "send_text", "config": { "text": "all good" } },
        ]),
        &[("start", "next", "check"), ("check", "true", "ok"), ("check", "false", "ok")],
    ));
    h.text(ANA, "boom").await;
    h.text(BEN, "hi").await;
    h.settle().await;
    assert!(h.received(ANA).is_empty());
    let run = h.run(ANA, "guard").await;
    assert_eq!(run.status, RunStatus::Failed);
    assert!(
        run.reason
            .as_deref()
            .unwrap_or_default()
            .starts_with("expression_failed: the expression"),
        "{:?}",
        run.reason
    );
    assert_eq!(h.received(BEN), ["all good"]);
    h.finish().await;
}

/// webhook → send_text: only works when the contact wrote in the last 24 hours.
fn notify_flow(with_error_port: bool) -> String {
    let mut edges = vec![("hook", "next", "text")];
    if with_error_port {
        edges.push(("text", "error", "fallback"));
    }
    flow(
        "notify",
        json!([
            { "id": "hook", "type": "webhook", "config": { "hook": "notify", "contact": "payload.phone" } },
            { "id": "text", "type": "send_text", "config": { "text": "Your table is ready" } },
            { "id": "fallback", "type": "send_template", "config": { "name": "table_ready", "language": "en", "category": "utility" } },
        ]),
        &edges,
    )
}

async fn free_form_outside_the_window_fails_with_window_closed(h: Harness) {
    h.publish(&notify_flow(false));
    h.webhook(ANA, "notify", json!({})).await;
    h.settle().await;
    assert!(h.received(ANA).is_empty());
    let run = h.run(ANA, "notify").await;
    assert_eq!(run.status, RunStatus::Failed);
    assert!(
        run.reason
            .as_deref()
            .unwrap_or_default()
            .starts_with("window_closed"),
        "{:?}",
        run.reason
    );

    // Once the contact writes, the window is open for 24 hours.
    h.text(ANA, "hello?").await;
    h.settle().await;
    h.advance(hours(23)).await;
    h.webhook(ANA, "notify", json!({})).await;
    h.settle().await;
    assert_eq!(h.received(ANA), ["Your table is ready"]);
    h.finish().await;
}

async fn window_closed_leaves_through_the_error_port_when_it_is_connected(h: Harness) {
    h.publish(&notify_flow(true));
    h.webhook(ANA, "notify", json!({})).await;
    h.settle().await;
    assert_eq!(h.received(ANA), ["template table_ready()"]);
    let run = h.run(ANA, "notify").await;
    assert_eq!(run.status, RunStatus::Done);
    assert_eq!(run.vars["error"]["code"], json!("window_closed"));
    h.finish().await;
}

fn promo_flow() -> String {
    flow(
        "promo",
        json!([
            { "id": "hook", "type": "webhook", "config": { "hook": "promo", "contact": "payload.phone" } },
            { "id": "promo", "type": "send_template", "config": { "name": "black_friday", "language": "en", "category": "marketing" } },
        ]),
        &[("hook", "next", "promo")],
    )
}

async fn marketing_templates_need_an_opt_in_and_respect_the_daily_cap(h: Harness) {
    h.publish(&promo_flow());
    h.webhook(ANA, "promo", json!({})).await;
    h.settle().await;
    assert!(h.received(ANA).is_empty());
    let run = h.run(ANA, "promo").await;
    assert!(
        run.reason
            .as_deref()
            .unwrap_or_default()
            .starts_with("no_opt_in"),
        "{:?}",
        run.reason
    );

    h.opt_in(ANA).await;
    h.webhook(ANA, "promo", json!({})).await;
    h.webhook(ANA, "promo", json!({})).await;
    h.settle().await;
    assert_eq!(
        h.received(ANA),
        ["template black_friday()"],
        "one Marketing message per 24 hours"
    );
    let run = h.run(ANA, "promo").await;
    assert!(
        run.reason
            .as_deref()
            .unwrap_or_default()
            .starts_with("marketing_cap_reached"),
        "{:?}",
        run.reason
    );

    h.advance(hours(25)).await;
    h.webhook(ANA, "promo", json!({})).await;
    h.settle().await;
    assert_eq!(h.received(ANA).len(), 2);
    h.finish().await;
}

async fn stop_opts_out_ends_every_journey_and_clears_its_timers(h: Harness) {
    h.publish_example("abandoned-cart");
    h.change(
        ANA,
        ContactChange {
            marketing_opt_in: Some(true),
            ..ContactChange::default()
        },
    )
    .await;
    let cart = json!({ "customer": { "phone": ANA }, "cart": { "id": "c1", "total": 10, "currency": "EUR", "purchased": false } });
    h.webhook(ANA, "abandoned-cart", cart).await;
    h.settle().await;
    assert_eq!(
        h.store
            .timers(&contact_id_for(ANA))
            .await
            .expect("timers")
            .len(),
        1
    );

    h.text(ANA, "STOP").await;
    h.settle().await;
    let state = h.state(ANA).await;
    assert!(!state.contact.opted_in());
    assert_eq!(state.runs[0].status, RunStatus::Cancelled);
    assert!(
        h.store
            .timers(&contact_id_for(ANA))
            .await
            .expect("timers")
            .is_empty()
    );
    h.advance(hours(2)).await;
    assert!(h.received(ANA).is_empty());
    h.finish().await;
}

/// Lease renewals fall in the middle of store calls all the time here (every 50 ms); the
/// workers must keep going, as a server does for days.
async fn workers_keep_their_partitions_while_renewing_leases_under_load(h: Harness) {
    h.publish(&echo_flow());
    let config = RuntimeConfig {
        lease_ttl: Duration::from_millis(150),
        ..RuntimeConfig::default()
    };
    let runtime = h.runtime_with(config);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut workers = runtime.spawn(stopped);
    let phones: Vec<String> = (0..20).map(|n| format!("5521900000{n:02}")).collect();
    let rounds = 30;
    for round in 0..rounds {
        for phone in &phones {
            let message = h.message(
                phone,
                Content::Text {
                    body: format!("m{round}"),
                },
            );
            h.clock.advance(Duration::from_millis(1));
            runtime
                .accept(Event::inbound(message, 0))
                .await
                .expect("accepted");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let expected = phones.len() * rounds;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while h.channel.sent().len() < expected && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = stop.send(true);
    while workers.join_next().await.is_some() {}
    assert_eq!(
        h.channel.sent().len(),
        expected,
        "every message echoed while leases were renewed"
    );
    h.finish().await;
}

/// An erasure lands while the workers are busy with the same partitions: the contact stays
/// gone (a batch that had loaded it is applied again without it), and every other contact's
/// messages are each answered once, in order.
async fn an_erasure_while_workers_apply_is_final_and_others_go_on(h: Harness) {
    h.publish(&echo_flow());
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut workers = h.runtime.spawn(stopped);
    let others: Vec<String> = (0..12).map(|n| format!("5531900000{n:02}")).collect();
    let ana = contact_id_for(ANA);
    let rounds = 20;
    for round in 0..rounds {
        for phone in others.iter().chain((round < 10).then_some(&ANA.to_owned())) {
            let message = h.message(
                phone,
                Content::Text {
                    body: format!("m{round}"),
                },
            );
            h.clock.advance(Duration::from_millis(1));
            h.runtime
                .accept(Event::inbound(message, 0))
                .await
                .expect("accepted");
        }
        if round == 9 {
            h.store.erase(&ana).await.expect("erased");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let expected = others.len() * rounds;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let echoed = || {
        others
            .iter()
            .map(|phone| h.channel.sent_to(&contact_id_for(phone)).len())
            .sum::<usize>()
    };
    while echoed() < expected && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = stop.send(true);
    while workers.join_next().await.is_some() {}

    assert!(h.store.contact(&ana).await.expect("load").is_none());
    assert!(h.store.timers(&ana).await.expect("timers").is_empty());
    for phone in &others {
        let texts: Vec<String> = h
            .channel
            .sent_to(&contact_id_for(phone))
            .iter()
            .map(|message| message.body.preview())
            .collect();
        let want: Vec<String> = (0..rounds).map(|round| format!("echo m{round}")).collect();
        assert_eq!(texts, want, "{phone}: each message answered once, in order");
    }
    h.finish().await;
}

on_every_store!(
    workers_keep_their_partitions_while_renewing_leases_under_load,
    an_erasure_while_workers_apply_is_final_and_others_go_on,
    a_redelivered_message_is_applied_once,
    a_process_that_dies_during_a_call_makes_it_again_with_the_same_key_and_applies_it_once,
    a_message_that_arrives_after_a_newer_one_answers_nothing,
    two_processes_on_one_redis_apply_each_contacts_messages_once_and_in_order,
    a_channel_failure_is_retried_and_the_message_sent_once,
    a_timer_that_fires_after_the_contact_answered_is_ignored,
    a_run_that_takes_too_many_steps_fails_with_step_budget_exceeded,
    a_runaway_expression_fails_its_run_and_no_other,
    free_form_outside_the_window_fails_with_window_closed,
    window_closed_leaves_through_the_error_port_when_it_is_connected,
    marketing_templates_need_an_opt_in_and_respect_the_daily_cap,
    stop_opts_out_ends_every_journey_and_clears_its_timers,
);

/// Another process (here the harness's own runtime, which is not working) accepts a message
/// for a partition this runtime holds: Redis tells the holder at once, so the message is
/// answered long before this runtime would look on its own (in an hour).
#[tokio::test]
async fn on_redis_a_message_another_process_accepts_is_answered_without_polling() {
    let h = Harness::new().await;
    h.publish(&echo_flow());
    let config = RuntimeConfig {
        idle_poll: hours(1),
        safety_poll: hours(1),
        ..RuntimeConfig::default()
    };
    let runtime = h.runtime_with(config);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut workers = runtime.spawn(stopped);
    let seen = &h;
    let answered = |count: usize| async move {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while seen.received(ANA).len() < count && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    // The first message is accepted here; once it is answered, the partition is held and
    // its worker has looked at its log, so it sleeps until told of the second.
    let first = h.message(ANA, Content::Text { body: "one".into() });
    runtime
        .accept(Event::inbound(first, 0))
        .await
        .expect("accepted");
    answered(1).await;
    h.text(ANA, "two").await;
    answered(2).await;
    let _ = stop.send(true);
    while workers.join_next().await.is_some() {}
    assert_eq!(h.received(ANA), ["echo one", "echo two"]);
    h.finish().await;
}
