//! WhatsApp's limits on a message, checked on the values a run actually rendered, so a text
//! that grew past a limit is reported as a flow-design problem in words instead of a 400 from
//! Meta (`shared/whatsapp-cloud-api.md` §7.6). The flow validator checks the literal texts of
//! a flow with the same limits; expressions can only be checked here, at send time.
//!
//! Lengths count Unicode code points: Meta does not say what it counts, and code points never
//! count an emoji as two.

use std::collections::HashSet;

use spool_flows::whatsapp::{
    BUTTON_ID, BUTTON_TITLE, CAPTION, FOOTER, HEADER, INTERACTIVE_BODY, LIST_BUTTON,
    LIST_ROW_DESCRIPTION, LIST_ROW_ID, LIST_ROW_TITLE, LIST_ROWS, LIST_SECTION_TITLE,
    LIST_SECTIONS, MAX_BUTTONS, TEMPLATE_BUTTONS, TEMPLATE_NAME, TEXT_BODY,
};
use spool_nodes::{MediaKind, OutboundBody};

/// What in this message WhatsApp would refuse, one sentence each; empty when nothing.
pub fn problems(body: &OutboundBody) -> Vec<String> {
    let mut found = Problems::default();
    match body {
        OutboundBody::Text { text, .. } => found.text("the text", text, TEXT_BODY),
        OutboundBody::Media {
            kind, url, caption, ..
        } => {
            if url.trim().is_empty() {
                found.say(format!("the {kind} has no address or media id"));
            }
            if let Some(caption) = caption.as_deref().filter(|_| *kind != MediaKind::Audio) {
                found.at_most("the caption", caption, CAPTION);
            }
        }
        OutboundBody::Buttons {
            text,
            header,
            footer,
            buttons,
        } => {
            found.text("the message", text, INTERACTIVE_BODY);
            found.header_and_footer(header, footer);
            if buttons.is_empty() || buttons.len() > MAX_BUTTONS {
                found.say(format!(
                    "it has {} buttons, and WhatsApp takes 1 to {MAX_BUTTONS}",
                    buttons.len()
                ));
            }
            let mut titles = HashSet::new();
            let mut ids = HashSet::new();
            for (n, button) in buttons.iter().enumerate() {
                let which = format!("button {}", n + 1);
                found.text(
                    &format!("the title of {which}"),
                    &button.title,
                    BUTTON_TITLE,
                );
                found.text(&format!("the id of {which}"), &button.id, BUTTON_ID);
                if !titles.insert(button.title.as_str()) {
                    found.say(format!("{which} repeats the title `{}`", button.title));
                }
                if !ids.insert(button.id.as_str()) {
                    found.say(format!("{which} repeats the id `{}`", button.id));
                }
            }
        }
        OutboundBody::List {
            text,
            header,
            footer,
            button,
            sections,
        } => {
            found.text("the message", text, INTERACTIVE_BODY);
            found.header_and_footer(header, footer);
            found.text("the list's button label", button, LIST_BUTTON);
            if sections.is_empty() || sections.len() > LIST_SECTIONS {
                found.say(format!(
                    "it has {} sections, and WhatsApp takes 1 to {LIST_SECTIONS}",
                    sections.len()
                ));
            }
            let rows: usize = sections.iter().map(|section| section.rows.len()).sum();
            if rows == 0 || rows > LIST_ROWS {
                found.say(format!(
                    "it has {rows} rows, and WhatsApp takes 1 to {LIST_ROWS} across all sections"
                ));
            }
            let mut ids = HashSet::new();
            for (s, section) in sections.iter().enumerate() {
                found.at_most(
                    &format!("the title of section {}", s + 1),
                    &section.title,
                    LIST_SECTION_TITLE,
                );
                for (r, row) in section.rows.iter().enumerate() {
                    let which = format!("row {} of section {}", r + 1, s + 1);
                    found.text(&format!("the title of {which}"), &row.title, LIST_ROW_TITLE);
                    found.text(&format!("the id of {which}"), &row.id, LIST_ROW_ID);
                    if let Some(description) = &row.description {
                        found.at_most(
                            &format!("the description of {which}"),
                            description,
                            LIST_ROW_DESCRIPTION,
                        );
                    }
                    if !ids.insert(row.id.as_str()) {
                        found.say(format!("{which} repeats the id `{}`", row.id));
                    }
                }
            }
        }
        OutboundBody::Template {
            name,
            header,
            body,
            buttons,
            ..
        } => {
            found.text("the template name", name, TEMPLATE_NAME);
            for (part, values) in [("header", header), ("body", body)] {
                for (n, value) in values.iter().enumerate() {
                    if value.trim().is_empty() {
                        found.say(format!(
                            "{part} value {} of the template is empty, and WhatsApp refuses empty values",
                            n + 1
                        ));
                    }
                }
            }
            if buttons.len() > TEMPLATE_BUTTONS {
                found.say(format!(
                    "it gives {} button values, and a template has at most {TEMPLATE_BUTTONS} buttons",
                    buttons.len()
                ));
            }
            for button in buttons {
                if button.parameter.trim().is_empty() {
                    found.say(format!(
                        "the value of template button {} is empty, and WhatsApp refuses empty values",
                        button.index
                    ));
                }
            }
        }
    }
    found.0
}

