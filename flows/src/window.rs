//! The static 24-hour window check.
//!
//! WhatsApp delivers free-form messages only within 24 hours of the contact's last message.
//! For every node this computes the longest time that may have passed since the contact last
//! wrote, along any path from a trigger, and warns on free-form sends where that may exceed
//! 24 hours. Only the contact writing reopens the window: a template does not (it invites a
//! reply, and the reply reopens it). A journey started by a webhook, an event or a broadcast
//! cannot know when the contact last wrote, so it starts as if the window were closed.
//!
//! The same numbers give the editor its marks: every edge along which the window may be
//! closed, with the reason ([`ClosedWindowEdge`]).

use petgraph::Direction;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

use serde::Serialize;

use crate::config::NodeKind;
use crate::diagnostic::{Code, Diagnostic};
use crate::document::Flow;

const WINDOW_SECS: u64 = 24 * 3600;
/// Anything past the window is the same for this check; capping keeps loops finite.
const PAST_WINDOW: u64 = WINDOW_SECS + 1;

/// An edge along which the 24-hour window may be closed: the one leaving `node_id` through
/// `port` (a port leads to one node only).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClosedWindowEdge {
    pub node_id: String,
    pub port: String,
    /// Why, in words for the person building the journey.
    pub reason: String,
}

/// What closed the window, when it may be closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Closed {
    /// A webhook, an event or a broadcast started the journey.
    ByTheStart,
    /// Delays, waits and timeouts on the way add up to more than 24 hours.
    ByWaiting,
}

impl Closed {
    fn reason(self) -> &'static str {
        match self {
            Self::ByTheStart => {
                "The journey starts without the contact writing (a webhook, an event or a broadcast), so the 24-hour window may be closed here: WhatsApp delivers only templates until the contact replies."
            }
            Self::ByWaiting => {
                "More than 24 hours may have passed here since the contact last wrote (the delays and waits before this add up): WhatsApp delivers only templates until the contact replies."
            }
        }
    }
}

/// Seconds since the contact last wrote, at most [`PAST_WINDOW`], and what closed the window
/// when it is past.
#[derive(Clone, Copy, Debug)]
struct Since {
    secs: u64,
    closed: Closed,
}

impl Since {
    fn is_past(self) -> bool {
        self.secs > WINDOW_SECS
    }

    /// Leaving `kind` through `port` after entering it at `self`.
    fn leaving(self, kind: &NodeKind, port: &str) -> Self {
        let secs = leaving(kind, port, self.secs);
        // Past already: the same cause; just past: the waiting did it.
        let closed = if self.is_past() {
            self.closed
        } else {
            Closed::ByWaiting
        };
        Self { secs, closed }
    }
}

/// Seconds since the contact last wrote when leaving `kind` through `port`, given the seconds
/// on entering it.
fn leaving(kind: &NodeKind, port: &str, entered: u64) -> u64 {
    let after = |secs: u64| entered.saturating_add(secs).min(PAST_WINDOW);
    match kind {
        // The contact just wrote (an answer, a tap, a conversation turn).
        NodeKind::WaitForReply(_) if port == "reply" || port == "invalid" => 0,
        NodeKind::WaitForReply(wait) => after(wait.timeout.as_secs()),
        NodeKind::SendButtons(send) if port == "timeout" => after(send.timeout.as_secs()),
        NodeKind::SendList(send) if port == "timeout" => after(send.timeout.as_secs()),
        NodeKind::SendButtons(_) | NodeKind::SendList(_) if port != "error" => 0,
        NodeKind::AiAgent(_) if port == "done" || port == "handoff" => 0,
        NodeKind::Handoff(_) if port == "resolved" => 0,
        NodeKind::Handoff(handoff) => after(handoff.timeout.map_or(0, |timeout| timeout.as_secs())),
        // A computed delay (`until`) is unknown here; only fixed ones are counted.
        NodeKind::Delay(delay) => after(delay.duration.map_or(0, |duration| duration.as_secs())),
        _ => entered,
    }
}

