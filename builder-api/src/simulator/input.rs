//! What the builder types, turned into what the engine reads: the fake contact, changes to
//! it, the contact's messages (a tap names a button or list row the flow sent) and how far to
//! move the clock.

use serde::Deserialize;
use serde_json::{Map, Value, json};
use spool_nodes::identity::Phone;
use spool_nodes::{Content, Outbound, OutboundBody};
use utoipa::ToSchema;

use super::{DEFAULT_PHONE, Error, Simulation};

/// Who the fake contact is.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactOptions {
    /// Their WhatsApp number, in international form (`+15550100001`); this is the default.
    pub phone: Option<String>,
    /// Their WhatsApp profile name.
    pub name: Option<String>,
    /// Whether they agreed to Marketing messages (Marketing templates need it).
    #[serde(default)]
    pub marketing_opt_in: bool,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Custom properties (`contact.properties` in expressions).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub properties: Map<String, Value>,
    /// IANA time zone, e.g. `Europe/Lisbon`; quiet hours use it when set.
    pub timezone: Option<String>,
    /// The contact wrote in the last 24 hours, so free-form messages may be sent to them
    /// before they write in the simulation.
    #[serde(default)]
    pub window_open: bool,
}

/// A change to the fake contact made from outside (as the contacts API or an import would);
/// it starts journeys listening for it (`event` triggers).
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactUpdate {
    pub name: Option<String>,
    pub marketing_opt_in: Option<bool>,
    #[serde(default)]
    pub add_tags: Vec<String>,
    #[serde(default)]
    pub remove_tags: Vec<String>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub properties: Map<String, Value>,
    pub timezone: Option<String>,
}

