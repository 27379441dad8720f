//! Triggers: what starts a journey (a message, an ad tap, a webhook, a contact event, a
//! broadcast).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::values::Expression;

use super::*;

/// Starts the journey when a contact sends a message that matches.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InboundMessage {
    #[serde(rename = "match", default)]
    pub matcher: MessageMatch,
}

/// Which inbound messages start the journey.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum MessageMatch {
    /// Any message at all.
    #[default]
    Any,
    /// The message text equals one of the keywords (ignoring case unless asked).
    Keyword {
        keywords: Vec<String>,
        #[serde(default, skip_serializing_if = "is_false")]
        case_sensitive: bool,
    },
    /// The message text matches a regular expression.
    Regex { pattern: String },
    /// A tap on a template quick-reply button with this payload.
    ButtonPayload { payload: String },
}

/// Starts the journey when a contact writes after tapping a Click-to-WhatsApp ad.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CtwaReferral {
    /// Ad ids (`referral.source_id`) that start this journey; empty means any ad.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ad_ids: Vec<String>,
}

/// Starts or resumes the journey when another system POSTs JSON to `/hooks/{workspace}/{hook}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Webhook {
    /// The endpoint's name, the last part of its URL (lowercase letters, digits, `-`, `_`).
    pub hook: String,
    /// Picks the contact's phone number out of the body, e.g. `payload.customer.phone`.
    pub contact: Expression,
    /// Name of a workspace secret used to check an HMAC-SHA256 signature of the body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// Starts the journey when something happens to a contact.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Event {
    pub event: ContactEvent,
    /// For tag events: only this tag (any tag when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContactEvent {
    TagAdded,
    TagRemoved,
    OptedIn,
    OptedOut,
}

/// Starts the journey for every contact in an audience, by hand or at a scheduled time.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Broadcast {
    /// Contacts having all of these tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// A further filter over `contact`, e.g. `contact.properties.city == "Lisbon"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<Expression>,
    /// When to start (RFC 3339, e.g. `2026-12-01T09:00:00Z`); by hand when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
}