#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn say(&mut self, problem: String) {
        self.0.push(problem);
    }

    /// A text that must be there and fit.
    fn text(&mut self, what: &str, text: &str, limit: usize) {
        if text.trim().is_empty() {
            self.say(format!("{what} is empty"));
        } else {
            self.at_most(what, text, limit);
        }
    }

    fn at_most(&mut self, what: &str, text: &str, limit: usize) {
        let length = text.chars().count();
        if length > limit {
            self.say(format!(
                "{what} is {length} characters long, and WhatsApp allows at most {limit}"
            ));
        }
    }

    fn header_and_footer(&mut self, header: &Option<String>, footer: &Option<String>) {
        if let Some(header) = header {
            self.at_most("the header", header, HEADER);
        }
        if let Some(footer) = footer {
            self.at_most("the footer", footer, FOOTER);
        }
    }
}

#[cfg(test)]
mod tests {
    use spool_nodes::{Choice, Section, TemplateButtonParameter, TemplateCategory};

    use super::*;

    fn choice(id: &str, title: &str) -> Choice {
        Choice {
            id: id.into(),
            title: title.into(),
            description: None,
        }
    }

    #[test]
    fn texts_are_measured_in_characters_not_bytes() {
        let fits = OutboundBody::Text {
            text: "\u{1F600}".repeat(TEXT_BODY),
            preview_url: false,
        };
        assert_eq!(problems(&fits), Vec::<String>::new());
        let long = OutboundBody::Text {
            text: "a".repeat(TEXT_BODY + 1),
            preview_url: false,
        };
        assert_eq!(
            problems(&long),
            ["the text is 4097 characters long, and WhatsApp allows at most 4096"]
        );
    }

    #[test]
    fn buttons_that_whatsapp_would_refuse_are_named() {
        let body = OutboundBody::Buttons {
            text: "Pick".into(),
            header: Some("h".repeat(61)),
            footer: None,
            buttons: vec![
                choice("a", "Same"),
                choice("b", "Same"),
                choice("c", "A title far too long for a button"),
                choice("d", "Four"),
            ],
        };
        assert_eq!(
            problems(&body),
            [
                "the header is 61 characters long, and WhatsApp allows at most 60",
                "it has 4 buttons, and WhatsApp takes 1 to 3",
                "button 2 repeats the title `Same`",
                "the title of button 3 is 33 characters long, and WhatsApp allows at most 20",
            ]
        );
    }

    #[test]
    fn lists_count_rows_across_sections() {
        let rows = |prefix: &str| {
            (0..6)
                .map(|n| choice(&format!("{prefix}{n}"), "Row"))
                .collect()
        };
        let body = OutboundBody::List {
            text: "Pick".into(),
            header: None,
            footer: None,
            button: "Options".into(),
            sections: vec![
                Section {
                    title: "One".into(),
                    rows: rows("a"),
                },
                Section {
                    title: "Two".into(),
                    rows: rows("b"),
                },
            ],
        };
        assert_eq!(
            problems(&body),
            ["it has 12 rows, and WhatsApp takes 1 to 10 across all sections"]
        );
    }

    #[test]
    fn empty_template_values_are_refused_before_meta_does() {
        let body = OutboundBody::Template {
            name: "order_shipped".into(),
            language: "en".into(),
            category: TemplateCategory::Utility,
            header: vec![],
            body: vec!["A-1042".into(), " ".into()],
            buttons: vec![TemplateButtonParameter {
                index: 0,
                sub_type: "url".into(),
                parameter: String::new(),
            }],
        };
        assert_eq!(
            problems(&body),
            [
                "body value 2 of the template is empty, and WhatsApp refuses empty values",
                "the value of template button 0 is empty, and WhatsApp refuses empty values",
            ]
        );
    }
}
