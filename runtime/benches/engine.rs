//! How long `Engine::apply` takes for one event, in memory: no store, no channel, no clock.
//!
//! - `engine/inbound_resume`: a contact waits in a `wait_for_reply`; an inbound text resumes
//!   the run through `condition` → `set` → `send_text` and back to the same wait (with a
//!   24-hour timeout, so each event also clears one timer and sets another). The state is kept
//!   from one iteration to the next, so it is the steady state of a long conversation: 16
//!   remembered message ids, the last message in `msg`, a growing counter.
//! - `engine/webhook_start`: a webhook event for a new contact starts a run: `webhook` trigger
//!   → `condition` `payload.cart.total > 50` → `set` (branch, discount) → `end`. Each iteration
//!   starts from an empty state (built outside the timing).
//! - `state/json_roundtrip`: decoding and encoding the steady-state `ContactState` of the first
//!   case with serde_json, which the Redis store does for every contact of every batch
//!   (`load` + `commit`). Not part of `apply`, but part of each event's CPU cost.
//!
//! Throughput is one element per event, so criterion reports events/s alongside the time.
//!
//! Run with `cargo bench -p spool-runtime --bench engine`.

#![allow(clippy::unwrap_used, clippy::print_stderr)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};
use spool_nodes::{Content, InboundMessage, Millis, RunStatus};
use spool_runtime::http::NoServices;
use spool_runtime::state::contact_id_for;
use spool_runtime::{ContactState, Engine, EngineConfig, Event, EventKind, FlowRegistry};

/// 2026-11-23T10:00:00Z.
const NOW: Millis = 1_795_428_000_000;
const PHONE: &str = "5511987650001";

fn flow(id: &str, nodes: Value, edges: &[(&str, &str, &str)]) -> String {
    let edges: Vec<Value> = edges
        .iter()
        .map(|(from, port, to)| json!({ "from": from, "port": port, "to": to }))
        .collect();
    json!({ "schema": 1, "id": id, "name": id, "nodes": nodes, "edges": edges }).to_string()
}

/// hi → init → hello → wait ⇄ (check → count → echo); the loop the load test drives too.
fn conversation_flow() -> String {
    flow(
        "chat",
        json!([
            { "id": "start", "type": "inbound_message", "config": { "match": { "type": "keyword", "keywords": ["hi"] } } },
            { "id": "init", "type": "set", "config": { "assignments": [{ "variable": "n", "value": { "value": 0 } }] } },
            { "id": "hello", "type": "send_text", "config": { "text": "Hello {{ contact.name }}! Say anything." } },
            { "id": "wait", "type": "wait_for_reply", "config": { "variable": "last", "timeout": "24h" } },
            { "id": "check", "type": "condition", "config": { "expression": "vars.last != \"\"" } },
            { "id": "count", "type": "set", "config": { "assignments": [{ "variable": "n", "value": { "expr": "vars.n + 1" } }] } },
            { "id": "echo", "type": "send_text", "config": { "text": "#{{ vars.n }}: {{ vars.last }}" } },
            { "id": "bye", "type": "end" },
        ]),
        &[
            ("start", "next", "init"),
            ("init", "next", "hello"),
            ("hello", "next", "wait"),
            ("wait", "reply", "check"),
            ("wait", "timeout", "bye"),
            ("check", "true", "count"),
            ("check", "false", "echo"),
            ("count", "next", "echo"),
            ("echo", "next", "wait"),
        ],
    )
}

/// webhook → condition → set (big or small) → end.
fn cart_flow() -> String {
    flow(
        "cart",
        json!([
            { "id": "hook", "type": "webhook", "config": { "hook": "cart", "contact": "payload.customer.phone" } },
            { "id": "big", "type": "condition", "config": { "expression": "payload.cart.total > 50" } },
            { "id": "discount", "type": "set", "config": { "assignments": [
                { "variable": "branch", "value": { "value": "big" } },
                { "variable": "discount", "value": { "expr": "payload.cart.total / 10" } }
            ] } },
            { "id": "no_discount", "type": "set", "config": { "assignments": [
                { "variable": "branch", "value": { "value": "small" } },
                { "variable": "discount", "value": { "value": 0 } }
            ] } },
            { "id": "done", "type": "end" },
        ]),
        &[
            ("hook", "next", "big"),
            ("big", "true", "discount"),
            ("big", "false", "no_discount"),
            ("discount", "next", "done"),
            ("no_discount", "next", "done"),
        ],
    )
}

