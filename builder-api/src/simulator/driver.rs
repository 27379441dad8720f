//! The simulation itself: the real engine on a contact kept in memory, its clock moved only
//! by the builder, timers fired at their due time and the calls a flow makes answered at once.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use serde_json::{Value, json};
use spool_flows::{CompiledFlow, NodeKind};
use spool_nodes::{CallAnswer, Contact, InboundMessage, Millis, RunStatus, Services, WaitKind};
use spool_runtime::state::{ContactChange, PendingCall, contact_id_for};
use spool_runtime::{
    ContactState, Engine, EngineConfig, Event, EventKind, FlowRegistry, ScopedId, TimerRef,
    Transition,
};
use tokio::sync::broadcast;

use super::input::{Choice, check_timezone};
use super::text::{describe_inbound, describe_trigger, span};
use super::{
    ContactOptions, ContactUpdate, ContactView, DEFAULT_PHONE, Direction, Entry, Error,
    FastForward, FlowInfo, Outcome, RunView, Say, State, Stub, Stubs, TIMERS_PER_FAST_FORWARD,
    TimerView, TraceEntry, UPDATES_BUFFERED, Update, parse_phone, rfc3339,
};

/// One flow and one fake contact, in memory.
pub struct Simulation {
    pub(super) flow: Arc<CompiledFlow>,
    pub(super) engine: Engine,
    pub(super) state: ContactState,
    pub(super) now: Millis,
    pub(super) timers: Vec<(Millis, TimerRef)>,
    pub(super) transcript: VecDeque<Entry>,
    pub(super) trace: VecDeque<TraceEntry>,
    pub(super) choices: VecDeque<Choice>,
    pub(super) seq: u64,
    pub(super) messages_sent: u64,
    pub(super) updates: broadcast::Sender<Update>,
    /// Answers written by the builder for HTTP and AI steps.
    pub(super) stubs: Stubs,
}

impl std::fmt::Debug for Simulation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulation")
            .field("flow", &self.flow.flow().id)
            .field("contact", &self.state.contact.id)
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

impl Simulation {
    /// A simulation of `flow` (compiled with its id scoped to `scope`, the workspace; `""`
    /// for none) for a fake contact, its clock at `now`.
    pub fn new(
        flow: impl Into<Arc<CompiledFlow>>,
        scope: &str,
        services: Arc<dyn Services>,
        options: &ContactOptions,
        now: Millis,
    ) -> Result<Self, Error> {
        let phone = parse_phone(options.phone.as_deref().unwrap_or(DEFAULT_PHONE))?;
        if let Some(zone) = &options.timezone {
            check_timezone(zone)?;
        }
        let registry = Arc::new(FlowRegistry::new());
        let flow = registry.publish(flow);
        let engine = Engine::new(
            registry,
            services,
            EngineConfig {
                trace: true,
                ..EngineConfig::default()
            },
        );
        let mut contact = Contact::new(
            ScopedId::new(scope, &contact_id_for(phone.digits())),
            phone.digits(),
        );
        contact.name.clone_from(&options.name);
        contact.tags = options.tags.iter().cloned().collect();
        contact.properties.clone_from(&options.properties);
        contact.timezone.clone_from(&options.timezone);
        contact.marketing_opt_in_at = options.marketing_opt_in.then_some(now);
        contact.last_inbound_at = options.window_open.then_some(now);
        let (updates, _) = broadcast::channel(UPDATES_BUFFERED);
        Ok(Self {
            flow,
            engine,
            state: ContactState::new(contact),
            now,
            timers: Vec::new(),
            transcript: VecDeque::new(),
            trace: VecDeque::new(),
            choices: VecDeque::new(),
            seq: 0,
            messages_sent: 0,
            updates,
            stubs: Stubs::default(),
        })
    }

    /// Answers `stubs` give instead of calling out, checked against the flow.
    pub fn set_stubs(&mut self, stubs: BTreeMap<String, Stub>) -> Result<(), Error> {
        self.stubs = Stubs::check(&self.flow, stubs)?;
        Ok(())
    }

