//! The typed configuration of every node type, as a closed enum tagged by `type`.
//!
//! Adding a node type means adding a variant here, and the compiler then points at every
//! `match` that must learn about it (ports, catalog, validation, and later the runtime).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::values::{Duration, Expression, Input, Template};
use crate::whatsapp::{
    BUTTON_TITLE, CAPTION, FOOTER, HEADER, INTERACTIVE_BODY, LIST_BUTTON, LIST_ROW_DESCRIPTION,
    LIST_ROW_TITLE, LIST_ROWS, LIST_SECTION_TITLE, LIST_SECTIONS, MAX_BUTTONS, TEXT_BODY,
};

/// What a node does, with its configuration. Serialized as `"type": "...", "config": {...}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", content = "config", rename_all = "snake_case")]
pub enum NodeKind {
    // --- triggers ---
    InboundMessage(InboundMessage),
    CtwaReferral(CtwaReferral),
    Webhook(Webhook),
    Event(Event),
    Broadcast(Broadcast),
    // --- logic ---
    Condition(Condition),
    Switch(Switch),
    Split(Split),
    Set(Set),
    Delay(Delay),
    WaitForReply(WaitForReply),
    GotoFlow(GotoFlow),
    End(End),
    // --- messaging ---
    SendText(SendText),
    SendMedia(SendMedia),
    SendButtons(SendButtons),
    SendList(SendList),
    SendTemplate(SendTemplate),
    // --- contact ---
    Tag(Tag),
    UpdateContact(UpdateContact),
    // --- integration ---
    HttpRequest(HttpRequest),
    AiAgent(AiAgent),
    Handoff(Handoff),
}

fn default_timeout_24h() -> Duration {
    Duration::from_secs(24 * 3600)
}

fn is_false(value: &bool) -> bool {
    !*value
}

// ---------------------------------------------------------------- triggers

/// Starts the journey when a contact sends a message that matches.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InboundMessage {
    #[serde(rename = "match", default)]
    pub matcher: MessageMatch,
}

/// Which inbound messages start the journey.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum MessageMatch {
    /// Any message at all.
    #[default]
    Any,
    /// The message text equals one of the keywords (ignoring case unless asked).
    Keyword {
        keywords: Vec<String>,
        #[serde(default, skip_serializing_if = "is_false")]
        case_sensitive: bool,
    },
    /// The message text matches a regular expression.
    Regex { pattern: String },
    /// A tap on a template quick-reply button with this payload.
    ButtonPayload { payload: String },
}

/// Starts the journey when a contact writes after tapping a Click-to-WhatsApp ad.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CtwaReferral {
    /// Ad ids (`referral.source_id`) that start this journey; empty means any ad.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ad_ids: Vec<String>,
}

/// Starts or resumes the journey when another system POSTs JSON to `/hooks/{workspace}/{hook}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Webhook {
    /// The endpoint's name, the last part of its URL (lowercase letters, digits, `-`, `_`).
    pub hook: String,
    /// Picks the contact's phone number out of the body, e.g. `payload.customer.phone`.
    pub contact: Expression,
    /// Name of a workspace secret used to check an HMAC-SHA256 signature of the body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// Starts the journey when something happens to a contact.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Event {
    pub event: ContactEvent,
    /// For tag events: only this tag (any tag when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContactEvent {
    TagAdded,
    TagRemoved,
    OptedIn,
    OptedOut,
}

/// Starts the journey for every contact in an audience, by hand or at a scheduled time.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Broadcast {
    /// Contacts having all of these tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// A further filter over `contact`, e.g. `contact.properties.city == "Lisbon"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<Expression>,
    /// When to start (RFC 3339, e.g. `2026-12-01T09:00:00Z`); by hand when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
}

// ---------------------------------------------------------------- logic

/// Goes on through `true` or `false`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub expression: Expression,
}

/// Goes on through the port of the first case whose `when` holds, else `default`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Switch {
    pub cases: Vec<SwitchCase>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SwitchCase {
    /// The output port this case leads to.
    pub port: String,
    pub when: Expression,
}

/// Sends each contact down one branch, by weight; the same contact always gets the same one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Split {
    pub branches: Vec<SplitBranch>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SplitBranch {
    pub port: String,
    /// Relative weight; `50` and `50` is an even split.
    pub weight: u32,
}

/// Stores values in the run's variables (`vars.<name>`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Set {
    pub assignments: Vec<Assignment>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Assignment {
    pub variable: String,
    pub value: Input,
}

