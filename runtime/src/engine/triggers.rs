//! Starting runs: which published flow and trigger a message fires, the re-entry rule when
//! the contact is already in a journey, and the starts queued until a conversation ends.

use std::sync::Arc;

use petgraph::graph::NodeIndex;
use serde_json::Value;
use spool_flows::config::MessageMatch;
use spool_flows::{CompiledFlow, NodeKind, Reentry};
use spool_nodes::{Content, InboundMessage, Millis, Run, RunStatus};
use tracing::debug;

use super::{Engine, Transition};
use crate::state::{ContactState, QueuedStart};

/// Who started a run: a conversation (an inbound message) or the business (a webhook, a
/// broadcast, another journey). Conversations exclude each other; see `blocking_runs`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Origin {
    Conversation,
    Business,
}

impl Engine {
    /// The first published flow (oldest first) whose trigger this message fires.
    pub(super) fn triggered_by(
        &self,
        scope: &str,
        message: &InboundMessage,
    ) -> Option<(Arc<CompiledFlow>, NodeIndex)> {
        self.flows
            .all_published_in(scope)
            .into_iter()
            .find_map(|flow| {
                let trigger = flow
                    .triggers()
                    .iter()
                    .copied()
                    .find(|ix| trigger_matches(&flow.node(*ix).kind, message))?;
                Some((flow, trigger))
            })
    }

    /// Starts a run of `flow_id` at its trigger with the id `trigger` (else the one the
    /// origin and payload suggest) unless the re-entry rule says otherwise; true if it
    /// started.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn start(
        &self,
        state: &mut ContactState,
        flow_id: &str,
        trigger: Option<&str>,
        payload: Value,
        origin: Origin,
        message: Option<&InboundMessage>,
        now: Millis,
        tx: &mut Transition,
    ) -> bool {
        let Some(flow) = self.flows.published(flow_id) else {
            debug!(flow_id, "not published; nothing started");
            return false;
        };
        let blocking = blocking_runs(state, flow_id, origin);
        if !blocking.is_empty() {
            match flow.flow().settings.reentry {
                Reentry::Ignore => return false,
                Reentry::Queue => {
                    if !state.queued.iter().any(|queued| queued.flow_id == flow_id) {
                        state.queued.push(QueuedStart {
                            flow_id: flow_id.to_owned(),
                            trigger: trigger.map(str::to_owned),
                            payload,
                        });
                    }
                    return false;
                }
                Reentry::Restart => {
                    for index in blocking {
                        state.cancel(index, "replaced by a new run", now, tx);
                    }
                }
            }
        }
        // A trigger named by an event logged against an older version may be gone.
        let named = trigger
            .and_then(|id| flow.node_index(id))
            .filter(|ix| flow.triggers().contains(ix));
        let Some(trigger) = named.or_else(|| pick_trigger(&flow, origin, &payload)) else {
            return false;
        };
        let seq = state.next_seq();
        let run = Run {
            id: format!("r{seq}"),
            flow_id: flow_id.to_owned(),
            version: flow.hash().to_owned(),
            cursor: flow.node(trigger).id.clone(),
            status: RunStatus::Running,
            vars: serde_json::Map::new(),
            wait: None,
            steps: 0,
            started_at: now,
            updated_at: now,
            payload,
            msg: message.map_or(Value::Null, InboundMessage::to_value),
            burst: None,
            scratch: Value::Null,
            reason: None,
        };
        state.runs.push(run);
        let index = state.runs.len() - 1;
        self.drive(state, index, None, message.is_some(), now, tx);
        true
    }

    /// Starts a run of the published flow `flow_id` at its step `node_id` with `vars`, as a
    /// builder trying the rest of a journey does in the simulator: no trigger, no re-entry
    /// rule (the contact's other runs are left alone). Nothing happens when the flow or the
    /// step is unknown; the returned transition then holds no run.
    pub fn start_at(
        &self,
        state: &mut ContactState,
        flow_id: &str,
        node_id: &str,
        vars: serde_json::Map<String, Value>,
        now: Millis,
    ) -> Transition {
        let mut tx = Transition::default();
        let Some(flow) = self.flows.published(flow_id) else {
            return tx;
        };
        if flow.node_index(node_id).is_none() {
            return tx;
        }
        let before = super::notices::Before::of(state);
        let seq = state.next_seq();
        state.runs.push(Run {
            id: format!("r{seq}"),
            flow_id: flow_id.to_owned(),
            version: flow.hash().to_owned(),
            cursor: node_id.to_owned(),
            status: RunStatus::Running,
            vars,
            wait: None,
            steps: 0,
            started_at: now,
            updated_at: now,
            payload: Value::Null,
            msg: Value::Null,
            burst: None,
            scratch: Value::Null,
            reason: None,
        });
        let index = state.runs.len() - 1;
        self.drive(state, index, None, false, now, &mut tx);
        self.route_deferred(state, now, &mut tx);
        self.start_queued(state, now, &mut tx);
        let source = crate::state::ConsentSource::named("flow");
        before.changes(state, now, &source, &mut tx.notices);
        before.contact_changed(state, &tx.counters, now, &mut tx.notices);
        state.prune_finished();
        tx
    }

    pub(super) fn start_queued(&self, state: &mut ContactState, now: Millis, tx: &mut Transition) {
        let mut index = 0;
        while index < state.queued.len() {
            let flow_id = state.queued[index].flow_id.clone();
            if blocking_runs(state, &flow_id, Origin::Conversation).is_empty() {
                let queued = state.queued.remove(index);
                self.start(
                    state,
                    &queued.flow_id,
                    queued.trigger.as_deref(),
                    queued.payload,
                    Origin::Business,
                    None,
                    now,
                    tx,
                );
            } else {
                index += 1;
            }
        }
    }
}

