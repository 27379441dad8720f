//! Property tests of reading, validating and compiling flows.
//!
//! * Soups: random documents, mostly wrong (unknown types, broken configs, dangling edges,
//!   bogus ports, duplicate ids, truncated JSON). Checking and compiling them must never
//!   panic, and every diagnostic must say what is wrong.
//! * Valid flows: random flows built to compile (typed nodes, edges from real ports to real
//!   nodes, loops only through waiting steps). The compiled port table must follow the
//!   edges exactly, and the document must survive a JSON round trip unchanged.
//!
//! Run with `cargo test -p spool-flows --test properties`.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use spool_flows::{Code, Diagnostic, NodeType};

// ------------------------------------------------------------------ building blocks

/// `PROPTEST_CASES` raises (or lowers) the number of cases for a longer hunt.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(default)
}

/// A configuration every node type accepts; `variant` picks among a few shapes.
fn valid_config(node_type: NodeType, variant: usize) -> Value {
    match node_type {
        NodeType::InboundMessage => match variant % 4 {
            0 => json!({}),
            1 => {
                json!({ "match": { "type": "keyword", "keywords": ["hi", "start"], "case_sensitive": true } })
            }
            2 => json!({ "match": { "type": "regex", "pattern": "^order \\d+$" } }),
            _ => json!({ "match": { "type": "button_payload", "payload": "RESUME" } }),
        },
        NodeType::CtwaReferral => match variant % 2 {
            0 => json!({}),
            _ => json!({ "ad_ids": ["120210000000001", "120210000000002"] }),
        },
        NodeType::Webhook => match variant % 2 {
            0 => json!({ "hook": "cart-abandoned", "contact": "payload.customer.phone" }),
            _ => {
                json!({ "hook": "order_paid", "contact": "payload.phone", "secret": "shop_secret" })
            }
        },
        NodeType::Event => match variant % 2 {
            0 => json!({ "event": "tag_added", "tag": "vip" }),
            _ => json!({ "event": "opted_out" }),
        },
        NodeType::Broadcast => match variant % 2 {
            0 => json!({}),
            _ => json!({
                "tags": ["vip"],
                "segment": "contact.properties.city == \"Lisbon\"",
                "schedule": "2026-12-01T09:00:00Z"
            }),
        },
        NodeType::Condition => {
            let expression = [
                "payload.cart.total > 50",
                "vars.score >= 3 && contact.tags.contains(\"vip\")",
            ][variant % 2];
            json!({ "expression": expression })
        }
        NodeType::Switch => {
            let ports = port_names(variant, 1 + variant % 3);
            let cases: Vec<Value> = ports
                .iter()
                .enumerate()
                .map(|(i, port)| json!({ "port": port, "when": format!("vars.choice == {i}") }))
                .collect();
            json!({ "cases": cases })
        }
        NodeType::Split => {
            let ports = port_names(variant, 1 + variant % 3);
            let branches: Vec<Value> = ports
                .iter()
                .enumerate()
                .map(|(i, port)| json!({ "port": port, "weight": 10 * (i + 1) }))
                .collect();
            json!({ "branches": branches })
        }
        NodeType::Set => {
            let fixed = [json!("Lisbon"), Value::Null, json!(3)][variant % 3].clone();
            json!({ "assignments": [
                { "variable": "score", "value": { "expr": "vars.score + 1" } },
                { "variable": "city", "value": { "value": fixed } }
            ] })
        }
        NodeType::Delay => match variant % 2 {
            0 => {
                let duration = ["30m", "1h 30m", "2d"][variant % 3];
                json!({ "for": duration })
            }
            _ => json!({ "until": "payload.delivery_at - 3600" }),
        },
        NodeType::WaitForReply => match variant % 2 {
            0 => json!({ "variable": "answer", "timeout": "2h" }),
            _ => json!({
                "variable": "age",
                "expect": "number",
                "validation": "parse_int(msg.text) > 0",
                "retry_message": "Please write a number, {{ contact.name }}.",
                "retries": 3,
                "timeout": "1d"
            }),
        },
        NodeType::GotoFlow => json!({ "flow": "welcome-back" }),
        NodeType::End => json!({}),
        NodeType::SendText => match variant % 2 {
            0 => json!({ "text": "Hi {{ contact.name }}!" }),
            _ => {
                json!({ "text": "Olá {{ vars.city }} 🎉, total {{ payload.cart.total * 2 }}", "preview_url": true })
            }
        },
        NodeType::SendMedia => json!({
            "media": "image",
            "url": "https://cdn.example.com/{{ payload.sku }}.png",
            "caption": "Still thinking about it, {{ contact.name }}?"
        }),
        NodeType::SendButtons => {
            let ports = port_names(variant, 1 + variant % 3);
            let buttons: Vec<Value> = ports
                .iter()
                .enumerate()
                .map(|(i, port)| json!({ "id": port, "title": format!("Choice {i}") }))
                .collect();
            json!({ "text": "Pick one, {{ contact.name }}", "footer": "Spool", "buttons": buttons, "variable": "picked", "timeout": "1h" })
        }
        NodeType::SendList => {
            let ports = port_names(variant, 1 + variant % 3);
            let rows: Vec<Value> = ports
                .iter()
                .enumerate()
                .map(|(i, port)| json!({ "id": port, "title": format!("Row {i}"), "description": "A row" }))
                .collect();
            json!({ "text": "Choose", "button": "Options", "sections": [{ "title": "Main", "rows": rows }] })
        }
        NodeType::SendTemplate => json!({
            "name": "order_update",
            "language": (["en", "en_US", "pt_BR"][variant % 3]),
            "category": (["utility", "marketing"][variant % 2]),
            "body": ["{{ contact.name }}", "{{ payload.order.id }}"],
            "buttons": [{ "type": "quick_reply", "payload": "OK" }, { "type": "url", "text": "{{ payload.order.id }}" }]
        }),
        NodeType::Tag => json!({ "add": ["vip"], "remove": ["lead"] }),
        NodeType::UpdateContact => json!({
            "properties": { "city": { "value": "Lisbon" }, "score": { "expr": "vars.score" } },
            "name": "{{ msg.text }}",
            "marketing_opt_in": variant.is_multiple_of(2)
        }),
        NodeType::HttpRequest => json!({
            "method": (["GET", "POST", "PUT", "PATCH", "DELETE"][variant % 5]),
            "url": "https://api.example.com/contacts/{{ contact.phone }}",
            "headers": { "Authorization": "Bearer token" },
            "body": "{\"score\": {{ vars.score }}}",
            "timeout": "5s",
            "retries": 1,
            "save": { "status": "response.status" }
        }),
        NodeType::AiAgent => json!({
            "model": "gpt-4o-mini",
            "instructions": "Help {{ contact.name }} with their order.",
            "knowledge": ["We ship in 2 days."],
            "tools": [{ "name": "lookup_order", "description": "Find an order", "url": "https://api.example.com/orders" }],
            "max_turns": 5,
            "variable": "summary",
            "timeout": "2h"
        }),
        NodeType::Handoff => match variant % 2 {
            0 => json!({ "team": "support" }),
            _ => json!({ "team": "sales", "note": "Wants {{ payload.product }}", "timeout": "4h" }),
        },
    }
}

