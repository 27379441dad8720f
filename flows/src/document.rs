//! The flow document: what the editor saves and the runtime runs.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::config::NodeKind;
use crate::diagnostic::{Code, Diagnostic, excerpt};
use crate::values::Duration;

/// The version of the document format this crate reads and writes.
pub const SCHEMA_VERSION: u32 = 1;

/// The most characters a flow id may have.
pub const MAX_FLOW_ID: usize = 64;

/// Checks a flow id: 1 to 64 ASCII letters, digits, `-` and `_`, because it appears in
/// URLs. `spool validate` and the API both use this rule.
pub fn check_flow_id(id: &str) -> Result<(), Diagnostic> {
    let fine = !id.is_empty()
        && id.len() <= MAX_FLOW_ID
        && id
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_');
    if fine {
        return Ok(());
    }
    Err(Diagnostic::error(
        Code::InvalidFlowId,
        format!(
            "A flow id is 1 to {MAX_FLOW_ID} letters, digits, `-` or `_`; {:?} is not. It is the document's `id`.",
            excerpt(id, 0)
        ),
    )
    .on_field("id"))
}

/// A journey: nodes joined by edges, plus settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Spool flow")]
pub struct Flow {
    /// Always 1 for this version of the format.
    pub schema: u32,
    /// A stable identifier, e.g. `abandoned-cart`.
    pub id: String,
    /// The name people see in the editor.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub nodes: Vec<Node>,
    #[serde(default)]
    pub edges: Vec<Edge>,
    #[serde(default)]
    pub settings: Settings,
    /// Sticky notes the editor shows on the canvas; the runtime ignores them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Note>,
}

/// A sticky note on the editor's canvas: text for the people who build the flow. Like
/// positions, notes are not part of the journey: the runtime never reads them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Note {
    /// Unique among the flow's notes.
    pub id: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub position: Position,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<f64>,
}

/// One step of the journey.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Node {
    /// Unique within the flow; edges refer to it.
    pub id: String,
    /// Where the editor draws the node; the runtime ignores it.
    #[serde(default)]
    pub position: Position,
    #[serde(flatten)]
    pub kind: NodeKind,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Position {
    pub x: f64,
    pub y: f64,
}

/// Joins an output port of one node to another node.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Edge {
    pub from: String,
    pub port: String,
    pub to: String,
}

/// How the journey behaves as a whole.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// What happens when a contact already in this journey triggers it again.
    #[serde(default)]
    pub reentry: Reentry,
    /// Messages a contact sends within this window are taken as one turn (off when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub burst_merge: Option<Duration>,
    /// Most steps one event may take before the run is stopped as stuck (1,000 when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_budget: Option<u32>,
    /// Hours in which delays end and business-initiated messages wait until morning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quiet_hours: Option<QuietHours>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reentry {
    /// Ignore the new trigger; the contact stays where they are.
    #[default]
    Ignore,
    /// End the current run and start again from the trigger.
    Restart,
    /// Start again once the current run has ended.
    Queue,
}

/// A daily quiet period, in the contact's time zone when known.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QuietHours {
    /// `HH:MM`, 24-hour clock.
    pub start: String,
    /// `HH:MM`, 24-hour clock; may be earlier than `start` (spans midnight).
    pub end: String,
    /// IANA time zone used when the contact's is unknown, e.g. `Europe/Lisbon`.
    #[serde(default = "QuietHours::default_timezone")]
    pub timezone: String,
}

impl QuietHours {
    fn default_timezone() -> String {
        "UTC".to_owned()
    }
}

impl Flow {
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.iter().find(|node| node.id == id)
    }

    /// The flow as pretty JSON, the form examples and exports are written in.
    pub fn to_json_pretty(&self) -> String {
        // Serializing these types cannot fail: every map key is a string.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}
