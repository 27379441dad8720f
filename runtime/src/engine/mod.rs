//! Applying one event to one contact: starting runs, stepping them node to node, resuming
//! waits, enforcing the contact-level policies. The result is the new state plus effects as
//! data (messages to send, timers to set and clear, counters), which the store commits
//! atomically; nothing here touches Redis or sends anything.
//!
//! [`Engine::apply`] dispatches each kind of event here; `triggers` starts runs, the
//! `interpreter` steps a run node to node, `trace` records the steps for the simulator.
//! Changes to one run's state are methods of the state types (`crate::state`).

mod delivery;
mod interpreter;
mod notices;
mod operator;
mod trace;
mod triggers;

use std::sync::Arc;

use serde_json::{Value, json};
use spool_flows::NodeKind;
use spool_flows::config::ContactEvent;
use spool_nodes::{
    Content, InboundMessage, Millis, NoCatalog, Outbound, Policy, Resume, Run, RunStatus, SECOND,
    Services, TemplateCatalog,
};
use tracing::{debug, instrument};

use crate::counters::Counter;
use crate::flows::FlowRegistry;
use crate::notice::Notice;
use crate::scope::ScopedId;
use crate::state::{
    ConsentSource, ContactChange, ContactState, Event, EventKind, PendingCall,
    RECENT_MESSAGES_KEPT, TimerRef, message_fingerprint,
};

pub use operator::{OPERATOR_NODE, OPERATOR_RUN};
pub use trace::TraceStep;
use triggers::Origin;

/// Steps one event may take in one run when the flow does not say.
pub const DEFAULT_STEP_BUDGET: u32 = 1_000;

/// Words that opt a contact out of everything, whatever journey they are in.
pub const DEFAULT_STOP_KEYWORDS: &[&str] = &[
    "stop",
    "stop all",
    "unsubscribe",
    "opt out",
    "opt-out",
    "optout",
    "parar",
    "sair",
    "descadastrar",
    "baja",
];

/// What applying an event produced, besides the new state.
#[derive(Debug, Default)]
pub struct Transition {
    pub outbox: Vec<Outbound>,
    pub timers_set: Vec<(TimerRef, Millis)>,
    pub timers_cleared: Vec<TimerRef>,
    /// Calls to other systems runs now wait for.
    pub calls: Vec<PendingCall>,
    pub counters: Vec<Counter>,
    /// The step-by-step account, when asked for (the simulator shows it).
    pub trace: Vec<TraceStep>,
    /// The event had been applied already (a redelivered message).
    pub duplicate: bool,
    /// What happened that the world outside may want to know (events out).
    pub notices: Vec<Notice>,
    /// Where a change of consent made by this event came from, when the handler knows
    /// better than the event's kind says (a STOP keyword, WhatsApp's 131050).
    pub consent_source: Option<ConsentSource>,
}

#[derive(Clone, Debug)]
pub struct EngineConfig {
    pub step_budget: u32,
    pub policy: Policy,
    pub stop_keywords: Vec<String>,
    /// Record a [`TraceStep`] per step (costs allocations; the simulator wants it).
    pub trace: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            step_budget: DEFAULT_STEP_BUDGET,
            policy: Policy::default(),
            stop_keywords: DEFAULT_STOP_KEYWORDS
                .iter()
                .map(|word| (*word).to_owned())
                .collect(),
            trace: false,
        }
    }
}