/// `count` distinct port names usable for buttons, rows, cases and branches.
fn port_names(variant: usize, count: usize) -> Vec<String> {
    const POOL: &[&str] = &[
        "yes", "no", "maybe", "a", "b", "c", "r1", "r2", "vip", "ação", "Later",
    ];
    (0..count)
        .map(|i| POOL[(variant + i * 3) % POOL.len()].to_owned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// The ports a node with this config has: the configured ones, then the fixed ones.
fn ports_of(node_type: NodeType, config: &Value) -> Vec<String> {
    let names = |list: &str, key: &str| -> Vec<String> {
        config[list]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|item| item[key].as_str().map(str::to_owned))
            .collect()
    };
    let mut ports = match node_type {
        NodeType::Switch => names("cases", "port"),
        NodeType::Split => names("branches", "port"),
        NodeType::SendButtons => names("buttons", "id"),
        NodeType::SendList => config["sections"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|section| section["rows"].as_array().into_iter().flatten())
            .filter_map(|row| row["id"].as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    ports.extend(node_type.fixed_ports().into_iter().map(|port| port.name));
    ports
}

/// Every diagnostic names a code and says something.
fn assert_diagnostics_speak(diagnostics: &[Diagnostic]) -> Result<(), TestCaseError> {
    for diagnostic in diagnostics {
        prop_assert!(
            !diagnostic.code.as_str().trim().is_empty(),
            "a diagnostic without a code: {diagnostic:?}"
        );
        prop_assert!(
            !diagnostic.message.trim().is_empty(),
            "a diagnostic without a message: {diagnostic:?}"
        );
        prop_assert!(
            Code::ALL.contains(&diagnostic.code),
            "a diagnostic with an undocumented code: {diagnostic:?}"
        );
    }
    // Errors come first.
    let first_warning = diagnostics
        .iter()
        .position(|d| !d.is_error())
        .unwrap_or(diagnostics.len());
    prop_assert!(
        diagnostics[first_warning..].iter().all(|d| !d.is_error()),
        "errors after warnings: {diagnostics:#?}"
    );
    Ok(())
}

// ------------------------------------------------------------------ soups

const BOGUS_TYPES: &[&str] = &["send_txt", "banana", "", "SEND_TEXT", "wait_for_replies"];
const SOUP_IDS: usize = 24;
const PORT_POOL: &[&str] = &[
    "next", "true", "false", "timeout", "error", "reply", "invalid", "ok", "done", "default",
    "other", "resolved", "handoff", "yes", "no", "maybe", "a", "b", "r1", "bogus", "", "NEXT",
    "next ",
];

/// A configuration that reads (every field has the right JSON type) but breaks a rule:
/// WhatsApp's limits, names, expressions, ranges, reserved or repeated ports.
fn wrong_config(node_type: NodeType, variant: usize) -> Value {
    let long = |n: usize| "x".repeat(n);
    let buttons = |ids: &[&str], titles: &[&str]| -> Value {
        ids.iter()
            .zip(titles)
            .map(|(id, title)| json!({ "id": id, "title": title }))
            .collect()
    };
    let rows = |n: usize| -> Value {
        (0..n)
            .map(|i| json!({ "id": format!("r{i}"), "title": format!("Row {i}") }))
            .collect()
    };
    let v = variant % 4;
    match node_type {
        NodeType::InboundMessage => match v {
            0 => json!({ "match": { "type": "regex", "pattern": "[a-" } }),
            1 => json!({ "match": { "type": "keyword", "keywords": [" ", ""] } }),
            _ => json!({ "match": { "type": "button_payload", "payload": "" } }),
        },
        NodeType::CtwaReferral => json!({ "ad_ids": [""] }),
        NodeType::Webhook => {
            json!({ "hook": "Bad Hook!", "contact": "cart.phone", "secret": "has space" })
        }
        NodeType::Event => json!({ "event": "tag_removed", "tag": "" }),
        NodeType::Broadcast => json!({ "segment": "vars.x +", "schedule": "tomorrow morning" }),
        NodeType::Condition => {
            json!({ "expression": (["cart.total > 1", "", "let x = 1; x", "vars.a ==== 2"][v]) })
        }
        NodeType::Switch => match v {
            0 => json!({ "cases": [] }),
            1 => {
                json!({ "cases": [{ "port": "default", "when": "true" }, { "port": "error", "when": "false" }] })
            }
            2 => {
                json!({ "cases": [{ "port": "a", "when": "who == 1" }, { "port": "a", "when": "vars.x" }] })
            }
            _ => {
                json!({ "cases": [{ "port": " a", "when": "true" }, { "port": "", "when": "false" }] })
            }
        },
        NodeType::Split => match v {
            0 => json!({ "branches": [] }),
            1 => {
                json!({ "branches": [{ "port": "a", "weight": 0 }, { "port": "b", "weight": 0 }] })
            }
            _ => {
                json!({ "branches": [{ "port": "error", "weight": 1 }, { "port": "x", "weight": 1 }, { "port": "x", "weight": 2 }] })
            }
        },
        NodeType::Set => match v {
            0 => json!({ "assignments": [] }),
            _ => {
                json!({ "assignments": [{ "variable": "1x", "value": { "expr": "vars." } }, { "variable": "", "value": { "value": 1 } }] })
            }
        },
        NodeType::Delay => match v {
            0 => json!({}),
            1 => json!({ "for": "1h", "until": "now + 60" }),
            _ => json!({ "for": "100d" }),
        },
        NodeType::WaitForReply => json!({
            "variable": "my var",
            "validation": "msg.text >",
            "retry_message": "Again {{",
            "retries": 11,
            "timeout": "100d"
        }),
        NodeType::GotoFlow => json!({ "flow": " " }),
        NodeType::End => json!({}),
        NodeType::SendText => match v {
            0 => json!({ "text": "" }),
            1 => json!({ "text": long(5000) }),
            _ => json!({ "text": "Hi {{ who }} {{ }}" }),
        },
        NodeType::SendMedia => {
            json!({ "media": "document", "url": "ftp://files.example.com/a.pdf", "caption": long(1100), "filename": "{{" })
        }
        NodeType::SendButtons => match v {
            0 => {
                json!({ "text": long(1100), "buttons": buttons(&["a", "b", "c", "d"], &["A", "B", "C", "D"]) })
            }
            1 => json!({ "text": "Pick", "buttons": buttons(&["a", "a"], &["Same", "Same"]) }),
            2 => {
                json!({ "text": "Pick", "header": long(70), "buttons": buttons(&["timeout", "b"], &[&long(25), ""]) })
            }
            _ => json!({ "text": "Pick", "buttons": [], "variable": "9lives", "timeout": "100d" }),
        },
        NodeType::SendList => match v {
            0 => {
                json!({ "text": "Choose", "button": "", "sections": [{ "title": "All", "rows": rows(11) }] })
            }
            1 => {
                json!({ "text": "Choose", "button": long(21), "sections": ((0..11).map(|i| json!({ "title": format!("S{i}"), "rows": [{ "id": format!("r{i}"), "title": "Row" }] })).collect::<Vec<_>>()) })
            }
            2 => {
                json!({ "text": "Choose", "button": "Open", "sections": [{ "title": long(30), "rows": [{ "id": "other", "title": long(30), "description": long(80) }] }] })
            }
            _ => json!({ "text": "Choose", "button": "Open", "sections": [] }),
        },
        NodeType::SendTemplate => json!({
            "name": "Bad Name",
            "language": "english",
            "category": "marketing",
            "body": ["{{ }}"],
            "buttons": ((0..11).map(|_| json!({ "type": "quick_reply", "payload": "" })).collect::<Vec<_>>())
        }),
        NodeType::Tag => match v {
            0 => json!({}),
            _ => json!({ "add": [""], "remove": [" "] }),
        },
        NodeType::UpdateContact => match v {
            0 => json!({}),
            _ => {
                json!({ "properties": { "1bad": { "value": 1 }, "ok": { "expr": "who" } }, "name": "{{" })
            }
        },
        NodeType::HttpRequest => json!({
            "method": "GET",
            "url": "ftp://x",
            "headers": { "X": "{{ }}" },
            "timeout": "10m",
            "retries": 9,
            "save": { "bad name": "resp.status", "ok": "response.status +" }
        }),
        NodeType::AiAgent => json!({
            "model": "",
            "instructions": "{{ who }}",
            "tools": [
                { "name": "dup", "description": "", "url": "nowhere" },
                { "name": "dup", "description": "Again", "url": "https://x" },
                { "name": "bad name!", "description": "Bad", "url": "https://x" }
            ],
            "max_turns": ([0, 101][variant % 2]),
            "variable": "",
            "timeout": "100d"
        }),
        NodeType::Handoff => json!({ "team": "", "note": "{{", "timeout": "100d" }),
    }
}

/// Text that expressions, templates, names and durations may be made of.
fn soup_text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "",
            " ",
            "{{",
            "}}",
            "{{ }}",
            "{{ contact.name",
            "{{ vars. }}",
            "{{ who }}",
            "{{ 1 +* 2 }}",
            "contact.name",
            "vars.x +",
            "eval(\"1\")",
            "let x = 1; x",
            "0s",
            "soon",
            "91d",
            "1h",
            "é{{ contact.name }}ü",
            "🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂",
            "http://",
            "ftp://x",
            "[a-",
            "(?P<x",
            "25:00",
            "\u{0}",
        ])
        .prop_map(str::to_owned),
        // Deep nesting and many placeholders: limits must turn these into diagnostics.
        (1usize..400).prop_map(|depth| format!("{}1{}", "(".repeat(depth), ")".repeat(depth))),
        (1usize..200).prop_map(|depth| format!("{}vars.x", "-!".repeat(depth))),
        (1usize..100).prop_map(|count| "{{ vars.x }}{{".repeat(count)),
        "[a-z{} .()\"0-9+*<>=&|\\[\\]_:-]{0,24}",
        "\\PC{0,16}",
    ]
}

