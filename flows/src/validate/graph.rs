//! Graph rules: edges join existing nodes through ports they have, each port goes one way,
//! every trigger reaches every step, and no loop spins without waiting.

use std::collections::HashSet;

use petgraph::graph::{DiGraph, NodeIndex};

use super::{Lenient, PortTable, quoted};
use crate::catalog::PortRole;
use crate::diagnostic::{Code, Diagnostic};
use crate::document::Flow;

/// Ports that lead to a node the lenient reader could not type: connected, not checkable.
pub(super) type IntoUntyped = HashSet<(usize, usize)>;

/// Follows every edge: fills `ports` with where each leads and builds the graph, reporting
/// edges that cannot be followed. `index` maps an id to the position of the node owning it.
pub(super) fn connect(
    flow: &Flow,
    lenient: &Lenient,
    index: &std::collections::HashMap<&str, usize>,
    ports: &mut PortTable,
    diagnostics: &mut Vec<Diagnostic>,
) -> (DiGraph<usize, String>, IntoUntyped) {
    let untyped = &lenient.untyped;
    let mut graph = DiGraph::with_capacity(flow.nodes.len(), flow.edges.len());
    for position in 0..flow.nodes.len() {
        graph.add_node(position);
    }
    // Ports leading to a node that could not be read are connected, just not checkable.
    let mut into_untyped = IntoUntyped::new();
    for (kept, edge) in flow.edges.iter().enumerate() {
        let from = index.get(edge.from.as_str()).copied();
        let to = index.get(edge.to.as_str()).copied();
        let edge_index = lenient.edge_position(kept);
        let field = |end: &str| format!("edges[{edge_index}].{end}");
        if from.is_none() && !untyped.contains_key(&edge.from) {
            diagnostics.push(
                Diagnostic::error(
                    Code::EdgeFromUnknownNode,
                    format!(
                        "An edge starts at `{}`, but there is no node with that id.",
                        edge.from
                    ),
                )
                .on_field(field("from")),
            );
        }
        if to.is_none() && !untyped.contains_key(&edge.to) {
            let diagnostic = Diagnostic::error(
                Code::EdgeToUnknownNode,
                format!("The edge from `{}` through `{}` leads to `{}`, but there is no node with that id.", edge.from, edge.port, edge.to),
            )
            .on_field(field("to"));
            diagnostics.push(if from.is_some() {
                diagnostic.on_node(edge.from.clone())
            } else {
                diagnostic
            });
        }
        let Some(from) = from else { continue };
        let node = &flow.nodes[from];
        let Some(slot) = ports[from]
            .iter()
            .position(|(port, _)| port.name == edge.port)
        else {
            let names: Vec<&str> = ports[from]
                .iter()
                .map(|(port, _)| port.name.as_str())
                .collect();
            let has = if names.is_empty() {
                "it has no way out".to_owned()
            } else {
                format!("its ports are {}", quoted(&names))
            };
            diagnostics.push(
                Diagnostic::error(
                    Code::UnknownPort,
                    format!(
                        "A {} node has no port `{}`; {has}.",
                        node.kind.node_type().label(),
                        edge.port
                    ),
                )
                .on_node(node.id.clone())
                .on_field(field("port")),
            );
            continue;
        };
        let Some(to) = to else {
            into_untyped.insert((from, slot));
            continue;
        };
        let target = NodeIndex::new(to);
        match ports[from][slot].1 {
            Some(existing) if existing != target => diagnostics.push(
                Diagnostic::error(
                    Code::PortConnectedTwice,
                    format!(
                        "Port `{}` already leads to `{}`; a contact can only go one way. Remove one of the edges.",
                        edge.port, flow.nodes[existing.index()].id
                    ),
                )
                .on_node(node.id.clone())
                .on_field(field("port")),
            ),
            Some(_) => {} // the same edge twice changes nothing
            None => {
                ports[from][slot].1 = Some(target);
                graph.add_edge(NodeIndex::new(from), target, edge.port.clone());
            }
        }
    }
    (graph, into_untyped)
}

