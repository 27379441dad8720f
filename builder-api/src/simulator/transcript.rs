//! What the simulation reports: each engine transition as transcript entries and trace
//! steps, numbered in one sequence, kept (the latest few thousand) and sent to live
//! subscribers.

use spool_nodes::{Contact, Millis, Outbound, RunStatus};
use spool_runtime::Transition;
use spool_runtime::engine::TraceStep;
use tokio::sync::broadcast;

use super::input::choices_of;
use super::text::{describe_outbound, span};
use super::{
    CHOICES_KEPT, Direction, Entry, Outcome, Simulation, TRACE_KEPT, TRANSCRIPT_KEPT, TraceEntry,
    Update, rfc3339,
};

impl Simulation {
    /// Everything reported so far after `after` (all when `None`), and a subscription to
    /// what comes next, taken together so nothing falls between them.
    pub fn subscribe(&self, after: Option<u64>) -> (Vec<Update>, broadcast::Receiver<Update>) {
        let after = after.unwrap_or(0);
        let mut backlog: Vec<Update> = self
            .transcript
            .iter()
            .filter(|entry| entry.seq > after)
            .cloned()
            .map(Update::Entry)
            .chain(
                self.trace
                    .iter()
                    .filter(|step| step.seq > after)
                    .cloned()
                    .map(Update::Trace),
            )
            .collect();
        backlog.sort_by_key(Update::seq);
        (backlog, self.updates.subscribe())
    }

    pub fn transcript(&self) -> Vec<Entry> {
        self.transcript.iter().cloned().collect()
    }

    pub fn trace(&self) -> Vec<TraceEntry> {
        self.trace.iter().cloned().collect()
    }

    /// The trace in order, each step followed by the messages it sent and what it means.
    pub(super) fn report(
        &mut self,
        tx: Transition,
        before: &[(String, RunStatus)],
        out: &mut Outcome,
    ) {
        let Transition { outbox, trace, .. } = tx;
        let mut outbox = outbox.into_iter().peekable();
        let mut announced: Vec<String> = Vec::new();
        for step in trace {
            let TraceStep {
                run_id,
                node_id,
                what,
                detail,
                vars_changed,
            } = step;
            let is_new = !before.iter().any(|(id, _)| *id == run_id);
            if is_new && !announced.contains(&run_id) {
                announced.push(run_id.clone());
                self.system(
                    out,
                    format!("Run {run_id} started at {node_id}."),
                    Some(run_id.clone()),
                    Some(node_id.clone()),
                );
            }
            // The engine writes times as milliseconds; people read them as dates.
            let detail = detail.map(|detail| {
                match detail
                    .strip_prefix("until ")
                    .and_then(|at| at.parse::<Millis>().ok())
                {
                    Some(at) => format!("until {}", rfc3339(at)),
                    None => detail,
                }
            });
            let traced = TraceEntry {
                seq: 0,
                at: String::new(),
                run_id: run_id.clone(),
                node_id: node_id.clone(),
                what: what.clone(),
                detail: detail.clone(),
                vars_changed,
            };
            self.publish_trace(out, traced);
            if what == "entered" || what == "resumed" {
                while let Some(message) =
                    outbox.next_if(|message| message.run_id == run_id && message.node_id == node_id)
                {
                    self.report_message(message, out);
                }
            } else if let Some(code) = what.strip_prefix("failed:") {
                let text = match &detail {
                    Some(detail) => format!("{node_id} failed ({code}): {detail}."),
                    None => format!("{node_id} failed ({code})."),
                };
                self.system(out, text, Some(run_id), Some(node_id));
            } else if what == "quiet_hours" {
                let until = detail
                    .as_deref()
                    .and_then(|detail| detail.strip_prefix("until "))
                    .unwrap_or_default();
                let text = format!("Quiet hours: {node_id} waits until {until}.");
                self.system(out, text, Some(run_id), Some(node_id));
            } else if what == "calling" {
                let text = format!(
                    "{node_id} calls {}.",
                    detail.as_deref().unwrap_or("another system")
                );
                self.system(out, text, Some(run_id), Some(node_id));
            } else if what == "waiting" {
                let text = self.describe_wait(&run_id, &node_id);
                self.system(out, text, Some(run_id), Some(node_id));
            }
        }
        for message in outbox {
            self.report_message(message, out);
        }
        let ended: Vec<(String, RunStatus, Option<String>)> = self
            .state
            .runs
            .iter()
            .filter(|run| !run.status.is_active())
            .filter(|run| {
                before
                    .iter()
                    .find(|(id, _)| *id == run.id)
                    .is_none_or(|(_, status)| status.is_active())
            })
            .map(|run| (run.id.clone(), run.status, run.reason.clone()))
            .collect();
        for (run_id, status, reason) in ended {
            let text = match (status, reason) {
                (RunStatus::Done, _) => format!("Run {run_id} ended."),
                (RunStatus::Failed, Some(reason)) => format!("Run {run_id} failed: {reason}."),
                (RunStatus::Cancelled, Some(reason)) => {
                    format!("Run {run_id} was cancelled: {reason}.")
                }
                (status, _) => format!("Run {run_id} is {status:?}."),
            };
            let node_id = self.state.run(&run_id).map(|run| run.cursor.clone());
            self.system(out, text, Some(run_id), node_id);
        }
    }

