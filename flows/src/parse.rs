//! Reading a flow document leniently: every structural problem is reported, and what could be
//! read is kept so that the rest of the flow can still be checked.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::catalog::NodeType;
use crate::config::NodeKind;
use crate::diagnostic::{Code, Diagnostic, Location};
use crate::document::{Edge, Flow, Node, Note, Position, SCHEMA_VERSION, Settings};
use crate::validate::Lenient;

/// What could be read of a document.
#[derive(Debug)]
pub(crate) struct Partial {
    /// The flow with every node whose type and config could be read.
    pub flow: Flow,
    /// Nodes that could not be typed and the document's edge indices.
    pub lenient: Lenient,
    pub diagnostics: Vec<Diagnostic>,
}

const FLOW_FIELDS: &[&str] = &[
    "schema",
    "id",
    "name",
    "description",
    "nodes",
    "edges",
    "settings",
    "notes",
];
const NODE_FIELDS: &[&str] = &["id", "type", "position", "config"];
const EDGE_FIELDS: &[&str] = &["from", "port", "to"];

pub(crate) fn parse(source: &str) -> Result<Partial, Box<Diagnostic>> {
    let root: Value = serde_json::from_str(source).map_err(|err| {
        Diagnostic::error(
            Code::MalformedJson,
            format!("This is not valid JSON: {err}"),
        )
        .at(Location {
            line: err.line().max(1),
            column: err.column().max(1),
        })
    })?;
    let Value::Object(mut root) = root else {
        return Err(Box::new(Diagnostic::error(
            Code::InvalidFlow,
            "A flow must be a JSON object with `schema`, `id`, `name`, `nodes` and `edges`.",
        )));
    };

    let mut diagnostics = Vec::new();
    for key in root.keys() {
        if !FLOW_FIELDS.contains(&key.as_str()) {
            diagnostics.push(
                Diagnostic::error(
                    Code::InvalidFlow,
                    format!(
                        "A flow has no field `{key}`; its fields are {}.",
                        list(FLOW_FIELDS)
                    ),
                )
                .on_field(key.clone()),
            );
        }
    }

    let schema = match root.get("schema") {
        Some(Value::Number(number)) if number.as_u64() == Some(u64::from(SCHEMA_VERSION)) => {
            SCHEMA_VERSION
        }
        Some(Value::Number(other)) => {
            diagnostics.push(
                Diagnostic::error(
                    Code::UnsupportedSchema,
                    format!("`schema` is {other}, but this Spool reads version {SCHEMA_VERSION} of the flow format."),
                )
                .on_field("schema"),
            );
            SCHEMA_VERSION
        }
        Some(_) => {
            diagnostics.push(
                Diagnostic::error(
                    Code::InvalidFlow,
                    format!(
                        "`schema` must be the number {SCHEMA_VERSION}, written without quotes."
                    ),
                )
                .on_field("schema"),
            );
            SCHEMA_VERSION
        }
        None => {
            diagnostics.push(
                Diagnostic::error(
                    Code::InvalidFlow,
                    format!("`schema` is missing; write \"schema\": {SCHEMA_VERSION}."),
                )
                .on_field("schema"),
            );
            SCHEMA_VERSION
        }
    };
    let id = required_string(&root, "id", &mut diagnostics);
    let name = required_string(&root, "name", &mut diagnostics);
    let description = match root.get("description") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(text.clone()),
        Some(_) => {
            diagnostics.push(
                Diagnostic::error(Code::InvalidFlow, "`description` must be text.")
                    .on_field("description"),
            );
            None
        }
    };

    let mut untyped = BTreeMap::new();
    let nodes = match root.remove("nodes") {
        Some(Value::Array(items)) => {
            let mut seen = std::collections::HashSet::with_capacity(items.len());
            let mut nodes = Vec::with_capacity(items.len());
            for (index, item) in items.into_iter().enumerate() {
                if unique_id(index, &item, &mut seen, &mut diagnostics)
                    && let Some(node) = parse_node(index, item, &mut untyped, &mut diagnostics)
                {
                    nodes.push(node);
                }
            }
            nodes
        }
        Some(_) => {
            diagnostics.push(
                Diagnostic::error(Code::InvalidFlow, "`nodes` must be a list of nodes.")
                    .on_field("nodes"),
            );
            Vec::new()
        }
        None => {
            diagnostics.push(
                Diagnostic::error(Code::InvalidFlow, "`nodes` is missing.").on_field("nodes"),
            );
            Vec::new()
        }
    };
    let mut edge_positions = Vec::new();
    let edges = match root.remove("edges") {
        Some(Value::Array(items)) => items
            .into_iter()
            .enumerate()
            .filter_map(|(index, item)| {
                let edge = parse_edge(index, item, &mut diagnostics)?;
                edge_positions.push(index);
                Some(edge)
            })
            .collect(),
        None | Some(Value::Null) => Vec::new(),
        Some(_) => {
            diagnostics.push(
                Diagnostic::error(Code::InvalidFlow, "`edges` must be a list of edges.")
                    .on_field("edges"),
            );
            Vec::new()
        }
    };
    let settings = match root.remove("settings") {
        None | Some(Value::Null) => Settings::default(),
        Some(value) if !value.is_object() => {
            diagnostics.push(
                Diagnostic::error(
                    Code::InvalidSettings,
                    "`settings` must be an object, e.g. {\"reentry\": \"ignore\"}.",
                )
                .on_field("settings"),
            );
            Settings::default()
        }
        Some(value) => match serde_path_to_error::deserialize::<_, Settings>(value) {
            Ok(settings) => settings,
            Err(err) => {
                let (field, message) = describe_serde_error(&err, "settings");
                diagnostics.push(
                    Diagnostic::error(Code::InvalidSettings, format!("Flow settings: {message}"))
                        .on_field(field),
                );
                Settings::default()
            }
        },
    };
    let notes = match root.remove("notes") {
        None | Some(Value::Null) => Vec::new(),
        Some(value) => match serde_path_to_error::deserialize::<_, Vec<Note>>(value) {
            Ok(notes) => notes,
            Err(err) => {
                let (field, message) = describe_serde_error(&err, "notes");
                diagnostics.push(
                    Diagnostic::error(Code::InvalidFlow, format!("Notes: {message}"))
                        .on_field(field),
                );
                Vec::new()
            }
        },
    };

    let flow = Flow {
        schema,
        id,
        name,
        description,
        nodes,
        edges,
        settings,
        notes,
    };
    Ok(Partial {
        flow,
        lenient: Lenient {
            untyped,
            edge_positions,
        },
        diagnostics,
    })
}