/// One node of a soup. A node whose `damage` is below the soup's chaos threshold is built
/// from the other picks (any id, any type name, any config shape, odd node fields); the
/// others are tidy: id `n<index>`, a real type and a config that reads.
#[derive(Clone, Debug)]
struct SoupNode {
    damage: u8,
    id: u8,
    type_pick: u8,
    config_shape: u8,
    variant: u8,
    mutation_path: Vec<u8>,
    mutation: u8,
    node_shape: u8,
    text: String,
}

/// One edge of a soup: tidy edges leave an existing node through one of its ports; damaged
/// ones take any id and any port name, and may be malformed.
#[derive(Clone, Debug)]
struct SoupEdge {
    damage: u8,
    from: u8,
    port: u8,
    to: u8,
    shape: u8,
}

#[derive(Clone, Debug)]
struct Soup {
    /// 0: tidy documents (only the graph is random) … 3: everything may be wrong.
    chaos: u8,
    nodes: Vec<SoupNode>,
    edges: Vec<SoupEdge>,
    schema: u8,
    top_shape: u8,
    settings: u8,
    doc_shape: u8,
    cut: u16,
}

impl Soup {
    fn damaged(&self, damage: u8) -> bool {
        damage < [0, 6, 64, 255][self.chaos as usize % 4]
    }
}