/// Pauses the journey for a while, or until a computed time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Delay {
    /// How long to wait.
    #[serde(rename = "for", default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<Duration>,
    /// Or until when: an expression giving a Unix time in seconds, e.g. `payload.delivery_at - 3600`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Expression>,
}

/// Waits for the contact's next message and stores it in `vars.<variable>`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WaitForReply {
    pub variable: String,
    /// What kind of answer is expected; anything else is re-asked.
    #[serde(default)]
    pub expect: Expect,
    /// A further check on the reply (`msg`), e.g. `to_number(msg.text) > 0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation: Option<Expression>,
    /// Sent when the answer is not valid; the question is then asked again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_message: Option<Template>,
    /// How many times to re-ask before leaving through `invalid`.
    #[serde(default = "WaitForReply::default_retries")]
    pub retries: u8,
    /// How long to wait before leaving through `timeout`.
    #[serde(default = "default_timeout_24h")]
    pub timeout: Duration,
}

impl WaitForReply {
    fn default_retries() -> u8 {
        2
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Expect {
    #[default]
    Any,
    Text,
    Number,
    Email,
    Phone,
    Button,
    Media,
    Location,
}

/// Hands the contact to another published flow; this run ends.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GotoFlow {
    /// The id of the flow to start.
    pub flow: String,
}

/// Ends the journey.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct End {}

// ---------------------------------------------------------------- messaging

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

// ---------------------------------------------------------------- contact

/// Adds and removes tags on the contact.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Tag {
    /// Tags to give the contact (a tag it has already is left as it is).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub add: Vec<String>,
    /// Tags to take off the contact.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remove: Vec<String>,
}

/// Changes the contact's profile: properties, name, marketing opt-in, locale.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateContact {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, Input>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Template>,
    /// Record (true) or withdraw (false) the contact's consent to Marketing messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marketing_opt_in: Option<bool>,
    /// The language the contact reads, as WhatsApp spells locales (`pt_BR`, `en`): template
    /// sends pick that translation when Meta approved it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<Template>,
}

// ---------------------------------------------------------------- integration

/// Calls another system over HTTP and keeps parts of the answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HttpRequest {
    pub method: HttpMethod,
    pub url: Template,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, Template>,
    /// The request body (usually JSON), with placeholders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Template>,
    #[serde(default = "HttpRequest::default_timeout")]
    pub timeout: Duration,
    /// How many times to try again after a network error or a 5xx answer.
    #[serde(default)]
    pub retries: u8,
    /// Variables to set from the answer: name → expression over `response`
    /// (`response.status`, `response.body`, `response.headers`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub save: BTreeMap<String, Expression>,
}

impl HttpRequest {
    fn default_timeout() -> Duration {
        Duration::from_secs(10)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl HttpMethod {
    /// The method as HTTP writes it.
    pub const fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Patch => "PATCH",
            HttpMethod::Delete => "DELETE",
        }
    }
}

/// Lets an AI model talk with the contact, with knowledge and tools, until it is done or
/// asks for a human.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AiAgent {
    /// The model name understood by the workspace's chat-completions endpoint; when absent,
    /// the endpoint's default model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    pub instructions: Template,
    /// Facts the agent may use when answering.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub knowledge: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<AiTool>,
    /// How many replies the agent may send before leaving through `done`.
    #[serde(default = "AiAgent::default_max_turns")]
    pub max_turns: u32,
    /// Where to store the agent's summary of the conversation (`vars.<variable>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variable: Option<String>,
    /// How long to wait for the contact between turns.
    #[serde(default = "default_timeout_24h")]
    pub timeout: Duration,
}

impl AiAgent {
    fn default_max_turns() -> u32 {
        10
    }
}

/// A tool the agent may call: an HTTP endpoint that receives the arguments as a JSON body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AiTool {
    pub name: String,
    pub description: String,
    /// JSON Schema of the arguments.
    #[serde(default = "AiTool::default_parameters")]
    pub parameters: serde_json::Value,
    pub url: Template,
    #[serde(default = "AiTool::default_method")]
    pub method: HttpMethod,
}

impl AiTool {
    fn default_parameters() -> serde_json::Value {
        serde_json::json!({ "type": "object", "properties": {} })
    }

    fn default_method() -> HttpMethod {
        HttpMethod::Post
    }
}

/// Hands the conversation to a human team; the journey goes on when an operator closes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Handoff {
    pub team: String,
    /// Context shown to the operator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<Template>,
    /// Leave through `timeout` if no operator closes the conversation in time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
}
