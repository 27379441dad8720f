//! The simulator: one flow, one fake contact, and a clock that moves only when told to.
//!
//! A [`Simulation`] runs the real engine (the same node behaviours, policies and re-entry
//! rules as production) on a contact state kept in memory. Nothing is stored and nothing is
//! sent: the messages the flow would send are shown in a transcript, next to the contact's own
//! messages and a step-by-step trace (node, port taken, variables changed). Timers fire only
//! when the simulation is fast-forwarded, at their due time on the virtual clock, so quiet
//! hours, the 24-hour window and timeouts behave as they would for a real contact.
//!
//! Used by the HTTP API (`routes/simulator.rs`) and by `spool simulate` in a terminal.

use std::collections::VecDeque;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use spool_flows::config::MessageMatch;
use spool_flows::{CompiledFlow, NodeKind};
use spool_nodes::identity::Phone;
use spool_nodes::{
    Contact, Content, InboundMessage, Millis, Outbound, OutboundBody, RunStatus, Services, WaitKind,
};
use spool_runtime::engine::TraceStep;
use spool_runtime::state::{ContactChange, PendingCall, contact_id_for};
use spool_runtime::{
    ContactState, Engine, EngineConfig, Event, EventKind, FlowRegistry, ScopedId, TimerRef,
    Transition,
};
use tokio::sync::broadcast;
use utoipa::ToSchema;

/// The fake contact's number when none is given (a fictional US number).
pub const DEFAULT_PHONE: &str = "+15550100001";
/// Transcript entries and trace steps a simulation keeps (older ones are dropped).
const TRANSCRIPT_KEPT: usize = 2_000;
const TRACE_KEPT: usize = 10_000;
/// A fast-forward stops after this many timers, so a flow that loops on a delay cannot keep
/// a request busy for ever.
pub const TIMERS_PER_FAST_FORWARD: usize = 1_000;
/// Buttons, quick replies and list rows remembered for the contact to tap.
const CHOICES_KEPT: usize = 64;
/// Live updates buffered per subscriber before a slow one misses some.
const UPDATES_BUFFERED: usize = 512;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    InvalidContact(String),
    #[error("{0}")]
    InvalidMessage(String),
    #[error("{message}")]
    UnknownChoice {
        message: String,
        /// What the contact can tap now: `id` and `title` of each choice.
        offered: Vec<Value>,
    },
    #[error("{0}")]
    InvalidDuration(String),
    #[error("No timer is pending: nothing would happen by waiting.")]
    NoTimer,
    #[error("The contact is not with an operator: no run is in a handoff.")]
    NoHandoff,
}

/// Who the fake contact is.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactOptions {
    /// Their WhatsApp number, in international form (`+15550100001`); this is the default.
    pub phone: Option<String>,
    /// Their WhatsApp profile name.
    pub name: Option<String>,
    /// Whether they agreed to Marketing messages (Marketing templates need it).
    #[serde(default)]
    pub marketing_opt_in: bool,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Custom properties (`contact.properties` in expressions).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub properties: Map<String, Value>,
    /// IANA time zone, e.g. `Europe/Lisbon`; quiet hours use it when set.
    pub timezone: Option<String>,
    /// The contact wrote in the last 24 hours, so free-form messages may be sent to them
    /// before they write in the simulation.
    #[serde(default)]
    pub window_open: bool,
}

/// A change to the fake contact made from outside (as the contacts API or an import would);
/// it starts journeys listening for it (`event` triggers).
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactUpdate {
    pub name: Option<String>,
    pub marketing_opt_in: Option<bool>,
    #[serde(default)]
    pub add_tags: Vec<String>,
    #[serde(default)]
    pub remove_tags: Vec<String>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub properties: Map<String, Value>,
    pub timezone: Option<String>,
}

/// What the contact sends: exactly one of `text`, `button`, `list_reply`, `location`,
/// `media` or `content`.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Say {
    /// A text message.
    pub text: Option<String>,
    /// A tap on a reply button or a template's quick-reply button the flow sent, by its id
    /// (or its title).
    pub button: Option<String>,
    /// A pick from a list the flow sent, by its row id (or title).
    pub list_reply: Option<String>,
    pub location: Option<LocationInput>,
    pub media: Option<MediaInput>,
    /// Any message content as the runtime reads it, e.g. `{"type": "other", "kind": "sticker"}`.
    #[schema(value_type = Option<Object>)]
    pub content: Option<Content>,
    /// The Click-to-WhatsApp ad the message comes from, e.g.
    /// `{"source_id": "120210", "headline": "Spring sale"}`.
    #[schema(value_type = Option<Object>)]
    pub referral: Option<Value>,
    /// The contact is still typing: keep the flow's burst-merge window open for more
    /// fragments instead of closing it at once.
    #[serde(default)]
    pub more: bool,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationInput {
    pub latitude: f64,
    pub longitude: f64,
    pub name: Option<String>,
    pub address: Option<String>,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MediaInput {
    /// `image`, `video`, `audio`, `document` or `sticker`.
    pub kind: String,
    pub caption: Option<String>,
    pub mime_type: Option<String>,
}

/// How far to move the clock.
#[derive(Clone, Copy, Debug)]
pub enum FastForward {
    By(std::time::Duration),
    NextTimer,
}

/// Who a transcript entry comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// The fake contact.
    Contact,
    /// A message the flow sends (shown, never delivered).
    Flow,
    /// What happened around them: runs starting and ending, waits, timers, failures.
    System,
}

