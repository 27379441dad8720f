//! Small value types shared by node configs: durations, templates, expressions and inputs.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A length of time written the way people write it: `"90s"`, `"30m"`, `"1h 30m"`, `"2d"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(std::time::Duration);

impl Duration {
    pub const fn from_secs(secs: u64) -> Self {
        Self(std::time::Duration::from_secs(secs))
    }

    pub const fn as_secs(self) -> u64 {
        self.0.as_secs()
    }

    pub const fn get(self) -> std::time::Duration {
        self.0
    }
}

/// Written back in days, hours, minutes and seconds (`"91d"`, `"1h 30m"`), which
/// [`FromStr`](std::str::FromStr) reads again.
impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0.as_secs();
        let mut parts = Vec::with_capacity(4);
        for (unit, secs) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
            if rest >= secs {
                parts.push(format!("{}{unit}", rest / secs));
                rest %= secs;
            }
        }
        if parts.is_empty() {
            parts.push("0s".to_owned());
        }
        f.write_str(&parts.join(" "))
    }
}

impl std::str::FromStr for Duration {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let parsed = humantime::parse_duration(text.trim()).map_err(|err| {
            format!(
                "`{text}` is not a duration ({err}); write it like \"30m\", \"1h 30m\" or \"2d\""
            )
        })?;
        if parsed.is_zero() {
            return Err(format!(
                "`{text}` is zero; a duration must be longer than that"
            ));
        }
        // Whole seconds only: timers are scheduled at second resolution.
        Ok(Self(std::time::Duration::from_secs(
            parsed.as_secs().max(1),
        )))
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Cow::<str>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Duration {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "A duration such as \"90s\", \"30m\", \"1h 30m\" or \"2d\".",
            "x-widget": "duration",
            "examples": ["30m", "1h", "24h", "2d"]
        })
    }
}

/// Text shown to a contact, with `{{ expression }}` placeholders filled in at send time.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
#[schemars(
    description = "Text with {{ expression }} placeholders, e.g. \"Hi {{ contact.name }}\".",
    extend("x-widget" = "template")
)]
pub struct Template(pub String);

impl Template {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Template {
    fn from(text: &str) -> Self {
        Self(text.to_owned())
    }
}

/// A rhai expression evaluated against the run (`contact`, `vars`, `msg`, `payload`, `now`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
#[schemars(
    description = "A rhai expression, e.g. \"payload.cart.total > 50\".",
    extend("x-widget" = "expression")
)]
pub struct Expression(pub String);

impl Expression {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Expression {
    fn from(text: &str) -> Self {
        Self(text.to_owned())
    }
}

/// A config value that is either fixed when the flow is drawn, or computed when it runs.
///
/// Written `{"value": 10}` or `{"expr": "vars.score + 10"}`, so the editor never has to
/// guess whether a string is text or code.
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    Value(serde_json::Value),
    Expr(Expression),
}

#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct InputRepr {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    value: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expr: Option<Expression>,
}

impl Serialize for Input {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let repr = match self {
            Input::Value(value) => InputRepr {
                value: Some(value.clone()),
                expr: None,
            },
            Input::Expr(expr) => InputRepr {
                value: None,
                expr: Some(expr.clone()),
            },
        };
        repr.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Input {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // `{"value": null}` must stay a literal null, so look at the keys, not the values.
        let map = serde_json::Map::<String, serde_json::Value>::deserialize(deserializer)?;
        let has_value = map.contains_key("value");
        let repr: InputRepr = serde_json::from_value(serde_json::Value::Object(map))
            .map_err(serde::de::Error::custom)?;
        match (has_value, repr.expr) {
            (true, None) => Ok(Input::Value(repr.value.unwrap_or(serde_json::Value::Null))),
            (false, Some(expr)) => Ok(Input::Expr(expr)),
            (true, Some(_)) => Err(serde::de::Error::custom(
                "give either `value` or `expr`, not both",
            )),
            (false, None) => Err(serde::de::Error::custom(
                "give `value` (a fixed value) or `expr` (an expression)",
            )),
        }
    }
}

impl JsonSchema for Input {
    fn schema_name() -> Cow<'static, str> {
        "Input".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let expression = generator.subschema_for::<Expression>();
        json_schema!({
            "description": "A fixed value ({\"value\": ...}) or an expression ({\"expr\": \"...\"}).",
            "x-widget": "input",
            "oneOf": [
                { "type": "object", "properties": { "value": {} }, "required": ["value"], "additionalProperties": false },
                { "type": "object", "properties": { "expr": expression }, "required": ["expr"], "additionalProperties": false }
            ]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_people_write_them() {
        let parse = |text: &str| text.parse::<Duration>().map(Duration::as_secs);
        assert_eq!(parse("90s"), Ok(90));
        assert_eq!(parse("1h 30m"), Ok(5400));
        assert_eq!(parse("2d"), Ok(172_800));
        let written = |secs: u64| Duration::from_secs(secs).to_string();
        assert_eq!(written(91 * 86_400), "91d");
        assert_eq!(written(5_400), "1h 30m");
        assert_eq!(parse(&written(93_784)), Ok(93_784));
        assert!(parse("soon").is_err());
        assert!(parse("0s").is_err());
    }

    #[test]
    fn input_is_a_value_or_an_expression_never_both() {
        let value: Input = serde_json::from_str(r#"{"value": null}"#).expect("literal null");
        assert_eq!(value, Input::Value(serde_json::Value::Null));
        let expr: Input = serde_json::from_str(r#"{"expr": "vars.a + 1"}"#).expect("expr");
        assert_eq!(expr, Input::Expr("vars.a + 1".into()));
        assert!(serde_json::from_str::<Input>(r#"{"value": 1, "expr": "2"}"#).is_err());
        assert!(serde_json::from_str::<Input>(r#"{}"#).is_err());
        assert!(serde_json::from_str::<Input>(r#"{"valeu": 1}"#).is_err());
    }
}
