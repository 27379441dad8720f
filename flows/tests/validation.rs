//! Behaviour of validation and compilation on small flows, beyond the example fixtures.

use serde_json::{Value, json};
use spool_flows::{Code, check, compile_source};

fn flow(nodes: Value, edges: Value) -> String {
    json!({ "schema": 1, "id": "t", "name": "Test", "nodes": nodes, "edges": edges }).to_string()
}

fn codes(source: &str) -> Vec<String> {
    check(source)
        .diagnostics
        .into_iter()
        .map(|d| format!("{}@{}", d.code, d.node_id.unwrap_or_default()))
        .collect()
}

fn edge(from: &str, port: &str, to: &str) -> Value {
    json!({ "from": from, "port": port, "to": to })
}

fn hook() -> Value {
    json!({ "id": "start", "type": "webhook", "config": { "hook": "h", "contact": "payload.phone" } })
}

#[test]
fn a_loop_through_a_wait_is_fine() {
    let source = flow(
        json!([
            { "id": "start", "type": "inbound_message" },
            { "id": "ask", "type": "wait_for_reply", "config": { "variable": "answer" } },
            { "id": "again", "type": "condition", "config": { "expression": "vars.answer == \"more\"" } },
            { "id": "bye", "type": "send_text", "config": { "text": "Bye" } },
        ]),
        json!([
            edge("start", "next", "ask"),
            edge("ask", "reply", "again"),
            edge("ask", "timeout", "bye"),
            edge("again", "true", "ask"),
            edge("again", "false", "bye"),
        ]),
    );
    assert_eq!(codes(&source), Vec::<String>::new());
}

