//! A webhook body read into [`Notification`]s.
//!
//! Meta may batch many updates in one POST, so every `entry[]`, `changes[]`, `messages[]`,
//! `statuses[]` and `user_preferences[]` is read, in order. Only a body that is not JSON or not
//! a WhatsApp Business Account webhook at all is an error (the caller keeps it as a poison
//! record and still answers 200, or Meta retries it for a week); one malformed item inside a
//! valid batch becomes [`Notification::Unreadable`] and the rest of the batch is kept.

mod management;
mod message;
mod status;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use spool_nodes::identity::Bsuid;
use spool_nodes::{InboundMessage, Millis};

pub use management::{
    PreferenceCategory, PreferenceValue, TemplateCategoryChange, TemplateQuality, TemplateStatus,
    UserPreference, category as template_category,
};
pub use status::{Conversation, MetaError, Pricing, Status, StatusKind, StatusRecipient};

const OBJECT: &str = "whatsapp_business_account";

/// One thing a webhook tells.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notification {
    /// A contact wrote (field `messages`, `value.messages[]`).
    Message {
        /// Which of the business's numbers received it: route on this.
        phone_number_id: String,
        message: InboundMessage,
    },
    /// What became of a message we sent (field `messages`, `value.statuses[]`).
    Status(Status),
    /// A contact stopped or resumed marketing messages (field `user_preferences`).
    UserPreference(UserPreference),
    /// A template was approved, rejected, paused… (field `message_template_status_update`).
    TemplateStatus(TemplateStatus),
    /// Meta moved a template to another category (field `template_category_update`).
    TemplateCategory(TemplateCategoryChange),
    /// A template's quality rating changed (field `message_template_quality_update`).
    TemplateQuality(TemplateQuality),
    /// Errors about the number or account, tied to no message (`value.errors[]`), e.g. a
    /// throughput limit.
    Errors {
        phone_number_id: String,
        errors: Vec<MetaError>,
    },
    /// A field Spool does not act on (account updates, phone number quality, calls…).
    Other {
        field: String,
        /// The WhatsApp Business Account it is about (`entry[].id`).
        waba_id: String,
        value: Value,
    },
    /// One item of the batch could not be read; the others were.
    Unreadable {
        /// What was wrong and where, in words.
        reason: String,
        /// The item as it came.
        raw: Value,
    },
}

/// Why a webhook body cannot be read at all.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("the body is not JSON: {0}")]
    NotJson(String),
    #[error("the body is not a WhatsApp Business Account webhook: {0}")]
    NotWhatsApp(String),
}

/// Reads every notification of a webhook body, in the order Meta listed them.
pub fn parse(raw_body: &[u8]) -> Result<Vec<Notification>, ParseError> {
    let body: Value =
        serde_json::from_slice(raw_body).map_err(|err| ParseError::NotJson(err.to_string()))?;
    let Value::Object(body) = body else {
        return Err(ParseError::NotWhatsApp("it is not a JSON object".into()));
    };
    match body.get("object").and_then(Value::as_str) {
        Some(OBJECT) => {}
        Some(other) => {
            return Err(ParseError::NotWhatsApp(format!(
                "`object` is `{other}`, not `{OBJECT}`"
            )));
        }
        None => {
            return Err(ParseError::NotWhatsApp(format!(
                "it has no `object` (expected `{OBJECT}`)"
            )));
        }
    }
    let Some(entries) = body.get("entry").and_then(Value::as_array) else {
        return Err(ParseError::NotWhatsApp("it has no `entry` list".into()));
    };
    let mut notifications = Vec::new();
    for (e, entry) in entries.iter().enumerate() {
        let Some(changes) = entry.get("changes").and_then(Value::as_array) else {
            notifications.push(unreadable(
                format!("entry {e} has no `changes` list"),
                entry,
            ));
            continue;
        };
        let waba_id = string_of(entry.get("id")).unwrap_or_default();
        for (c, change) in changes.iter().enumerate() {
            let at = Place {
                entry: e,
                change: c,
            };
            read_change(&at, &waba_id, change, &mut notifications);
        }
    }
    Ok(notifications)
}

/// Where an item sits in the batch, for the reason of an unreadable one.
#[derive(Clone, Copy, Debug)]
struct Place {
    entry: usize,
    change: usize,
}

impl Place {
    fn describe(self, item: &str, index: usize, reason: &str) -> String {
        format!(
            "entry {}, change {}, {item} {index}: {reason}",
            self.entry, self.change
        )
    }
}