/// One line of the conversation.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Entry {
    /// Position among everything this simulation reported (entries and trace steps).
    pub seq: u64,
    /// When, on the simulation's clock (RFC 3339).
    pub at: String,
    pub direction: Direction,
    /// What a person reads.
    pub text: String,
    /// The message itself: for the contact, its content (`type`: text, button_reply,
    /// list_reply, template_button, media, location); for the flow, what would be sent
    /// (`type`: text, buttons, list, template, media).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub message: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_id: Option<String>,
}

/// One step of a run, as the engine took it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TraceEntry {
    pub seq: u64,
    pub at: String,
    pub run_id: String,
    pub node_id: String,
    /// `entered`, `resumed`, `left:<port>`, `waiting`, `quiet_hours`, `failed:<code>`.
    pub what: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Variables this step set (name → new value) or removed (name → null).
    #[serde(skip_serializing_if = "Map::is_empty")]
    #[schema(value_type = Object)]
    pub vars_changed: Map<String, Value>,
}

/// What one action (a message, a fast-forward…) made happen.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct Outcome {
    pub entries: Vec<Entry>,
    pub trace: Vec<TraceEntry>,
}

/// A live update, as the event stream sends it.
#[derive(Clone, Debug)]
pub enum Update {
    Entry(Entry),
    Trace(TraceEntry),
}

impl Update {
    pub fn seq(&self) -> u64 {
        match self {
            Update::Entry(entry) => entry.seq,
            Update::Trace(step) => step.seq,
        }
    }

    /// The event name on the stream.
    pub fn name(&self) -> &'static str {
        match self {
            Update::Entry(_) => "transcript",
            Update::Trace(_) => "trace",
        }
    }

    pub fn to_json(&self) -> String {
        let value = match self {
            Update::Entry(entry) => serde_json::to_string(entry),
            Update::Trace(step) => serde_json::to_string(step),
        };
        value.unwrap_or_default()
    }
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct FlowInfo {
    pub id: String,
    pub name: String,
    /// The content hash of the version simulated (runs name their version by it).
    pub hash: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ContactView {
    pub phone: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub tags: Vec<String>,
    #[schema(value_type = Object)]
    pub properties: Map<String, Value>,
    pub marketing_opt_in: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// Until when free-form messages may be sent (24 h after the contact last wrote).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window_open_until: Option<String>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RunView {
    pub id: String,
    /// `running`, `waiting_reply`, `waiting_timer`, `handoff`, `done`, `failed`, `cancelled`.
    #[schema(value_type = String)]
    pub status: RunStatus,
    /// The node the run is at.
    pub node_id: String,
    #[schema(value_type = Object)]
    pub vars: Map<String, Value>,
    /// When its wait ends by itself, if it waits with a deadline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiting_until: Option<String>,
    /// Why it failed or was cancelled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub steps: u32,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TimerView {
    pub run_id: String,
    pub node_id: String,
    /// `delay`, `reply_timeout`, `handoff_timeout`, `quiet_hours` or `typing_pause`.
    pub what: String,
    pub due: String,
    /// How long until it fires, e.g. `59m 30s`.
    pub due_in: String,
}

/// The simulation's state now.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct State {
    /// The simulation's clock (RFC 3339).
    pub now: String,
    pub contact: ContactView,
    pub runs: Vec<RunView>,
    /// Timers waiting, soonest first; fast-forward fires them.
    pub timers: Vec<TimerView>,
}