#[test]
fn only_a_reply_reopens_the_window_not_a_template() {
    let text = json!({ "id": "text", "type": "send_text", "config": { "text": "Hi" } });
    let template = json!({ "id": "invite", "type": "send_template", "config": { "name": "hello", "language": "en", "category": "utility" } });
    let start = json!({ "id": "start", "type": "inbound_message" });
    let wait = json!({ "id": "wait", "type": "delay", "config": { "for": "2d" } });
    let answer = json!({ "id": "answer", "type": "wait_for_reply", "config": { "variable": "a" } });

    let template_then_text = flow(
        json!([start, wait, template, text]),
        json!([
            edge("start", "next", "wait"),
            edge("wait", "next", "invite"),
            edge("invite", "next", "text")
        ]),
    );
    assert_eq!(
        codes(&template_then_text),
        vec!["window_may_be_closed@text"]
    );

    let template_reply_text = flow(
        json!([start, wait, template, answer, text]),
        json!([
            edge("start", "next", "wait"),
            edge("wait", "next", "invite"),
            edge("invite", "next", "answer"),
            edge("answer", "reply", "text"),
            edge("answer", "timeout", "text"),
        ]),
    );
    // The reply path is fine; the timeout path reaches the text without a reply.
    assert_eq!(
        codes(&template_reply_text),
        vec!["window_may_be_closed@text"]
    );
    let reply_only =
        template_reply_text.replace(r#"{"from":"answer","port":"timeout","to":"text"}"#, "");
    let reply_only = reply_only.replace(",]", "]");
    let found = codes(&reply_only);
    assert!(
        !found.contains(&"window_may_be_closed@text".to_owned()),
        "{found:?}"
    );
}

#[test]
fn a_journey_started_by_a_webhook_cannot_assume_an_open_window() {
    let source = flow(
        json!([hook(), { "id": "text", "type": "send_text", "config": { "text": "Your order shipped" } }]),
        json!([edge("start", "next", "text")]),
    );
    assert_eq!(codes(&source), vec!["window_may_be_closed@text"]);
}

#[test]
fn short_delays_add_up_past_the_window() {
    let source = flow(
        json!([
            { "id": "start", "type": "inbound_message" },
            { "id": "d1", "type": "delay", "config": { "for": "13h" } },
            { "id": "first", "type": "send_text", "config": { "text": "One" } },
            { "id": "d2", "type": "delay", "config": { "for": "13h" } },
            { "id": "second", "type": "send_text", "config": { "text": "Two" } },
        ]),
        json!([
            edge("start", "next", "d1"),
            edge("d1", "next", "first"),
            edge("first", "next", "d2"),
            edge("d2", "next", "second")
        ]),
    );
    assert_eq!(codes(&source), vec!["window_may_be_closed@second"]);
}

#[test]
fn a_reminder_loop_with_delays_reaches_past_the_window() {
    // start → text → delay 6h → condition → (true) back to text: the loop adds 6h per round.
    let source = flow(
        json!([
            { "id": "start", "type": "inbound_message" },
            { "id": "text", "type": "send_text", "config": { "text": "Still there?" } },
            { "id": "pause", "type": "delay", "config": { "for": "6h" } },
            { "id": "more", "type": "condition", "config": { "expression": "vars.n < 10" } },
            { "id": "end", "type": "end" },
        ]),
        json!([
            edge("start", "next", "text"),
            edge("text", "next", "pause"),
            edge("pause", "next", "more"),
            edge("more", "true", "text"),
            edge("more", "false", "end"),
        ]),
    );
    assert_eq!(codes(&source), vec!["window_may_be_closed@text"]);
}

/// The editor's marks: `node.port` for every edge along which the window may be closed.
fn closed_edges(source: &str) -> Vec<String> {
    check(source)
        .closed_window
        .into_iter()
        .map(|edge| format!("{}.{}", edge.node_id, edge.port))
        .collect()
}

#[test]
fn edges_are_marked_closed_from_a_business_start_until_the_contact_replies() {
    let source = flow(
        json!([
            hook(),
            { "id": "invite", "type": "send_template", "config": { "name": "hello", "language": "en", "category": "utility" } },
            { "id": "answer", "type": "wait_for_reply", "config": { "variable": "a" } },
            { "id": "thanks", "type": "send_text", "config": { "text": "Thanks" } },
            { "id": "end", "type": "end" },
        ]),
        json!([
            edge("start", "next", "invite"),
            edge("invite", "next", "answer"),
            edge("answer", "reply", "thanks"),
            edge("answer", "timeout", "end"),
            edge("thanks", "next", "end"),
        ]),
    );
    let checked = check(&source);
    assert_eq!(
        closed_edges(&source),
        vec!["start.next", "invite.next", "answer.timeout"]
    );
    let reason = &checked.closed_window[0].reason;
    assert!(
        reason.contains("starts without the contact writing"),
        "{reason}"
    );
}

#[test]
fn an_edge_is_marked_closed_once_the_waits_add_up_with_that_reason() {
    let source = flow(
        json!([
            { "id": "start", "type": "inbound_message" },
            { "id": "d1", "type": "delay", "config": { "for": "13h" } },
            { "id": "d2", "type": "delay", "config": { "for": "13h" } },
            { "id": "second", "type": "send_template", "config": { "name": "hello", "language": "en", "category": "utility" } },
        ]),
        json!([
            edge("start", "next", "d1"),
            edge("d1", "next", "d2"),
            edge("d2", "next", "second"),
        ]),
    );
    assert_eq!(closed_edges(&source), vec!["d2.next"]);
    let checked = check(&source);
    assert!(
        checked.closed_window[0].reason.contains("delays and waits"),
        "{}",
        checked.closed_window[0].reason
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let source = flow(
        json!([
            { "id": "a", "type": "send_text", "config": { "text": "{{ nope }}" } },
            { "id": "a", "type": "end" },
            { "id": "c", "type": "send_txt" },
            { "id": "b", "type": "condition", "config": { "expression": "(" } },
        ]),
        json!([
            edge("a", "next", "b"),
            edge("b", "maybe", "a"),
            edge("ghost", "next", "a")
        ]),
    );
    let found = codes(&source);
    for expected in [
        "unknown_node_type@c",
        "duplicate_node_id@a",
        "missing_trigger@",
        "unknown_variable@a",
        "expression_syntax@b",
        "unknown_port@b",
        "edge_from_unknown_node@",
    ] {
        assert!(
            found.contains(&expected.to_owned()),
            "{expected} not in {found:?}"
        );
    }
}

#[test]
fn compiled_flow_answers_next_node_and_keeps_expressions() {
    let source = flow(
        json!([
            hook(),
            { "id": "check", "type": "condition", "config": { "expression": "payload.total > 50" } },
            { "id": "big", "type": "send_template", "config": { "name": "big_cart", "language": "en", "category": "utility", "body": ["{{ payload.total }}"] } },
            { "id": "small", "type": "end" },
        ]),
        json!([
            edge("start", "next", "check"),
            edge("check", "true", "big"),
            edge("check", "false", "small")
        ]),
    );
    let compiled = compile_source(&source).expect("compiles");
    let ix = |id: &str| compiled.node_index(id).expect("node exists");
    assert_eq!(compiled.next(ix("check"), "true"), Some(ix("big")));
    assert_eq!(compiled.next(ix("check"), "false"), Some(ix("small")));
    assert_eq!(compiled.next(ix("check"), "error"), None);
    assert_eq!(compiled.next(ix("check"), "sideways"), None);
    assert_eq!(compiled.triggers(), &[ix("start")]);
    assert!(
        compiled
            .expression(ix("check"), &spool_flows::fields::EXPRESSION)
            .is_some()
    );
    assert!(
        compiled
            .template(ix("big"), &spool_flows::fields::template_body(0))
            .is_some()
    );
    assert_eq!(compiled.hash().len(), 64);
}

#[test]
fn moving_nodes_keeps_the_hash_and_changing_behaviour_changes_it() {
    let make = |x: f64, total: u32| {
        flow(
            json!([
                { "id": "start", "type": "webhook", "position": { "x": x, "y": 0.0 }, "config": { "hook": "h", "contact": "payload.phone" } },
                { "id": "check", "type": "condition", "config": { "expression": format!("payload.total > {total}") } },
                { "id": "end", "type": "end" },
            ]),
            json!([
                edge("start", "next", "check"),
                edge("check", "true", "end"),
                edge("check", "false", "end")
            ]),
        )
    };
    let hash = |source: String| compile_source(&source).expect("compiles").hash().to_owned();
    assert_eq!(hash(make(0.0, 50)), hash(make(480.0, 50)));
    assert_ne!(hash(make(0.0, 50)), hash(make(0.0, 60)));
}

#[test]
fn compiling_refuses_errors_but_keeps_warnings() {
    let broken = flow(json!([{ "id": "x", "type": "end" }]), json!([]));
    let err = compile_source(&broken).expect_err("no trigger");
    assert!(
        err.to_string().contains("Nothing starts this flow"),
        "{err}"
    );

    let warned = flow(json!([hook(), { "id": "lost", "type": "end" }]), json!([]));
    let compiled = compile_source(&warned).expect("warnings do not block");
    let warnings: Vec<&str> = compiled
        .warnings()
        .iter()
        .map(|d| d.code.as_str())
        .collect();
    assert!(
        warnings.contains(&Code::UnreachableNode.as_str()),
        "{warnings:?}"
    );
}

#[test]
fn malformed_json_says_where() {
    let checked = check("{\n  \"schema\": 1,\n  \"id\": \"x\",,\n}");
    assert_eq!(checked.diagnostics.len(), 1);
    let diagnostic = &checked.diagnostics[0];
    assert_eq!(diagnostic.code, Code::MalformedJson);
    assert_eq!(diagnostic.location.map(|l| l.line), Some(3));
}

#[test]
fn config_errors_name_the_exact_field() {
    let source = flow(
        json!([
            hook(),
            { "id": "ask", "type": "send_buttons", "config": { "text": "Pick", "buttons": [{ "id": "a", "titel": "A" }] } },
        ]),
        json!([edge("start", "next", "ask")]),
    );
    let diagnostic = check(&source)
        .diagnostics
        .into_iter()
        .find(|d| d.code == Code::InvalidConfig)
        .expect("invalid_config");
    assert_eq!(diagnostic.node_id.as_deref(), Some("ask"));
    assert_eq!(diagnostic.field.as_deref(), Some("config.buttons[0].titel"));
}

#[test]
fn every_code_has_a_description() {
    for code in Code::ALL {
        assert!(!code.description().is_empty(), "{code}");
        assert!(
            code.as_str()
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '_'),
            "{code}"
        );
    }
}

#[test]
fn a_flow_id_that_cannot_be_in_a_url_is_an_error() {
    for id in ["spring sale", "ä", "a/b", &"x".repeat(65)] {
        let source =
            json!({ "schema": 1, "id": id, "name": "Test", "nodes": [hook()], "edges": [] })
                .to_string();
        let diagnostics = check(&source).diagnostics;
        assert!(
            diagnostics
                .iter()
                .any(|d| d.code == Code::InvalidFlowId && d.field.as_deref() == Some("id")),
            "{id:?}: {diagnostics:?}"
        );
    }
    for id in ["abandoned-cart", "order_status_2", &"x".repeat(64)] {
        assert!(spool_flows::check_flow_id(id).is_ok(), "{id:?}");
    }
}

#[test]
fn a_huge_expression_is_quoted_by_a_short_excerpt() {
    let filler = "contact.name ".repeat(8_000);
    let expression = format!("vars.total > /* {filler} */ && /* {filler} */");
    assert!(expression.len() > 100_000);
    let source = flow(
        json!([
            hook(),
            { "id": "check", "type": "condition", "config": { "expression": expression } },
        ]),
        json!([edge("start", "next", "check")]),
    );
    let diagnostic = check(&source)
        .diagnostics
        .into_iter()
        .find(|d| d.code == Code::ExpressionSyntax)
        .expect("the expression does not compile");
    assert!(
        diagnostic.message.len() < 400,
        "a {}-byte message: {}…",
        diagnostic.message.len(),
        &diagnostic.message[..200]
    );
    assert!(diagnostic.message.contains('…'), "{}", diagnostic.message);
}

#[test]
fn two_webhook_triggers_need_two_hooks() {
    let trigger = |id: &str, hook: &str| json!({ "id": id, "type": "webhook", "config": { "hook": hook, "contact": "payload.phone" } });
    let end = json!({ "id": "done", "type": "end" });
    let edges = json!([edge("a", "next", "done"), edge("b", "next", "done")]);
    let distinct = flow(
        json!([
            trigger("a", "cart-abandoned"),
            trigger("b", "cart-paid"),
            end
        ]),
        edges.clone(),
    );
    assert_eq!(codes(&distinct), Vec::<String>::new());
    let shared = flow(
        json!([trigger("a", "cart"), trigger("b", "cart"), end]),
        edges,
    );
    assert_eq!(codes(&shared), vec!["duplicate_hook@b".to_owned()]);
    let report = check(&shared);
    assert!(
        report.diagnostics[0].message.contains("`a`"),
        "names the trigger that has the hook: {}",
        report.diagnostics[0].message
    );
}

#[test]
fn notes_are_kept_checked_and_ignored_by_the_journey() {
    let journey = |notes: Value| {
        json!({
            "schema": 1, "id": "t", "name": "Test",
            "nodes": [hook(), { "id": "end", "type": "end" }],
            "edges": [edge("start", "next", "end")],
            "notes": notes,
        })
        .to_string()
    };
    let noted = journey(json!([
        { "id": "note", "text": "Ask Ana before changing the wording", "position": { "x": 10.0, "y": -80.0 }, "width": 220.0, "height": 140.0 }
    ]));
    assert_eq!(codes(&noted), Vec::<String>::new());
    let hash = |source: &str| compile_source(source).expect("compiles").hash().to_owned();
    assert_eq!(hash(&noted), hash(&journey(json!([]))));

    let misspelt = journey(json!([{ "id": "note", "txt": "typo" }]));
    let diagnostics = check(&misspelt).diagnostics;
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(diagnostics[0].code, Code::InvalidFlow);
    assert!(
        diagnostics[0].message.contains("txt"),
        "{}",
        diagnostics[0].message
    );
}