    pub fn stubs(&self) -> &Stubs {
        &self.stubs
    }

    pub fn flow(&self) -> &Arc<CompiledFlow> {
        &self.flow
    }

    pub fn now(&self) -> Millis {
        self.now
    }

    /// The triggers a contact's message fires, described for people.
    fn message_triggers(&self) -> Vec<String> {
        self.flow
            .triggers()
            .iter()
            .filter_map(|ix| describe_trigger(&self.flow.node(*ix).kind))
            .collect()
    }

    /// True when the flow can only start on a message from an ad (a referral is needed).
    pub fn needs_referral(&self) -> bool {
        let kinds: Vec<&NodeKind> = self
            .flow
            .triggers()
            .iter()
            .map(|ix| &self.flow.node(*ix).kind)
            .collect();
        kinds
            .iter()
            .any(|kind| matches!(kind, NodeKind::CtwaReferral(_)))
            && !kinds
                .iter()
                .any(|kind| matches!(kind, NodeKind::InboundMessage(_)))
    }

    /// A referral the flow's ad trigger accepts, for a first message.
    pub fn sample_referral(&self) -> Value {
        let ad = self
            .flow
            .triggers()
            .iter()
            .find_map(|ix| match &self.flow.node(*ix).kind {
                NodeKind::CtwaReferral(trigger) => trigger.ad_ids.first().cloned(),
                _ => None,
            })
            .unwrap_or_else(|| "1200000000000".to_owned());
        json!({
            "source_type": "ad",
            "source_id": ad,
            "source_url": "https://fb.me/simulated-ad",
            "headline": "Simulated ad",
        })
    }

    /// Starts the flow now with `payload` when it is given or when no message of the contact
    /// could start it (webhook, event and broadcast triggers); otherwise says what will.
    pub async fn begin(&mut self, payload: Option<Value>) -> Outcome {
        let mut out = Outcome::default();
        let message_triggers = self.message_triggers();
        if payload.is_none() && !message_triggers.is_empty() {
            let text = format!(
                "{} starts on {}.",
                self.flow.flow().name,
                message_triggers.join(", or ")
            );
            self.system(&mut out, text, None, None);
            return out;
        }
        let has_payload = payload.is_some();
        let flow_id = self.flow.flow().id.clone();
        let text = if has_payload {
            format!(
                "{} started by the business, with the payload given.",
                self.flow.flow().name
            )
        } else {
            format!("{} started by the business.", self.flow.flow().name)
        };
        self.system(&mut out, text, None, None);
        self.apply(
            EventKind::Webhook {
                flow_id,
                trigger: None,
                payload: payload.unwrap_or(Value::Null),
            },
            &mut out,
        )
        .await;
        out
    }

    /// The contact sends a message; unless `say.more`, they then stop typing (the flow's
    /// burst-merge window, if any, closes).
    pub async fn say(&mut self, say: Say) -> Result<Outcome, Error> {
        let more = say.more;
        let (content, context_id) = self.content_of(&say)?;
        if let Some(referral) = &say.referral
            && !referral.is_object()
        {
            return Err(Error::InvalidMessage(
                "`referral` is an object, e.g. {\"source_id\": \"120210\", \"headline\": \"Spring sale\"}."
                    .into(),
            ));
        }
        self.messages_sent += 1;
        let message = InboundMessage {
            id: format!("wamid.simulated.{}", self.messages_sent),
            from: self.state.contact.phone.clone(),
            from_user_id: None,
            profile_name: self.state.contact.name.clone(),
            timestamp: self.now,
            content,
            referral: say.referral,
            context_id,
            channel: None,
        };
        let mut out = Outcome::default();
        let entry = Entry {
            seq: 0,
            at: String::new(),
            direction: Direction::Contact,
            text: describe_inbound(&message.content),
            message: serde_json::to_value(&message.content).ok(),
            run_id: None,
            node_id: None,
        };
        self.publish_entry(&mut out, entry);
        self.apply(EventKind::Inbound { message }, &mut out).await;
        if !more {
            let pause_ends = self
                .timers
                .iter()
                .filter(|(_, timer)| self.is_burst(timer))
                .map(|(due, _)| *due)
                .max();
            if let Some(due) = pause_ends {
                self.run_until(due, &mut out).await;
            }
        }
        Ok(out)
    }

