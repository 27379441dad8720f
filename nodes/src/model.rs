//! The state a journey reads and changes: contacts, runs, inbound messages (outbound ones
//! are in [`crate::outbound`]).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
pub use spool_flows::config::{MediaKind, TemplateCategory};

use crate::identity::{Bsuid, Phone};
pub use crate::outbound::{Choice, Outbound, OutboundBody, Section, TemplateButtonParameter};

/// Unix time in milliseconds; all of Spool's clocks speak it.
pub type Millis = i64;

pub const SECOND: Millis = 1_000;
pub const HOUR: Millis = 3_600 * SECOND;
pub const DAY: Millis = 24 * HOUR;

/// A person on a channel (`wa:<wa_id>`, or `wa:<BSUID>` for someone first seen without a
/// number) and what Spool knows of them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    pub id: String,
    /// E.164 without the `+`, as WhatsApp's `wa_id`; empty while only a BSUID is known.
    pub phone: String,
    /// WhatsApp's business-scoped user id, once a message carried it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bsuid: Option<Bsuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub tags: BTreeSet<String>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub properties: Map<String, Value>,
    /// When the contact consented to Marketing messages; `None` means no consent on record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marketing_opt_in_at: Option<Millis>,
    /// When the contact last wrote to us: the start of the 24-hour service window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_inbound_at: Option<Millis>,
    /// IANA time zone, e.g. `America/Sao_Paulo`, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// The language the contact reads, as WhatsApp spells locales (`pt_BR`, `en`): templates
    /// go out in it when Meta approved that translation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// When Marketing templates were last sent, for the per-contact cap (recent ones only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub marketing_sent_at: Vec<Millis>,
    /// The WhatsApp channel (business number) the contact last wrote to: replies go out
    /// through it. `None` until they write; the workspace's default number is used then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// The Click-to-WhatsApp ads the contact came from: the first and the latest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribution: Option<Attribution>,
}

/// Where a contact came from: the ad (WhatsApp's `referral`) of their first message after a
/// tap, with `at` (seconds) added.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Attribution {
    pub first_touch: Value,
    pub last_touch: Value,
    /// When the latest ad's message was sent: replying within 24 h of it opens WhatsApp's
    /// 72-hour free entry point window.
    pub last_touch_at: Millis,
}

impl Attribution {
    /// Until when messages to the contact are free, when the business answered the ad's
    /// message within 24 h (72 h from that answer; this is its latest possible end).
    pub fn free_entry_until(&self) -> Millis {
        self.last_touch_at + DAY + 3 * DAY
    }
}

impl Contact {
    pub fn new(id: impl Into<String>, phone: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            phone: phone.into(),
            ..Self::default()
        }
    }

    /// Takes note of the identifiers a message from this contact carries, so a contact first
    /// met by BSUID gains its number when one arrives (and the other way round). Those it
    /// already has are kept: its id was chosen from the first, and stays.
    pub fn learn(&mut self, message: &InboundMessage) {
        if self.phone.is_empty()
            && let Ok(phone) = Phone::parse(&message.from)
        {
            self.phone = phone.digits().to_owned();
        }
        if self.bsuid.is_none() {
            self.bsuid.clone_from(&message.from_user_id);
        }
        if message.channel.is_some() {
            self.channel.clone_from(&message.channel);
        }
        if let Some(referral) = &message.referral {
            let mut touch = referral.clone();
            if let Value::Object(fields) = &mut touch {
                fields.insert("at".into(), (message.timestamp / SECOND).into());
            }
            let attribution = self.attribution.get_or_insert_with(|| Attribution {
                first_touch: touch.clone(),
                ..Attribution::default()
            });
            attribution.last_touch = touch;
            attribution.last_touch_at = message.timestamp;
        }
    }

    pub fn opted_in(&self) -> bool {
        self.marketing_opt_in_at.is_some()
    }

    /// Whether a free-form message may be sent now (within 24 h of the last inbound).
    pub fn window_open(&self, now: Millis) -> bool {
        self.last_inbound_at.is_some_and(|at| now - at < DAY)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Running,
    WaitingReply,
    WaitingTimer,
    /// Waiting for a call to another system (HTTP, an AI model) to come back.
    Calling,
    Handoff,
    Done,
    Failed,
    /// Ended from outside: the contact opted out, an operator cancelled it, or a new run
    /// replaced it.
    Cancelled,
}

