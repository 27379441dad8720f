//! The JSON body of `POST /{version}/{phone-number-id}/messages` for each message a flow
//! sends, exactly in the shapes of Meta's examples: the common fields
//! (`messaging_product`, `recipient_type`, the recipient, a quoted reply, callback data) and
//! one object named after the type.

use serde_json::{Map, Value, json};
use spool_nodes::{
    Choice, MediaKind, OutboundBody, Section, TemplateButtonParameter, TemplateCategory,
};

use crate::errors::SendFailure;
use crate::limits;

/// The longest `biz_opaque_callback_data` WhatsApp echoes back (per pywa).
const MAX_CALLBACK_DATA: usize = 512;

/// Whom a message goes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Recipient {
    /// A phone number (`wa_id` digits, with or without `+`), sent as `to`.
    Phone(String),
    /// A business-scoped user id (BSUID) for a contact known only by username, sent as
    /// `recipient`. Meta's docs have wavered between `to` and a separate `recipient` field;
    /// pywa, Kapso's guide (both per the shared reference) and Gupshup's Cloud API docs use
    /// `recipient`, and Gupshup notes that `to` wins when both are set, so exactly one is
    /// sent. Confirm against Meta's current reference before relying on BSUID sends.
    /// Authentication templates cannot go to a BSUID (error 131062).
    UserId(String),
}

/// One message to send.
#[derive(Clone, Debug, PartialEq)]
pub struct SendRequest<'a> {
    pub to: Recipient,
    /// The wamid of a message to quote (`context.message_id`).
    pub reply_to: Option<String>,
    /// Echoed back in this message's status webhooks (`biz_opaque_callback_data`, at most
    /// 512 characters): put the run and step in it.
    pub callback_data: Option<String>,
    pub body: &'a OutboundBody,
}

impl SendRequest<'_> {
    /// Refuses, in words and without a call, a message WhatsApp would answer with a 400:
    /// texts past their limits, too many buttons or rows, empty template values, an
    /// authentication template to a BSUID.
    pub fn check(&self) -> Result<(), SendFailure> {
        let mut problems = limits::problems(self.body);
        let authentication = matches!(
            self.body,
            OutboundBody::Template {
                category: TemplateCategory::Authentication,
                ..
            }
        );
        if authentication && matches!(self.to, Recipient::UserId(_)) {
            problems.push(
                "authentication templates cannot be sent to a WhatsApp user id, only to a phone number"
                    .into(),
            );
        }
        if let Some(data) = &self.callback_data {
            let length = data.chars().count();
            if length > MAX_CALLBACK_DATA {
                problems.push(format!(
                    "the callback data is {length} characters long, and WhatsApp echoes at most {MAX_CALLBACK_DATA}"
                ));
            }
        }
        if problems.is_empty() {
            return Ok(());
        }
        Err(SendFailure::Permanent {
            code: None,
            reason: format!(
                "WhatsApp would refuse this message: {}",
                problems.join("; ")
            ),
            title: String::new(),
            details: None,
        })
    }

    /// The request body Meta expects.
    pub fn to_json(&self) -> Value {
        let mut message = Map::new();
        message.insert("messaging_product".into(), "whatsapp".into());
        message.insert("recipient_type".into(), "individual".into());
        match &self.to {
            Recipient::Phone(phone) => message.insert("to".into(), phone.as_str().into()),
            Recipient::UserId(user_id) => {
                message.insert("recipient".into(), user_id.as_str().into())
            }
        };
        if let Some(reply_to) = &self.reply_to {
            message.insert("context".into(), json!({ "message_id": reply_to }));
        }
        if let Some(data) = &self.callback_data {
            message.insert("biz_opaque_callback_data".into(), data.as_str().into());
        }
        let (kind, object) = body(self.body);
        message.insert("type".into(), kind.into());
        message.insert(kind.into(), object);
        Value::Object(message)
    }
}

