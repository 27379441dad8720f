//! Delivery receipts for messages Spool sent (`value.statuses[]`), and the error objects Meta
//! attaches to them.
//!
//! Statuses arrive out of order and `delivered` can be skipped, so [`StatusKind::rank`] lets a
//! caller apply them monotonically: a status never moves a message backwards.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use spool_nodes::Millis;
use spool_nodes::identity::Bsuid;

use super::{bsuid_of, list, string_of, text_of, timestamp_ms};

/// What became of a message we sent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Status {
    pub phone_number_id: String,
    /// The id Meta gave the message when it was sent: the join key to our send.
    pub wamid: String,
    pub recipient: StatusRecipient,
    pub status: StatusKind,
    pub timestamp_ms: Millis,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<MetaError>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pricing: Option<Pricing>,
    /// Present only in some cases (free entry points from v24.0 on); build no logic on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation: Option<Conversation>,
    /// The string attached to the send, echoed back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub biz_opaque_callback_data: Option<String>,
}

/// Who the message went to: a number, a BSUID, or both (`recipient_id` may be empty when a
/// message was sent to a BSUID).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusRecipient {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wa_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<Bsuid>,
}

/// A message's delivery state, as Meta names it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum StatusKind {
    /// Meta is pacing a new or low-quality template; the message is pending, not delivered.
    HeldForQualityAssessment,
    /// Accepted by Meta's servers (one tick).
    Sent,
    /// On the contact's device (two ticks); may be skipped when it is read at once.
    Delivered,
    /// Shown in an open chat (blue ticks).
    Read,
    /// A voice message was played.
    Played,
    /// Never sent or never delivered; its errors say why.
    Failed,
    /// A status newer than this code.
    Other(String),
}

impl StatusKind {
    /// The order statuses move in: held < sent < delivered < read < played, and failed above
    /// all (terminal). Apply a status only when its rank is higher than the one stored; an
    /// unknown status ranks 0 and never moves anything.
    pub fn rank(&self) -> u8 {
        match self {
            StatusKind::Other(_) => 0,
            StatusKind::HeldForQualityAssessment => 1,
            StatusKind::Sent => 2,
            StatusKind::Delivered => 3,
            StatusKind::Read => 4,
            StatusKind::Played => 5,
            StatusKind::Failed => u8::MAX,
        }
    }

    /// Whether a message known to be at `self` moves on to `next`.
    pub fn advances_to(&self, next: &StatusKind) -> bool {
        next.rank() > self.rank()
    }

    pub fn is_terminal(&self) -> bool {
        matches!(self, StatusKind::Failed)
    }

    pub fn as_str(&self) -> &str {
        match self {
            StatusKind::HeldForQualityAssessment => "held_for_quality_assessment",
            StatusKind::Sent => "sent",
            StatusKind::Delivered => "delivered",
            StatusKind::Read => "read",
            StatusKind::Played => "played",
            StatusKind::Failed => "failed",
            StatusKind::Other(other) => other,
        }
    }
}

impl From<String> for StatusKind {
    fn from(status: String) -> Self {
        match status.as_str() {
            "held_for_quality_assessment" => StatusKind::HeldForQualityAssessment,
            "sent" => StatusKind::Sent,
            "delivered" => StatusKind::Delivered,
            "read" => StatusKind::Read,
            "played" => StatusKind::Played,
            "failed" => StatusKind::Failed,
            _ => StatusKind::Other(status),
        }
    }
}

impl From<StatusKind> for String {
    fn from(kind: StatusKind) -> Self {
        kind.as_str().to_owned()
    }
}

impl std::fmt::Display for StatusKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One of Meta's error objects, in a failed status, a webhook's `value.errors[]` or a send's
/// error answer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetaError {
    pub code: i64,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub message: String,
    /// `error_data.details`: the specific reason, when Meta gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
}

