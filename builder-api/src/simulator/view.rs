//! What the simulator returns: transcript entries, trace steps and the state of the
//! contact, its runs and timers, as the API serialises them.

use serde::Serialize;
use serde_json::{Map, Value};
use spool_nodes::{Millis, RunStatus};
use utoipa::ToSchema;

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

/// The simulated contact (named apart from the contacts API's `ContactView`).
#[derive(Clone, Debug, Serialize, ToSchema)]
#[schema(as = SimulatedContact)]
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

/// A simulated run (named apart from the contacts API's `RunView`).
#[derive(Clone, Debug, Serialize, ToSchema)]
#[schema(as = SimulatedRun)]
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

/// Milliseconds since the epoch as RFC 3339.
pub fn rfc3339(at: Millis) -> String {
    chrono::DateTime::from_timestamp_millis(at)
        .map(|time| time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}
