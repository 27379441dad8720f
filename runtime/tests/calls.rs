//! Calls to other systems as effects: a run that calls waits in `calling` while the call is
//! made outside its partition, so a slow CRM or model holds nobody else up; messages the
//! contact sends meanwhile are answered after the call, in order; an answer for a wait that
//! is gone changes nothing.

#[macro_use]
mod common;

use std::sync::Arc;
use std::time::Duration;

use common::Harness;
use serde_json::{Value, json};
use spool_nodes::{
    CallAnswer, CallRequest, ChatMessage, ChatResponse, Content, HttpResponse, InboundMessage,
    Millis, OutboundBody, RunStatus, ToolCall,
};
use spool_runtime::http::NoServices;
use spool_runtime::state::{PendingCall, contact_id_for};
use spool_runtime::store::Store;
use spool_runtime::{ContactState, Engine, EngineConfig, Event, EventKind, FlowRegistry};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ANA: &str = "5511987650001";

fn flow(id: &str, nodes: Value, edges: &[(&str, &str, &str)]) -> String {
    let edges: Vec<Value> = edges
        .iter()
        .map(|(from, port, to)| json!({ "from": from, "port": port, "to": to }))
        .collect();
    json!({ "schema": 1, "id": id, "name": id, "nodes": nodes, "edges": edges }).to_string()
}

/// `crm`: asks a CRM for a score, then tells the contact; `hi`: answers at once.
fn crm_and_reply_flows(crm: &str) -> [String; 2] {
    [
        flow(
            "crm",
            json!([
                { "id": "start", "type": "inbound_message", "config": { "match": { "type": "keyword", "keywords": ["crm"] } } },
                { "id": "lookup", "type": "http_request", "config": {
                    "method": "POST", "url": format!("{crm}/score"),
                    "save": { "score": "response.body.score" } } },
                { "id": "tell", "type": "send_text", "config": { "text": "Your score is {{ vars.score }}" } },
            ]),
            &[("start", "next", "lookup"), ("lookup", "ok", "tell")],
        ),
        flow(
            "hi",
            json!([
                { "id": "start", "type": "inbound_message", "config": { "match": { "type": "keyword", "keywords": ["hi"] } } },
                { "id": "hello", "type": "send_text", "config": { "text": "Hello!" } },
            ]),
            &[("start", "next", "hello")],
        ),
    ]
}

/// A contact whose events go through the same partition as `phone`'s.
fn neighbour_of(store: &dyn Store, phone: &str) -> String {
    let partition = store.partition_of(&contact_id_for(phone));
    (1..)
        .map(|n| format!("55119{n:08}"))
        .find(|other| other != phone && store.partition_of(&contact_id_for(other)) == partition)
        .expect("another number lands in the same partition")
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "never happened: {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The CRM takes 2 s to answer Ana; Ben, on the same partition, writes after her and is
/// answered while her call is still out, and she gets her answer once it is back.
async fn a_slow_call_holds_no_other_contact_of_its_partition(h: Harness) {
    let crm = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/score"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "score": 7 }))
                .set_delay(Duration::from_secs(2)),
        )
        .mount(&crm)
        .await;
    for source in crm_and_reply_flows(&crm.uri()) {
        h.publish(&source);
    }
    let ben = neighbour_of(h.store.as_ref(), ANA);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut workers = h.runtime.spawn(stopped);

    h.text(ANA, "crm").await;
    wait_until("the CRM is asked", || {
        futures::executor::block_on(crm.received_requests()).is_some_and(|seen| !seen.is_empty())
    })
    .await;
    h.text(&ben, "hi").await;
    wait_until("Ben is answered", || !h.received(&ben).is_empty()).await;
    assert_eq!(h.received(&ben), ["Hello!"]);
    assert!(
        h.received(ANA).is_empty(),
        "Ben was answered while Ana's call was still out"
    );
    assert_eq!(h.run(ANA, "crm").await.status, RunStatus::Calling);

    wait_until("Ana is answered", || !h.received(ANA).is_empty()).await;
    assert_eq!(h.received(ANA), ["Your score is 7"]);
    let _ = stop.send(true);
    while workers.join_next().await.is_some() {}
    let requests = crm.received_requests().await.unwrap_or_default();
    assert_eq!(requests.len(), 1, "the CRM is asked once");
    h.finish().await;
}

on_every_store!(a_slow_call_holds_no_other_contact_of_its_partition);

// The engine on its own: which calls it asks for, and what each answer does.

const NOW: Millis = 1_795_428_000_000;

fn engine_with(sources: &[String]) -> Engine {
    let flows = Arc::new(FlowRegistry::new());
    for source in sources {
        flows.publish(spool_flows::compile_source(source).expect("the test flow compiles"));
    }
    Engine::new(flows, Arc::new(NoServices), EngineConfig::default())
}

