//! What becomes of a message after the dispatcher hands it over: the statuses the channel
//! reports (sent, delivered, read, failed), and how each reaches the run that sent it.
//!
//! Every send carries a [`MessageRef`] (WhatsApp echoes it back as `biz_opaque_callback_data`
//! with each status), so a status finds its run without Spool remembering message ids, and a
//! status that arrives before the send's answer was recorded needs no waiting room.
//!
//! A run sees the latest status of each sending node in `vars.delivery.<node id>`
//! (`status`, `at`, `wamid`, `error`); a status never moves backwards (read stays read when a
//! late `delivered` arrives). A message the channel refuses for good sends its run out of the
//! node's `error` port, wherever the run waits by then, or fails the run.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use spool_nodes::{Millis, Outbound};

/// The run variable holding, per sending node, its latest message's status.
pub const DELIVERY_VAR: &str = "delivery";

/// Where a status belongs: the message's key, its run and the node that sent it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageRef {
    #[serde(rename = "k")]
    pub key: String,
    #[serde(rename = "r")]
    pub run_id: String,
    #[serde(rename = "n")]
    pub node_id: String,
}

impl MessageRef {
    pub fn of(message: &Outbound) -> Self {
        Self {
            key: message.key.clone(),
            run_id: message.run_id.clone(),
            node_id: message.node_id.clone(),
        }
    }

    /// The text sent along with the message and echoed back with its statuses (WhatsApp
    /// keeps up to 512 characters).
    pub fn callback_data(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads back [`MessageRef::callback_data`]; `None` for a message Spool did not send.
    pub fn from_callback_data(text: &str) -> Option<Self> {
        serde_json::from_str(text).ok()
    }

    /// The contact the message went to: its key is `<contact>/<run>/<step>/<index>`, and a
    /// contact id may hold `/` (its workspace) while the other three never do.
    pub fn contact_id(&self) -> Option<&str> {
        let mut parts = self.key.rsplitn(4, '/');
        let (_, _, run, contact) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        (run == self.run_id).then_some(contact)
    }

    /// Which of a run's messages came later: the step, then the index within the step.
    pub(crate) fn position(&self) -> Option<(u64, u64)> {
        let mut parts = self.key.rsplitn(3, '/');
        let index = parts.next()?.parse().ok()?;
        let step = parts.next()?.parse().ok()?;
        Some((step, index))
    }
}

/// How far a message got, in the order it gets there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// WhatsApp holds it while it assesses the sender's quality: not delivered yet.
    HeldForQualityAssessment,
    Sent,
    Delivered,
    Read,
    /// Refused for good; nothing comes after it.
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::HeldForQualityAssessment => "held_for_quality_assessment",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Read => "read",
            DeliveryStatus::Failed => "failed",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Self> {
        serde_json::from_value(Value::String(text.to_owned())).ok()
    }
}

/// Why a message failed, as the channel said.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryError {
    /// The channel's code (Meta's, e.g. `131047`).
    pub code: String,
    pub message: String,
}

/// One status of one message, as the channel reported it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatusReport {
    pub message: MessageRef,
    pub status: DeliveryStatus,
    /// The channel's id for the message (WhatsApp's wamid).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wamid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<DeliveryError>,
    /// What the message costs, as the channel prices it (WhatsApp's `pricing`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pricing: Option<Value>,
    /// When it happened, by the channel's clock.
    pub timestamp: Millis,
}

impl StatusReport {
    /// The event's de-duplication key: one status of one message applies once, however
    /// often it is reported.
    pub fn dedupe_key(&self) -> String {
        format!("status:{}:{}", self.message.key, self.status.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_survives_the_round_trip_and_names_its_contact() {
        let reference = MessageRef {
            key: "acme/wa:351910000000/r1/7/0".into(),
            run_id: "r1".into(),
            node_id: "ask|1".into(),
        };
        let text = reference.callback_data();
        assert!(text.len() < 512);
        let back = MessageRef::from_callback_data(&text).expect("reads back");
        assert_eq!(back, reference);
        assert_eq!(back.contact_id(), Some("acme/wa:351910000000"));
        assert_eq!(MessageRef::from_callback_data("run42:step7"), None);
    }
}