    fn describe_wait(&self, run_id: &str, node_id: &str) -> String {
        let Some(run) = self.state.run(run_id) else {
            return format!("{node_id} waits.");
        };
        let until = run
            .wait
            .as_ref()
            .and_then(|wait| wait.deadline)
            .map(|at| format!(" until {} ({} from now)", rfc3339(at), span(at - self.now)));
        match run.status {
            RunStatus::WaitingReply => format!(
                "{node_id} waits for the contact's reply{}.",
                until.unwrap_or_default()
            ),
            RunStatus::Handoff => format!(
                "{node_id}: the contact is with an operator{}.",
                until.unwrap_or_default()
            ),
            _ => format!("{node_id} waits{}.", until.unwrap_or_default()),
        }
    }

    fn report_message(&mut self, message: Outbound, out: &mut Outcome) {
        for choice in choices_of(&message) {
            if self.choices.len() >= CHOICES_KEPT {
                self.choices.pop_front();
            }
            self.choices.push_back(choice);
        }
        let entry = Entry {
            seq: 0,
            at: String::new(),
            direction: Direction::Flow,
            text: describe_outbound(&message.body),
            message: serde_json::to_value(&message.body).ok(),
            run_id: Some(message.run_id),
            node_id: Some(message.node_id),
        };
        self.publish_entry(out, entry);
    }

    /// Tags, properties, consent and name the event changed, as one line.
    pub(super) fn report_contact(&mut self, before: &Contact, out: &mut Outcome) {
        let after = &self.state.contact;
        let mut changes: Vec<String> = Vec::new();
        if after.name != before.name
            && let Some(name) = &after.name
        {
            changes.push(format!("name {name}"));
        }
        for tag in after.tags.difference(&before.tags) {
            changes.push(format!("tag +{tag}"));
        }
        for tag in before.tags.difference(&after.tags) {
            changes.push(format!("tag -{tag}"));
        }
        for (key, value) in &after.properties {
            if before.properties.get(key) != Some(value) {
                changes.push(format!("{key} = {value}"));
            }
        }
        match (before.opted_in(), after.opted_in()) {
            (false, true) => changes.push("opted in to Marketing".to_owned()),
            (true, false) => changes.push("opted out of Marketing".to_owned()),
            _ => {}
        }
        if after.timezone != before.timezone
            && let Some(zone) = &after.timezone
        {
            changes.push(format!("time zone {zone}"));
        }
        if !changes.is_empty() {
            let text = format!("Contact: {}.", changes.join(", "));
            self.system(out, text, None, None);
        }
    }

    pub(super) fn system(
        &mut self,
        out: &mut Outcome,
        text: String,
        run_id: Option<String>,
        node_id: Option<String>,
    ) {
        let entry = Entry {
            seq: 0,
            at: String::new(),
            direction: Direction::System,
            text,
            message: None,
            run_id,
            node_id,
        };
        self.publish_entry(out, entry);
    }

    pub(super) fn publish_entry(&mut self, out: &mut Outcome, mut entry: Entry) {
        self.seq += 1;
        entry.seq = self.seq;
        entry.at = rfc3339(self.now);
        if self.transcript.len() >= TRANSCRIPT_KEPT {
            self.transcript.pop_front();
        }
        self.transcript.push_back(entry.clone());
        // Nobody listening is fine: the transcript keeps it.
        let _ = self.updates.send(Update::Entry(entry.clone()));
        out.entries.push(entry);
    }

    pub(super) fn publish_trace(&mut self, out: &mut Outcome, mut step: TraceEntry) {
        self.seq += 1;
        step.seq = self.seq;
        step.at = rfc3339(self.now);
        if self.trace.len() >= TRACE_KEPT {
            self.trace.pop_front();
        }
        self.trace.push_back(step.clone());
        let _ = self.updates.send(Update::Trace(step.clone()));
        out.trace.push(step);
    }
}
