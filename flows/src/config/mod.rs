//! The typed configuration of every node type, as a closed enum tagged by `type`.
//!
//! Adding a node type means adding a variant here, and the compiler then points at every
//! `match` that must learn about it (ports, catalog, validation, and later the runtime).
//! The settings of each palette group live in a file of their own.

mod contact;
mod integration;
mod logic;
mod messaging;
mod triggers;

pub use contact::*;
pub use integration::*;
pub use logic::*;
pub use messaging::*;
pub use triggers::*;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::values::Duration;

/// What a node does, with its configuration. Serialized as `"type": "...", "config": {...}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", content = "config", rename_all = "snake_case")]
pub enum NodeKind {
    // --- triggers ---
    InboundMessage(InboundMessage),
    CtwaReferral(CtwaReferral),
    Webhook(Webhook),
    Event(Event),
    Broadcast(Broadcast),
    // --- logic ---
    Condition(Condition),
    Switch(Switch),
    Split(Split),
    Set(Set),
    Delay(Delay),
    WaitForReply(WaitForReply),
    GotoFlow(GotoFlow),
    End(End),
    // --- messaging ---
    SendText(SendText),
    SendMedia(SendMedia),
    SendButtons(SendButtons),
    SendList(SendList),
    SendTemplate(SendTemplate),
    // --- contact ---
    Tag(Tag),
    UpdateContact(UpdateContact),
    // --- integration ---
    HttpRequest(HttpRequest),
    AiAgent(AiAgent),
    Handoff(Handoff),
}

fn default_timeout_24h() -> Duration {
    Duration::from_secs(24 * 3600)
}

fn is_false(value: &bool) -> bool {
    !*value
}
