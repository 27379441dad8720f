//! Messages runs want sent, as the outbox keeps them until the channel takes them: the
//! recipient, the run and node that sent each, and the body in every kind WhatsApp sends.

use serde::{Deserialize, Serialize};

use crate::identity::Bsuid;
use crate::model::{MediaKind, TemplateCategory};

/// A message a run wants sent. Committed with the run's state, sent later by the dispatcher.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outbound {
    /// Unique per message and stable across retries: the channel de-duplicates on it.
    pub key: String,
    pub contact_id: String,
    /// The recipient's phone number; empty for a contact WhatsApp names only by BSUID.
    pub to: String,
    /// The recipient's business-scoped user id, for a contact known only by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_user_id: Option<Bsuid>,
    /// The channel to send through: the one the contact wrote to, else the workspace's
    /// default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    pub run_id: String,
    pub node_id: String,
    pub body: OutboundBody,
    /// The contact's 24-hour window was closed when the run sent it: a business-initiated
    /// message, which counts towards the number's messaging limit (unique people per
    /// rolling 24 h) and waits in its queue when the limit is reached.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub window_closed: bool,
    /// The person who wrote it in the inbox; `None` for a journey's message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutboundBody {
    Text {
        text: String,
        #[serde(default)]
        preview_url: bool,
    },
    Media {
        kind: MediaKind,
        url: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        caption: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        filename: Option<String>,
    },
    Buttons {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        header: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        footer: Option<String>,
        buttons: Vec<Choice>,
    },
    List {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        header: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        footer: Option<String>,
        button: String,
        sections: Vec<Section>,
    },
    Template {
        name: String,
        language: String,
        category: TemplateCategory,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        header: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        body: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        buttons: Vec<TemplateButtonParameter>,
    },
}

/// A reply button or a list row: its id (the port it leads to) and what the contact sees.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Section {
    pub title: String,
    pub rows: Vec<Choice>,
}

/// A parameter for a template's button, by its position in the template.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TemplateButtonParameter {
    pub index: usize,
    /// `quick_reply` or `url`.
    pub sub_type: String,
    /// The quick-reply payload, or the text appended to the button's URL.
    pub parameter: String,
}

impl OutboundBody {
    /// A short human rendering, for traces and the simulator.
    pub fn preview(&self) -> String {
        match self {
            OutboundBody::Text { text, .. } => text.clone(),
            OutboundBody::Media { kind, url, .. } => format!("[{kind}] {url}"),
            OutboundBody::Buttons { text, buttons, .. } => {
                let titles: Vec<&str> =
                    buttons.iter().map(|button| button.title.as_str()).collect();
                format!("{text} [{}]", titles.join(" | "))
            }
            OutboundBody::List { text, button, .. } => format!("{text} [{button}]"),
            OutboundBody::Template { name, body, .. } => {
                format!("template {name}({})", body.join(", "))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Outbox entries written while the kind and category were plain strings.
    const STORED_MEDIA: &str = r#"{"key":"c/r/1/0","contact_id":"c","to":"351910000000","run_id":"r","node_id":"photo","body":{"type":"media","kind":"image","url":"https://example.com/a.png","caption":"Your cart"}}"#;
    const STORED_TEMPLATE: &str = r#"{"key":"c/r/2/0","contact_id":"c","to":"351910000000","run_id":"r","node_id":"promo","body":{"type":"template","name":"spring_sale","language":"en","category":"marketing","body":["Ana"]}}"#;

    #[test]
    fn outbox_entries_stored_with_string_kinds_still_read_and_write_the_same() {
        let media: Outbound = serde_json::from_str(STORED_MEDIA).expect("old media entry reads");
        assert!(matches!(
            media.body,
            OutboundBody::Media {
                kind: MediaKind::Image,
                ..
            }
        ));
        let template: Outbound =
            serde_json::from_str(STORED_TEMPLATE).expect("old template entry reads");
        assert!(matches!(
            template.body,
            OutboundBody::Template {
                category: TemplateCategory::Marketing,
                ..
            }
        ));
        for (stored, read) in [(STORED_MEDIA, &media), (STORED_TEMPLATE, &template)] {
            let written = serde_json::to_string(read).expect("serializes");
            assert_eq!(written, stored);
        }
        assert_eq!(media.body.preview(), "[image] https://example.com/a.png");
    }

    #[test]
    fn an_unknown_media_kind_is_refused_not_sent_blank() {
        let unknown = STORED_MEDIA.replace(r#""kind":"image""#, r#""kind":"hologram""#);
        assert!(serde_json::from_str::<Outbound>(&unknown).is_err());
    }
}