/// The type and the object named after it.
fn body(body: &OutboundBody) -> (&'static str, Value) {
    match body {
        OutboundBody::Text { text, preview_url } => {
            let mut object = json!({ "body": text });
            if *preview_url {
                object["preview_url"] = true.into();
            }
            ("text", object)
        }
        OutboundBody::Media {
            kind,
            url,
            caption,
            filename,
        } => (
            kind.as_str(),
            media(*kind, url, caption.as_deref(), filename.as_deref()),
        ),
        OutboundBody::Buttons {
            text,
            header,
            footer,
            buttons,
        } => {
            let buttons: Vec<Value> = buttons
                .iter()
                .map(|Choice { id, title, .. }| {
                    json!({ "type": "reply", "reply": { "id": id, "title": title } })
                })
                .collect();
            let action = json!({ "buttons": buttons });
            (
                "interactive",
                interactive("button", text, header, footer, action),
            )
        }
        OutboundBody::List {
            text,
            header,
            footer,
            button,
            sections,
        } => {
            let sections: Vec<Value> = sections.iter().map(section).collect();
            let action = json!({ "button": button, "sections": sections });
            (
                "interactive",
                interactive("list", text, header, footer, action),
            )
        }
        OutboundBody::Template {
            name,
            language,
            header,
            body,
            buttons,
            ..
        } => {
            let mut components = Vec::new();
            if !header.is_empty() {
                components.push(json!({ "type": "header", "parameters": texts(header) }));
            }
            if !body.is_empty() {
                components.push(json!({ "type": "body", "parameters": texts(body) }));
            }
            components.extend(buttons.iter().map(template_button));
            let mut template = json!({ "name": name, "language": { "code": language } });
            if !components.is_empty() {
                template["components"] = components.into();
            }
            ("template", template)
        }
    }
}

/// A media object: by `link` when the url is a web address, else by `id` (a media id from an
/// upload to Meta). Captions go only where Meta accepts them (image, video, document), file
/// names only on documents: Meta answers anything else with a 400.
fn media(kind: MediaKind, url: &str, caption: Option<&str>, filename: Option<&str>) -> Value {
    let mut object = Map::new();
    let is_link = url.starts_with("https://") || url.starts_with("http://");
    object.insert(if is_link { "link" } else { "id" }.into(), url.into());
    let takes_caption = matches!(
        kind,
        MediaKind::Image | MediaKind::Video | MediaKind::Document
    );
    if let Some(caption) = caption.filter(|_| takes_caption) {
        object.insert("caption".into(), caption.into());
    }
    if let Some(filename) = filename.filter(|_| kind == MediaKind::Document) {
        object.insert("filename".into(), filename.into());
    }
    Value::Object(object)
}

fn interactive(
    kind: &str,
    text: &str,
    header: &Option<String>,
    footer: &Option<String>,
    action: Value,
) -> Value {
    let mut object = Map::new();
    object.insert("type".into(), kind.into());
    if let Some(header) = header {
        object.insert("header".into(), json!({ "type": "text", "text": header }));
    }
    object.insert("body".into(), json!({ "text": text }));
    if let Some(footer) = footer {
        object.insert("footer".into(), json!({ "text": footer }));
    }
    object.insert("action".into(), action);
    Value::Object(object)
}

fn section(section: &Section) -> Value {
    let rows: Vec<Value> = section
        .rows
        .iter()
        .map(|row| {
            let mut value = json!({ "id": row.id, "title": row.title });
            if let Some(description) = &row.description {
                value["description"] = description.as_str().into();
            }
            value
        })
        .collect();
    json!({ "title": section.title, "rows": rows })
}

fn texts(values: &[String]) -> Vec<Value> {
    values
        .iter()
        .map(|text| json!({ "type": "text", "text": text }))
        .collect()
}

/// A button component: a quick reply's payload (it comes back when the contact taps), a copy
/// code's coupon, or the text appended to a URL button's address.
fn template_button(button: &TemplateButtonParameter) -> Value {
    let parameter = match button.sub_type.as_str() {
        "quick_reply" => json!({ "type": "payload", "payload": button.parameter }),
        "copy_code" => json!({ "type": "coupon_code", "coupon_code": button.parameter }),
        _ => json!({ "type": "text", "text": button.parameter }),
    };
    json!({
        "type": "button",
        "sub_type": button.sub_type,
        "index": button.index.to_string(),
        "parameters": [parameter],
    })
}