fn trigger_matches(kind: &NodeKind, message: &InboundMessage) -> bool {
    match kind {
        NodeKind::InboundMessage(trigger) => match &trigger.matcher {
            MessageMatch::Any => true,
            MessageMatch::Keyword {
                keywords,
                case_sensitive,
            } => message.text().is_some_and(|text| {
                let text = text.trim();
                keywords.iter().any(|keyword| {
                    if *case_sensitive {
                        keyword == text
                    } else {
                        keyword.to_lowercase() == text.to_lowercase()
                    }
                })
            }),
            MessageMatch::Regex { pattern } => message
                .text()
                .is_some_and(|text| spool_nodes::eval::matches_pattern(text, pattern)),
            MessageMatch::ButtonPayload { payload } => {
                matches!(&message.content, Content::TemplateButton { payload: tapped, .. } if tapped == payload)
            }
        },
        NodeKind::CtwaReferral(trigger) => message.referral.as_ref().is_some_and(|referral| {
            trigger.ad_ids.is_empty()
                || referral
                    .get("source_id")
                    .and_then(Value::as_str)
                    .is_some_and(|ad| trigger.ad_ids.iter().any(|id| id == ad))
        }),
        _ => false,
    }
}

/// The trigger a run enters by when its event names none (a broadcast, a `goto`, an event
/// logged before webhooks carried their trigger): the first webhook trigger for a payload,
/// the first broadcast or event trigger without one, else the first trigger.
fn pick_trigger(flow: &CompiledFlow, origin: Origin, payload: &Value) -> Option<NodeIndex> {
    let triggers = flow.triggers();
    let preferred = triggers
        .iter()
        .copied()
        .find(|ix| match &flow.node(*ix).kind {
            NodeKind::Webhook(_) => origin == Origin::Business && !payload.is_null(),
            NodeKind::Broadcast(_) | NodeKind::Event(_) => {
                origin == Origin::Business && payload.is_null()
            }
            _ => false,
        });
    preferred.or_else(|| triggers.first().copied())
}

/// Runs a new run of `flow_id` would collide with: an active run of the same flow, and for a
/// conversation also any run waiting on the contact's words (a reply or a human), since one
/// message cannot answer two journeys.
fn blocking_runs(state: &ContactState, flow_id: &str, origin: Origin) -> Vec<usize> {
    state
        .runs
        .iter()
        .enumerate()
        .filter(|(_, run)| run.status.is_active())
        .filter(|(_, run)| {
            run.flow_id == flow_id
                || (origin == Origin::Conversation
                    && matches!(run.status, RunStatus::WaitingReply | RunStatus::Handoff))
        })
        .map(|(index, _)| index)
        .collect()
}