    /// Moves the clock forward, firing the timers that fall due on the way in due order,
    /// each at its due time.
    pub async fn fast_forward(&mut self, how: FastForward) -> Result<Outcome, Error> {
        let mut out = Outcome::default();
        let target = match how {
            FastForward::By(by) => {
                let by = Millis::try_from(by.as_millis()).unwrap_or(Millis::MAX);
                let target = self.now.saturating_add(by);
                let text = format!("Fast-forward {} to {}.", span(by), rfc3339(target));
                self.system(&mut out, text, None, None);
                target
            }
            FastForward::NextTimer => {
                let due = self
                    .timers
                    .iter()
                    .map(|(due, _)| *due)
                    .min()
                    .ok_or(Error::NoTimer)?;
                let target = due.max(self.now);
                let text = format!(
                    "Fast-forward {} to the next timer, at {}.",
                    span(target - self.now),
                    rfc3339(target)
                );
                self.system(&mut out, text, None, None);
                target
            }
        };
        self.run_until(target, &mut out).await;
        Ok(out)
    }

    /// An operator closes the conversation of the run in a handoff.
    pub async fn close_handoff(&mut self) -> Result<Outcome, Error> {
        let run_id = self
            .state
            .runs
            .iter()
            .filter(|run| run.status == RunStatus::Handoff)
            .max_by_key(|run| run.updated_at)
            .map(|run| run.id.clone())
            .ok_or(Error::NoHandoff)?;
        let mut out = Outcome::default();
        self.system(
            &mut out,
            "An operator closed the conversation.".to_owned(),
            Some(run_id.clone()),
            None,
        );
        self.apply(EventKind::HandoffClosed { run_id }, &mut out)
            .await;
        Ok(out)
    }

    /// Starts a run at the step `node_id` with `vars`, beside any runs the contact is in: the
    /// builder tries the rest of a journey without playing its beginning.
    pub async fn start_at(
        &mut self,
        node_id: &str,
        vars: serde_json::Map<String, Value>,
    ) -> Result<Outcome, Error> {
        let Some(index) = self.flow.node_index(node_id) else {
            return Err(Error::UnknownStep(format!(
                "This flow has no step `{node_id}`."
            )));
        };
        if self.flow.triggers().contains(&index) {
            return Err(Error::UnknownStep(format!(
                "`{node_id}` is a trigger: start the flow as a contact would, or pick the step after it."
            )));
        }
        let mut out = Outcome::default();
        let text = if vars.is_empty() {
            format!("Started at {node_id}.")
        } else {
            let names: Vec<&str> = vars.keys().map(String::as_str).collect();
            format!("Started at {node_id}, with {}.", names.join(", "))
        };
        self.system(&mut out, text, None, Some(node_id.to_owned()));
        let before: Vec<(String, RunStatus)> = self
            .state
            .runs
            .iter()
            .map(|run| (run.id.clone(), run.status))
            .collect();
        let contact_before = self.state.contact.clone();
        let flow_id = self.flow.flow().id.clone();
        let tx = self
            .engine
            .start_at(&mut self.state, &flow_id, node_id, vars, self.now);
        let calls = self.settle(tx, &before, &contact_before, &mut out);
        self.answer_calls(calls, &mut out).await;
        Ok(out)
    }

