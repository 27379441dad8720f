//! WhatsApp's limits on what a message may hold, in characters, and the checks of
//! interactive messages and templates against them.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;

use super::node::NodeCheck;
use crate::config::{SendButtons, SendList, SendTemplate, TemplateButton};
use crate::diagnostic::Code;
use crate::fields;
use crate::values::{Duration, Template};

pub const MAX_BUTTONS: usize = 3;
pub const BUTTON_TITLE: usize = 20;
pub const BUTTON_ID: usize = 256;
pub const TEXT_BODY: usize = 4096;
pub const INTERACTIVE_BODY: usize = 1024;
pub const HEADER: usize = 60;
pub const FOOTER: usize = 60;
pub const CAPTION: usize = 1024;
pub const LIST_BUTTON: usize = 20;
pub const LIST_ROWS: usize = 10;
pub const LIST_SECTIONS: usize = 10;
pub const LIST_SECTION_TITLE: usize = 24;
pub const LIST_ROW_TITLE: usize = 24;
pub const LIST_ROW_DESCRIPTION: usize = 72;
pub const LIST_ROW_ID: usize = 200;
pub const TEMPLATE_NAME: usize = 512;
pub const TEMPLATE_BUTTONS: usize = 10;

static TEMPLATE_NAME_PATTERN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-z0-9_]+$").expect("valid regex"));
static LANGUAGE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-z]{2,3}(_[A-Z]{2})?$").expect("valid regex"));

impl NodeCheck<'_> {
    /// What buttons and lists share: the text around the choices, where the choice is kept,
    /// and how long to wait for it.
    fn interactive(
        &mut self,
        text: &Template,
        header: Option<&Template>,
        footer: Option<&Template>,
        variable: Option<&str>,
        timeout: Duration,
    ) {
        self.template(fields::TEXT, text, Some(INTERACTIVE_BODY));
        self.optional_template(fields::HEADER, header, Some(HEADER));
        self.optional_template(fields::FOOTER, footer, Some(FOOTER));
        if let Some(variable) = variable {
            self.variable("config.variable", variable);
        }
        self.wait_length("config.timeout", timeout);
    }

    pub(super) fn buttons(&mut self, send: &SendButtons) {
        self.interactive(
            &send.text,
            send.header.as_ref(),
            send.footer.as_ref(),
            send.variable.as_deref(),
            send.timeout,
        );
        if send.buttons.is_empty() {
            self.error(
                Code::EmptyField,
                "config.buttons",
                "Add at least one button.",
            );
        }
        if send.buttons.len() > MAX_BUTTONS {
            self.error(
                Code::TooManyButtons,
                "config.buttons",
                format!(
                    "WhatsApp shows at most {} reply buttons; this message has {}. Use a list for more choices.",
                    MAX_BUTTONS,
                    send.buttons.len()
                ),
            );
        }
        let mut titles = BTreeSet::new();
        for (i, button) in send.buttons.iter().enumerate() {
            let field = format!("config.buttons[{i}].title");
            self.not_empty(&field, &button.title, "The button title");
            self.max_chars(
                &field,
                &button.title,
                BUTTON_TITLE,
                Code::ButtonTitleTooLong,
                "The button title",
            );
            if !titles.insert(button.title.as_str()) {
                self.error(
                    Code::DuplicateButtonTitle,
                    field,
                    format!(
                        "Two buttons are titled `{}`; WhatsApp needs them to differ.",
                        button.title
                    ),
                );
            }
            self.max_chars(
                &format!("config.buttons[{i}].id"),
                &button.id,
                BUTTON_ID,
                Code::TextTooLong,
                "The button id",
            );
        }
    }

    pub(super) fn list(&mut self, send: &SendList) {
        self.interactive(
            &send.text,
            send.header.as_ref(),
            send.footer.as_ref(),
            send.variable.as_deref(),
            send.timeout,
        );
        self.not_empty("config.button", &send.button, "The list button's label");
        self.max_chars(
            "config.button",
            &send.button,
            LIST_BUTTON,
            Code::ButtonTitleTooLong,
            "The list button's label",
        );
        let rows: usize = send.sections.iter().map(|section| section.rows.len()).sum();
        if rows == 0 {
            self.error(
                Code::EmptyField,
                "config.sections",
                "Add at least one row to the list.",
            );
        }
        if rows > LIST_ROWS {
            self.error(
                Code::TooManyListRows,
                "config.sections",
                format!(
                    "WhatsApp shows at most {} rows in a list; this one has {rows}.",
                    LIST_ROWS
                ),
            );
        }
        if send.sections.len() > LIST_SECTIONS {
            self.error(
                Code::TooManyListSections,
                "config.sections",
                format!(
                    "WhatsApp shows at most {} sections in a list; this one has {}.",
                    LIST_SECTIONS,
                    send.sections.len()
                ),
            );
        }
        for (s, section) in send.sections.iter().enumerate() {
            self.max_chars(
                &format!("config.sections[{s}].title"),
                &section.title,
                LIST_SECTION_TITLE,
                Code::TextTooLong,
                "The section title",
            );
            for (r, row) in section.rows.iter().enumerate() {
                let at = format!("config.sections[{s}].rows[{r}]");
                self.not_empty(&format!("{at}.title"), &row.title, "The row title");
                self.max_chars(
                    &format!("{at}.title"),
                    &row.title,
                    LIST_ROW_TITLE,
                    Code::TextTooLong,
                    "The row title",
                );
                self.max_chars(
                    &format!("{at}.id"),
                    &row.id,
                    LIST_ROW_ID,
                    Code::TextTooLong,
                    "The row id",
                );
                if let Some(description) = &row.description {
                    self.max_chars(
                        &format!("{at}.description"),
                        description,
                        LIST_ROW_DESCRIPTION,
                        Code::TextTooLong,
                        "The row description",
                    );
                }
            }
        }
    }

    pub(super) fn message_template(&mut self, send: &SendTemplate) {
        if send.name.is_empty()
            || send.name.len() > TEMPLATE_NAME
            || !TEMPLATE_NAME_PATTERN.is_match(&send.name)
        {
            self.error(
                Code::InvalidTemplateName,
                "config.name",
                format!("`{}` is not a template name: Meta's template names are lowercase letters, digits and _, e.g. `cart_reminder`.", send.name),
            );
        }
        if !LANGUAGE.is_match(&send.language) {
            self.error(
                Code::InvalidLanguage,
                "config.language",
                format!(
                    "`{}` is not a template language: write it like `en`, `en_US` or `pt_BR`.",
                    send.language
                ),
            );
        }
        for (i, value) in send.header.iter().enumerate() {
            self.template(fields::template_header(i), value, None);
        }
        for (i, value) in send.body.iter().enumerate() {
            self.template(fields::template_body(i), value, None);
        }
        if send.buttons.len() > TEMPLATE_BUTTONS {
            self.error(
                Code::TooManyButtons,
                "config.buttons",
                format!("A template has at most {} buttons.", TEMPLATE_BUTTONS),
            );
        }
        for (i, button) in send.buttons.iter().enumerate() {
            match button {
                TemplateButton::QuickReply { payload } => self.not_empty(
                    &format!("config.buttons[{i}].payload"),
                    payload,
                    "The button payload",
                ),
                TemplateButton::Url { text } => {
                    self.template(fields::template_button_text(i), text, None)
                }
            }
        }
    }
}
