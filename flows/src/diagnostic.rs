//! Diagnostics: what is wrong with a flow, where, in words a flow builder understands.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The flow cannot be published until this is fixed.
    Error,
    /// The flow can be published, but probably does not do what was meant.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// At most this many characters of a text a diagnostic is about are quoted in its message.
pub const EXCERPT_CHARS: usize = 80;

/// The text a message quotes: all of `text` when it is short, else [`EXCERPT_CHARS`]
/// characters around the character at `at` (counted from 0), with `…` where it was cut.
/// A 100 kB expression must not make a 100 kB message.
pub fn excerpt(text: &str, at: usize) -> Cow<'_, str> {
    let length = text.chars().count();
    if length <= EXCERPT_CHARS {
        return Cow::Borrowed(text);
    }
    let start = at
        .saturating_sub(EXCERPT_CHARS / 2)
        .min(length - EXCERPT_CHARS);
    let end = start + EXCERPT_CHARS;
    let byte = |chars: usize| {
        text.char_indices()
            .nth(chars)
            .map_or(text.len(), |(offset, _)| offset)
    };
    let mut quoted = String::with_capacity(EXCERPT_CHARS * 4 + 6);
    if start > 0 {
        quoted.push('…');
    }
    quoted.push_str(&text[byte(start)..byte(end)]);
    if end < length {
        quoted.push('…');
    }
    Cow::Owned(quoted)
}

/// A line and column, both counted from 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

/// One problem found in a flow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Diagnostic {
    pub severity: Severity,
    /// A stable identifier the editor can key on, e.g. `too_many_buttons`.
    pub code: Code,
    /// Says what is wrong and how to fix it.
    pub message: String,
    /// The node the problem is on, if it is on one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_id: Option<String>,
    /// The field the problem is in, as a path: `config.buttons[3].title`, `edges[2].to`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For malformed JSON, where in the document; for an expression, where in the expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
}

impl Diagnostic {
    pub fn error(code: Code, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, code, message)
    }

    pub fn warning(code: Code, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, code, message)
    }

    fn new(severity: Severity, code: Code, message: impl Into<String>) -> Self {
        Self {
            severity,
            code,
            message: message.into(),
            node_id: None,
            field: None,
            location: None,
        }
    }

    pub fn on_node(mut self, node_id: impl Into<String>) -> Self {
        self.node_id = Some(node_id.into());
        self
    }

    pub fn on_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn at(mut self, location: Location) -> Self {
        self.location = Some(location);
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

macro_rules! codes {
    ($($variant:ident => $text:literal: $doc:literal,)*) => {
        /// Every diagnostic code, with what it means. The strings are stable: the editor and
        /// API clients key on them.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Code {
            $(#[doc = $doc] $variant,)*
        }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The code with this text, e.g. `too_many_buttons`.
            pub fn parse(text: &str) -> Option<Code> {
                match text {
                    $($text => Some(Code::$variant),)*
                    _ => None,
                }
            }

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $text,)*
                }
            }

            pub fn description(self) -> &'static str {
                match self {
                    $(Code::$variant => $doc,)*
                }
            }
        }
    };
}