/// Warns on free-form sends the window may be closed for; returns the edges it may be closed
/// along.
pub(crate) fn check(
    flow: &Flow,
    graph: &DiGraph<usize, String>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<ClosedWindowEdge> {
    let kind = |ix: NodeIndex| &flow.nodes[graph[ix]].kind;
    let entered = entered(flow, graph);

    for ix in graph.node_indices() {
        let node = &flow.nodes[graph[ix]];
        if node.kind.node_type().sends_free_form()
            && entered[ix.index()].is_some_and(Since::is_past)
        {
            diagnostics.push(
                Diagnostic::warning(
                    Code::WindowMayBeClosed,
                    "This message may go out more than 24 hours after the contact last wrote (or before they ever wrote), when WhatsApp only delivers templates. Send a template and wait for the reply before it, or connect its error port.",
                )
                .on_node(node.id.clone()),
            );
        }
    }

    graph
        .edge_references()
        .filter_map(|edge| {
            let out = entered[edge.source().index()]?.leaving(kind(edge.source()), edge.weight());
            out.is_past().then(|| ClosedWindowEdge {
                node_id: flow.nodes[graph[edge.source()]].id.clone(),
                port: edge.weight().clone(),
                reason: out.closed.reason().to_owned(),
            })
        })
        .collect()
}

/// For every node a contact can reach, the longest time since the contact last wrote when
/// entering it, along any path from a trigger.
fn entered(flow: &Flow, graph: &DiGraph<usize, String>) -> Vec<Option<Since>> {
    let kind = |ix: NodeIndex| &flow.nodes[graph[ix]].kind;
    let mut entered: Vec<Option<Since>> = vec![None; graph.node_count()];
    for ix in graph.node_indices() {
        entered[ix.index()] = match kind(ix) {
            // The contact has just written.
            NodeKind::InboundMessage(_) | NodeKind::CtwaReferral(_) => Some(Since {
                secs: 0,
                closed: Closed::ByWaiting,
            }),
            // Started by the business: the contact may not have written for days, or ever.
            NodeKind::Webhook(_) | NodeKind::Event(_) | NodeKind::Broadcast(_) => Some(Since {
                secs: PAST_WINDOW,
                closed: Closed::ByTheStart,
            }),
            _ => None,
        };
    }

    // Components in topological order: values flow forward once; inside a loop they are
    // relaxed until stable. tarjan_scc returns them in reverse topological order.
    let mut components = petgraph::algo::tarjan_scc(graph);
    components.reverse();
    let mut component_of = vec![0; graph.node_count()];
    for (number, component) in components.iter().enumerate() {
        for ix in component {
            component_of[ix.index()] = number;
        }
    }
    let relax =
        |entered: &mut Vec<Option<Since>>, from: NodeIndex, to: NodeIndex, port: &str| -> bool {
            let Some(value) = entered[from.index()] else {
                return false;
            };
            let out = value.leaving(kind(from), port);
            match entered[to.index()] {
                Some(existing) if existing.secs >= out.secs => false,
                _ => {
                    entered[to.index()] = Some(out);
                    true
                }
            }
        };

    for (number, component) in components.iter().enumerate() {
        if component.len() > 1 || graph.contains_edge(component[0], component[0]) {
            // Longest paths with a cap: values only grow and are bounded, so this ends.
            let mut rounds = 0;
            loop {
                let mut grown = Vec::new();
                for &from in component {
                    for edge in graph.edges_directed(from, Direction::Outgoing) {
                        if component_of[edge.target().index()] == number
                            && relax(&mut entered, from, edge.target(), edge.weight())
                        {
                            grown.push(edge.target());
                        }
                    }
                }
                if grown.is_empty() {
                    break;
                }
                rounds += 1;
                if rounds > component.len() {
                    // Still growing after every simple path was tried: some loop adds time
                    // on each round, so what it reaches can be past the window.
                    for ix in grown {
                        entered[ix.index()] = Some(Since {
                            secs: PAST_WINDOW,
                            closed: Closed::ByWaiting,
                        });
                    }
                }
            }
        }
        for &from in component {
            for edge in graph.edges_directed(from, Direction::Outgoing) {
                if component_of[edge.target().index()] != number {
                    relax(&mut entered, from, edge.target(), edge.weight());
                }
            }
        }
    }
    entered
}