fn required_string(
    root: &Map<String, Value>,
    key: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> String {
    match root.get(key) {
        Some(Value::String(text)) if !text.trim().is_empty() => text.clone(),
        Some(Value::String(_)) => {
            diagnostics.push(
                Diagnostic::error(Code::EmptyField, format!("`{key}` is empty.")).on_field(key),
            );
            String::new()
        }
        Some(_) => {
            diagnostics.push(
                Diagnostic::error(Code::InvalidFlow, format!("`{key}` must be text."))
                    .on_field(key),
            );
            String::new()
        }
        None => {
            diagnostics.push(
                Diagnostic::error(Code::InvalidFlow, format!("`{key}` is missing.")).on_field(key),
            );
            String::new()
        }
    }
}

/// Keeps the first node with an id; later ones are reported and left out, so edges reach
/// the first.
fn unique_id(
    index: usize,
    item: &Value,
    seen: &mut std::collections::HashSet<String>,
    diagnostics: &mut Vec<Diagnostic>,
) -> bool {
    let Some(id) = item.get("id").and_then(Value::as_str) else {
        return true;
    };
    if seen.insert(id.to_owned()) {
        return true;
    }
    diagnostics.push(
        Diagnostic::error(
            Code::DuplicateNodeId,
            format!("Another node already has the id `{id}`; ids must be unique."),
        )
        .on_node(id)
        .on_field(format!("nodes[{index}].id")),
    );
    false
}

fn parse_node(
    index: usize,
    item: Value,
    untyped: &mut BTreeMap<String, Option<NodeType>>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Node> {
    let at = format!("nodes[{index}]");
    let Value::Object(mut object) = item else {
        diagnostics.push(
            Diagnostic::error(
                Code::InvalidNode,
                format!("Node {} is not an object.", index + 1),
            )
            .on_field(at),
        );
        return None;
    };
    let id = match object.get("id") {
        Some(Value::String(id)) if !id.is_empty() => id.clone(),
        _ => {
            diagnostics.push(
                Diagnostic::error(
                    Code::InvalidNode,
                    format!("Node {} has no `id` (a non-empty text).", index + 1),
                )
                .on_field(format!("{at}.id")),
            );
            return None;
        }
    };
    let node_diagnostic = |code: Code, message: String, field: String| {
        Diagnostic::error(code, message)
            .on_node(id.clone())
            .on_field(field)
    };

    for key in object.keys() {
        if !NODE_FIELDS.contains(&key.as_str()) {
            diagnostics.push(node_diagnostic(
                Code::InvalidNode,
                format!(
                    "A node has no field `{key}`; its fields are {}. Settings go inside `config`.",
                    list(NODE_FIELDS)
                ),
                key.clone(),
            ));
        }
    }

    let position = match object.remove("position") {
        None | Some(Value::Null) => Position::default(),
        Some(value) => serde_json::from_value(value).unwrap_or_else(|_| {
            diagnostics.push(node_diagnostic(
                Code::InvalidNode,
                "`position` must be {\"x\": number, \"y\": number}.".to_owned(),
                "position".to_owned(),
            ));
            Position::default()
        }),
    };

    let type_name = match object.get("type") {
        Some(Value::String(name)) => name.clone(),
        _ => {
            diagnostics.push(node_diagnostic(
                Code::InvalidNode,
                "The node has no `type`.".to_owned(),
                "type".to_owned(),
            ));
            untyped.insert(id, None);
            return None;
        }
    };
    let Some(node_type) = NodeType::from_name(&type_name) else {
        let hint = NodeType::closest_name(&type_name)
            .map(|name| format!(" Did you mean `{name}`?"))
            .unwrap_or_default();
        diagnostics.push(node_diagnostic(
            Code::UnknownNodeType,
            format!("`{type_name}` is not a node type.{hint}"),
            "type".to_owned(),
        ));
        untyped.insert(id, None);
        return None;
    };

    let config = match object.remove("config") {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(config @ Value::Object(_)) => config,
        Some(_) => {
            diagnostics.push(node_diagnostic(
                Code::InvalidConfig,
                "`config` must be an object.".to_owned(),
                "config".to_owned(),
            ));
            untyped.insert(id, Some(node_type));
            return None;
        }
    };
    // Tag first, so the adjacently tagged enum reads the config in one pass and keeps its path.
    let mut tagged = Map::with_capacity(2);
    tagged.insert("type".to_owned(), Value::String(type_name.clone()));
    tagged.insert("config".to_owned(), config);
    match serde_path_to_error::deserialize::<_, NodeKind>(Value::Object(tagged)) {
        Ok(kind) => Some(Node { id, position, kind }),
        Err(err) => {
            let (field, message) = describe_serde_error(&err, "");
            diagnostics.push(node_diagnostic(
                Code::InvalidConfig,
                format!("This {type_name} node's settings are wrong: {message}"),
                field,
            ));
            untyped.insert(id, Some(node_type));
            None
        }
    }
}

fn parse_edge(index: usize, item: Value, diagnostics: &mut Vec<Diagnostic>) -> Option<Edge> {
    let at = format!("edges[{index}]");
    let Value::Object(object) = item else {
        diagnostics.push(
            Diagnostic::error(
                Code::InvalidEdge,
                format!("Edge {} is not an object.", index + 1),
            )
            .on_field(at),
        );
        return None;
    };
    let from_node = object
        .get("from")
        .and_then(Value::as_str)
        .filter(|from| !from.is_empty())
        .map(str::to_owned);
    let with_node = |diagnostic: Diagnostic| match &from_node {
        Some(from) => diagnostic.on_node(from.clone()),
        None => diagnostic,
    };
    let mut ok = true;
    for key in object.keys() {
        if !EDGE_FIELDS.contains(&key.as_str()) {
            diagnostics.push(with_node(
                Diagnostic::error(
                    Code::InvalidEdge,
                    format!(
                        "An edge has no field `{key}`; its fields are {}.",
                        list(EDGE_FIELDS)
                    ),
                )
                .on_field(format!("{at}.{key}")),
            ));
            ok = false;
        }
    }
    let mut text = |key: &str| match object.get(key) {
        Some(Value::String(value)) if !value.is_empty() => Some(value.clone()),
        _ => {
            diagnostics.push(with_node(
                Diagnostic::error(
                    Code::InvalidEdge,
                    format!("Edge {} has no `{key}` (a non-empty text).", index + 1),
                )
                .on_field(format!("{at}.{key}")),
            ));
            None
        }
    };
    let (from, port, to) = (text("from"), text("port"), text("to"));
    match (from, port, to, ok) {
        (Some(from), Some(port), Some(to), true) => Some(Edge { from, port, to }),
        _ => None,
    }
}

/// Turns a serde error into (field path, message a person can act on).
fn describe_serde_error(
    err: &serde_path_to_error::Error<serde_json::Error>,
    prefix: &str,
) -> (String, String) {
    let mut path = err.path().to_string();
    if path == "." {
        path.clear();
    }
    let message = err.inner().to_string();
    // serde reports a missing field at its parent, and an unknown field inside a tagged
    // choice at the choice; point at the field itself.
    let named = |prefix: &str| {
        message
            .strip_prefix(prefix)
            .and_then(|rest| rest.split('`').next())
            .map(str::to_owned)
    };
    if let Some(field) = named("missing field `").or_else(|| named("unknown field `"))
        && !path.ends_with(&field)
    {
        path = join(&path, &field);
    }
    let field = join(prefix, &path);
    let field = if field.is_empty() {
        "config".to_owned()
    } else {
        field
    };
    (field, message)
}

fn join(prefix: &str, path: &str) -> String {
    match (prefix.is_empty(), path.is_empty()) {
        (true, _) => path.to_owned(),
        (false, true) => prefix.to_owned(),
        (false, false) if path.starts_with('[') => format!("{prefix}{path}"),
        (false, false) => format!("{prefix}.{path}"),
    }
}

fn list(fields: &[&str]) -> String {
    fields
        .iter()
        .map(|field| format!("`{field}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
