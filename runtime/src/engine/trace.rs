//! The step-by-step account of a run the simulator shows: each step's node, what it did and
//! the variables it changed. Recorded only when the engine is configured to trace.

use serde_json::Value;
use spool_nodes::Run;

use super::{Engine, Transition};

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct TraceStep {
    pub run_id: String,
    pub node_id: String,
    /// `entered`, `resumed`, `left:<port>`, `waiting`, `ended`, `failed:<code>`…
    pub what: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The run's variables this step set (name → new value) or removed (name → null).
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub vars_changed: serde_json::Map<String, Value>,
}

impl Engine {
    pub(super) fn trace(
        &self,
        tx: &mut Transition,
        run: &Run,
        node_id: &str,
        what: &str,
        detail: Option<String>,
    ) {
        if self.config.trace {
            self.trace_changes(tx, run, node_id, what, detail, serde_json::Map::new());
        }
    }

    pub(super) fn trace_changes(
        &self,
        tx: &mut Transition,
        run: &Run,
        node_id: &str,
        what: &str,
        detail: Option<String>,
        vars_changed: serde_json::Map<String, Value>,
    ) {
        if self.config.trace {
            tx.trace.push(TraceStep {
                run_id: run.id.clone(),
                node_id: node_id.to_owned(),
                what: what.to_owned(),
                detail,
                vars_changed,
            });
        }
    }
}

/// What a step did to a run's variables: each one set to a new value, and each one removed
/// (as null).
pub(super) fn vars_diff(
    before: &serde_json::Map<String, Value>,
    after: &serde_json::Map<String, Value>,
) -> serde_json::Map<String, Value> {
    let mut changed: serde_json::Map<String, Value> = after
        .iter()
        .filter(|(name, value)| before.get(*name) != Some(*value))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    for name in before.keys() {
        if !after.contains_key(name) {
            changed.insert(name.clone(), Value::Null);
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::{Value, json};
    use spool_nodes::{Content, InboundMessage, Millis};

    use super::super::{Engine, EngineConfig};
    use crate::flows::FlowRegistry;
    use crate::http::NoServices;
    use crate::state::{ContactState, Event, contact_id_for};

    const FLOW: &str = r#"{
        "schema": 1, "id": "quiz", "name": "quiz",
        "nodes": [
            { "id": "hi", "type": "inbound_message", "config": {} },
            { "id": "remember", "type": "set", "config": { "assignments": [
                { "variable": "greeting", "value": { "expr": "msg.text" } },
                { "variable": "tries", "value": { "value": 1 } }
            ] } },
            { "id": "ask", "type": "wait_for_reply", "config": { "variable": "answer", "timeout": "1h" } },
            { "id": "bye", "type": "end", "config": {} }
        ],
        "edges": [
            { "from": "hi", "port": "next", "to": "remember" },
            { "from": "remember", "port": "next", "to": "ask" },
            { "from": "ask", "port": "reply", "to": "bye" },
            { "from": "ask", "port": "timeout", "to": "bye" }
        ]
    }"#;

    fn engine(trace: bool) -> Engine {
        let flows = Arc::new(FlowRegistry::new());
        flows.publish(spool_flows::compile_source(FLOW).expect("the test flow compiles"));
        let config = EngineConfig {
            trace,
            ..EngineConfig::default()
        };
        Engine::new(flows, Arc::new(NoServices), config)
    }

    fn text(id: &str, body: &str, at: Millis) -> Event {
        Event::inbound(
            InboundMessage {
                id: id.into(),
                from: "4915100000001".into(),
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

    #[test]
    fn the_trace_says_which_variables_each_step_changed() {
        let engine = engine(true);
        let mut state = ContactState::default();
        let tx = engine.apply(&mut state, &text("m1", "hello", 1_000), 1_000);
        let set = tx
            .trace
            .iter()
            .find(|step| step.node_id == "remember" && step.what == "entered")
            .expect("the set node is in the trace");
        assert_eq!(
            Value::Object(set.vars_changed.clone()),
            json!({ "greeting": "hello", "tries": 1 })
        );
        assert!(
            tx.trace
                .iter()
                .filter(|step| step.node_id != "remember")
                .all(|step| step.vars_changed.is_empty()),
            "{:?}",
            tx.trace
        );
        let tx = engine.apply(&mut state, &text("m2", "42", 2_000), 2_000);
        let resumed = tx
            .trace
            .iter()
            .find(|step| step.node_id == "ask" && step.what == "resumed")
            .expect("the wait is resumed");
        assert_eq!(
            Value::Object(resumed.vars_changed.clone()),
            json!({ "answer": "42" })
        );
        assert_eq!(state.contact.id, contact_id_for("4915100000001"));
    }

    #[test]
    fn without_tracing_nothing_is_recorded() {
        let engine = engine(false);
        let mut state = ContactState::default();
        let tx = engine.apply(&mut state, &text("m1", "hello", 1_000), 1_000);
        assert!(tx.trace.is_empty());
        assert_eq!(state.runs[0].vars.get("greeting"), Some(&json!("hello")));
    }
}