/// Warns about ports contacts normally take that lead nowhere. `owner` says whether a node
/// is the one its id names (the first of several nodes sharing an id).
pub(super) fn unconnected_ports(
    flow: &Flow,
    ports: &PortTable,
    into_untyped: &IntoUntyped,
    owner: &dyn Fn(usize) -> bool,
    diagnostics: &mut Vec<Diagnostic>,
) {
    for (position, node) in flow
        .nodes
        .iter()
        .enumerate()
        .filter(|(position, _)| owner(*position))
    {
        for (slot, (port, target)) in ports[position].iter().enumerate() {
            if target.is_some() || into_untyped.contains(&(position, slot)) {
                continue;
            }
            let on_port = |diagnostic: Diagnostic| {
                diagnostic
                    .on_node(node.id.clone())
                    .on_field(format!("ports.{}", port.name))
            };
            match port.role {
                PortRole::Main => diagnostics.push(on_port(Diagnostic::warning(
                    Code::UnconnectedPort,
                    format!("Port `{}` leads nowhere: contacts who go that way end their journey here.", port.name),
                ))),
                PortRole::Timeout => diagnostics.push(on_port(Diagnostic::warning(
                    Code::WaitTimeoutUnconnected,
                    "The `timeout` port leads nowhere: contacts who never answer will wait here forever. Connect it to a follow-up or an end.",
                ))),
                PortRole::Optional | PortRole::Error => {}
            }
        }
    }

    // Without any trigger every node is unreachable; the missing trigger says it all.
}

/// Warns about nodes no trigger leads to. Nodes that could not be typed count as possible
/// starts, so a misspelt trigger does not also mark its whole journey unreachable.
pub(super) fn reachability(
    flow: &Flow,
    graph: &DiGraph<usize, String>,
    untyped: &super::Untyped,
    owner: &dyn Fn(usize) -> bool,
    diagnostics: &mut Vec<Diagnostic>,
) {
    if flow.nodes.is_empty() {
        return;
    }
    let mut reached = vec![false; flow.nodes.len()];
    let mut stack: Vec<NodeIndex> = graph
        .node_indices()
        .filter(|ix| flow.nodes[ix.index()].kind.node_type().is_trigger())
        .collect();
    if !untyped.is_empty() {
        // Edges from untyped nodes were not kept; their targets are possible starts too.
        for edge in &flow.edges {
            if untyped.contains_key(&edge.from)
                && let Some(position) = flow.nodes.iter().position(|node| node.id == edge.to)
            {
                stack.push(NodeIndex::new(position));
            }
        }
    }
    while let Some(ix) = stack.pop() {
        if std::mem::replace(&mut reached[ix.index()], true) {
            continue;
        }
        stack.extend(graph.neighbors(ix));
    }
    for (position, node) in flow.nodes.iter().enumerate() {
        if !reached[position] && owner(position) && !node.kind.node_type().is_trigger() {
            diagnostics.push(
                Diagnostic::warning(
                    Code::UnreachableNode,
                    "No trigger leads here, so no contact will ever reach this step.",
                )
                .on_node(node.id.clone()),
            );
        }
    }
}

/// Errors on loops that pass through no waiting step: a contact entering one would be
/// stepped round it until the step budget stops the run.
pub(super) fn loops_without_wait(
    flow: &Flow,
    graph: &DiGraph<usize, String>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let waits = |ix: NodeIndex| flow.nodes[graph[ix]].kind.node_type().waits();
    let mut busy = DiGraph::<NodeIndex, ()>::with_capacity(graph.node_count(), graph.edge_count());
    let mut busy_index = vec![None; graph.node_count()];
    for ix in graph.node_indices().filter(|ix| !waits(*ix)) {
        busy_index[ix.index()] = Some(busy.add_node(ix));
    }
    for edge in graph.raw_edges() {
        if let (Some(from), Some(to)) = (
            busy_index[edge.source().index()],
            busy_index[edge.target().index()],
        ) {
            busy.add_edge(from, to, ());
        }
    }
    let mut loops: Vec<Vec<usize>> = petgraph::algo::tarjan_scc(&busy)
        .into_iter()
        .filter(|component| component.len() > 1 || busy.contains_edge(component[0], component[0]))
        .map(|component| {
            let mut positions: Vec<usize> = component.iter().map(|ix| busy[*ix].index()).collect();
            positions.sort_unstable();
            positions
        })
        .collect();
    loops.sort_unstable();
    for positions in loops {
        let ids: Vec<&str> = positions
            .iter()
            .map(|position| flow.nodes[*position].id.as_str())
            .collect();
        diagnostics.push(
            Diagnostic::error(
                Code::LoopWithoutWait,
                format!(
                    "These steps form a loop with nothing that waits ({}): a contact would go round it forever. Add a wait for reply or a delay inside the loop.",
                    quoted(&ids)
                ),
            )
            .on_node(ids[0].to_owned()),
        );
    }
}