fn engine() -> Engine {
    let flows = Arc::new(FlowRegistry::new());
    for source in [conversation_flow(), cart_flow()] {
        let compiled = spool_flows::compile_source(&source)
            .unwrap_or_else(|err| panic!("benchmark flow does not compile: {err}"));
        flows.publish(compiled);
    }
    Engine::new(flows, Arc::new(NoServices), EngineConfig::default())
}

fn text(id: usize, body: &str) -> Event {
    let message = InboundMessage {
        // As long as WhatsApp's ids (`wamid.` and some 60 base64 characters).
        id: format!(
            "wamid.HBgMNTUxMTk4NzY1MDAwMRUCABIYIDNFQjBD{id:016X}{:016X}AA==",
            !id
        ),
        from: PHONE.to_owned(),
        from_user_id: None,
        profile_name: Some("Ana".to_owned()),
        // 0: the engine takes `now` as the sending time, so replaying events stays in order.
        timestamp: 0,
        content: Content::Text {
            body: body.to_owned(),
        },
        referral: None,
        context_id: None,
        channel: None,
    };
    Event::inbound(message, NOW)
}

/// A contact deep in a conversation: waiting for a reply, with a full memory of message ids.
fn waiting_contact(engine: &Engine, replies: &[Event]) -> ContactState {
    let mut state = ContactState::default();
    let transition = engine.apply(&mut state, &text(usize::MAX, "hi"), NOW);
    assert_eq!(transition.outbox.len(), 1, "the greeting");
    for event in replies.iter().take(32) {
        let transition = engine.apply(&mut state, event, NOW);
        assert_eq!(transition.outbox.len(), 1, "one echo per reply");
    }
    assert_eq!(state.runs.len(), 1);
    assert_eq!(state.runs[0].status, RunStatus::WaitingReply);
    state
}

fn bench_engine(c: &mut Criterion) {
    let engine = engine();
    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Elements(1));
    group.measurement_time(Duration::from_secs(8));

    // Message ids only need to differ from the last 16 the contact remembers, so a ring of
    // 256 prepared replies can be replayed for ever (building events is not measured).
    let replies: Vec<Event> = (0..256)
        .map(|n| text(n, &format!("answer number {n}")))
        .collect();
    let mut state = waiting_contact(&engine, &replies);
    let mut next = 0usize;
    group.bench_function("inbound_resume", |b| {
        b.iter(|| {
            let event = &replies[next % replies.len()];
            next += 1;
            let transition = engine.apply(&mut state, event, NOW);
            debug_assert_eq!(transition.outbox.len(), 1);
            black_box(transition)
        });
    });
    assert_eq!(state.runs[0].status, RunStatus::WaitingReply);

    let payload = json!({
        "customer": { "phone": PHONE, "name": "Ana" },
        "cart": { "id": "c-1042", "total": 79.9, "currency": "EUR", "items": 3 },
    });
    let webhook = Event::new(
        contact_id_for(PHONE),
        PHONE,
        NOW,
        EventKind::Webhook {
            flow_id: "cart".into(),
            trigger: None,
            payload,
        },
    );
    {
        let mut state = ContactState::default();
        engine.apply(&mut state, &webhook, NOW);
        let run = &state.runs[0];
        assert_eq!(run.status, RunStatus::Done, "{:?}", run.reason);
        assert_eq!(run.vars["branch"], json!("big"));
    }
    group.bench_function("webhook_start", |b| {
        b.iter_batched(
            ContactState::default,
            |mut state| {
                let transition = engine.apply(&mut state, &webhook, NOW);
                black_box((state, transition))
            },
            BatchSize::SmallInput,
        );
    });
    group.finish();

    let mut group = c.benchmark_group("state");
    group.throughput(Throughput::Elements(1));
    let encoded = serde_json::to_vec(&state).unwrap();
    eprintln!(
        "steady-state contact: {} bytes of JSON, {} runs, {} remembered message ids",
        encoded.len(),
        state.runs.len(),
        state.recent_messages.len()
    );
    group.bench_function("json_roundtrip", |b| {
        b.iter(|| {
            let decoded: ContactState = serde_json::from_slice(black_box(&encoded)).unwrap();
            black_box(serde_json::to_vec(&decoded).unwrap())
        });
    });
    group.finish();
}

criterion_group!(benches, bench_engine);
criterion_main!(benches);
