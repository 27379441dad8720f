//! How the simulation reads to a person, in the chat and in a terminal: the contact's
//! messages, the flow's messages with their buttons and rows, spans of time and what starts
//! the flow.

use spool_flows::NodeKind;
use spool_flows::config::MessageMatch;
use spool_nodes::{Content, Millis, OutboundBody};

/// A span of time as people write it: `1h 30m`.
pub(super) fn span(ms: Millis) -> String {
    let secs = u64::try_from(ms.max(0) / 1_000).unwrap_or_default();
    spool_flows::values::Duration::from_secs(secs).to_string()
}

/// What the contact's message looks like in the transcript.
pub fn describe_inbound(content: &Content) -> String {
    match content {
        Content::Text { body } => body.clone(),
        Content::ButtonReply { title, .. } | Content::ListReply { title, .. } => {
            format!("[tapped] {title}")
        }
        Content::TemplateButton { text, .. } => format!("[tapped] {text}"),
        Content::Media { kind, caption, .. } => match caption {
            Some(caption) => format!("[{kind}] {caption}"),
            None => format!("[{kind}]"),
        },
        Content::Location {
            latitude,
            longitude,
            name,
            ..
        } => match name {
            Some(name) => format!("[location] {name} ({latitude}, {longitude})"),
            None => format!("[location] {latitude}, {longitude}"),
        },
        Content::Reaction { emoji, .. } if emoji.is_empty() => "[reaction removed]".into(),
        Content::Reaction { emoji, .. } => format!("[reaction] {emoji}"),
        Content::Contacts { contacts } => format!("[contacts] {}", contacts.len()),
        Content::Order { items, .. } => format!("[order] {} items", items.len()),
        Content::Other { kind } => format!("[{kind}]"),
    }
}

/// What a message the flow sends looks like to a person: its words, then its buttons, rows
/// or template parameters on their own lines.
pub fn describe_outbound(body: &OutboundBody) -> String {
    let mut lines: Vec<String> = Vec::new();
    match body {
        OutboundBody::Text { text, .. } => lines.push(text.clone()),
        OutboundBody::Media {
            kind, url, caption, ..
        } => {
            lines.push(format!("[{kind}] {url}"));
            lines.extend(caption.clone());
        }
        OutboundBody::Buttons {
            text,
            header,
            footer,
            buttons,
        } => {
            lines.extend(header.clone());
            lines.push(text.clone());
            lines.extend(footer.clone());
            let titles: Vec<String> = buttons
                .iter()
                .map(|button| format!("[{}]", button.title))
                .collect();
            lines.push(titles.join(" "));
        }
        OutboundBody::List {
            text,
            header,
            footer,
            button,
            sections,
        } => {
            lines.extend(header.clone());
            lines.push(text.clone());
            lines.extend(footer.clone());
            lines.push(format!("[{button}]"));
            for section in sections {
                if !section.title.is_empty() {
                    lines.push(format!("{}:", section.title));
                }
                for row in &section.rows {
                    match &row.description {
                        Some(description) => {
                            lines.push(format!("- {} ({description})", row.title));
                        }
                        None => lines.push(format!("- {}", row.title)),
                    }
                }
            }
        }
        OutboundBody::Template {
            name,
            language,
            category,
            header,
            body,
            buttons,
        } => {
            lines.push(format!("Template {name} ({category}, {language})"));
            if !header.is_empty() {
                lines.push(format!("header: {}", header.join(" | ")));
            }
            if !body.is_empty() {
                lines.push(format!("body: {}", body.join(" | ")));
            }
            for button in buttons {
                let kind = if button.sub_type == "quick_reply" {
                    "quick reply"
                } else {
                    button.sub_type.as_str()
                };
                lines.push(format!(
                    "button {}: {kind} {}",
                    button.index + 1,
                    button.parameter
                ));
            }
        }
    }
    lines.join("\n")
}

pub(super) fn describe_trigger(kind: &NodeKind) -> Option<String> {
    Some(match kind {
        NodeKind::InboundMessage(trigger) => match &trigger.matcher {
            MessageMatch::Any => "any message from the contact".to_owned(),
            MessageMatch::Keyword { keywords, .. } => {
                format!("the contact writing {}", keywords.join(" or "))
            }
            MessageMatch::Regex { pattern } => {
                format!("a message from the contact matching /{pattern}/")
            }
            MessageMatch::ButtonPayload { payload } => {
                format!("the contact tapping a template button with payload {payload}")
            }
        },
        NodeKind::CtwaReferral(trigger) if trigger.ad_ids.is_empty() => {
            "a message from the contact sent from a Click-to-WhatsApp ad (with a referral)"
                .to_owned()
        }
        NodeKind::CtwaReferral(trigger) => format!(
            "a message from the contact sent from the ad {} (with a referral)",
            trigger.ad_ids.join(" or ")
        ),
        _ => return None,
    })
}
