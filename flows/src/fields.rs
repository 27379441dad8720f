//! The keys of a node's compiled expressions and templates: where each sits in the node's
//! config, e.g. `config.text` or `config.save.order_id`.
//!
//! Validation stores what it compiles under these keys and node behaviours look it up under
//! the same ones, so both sides name a field through this module: a misspelt key does not
//! compile, instead of failing a run with `internal`. A key is also the `field` of the
//! diagnostics about that text.

use std::borrow::Cow;
use std::fmt;

/// Where a compiled expression or template sits in a node's config.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Field(Cow<'static, str>);

impl Field {
    const fn fixed(path: &'static str) -> Self {
        Self(Cow::Borrowed(path))
    }

    fn built(path: String) -> Self {
        Self(Cow::Owned(path))
    }

    /// The path, as diagnostics show it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

// ---------------------------------------------------------------- triggers

/// webhook: picks the contact's phone number out of the body.
pub const CONTACT: Field = Field::fixed("config.contact");
/// broadcast: the filter over `contact`.
pub const SEGMENT: Field = Field::fixed("config.segment");

// ---------------------------------------------------------------- logic

/// condition: the expression deciding `true` or `false`.
pub const EXPRESSION: Field = Field::fixed("config.expression");

/// switch: the `when` of the case at `index`.
pub fn case_when(index: usize) -> Field {
    Field::built(format!("config.cases[{index}].when"))
}

/// set: the value of the assignment at `index`, when it is an expression.
pub fn assignment_value(index: usize) -> Field {
    Field::built(format!("config.assignments[{index}].value"))
}

/// delay: the time to wait until.
pub const UNTIL: Field = Field::fixed("config.until");
/// wait_for_reply: the further check on the reply.
pub const VALIDATION: Field = Field::fixed("config.validation");
/// wait_for_reply: what is sent when the answer is not valid.
pub const RETRY_MESSAGE: Field = Field::fixed("config.retry_message");

// ---------------------------------------------------------------- messaging

/// send_text, send_buttons, send_list: the message's text.
pub const TEXT: Field = Field::fixed("config.text");
/// send_buttons, send_list: the header above the text.
pub const HEADER: Field = Field::fixed("config.header");
/// send_buttons, send_list: the footer below the text.
pub const FOOTER: Field = Field::fixed("config.footer");
/// send_media: the file's link; http_request: the address called.
pub const URL: Field = Field::fixed("config.url");
/// send_media: the caption.
pub const CAPTION: Field = Field::fixed("config.caption");
/// send_media: the document's file name.
pub const FILENAME: Field = Field::fixed("config.filename");

/// send_template: the value of the header's placeholder at `index`.
pub fn template_header(index: usize) -> Field {
    Field::built(format!("config.header[{index}]"))
}

/// send_template: the value of the body's placeholder at `index`.
pub fn template_body(index: usize) -> Field {
    Field::built(format!("config.body[{index}]"))
}

/// send_template: the text appended to the URL of the link button at `index`.
pub fn template_button_text(index: usize) -> Field {
    Field::built(format!("config.buttons[{index}].text"))
}

// ---------------------------------------------------------------- contact

/// update_contact: the value of a property, when it is an expression.
pub fn property(name: &str) -> Field {
    Field::built(format!("config.properties.{name}"))
}

/// update_contact: the contact's new name.
pub const NAME: Field = Field::fixed("config.name");

/// update_contact: the contact's new locale.
pub const LOCALE: Field = Field::fixed("config.locale");

// ---------------------------------------------------------------- integration

/// http_request: the value of a header.
pub fn http_header(name: &str) -> Field {
    Field::built(format!("config.headers.{name}"))
}

/// http_request: the request body.
pub const BODY: Field = Field::fixed("config.body");

/// http_request: the expression over `response` whose value is saved in `vars.<name>`.
pub fn save(name: &str) -> Field {
    Field::built(format!("config.save.{name}"))
}

/// ai_agent: the instructions (system prompt).
pub const INSTRUCTIONS: Field = Field::fixed("config.instructions");

/// ai_agent: the address of the tool at `index`.
pub fn tool_url(index: usize) -> Field {
    Field::built(format!("config.tools[{index}].url"))
}

/// handoff: the note shown to the operator.
pub const NOTE: Field = Field::fixed("config.note");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_the_paths_diagnostics_name() {
        assert_eq!(TEXT.as_str(), "config.text");
        assert_eq!(case_when(2).as_str(), "config.cases[2].when");
        assert_eq!(
            http_header("x-api-key").as_str(),
            "config.headers.x-api-key"
        );
        assert_eq!(save("order").as_str(), "config.save.order");
        assert_eq!(tool_url(0).as_str(), "config.tools[0].url");
        assert_eq!(template_body(1).as_str(), "config.body[1]");
        // A key built at run time equals the same key written as a constant.
        assert_eq!(Field::built("config.text".to_owned()), TEXT);
    }
}