impl RunStatus {
    pub fn is_active(self) -> bool {
        !matches!(
            self,
            RunStatus::Done | RunStatus::Failed | RunStatus::Cancelled
        )
    }
}

/// What a suspended run waits for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Wait {
    pub kind: WaitKind,
    /// When the wait's timer fires, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<Millis>,
    /// Identifies this wait; a timer or reply meant for an older wait carries another token
    /// and is ignored.
    pub token: u64,
    /// Invalid answers given so far (wait_for_reply).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub attempts: u8,
    /// The run waits for quiet hours to end before entering its node; when the timer fires
    /// the node is entered, not resumed.
    #[serde(default, skip_serializing_if = "is_false")]
    pub quiet: bool,
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// Message fragments a waiting run collects during the flow's burst-merge window; they are
/// taken as one answer when the window's timer fires.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Burst {
    pub token: u64,
    pub messages: Vec<InboundMessage>,
}

fn is_zero(value: &u8) -> bool {
    *value == 0
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaitKind {
    /// For the contact's next message (and its timeout).
    Reply,
    /// For a timer (delay, quiet hours).
    Timer,
    /// For an operator to close the conversation (and its optional timeout).
    Handoff,
    /// For the answer of a call to another system.
    Call,
}

/// One contact's journey through one published flow version.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Run {
    pub id: String,
    pub flow_id: String,
    /// The content hash of the flow version the run started on; it stays on it.
    pub version: String,
    /// The node the run is at.
    pub cursor: String,
    pub status: RunStatus,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub vars: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait: Option<Wait>,
    /// Steps taken over the whole run.
    pub steps: u32,
    pub started_at: Millis,
    pub updated_at: Millis,
    /// The body of the webhook that started the run (`payload` in expressions).
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub payload: Value,
    /// The latest inbound message (`msg` in expressions).
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub msg: Value,
    /// Fragments being merged into one answer (flows with `burst_merge`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub burst: Option<Burst>,
    /// A node's own working state while the run waits on it (an AI agent's conversation).
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub scratch: Value,
    /// Why the run failed or was cancelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// An inbound message, normalised from the channel's payload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InboundMessage {
    /// The channel's message id (WhatsApp's wamid): inbound messages are de-duplicated by it.
    pub id: String,
    /// Sender's phone number (wa_id), or `""` for a user WhatsApp names only by BSUID.
    pub from: String,
    /// Sender's business-scoped user id (WhatsApp's `from_user_id`), when the channel gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_user_id: Option<Bsuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_name: Option<String>,
    pub timestamp: Millis,
    pub content: Content,
    /// The Click-to-WhatsApp ad the contact came from, on their first message after a tap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referral: Option<Value>,
    /// The id of our message this one answers (button taps carry it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_id: Option<String>,
    /// The WhatsApp channel (business number) it arrived through; `None` in the simulator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Content {
    Text {
        body: String,
    },
    /// A tap on an interactive reply button.
    ButtonReply {
        id: String,
        title: String,
    },
    /// A pick from an interactive list.
    ListReply {
        id: String,
        title: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        description: Option<String>,
    },
    /// A tap on a template's quick-reply button.
    TemplateButton {
        payload: String,
        text: String,
    },
    Media {
        kind: String,
        id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mime_type: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        caption: Option<String>,
        /// The file name a document was sent with.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        filename: Option<String>,
    },
    Location {
        latitude: f64,
        longitude: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        address: Option<String>,
    },
    /// A reaction to a message; an empty emoji means the contact took their reaction back.
    Reaction {
        /// The id of the message reacted to.
        message_id: String,
        #[serde(default)]
        emoji: String,
    },
    /// Contact cards the contact shared, each as the channel sent it.
    Contacts {
        contacts: Vec<Value>,
    },
    /// An order from the business's catalog: the items as the channel sent them.
    Order {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        catalog_id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<String>,
        items: Vec<Value>,
    },
    /// Anything else (system notices, unsupported and unknown types): `kind` is the type.
    Other {
        kind: String,
    },
}

