//! What changed between two flow documents, by node and edge: what the version history
//! summarises and what publishing checks against the contacts waiting in the live version.
//!
//! It reads documents as JSON, not as [`Flow`](crate::Flow)s, so an old version written
//! before a format change still compares. Positions are layout, not behaviour: moving a
//! node changes nothing here.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

/// The changes from one document to another.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Changes {
    /// Nodes only the new document has, in its order.
    pub added: Vec<String>,
    /// Nodes only the old document has, in its order.
    pub removed: Vec<String>,
    /// Nodes both have whose type or configuration differs, in the new document's order.
    pub changed: Vec<String>,
    /// Connections only the new document has.
    pub edges_added: usize,
    /// Connections only the old document has.
    pub edges_removed: usize,
    /// The flow's own settings or name differ.
    pub settings_changed: bool,
}

impl Changes {
    /// True when the documents behave the same (only positions may differ).
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

fn nodes(document: &Value) -> Vec<(String, Value)> {
    document
        .get("nodes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|node| {
            let id = node.get("id")?.as_str()?.to_owned();
            let mut behaviour = node.clone();
            if let Some(object) = behaviour.as_object_mut() {
                object.remove("position");
            }
            Some((id, behaviour))
        })
        .collect()
}

fn edges(document: &Value) -> BTreeSet<(String, String, String)> {
    let text = |edge: &Value, key: &str| {
        edge.get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    document
        .get("edges")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|edge| (text(edge, "from"), text(edge, "port"), text(edge, "to")))
        .collect()
}

/// What changed from `old` to `new`.
pub fn changes(old: &Value, new: &Value) -> Changes {
    let before: BTreeMap<String, Value> = nodes(old).into_iter().collect();
    let after = nodes(new);
    let after_ids: BTreeSet<&str> = after.iter().map(|(id, _)| id.as_str()).collect();
    let mut result = Changes::default();
    for (id, node) in &after {
        match before.get(id) {
            None => result.added.push(id.clone()),
            Some(old_node) if old_node != node => result.changed.push(id.clone()),
            Some(_) => {}
        }
    }
    result.removed = nodes(old)
        .into_iter()
        .map(|(id, _)| id)
        .filter(|id| !after_ids.contains(id.as_str()))
        .collect();
    let (old_edges, new_edges) = (edges(old), edges(new));
    result.edges_added = new_edges.difference(&old_edges).count();
    result.edges_removed = old_edges.difference(&new_edges).count();
    result.settings_changed =
        old.get("settings") != new.get("settings") || old.get("name") != new.get("name");
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn flow(nodes: Value, edges: Value) -> Value {
        json!({ "schema": 1, "id": "f", "name": "F", "nodes": nodes, "edges": edges })
    }

    #[test]
    fn moving_a_node_changes_nothing() {
        let old = flow(
            json!([{ "id": "a", "type": "end", "config": {}, "position": { "x": 0, "y": 0 } }]),
            json!([]),
        );
        let new = flow(
            json!([{ "id": "a", "type": "end", "config": {}, "position": { "x": 90, "y": 40 } }]),
            json!([]),
        );
        assert!(changes(&old, &new).is_empty());
    }

    #[test]
    fn nodes_and_connections_are_told_apart_by_id() {
        let old = flow(
            json!([
                { "id": "hi", "type": "send_text", "config": { "text": "Hi" } },
                { "id": "ask", "type": "wait_for_reply", "config": { "variable": "a" } },
                { "id": "bye", "type": "end", "config": {} }
            ]),
            json!([{ "from": "hi", "port": "next", "to": "ask" }, { "from": "ask", "port": "reply", "to": "bye" }]),
        );
        let new = flow(
            json!([
                { "id": "hi", "type": "send_text", "config": { "text": "Hello" } },
                { "id": "bye", "type": "end", "config": {} },
                { "id": "thanks", "type": "send_text", "config": { "text": "Thanks" } }
            ]),
            json!([{ "from": "hi", "port": "next", "to": "thanks" }, { "from": "thanks", "port": "next", "to": "bye" }]),
        );
        let found = changes(&old, &new);
        assert_eq!(found.added, ["thanks"]);
        assert_eq!(found.removed, ["ask"]);
        assert_eq!(found.changed, ["hi"]);
        assert_eq!((found.edges_added, found.edges_removed), (2, 2));
        assert!(!found.settings_changed);
    }
}
