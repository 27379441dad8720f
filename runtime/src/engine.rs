//! Applying one event to one contact: starting runs, stepping them node to node, resuming
//! waits, enforcing the contact-level policies. The result is the new state plus effects as
//! data (messages to send, timers to set and clear, counters), which the store commits
//! atomically; nothing here touches Redis or sends anything.

use std::sync::Arc;

use petgraph::graph::NodeIndex;
use serde_json::{Value, json};
use spool_flows::config::{ContactEvent, MessageMatch};
use spool_flows::{CompiledFlow, NodeKind, Reentry};
use spool_nodes::{
    Burst, Content, Ctx, InboundMessage, Inputs, Millis, Outbound, Policy, Resume, Run, RunStatus,
    SECOND, Services, Step, Wait, WaitKind,
};
use tracing::{debug, debug_span, instrument};

use crate::flows::FlowRegistry;
use crate::policy::quiet_until;
use crate::scope::ScopedId;
use crate::state::{
    ContactChange, ContactState, Event, EventKind, FINISHED_RUNS_KEPT, PendingCall, QueuedStart,
    RECENT_MESSAGES_KEPT, TimerRef, message_fingerprint,
};

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
}

/// One count for the funnel: a node of a flow version entered, left by a port, or failed.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Counter {
    pub version: String,
    pub node_id: String,
    /// `entered`, `port:<name>` or `failed`.
    pub key: String,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct TraceStep {
    pub run_id: String,
    pub node_id: String,
    /// `entered`, `resumed`, `left:<port>`, `waiting`, `ended`, `failed:<code>`…
    pub what: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The run's variables this step set (name → new value) or removed (name → null).
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub vars_changed: serde_json::Map<String, Value>,
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
    config: EngineConfig,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Who started a run: a conversation (an inbound message) or the business (a webhook, a
/// broadcast, another journey). Conversations exclude each other; see `blocking_runs`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Origin {
    Conversation,
    Business,
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
            config,
        }
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
            EventKind::Broadcast { flow_id } => {
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
            EventKind::CancelRun { run_id } => {
                if let Some(index) = state
                    .runs
                    .iter()
                    .position(|run| &run.id == run_id && run.status.is_active())
                {
                    cancel(state, index, "cancelled by an operator", now, &mut tx);
                }
            }
        }
        self.route_deferred(state, now, &mut tx);
        self.start_queued(state, now, &mut tx);
        prune_finished(state);
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
                collect_fragment(state, index, message, now + window, tx);
                return;
            }
            discard_fragments(state, index, tx);
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
        for (key, value) in &change.properties {
            contact.properties.insert(key.clone(), value.clone());
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
                cancel(state, index, "the contact opted out", now, tx);
            }
        }
    }

    /// The first published flow (oldest first) whose trigger this message fires.
    fn triggered_by(
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
    fn start(
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
                        cancel(state, index, "replaced by a new run", now, tx);
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

    fn start_queued(&self, state: &mut ContactState, now: Millis, tx: &mut Transition) {
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

    /// Steps run `index` from its cursor (resuming its wait with `resume`, if given) until it
    /// waits, ends, fails or spends its step budget.
    fn drive(
        &self,
        state: &mut ContactState,
        index: usize,
        mut resume: Option<Resume<'_>>,
        inbound: bool,
        now: Millis,
        tx: &mut Transition,
    ) {
        let Some(flow) = self.flows.version(&state.runs[index].version) else {
            let version = state.runs[index].version.clone();
            finish(
                &mut state.runs[index],
                RunStatus::Failed,
                Some(format!(
                    "flow_version_missing: version {version} is not loaded"
                )),
                now,
            );
            return;
        };
        let mut goto = None;
        {
            let ContactState {
                contact, runs, seq, ..
            } = state;
            let run = &mut runs[index];
            let budget = flow
                .flow()
                .settings
                .step_budget
                .unwrap_or(self.config.step_budget);
            let mut inputs = Inputs::new(contact, &run.vars, &run.msg, &run.payload, now);
            let mut steps_this_event = 0u32;
            loop {
                let Some(ix) = flow.node_index(&run.cursor) else {
                    let reason = format!(
                        "node_missing: the run is at `{}`, which this version does not have",
                        run.cursor
                    );
                    finish(run, RunStatus::Failed, Some(reason), now);
                    break;
                };
                if steps_this_event >= budget {
                    let reason = format!("step_budget_exceeded: {budget} steps without waiting");
                    tx.counters
                        .push(counter(&flow, &run.cursor, "failed".into()));
                    finish(run, RunStatus::Failed, Some(reason), now);
                    break;
                }
                // The quiet hours are over: enter the node that was held back, afresh.
                if matches!(resume, Some(Resume::Timer))
                    && run.wait.as_ref().is_some_and(|wait| wait.quiet)
                {
                    resume = None;
                    clear_wait(run, &contact.id, tx);
                }
                let resuming = resume.is_some();
                let node_type = flow.node(ix).kind.node_type();
                let sends =
                    node_type.sends_free_form() || node_type == spool_flows::NodeType::SendTemplate;
                if !resuming
                    && !inbound
                    && sends
                    && let Some(quiet) = &flow.flow().settings.quiet_hours
                    && let Some(until) = quiet_until(quiet, contact, now)
                {
                    set_wait(
                        run,
                        &contact.id,
                        seq,
                        WaitKind::Timer,
                        Some(until),
                        true,
                        tx,
                    );
                    run.status = RunStatus::WaitingTimer;
                    let node_id = flow.node(ix).id.clone();
                    self.trace(
                        tx,
                        run,
                        &node_id,
                        "quiet_hours",
                        Some(format!("until {until}")),
                    );
                    break;
                }
                steps_this_event += 1;
                run.steps += 1;
                // Only the simulator's trace pays for the copy.
                let vars_before = self.config.trace.then(|| run.vars.clone());
                let span =
                    debug_span!("step", run_id = %run.id, node_id = %flow.node(ix).id, resuming);
                let step = span.in_scope(|| {
                    let mut ctx = Ctx {
                        flow: &flow,
                        ix,
                        contact,
                        run,
                        inputs: &mut inputs,
                        now,
                        policy: &self.config.policy,
                        outbox: &mut tx.outbox,
                    };
                    match resume.take() {
                        Some(event) => spool_nodes::resume(&mut ctx, event),
                        None => spool_nodes::enter(&mut ctx),
                    }
                });
                let node_id = flow.node(ix).id.clone();
                if !resuming {
                    tx.counters.push(counter(&flow, &node_id, "entered".into()));
                }
                if let Some(before) = &vars_before {
                    self.trace_changes(
                        tx,
                        run,
                        &node_id,
                        if resuming { "resumed" } else { "entered" },
                        None,
                        vars_diff(before, &run.vars),
                    );
                }
                match step {
                    Step::Next(port) => {
                        tx.counters
                            .push(counter(&flow, &node_id, format!("port:{port}")));
                        self.trace(tx, run, &node_id, &format!("left:{port}"), None);
                        clear_wait(run, &contact.id, tx);
                        match flow.next(ix, &port) {
                            Some(next) => run.cursor.clone_from(&flow.node(next).id),
                            None => {
                                finish(run, RunStatus::Done, None, now);
                                break;
                            }
                        }
                    }
                    Step::Wait { kind, mut deadline } => {
                        if node_type == spool_flows::NodeType::Delay
                            && let (Some(quiet), Some(due)) =
                                (&flow.flow().settings.quiet_hours, deadline)
                            && let Some(until) = quiet_until(quiet, contact, due)
                        {
                            deadline = Some(until);
                        }
                        let same_wait = resuming
                            && run
                                .wait
                                .as_ref()
                                .is_some_and(|wait| wait.kind == kind && wait.deadline == deadline);
                        if !same_wait {
                            set_wait(run, &contact.id, seq, kind, deadline, false, tx);
                        }
                        run.status = match kind {
                            WaitKind::Reply => RunStatus::WaitingReply,
                            WaitKind::Timer => RunStatus::WaitingTimer,
                            WaitKind::Handoff => RunStatus::Handoff,
                            WaitKind::Call => RunStatus::Calling,
                        };
                        self.trace(
                            tx,
                            run,
                            &node_id,
                            "waiting",
                            deadline.map(|at| format!("until {at}")),
                        );
                        break;
                    }
                    Step::Call(request) => {
                        set_wait(run, &contact.id, seq, WaitKind::Call, None, false, tx);
                        run.status = RunStatus::Calling;
                        let key = call_key(&contact.id, &run.id, &node_id, run.steps);
                        self.trace(tx, run, &node_id, "calling", Some(request.describe()));
                        tx.calls.push(PendingCall {
                            key,
                            contact_id: contact.id.clone(),
                            phone: contact.phone.clone(),
                            run_id: run.id.clone(),
                            token: run.wait.as_ref().map_or(0, |wait| wait.token),
                            reply: inbound,
                            request,
                        });
                        break;
                    }
                    Step::End => {
                        clear_wait(run, &contact.id, tx);
                        finish(run, RunStatus::Done, None, now);
                        break;
                    }
                    Step::GotoFlow(target) => {
                        clear_wait(run, &contact.id, tx);
                        finish(run, RunStatus::Done, None, now);
                        goto = Some(target);
                        break;
                    }
                    Step::Fail(failure) => {
                        tx.counters.push(counter(&flow, &node_id, "failed".into()));
                        self.trace(
                            tx,
                            run,
                            &node_id,
                            &format!("failed:{}", failure.code),
                            Some(failure.message.clone()),
                        );
                        clear_wait(run, &contact.id, tx);
                        match flow.next(ix, "error") {
                            Some(next) => {
                                let error =
                                    json!({ "code": failure.code, "message": failure.message });
                                if self.config.trace {
                                    let mut changed = serde_json::Map::new();
                                    changed.insert("error".into(), error.clone());
                                    self.trace_changes(
                                        tx,
                                        run,
                                        &node_id,
                                        "left:error",
                                        None,
                                        changed,
                                    );
                                }
                                run.vars.insert("error".into(), error);
                                inputs.set_vars(&run.vars);
                                run.cursor.clone_from(&flow.node(next).id);
                            }
                            None => {
                                let reason = format!("{}: {}", failure.code, failure.message);
                                finish(run, RunStatus::Failed, Some(reason), now);
                                break;
                            }
                        }
                    }
                }
            }
            run.updated_at = now;
        }
        if let Some(target) = goto {
            // A flow names another of its own workspace.
            let target = ScopedId::new(ScopedId::scope_of(&state.contact.id), &target);
            self.start(
                state,
                target.as_str(),
                None,
                Value::Null,
                Origin::Business,
                None,
                now,
                tx,
            );
        }
    }

    fn trace(
        &self,
        tx: &mut Transition,
        run: &Run,
        node_id: &str,
        what: &str,
        detail: Option<String>,
    ) {
        if self.config.trace {
            self.trace_changes(tx, run, node_id, what, detail, serde_json::Map::new());
        }
    }

    fn trace_changes(
        &self,
        tx: &mut Transition,
        run: &Run,
        node_id: &str,
        what: &str,
        detail: Option<String>,
        vars_changed: serde_json::Map<String, Value>,
    ) {
        if self.config.trace {
            tx.trace.push(TraceStep {
                run_id: run.id.clone(),
                node_id: node_id.to_owned(),
                what: what.to_owned(),
                detail,
                vars_changed,
            });
        }
    }
}

/// What a step did to a run's variables: each one set to a new value, and each one removed
/// (as null).
fn vars_diff(
    before: &serde_json::Map<String, Value>,
    after: &serde_json::Map<String, Value>,
) -> serde_json::Map<String, Value> {
    let mut changed: serde_json::Map<String, Value> = after
        .iter()
        .filter(|(name, value)| before.get(*name) != Some(*value))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    for name in before.keys() {
        if !after.contains_key(name) {
            changed.insert(name.clone(), Value::Null);
        }
    }
    changed
}

/// A call's idempotency key: the same for the same step of the same run, however often the
/// event is applied; opaque, so the contact's number does not travel to other systems.
fn call_key(contact_id: &str, run_id: &str, node_id: &str, step: u32) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new()
        .chain_update(contact_id.as_bytes())
        .chain_update([0])
        .chain_update(run_id.as_bytes())
        .chain_update([0])
        .chain_update(node_id.as_bytes())
        .chain_update([0])
        .chain_update(step.to_be_bytes())
        .finalize();
    hex::encode(&digest[..16])
}

fn event_name(kind: &EventKind) -> &'static str {
    match kind {
        EventKind::Inbound { .. } => "inbound",
        EventKind::Webhook { .. } => "webhook",
        EventKind::Timer { .. } => "timer",
        EventKind::HandoffClosed { .. } => "handoff_closed",
        EventKind::CallResult { .. } => "call_result",
        EventKind::Broadcast { .. } => "broadcast",
        EventKind::CancelRun { .. } => "cancel_run",
        EventKind::UpdateContact { .. } => "update_contact",
    }
}