fn soup_node() -> impl Strategy<Value = SoupNode> {
    (
        any::<u8>(),
        0..SOUP_IDS as u8 + 4,
        0..NodeType::ALL.len() as u8 + BOGUS_TYPES.len() as u8 + 2,
        0u8..13,
        any::<u8>(),
        prop::collection::vec(any::<u8>(), 0..4),
        0u8..9,
        0u8..10,
        soup_text(),
    )
        .prop_map(
            |(
                damage,
                id,
                type_pick,
                config_shape,
                variant,
                mutation_path,
                mutation,
                node_shape,
                text,
            )| SoupNode {
                damage,
                id,
                type_pick,
                config_shape,
                variant,
                mutation_path,
                mutation,
                node_shape,
                text,
            },
        )
}

fn soup_edge() -> impl Strategy<Value = SoupEdge> {
    (
        any::<u8>(),
        0..SOUP_IDS as u8 + 4,
        any::<u8>(),
        0..SOUP_IDS as u8 + 4,
        0u8..10,
    )
        .prop_map(|(damage, from, port, to, shape)| SoupEdge {
            damage,
            from,
            port,
            to,
            shape,
        })
}

fn soup() -> impl Strategy<Value = Soup> {
    (
        0u8..4,
        prop::collection::vec(soup_node(), 0..40),
        prop::collection::vec(soup_edge(), 0..60),
        0u8..8,
        0u8..8,
        0u8..8,
        0u8..12,
        any::<u16>(),
    )
        .prop_map(
            |(chaos, nodes, edges, schema, top_shape, settings, doc_shape, cut)| Soup {
                chaos,
                nodes,
                edges,
                schema,
                top_shape,
                settings,
                doc_shape,
                cut,
            },
        )
}