impl InboundMessage {
    /// Fragments sent in quick succession, as one message: their texts joined by line
    /// breaks (anything else: the last fragment), the referral of whichever carried one.
    pub fn merge(fragments: &[InboundMessage]) -> Option<InboundMessage> {
        let last = fragments.last()?;
        let mut merged = last.clone();
        if fragments
            .iter()
            .all(|fragment| matches!(fragment.content, Content::Text { .. }))
        {
            let body = fragments
                .iter()
                .filter_map(InboundMessage::text)
                .collect::<Vec<_>>()
                .join("\n");
            merged.content = Content::Text { body };
        }
        merged.referral = fragments
            .iter()
            .find_map(|fragment| fragment.referral.clone());
        Some(merged)
    }

    /// The text a person would read as the message's words: the body, the tapped button's
    /// title, the caption.
    pub fn text(&self) -> Option<&str> {
        match &self.content {
            Content::Text { body } => Some(body),
            Content::ButtonReply { title, .. } | Content::ListReply { title, .. } => Some(title),
            Content::TemplateButton { text, .. } => Some(text),
            Content::Media { caption, .. } => caption.as_deref(),
            Content::Order { text, .. } => text.as_deref(),
            // A reaction or a shared card answers no question put in words.
            Content::Reaction { .. }
            | Content::Contacts { .. }
            | Content::Location { .. }
            | Content::Other { .. } => None,
        }
    }

