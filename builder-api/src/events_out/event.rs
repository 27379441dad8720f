//! What an event is on the wire: its type, its JSON body, and the signature over that body.

use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::Sha256;
use utoipa::ToSchema;

use crate::time::rfc3339;

/// What happened. A subscription names the types it wants (none: all of them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum EventType {
    /// A run of a journey started for a contact.
    #[serde(rename = "run.started")]
    RunStarted,
    /// A run reached an end.
    #[serde(rename = "run.finished")]
    RunFinished,
    /// A run stopped on an error.
    #[serde(rename = "run.failed")]
    RunFailed,
    /// A run handed the conversation to a person.
    #[serde(rename = "handoff.requested")]
    HandoffRequested,
    /// A person gave the conversation back to the run.
    #[serde(rename = "handoff.closed")]
    HandoffClosed,
    /// A message was sent to a contact.
    #[serde(rename = "message.sent")]
    MessageSent,
    /// WhatsApp delivered a message to the contact's phone.
    #[serde(rename = "message.delivered")]
    MessageDelivered,
    /// The contact read a message.
    #[serde(rename = "message.read")]
    MessageRead,
    /// A message could not be sent or delivered.
    #[serde(rename = "message.failed")]
    MessageFailed,
    /// A contact agreed to Marketing messages.
    #[serde(rename = "contact.opted_in")]
    ContactOptedIn,
    /// A contact withdrew their agreement to Marketing messages.
    #[serde(rename = "contact.opted_out")]
    ContactOptedOut,
    /// A test event, sent only by `POST …/event-subscriptions/{id}/test`.
    #[serde(rename = "ping")]
    Ping,
}

impl EventType {
    /// Every type, in declaration order.
    pub const ALL: [EventType; 12] = [
        EventType::RunStarted,
        EventType::RunFinished,
        EventType::RunFailed,
        EventType::HandoffRequested,
        EventType::HandoffClosed,
        EventType::MessageSent,
        EventType::MessageDelivered,
        EventType::MessageRead,
        EventType::MessageFailed,
        EventType::ContactOptedIn,
        EventType::ContactOptedOut,
        EventType::Ping,
    ];

    /// The name on the wire (`X-Spool-Event-Type`, the body's `type`).
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::RunStarted => "run.started",
            EventType::RunFinished => "run.finished",
            EventType::RunFailed => "run.failed",
            EventType::HandoffRequested => "handoff.requested",
            EventType::HandoffClosed => "handoff.closed",
            EventType::MessageSent => "message.sent",
            EventType::MessageDelivered => "message.delivered",
            EventType::MessageRead => "message.read",
            EventType::MessageFailed => "message.failed",
            EventType::ContactOptedIn => "contact.opted_in",
            EventType::ContactOptedOut => "contact.opted_out",
            EventType::Ping => "ping",
        }
    }
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The body every subscriber of this event receives, serialised once: these bytes are
/// stored, signed and sent on every attempt.
pub fn body(id: &str, kind: EventType, workspace: &str, occurred_at: i64, data: &Value) -> String {
    json!({
        "id": id,
        "type": kind.as_str(),
        "workspace": workspace,
        "occurred_at": rfc3339(occurred_at),
        "data": data,
    })
    .to_string()
}

/// `X-Spool-Signature`: `sha256=` and the lowercase hex HMAC-SHA256 of `body`, keyed with the
/// subscription's secret (the scheme Spool checks on its own inbound hooks).
pub fn signature(secret: &str, body: &[u8]) -> String {
    // HMAC takes a key of any length; this cannot fail.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_match_serde() {
        for kind in EventType::ALL {
            assert_eq!(
                serde_json::to_value(kind).expect("serialises"),
                Value::String(kind.as_str().to_owned())
            );
        }
    }

    #[test]
    fn the_signature_is_the_documented_hmac() {
        // The same as `printf '%s' '{"a":1}' | openssl dgst -sha256 -hmac key`.
        assert_eq!(
            signature("key", br#"{"a":1}"#),
            "sha256=88a67f24bbcdaed0e6c997404bb79a743baf44c6bab2f4c27328e3009d22e342"
        );
    }

    #[test]
    fn the_body_has_the_documented_fields() {
        let body = body(
            "0192-id",
            EventType::ContactOptedIn,
            "default",
            0,
            &json!({ "phone": "+4915112345678" }),
        );
        assert_eq!(
            body,
            r#"{"id":"0192-id","type":"contact.opted_in","workspace":"default","occurred_at":"1970-01-01T00:00:00.000Z","data":{"phone":"+4915112345678"}}"#
        );
    }
}