fn soup_id(pick: u8) -> Value {
    match pick as usize {
        pick if pick < SOUP_IDS => Value::String(format!("n{pick}")),
        pick if pick == SOUP_IDS => json!("ghost"),
        pick if pick == SOUP_IDS + 1 => json!(""),
        pick if pick == SOUP_IDS + 2 => json!(7),
        _ => Value::Null,
    }
}

/// Breaks one value inside `value`, walking down by `path`.
fn mutate(value: &mut Value, path: &[u8], mutation: u8, text: &str) {
    let child = match value {
        Value::Object(map) if !map.is_empty() && !path.is_empty() => {
            let key = map.keys().nth(path[0] as usize % map.len()).cloned();
            key.and_then(|key| map.get_mut(&key))
        }
        Value::Array(items) if !items.is_empty() && !path.is_empty() => {
            let at = path[0] as usize % items.len();
            items.get_mut(at)
        }
        _ => None,
    };
    if let Some(child) = child {
        if path.len() > 1 && (child.is_object() || child.is_array()) {
            return mutate(child, &path[1..], mutation, text);
        }
        *child = match mutation {
            0 => Value::Null,
            1 => json!(12),
            2 => json!(""),
            3 => json!("{{ broken"),
            4 => json!([]),
            5 => json!({ "nested": true }),
            6 => json!(-1),
            7 => json!(1e300),
            _ => Value::String(text.to_owned()),
        };
        return;
    }
    // Nothing to walk into: remove a key or add a bogus one.
    if let Value::Object(map) = value {
        match map.keys().next().cloned() {
            Some(key) if mutation.is_multiple_of(2) => {
                map.remove(&key);
            }
            _ => {
                map.insert("bogus".to_owned(), Value::String(text.to_owned()));
            }
        }
    }
}

/// A damaged node, or `None` for one that is not even an object.
fn damaged_node(node: &SoupNode) -> (Value, Option<(String, Vec<String>)>) {
    let type_pick = node.type_pick as usize;
    let real_type = NodeType::ALL.get(type_pick).copied();
    let type_value = match real_type {
        Some(node_type) => json!(node_type.name()),
        None => match BOGUS_TYPES.get(type_pick - NodeType::ALL.len()) {
            Some(name) => json!(name),
            None if type_pick.is_multiple_of(2) => json!(5),
            None => Value::Null, // no type at all
        },
    };
    // A type to take a config from: the node's own, or another one for a mismatch.
    let config_type =
        real_type.unwrap_or(NodeType::ALL[node.variant as usize % NodeType::ALL.len()]);
    let variant = node.variant as usize;
    let config = match node.config_shape {
        0 => None,
        1 => Some(Value::Null),
        2 => Some(json!({})),
        3 => Some(if variant.is_multiple_of(2) {
            json!("oops")
        } else {
            json!([1, 2])
        }),
        4 => Some(valid_config(
            NodeType::ALL[variant % NodeType::ALL.len()],
            variant / 23,
        )),
        5 | 6 => Some(valid_config(config_type, variant)),
        7 | 8 => Some(wrong_config(config_type, variant)),
        _ => {
            let mut config = valid_config(config_type, variant);
            mutate(&mut config, &node.mutation_path, node.mutation, &node.text);
            if node.config_shape == 12 {
                mutate(
                    &mut config,
                    &[node.variant, node.mutation],
                    node.mutation + 1,
                    &node.text,
                );
            }
            Some(config)
        }
    };
    let ports = match (real_type, &config) {
        (Some(node_type), Some(config)) => ports_of(node_type, config),
        _ => Vec::new(),
    };
    let id = soup_id(node.id);
    let mut object = Map::new();
    if !id.is_null() {
        object.insert("id".to_owned(), id.clone());
    }
    if !type_value.is_null() {
        object.insert("type".to_owned(), type_value);
    }
    if let Some(config) = config {
        object.insert("config".to_owned(), config);
    }
    match node.node_shape {
        0 => {
            object.insert("label".to_owned(), json!("Extra"));
        }
        1 => {
            object.insert("position".to_owned(), json!("top left"));
        }
        2 => {
            object.insert("position".to_owned(), json!({ "x": 1.5, "y": -2, "z": 0 }));
        }
        3 => return (Value::String(node.text.clone()), None),
        4 => {
            object.insert("position".to_owned(), Value::Null);
        }
        _ => {
            object.insert(
                "position".to_owned(),
                json!({ "x": f64::from(node.variant) * 10.0, "y": 20.0 }),
            );
        }
    }
    let meta = id.as_str().map(|id| (id.to_owned(), ports));
    (Value::Object(object), meta)
}

