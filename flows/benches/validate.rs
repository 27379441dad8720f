//! How long reading, validating and compiling a flow takes as flows grow.
//!
//! Flows of 10, 100, 1,000 and 10,000 nodes are generated as JSON text, the form the editor
//! saves and the API receives. Each is a realistic journey: a chain of 10-node blocks where
//! a `set` computes variables, a `condition` branches into two `send_text` messages that
//! rejoin on `send_buttons`, a `wait_for_reply` (with timeout) feeds a `switch` that may loop
//! back to the buttons, an unanswered question gets a `send_template` reminder, an
//! `http_request` reports the answer and a `delay` leads to the next block. The first block
//! starts with the trigger instead of the `set`, and the last ends with an `end` instead of
//! the `delay`, so a flow has exactly 10 nodes per block. Every main port is connected and
//! every loop passes through a wait, so the flows validate without errors (checked once
//! before measuring). They do have warnings: past about 16 blocks the waits add up beyond
//! 24 hours, so the texts further on are `window_may_be_closed` (42 of them at 300 nodes).
//!
//! `check` measures `spool_flows::check` (parse + validate); `compile` measures
//! `spool_flows::compile_source` (parse + validate + compile). Throughput is in nodes, so
//! criterion reports the per-node cost.
//!
//! Run with `cargo bench -p spool-flows --bench validate`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};

const SIZES: [usize; 4] = [10, 100, 1_000, 10_000];
const BLOCK: usize = 10;

/// A flow of exactly `nodes` nodes (a multiple of 10) as pretty JSON text.
fn journey(nodes: usize) -> String {
    assert!(
        nodes >= BLOCK && nodes.is_multiple_of(BLOCK),
        "the generator builds whole 10-node blocks"
    );
    let blocks = nodes / BLOCK;
    let mut flow_nodes: Vec<Value> = Vec::with_capacity(nodes);
    let mut edges: Vec<Value> = Vec::with_capacity(nodes * 2);
    let mut edge = |from: String, port: &str, to: String| {
        edges.push(json!({ "from": from, "port": port, "to": to }))
    };
    // Where each block begins: the trigger for the first, the `set` of the others.
    let entry = |k: usize| {
        if k == 0 {
            "start".to_owned()
        } else {
            format!("b{k}_set")
        }
    };

    for k in 0..blocks {
        let id = |name: &str| format!("b{k}_{name}");
        let last = k + 1 == blocks;
        let y = (k * 600) as f64;
        let node = |id: String, x: f64, dy: f64, node_type: &str, config: Value| json!({ "id": id, "type": node_type, "position": { "x": x, "y": y + dy }, "config": config });

        if k == 0 {
            flow_nodes.push(node(
                entry(0),
                0.0,
                0.0,
                "inbound_message",
                json!({ "match": { "type": "keyword", "keywords": ["start", "menu", "hello"] } }),
            ));
        } else {
            flow_nodes.push(node(
                entry(k),
                0.0,
                0.0,
                "set",
                json!({ "assignments": [
                    { "variable": "score", "value": { "expr": format!("vars.score + {k}") } },
                    { "variable": "step", "value": { "value": k } },
                    { "variable": "greeting", "value": { "expr": "if contact.name == () { \"there\" } else { contact.name }" } }
                ] }),
            ));
        }
        edge(entry(k), "next", id("cond"));

        flow_nodes.push(node(
            id("cond"),
            0.0,
            100.0,
            "condition",
            json!({ "expression": format!("vars.score > {} && contact.tags.contains(\"vip\")", k % 7) }),
        ));
        edge(id("cond"), "true", id("vip"));
        edge(id("cond"), "false", id("std"));

        flow_nodes.push(node(
            id("vip"),
            -200.0,
            200.0,
            "send_text",
            json!({ "text": format!("Hi {{{{ contact.name }}}}, as a VIP you get {{{{ vars.score * 2 }}}} points on step {k}!") }),
        ));
        flow_nodes.push(node(
            id("std"),
            200.0,
            200.0,
            "send_text",
            json!({ "text": format!("Hello {{{{ vars.greeting }}}}, you are on step {k} of our journey."), "preview_url": true }),
        ));
        // The two branches rejoin on the question.
        edge(id("vip"), "next", id("ask"));
        edge(id("std"), "next", id("ask"));

        flow_nodes.push(node(
            id("ask"),
            0.0,
            300.0,
            "send_buttons",
            json!({
                "text": "Shall we go on, {{ contact.name }}?",
                "footer": "Reply STOP to opt out",
                "buttons": [ { "id": "yes", "title": "Yes please" }, { "id": "no", "title": "Not now" } ],
                "variable": "choice",
                "timeout": "1h"
            }),
        ));
        edge(id("ask"), "yes", id("wait"));
        edge(id("ask"), "no", id("http"));
        edge(id("ask"), "timeout", id("remind"));

        flow_nodes.push(node(
            id("wait"),
            0.0,
            400.0,
            "wait_for_reply",
            json!({
                "variable": format!("answer_{k}"),
                "expect": "text",
                "validation": "msg.text.len() > 1",
                "retry_message": "Sorry {{ contact.name }}, could you write a few words?",
                "retries": 2,
                "timeout": "2h"
            }),
        ));
        edge(id("wait"), "reply", id("route"));
        edge(id("wait"), "timeout", id("remind"));

        flow_nodes.push(node(
            id("route"),
            0.0,
            500.0,
            "switch",
            json!({ "cases": [
                { "port": "again", "when": "msg.text == \"again\" || msg.text == \"repeat\"" },
                { "port": "skip", "when": format!("vars.step >= {k} && msg.text.contains(\"skip\")") }
            ] }),
        ));
        // A loop back to the question: it passes through send_buttons and wait_for_reply.
        edge(id("route"), "again", id("ask"));
        edge(
            id("route"),
            "skip",
            if last { id("end") } else { entry(k + 1) },
        );
        edge(id("route"), "default", id("http"));

        flow_nodes.push(node(
            id("remind"),
            400.0,
            400.0,
            "send_template",
            json!({
                "name": "journey_reminder",
                "language": "en_US",
                "category": "utility",
                "body": ["{{ contact.name }}", format!("{{{{ vars.score + {k} }}}}")]
            }),
        ));
        edge(id("remind"), "next", id("http"));

        flow_nodes.push(node(
            id("http"),
            200.0,
            600.0,
            "http_request",
            json!({
                "method": "POST",
                "url": "https://crm.example.com/contacts/{{ contact.phone }}/events",
                "headers": { "Content-Type": "application/json", "X-Step": format!("{k}") },
                "body": format!("{{\"step\": {k}, \"answer\": \"{{{{ vars.answer_{k} }}}}\", \"score\": {{{{ vars.score }}}}}}"),
                "timeout": "5s",
                "retries": 2,
                "save": { "crm_status": "response.status", "crm_segment": "response.body.segment" }
            }),
        ));

        if last {
            edge(id("http"), "ok", id("end"));
            edge(id("http"), "error", id("end"));
            flow_nodes.push(node(id("end"), 0.0, 700.0, "end", json!({})));
        } else {
            edge(id("http"), "ok", id("delay"));
            edge(id("http"), "error", id("delay"));
            flow_nodes.push(node(
                id("delay"),
                0.0,
                700.0,
                "delay",
                json!({ "for": "30m" }),
            ));
            edge(id("delay"), "next", entry(k + 1));
        }
    }
    assert_eq!(flow_nodes.len(), nodes);

    let flow = json!({
        "schema": 1,
        "id": format!("bench-{nodes}"),
        "name": format!("Benchmark journey ({nodes} nodes)"),
        "description": "Generated by flows/benches/validate.rs",
        "nodes": flow_nodes,
        "edges": edges,
        "settings": { "reentry": "restart", "step_budget": 1000 }
    });
    serde_json::to_string_pretty(&flow).expect("a JSON value serializes")
}

