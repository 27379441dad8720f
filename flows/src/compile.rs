//! A validated flow compiled for the interpreter: a petgraph graph, a port table with O(1)
//! "next node for (node, port)", precompiled expressions and templates, and a content hash.

use std::collections::HashMap;

use petgraph::graph::{DiGraph, NodeIndex};
use sha2::{Digest, Sha256};

use crate::catalog::Port;
use crate::diagnostic::Diagnostic;
use crate::document::{Flow, Node, Position};
use crate::expr::CompiledTemplate;
use crate::fields::Field;
use crate::validate::{Analysis, NodeArtifacts};

/// A flow ready to run. Built only from a flow without errors; keeps its warnings.
#[derive(Debug)]
pub struct CompiledFlow {
    flow: Flow,
    hash: String,
    graph: DiGraph<usize, String>,
    index: HashMap<String, NodeIndex>,
    ports: Vec<Vec<(Port, Option<NodeIndex>)>>,
    artifacts: Vec<NodeArtifacts>,
    triggers: Vec<NodeIndex>,
    warnings: Vec<Diagnostic>,
}

impl CompiledFlow {
    pub(crate) fn new(flow: Flow, analysis: Analysis) -> Self {
        let Analysis {
            diagnostics,
            graph,
            ports,
            artifacts,
            closed_window: _,
        } = analysis;
        let index = flow
            .nodes
            .iter()
            .enumerate()
            .map(|(position, node)| (node.id.clone(), NodeIndex::new(position)))
            .collect();
        let triggers = graph
            .node_indices()
            .filter(|ix| flow.nodes[ix.index()].kind.node_type().is_trigger())
            .collect();
        let hash = content_hash(&flow);
        Self {
            flow,
            hash,
            graph,
            index,
            ports,
            artifacts,
            triggers,
            warnings: diagnostics,
        }
    }

    pub fn flow(&self) -> &Flow {
        &self.flow
    }

    /// Identifies this version by what it does: two documents that differ only in where the
    /// editor draws their nodes have the same hash.
    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// Node weights are positions in `flow().nodes`; edge weights are port names.
    pub fn graph(&self) -> &DiGraph<usize, String> {
        &self.graph
    }

    pub fn node_index(&self, id: &str) -> Option<NodeIndex> {
        self.index.get(id).copied()
    }

    pub fn node(&self, ix: NodeIndex) -> &Node {
        &self.flow.nodes[ix.index()]
    }

    /// The node a contact goes to when leaving `ix` through `port`; `None` when the port
    /// leads nowhere (or the node has no such port). A node has a handful of ports at most,
    /// so this costs the same whatever the size of the flow.
    pub fn next(&self, ix: NodeIndex, port: &str) -> Option<NodeIndex> {
        self.ports
            .get(ix.index())?
            .iter()
            .find(|(candidate, _)| candidate.name == port)
            .and_then(|(_, target)| *target)
    }

    /// Every port of a node with where it leads.
    pub fn ports(&self, ix: NodeIndex) -> &[(Port, Option<NodeIndex>)] {
        &self.ports[ix.index()]
    }

    /// The compiled expression in a node's field, e.g. [`crate::fields::EXPRESSION`].
    pub fn expression(&self, ix: NodeIndex, field: &Field) -> Option<&rhai::AST> {
        self.artifacts
            .get(ix.index())?
            .expressions
            .iter()
            .find(|(name, _)| name == field)
            .map(|(_, ast)| ast)
    }

    /// The compiled template in a node's field, e.g. [`crate::fields::TEXT`].
    pub fn template(&self, ix: NodeIndex, field: &Field) -> Option<&CompiledTemplate> {
        self.artifacts
            .get(ix.index())?
            .templates
            .iter()
            .find(|(name, _)| name == field)
            .map(|(_, template)| template)
    }

    pub fn triggers(&self) -> &[NodeIndex] {
        &self.triggers
    }

    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }
}

fn content_hash(flow: &Flow) -> String {
    let mut canonical = flow.clone();
    // Where things are drawn and the notes beside them are not part of the journey.
    for node in &mut canonical.nodes {
        node.position = Position::default();
    }
    canonical.notes.clear();
    let bytes = serde_json::to_vec(&canonical).unwrap_or_default();
    hex::encode(Sha256::digest(&bytes))
}