fn counter(flow: &CompiledFlow, node_id: &str, key: String) -> Counter {
    Counter {
        version: flow.hash().to_owned(),
        node_id: node_id.to_owned(),
        key,
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

/// Replaces the run's wait with a new one (a new token, and a timer if it has a deadline).
fn set_wait(
    run: &mut Run,
    contact_id: &str,
    seq: &mut u64,
    kind: WaitKind,
    deadline: Option<Millis>,
    quiet: bool,
    tx: &mut Transition,
) {
    clear_wait(run, contact_id, tx);
    *seq += 1;
    let token = *seq;
    if let Some(deadline) = deadline {
        let timer = TimerRef {
            contact_id: contact_id.to_owned(),
            run_id: run.id.clone(),
            token,
        };
        tx.timers_set.push((timer, deadline));
    }
    run.wait = Some(Wait {
        kind,
        deadline,
        token,
        attempts: 0,
        quiet,
    });
}

fn clear_wait(run: &mut Run, contact_id: &str, tx: &mut Transition) {
    if let Some(wait) = run.wait.take()
        && wait.deadline.is_some()
    {
        tx.timers_cleared.push(TimerRef {
            contact_id: contact_id.to_owned(),
            run_id: run.id.clone(),
            token: wait.token,
        });
    }
}

fn finish(run: &mut Run, status: RunStatus, reason: Option<String>, now: Millis) {
    run.status = status;
    run.wait = None;
    run.reason = reason;
    run.updated_at = now;
    run.scratch = Value::Null;
}

/// Drops text fragments a tap overtook, with their timer.
fn discard_fragments(state: &mut ContactState, index: usize, tx: &mut Transition) {
    let contact_id = state.contact.id.clone();
    let run = &mut state.runs[index];
    if let Some(burst) = run.burst.take() {
        tx.timers_cleared.push(TimerRef {
            contact_id,
            run_id: run.id.clone(),
            token: burst.token,
        });
    }
}

/// Keeps a fragment of a burst; the first one of a burst sets the timer that ends it.
fn collect_fragment(
    state: &mut ContactState,
    index: usize,
    message: &InboundMessage,
    ends: Millis,
    tx: &mut Transition,
) {
    if let Some(burst) = state.runs[index].burst.as_mut() {
        burst.messages.push(message.clone());
        return;
    }
    let token = state.next_seq();
    let timer = TimerRef {
        contact_id: state.contact.id.clone(),
        run_id: state.runs[index].id.clone(),
        token,
    };
    tx.timers_set.push((timer, ends));
    state.runs[index].burst = Some(Burst {
        token,
        messages: vec![message.clone()],
    });
}

fn cancel(state: &mut ContactState, index: usize, reason: &str, now: Millis, tx: &mut Transition) {
    let contact_id = state.contact.id.clone();
    let run = &mut state.runs[index];
    clear_wait(run, &contact_id, tx);
    discard_fragments(state, index, tx);
    finish(
        &mut state.runs[index],
        RunStatus::Cancelled,
        Some(reason.to_owned()),
        now,
    );
}

/// Keeps active runs and only the most recent finished ones.
fn prune_finished(state: &mut ContactState) {
    let finished = state
        .runs
        .iter()
        .filter(|run| !run.status.is_active())
        .count();
    if finished <= FINISHED_RUNS_KEPT {
        return;
    }
    let mut to_drop = finished - FINISHED_RUNS_KEPT;
    // Runs are kept in start order, so the oldest finished come first.
    state.runs.retain(|run| {
        if !run.status.is_active() && to_drop > 0 {
            to_drop -= 1;
            false
        } else {
            true
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::NoServices;
    use crate::state::{Event, contact_id_for};
    use spool_nodes::{Content, InboundMessage};

    const FLOW: &str = r#"{
        "schema": 1, "id": "quiz", "name": "quiz",
        "nodes": [
            { "id": "hi", "type": "inbound_message", "config": {} },
            { "id": "remember", "type": "set", "config": { "assignments": [
                { "variable": "greeting", "value": { "expr": "msg.text" } },
                { "variable": "tries", "value": { "value": 1 } }
            ] } },
            { "id": "ask", "type": "wait_for_reply", "config": { "variable": "answer", "timeout": "1h" } },
            { "id": "bye", "type": "end", "config": {} }
        ],
        "edges": [
            { "from": "hi", "port": "next", "to": "remember" },
            { "from": "remember", "port": "next", "to": "ask" },
            { "from": "ask", "port": "reply", "to": "bye" },
            { "from": "ask", "port": "timeout", "to": "bye" }
        ]
    }"#;

    fn engine(trace: bool) -> Engine {
        let flows = Arc::new(FlowRegistry::new());
        flows.publish(spool_flows::compile_source(FLOW).expect("the test flow compiles"));
        let config = EngineConfig {
            trace,
            ..EngineConfig::default()
        };
        Engine::new(flows, Arc::new(NoServices), config)
    }

    fn text(id: &str, body: &str, at: Millis) -> Event {
        Event::inbound(
            InboundMessage {
                id: id.into(),
                from: "4915100000001".into(),
                from_user_id: None,
                profile_name: None,
                timestamp: at,
                content: Content::Text { body: body.into() },
                referral: None,
                context_id: None,
            },
            at,
        )
    }

    #[test]
    fn the_trace_says_which_variables_each_step_changed() {
        let engine = engine(true);
        let mut state = ContactState::default();
        let tx = engine.apply(&mut state, &text("m1", "hello", 1_000), 1_000);
        let set = tx
            .trace
            .iter()
            .find(|step| step.node_id == "remember" && step.what == "entered")
            .expect("the set node is in the trace");
        assert_eq!(
            Value::Object(set.vars_changed.clone()),
            json!({ "greeting": "hello", "tries": 1 })
        );
        assert!(
            tx.trace
                .iter()
                .filter(|step| step.node_id != "remember")
                .all(|step| step.vars_changed.is_empty()),
            "{:?}",
            tx.trace
        );
        let tx = engine.apply(&mut state, &text("m2", "42", 2_000), 2_000);
        let resumed = tx
            .trace
            .iter()
            .find(|step| step.node_id == "ask" && step.what == "resumed")
            .expect("the wait is resumed");
        assert_eq!(
            Value::Object(resumed.vars_changed.clone()),
            json!({ "answer": "42" })
        );
        assert_eq!(state.contact.id, contact_id_for("4915100000001"));
    }

    #[test]
    fn without_tracing_nothing_is_recorded() {
        let engine = engine(false);
        let mut state = ContactState::default();
        let tx = engine.apply(&mut state, &text("m1", "hello", 1_000), 1_000);
        assert!(tx.trace.is_empty());
        assert_eq!(state.runs[0].vars.get("greeting"), Some(&json!("hello")));
    }
}