/// A choice the flow offered the contact.
#[derive(Clone, Debug)]
struct Choice {
    kind: ChoiceKind,
    id: String,
    title: String,
    description: Option<String>,
    /// The message that offered it (a tap answers it).
    message_key: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ChoiceKind {
    Button,
    QuickReply,
    ListRow,
}

/// One flow and one fake contact, in memory.
pub struct Simulation {
    flow: Arc<CompiledFlow>,
    engine: Engine,
    state: ContactState,
    now: Millis,
    timers: Vec<(Millis, TimerRef)>,
    transcript: VecDeque<Entry>,
    trace: VecDeque<TraceEntry>,
    choices: VecDeque<Choice>,
    seq: u64,
    messages_sent: u64,
    updates: broadcast::Sender<Update>,
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

/// The fake contact's number, read like every number Spool takes (E.164, see
/// [`Phone::parse`]).
pub fn parse_phone(text: &str) -> Result<Phone, Error> {
    Phone::parse(text).map_err(|reason| {
        Error::InvalidContact(format!(
            "{text:?} is not a phone number ({reason}); write it in international form, like {DEFAULT_PHONE}."
        ))
    })
}

fn check_timezone(zone: &str) -> Result<(), Error> {
    zone.parse::<chrono_tz::Tz>().map(|_| ()).map_err(|_| {
        Error::InvalidContact(format!(
            "{zone:?} is not a time zone; use an IANA name like Europe/Lisbon."
        ))
    })
}

/// Milliseconds since the epoch as RFC 3339.
pub fn rfc3339(at: Millis) -> String {
    chrono::DateTime::from_timestamp_millis(at)
        .map(|time| time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// A span of time as people write it: `1h 30m`.
fn span(ms: Millis) -> String {
    let secs = u64::try_from(ms.max(0) / 1_000).unwrap_or_default();
    spool_flows::values::Duration::from_secs(secs).to_string()
}

/// Reads a duration like `90s`, `1h 30m` or `2d`.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, Error> {
    text.parse::<spool_flows::values::Duration>()
        .map(spool_flows::values::Duration::get)
        .map_err(Error::InvalidDuration)
}

/// What the contact's message looks like in the transcript.
fn describe_inbound(content: &Content) -> String {
    match content {
        Content::Text { body } => body.clone(),
        Content::ButtonReply { title, .. } | Content::ListReply { title, .. } => {
            format!("[tapped] {title}")
        }
        Content::TemplateButton { text, .. } => format!("[tapped] {text}"),
        Content::Media { kind, caption, .. } => match caption {
            Some(caption) => format!("[{kind}] {caption}"),
            None => format!("[{kind}]"),
        },
        Content::Location {
            latitude,
            longitude,
            name,
            ..
        } => match name {
            Some(name) => format!("[location] {name} ({latitude}, {longitude})"),
            None => format!("[location] {latitude}, {longitude}"),
        },
        Content::Other { kind } => format!("[{kind}]"),
    }
}

/// What a message the flow sends looks like to a person: its words, then its buttons, rows
/// or template parameters on their own lines.
pub fn describe_outbound(body: &OutboundBody) -> String {
    let mut lines: Vec<String> = Vec::new();
    match body {
        OutboundBody::Text { text, .. } => lines.push(text.clone()),
        OutboundBody::Media {
            kind, url, caption, ..
        } => {
            lines.push(format!("[{kind}] {url}"));
            lines.extend(caption.clone());
        }
        OutboundBody::Buttons {
            text,
            header,
            footer,
            buttons,
        } => {
            lines.extend(header.clone());
            lines.push(text.clone());
            lines.extend(footer.clone());
            let titles: Vec<String> = buttons
                .iter()
                .map(|button| format!("[{}]", button.title))
                .collect();
            lines.push(titles.join(" "));
        }
        OutboundBody::List {
            text,
            header,
            footer,
            button,
            sections,
        } => {
            lines.extend(header.clone());
            lines.push(text.clone());
            lines.extend(footer.clone());
            lines.push(format!("[{button}]"));
            for section in sections {
                if !section.title.is_empty() {
                    lines.push(format!("{}:", section.title));
                }
                for row in &section.rows {
                    match &row.description {
                        Some(description) => {
                            lines.push(format!("- {} ({description})", row.title));
                        }
                        None => lines.push(format!("- {}", row.title)),
                    }
                }
            }
        }
        OutboundBody::Template {
            name,
            language,
            category,
            header,
            body,
            buttons,
        } => {
            lines.push(format!("Template {name} ({category}, {language})"));
            if !header.is_empty() {
                lines.push(format!("header: {}", header.join(" | ")));
            }
            if !body.is_empty() {
                lines.push(format!("body: {}", body.join(" | ")));
            }
            for button in buttons {
                let kind = if button.sub_type == "quick_reply" {
                    "quick reply"
                } else {
                    button.sub_type.as_str()
                };
                lines.push(format!(
                    "button {}: {kind} {}",
                    button.index + 1,
                    button.parameter
                ));
            }
        }
    }
    lines.join("\n")
}

/// The choices a message offers the contact.
fn choices_of(outbound: &Outbound) -> Vec<Choice> {
    let choice = |kind, id: &str, title: &str, description: Option<&String>| Choice {
        kind,
        id: id.to_owned(),
        title: title.to_owned(),
        description: description.cloned(),
        message_key: outbound.key.clone(),
    };
    match &outbound.body {
        OutboundBody::Buttons { buttons, .. } => buttons
            .iter()
            .map(|b| choice(ChoiceKind::Button, &b.id, &b.title, None))
            .collect(),
        OutboundBody::List { sections, .. } => sections
            .iter()
            .flat_map(|section| section.rows.iter())
            .map(|row| {
                choice(
                    ChoiceKind::ListRow,
                    &row.id,
                    &row.title,
                    row.description.as_ref(),
                )
            })
            .collect(),
        OutboundBody::Template { buttons, .. } => buttons
            .iter()
            .filter(|button| button.sub_type == "quick_reply")
            .map(|button| {
                choice(
                    ChoiceKind::QuickReply,
                    &button.parameter,
                    &button.parameter,
                    None,
                )
            })
            .collect(),
        OutboundBody::Text { .. } | OutboundBody::Media { .. } => Vec::new(),
    }
}

fn describe_trigger(kind: &NodeKind) -> Option<String> {
    Some(match kind {
        NodeKind::InboundMessage(trigger) => match &trigger.matcher {
            MessageMatch::Any => "any message from the contact".to_owned(),
            MessageMatch::Keyword { keywords, .. } => {
                format!("the contact writing {}", keywords.join(" or "))
            }
            MessageMatch::Regex { pattern } => {
                format!("a message from the contact matching /{pattern}/")
            }
            MessageMatch::ButtonPayload { payload } => {
                format!("the contact tapping a template button with payload {payload}")
            }
        },
        NodeKind::CtwaReferral(trigger) if trigger.ad_ids.is_empty() => {
            "a message from the contact sent from a Click-to-WhatsApp ad (with a referral)"
                .to_owned()
        }
        NodeKind::CtwaReferral(trigger) => format!(
            "a message from the contact sent from the ad {} (with a referral)",
            trigger.ad_ids.join(" or ")
        ),
        _ => return None,
    })
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
        })
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
        };
        self.apply(EventKind::UpdateContact { change }, &mut out)
            .await;
        Ok(out)
    }

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

    pub fn info(&self) -> FlowInfo {
        let flow = self.flow.flow();
        FlowInfo {
            id: ScopedId::local_of(&flow.id).to_owned(),
            name: flow.name.clone(),
            hash: self.flow.hash().to_owned(),
        }
    }

    pub fn transcript(&self) -> Vec<Entry> {
        self.transcript.iter().cloned().collect()
    }

    pub fn trace(&self) -> Vec<TraceEntry> {
        self.trace.iter().cloned().collect()
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

    fn is_burst(&self, timer: &TimerRef) -> bool {
        self.state.run(&timer.run_id).is_some_and(|run| {
            run.burst
                .as_ref()
                .is_some_and(|burst| burst.token == timer.token)
        })
    }

    /// What a timer ends: a delay, a wait's timeout, quiet hours, the contact's typing pause.
    fn timer_kind(&self, timer: &TimerRef) -> &'static str {
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

    /// Resolves what the contact sends into message content, and the message it answers.
    fn content_of(&self, say: &Say) -> Result<(Content, Option<String>), Error> {
        let given = [
            say.text.is_some(),
            say.button.is_some(),
            say.list_reply.is_some(),
            say.location.is_some(),
            say.media.is_some(),
            say.content.is_some(),
        ]
        .iter()
        .filter(|given| **given)
        .count();
        if given != 1 {
            return Err(Error::InvalidMessage(
                "Send exactly one of `text`, `button`, `list_reply`, `location`, `media` or `content`."
                    .into(),
            ));
        }
        if let Some(text) = &say.text {
            if text.trim().is_empty() {
                return Err(Error::InvalidMessage("`text` is empty.".into()));
            }
            return Ok((Content::Text { body: text.clone() }, None));
        }
        if let Some(id) = &say.button {
            let choice = self.find_choice(id, &[ChoiceKind::Button, ChoiceKind::QuickReply])?;
            let content = if choice.kind == ChoiceKind::QuickReply {
                Content::TemplateButton {
                    payload: choice.id.clone(),
                    text: choice.title.clone(),
                }
            } else {
                Content::ButtonReply {
                    id: choice.id.clone(),
                    title: choice.title.clone(),
                }
            };
            return Ok((content, Some(choice.message_key.clone())));
        }
        if let Some(id) = &say.list_reply {
            let choice = self.find_choice(id, &[ChoiceKind::ListRow])?;
            let content = Content::ListReply {
                id: choice.id.clone(),
                title: choice.title.clone(),
                description: choice.description.clone(),
            };
            return Ok((content, Some(choice.message_key.clone())));
        }
        if let Some(location) = &say.location {
            let valid = (-90.0..=90.0).contains(&location.latitude)
                && (-180.0..=180.0).contains(&location.longitude);
            if !valid {
                return Err(Error::InvalidMessage(
                    "A location's latitude is within ±90 and its longitude within ±180.".into(),
                ));
            }
            return Ok((
                Content::Location {
                    latitude: location.latitude,
                    longitude: location.longitude,
                    name: location.name.clone(),
                    address: location.address.clone(),
                },
                None,
            ));
        }
        if let Some(media) = &say.media {
            const KINDS: [&str; 5] = ["image", "video", "audio", "document", "sticker"];
            if !KINDS.contains(&media.kind.as_str()) {
                return Err(Error::InvalidMessage(format!(
                    "A media `kind` is one of {}; not {:?}.",
                    KINDS.join(", "),
                    media.kind
                )));
            }
            return Ok((
                Content::Media {
                    kind: media.kind.clone(),
                    id: format!("simulated-media-{}", self.messages_sent + 1),
                    mime_type: media.mime_type.clone(),
                    caption: media.caption.clone(),
                },
                None,
            ));
        }
        match &say.content {
            Some(content) => Ok((content.clone(), None)),
            None => Err(Error::InvalidMessage("Nothing to send.".into())),
        }
    }

    /// The most recent choice of those kinds with this id (else this title, ignoring case).
    fn find_choice(&self, wanted: &str, kinds: &[ChoiceKind]) -> Result<&Choice, Error> {
        let wanted = wanted.trim();
        let candidates = || {
            self.choices
                .iter()
                .rev()
                .filter(|choice| kinds.contains(&choice.kind))
        };
        if let Some(choice) = candidates()
            .find(|choice| choice.id == wanted)
            .or_else(|| candidates().find(|choice| choice.title.eq_ignore_ascii_case(wanted)))
        {
            return Ok(choice);
        }
        let latest = candidates().next().map(|choice| choice.message_key.clone());
        let mut offered: Vec<Value> = candidates()
            .filter(|choice| Some(&choice.message_key) == latest.as_ref())
            .map(|choice| json!({ "id": choice.id, "title": choice.title }))
            .collect();
        offered.reverse();
        let what = if kinds.contains(&ChoiceKind::ListRow) {
            "list row"
        } else {
            "button"
        };
        let message = if offered.is_empty() {
            format!("The flow has not sent a {what} to tap yet, so there is no {wanted:?}.")
        } else {
            let ids: Vec<&str> = offered
                .iter()
                .filter_map(|choice| choice["id"].as_str())
                .collect();
            format!(
                "No {what} {wanted:?} was sent to the contact; the latest offered: {}.",
                ids.join(", ")
            )
        };
        Err(Error::UnknownChoice { message, offered })
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
    async fn apply(&mut self, kind: EventKind, out: &mut Outcome) {
        let mut events = std::collections::VecDeque::from([kind]);
        while let Some(kind) = events.pop_front() {
            for call in self.apply_one(kind, out) {
                let answer =
                    spool_nodes::perform(self.engine.services().as_ref(), &call.request, &call.key)
                        .await;
                events.push_back(call.answered(answer, self.now).kind);
            }
        }
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
        let mut tx = self.engine.apply(&mut self.state, &event, self.now);
        if tx.duplicate {
            return Vec::new();
        }
        self.timers
            .retain(|(_, timer)| !tx.timers_cleared.contains(timer));
        self.timers.extend(
            tx.timers_set
                .iter()
                .map(|(timer, due)| (*due, timer.clone())),
        );
        let calls = std::mem::take(&mut tx.calls);
        self.report(tx, &before, out);
        self.report_contact(&contact_before, out);
        calls
    }

    /// The trace in order, each step followed by the messages it sent and what it means.
    fn report(&mut self, tx: Transition, before: &[(String, RunStatus)], out: &mut Outcome) {
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
    fn report_contact(&mut self, before: &Contact, out: &mut Outcome) {
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

    fn system(
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

    fn publish_entry(&mut self, out: &mut Outcome, mut entry: Entry) {
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

    fn publish_trace(&mut self, out: &mut Outcome, mut step: TraceEntry) {
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