/// Generates every flow and makes sure it is one a flow builder could publish.
fn flows() -> Vec<(usize, String)> {
    SIZES
        .iter()
        .map(|&nodes| {
            let source = journey(nodes);
            let checked = spool_flows::check(&source);
            let errors: Vec<_> = checked
                .diagnostics
                .iter()
                .filter(|d| d.is_error())
                .collect();
            assert!(
                errors.is_empty(),
                "the {nodes}-node flow has errors: {errors:#?}"
            );
            let compiled =
                spool_flows::compile_source(&source).expect("the generated flow compiles");
            assert_eq!(compiled.flow().nodes.len(), nodes);
            (nodes, source)
        })
        .collect()
}

fn configure(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    nodes: usize,
) {
    group.throughput(Throughput::Elements(nodes as u64));
    // A 10,000-node run takes a good part of a second; 10 samples keep the bench short.
    if nodes >= 10_000 {
        group
            .sample_size(10)
            .measurement_time(Duration::from_secs(20));
    } else {
        group
            .sample_size(50)
            .measurement_time(Duration::from_secs(8));
    }
}

fn bench(c: &mut Criterion) {
    let flows = flows();

    let mut group = c.benchmark_group("check");
    for (nodes, source) in &flows {
        configure(&mut group, *nodes);
        group.bench_with_input(
            BenchmarkId::from_parameter(nodes),
            source.as_str(),
            |b, source| {
                b.iter(|| spool_flows::check(black_box(source)));
            },
        );
    }
    group.finish();

    let mut group = c.benchmark_group("compile");
    for (nodes, source) in &flows {
        configure(&mut group, *nodes);
        group.bench_with_input(
            BenchmarkId::from_parameter(nodes),
            source.as_str(),
            |b, source| {
                b.iter(|| spool_flows::compile_source(black_box(source)));
            },
        );
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
