//! Messaging: what a journey sends the contact (text, media, buttons, lists, templates).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::values::{Duration, Template};
use crate::whatsapp::{
    BUTTON_TITLE, CAPTION, FOOTER, HEADER, INTERACTIVE_BODY, LIST_BUTTON, LIST_ROW_DESCRIPTION,
    LIST_ROW_TITLE, LIST_ROWS, LIST_SECTION_TITLE, LIST_SECTIONS, MAX_BUTTONS, TEXT_BODY,
};

use super::*;

/// Sends a free-form text message (only inside the 24-hour window).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SendText {
    #[schemars(extend("maxLength" = TEXT_BODY))]
    pub text: Template,
    /// Show a preview of the first link.
    #[serde(default, skip_serializing_if = "is_false")]
    pub preview_url: bool,
}

/// Sends an image, video, audio clip, document or sticker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SendMedia {
    pub media: MediaKind,
    /// A public https link to the file.
    pub url: Template,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("maxLength" = CAPTION))]
    pub caption: Option<Template>,
    /// For documents: the file name the contact sees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<Template>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    Image,
    Video,
    Audio,
    Document,
    Sticker,
}

impl MediaKind {
    /// The name in the document and in WhatsApp's API (`image`, `document`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            MediaKind::Image => "image",
            MediaKind::Video => "video",
            MediaKind::Audio => "audio",
            MediaKind::Document => "document",
            MediaKind::Sticker => "sticker",
        }
    }
}

impl std::fmt::Display for MediaKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Sends up to three reply buttons and goes on through the port of the one tapped.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SendButtons {
    #[schemars(extend("maxLength" = INTERACTIVE_BODY))]
    pub text: Template,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("maxLength" = HEADER))]
    pub header: Option<Template>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("maxLength" = FOOTER))]
    pub footer: Option<Template>,
    #[schemars(extend("maxItems" = MAX_BUTTONS))]
    pub buttons: Vec<Button>,
    /// Where to store the tapped button's id (`vars.<variable>`), if anywhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variable: Option<String>,
    #[serde(default = "default_timeout_24h")]
    pub timeout: Duration,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Button {
    /// The button's id, which is also the name of its output port.
    pub id: String,
    /// What the contact sees (at most 20 characters).
    #[schemars(extend("maxLength" = BUTTON_TITLE))]
    pub title: String,
}

/// Sends a list of up to ten choices and goes on through the port of the row picked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SendList {
    #[schemars(extend("maxLength" = INTERACTIVE_BODY))]
    pub text: Template,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("maxLength" = HEADER))]
    pub header: Option<Template>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("maxLength" = FOOTER))]
    pub footer: Option<Template>,
    /// The label of the button that opens the list (at most 20 characters).
    #[schemars(extend("maxLength" = LIST_BUTTON))]
    pub button: String,
    /// At most ten rows in all, over every section.
    #[schemars(extend("maxItems" = LIST_SECTIONS, "x-max-rows" = LIST_ROWS))]
    pub sections: Vec<ListSection>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variable: Option<String>,
    #[serde(default = "default_timeout_24h")]
    pub timeout: Duration,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListSection {
    #[schemars(extend("maxLength" = LIST_SECTION_TITLE))]
    pub title: String,
    pub rows: Vec<ListRow>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListRow {
    /// The row's id, which is also the name of its output port.
    pub id: String,
    #[schemars(extend("maxLength" = LIST_ROW_TITLE))]
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("maxLength" = LIST_ROW_DESCRIPTION))]
    pub description: Option<String>,
}

/// Sends an approved message template (allowed outside the 24-hour window).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SendTemplate {
    /// The template's name as approved by Meta (lowercase letters, digits and `_`).
    pub name: String,
    /// The approved translation, e.g. `en`, `en_US`, `pt_BR`.
    pub language: String,
    pub category: TemplateCategory,
    /// Values for the header's placeholders.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub header: Vec<Template>,
    /// Values for the body's placeholders `{{1}}`, `{{2}}`, … in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub body: Vec<Template>,
    /// Parameters for the template's buttons, by position.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buttons: Vec<TemplateButton>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TemplateCategory {
    /// Promotions; only sent to contacts who opted in.
    Marketing,
    /// Updates about something the contact did (an order, a booking).
    Utility,
    /// One-time codes.
    Authentication,
}

impl TemplateCategory {
    /// The name in the document and in WhatsApp's API (`marketing`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            TemplateCategory::Marketing => "marketing",
            TemplateCategory::Utility => "utility",
            TemplateCategory::Authentication => "authentication",
        }
    }
}

impl std::fmt::Display for TemplateCategory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parameter for one of a template's buttons.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum TemplateButton {
    /// A quick-reply button: the payload that comes back when it is tapped.
    QuickReply { payload: String },
    /// A link button: the text appended to the template's URL.
    Url { text: Template },
}