fn text(id: &str, body: &str, at: Millis) -> Event {
    Event::inbound(
        InboundMessage {
            id: id.into(),
            from: ANA.into(),
            from_user_id: None,
            profile_name: None,
            timestamp: at,
            content: Content::Text { body: body.into() },
            referral: None,
            context_id: None,
            channel: None,
        },
        at,
    )
}

fn texts(outbox: &[spool_nodes::Outbound]) -> Vec<String> {
    outbox
        .iter()
        .map(|message| match &message.body {
            OutboundBody::Text { text, .. } => text.clone(),
            other => format!("{other:?}"),
        })
        .collect()
}

fn http_ok(body: Value) -> CallAnswer {
    CallAnswer::Http {
        response: HttpResponse {
            status: 200,
            headers: serde_json::Map::new(),
            body,
        },
    }
}

fn answer(call: &PendingCall, answer: CallAnswer, at: Millis) -> Event {
    call.answered(answer, at)
}

/// Asks for a score, then waits for the contact's reply and echoes it.
fn lookup_then_echo() -> String {
    flow(
        "lookup",
        json!([
            { "id": "start", "type": "inbound_message" },
            { "id": "lookup", "type": "http_request", "config": {
                "method": "GET", "url": "http://crm.test/contacts/{{ contact.phone }}?full=1",
                "retries": 2, "save": { "score": "response.body.score" } } },
            { "id": "ask", "type": "send_text", "config": { "text": "Score {{ vars.score }}. Anything else?" } },
            { "id": "wait", "type": "wait_for_reply", "config": { "variable": "answer" } },
            { "id": "echo", "type": "send_text", "config": { "text": "You said {{ vars.answer }}" } },
            { "id": "failed", "type": "send_text", "config": { "text": "The CRM is down: {{ vars.error.code }}" } },
        ]),
        &[
            ("start", "next", "lookup"),
            ("lookup", "ok", "ask"),
            ("lookup", "error", "failed"),
            ("ask", "next", "wait"),
            ("wait", "reply", "echo"),
        ],
    )
}

#[test]
fn an_http_request_is_a_call_the_run_waits_for() {
    let engine = engine_with(&[lookup_then_echo()]);
    let mut state = ContactState::default();
    let tx = engine.apply(&mut state, &text("m1", "hello", NOW), NOW);
    assert!(tx.outbox.is_empty(), "nothing is said before the answer");
    assert_eq!(tx.calls.len(), 1);
    let call = &tx.calls[0];
    let CallRequest::Http { call: request } = &call.request else {
        panic!("an HTTP call: {call:?}");
    };
    assert_eq!(
        request.url,
        format!("http://crm.test/contacts/{ANA}?full=1")
    );
    assert_eq!(request.retries, 2);
    assert_eq!(call.key.len(), 32, "an opaque key: {}", call.key);
    assert!(!call.key.contains(ANA));
    assert_eq!(state.runs[0].status, RunStatus::Calling);
    assert_eq!(state.runs[0].cursor, "lookup");

    let tx = engine.apply(
        &mut state,
        &answer(call, http_ok(json!({ "score": 9 })), NOW + 1),
        NOW + 1,
    );
    assert_eq!(texts(&tx.outbox), ["Score 9. Anything else?"]);
    assert!(tx.calls.is_empty());
    assert_eq!(state.runs[0].status, RunStatus::WaitingReply);
    assert_eq!(state.runs[0].vars["score"], json!(9));
}

#[test]
fn the_same_event_applied_again_asks_for_the_same_call_with_the_same_key() {
    let engine = engine_with(&[lookup_then_echo()]);
    let first = engine.apply(&mut ContactState::default(), &text("m1", "hello", NOW), NOW);
    let again = engine.apply(&mut ContactState::default(), &text("m1", "hello", NOW), NOW);
    assert_eq!(first.calls, again.calls);
}

#[test]
fn a_failed_call_leaves_through_error() {
    let engine = engine_with(&[lookup_then_echo()]);
    let mut state = ContactState::default();
    let tx = engine.apply(&mut state, &text("m1", "hello", NOW), NOW);
    let failed = CallAnswer::Failed {
        error: "connection refused".into(),
    };
    let tx = engine.apply(&mut state, &answer(&tx.calls[0], failed, NOW), NOW);
    assert_eq!(texts(&tx.outbox), ["The CRM is down: http_failed"]);
}

#[test]
fn messages_sent_while_a_call_is_out_are_answered_after_it_in_order() {
    let engine = engine_with(&[lookup_then_echo()]);
    let mut state = ContactState::default();
    let tx = engine.apply(&mut state, &text("m1", "hello", NOW), NOW);
    let call = tx.calls[0].clone();
    let tx = engine.apply(&mut state, &text("m2", "first", NOW + 10), NOW + 10);
    assert!(tx.outbox.is_empty() && tx.calls.is_empty(), "{tx:?}");
    assert_eq!(state.runs.len(), 1, "no second journey started");
    assert_eq!(
        state.contact.last_inbound_at,
        Some(NOW + 10),
        "the window counts it"
    );

    let tx = engine.apply(
        &mut state,
        &answer(&call, http_ok(json!({ "score": 3 })), NOW + 20),
        NOW + 20,
    );
    assert_eq!(
        texts(&tx.outbox),
        ["Score 3. Anything else?", "You said first"]
    );
    assert!(state.deferred.is_empty());
}