impl MetaError {
    /// Reads one leniently: an error is worth keeping even when it lacks parts.
    pub(crate) fn read(raw: &Value) -> Self {
        Self {
            code: match raw.get("code") {
                Some(Value::Number(code)) => code.as_i64().unwrap_or_default(),
                Some(Value::String(code)) => code.trim().parse().unwrap_or_default(),
                _ => 0,
            },
            title: text_of(raw, "title").unwrap_or_default(),
            message: text_of(raw, "message").unwrap_or_default(),
            details: raw
                .pointer("/error_data/details")
                .and_then(Value::as_str)
                .filter(|details| !details.is_empty())
                .map(str::to_owned),
        }
    }
}

/// How Meta prices a message (present on `sent` and one later status).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pricing {
    /// Slated for deprecation by Meta: derive cost from `kind` and `category`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billable: Option<bool>,
    /// `PMP` (per message) or `CBP` (conversation-based, before July 2025).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pricing_model: Option<String>,
    /// `marketing`, `utility`, `authentication`, `authentication_international`, `service`,
    /// `referral_conversion`…; Meta's hyphenated spellings are read with underscores.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Meta's `type`: `regular`, `free_customer_service`, `free_entry_point`…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// The conversation a status names.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at_ms: Option<Millis>,
    /// `origin.type`, e.g. `referral_conversion`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
}

/// The status, or why it cannot be read.
pub(super) fn read(phone_number_id: &str, raw: &Value) -> Result<Status, String> {
    if !raw.is_object() {
        return Err("it is not an object".into());
    }
    let wamid = text_of(raw, "id").ok_or("it has no message `id`")?;
    let status = text_of(raw, "status").ok_or("it has no `status`")?;
    let timestamp_ms =
        timestamp_ms(raw.get("timestamp")).ok_or("it has no `timestamp` in Unix seconds")?;
    Ok(Status {
        phone_number_id: phone_number_id.to_owned(),
        wamid,
        recipient: StatusRecipient {
            wa_id: text_of(raw, "recipient_id"),
            user_id: bsuid_of(raw, "recipient_user_id"),
        },
        status: StatusKind::from(status),
        timestamp_ms,
        errors: list(raw, "errors").iter().map(MetaError::read).collect(),
        pricing: raw.get("pricing").filter(|p| p.is_object()).map(pricing),
        conversation: raw
            .get("conversation")
            .filter(|c| c.is_object())
            .map(conversation),
        biz_opaque_callback_data: text_of(raw, "biz_opaque_callback_data"),
    })
}

fn pricing(raw: &Value) -> Pricing {
    Pricing {
        billable: raw.get("billable").and_then(Value::as_bool),
        pricing_model: text_of(raw, "pricing_model"),
        category: text_of(raw, "category").map(|category| category.replace('-', "_")),
        kind: text_of(raw, "type"),
    }
}

fn conversation(raw: &Value) -> Conversation {
    Conversation {
        id: text_of(raw, "id"),
        expires_at_ms: timestamp_ms(raw.get("expiration_timestamp")),
        origin: raw
            .pointer("/origin/type")
            .and_then(|origin| string_of(Some(origin))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_never_move_backwards() {
        use StatusKind::*;
        let order = [HeldForQualityAssessment, Sent, Delivered, Read, Played];
        for (i, earlier) in order.iter().enumerate() {
            for later in &order[i + 1..] {
                assert!(earlier.advances_to(later), "{earlier} -> {later}");
                assert!(!later.advances_to(earlier), "{later} -> {earlier}");
            }
            assert!(earlier.advances_to(&Failed), "{earlier} -> failed");
            assert!(!Failed.advances_to(earlier), "failed -> {earlier}");
            assert!(!earlier.advances_to(&Other("deleted".into())));
        }
        assert!(Sent.advances_to(&Read), "a skipped delivered is fine");
        assert!(Failed.is_terminal());
    }

    #[test]
    fn status_names_round_trip() {
        for name in [
            "sent",
            "delivered",
            "read",
            "played",
            "failed",
            "held_for_quality_assessment",
            "deleted",
        ] {
            let kind = StatusKind::from(name.to_owned());
            assert_eq!(kind.as_str(), name);
            assert_eq!(serde_json::to_value(&kind).expect("serializes"), name);
        }
    }
}