codes! {
    MalformedJson => "malformed_json": "The file is not valid JSON.",
    UnsupportedSchema => "unsupported_schema": "The document's `schema` is not a version this Spool reads.",
    InvalidFlow => "invalid_flow": "A top-level field of the flow is missing or of the wrong kind.",
    InvalidNode => "invalid_node": "A node is missing `id` or `type`, or has a field nodes do not have.",
    InvalidEdge => "invalid_edge": "An edge is missing `from`, `port` or `to`, or has a field edges do not have.",
    InvalidSettings => "invalid_settings": "A flow setting has a wrong value.",
    UnknownNodeType => "unknown_node_type": "A node's `type` is not one Spool knows.",
    InvalidConfig => "invalid_config": "A node's configuration is missing a field, has a wrong value, or has a field its type does not have.",
    DuplicateNodeId => "duplicate_node_id": "Two nodes share an id.",
    DuplicateHook => "duplicate_hook": "Two webhook triggers of the flow listen on the same hook.",
    MissingTrigger => "missing_trigger": "Nothing starts the flow: it has no trigger node.",
    BroadcastSettingsUnused => "broadcast_settings_unused": "A campaign says who a broadcast reaches and when: the trigger's own tags, segment and schedule are not used.",
    EdgeFromUnknownNode => "edge_from_unknown_node": "An edge starts at a node that does not exist.",
    EdgeToUnknownNode => "edge_to_unknown_node": "An edge leads to a node that does not exist.",
    UnknownPort => "unknown_port": "An edge leaves a node through a port its type does not have.",
    PortConnectedTwice => "port_connected_twice": "One port has two edges; a contact can only go one way.",
    DuplicatePort => "duplicate_port": "Two buttons, rows, cases or branches of one node share a port name.",
    ReservedPortName => "reserved_port_name": "A button, row, case or branch uses a port name the node type keeps for itself.",
    UnconnectedPort => "unconnected_port": "A port contacts normally take leads nowhere, so their journey ends there.",
    UnreachableNode => "unreachable_node": "No trigger leads to this node, so no contact will ever reach it.",
    LoopWithoutWait => "loop_without_wait": "A loop has no step that waits, so a contact entering it would spin forever.",
    WaitTimeoutUnconnected => "wait_timeout_unconnected": "A wait's `timeout` port leads nowhere, so contacts who never answer wait forever.",
    ExpressionSyntax => "expression_syntax": "An expression does not compile.",
    UnknownVariable => "unknown_variable": "An expression reads a name flows do not have.",
    TemplateSyntax => "template_syntax": "Text has a `{{` without its `}}`, or an empty `{{ }}`.",
    InvalidRegex => "invalid_regex": "A regular expression does not compile.",
    InvalidName => "invalid_name": "A variable, hook or port name has characters it may not have.",
    EmptyField => "empty_field": "A field that needs a value is empty.",
    TooManyButtons => "too_many_buttons": "WhatsApp allows at most 3 reply buttons.",
    ButtonTitleTooLong => "button_title_too_long": "WhatsApp cuts button titles at 20 characters.",
    DuplicateButtonTitle => "duplicate_button_title": "WhatsApp needs the titles of a message's buttons to differ.",
    TooManyListRows => "too_many_list_rows": "WhatsApp allows at most 10 rows in a list.",
    TooManyListSections => "too_many_list_sections": "WhatsApp allows at most 10 sections in a list.",
    TextTooLong => "text_too_long": "A text is longer than WhatsApp accepts for that field.",
    InvalidTemplateName => "invalid_template_name": "A template name must be lowercase letters, digits and `_`.",
    InvalidLanguage => "invalid_language": "A template language must be a code such as `en`, `en_US` or `pt_BR`.",
    InvalidUrl => "invalid_url": "A URL must start with https:// or http://.",
    InvalidValue => "invalid_value": "A number or time is out of the range allowed.",
    WindowMayBeClosed => "window_may_be_closed": "A free-form message may be sent more than 24 hours after the contact's last message; WhatsApp only delivers templates then.",
    InvalidFlowId => "invalid_flow_id": "A flow id must be 1 to 64 letters, digits, `-` or `_`: it appears in URLs.",
    UnreadableFile => "unreadable_file": "`spool validate` could not read the file at all.",
    TemplateMissing => "template_missing": "The template a node sends does not exist in that language on the workspace's WhatsApp number (checked when publishing).",
    TemplateNotApproved => "template_not_approved": "The template exists but Meta has not approved it, or paused or disabled it (checked when publishing).",
    TemplateCategoryMismatch => "template_category_mismatch": "Meta files the template under another category than the node says (checked when publishing).",
    TemplateParameterCount => "template_parameter_count": "The node gives the template's header, body or buttons another number of values than the template takes (checked when publishing).",
    TemplatesNotChecked => "templates_not_checked": "The template could not be checked: no WhatsApp number is connected, or its templates were never read from Meta.",
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// On the wire a code is its stable text, exactly as when it was a string.
impl Serialize for Code {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Cow::<str>::deserialize(deserializer)?;
        Code::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown diagnostic code `{text}`")))
    }
}

impl JsonSchema for Code {
    fn schema_name() -> Cow<'static, str> {
        "Code".into()
    }

    /// Inlined as a plain string, so the schema reads as it did when the field was a string.
    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "string" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_texts_are_quoted_whole_and_long_ones_around_the_place() {
        assert_eq!(excerpt("vars.x >", 8), "vars.x >");
        let long = format!("{}ERROR{}", "a".repeat(500), "b".repeat(500));
        let quoted = excerpt(&long, 500);
        assert!(quoted.starts_with('…') && quoted.ends_with('…'), "{quoted}");
        assert!(quoted.contains("ERROR"), "{quoted}");
        assert_eq!(quoted.chars().count(), EXCERPT_CHARS + 2);
        let start = excerpt(&long, 0);
        assert!(!start.starts_with('…') && start.ends_with('…'), "{start}");
        let end = excerpt(&long, long.len() + 10);
        assert!(end.starts_with('…') && end.ends_with('b'), "{end}");
        let wide = "é".repeat(200);
        assert_eq!(excerpt(&wide, 100).chars().count(), EXCERPT_CHARS + 2);
    }

    #[test]
    fn codes_serialize_as_their_text_and_read_back() {
        for code in Code::ALL {
            let json = serde_json::to_value(code).expect("a code serializes");
            assert_eq!(json, serde_json::Value::String(code.as_str().to_owned()));
            let back: Code = serde_json::from_value(json).expect("a code reads back");
            assert_eq!(back, *code);
        }
        assert!(serde_json::from_str::<Code>("\"no_such_code\"").is_err());
    }
}