/// What the contact sends: exactly one of `text`, `button`, `list_reply`, `location`,
/// `media` or `content`.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Say {
    /// A text message.
    pub text: Option<String>,
    /// A tap on a reply button or a template's quick-reply button the flow sent, by its id
    /// (or its title).
    pub button: Option<String>,
    /// A pick from a list the flow sent, by its row id (or title).
    pub list_reply: Option<String>,
    pub location: Option<LocationInput>,
    pub media: Option<MediaInput>,
    /// Any message content as the runtime reads it, e.g. `{"type": "other", "kind": "sticker"}`.
    #[schema(value_type = Option<Object>)]
    pub content: Option<Content>,
    /// The Click-to-WhatsApp ad the message comes from, e.g.
    /// `{"source_id": "120210", "headline": "Spring sale"}`.
    #[schema(value_type = Option<Object>)]
    pub referral: Option<Value>,
    /// The contact is still typing: keep the flow's burst-merge window open for more
    /// fragments instead of closing it at once.
    #[serde(default)]
    pub more: bool,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationInput {
    pub latitude: f64,
    pub longitude: f64,
    pub name: Option<String>,
    pub address: Option<String>,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MediaInput {
    /// `image`, `video`, `audio`, `document` or `sticker`.
    pub kind: String,
    pub caption: Option<String>,
    pub mime_type: Option<String>,
}

/// How far to move the clock.
#[derive(Clone, Copy, Debug)]
pub enum FastForward {
    By(std::time::Duration),
    NextTimer,
}

/// A choice the flow offered the contact.
#[derive(Clone, Debug)]
pub(super) struct Choice {
    pub(super) kind: ChoiceKind,
    pub(super) id: String,
    pub(super) title: String,
    pub(super) description: Option<String>,
    /// The message that offered it (a tap answers it).
    pub(super) message_key: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ChoiceKind {
    Button,
    QuickReply,
    ListRow,
}

/// The fake contact's number, read like every number Spool takes (E.164, see
/// [`Phone::parse`]).
pub fn parse_phone(text: &str) -> Result<Phone, Error> {
    Phone::parse(text).map_err(|reason| {
        Error::InvalidContact(format!(
            "{text:?} is not a phone number ({reason}); write it in international form, like {DEFAULT_PHONE}."
        ))
    })
}

pub(super) fn check_timezone(zone: &str) -> Result<(), Error> {
    zone.parse::<chrono_tz::Tz>().map(|_| ()).map_err(|_| {
        Error::InvalidContact(format!(
            "{zone:?} is not a time zone; use an IANA name like Europe/Lisbon."
        ))
    })
}

/// Reads a duration like `90s`, `1h 30m` or `2d`.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, Error> {
    text.parse::<spool_flows::values::Duration>()
        .map(spool_flows::values::Duration::get)
        .map_err(Error::InvalidDuration)
}

/// The choices a message offers the contact.
pub(super) fn choices_of(outbound: &Outbound) -> Vec<Choice> {
    let choice = |kind, id: &str, title: &str, description: Option<&String>| Choice {
        kind,
        id: id.to_owned(),
        title: title.to_owned(),
        description: description.cloned(),
        message_key: outbound.key.clone(),
    };
    match &outbound.body {
        OutboundBody::Buttons { buttons, .. } => buttons
            .iter()
            .map(|b| choice(ChoiceKind::Button, &b.id, &b.title, None))
            .collect(),
        OutboundBody::List { sections, .. } => sections
            .iter()
            .flat_map(|section| section.rows.iter())
            .map(|row| {
                choice(
                    ChoiceKind::ListRow,
                    &row.id,
                    &row.title,
                    row.description.as_ref(),
                )
            })
            .collect(),
        OutboundBody::Template { buttons, .. } => buttons
            .iter()
            .filter(|button| button.sub_type == "quick_reply")
            .map(|button| {
                choice(
                    ChoiceKind::QuickReply,
                    &button.parameter,
                    &button.parameter,
                    None,
                )
            })
            .collect(),
        OutboundBody::Text { .. } | OutboundBody::Media { .. } => Vec::new(),
    }
}

impl Simulation {
    /// Resolves what the contact sends into message content, and the message it answers.
    pub(super) fn content_of(&self, say: &Say) -> Result<(Content, Option<String>), Error> {
        let given = [
            say.text.is_some(),
            say.button.is_some(),
            say.list_reply.is_some(),
            say.location.is_some(),
            say.media.is_some(),
            say.content.is_some(),
        ]
        .iter()
        .filter(|given| **given)
        .count();
        if given != 1 {
            return Err(Error::InvalidMessage(
                "Send exactly one of `text`, `button`, `list_reply`, `location`, `media` or `content`."
                    .into(),
            ));
        }
        if let Some(text) = &say.text {
            if text.trim().is_empty() {
                return Err(Error::InvalidMessage("`text` is empty.".into()));
            }
            return Ok((Content::Text { body: text.clone() }, None));
        }
        if let Some(id) = &say.button {
            let choice = self.find_choice(id, &[ChoiceKind::Button, ChoiceKind::QuickReply])?;
            let content = if choice.kind == ChoiceKind::QuickReply {
                Content::TemplateButton {
                    payload: choice.id.clone(),
                    text: choice.title.clone(),
                }
            } else {
                Content::ButtonReply {
                    id: choice.id.clone(),
                    title: choice.title.clone(),
                }
            };
            return Ok((content, Some(choice.message_key.clone())));
        }
        if let Some(id) = &say.list_reply {
            let choice = self.find_choice(id, &[ChoiceKind::ListRow])?;
            let content = Content::ListReply {
                id: choice.id.clone(),
                title: choice.title.clone(),
                description: choice.description.clone(),
            };
            return Ok((content, Some(choice.message_key.clone())));
        }
        if let Some(location) = &say.location {
            let valid = (-90.0..=90.0).contains(&location.latitude)
                && (-180.0..=180.0).contains(&location.longitude);
            if !valid {
                return Err(Error::InvalidMessage(
                    "A location's latitude is within ±90 and its longitude within ±180.".into(),
                ));
            }
            return Ok((
                Content::Location {
                    latitude: location.latitude,
                    longitude: location.longitude,
                    name: location.name.clone(),
                    address: location.address.clone(),
                },
                None,
            ));
        }
        if let Some(media) = &say.media {
            const KINDS: [&str; 5] = ["image", "video", "audio", "document", "sticker"];
            if !KINDS.contains(&media.kind.as_str()) {
                return Err(Error::InvalidMessage(format!(
                    "A media `kind` is one of {}; not {:?}.",
                    KINDS.join(", "),
                    media.kind
                )));
            }
            return Ok((
                Content::Media {
                    kind: media.kind.clone(),
                    id: format!("simulated-media-{}", self.messages_sent + 1),
                    mime_type: media.mime_type.clone(),
                    caption: media.caption.clone(),
                    filename: None,
                },
                None,
            ));
        }
        match &say.content {
            Some(content) => Ok((content.clone(), None)),
            None => Err(Error::InvalidMessage("Nothing to send.".into())),
        }
    }

    /// The most recent choice of those kinds with this id (else this title, ignoring case).
    fn find_choice(&self, wanted: &str, kinds: &[ChoiceKind]) -> Result<&Choice, Error> {
        let wanted = wanted.trim();
        let candidates = || {
            self.choices
                .iter()
                .rev()
                .filter(|choice| kinds.contains(&choice.kind))
        };
        if let Some(choice) = candidates()
            .find(|choice| choice.id == wanted)
            .or_else(|| candidates().find(|choice| choice.title.eq_ignore_ascii_case(wanted)))
        {
            return Ok(choice);
        }
        let latest = candidates().next().map(|choice| choice.message_key.clone());
        let mut offered: Vec<Value> = candidates()
            .filter(|choice| Some(&choice.message_key) == latest.as_ref())
            .map(|choice| json!({ "id": choice.id, "title": choice.title }))
            .collect();
        offered.reverse();
        let what = if kinds.contains(&ChoiceKind::ListRow) {
            "list row"
        } else {
            "button"
        };
        let message = if offered.is_empty() {
            format!("The flow has not sent a {what} to tap yet, so there is no {wanted:?}.")
        } else {
            let ids: Vec<&str> = offered
                .iter()
                .filter_map(|choice| choice["id"].as_str())
                .collect();
            format!(
                "No {what} {wanted:?} was sent to the contact; the latest offered: {}.",
                ids.join(", ")
            )
        };
        Err(Error::UnknownChoice { message, offered })
    }
}
