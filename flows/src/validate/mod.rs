//! Validation: every problem of a flow at once, as diagnostics on nodes and fields.
//!
//! Validation also produces what compilation needs (the node index, the port table and the
//! compiled expressions), so a flow is analysed once whether it is only checked or compiled.
//! The rules live by subject: the flow as a whole (`flow`), its graph (`graph`), the fields
//! every node shares (`node`), each node type's configuration (`config`) and WhatsApp's
//! limits on messages (`whatsapp`).

use std::collections::BTreeMap;

use petgraph::graph::{DiGraph, NodeIndex};

use crate::catalog::{NodeType, Port};
use crate::diagnostic::Diagnostic;
use crate::document::Flow;
use crate::expr::{CompiledTemplate, Compiler};
use crate::fields::Field;
use crate::window;

mod config;
mod flow;
mod graph;
mod node;
/// WhatsApp's limits on what a message may hold, in characters.
pub mod whatsapp;

/// The compiled expressions and templates of one node, keyed by their field path.
#[derive(Debug, Default)]
pub struct NodeArtifacts {
    pub expressions: Vec<(Field, rhai::AST)>,
    pub templates: Vec<(Field, CompiledTemplate)>,
}

/// For each node, its ports with the node each leads to.
pub(crate) type PortTable = Vec<Vec<(Port, Option<NodeIndex>)>>;

/// Everything validation learnt about a flow.
#[derive(Debug)]
pub(crate) struct Analysis {
    pub diagnostics: Vec<Diagnostic>,
    /// `graph` node `i` is `flow.nodes[i]`; edge weights are port names.
    pub graph: DiGraph<usize, String>,
    /// For each node, its ports with the node each leads to.
    pub ports: PortTable,
    pub artifacts: Vec<NodeArtifacts>,
    /// Edges along which the 24-hour window may be closed.
    pub closed_window: Vec<window::ClosedWindowEdge>,
}

/// Nodes that could not be typed, with the type they declared when it is a known one.
pub(crate) type Untyped = BTreeMap<String, Option<NodeType>>;

/// What the lenient reader knows beyond the typed flow.
#[derive(Debug, Default)]
pub(crate) struct Lenient {
    pub untyped: Untyped,
    /// For each kept edge, its index in the document (edges that could not be read are
    /// left out of the flow, but diagnostics must name the document's index).
    pub edge_positions: Vec<usize>,
}

impl Lenient {
    fn edge_position(&self, kept: usize) -> usize {
        self.edge_positions.get(kept).copied().unwrap_or(kept)
    }
}

pub(crate) fn analyse(flow: &Flow, lenient: &Lenient) -> Analysis {
    let untyped = &lenient.untyped;
    let mut diagnostics = Vec::new();
    let compiler = Compiler::new();

    let index = flow::node_ids(flow, &mut diagnostics);
    let may_start = flow::trigger(flow, untyped, &mut diagnostics);
    flow::hooks(flow, &mut diagnostics);
    flow::settings(&flow.settings, &mut diagnostics);

    let mut artifacts = Vec::with_capacity(flow.nodes.len());
    let mut ports: PortTable = Vec::with_capacity(flow.nodes.len());
    for node in &flow.nodes {
        let mut check = node::NodeCheck {
            node,
            compiler: &compiler,
            diagnostics: &mut diagnostics,
            artifacts: NodeArtifacts::default(),
        };
        check.config();
        check.configured_ports();
        artifacts.push(check.artifacts);
        ports.push(
            node.kind
                .ports()
                .into_iter()
                .map(|port| (port, None))
                .collect(),
        );
    }

    let (graph, into_untyped) = graph::connect(flow, lenient, &index, &mut ports, &mut diagnostics);
    // The first of several nodes sharing an id is the one edges reach.
    let owner = |position: usize| index.get(flow.nodes[position].id.as_str()) == Some(&position);
    graph::unconnected_ports(flow, &ports, &into_untyped, &owner, &mut diagnostics);
    // Without any trigger every node is unreachable; the missing trigger says it all.
    if may_start {
        graph::reachability(flow, &graph, untyped, &owner, &mut diagnostics);
    }
    graph::loops_without_wait(flow, &graph, &mut diagnostics);
    let closed_window = window::check(flow, &graph, &mut diagnostics);

    Analysis {
        diagnostics,
        graph,
        ports,
        artifacts,
        closed_window,
    }
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