    /// The message as expressions see it (`msg`): `msg.type`, `msg.text`, `msg.button.id`,
    /// `msg.button.payload`, `msg.list.id`, `msg.media`, `msg.location`, `msg.reaction`,
    /// `msg.contacts`, `msg.order`, `msg.referral`.
    pub fn to_value(&self) -> Value {
        let mut msg = Map::new();
        msg.insert("id".into(), self.id.clone().into());
        msg.insert(
            "text".into(),
            self.text().map_or(Value::Null, |text| text.into()),
        );
        let kind = match &self.content {
            Content::Text { .. } => "text",
            Content::ButtonReply { id, title } => {
                msg.insert(
                    "button".into(),
                    serde_json::json!({ "id": id, "title": title, "payload": id }),
                );
                "button"
            }
            Content::TemplateButton { payload, text } => {
                msg.insert(
                    "button".into(),
                    serde_json::json!({ "id": payload, "title": text, "payload": payload }),
                );
                "button"
            }
            Content::ListReply {
                id,
                title,
                description,
            } => {
                msg.insert(
                    "list".into(),
                    serde_json::json!({ "id": id, "title": title, "description": description }),
                );
                "list"
            }
            Content::Media {
                kind,
                id,
                mime_type,
                caption,
                filename,
            } => {
                msg.insert(
                    "media".into(),
                    serde_json::json!({ "kind": kind, "id": id, "mime_type": mime_type, "caption": caption, "filename": filename }),
                );
                "media"
            }
            Content::Reaction { message_id, emoji } => {
                msg.insert(
                    "reaction".into(),
                    serde_json::json!({ "message_id": message_id, "emoji": emoji }),
                );
                "reaction"
            }
            Content::Contacts { contacts } => {
                msg.insert("contacts".into(), Value::Array(contacts.clone()));
                "contacts"
            }
            Content::Order {
                catalog_id,
                text,
                items,
            } => {
                msg.insert(
                    "order".into(),
                    serde_json::json!({ "catalog_id": catalog_id, "text": text, "items": items }),
                );
                "order"
            }
            Content::Location {
                latitude,
                longitude,
                name,
                address,
            } => {
                msg.insert(
                    "location".into(),
                    serde_json::json!({ "latitude": latitude, "longitude": longitude, "name": name, "address": address }),
                );
                "location"
            }
            Content::Other { kind } => kind.as_str(),
        };
        msg.insert("type".into(), kind.into());
        if let Some(referral) = &self.referral {
            msg.insert("referral".into(), referral.clone());
        }
        msg.insert("timestamp".into(), (self.timestamp / SECOND).into());
        Value::Object(msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_stored_before_file_names_still_reads() {
        let stored =
            r#"{"type":"media","kind":"document","id":"88776655","mime_type":"application/pdf"}"#;
        let content: Content = serde_json::from_str(stored).expect("old media reads");
        assert!(matches!(content, Content::Media { filename: None, .. }));
        assert_eq!(serde_json::to_string(&content).expect("serializes"), stored);
    }

    #[test]
    fn reactions_shared_cards_and_orders_show_in_msg() {
        let message = |content| InboundMessage {
            id: "wamid.1".into(),
            from: "5511987654321".into(),
            from_user_id: None,
            profile_name: None,
            timestamp: 1_760_000_001_000,
            content,
            referral: None,
            context_id: None,
            channel: None,
        };
        let reaction = message(Content::Reaction {
            message_id: "wamid.OUT1".into(),
            emoji: "\u{1f62e}".into(),
        });
        let msg = reaction.to_value();
        assert_eq!(msg["type"], "reaction");
        assert_eq!(msg["reaction"]["message_id"], "wamid.OUT1");
        assert_eq!(msg["text"], Value::Null);

        let card = serde_json::json!({ "name": { "formatted_name": "Ana" } });
        let msg = message(Content::Contacts {
            contacts: vec![card.clone()],
        })
        .to_value();
        assert_eq!(msg["type"], "contacts");
        assert_eq!(msg["contacts"][0], card);

        let order = message(Content::Order {
            catalog_id: Some("cat1".into()),
            text: Some("for Friday".into()),
            items: vec![serde_json::json!({ "product_retailer_id": "sku1", "quantity": 2 })],
        });
        assert_eq!(order.text(), Some("for Friday"));
        let msg = order.to_value();
        assert_eq!(msg["type"], "order");
        assert_eq!(msg["order"]["items"][0]["quantity"], 2);
    }

    #[test]
    fn the_first_ad_stays_the_first_touch_and_the_latest_becomes_the_last() {
        let mut contact = Contact::new("acme/wa:5511", "5511");
        let from_ad = |source_id: &str, at: Millis| InboundMessage {
            id: format!("wamid.{source_id}"),
            from: "5511".into(),
            from_user_id: None,
            profile_name: None,
            timestamp: at,
            content: Content::Text { body: "Hi".into() },
            referral: Some(
                serde_json::json!({ "source_id": source_id, "source_type": "ad", "ctwa_clid": "clid" }),
            ),
            context_id: None,
            channel: Some("ch_1".into()),
        };
        contact.learn(&from_ad("spring", 1_000 * SECOND));
        contact.learn(&from_ad("summer", 2_000 * SECOND));
        let attribution = contact.attribution.as_ref().expect("attributed");
        assert_eq!(attribution.first_touch["source_id"], "spring");
        assert_eq!(attribution.last_touch["source_id"], "summer");
        assert_eq!(attribution.last_touch["at"], 2_000);
        assert_eq!(attribution.free_entry_until(), 2_000 * SECOND + 4 * DAY);
        assert_eq!(contact.channel.as_deref(), Some("ch_1"));
    }
}
