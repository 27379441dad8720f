//! A WhatsApp Business Account's message templates as Meta lists them
//! (`GET /{waba}/message_templates`), with the parameters each part expects, so a flow's
//! template node can be checked before a send fails with 132000.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One template translation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Template {
    pub id: String,
    pub name: String,
    pub language: String,
    /// `APPROVED`, `PENDING`, `REJECTED`, `PAUSED`, …
    pub status: String,
    /// `MARKETING`, `UTILITY` or `AUTHENTICATION`, as Meta has it now.
    pub category: String,
    /// `POSITIONAL` (`{{1}}`) or `NAMED` (`{{first_name}}`), when Meta says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameter_format: Option<String>,
    /// The components exactly as Meta lists them.
    pub components: Value,
    /// The parameters each component takes, in the order of the components.
    pub parameters: Vec<TemplateParameters>,
}

/// The parameters one part of a template takes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateParameters {
    /// `header`, `body` or `button`.
    pub component: String,
    /// For a button: its position among the template's buttons (the send's `index`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    /// For a header: `TEXT`, `IMAGE`, `VIDEO`, `DOCUMENT` or `LOCATION`. A media header takes
    /// one media parameter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// How many values a send must give.
    pub count: usize,
    /// The names of named parameters, in order of first use; empty for positional ones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
}

impl Template {
    /// Reads one entry of Meta's listing; `None` when it lacks a name or language.
    pub fn from_listing(raw: &Value) -> Option<Self> {
        let text = |key: &str| raw.get(key).and_then(Value::as_str).map(str::to_owned);
        let components = raw
            .get("components")
            .cloned()
            .unwrap_or(Value::Array(Vec::new()));
        Some(Self {
            id: match raw.get("id") {
                Some(Value::Number(id)) => id.to_string(),
                Some(Value::String(id)) => id.clone(),
                _ => String::new(),
            },
            name: text("name")?,
            language: text("language")?,
            status: text("status").unwrap_or_default(),
            category: text("category").unwrap_or_default(),
            parameter_format: text("parameter_format"),
            parameters: parameters(&components),
            components,
        })
    }

    /// The parameters of the body, the part most sends fill.
    pub fn body_parameters(&self) -> usize {
        self.parameters
            .iter()
            .find(|part| part.component == "body")
            .map_or(0, |part| part.count)
    }
}

fn parameters(components: &Value) -> Vec<TemplateParameters> {
    let Some(components) = components.as_array() else {
        return Vec::new();
    };
    let mut parts = Vec::new();
    for component in components {
        let kind = component
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_ascii_lowercase();
        let text = component
            .get("text")
            .and_then(Value::as_str)
            .unwrap_or_default();
        match kind.as_str() {
            "header" => {
                let format = component
                    .get("format")
                    .and_then(Value::as_str)
                    .unwrap_or("TEXT")
                    .to_ascii_uppercase();
                let (count, names) = if format == "TEXT" {
                    placeholders(text)
                } else {
                    (1, Vec::new())
                };
                if count > 0 {
                    parts.push(TemplateParameters {
                        component: "header".into(),
                        index: None,
                        format: Some(format),
                        count,
                        names,
                    });
                }
            }
            "body" => {
                let (count, names) = placeholders(text);
                parts.push(TemplateParameters {
                    component: "body".into(),
                    index: None,
                    format: None,
                    count,
                    names,
                });
            }
            "buttons" => {
                let buttons = component.get("buttons").and_then(Value::as_array);
                for (index, button) in buttons.into_iter().flatten().enumerate() {
                    let kind = button
                        .get("type")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    // A URL button takes the suffix of a dynamic URL; other buttons take a
                    // value only at send time by choice (a quick reply's payload) or none.
                    let url = button
                        .get("url")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    let (count, names) = placeholders(url);
                    if kind.eq_ignore_ascii_case("URL") && count > 0 {
                        parts.push(TemplateParameters {
                            component: "button".into(),
                            index: Some(index),
                            format: None,
                            count,
                            names,
                        });
                    }
                }
            }
            _ => {}
        }
    }
    parts
}

/// The placeholders of a text: how many distinct ones, and the names of named ones.
/// `{{1}} and {{1}}` is one value; `{{first_name}}` is a named parameter.
fn placeholders(text: &str) -> (usize, Vec<String>) {
    let mut positional = Vec::new();
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let inner = after[..end].trim();
        let word =
            !inner.is_empty() && inner.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if word {
            let list = if inner.chars().all(|c| c.is_ascii_digit()) {
                &mut positional
            } else {
                &mut names
            };
            if !list.iter().any(|seen: &String| seen == inner) {
                list.push(inner.to_owned());
            }
        }
        rest = &after[end + 2..];
    }
    (positional.len() + names.len(), names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn placeholders_are_counted_once_each() {
        assert_eq!(
            placeholders("Hi {{1}}, order {{2}} ships {{ 2 }}"),
            (2, vec![])
        );
        assert_eq!(
            placeholders("Hi {{first_name}}, order {{order_id}} for {{first_name}}"),
            (2, vec!["first_name".into(), "order_id".into()])
        );
        assert_eq!(
            placeholders("No values, {{ not one }} {{}} {{1"),
            (0, vec![])
        );
    }

    #[test]
    fn a_listing_entry_says_what_each_part_takes() {
        let template = Template::from_listing(&json!({
            "name": "order_shipped", "language": "pt_BR", "status": "APPROVED",
            "category": "UTILITY", "id": "1234", "parameter_format": "POSITIONAL",
            "components": [
                { "type": "HEADER", "format": "IMAGE" },
                { "type": "BODY", "text": "Pedido {{1}} sai {{2}}." },
                { "type": "FOOTER", "text": "Loja" },
                { "type": "BUTTONS", "buttons": [
                    { "type": "QUICK_REPLY", "text": "Rastrear" },
                    { "type": "URL", "text": "Ver", "url": "https://ex.com/t/{{1}}" }
                ] }
            ]
        }))
        .expect("reads");
        assert_eq!(template.body_parameters(), 2);
        let summary: Vec<(&str, Option<usize>, usize)> = template
            .parameters
            .iter()
            .map(|part| (part.component.as_str(), part.index, part.count))
            .collect();
        assert_eq!(
            summary,
            [
                ("header", None, 1),
                ("body", None, 2),
                ("button", Some(1), 1)
            ]
        );
        assert_eq!(template.parameters[0].format.as_deref(), Some("IMAGE"));
        assert!(Template::from_listing(&json!({ "name": "x" })).is_none());
    }
}