    /// The contact's profile is changed from outside.
    pub async fn update_contact(&mut self, update: ContactUpdate) -> Result<Outcome, Error> {
        if let Some(zone) = &update.timezone {
            check_timezone(zone)?;
        }
        let mut out = Outcome::default();
        self.system(
            &mut out,
            "The contact was changed from outside.".to_owned(),
            None,
            None,
        );
        let change = ContactChange {
            name: update.name,
            marketing_opt_in: update.marketing_opt_in,
            add_tags: update.add_tags,
            remove_tags: update.remove_tags,
            properties: update.properties,
            timezone: update.timezone,
            locale: None,
            consent_source: None,
        };
        self.apply(EventKind::UpdateContact { change }, &mut out)
            .await;
        Ok(out)
    }

    pub fn info(&self) -> FlowInfo {
        let flow = self.flow.flow();
        FlowInfo {
            id: ScopedId::local_of(&flow.id).to_owned(),
            name: flow.name.clone(),
            hash: self.flow.hash().to_owned(),
        }
    }

    pub fn state(&self) -> State {
        let contact = &self.state.contact;
        let mut timers: Vec<&(Millis, TimerRef)> = self.timers.iter().collect();
        timers.sort_by_key(|(due, timer)| (*due, timer.token));
        State {
            now: rfc3339(self.now),
            contact: ContactView {
                phone: format!("+{}", contact.phone),
                name: contact.name.clone(),
                tags: contact.tags.iter().cloned().collect(),
                properties: contact.properties.clone(),
                marketing_opt_in: contact.opted_in(),
                timezone: contact.timezone.clone(),
                window_open_until: contact
                    .last_inbound_at
                    .map(|at| at + spool_nodes::DAY)
                    .filter(|until| *until > self.now)
                    .map(rfc3339),
            },
            runs: self
                .state
                .runs
                .iter()
                .map(|run| RunView {
                    id: run.id.clone(),
                    status: run.status,
                    node_id: run.cursor.clone(),
                    vars: run.vars.clone(),
                    waiting_until: run
                        .wait
                        .as_ref()
                        .and_then(|wait| wait.deadline)
                        .map(rfc3339),
                    reason: run.reason.clone(),
                    steps: run.steps,
                })
                .collect(),
            timers: timers
                .into_iter()
                .map(|(due, timer)| TimerView {
                    run_id: timer.run_id.clone(),
                    node_id: self
                        .state
                        .run(&timer.run_id)
                        .map(|run| run.cursor.clone())
                        .unwrap_or_default(),
                    what: self.timer_kind(timer).to_owned(),
                    due: rfc3339(*due),
                    due_in: span(*due - self.now),
                })
                .collect(),
        }
    }

    pub(super) fn is_burst(&self, timer: &TimerRef) -> bool {
        self.state.run(&timer.run_id).is_some_and(|run| {
            run.burst
                .as_ref()
                .is_some_and(|burst| burst.token == timer.token)
        })
    }