fn read_change(at: &Place, waba_id: &str, change: &Value, out: &mut Vec<Notification>) {
    let Some(field) = change.get("field").and_then(Value::as_str) else {
        out.push(unreadable(
            format!(
                "entry {}, change {}: it has no `field`",
                at.entry, at.change
            ),
            change,
        ));
        return;
    };
    let Some(value) = change.get("value").filter(|value| value.is_object()) else {
        out.push(unreadable(
            format!(
                "entry {}, change {} (`{field}`): it has no `value` object",
                at.entry, at.change
            ),
            change,
        ));
        return;
    };
    match field {
        "messages" => read_messages(at, value, out),
        "user_preferences" => management::read_user_preferences(at, value, out),
        "message_template_status_update" => {
            out.push(management::read_template_status(at, waba_id, value));
        }
        "template_category_update" => {
            out.push(management::read_template_category(at, waba_id, value));
        }
        "message_template_quality_update" => {
            out.push(management::read_template_quality(at, waba_id, value));
        }
        other => out.push(Notification::Other {
            field: other.to_owned(),
            waba_id: waba_id.to_owned(),
            value: value.clone(),
        }),
    }
}

/// Field `messages`: inbound messages, statuses of ours, and account-level errors.
fn read_messages(at: &Place, value: &Value, out: &mut Vec<Notification>) {
    let Some(phone_number_id) = phone_number_id(value) else {
        out.push(unreadable(
            format!(
                "entry {}, change {} (`messages`): no `metadata.phone_number_id` says which number it is for",
                at.entry, at.change
            ),
            value,
        ));
        return;
    };
    let contacts = list(value, "contacts");
    for (i, raw) in list(value, "messages").iter().enumerate() {
        out.push(match message::read(raw, contacts) {
            Ok(message) => Notification::Message {
                phone_number_id: phone_number_id.clone(),
                message,
            },
            Err(reason) => unreadable(at.describe("message", i, &reason), raw),
        });
    }
    for (i, raw) in list(value, "statuses").iter().enumerate() {
        out.push(match status::read(&phone_number_id, raw) {
            Ok(status) => Notification::Status(status),
            Err(reason) => unreadable(at.describe("status", i, &reason), raw),
        });
    }
    let errors = list(value, "errors");
    if !errors.is_empty() {
        out.push(Notification::Errors {
            phone_number_id,
            errors: errors.iter().map(MetaError::read).collect(),
        });
    }
}

fn unreadable(reason: String, raw: &Value) -> Notification {
    tracing::warn!(%reason, "unreadable item in a WhatsApp webhook");
    Notification::Unreadable {
        reason,
        raw: raw.clone(),
    }
}

fn phone_number_id(value: &Value) -> Option<String> {
    string_of(value.pointer("/metadata/phone_number_id")).filter(|id| !id.is_empty())
}

/// The array under `key`, or none when it is missing or not an array.
fn list<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    value
        .get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// A string, or a number written as one: Meta sends ids and timestamps either way.
fn string_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// A non-empty string field.
fn text_of(value: &Value, key: &str) -> Option<String> {
    value
        .get(key)
        .and_then(Value::as_str)
        .filter(|text| !text.is_empty())
        .map(str::to_owned)
}

/// Unix seconds (a string, as Meta sends them, or a number) as milliseconds.
fn timestamp_ms(value: Option<&Value>) -> Option<Millis> {
    let seconds: i64 = match value? {
        Value::String(text) => text.trim().parse().ok()?,
        Value::Number(number) => number.as_i64()?,
        _ => return None,
    };
    seconds.checked_mul(1_000)
}

/// A BSUID field, when present and well formed. A malformed one is dropped (with a warning)
/// rather than failing the item: the phone number may still identify the contact.
fn bsuid_of(value: &Value, key: &str) -> Option<Bsuid> {
    let text = text_of(value, key)?;
    match Bsuid::parse(&text) {
        Ok(bsuid) => Some(bsuid),
        Err(err) => {
            tracing::warn!(field = key, %err, "ignoring a malformed WhatsApp user id");
            None
        }
    }
}

/// Meta writes languages both as `en_US` (sends) and `en-US` (some webhooks); Spool keeps
/// the form sends use.
fn normalise_language(language: &str) -> String {
    language.replace('-', "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_seconds_as_strings_or_numbers() {
        use serde_json::json;
        assert_eq!(
            timestamp_ms(Some(&json!("1760000001"))),
            Some(1_760_000_001_000)
        );
        assert_eq!(
            timestamp_ms(Some(&json!(1731705721))),
            Some(1_731_705_721_000)
        );
        assert_eq!(timestamp_ms(Some(&json!("soon"))), None);
        assert_eq!(timestamp_ms(Some(&json!(i64::MAX))), None);
        assert_eq!(timestamp_ms(None), None);
    }

    #[test]
    fn languages_use_underscores() {
        assert_eq!(normalise_language("en-US"), "en_US");
        assert_eq!(normalise_language("pt_BR"), "pt_BR");
    }
}