fn soup_json(soup: &Soup) -> String {
    let mut nodes = Vec::new();
    // Id and ports of every node that has them, for tidy edges.
    let mut known: Vec<(String, Vec<String>)> = Vec::new();
    for (index, node) in soup.nodes.iter().enumerate() {
        if soup.damaged(node.damage) {
            let (value, meta) = damaged_node(node);
            nodes.push(value);
            known.extend(meta);
        } else {
            let node_type = NodeType::ALL[node.type_pick as usize % NodeType::ALL.len()];
            let config = valid_config(node_type, node.variant as usize);
            let id = format!("n{index}");
            known.push((id.clone(), ports_of(node_type, &config)));
            nodes.push(json!({
                "id": id,
                "type": node_type.name(),
                "position": { "x": f64::from(node.variant), "y": index as f64 * 100.0 },
                "config": config,
            }));
        }
    }

    let edges: Vec<Value> = soup
        .edges
        .iter()
        .map(|edge| {
            let mut object = Map::new();
            if soup.damaged(edge.damage) || known.is_empty() {
                object.insert("from".to_owned(), soup_id(edge.from));
                object.insert(
                    "port".to_owned(),
                    json!(PORT_POOL[edge.port as usize % PORT_POOL.len()]),
                );
                object.insert("to".to_owned(), soup_id(edge.to));
                match edge.shape {
                    0 => {
                        object.remove("port");
                    }
                    1 => {
                        object.insert("label".to_owned(), json!("why"));
                    }
                    2 => return json!(["n0", "next", "n1"]),
                    3 => {
                        object.remove("from");
                    }
                    _ => {}
                }
            } else {
                let (from, ports) = &known[edge.from as usize % known.len()];
                let port = match ports.len() {
                    0 => PORT_POOL[edge.port as usize % PORT_POOL.len()].to_owned(),
                    len => ports[edge.port as usize % len].clone(),
                };
                let to = &known[edge.to as usize % known.len()].0;
                object.insert("from".to_owned(), json!(from));
                object.insert("port".to_owned(), json!(port));
                object.insert("to".to_owned(), json!(to));
            }
            Value::Object(object)
        })
        .collect();

    let tidy = soup.chaos == 0;
    let mut root = Map::new();
    match soup.schema {
        0 if !tidy => {}
        1 if !tidy => {
            root.insert("schema".to_owned(), json!(2));
        }
        2 if !tidy => {
            root.insert("schema".to_owned(), json!("1"));
        }
        _ => {
            root.insert("schema".to_owned(), json!(1));
        }
    }
    match soup.top_shape {
        0 if !tidy => {}
        1 if !tidy => {
            root.insert("id".to_owned(), json!(""));
            root.insert("name".to_owned(), json!(3));
        }
        2 if !tidy => {
            root.insert("id".to_owned(), json!("soup"));
            root.insert("name".to_owned(), json!("Soup"));
            root.insert("author".to_owned(), json!("nobody"));
            root.insert("description".to_owned(), json!(["not", "text"]));
        }
        _ => {
            root.insert("id".to_owned(), json!("soup"));
            root.insert("name".to_owned(), json!("Soup"));
            root.insert("description".to_owned(), json!("A random flow"));
        }
    }
    match soup.schema {
        6 if soup.top_shape == 0 && !tidy => {} // no nodes at all
        7 if soup.top_shape == 0 && !tidy => {
            root.insert("nodes".to_owned(), json!({ "not": "a list" }));
        }
        _ => {
            root.insert("nodes".to_owned(), Value::Array(nodes));
        }
    }
    match soup.settings {
        0 if !tidy => {
            root.insert("edges".to_owned(), json!("none"));
        }
        1 if !tidy => {
            root.insert("edges".to_owned(), Value::Null);
        }
        _ => {
            root.insert("edges".to_owned(), Value::Array(edges));
        }
    }
    let settings = match soup.settings {
        2 if !tidy => Some(json!({ "step_budget": 0, "burst_merge": "5m" })),
        3 if !tidy => Some(json!({ "quiet_hours": { "start": "25:00", "end": "25:00" } })),
        4 if !tidy => Some(json!({ "reentry": "sometimes", "colour": "blue" })),
        6 if !tidy => Some(json!([])),
        5 | 6 => Some(json!({
            "reentry": "queue",
            "burst_merge": "10s",
            "step_budget": 500,
            "quiet_hours": { "start": "21:00", "end": "08:00", "timezone": "Europe/Lisbon" }
        })),
        _ => None,
    };
    if let Some(settings) = settings {
        root.insert("settings".to_owned(), settings);
    }

    let text = serde_json::to_string(&Value::Object(root)).expect("a JSON value serializes");
    match soup.doc_shape {
        _ if tidy => text,
        0 => {
            // Cut anywhere (on a character boundary): malformed JSON.
            let mut at = soup.cut as usize % (text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            text[..at].to_owned()
        }
        1 => ["[]", "42", "null", "\"flow\"", "", "{", "{}"][soup.cut as usize % 7].to_owned(),
        2 => format!("{text} }}"),
        _ => text,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(256), ..ProptestConfig::default() })]

    /// Whatever the document, checking and compiling it answers with diagnostics, never a panic.
    #[test]
    fn soups_never_panic_and_every_diagnostic_speaks(soup in soup()) {
        let source = soup_json(&soup);
        let checked = spool_flows::check(&source);
        assert_diagnostics_speak(&checked.diagnostics)?;
        if !checked.has_errors() {
            prop_assert!(checked.flow.is_some(), "no errors, but no flow either");
        }
        if let Some(flow) = &checked.flow {
            // The typed entry points must cope with whatever was read.
            assert_diagnostics_speak(&spool_flows::validate(flow))?;
            let _ = spool_flows::compile(flow.clone());
        }
        match spool_flows::compile_source(&source) {
            Ok(compiled) => {
                prop_assert!(!checked.has_errors(), "compiled a flow that has errors: {:#?}", checked.diagnostics);
                prop_assert_eq!(compiled.warnings(), checked.diagnostics.as_slice());
            }
            Err(spool_flows::Error::Invalid(diagnostics)) => {
                prop_assert!(diagnostics.iter().any(Diagnostic::is_error), "refused without an error: {diagnostics:#?}");
                assert_diagnostics_speak(&diagnostics)?;
                let err = spool_flows::Error::Invalid(diagnostics);
                prop_assert!(!err.to_string().is_empty());
            }
        }
    }
}