    /// What a timer ends: a delay, a wait's timeout, quiet hours, the contact's typing pause.
    pub(super) fn timer_kind(&self, timer: &TimerRef) -> &'static str {
        if self.is_burst(timer) {
            return "typing_pause";
        }
        let Some(run) = self.state.run(&timer.run_id) else {
            return "stale";
        };
        match &run.wait {
            Some(wait) if wait.token == timer.token => {
                if wait.quiet {
                    "quiet_hours"
                } else {
                    match wait.kind {
                        WaitKind::Timer => "delay",
                        WaitKind::Reply => "reply_timeout",
                        WaitKind::Handoff => "handoff_timeout",
                        // Calls have no timer; a timer for one is not this wait's.
                        WaitKind::Call => "stale",
                    }
                }
            }
            _ => "stale",
        }
    }

    async fn run_until(&mut self, target: Millis, out: &mut Outcome) {
        let mut fired = 0;
        loop {
            let next = self
                .timers
                .iter()
                .enumerate()
                .filter(|(_, (due, _))| *due <= target)
                .min_by_key(|(_, (due, timer))| (*due, timer.token))
                .map(|(index, _)| index);
            let Some(index) = next else { break };
            if fired >= TIMERS_PER_FAST_FORWARD {
                let text = format!(
                    "Stopped after {TIMERS_PER_FAST_FORWARD} timers: the flow keeps setting new ones. Fast-forward again to go on."
                );
                self.system(out, text, None, None);
                return;
            }
            let (due, timer) = self.timers.remove(index);
            self.now = self.now.max(due);
            fired += 1;
            let kind = self.timer_kind(&timer);
            if kind == "stale" {
                continue;
            }
            let node_id = self.state.run(&timer.run_id).map(|run| run.cursor.clone());
            let text = match kind {
                "typing_pause" => "The contact stopped typing.".to_owned(),
                "delay" => "The delay is over.".to_owned(),
                "reply_timeout" => "No reply in time: the wait times out.".to_owned(),
                "handoff_timeout" => "No operator closed the conversation in time.".to_owned(),
                _ => "Quiet hours are over.".to_owned(),
            };
            self.system(out, text, Some(timer.run_id.clone()), node_id);
            self.apply(
                EventKind::Timer {
                    run_id: timer.run_id,
                    token: timer.token,
                },
                out,
            )
            .await;
        }
        self.now = self.now.max(target);
    }

    /// Applies one event with the engine and reports what it did. Calls the flow makes are
    /// made at once (no virtual time passes) and their answers applied in turn.
    pub(super) async fn apply(&mut self, kind: EventKind, out: &mut Outcome) {
        let calls = self.apply_one(kind, out);
        self.answer_calls(calls, out).await;
    }

    /// Makes the calls runs wait for and applies their answers, and the calls those lead to.
    async fn answer_calls(&mut self, calls: Vec<PendingCall>, out: &mut Outcome) {
        let mut calls = VecDeque::from(calls);
        while let Some(call) = calls.pop_front() {
            let answer = self.answer(&call, out).await;
            let kind = call.answered(answer, self.now).kind;
            calls.extend(self.apply_one(kind, out));
        }
    }

    /// The answer to a call: the builder's stub for the step making it, else the service's.
    async fn answer(&mut self, call: &PendingCall, out: &mut Outcome) -> CallAnswer {
        let node_id = self.state.run(&call.run_id).map(|run| run.cursor.clone());
        let stub = node_id
            .as_deref()
            .and_then(|id| self.stubs.get(id))
            .cloned();
        let Some(stub) = stub else {
            return spool_nodes::perform(self.engine.services().as_ref(), &call.request, &call.key)
                .await;
        };
        let text = format!(
            "{}: stub answer, {}.",
            call.request.describe(),
            stub.describe()
        );
        self.system(out, text, Some(call.run_id.clone()), node_id);
        stub.answer(&call.request)
    }

    /// Applies one event; returns the calls runs now wait for.
    fn apply_one(&mut self, kind: EventKind, out: &mut Outcome) -> Vec<PendingCall> {
        let event = Event::new(
            self.state.contact.id.clone(),
            self.state.contact.phone.clone(),
            self.now,
            kind,
        );
        let before: Vec<(String, RunStatus)> = self
            .state
            .runs
            .iter()
            .map(|run| (run.id.clone(), run.status))
            .collect();
        let contact_before = self.state.contact.clone();
        let tx = self.engine.apply(&mut self.state, &event, self.now);
        if tx.duplicate {
            return Vec::new();
        }
        self.settle(tx, &before, &contact_before, out)
    }

    /// Keeps the timers a transition set and cleared, reports what it did; returns the calls
    /// runs now wait for.
    fn settle(
        &mut self,
        mut tx: Transition,
        before: &[(String, RunStatus)],
        contact_before: &Contact,
        out: &mut Outcome,
    ) -> Vec<PendingCall> {
        self.timers
            .retain(|(_, timer)| !tx.timers_cleared.contains(timer));
        self.timers.extend(
            tx.timers_set
                .iter()
                .map(|(timer, due)| (*due, timer.clone())),
        );
        let calls = std::mem::take(&mut tx.calls);
        self.report(tx, before, out);
        self.report_contact(contact_before, out);
        calls
    }
}