#[test]
fn an_answer_for_a_cancelled_run_changes_nothing() {
    let engine = engine_with(&[lookup_then_echo()]);
    let mut state = ContactState::default();
    let tx = engine.apply(&mut state, &text("m1", "hello", NOW), NOW);
    let call = tx.calls[0].clone();
    let run_id = state.runs[0].id.clone();
    let cancel = Event::new(
        state.contact.id.clone(),
        ANA,
        NOW + 1,
        EventKind::CancelRun { run_id },
    );
    engine.apply(&mut state, &cancel, NOW + 1);
    assert_eq!(state.runs[0].status, RunStatus::Cancelled);
    let before = state.clone();
    let tx = engine.apply(
        &mut state,
        &answer(&call, http_ok(json!({ "score": 1 })), NOW + 2),
        NOW + 2,
    );
    assert!(tx.outbox.is_empty() && tx.calls.is_empty());
    assert_eq!(state, before);
}

#[test]
fn stop_while_a_call_is_out_opts_out_at_once() {
    let engine = engine_with(&[lookup_then_echo()]);
    let mut state = ContactState::default();
    let tx = engine.apply(&mut state, &text("m1", "hello", NOW), NOW);
    let call = tx.calls[0].clone();
    engine.apply(&mut state, &text("m2", "STOP", NOW + 1), NOW + 1);
    assert_eq!(state.runs[0].status, RunStatus::Cancelled);
    let tx = engine.apply(
        &mut state,
        &answer(&call, http_ok(json!({ "score": 1 })), NOW + 2),
        NOW + 2,
    );
    assert!(tx.outbox.is_empty(), "nothing after STOP: {tx:?}");
}

fn model_says(content: Option<&str>, tool_calls: Vec<ToolCall>) -> CallAnswer {
    CallAnswer::Chat {
        response: ChatResponse {
            message: ChatMessage {
                role: "assistant".into(),
                content: content.map(str::to_owned),
                tool_calls,
                tool_call_id: None,
            },
        },
    }
}

#[test]
fn an_ai_agent_asks_the_model_calls_its_tool_then_answers_each_as_a_call() {
    let agent = flow(
        "agent",
        json!([
            { "id": "start", "type": "inbound_message" },
            { "id": "agent", "type": "ai_agent", "config": {
                "model": "small", "instructions": "Help with orders.",
                "tools": [{ "name": "order_status", "description": "Looks an order up",
                            "url": "http://shop.test/orders", "parameters": { "type": "object" } }] } },
        ]),
        &[("start", "next", "agent")],
    );
    let engine = engine_with(&[agent]);
    let mut state = ContactState::default();
    let tx = engine.apply(&mut state, &text("m1", "where is order 42?", NOW), NOW);
    let CallRequest::Chat { request } = &tx.calls[0].request else {
        panic!("the model is asked first: {:?}", tx.calls);
    };
    assert_eq!(
        request.messages.last().and_then(|m| m.content.as_deref()),
        Some("where is order 42?")
    );

    let lookup = ToolCall {
        id: "call_1".into(),
        name: "order_status".into(),
        arguments: r#"{"order":"42"}"#.into(),
    };
    let tx = engine.apply(
        &mut state,
        &answer(&tx.calls[0], model_says(None, vec![lookup]), NOW),
        NOW,
    );
    let CallRequest::Http { call } = &tx.calls[0].request else {
        panic!("then its tool: {:?}", tx.calls);
    };
    assert_eq!(call.url, "http://shop.test/orders");
    assert_eq!(call.body.as_deref(), Some(r#"{"order":"42"}"#));

    let tx = engine.apply(
        &mut state,
        &answer(&tx.calls[0], http_ok(json!({ "status": "shipped" })), NOW),
        NOW,
    );
    let CallRequest::Chat { request } = &tx.calls[0].request else {
        panic!("then the model again: {:?}", tx.calls);
    };
    let tool_answer = request.messages.last().expect("messages");
    assert_eq!(tool_answer.role, "tool");
    assert_eq!(tool_answer.tool_call_id.as_deref(), Some("call_1"));
    assert!(
        tool_answer
            .content
            .as_deref()
            .unwrap_or_default()
            .contains("shipped")
    );

    let said = model_says(Some("Order 42 has shipped."), Vec::new());
    let tx = engine.apply(&mut state, &answer(&tx.calls[0], said, NOW), NOW);
    assert_eq!(texts(&tx.outbox), ["Order 42 has shipped."]);
    assert!(tx.calls.is_empty());
    assert_eq!(state.runs[0].status, RunStatus::WaitingReply);
}