// ------------------------------------------------------------------ valid flows

/// One generated node: its type, its config variant, and for each of its ports whether it
/// is connected and where (a pick resolved against the flow's size).
#[derive(Clone, Debug)]
struct ValidNode {
    type_pick: u8,
    variant: u8,
    x: i16,
    y: i16,
    /// Per port slot: `None` leaves it unconnected; `Some((target, twice))`.
    links: Vec<Option<(u16, bool)>>,
}

#[derive(Clone, Debug)]
struct ValidFlow {
    id_style: u8,
    nodes: Vec<ValidNode>,
    settings: u8,
    /// Rotates the list of edges, so their order in the document varies.
    edge_order_seed: u16,
}

fn valid_node() -> impl Strategy<Value = ValidNode> {
    (
        0..NodeType::ALL.len() as u8,
        any::<u8>(),
        any::<i16>(),
        any::<i16>(),
        prop::collection::vec(
            prop::option::weighted(0.75, (any::<u16>(), prop::bool::weighted(0.1))),
            8,
        ),
    )
        .prop_map(|(type_pick, variant, x, y, links)| ValidNode {
            type_pick,
            variant,
            x,
            y,
            links,
        })
}

fn valid_flow() -> impl Strategy<Value = ValidFlow> {
    (
        0u8..4,
        prop::collection::vec(valid_node(), 1..30),
        0u8..3,
        any::<u16>(),
    )
        .prop_map(|(id_style, nodes, settings, edge_order_seed)| ValidFlow {
            id_style,
            nodes,
            settings,
            edge_order_seed,
        })
}

struct Built {
    source: String,
    ids: Vec<String>,
    ports: Vec<Vec<String>>,
    edges: Vec<(String, String, String)>,
}

fn node_id(style: u8, i: usize) -> String {
    match style {
        0 => format!("n{i}"),
        1 => format!("step-{i:03}"),
        2 => format!("nó_{i} 🙂"),
        _ => format!("{i}"),
    }
}

