//! Rules on the flow as a whole: unique node ids, a trigger, sane settings.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

use super::Untyped;
use crate::config::NodeKind;
use crate::diagnostic::{Code, Diagnostic};
use crate::document::{Flow, Settings};
use crate::values::Duration;

static CLOCK_TIME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([01][0-9]|2[0-3]):[0-5][0-9]$").expect("valid regex"));

/// Maps each node id to the position of the node owning it: the first node with an id owns
/// it, and every later one is reported.
pub(super) fn node_ids<'a>(
    flow: &'a Flow,
    diagnostics: &mut Vec<Diagnostic>,
) -> HashMap<&'a str, usize> {
    // Node ids: the first node with an id owns it.
    let mut index: HashMap<&str, usize> = HashMap::with_capacity(flow.nodes.len());
    for (position, node) in flow.nodes.iter().enumerate() {
        if index.contains_key(node.id.as_str()) {
            diagnostics.push(
                Diagnostic::error(
                    Code::DuplicateNodeId,
                    format!(
                        "Another node already has the id `{}`; ids must be unique.",
                        node.id
                    ),
                )
                .on_node(node.id.clone())
                .on_field(format!("nodes[{position}].id")),
            );
        } else {
            index.insert(node.id.as_str(), position);
        }
    }
    index
}

/// Reports a flow nothing starts, and says whether something may start it.
pub(super) fn trigger(flow: &Flow, untyped: &Untyped, diagnostics: &mut Vec<Diagnostic>) -> bool {
    // A trigger whose config is broken is reported as such, not as a missing trigger.
    let declared_trigger = untyped
        .values()
        .flatten()
        .any(|node_type| node_type.is_trigger());
    let has_trigger = flow
        .nodes
        .iter()
        .any(|node| node.kind.node_type().is_trigger());
    if !has_trigger && !declared_trigger {
        diagnostics.push(Diagnostic::error(
            Code::MissingTrigger,
            "Nothing starts this flow. Add a trigger: a message received, an ad click, a webhook, a contact event or a broadcast.",
        ));
    }
    broadcast_settings(flow, diagnostics);
    has_trigger || declared_trigger
}

/// Reports a webhook trigger listening on a hook an earlier trigger of the flow already
/// listens on: a call to the hook could start only one of them.
pub(super) fn hooks(flow: &Flow, diagnostics: &mut Vec<Diagnostic>) {
    let mut owners: HashMap<&str, &str> = HashMap::new();
    for node in &flow.nodes {
        let NodeKind::Webhook(webhook) = &node.kind else {
            continue;
        };
        if let Some(owner) = owners.get(webhook.hook.as_str()) {
            diagnostics.push(
                Diagnostic::error(
                    Code::DuplicateHook,
                    format!(
                        "The trigger `{owner}` already listens on the hook `{}`; give each webhook trigger its own hook.",
                        webhook.hook
                    ),
                )
                .on_node(node.id.clone())
                .on_field("config.hook"),
            );
        } else {
            owners.insert(webhook.hook.as_str(), node.id.as_str());
        }
    }
}

/// Who a broadcast reaches and when is the campaign's to say (`POST /campaigns`): audience
/// settings on the trigger itself would be ignored, which their author should hear.
fn broadcast_settings(flow: &Flow, diagnostics: &mut Vec<Diagnostic>) {
    for node in &flow.nodes {
        if let NodeKind::Broadcast(broadcast) = &node.kind
            && (!broadcast.tags.is_empty()
                || broadcast.segment.is_some()
                || broadcast.schedule.is_some())
        {
            diagnostics.push(
                Diagnostic::warning(
                    Code::BroadcastSettingsUnused,
                    "A campaign says who this broadcast reaches and when: these tags, segment and schedule are not used. Choose the audience and time in the campaign.",
                )
                .on_node(&node.id),
            );
        }
    }
}

const MAX_STEP_BUDGET: u32 = 100_000;
const MAX_BURST_MERGE: Duration = Duration::from_secs(60);

pub(super) fn settings(settings: &Settings, diagnostics: &mut Vec<Diagnostic>) {
    let mut error = |field: &str, message: String| {
        diagnostics.push(
            Diagnostic::error(Code::InvalidSettings, message).on_field(format!("settings.{field}")),
        );
    };
    if let Some(budget) = settings.step_budget
        && !(1..=MAX_STEP_BUDGET).contains(&budget)
    {
        error(
            "step_budget",
            format!("The step budget must be between 1 and {MAX_STEP_BUDGET}."),
        );
    }
    if let Some(window) = settings.burst_merge
        && window > MAX_BURST_MERGE
    {
        error(
            "burst_merge",
            format!(
                "Merging messages over more than {MAX_BURST_MERGE} would make contacts wait for an answer."
            ),
        );
    }
    if let Some(quiet) = &settings.quiet_hours {
        for (field, value) in [("start", &quiet.start), ("end", &quiet.end)] {
            if !CLOCK_TIME.is_match(value) {
                error(
                    &format!("quiet_hours.{field}"),
                    format!("`{value}` is not a time of day like 21:00."),
                );
            }
        }
        if quiet.start == quiet.end {
            error(
                "quiet_hours.end",
                "Quiet hours start and end at the same time.".to_owned(),
            );
        }
    }
}
