//! One entry of `value.messages[]` as Spool's [`InboundMessage`]: who sent it (number, BSUID,
//! profile name from `value.contacts[]`), when (its own timestamp), what (the content by
//! type), and what it answers or came from (context, ad referral).

use serde_json::Value;
use spool_nodes::identity::Bsuid;
use spool_nodes::{Content, InboundMessage};

use super::{bsuid_of, string_of, text_of, timestamp_ms};

/// Media kinds a message can carry, by the key of their object.
const MEDIA: [&str; 5] = ["image", "video", "audio", "document", "sticker"];

/// The message, or why it cannot be read.
pub(super) fn read(raw: &Value, contacts: &[Value]) -> Result<InboundMessage, String> {
    if !raw.is_object() {
        return Err("it is not an object".into());
    }
    let id = text_of(raw, "id").ok_or("it has no `id`")?;
    let kind = text_of(raw, "type").ok_or("it has no `type`")?;
    let timestamp =
        timestamp_ms(raw.get("timestamp")).ok_or("it has no `timestamp` in Unix seconds")?;
    let content = content(&kind, raw)?;

    let mut from = raw
        .get("from")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let mut from_user_id = bsuid_of(raw, "from_user_id");
    let contact = sender_contact(contacts, &from, from_user_id.as_ref());
    if let Some(contact) = contact {
        if from.is_empty() {
            from = text_of(contact, "wa_id").unwrap_or_default();
        }
        if from_user_id.is_none() {
            from_user_id = bsuid_of(contact, "user_id");
        }
    }
    if from.is_empty() && from_user_id.is_none() {
        return Err("it names no sender: neither `from` nor `from_user_id`".into());
    }
    let profile_name = contact
        .and_then(|contact| contact.pointer("/profile/name"))
        .and_then(Value::as_str)
        .filter(|name| !name.is_empty())
        .map(str::to_owned);

    Ok(InboundMessage {
        id,
        from,
        from_user_id,
        profile_name,
        timestamp,
        content,
        referral: raw
            .get("referral")
            .filter(|referral| referral.is_object())
            .cloned(),
        context_id: raw
            .pointer("/context/id")
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty())
            .map(str::to_owned),
        // Spool's channel id, which the webhook's URL names: the caller fills it in.
        channel: None,
    })
}

/// The entry of `value.contacts[]` describing the sender: matched by number or BSUID, else
/// the only one there is, unless it names someone else (Meta lists one contact per message in
/// practice, but a batch may list several).
fn sender_contact<'a>(
    contacts: &'a [Value],
    from: &str,
    user_id: Option<&Bsuid>,
) -> Option<&'a Value> {
    let field = |contact: &Value, key: &str| text_of(contact, key);
    let number = Some(from.to_owned()).filter(|from| !from.is_empty());
    let user = user_id.map(|user_id| user_id.as_str().to_owned());
    let matches = |contact: &&Value| {
        let by_number = number.is_some() && field(contact, "wa_id") == number;
        let by_user = user.is_some() && field(contact, "user_id") == user;
        by_number || by_user
    };
    let names_someone_else = |contact: &Value| {
        let other_number =
            number.is_some() && field(contact, "wa_id").is_some_and(|wa_id| Some(wa_id) != number);
        let other_user =
            user.is_some() && field(contact, "user_id").is_some_and(|id| Some(id) != user);
        other_number || other_user
    };
    contacts.iter().find(matches).or(match contacts {
        [only] if !names_someone_else(only) => Some(only),
        _ => None,
    })
}

fn content(kind: &str, raw: &Value) -> Result<Content, String> {
    let part = |key: &str| {
        raw.get(key)
            .filter(|part| part.is_object())
            .ok_or_else(|| format!("its type is `{kind}` but it has no `{key}` object"))
    };
    Ok(match kind {
        "text" => Content::Text {
            body: part("text")?
                .get("body")
                .and_then(Value::as_str)
                .ok_or("its `text` has no `body`")?
                .to_owned(),
        },
        "interactive" => interactive(part("interactive")?)?,
        "button" => {
            // A tap on a template's quick-reply button: the payload we set, and the label.
            let button = part("button")?;
            let payload = text_of(button, "payload");
            let text = text_of(button, "text");
            let (payload, text) = match (payload, text) {
                (Some(payload), Some(text)) => (payload, text),
                (Some(payload), None) => (payload.clone(), payload),
                (None, Some(text)) => (text.clone(), text),
                (None, None) => return Err("its `button` has neither `payload` nor `text`".into()),
            };
            Content::TemplateButton { payload, text }
        }
        media if MEDIA.contains(&media) => {
            let object = part(media)?;
            Content::Media {
                kind: media.to_owned(),
                id: string_of(object.get("id"))
                    .filter(|id| !id.is_empty())
                    .ok_or_else(|| format!("its `{media}` has no media `id`"))?,
                mime_type: text_of(object, "mime_type"),
                caption: text_of(object, "caption"),
                filename: if media == "document" {
                    text_of(object, "filename")
                } else {
                    None
                },
            }
        }
        "location" => {
            let location = part("location")?;
            let coordinate = |key: &str| {
                location
                    .get(key)
                    .and_then(Value::as_f64)
                    .ok_or_else(|| format!("its `location` has no numeric `{key}`"))
            };
            Content::Location {
                latitude: coordinate("latitude")?,
                longitude: coordinate("longitude")?,
                name: text_of(location, "name"),
                address: text_of(location, "address"),
            }
        }
        "contacts" => Content::Contacts {
            contacts: raw
                .get("contacts")
                .and_then(Value::as_array)
                .cloned()
                .ok_or("its type is `contacts` but it has no `contacts` list")?,
        },
        "reaction" => {
            let reaction = part("reaction")?;
            Content::Reaction {
                message_id: text_of(reaction, "message_id")
                    .ok_or("its `reaction` has no `message_id`")?,
                // Missing or empty: the contact took the reaction back.
                emoji: text_of(reaction, "emoji").unwrap_or_default(),
            }
        }
        "order" => {
            let order = part("order")?;
            Content::Order {
                catalog_id: string_of(order.get("catalog_id")),
                text: text_of(order, "text"),
                items: order
                    .get("product_items")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default(),
            }
        }
        // `system`, `unsupported` and types newer than this code: the flow sees `msg.type`.
        other => Content::Other {
            kind: other.to_owned(),
        },
    })
}

fn interactive(interactive: &Value) -> Result<Content, String> {
    let reply = |key: &str| -> Result<(String, String, &Value), String> {
        let reply = interactive
            .get(key)
            .filter(|reply| reply.is_object())
            .ok_or_else(|| format!("its interactive `{key}` is missing"))?;
        let id = text_of(reply, "id").ok_or_else(|| format!("its `{key}` has no `id`"))?;
        let title = text_of(reply, "title").unwrap_or_else(|| id.clone());
        Ok((id, title, reply))
    };
    match interactive.get("type").and_then(Value::as_str) {
        Some("button_reply") => {
            let (id, title, _) = reply("button_reply")?;
            Ok(Content::ButtonReply { id, title })
        }
        Some("list_reply") => {
            let (id, title, reply) = reply("list_reply")?;
            Ok(Content::ListReply {
                id,
                title,
                description: text_of(reply, "description"),
            })
        }
        // Flow completions (`nfm_reply`) and newer kinds: visible by their type.
        Some(other) => Ok(Content::Other {
            kind: other.to_owned(),
        }),
        None => Err("its `interactive` has no `type`".into()),
    }
}