fn build(flow: &ValidFlow) -> Built {
    let count = flow.nodes.len();
    let ids: Vec<String> = (0..count).map(|i| node_id(flow.id_style, i)).collect();
    let mut nodes = Vec::new();
    let mut ports = Vec::new();
    let mut edges = Vec::new();
    for (i, node) in flow.nodes.iter().enumerate() {
        // The first node starts the flow.
        let node_type = if i == 0 {
            NodeType::ALL
                .iter()
                .copied()
                .filter(|t| t.is_trigger())
                .nth(node.type_pick as usize % 5)
                .expect("5 triggers")
        } else {
            NodeType::ALL[node.type_pick as usize]
        };
        let mut config = valid_config(node_type, node.variant as usize);
        if let Some(hook) = config.get("hook").and_then(Value::as_str) {
            // Each webhook trigger of a flow needs a hook of its own.
            config["hook"] = json!(format!("{hook}-{i}"));
        }
        let node_ports = ports_of(node_type, &config);
        for (slot, port) in node_ports.iter().enumerate() {
            let Some(Some((pick, twice))) = node.links.get(slot) else {
                continue;
            };
            // Only nodes that wait may lead backwards (or to themselves), so every loop
            // passes through a wait.
            let target = if node_type.waits() {
                *pick as usize % count
            } else if i + 1 < count {
                i + 1 + *pick as usize % (count - i - 1)
            } else {
                continue;
            };
            let edge = (ids[i].clone(), port.clone(), ids[target].clone());
            if *twice {
                edges.push(edge.clone());
            }
            edges.push(edge);
        }
        nodes.push(json!({
            "id": ids[i],
            "type": node_type.name(),
            "position": { "x": f64::from(node.x) / 2.0, "y": f64::from(node.y) },
            "config": config,
        }));
        ports.push(node_ports);
    }
    // The order of edges in the document must not matter.
    if !edges.is_empty() {
        let shift = flow.edge_order_seed as usize % edges.len();
        edges.rotate_left(shift);
    }
    let settings = match flow.settings {
        0 => Value::Null,
        1 => json!({ "reentry": "restart", "step_budget": 200 }),
        _ => {
            json!({ "reentry": "queue", "burst_merge": "15s", "quiet_hours": { "start": "22:00", "end": "07:30", "timezone": "America/Sao_Paulo" } })
        }
    };
    let mut root = json!({
        "schema": 1,
        "id": "generated",
        "name": "Generated flow",
        "nodes": nodes,
        "edges": edges.iter().map(|(from, port, to)| json!({ "from": from, "port": port, "to": to })).collect::<Vec<_>>(),
    });
    if !settings.is_null() {
        root["settings"] = settings;
    }
    let source = serde_json::to_string_pretty(&root).expect("a JSON value serializes");
    Built {
        source,
        ids,
        ports,
        edges,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(256), ..ProptestConfig::default() })]

    /// A flow built right compiles, and its port table is exactly its edges.
    #[test]
    fn valid_flows_compile_and_follow_their_edges(flow in valid_flow()) {
        let built = build(&flow);
        let checked = spool_flows::check(&built.source);
        prop_assert!(!checked.has_errors(), "the generated flow has errors: {:#?}\n{}", checked.diagnostics, built.source);
        assert_diagnostics_speak(&checked.diagnostics)?;
        let compiled = match spool_flows::compile_source(&built.source) {
            Ok(compiled) => compiled,
            Err(err) => return Err(TestCaseError::fail(format!("does not compile: {err:?}"))),
        };

        // Every edge is followed.
        for (from, port, to) in &built.edges {
            let from_ix = compiled.node_index(from);
            prop_assert!(from_ix.is_some(), "no index for `{}`", from);
            let from_ix = from_ix.expect("checked above");
            prop_assert_eq!(compiled.next(from_ix, port), compiled.node_index(to), "edge {} -{}-> {}", from, port, to);
        }
        // Every port without an edge leads nowhere, and so does a port the node lacks.
        let connected: BTreeMap<(&str, &str), &str> =
            built.edges.iter().map(|(from, port, to)| ((from.as_str(), port.as_str()), to.as_str())).collect();
        for (id, ports) in built.ids.iter().zip(&built.ports) {
            let ix = compiled.node_index(id).expect("every node has an index");
            prop_assert_eq!(&compiled.node(ix).id, id);
            for port in ports {
                if !connected.contains_key(&(id.as_str(), port.as_str())) {
                    prop_assert_eq!(compiled.next(ix, port), None, "unconnected port {} of {}", port, id);
                }
            }
            prop_assert_eq!(compiled.next(ix, "no-such-port"), None);
            let names: Vec<&str> = compiled.ports(ix).iter().map(|(port, _)| port.name.as_str()).collect();
            prop_assert_eq!(names, ports.iter().map(String::as_str).collect::<Vec<_>>());
        }
        prop_assert_eq!(compiled.graph().edge_count(), connected.len());
        prop_assert_eq!(compiled.node_index("no-such-node"), None);

        // The typed entry points agree with the text ones.
        let typed = checked.flow.clone().expect("a flow without errors is read whole");
        prop_assert_eq!(&spool_flows::validate(&typed), &checked.diagnostics);
        let typed_compiled = spool_flows::compile(typed.clone());
        prop_assert!(typed_compiled.is_ok(), "the typed flow does not compile: {:?}", typed_compiled.err());
        let typed_compiled = typed_compiled.expect("checked above");
        prop_assert_eq!(typed_compiled.hash(), compiled.hash());

        // Round trip: the flow written back as JSON reads the same.
        let written = compiled.flow().to_json_pretty();
        let rechecked = spool_flows::check(&written);
        prop_assert_eq!(&rechecked.diagnostics, &checked.diagnostics);
        prop_assert_eq!(rechecked.flow.as_ref(), Some(compiled.flow()));
        let recompiled = spool_flows::compile_source(&written);
        prop_assert!(recompiled.is_ok(), "the written flow does not compile: {:?}", recompiled.err());
        let recompiled = recompiled.expect("checked above");
        prop_assert_eq!(recompiled.hash(), compiled.hash());

        // Moving nodes on the canvas does not change what the flow does.
        let mut moved = typed;
        for node in &mut moved.nodes {
            node.position.x += 100.0;
            node.position.y -= 50.0;
        }
        let moved = spool_flows::compile(moved).expect("moving nodes keeps the flow valid");
        prop_assert_eq!(moved.hash(), compiled.hash());
    }
}