/// Applies events to contact states.
pub struct Engine {
    flows: Arc<FlowRegistry>,
    services: Arc<dyn Services>,
    /// What templates are now (Meta's category, approved languages); nothing by default.
    templates: Arc<dyn TemplateCatalog>,
    config: EngineConfig,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Engine {
    pub fn new(
        flows: Arc<FlowRegistry>,
        services: Arc<dyn Services>,
        config: EngineConfig,
    ) -> Self {
        Self {
            flows,
            services,
            templates: Arc::new(NoCatalog),
            config,
        }
    }

    /// Lets `send_template` nodes learn what their template is now from `templates`.
    pub fn with_templates(mut self, templates: Arc<dyn TemplateCatalog>) -> Self {
        self.templates = templates;
        self
    }

    pub fn flows(&self) -> &Arc<FlowRegistry> {
        &self.flows
    }

    /// Where the calls runs wait for are made (the engine itself never calls them).
    pub fn services(&self) -> &Arc<dyn Services> {
        &self.services
    }

    /// Applies one event to one contact's state.
    #[instrument(skip_all, fields(contact_id = %event.contact_id, event = event_name(&event.kind)))]
    pub fn apply(&self, state: &mut ContactState, event: &Event, now: Millis) -> Transition {
        let mut tx = Transition::default();
        // Taken before a new contact is made, so that its making is a change noticed.
        let before = notices::Before::of(state);
        if state.contact.id.is_empty() {
            state.contact =
                spool_nodes::Contact::new(event.contact_id.clone(), event.phone.clone());
        }
        match &event.kind {
            EventKind::Inbound { message } => self.inbound(state, message, now, &mut tx),
            EventKind::Webhook {
                flow_id,
                trigger,
                payload,
            } => {
                self.start(
                    state,
                    flow_id,
                    trigger.as_deref(),
                    payload.clone(),
                    Origin::Business,
                    None,
                    now,
                    &mut tx,
                );
            }
            EventKind::Broadcast { flow_id, campaign } => {
                let payload = campaign
                    .as_ref()
                    .map_or(Value::Null, |campaign| json!({ "campaign_id": campaign }));
                self.start(
                    state,
                    flow_id,
                    None,
                    payload,
                    Origin::Business,
                    None,
                    now,
                    &mut tx,
                );
            }
            EventKind::StartFlow { flow_id } => {
                self.start(
                    state,
                    flow_id,
                    None,
                    Value::Null,
                    Origin::Business,
                    None,
                    now,
                    &mut tx,
                );
            }
            EventKind::Timer { run_id, token } => {
                let timer = TimerRef {
                    contact_id: state.contact.id.clone(),
                    run_id: run_id.clone(),
                    token: *token,
                };
                self.timer(state, timer, now, &mut tx);
            }
            EventKind::HandoffClosed { run_id } => self.handoff_closed(state, run_id, now, &mut tx),
            EventKind::CallResult {
                run_id,
                token,
                reply,
                answer,
            } => self.call_answered(state, run_id, *token, *reply, answer, now, &mut tx),
            EventKind::UpdateContact { change } => {
                self.update_contact(state, change, now, &mut tx);
            }
            EventKind::MessageStatus { report } => self.message_status(state, report, now, &mut tx),
            EventKind::OperatorMessage { key, author, body } => {
                self.operator_message(state, key, author, body, now, &mut tx);
            }
            EventKind::CancelRun { run_id } => {
                if let Some(index) = state
                    .runs
                    .iter()
                    .position(|run| &run.id == run_id && run.status.is_active())
                {
                    state.cancel(index, "cancelled by an operator", now, &mut tx);
                }
            }
        }
        self.route_deferred(state, now, &mut tx);
        self.start_queued(state, now, &mut tx);
        let source = tx
            .consent_source
            .take()
            .unwrap_or_else(|| ConsentSource::named(consent_source_of(&event.kind)));
        before.changes(state, now, &source, &mut tx.notices);
        before.contact_changed(state, &tx.counters, now, &mut tx.notices);
        for message in &tx.outbox {
            tx.notices.push(notices::queued_notice(state, message, now));
        }
        state.prune_finished();
        tx
    }

    fn inbound(
        &self,
        state: &mut ContactState,
        message: &InboundMessage,
        now: Millis,
        tx: &mut Transition,
    ) {
        let fingerprint = message_fingerprint(&message.id);
        if state.recent_messages.contains(&fingerprint) {
            tx.duplicate = true;
            return;
        }
        state.recent_messages.push(fingerprint);
        if state.recent_messages.len() > RECENT_MESSAGES_KEPT {
            state.recent_messages.remove(0);
        }
        let sent_at = if message.timestamp > 0 {
            message.timestamp
        } else {
            now
        };
        // WhatsApp stamps messages to the second: an answer within the same second as a
        // message Spool queued would read as older than it. Arriving within two seconds of
        // its stamp, the arrival time orders it (in the history); one arriving later keeps
        // the time it was sent. (The 24-hour window still counts from the stamp.)
        let heard_at = if (0..2 * SECOND).contains(&(now - sent_at)) {
            now
        } else {
            sent_at
        };
        tx.notices
            .push(notices::inbound_notice(state, message, heard_at));
        let previous = state.contact.last_inbound_at;
        state.contact.last_inbound_at = Some(previous.map_or(sent_at, |at| at.max(sent_at)));
        if state.contact.name.is_none() {
            state.contact.name.clone_from(&message.profile_name);
        }
        state.contact.learn(message);
        // A message older than one already applied arrived late: the conversation has moved
        // on, so it answers nothing and starts nothing.
        if previous.is_some_and(|at| sent_at < at) {
            debug!(message_id = %message.id, "late message ignored");
            return;
        }

        if let Some(text) = message.text() {
            let word = text.trim().to_lowercase();
            if self.config.stop_keywords.iter().any(|stop| stop == &word) {
                tx.consent_source = Some(ConsentSource {
                    text: Some(text.to_owned()),
                    ..ConsentSource::named("keyword")
                });
                self.opt_out(state, now, tx);
                return;
            }
        }

        // While a run waits for another system, the contact's words wait too: routed now,
        // they could start a second conversation or miss the reply the call leads to.
        if state.calling() {
            state.deferred.push(message.clone());
            return;
        }
        self.route(state, message, now, tx);
    }

    /// Starts the journey a message triggers, or gives it to the run waiting for a reply.
    fn route(
        &self,
        state: &mut ContactState,
        message: &InboundMessage,
        now: Millis,
        tx: &mut Transition,
    ) {
        if let Some((flow, trigger)) =
            self.triggered_by(ScopedId::scope_of(&state.contact.id), message)
        {
            let flow_id = flow.flow().id.clone();
            if self.start(
                state,
                &flow_id,
                Some(&flow.node(trigger).id),
                Value::Null,
                Origin::Conversation,
                Some(message),
                now,
                tx,
            ) {
                return;
            }
        }

        let waiting = state
            .runs
            .iter()
            .enumerate()
            .filter(|(_, run)| run.status == RunStatus::WaitingReply)
            .max_by_key(|(_, run)| run.updated_at)
            .map(|(index, _)| index);
        if let Some(index) = waiting {
            // Text fragments are merged; a tap, a picture or a location is an answer at once.
            let is_text = matches!(message.content, Content::Text { .. });
            if is_text && let Some(window) = self.burst_window(&state.runs[index]) {
                state.collect_fragment(index, message, now + window, tx);
                return;
            }
            state.discard_fragments(index, tx);
            state.runs[index].msg = message.to_value();
            self.drive(state, index, Some(Resume::Reply(message)), true, now, tx);
        }
    }

    fn update_contact(
        &self,
        state: &mut ContactState,
        change: &ContactChange,
        now: Millis,
        tx: &mut Transition,
    ) {
        let contact = &mut state.contact;
        if let Some(name) = &change.name {
            contact.name = Some(name.clone());
        }
        if let Some(timezone) = &change.timezone {
            contact.timezone = Some(timezone.clone());
        }
        if let Some(locale) = &change.locale {
            contact.locale = Some(locale.clone());
        }
        for (key, value) in &change.properties {
            contact.properties.insert(key.clone(), value.clone());
        }
        if change.marketing_opt_in.is_some() {
            tx.consent_source.clone_from(&change.consent_source);
        }
        let mut happened: Vec<(ContactEvent, Option<String>)> = Vec::new();
        for tag in &change.add_tags {
            if contact.tags.insert(tag.clone()) {
                happened.push((ContactEvent::TagAdded, Some(tag.clone())));
            }
        }
        for tag in &change.remove_tags {
            if contact.tags.remove(tag) {
                happened.push((ContactEvent::TagRemoved, Some(tag.clone())));
            }
        }
        match change.marketing_opt_in {
            Some(true) if contact.marketing_opt_in_at.is_none() => {
                contact.marketing_opt_in_at = Some(now);
                happened.push((ContactEvent::OptedIn, None));
            }
            Some(false) if contact.marketing_opt_in_at.is_some() => {
                contact.marketing_opt_in_at = None;
                happened.push((ContactEvent::OptedOut, None));
            }
            _ => {}
        }
        // Each change starts the journeys listening for it (per their re-entry rule).
        let scope = ScopedId::scope_of(&state.contact.id).to_owned();
        for (event, tag) in happened {
            for flow in self.flows.all_published_in(&scope) {
                let trigger =
                    flow.triggers()
                        .iter()
                        .copied()
                        .find(|ix| match &flow.node(*ix).kind {
                            NodeKind::Event(trigger) => {
                                trigger.event == event
                                    && (trigger.tag.is_none() || trigger.tag == tag)
                            }
                            _ => false,
                        });
                if let Some(trigger) = trigger {
                    let flow_id = flow.flow().id.clone();
                    self.start(
                        state,
                        &flow_id,
                        Some(&flow.node(trigger).id),
                        Value::Null,
                        Origin::Business,
                        None,
                        now,
                        tx,
                    );
                }
            }
        }
    }

    /// STOP: no more Marketing, and every journey the contact is in ends now.
    fn opt_out(&self, state: &mut ContactState, now: Millis, tx: &mut Transition) {
        state.contact.marketing_opt_in_at = None;
        state.queued.clear();
        state.frozen.clear();
        state.deferred.clear();
        for index in 0..state.runs.len() {
            if state.runs[index].status.is_active() {
                state.cancel(index, "the contact opted out", now, tx);
            }
        }
    }

    /// The flow's burst-merge window for this run, if it has one.
    fn burst_window(&self, run: &Run) -> Option<Millis> {
        let window = self
            .flows
            .version(&run.version)?
            .flow()
            .settings
            .burst_merge?;
        Some(window.as_secs() as Millis * SECOND)
    }

    fn timer(&self, state: &mut ContactState, timer: TimerRef, now: Millis, tx: &mut Transition) {
        // The end of a burst-merge window: the fragments go in as one answer.
        let bursting = state.runs.iter().position(|run| {
            run.id == timer.run_id
                && run
                    .burst
                    .as_ref()
                    .is_some_and(|burst| burst.token == timer.token)
        });
        if let Some(index) = bursting {
            let fragments = state.runs[index]
                .burst
                .take()
                .map(|burst| burst.messages)
                .unwrap_or_default();
            // A wait that timed out meanwhile has moved on; the fragments answer nothing.
            if state.runs[index].status != RunStatus::WaitingReply {
                return;
            }
            if let Some(merged) = InboundMessage::merge(&fragments) {
                state.runs[index].msg = merged.to_value();
                self.drive(state, index, Some(Resume::Reply(&merged)), true, now, tx);
            }
            return;
        }
        let Some(index) = state.runs.iter().position(|run| {
            run.id == timer.run_id
                && run.status.is_active()
                && run
                    .wait
                    .as_ref()
                    .is_some_and(|wait| wait.token == timer.token)
        }) else {
            debug!(run_id = %timer.run_id, token = timer.token, "stale timer ignored");
            return;
        };
        // While a human handles the contact, other journeys' clocks stop.
        let in_handoff = state
            .runs
            .iter()
            .any(|run| run.status == RunStatus::Handoff && run.id != timer.run_id);
        if in_handoff {
            state.frozen.push(timer);
            return;
        }
        self.drive(state, index, Some(Resume::Timer), false, now, tx);
    }

    fn handoff_closed(
        &self,
        state: &mut ContactState,
        run_id: &str,
        now: Millis,
        tx: &mut Transition,
    ) {
        let Some(index) = state
            .runs
            .iter()
            .position(|run| run.id == run_id && run.status == RunStatus::Handoff)
        else {
            return;
        };
        self.drive(state, index, Some(Resume::HandoffClosed), false, now, tx);
        if state
            .runs
            .iter()
            .any(|run| run.status == RunStatus::Handoff)
        {
            return;
        }
        for timer in std::mem::take(&mut state.frozen) {
            self.timer(state, timer, now, tx);
        }
    }

    /// A call came back: the run waiting for it goes on. An answer for a wait that is gone
    /// (the run was cancelled, or this answer was applied already) changes nothing.
    #[allow(clippy::too_many_arguments)]
    fn call_answered(
        &self,
        state: &mut ContactState,
        run_id: &str,
        token: u64,
        reply: bool,
        answer: &spool_nodes::CallAnswer,
        now: Millis,
        tx: &mut Transition,
    ) {
        let Some(index) = state.runs.iter().position(|run| {
            run.id == run_id
                && run.status == RunStatus::Calling
                && run.wait.as_ref().is_some_and(|wait| wait.token == token)
        }) else {
            debug!(run_id, token, "stale call answer ignored");
            return;
        };
        self.drive(state, index, Some(Resume::Answer(answer)), reply, now, tx);
    }

    /// Routes the messages held while a call was out, in order, once no run is calling.
    fn route_deferred(&self, state: &mut ContactState, now: Millis, tx: &mut Transition) {
        while !state.deferred.is_empty() && !state.calling() {
            let message = state.deferred.remove(0);
            self.route(state, &message, now, tx);
        }
    }
}

/// Where a change of consent comes from when its handler does not say: a change made
/// through the API (or by an operator, who says so), or a step of a journey.
fn consent_source_of(kind: &EventKind) -> &'static str {
    match kind {
        EventKind::UpdateContact { .. } => "api",
        _ => "flow",
    }
}

fn event_name(kind: &EventKind) -> &'static str {
    match kind {
        EventKind::Inbound { .. } => "inbound",
        EventKind::Webhook { .. } => "webhook",
        EventKind::Timer { .. } => "timer",
        EventKind::HandoffClosed { .. } => "handoff_closed",
        EventKind::CallResult { .. } => "call_result",
        EventKind::Broadcast { .. } => "broadcast",
        EventKind::StartFlow { .. } => "start_flow",
        EventKind::CancelRun { .. } => "cancel_run",
        EventKind::UpdateContact { .. } => "update_contact",
        EventKind::MessageStatus { .. } => "message_status",
        EventKind::OperatorMessage { .. } => "operator_message",
    }
}
