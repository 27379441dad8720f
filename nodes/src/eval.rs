//! Evaluating compiled expressions and templates against a run.
//!
//! One sandboxed engine per thread (sharing one engine across threads does not scale), with
//! the helpers a flow builder needs registered on top of `spool_flows::expr`'s sandbox.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::time::{Duration, Instant};

use rhai::{AST, Dynamic, Engine, EvalAltResult, ImmutableString, Scope};
use serde_json::Value;
use spool_flows::expr::{CompiledTemplate, TemplatePart, sandboxed_engine};

use crate::identity::Phone;
use crate::model::{Contact, Millis, SECOND};

/// Longest an expression may run, whatever its operation count.
const WALL_CLOCK_LIMIT: Duration = Duration::from_millis(100);

thread_local! {
    static ENGINE: Engine = build_engine();
    static STARTED: Cell<Option<Instant>> = const { Cell::new(None) };
    static REGEXES: RefCell<HashMap<String, Option<regex::Regex>>> = RefCell::new(HashMap::new());
}

/// Why an expression could not be evaluated; the run leaves through `error` or fails.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EvalError(pub String);

fn build_engine() -> Engine {
    let mut engine = sandboxed_engine();
    engine.on_progress(|operations| {
        // Checking the clock costs; every 4096 operations is often enough.
        if operations % 4096 == 0
            && STARTED
                .with(Cell::get)
                .is_some_and(|started| started.elapsed() > WALL_CLOCK_LIMIT)
        {
            return Some("the expression ran for too long".into());
        }
        None
    });
    engine
        .register_fn("lower", |text: &str| text.to_lowercase())
        .register_fn("upper", |text: &str| text.to_uppercase())
        .register_fn("trim", |text: &str| text.trim().to_owned())
        .register_fn("matches", regex_matches)
        .register_fn("is_number", |text: &str| parse_number(text).is_some())
        .register_fn("to_number", |text: &str| {
            parse_number(text).map_or(Dynamic::UNIT, Dynamic::from_float)
        })
        .register_fn("is_email", |text: &str| is_email(text))
        .register_fn("is_phone", |text: &str| Phone::parse(text).is_ok())
        .register_fn("minutes", |n: i64| n * 60)
        .register_fn("hours", |n: i64| n * 3_600)
        .register_fn("days", |n: i64| n * 86_400)
        .register_fn("parse_date", parse_date)
        .register_fn("format_date", format_date)
        .register_fn("len", |text: &str| text.chars().count() as i64);
    engine
}

fn regex_matches(text: &str, pattern: &str) -> Result<bool, Box<EvalAltResult>> {
    REGEXES.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.len() > 256 {
            cache.clear();
        }
        let compiled = cache
            .entry(pattern.to_owned())
            .or_insert_with(|| regex::Regex::new(pattern).ok());
        match compiled {
            Some(regex) => Ok(regex.is_match(text)),
            None => Err(format!("`{pattern}` is not a valid pattern").into()),
        }
    })
}

/// Whether `text` matches the regular expression `pattern`; an invalid pattern matches
/// nothing (validation already refused it in flows).
pub fn matches_pattern(text: &str, pattern: &str) -> bool {
    regex_matches(text, pattern).unwrap_or(false)
}

/// Reads "42", "3.5", "1,5" and "R$ 1.200,50"-free forms a person types for a number.
pub fn parse_number(text: &str) -> Option<f64> {
    let cleaned: String = text.trim().chars().filter(|c| !c.is_whitespace()).collect();
    cleaned
        .parse::<f64>()
        .ok()
        .or_else(|| cleaned.replace(',', ".").parse().ok())
        .filter(|n: &f64| n.is_finite())
}

pub fn is_email(text: &str) -> bool {
    let text = text.trim();
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !text.contains(' ')
}

fn parse_date(text: &str) -> Result<i64, Box<EvalAltResult>> {
    chrono::DateTime::parse_from_rfc3339(text.trim())
        .map(|date| date.timestamp())
        .or_else(|_| {
            chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map(|date| {
                date.and_hms_opt(0, 0, 0)
                    .map_or(0, |at| at.and_utc().timestamp())
            })
        })
        .map_err(|_| {
            format!("`{text}` is not a date like 2026-12-01 or 2026-12-01T09:00:00Z").into()
        })
}

fn format_date(seconds: i64, format: &str) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .map(|date| date.format(format).to_string())
        .unwrap_or_default()
}

/// What expressions can read, converted once per event into one scope that every
/// evaluation of the event reuses (building a scope per expression deep-copied four maps).
#[derive(Debug)]
pub struct Inputs {
    scope: RefCell<Scope<'static>>,
}

impl Inputs {
    pub fn new(
        contact: &Contact,
        vars: &serde_json::Map<String, Value>,
        msg: &Value,
        payload: &Value,
        now: Millis,
    ) -> Self {
        let mut scope = Scope::new();
        // Plain variables, as at compile time (strict variables checked these names).
        scope.push_dynamic("contact", contact_view(contact));
        scope.push_dynamic("vars", vars_view(vars));
        scope.push_dynamic("msg", to_dynamic(msg));
        scope.push_dynamic("payload", to_dynamic(payload));
        scope.push("now", now / SECOND);
        Self {
            scope: RefCell::new(scope),
        }
    }

    /// Call after a step replaced the variables wholesale.
    pub fn set_vars(&mut self, vars: &serde_json::Map<String, Value>) {
        self.scope.get_mut().set_value("vars", vars_view(vars));
    }

    /// Call after a step set one variable.
    pub fn set_var(&mut self, name: &str, value: &Value) {
        let scope = self.scope.get_mut();
        if let Some(mut map) = scope
            .get_mut("vars")
            .and_then(|vars| vars.write_lock::<rhai::Map>())
        {
            map.insert(name.into(), to_dynamic(value));
            return;
        }
        let mut map = rhai::Map::new();
        map.insert(name.into(), to_dynamic(value));
        scope.set_value("vars", map);
    }

    pub fn set_contact(&mut self, contact: &Contact) {
        self.scope
            .get_mut()
            .set_value("contact", contact_view(contact));
    }

    pub fn eval(&self, ast: &AST) -> Result<Dynamic, EvalError> {
        self.eval_with(ast, &[])
    }

    /// Evaluates with extra names in scope (e.g. `response` for an HTTP answer).
    pub fn eval_with(&self, ast: &AST, extra: &[(&str, Dynamic)]) -> Result<Dynamic, EvalError> {
        let mut scope = self.scope.borrow_mut();
        let base = scope.len();
        for (name, value) in extra {
            scope.push_dynamic(name.to_string(), value.clone());
        }
        STARTED.with(|started| started.set(Some(Instant::now())));
        let result = ENGINE.with(|engine| engine.eval_ast_with_scope::<Dynamic>(&mut scope, ast));
        STARTED.with(|started| started.set(None));
        scope.rewind(base);
        result.map_err(|err| EvalError(describe(&err)))
    }

    pub fn eval_bool(&self, ast: &AST) -> Result<bool, EvalError> {
        let value = self.eval(ast)?;
        value
            .as_bool()
            .map_err(|kind| EvalError(format!("the condition gave {kind}, not true or false")))
    }

    pub fn eval_json(&self, ast: &AST) -> Result<Value, EvalError> {
        self.eval(ast).map(|value| to_json(&value))
    }

    pub fn render(&self, template: &CompiledTemplate) -> Result<String, EvalError> {
        let mut out = String::new();
        for part in &template.parts {
            match part {
                TemplatePart::Text(text) => out.push_str(text),
                TemplatePart::Expr(ast) => out.push_str(&display(&self.eval(ast)?)),
            }
        }
        Ok(out)
    }
}

fn describe(err: &EvalAltResult) -> String {
    match err {
        EvalAltResult::ErrorTooManyOperations(_) => "the expression took too many steps".to_owned(),
        EvalAltResult::ErrorTerminated(_, _) => "the expression ran for too long".to_owned(),
        EvalAltResult::ErrorDataTooLarge(what, _) => {
            format!("the expression built too large a value ({what})")
        }
        // Limits hit inside a function call are what the builder needs to hear about.
        EvalAltResult::ErrorInFunctionCall(_, _, inner, _) => describe(inner),
        other => other.to_string(),
    }
}

/// How a value reads inside text: strings as they are, nothing for unit, whole floats
/// without `.0`, anything else as JSON.
pub fn display(value: &Dynamic) -> String {
    if value.is_unit() {
        return String::new();
    }
    if let Some(text) = value.read_lock::<ImmutableString>() {
        return text.to_string();
    }
    if let Ok(number) = value.as_float() {
        return if number.fract() == 0.0 && number.abs() < 1e15 {
            format!("{}", number as i64)
        } else {
            format!("{number}")
        };
    }
    if value.is_map() || value.is_array() {
        return to_json(value).to_string();
    }
    value.to_string()
}

pub fn to_dynamic(value: &Value) -> Dynamic {
    rhai::serde::to_dynamic(value).unwrap_or(Dynamic::UNIT)
}

pub fn to_json(value: &Dynamic) -> Value {
    rhai::serde::from_dynamic::<Value>(value).unwrap_or(Value::Null)
}

fn vars_view(vars: &serde_json::Map<String, Value>) -> Dynamic {
    let map: rhai::Map = vars
        .iter()
        .map(|(name, value)| (name.as_str().into(), to_dynamic(value)))
        .collect();
    Dynamic::from_map(map)
}

fn contact_view(contact: &Contact) -> Dynamic {
    to_dynamic(&serde_json::json!({
        "id": contact.id,
        "phone": contact.phone,
        "name": contact.name.clone().unwrap_or_default(),
        "tags": contact.tags,
        "properties": contact.properties,
        "opt_ins": { "marketing": contact.opted_in() },
        "last_inbound_at": contact.last_inbound_at.map(|at| at / SECOND),
        "timezone": contact.timezone,
        "locale": contact.locale,
        "first_touch": contact.attribution.as_ref().map(|a| &a.first_touch),
        "last_touch": contact.attribution.as_ref().map(|a| &a.last_touch),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use spool_flows::expr::Compiler;

    fn inputs() -> Inputs {
        let mut contact = Contact::new("wa:5511", "5511");
        contact.tags.insert("vip".into());
        contact.name = Some("Ana".into());
        let vars = serde_json::json!({ "score": 40 })
            .as_object()
            .cloned()
            .unwrap_or_default();
        Inputs::new(
            &contact,
            &vars,
            &serde_json::json!({ "text": " 42 " }),
            &serde_json::json!({ "cart": { "total": 59.9 } }),
            1_700_000_000_000,
        )
    }

    fn eval(source: &str) -> Result<Dynamic, EvalError> {
        let ast = Compiler::new().expression(source, &[]).expect("compiles");
        inputs().eval(&ast)
    }

    #[test]
    fn expressions_read_contact_vars_msg_payload_and_now() {
        assert_eq!(
            eval("contact.tags.contains(\"vip\") && payload.cart.total > 50")
                .map(|d| d.as_bool().ok()),
            Ok(Some(true))
        );
        assert_eq!(
            eval("vars.score + 2").map(|d| d.as_int().ok()),
            Ok(Some(42))
        );
        assert_eq!(
            eval("to_number(msg.text)").map(|d| d.as_float().ok()),
            Ok(Some(42.0))
        );
        assert_eq!(
            eval("now - days(1)").map(|d| d.as_int().ok()),
            Ok(Some(1_700_000_000 - 86_400))
        );
        assert_eq!(
            eval("matches(\"ORDER-12\", \"^order-\\\\d+$\")").map(|d| d.as_bool().ok()),
            Ok(Some(false))
        );
        assert_eq!(
            eval("lower(\"ORDER-12\").contains(\"order\")").map(|d| d.as_bool().ok()),
            Ok(Some(true))
        );
    }

    #[test]
    fn templates_render_values_as_people_read_them() {
        let template = Compiler::new().template("Hi {{ contact.name }}, {{ payload.cart.total }} / {{ vars.score }}{{ vars.missing }}", &[]).expect("compiles");
        assert_eq!(
            inputs().render(&template),
            Ok("Hi Ana, 59.9 / 40".to_owned())
        );
    }

    #[test]
    fn a_runaway_expression_fails_with_a_reason() {
        // Four nested maps over 30 items: 810,000 items, over the size and operation limits.
        let items = format!("[{}]", vec!["1"; 30].join(","));
        let runaway = format!(
            "{items}.map(|a| {items}.map(|b| {items}.map(|c| {items}.map(|d| a + b + c + d))))"
        );
        let err = eval(&runaway).expect_err("stopped");
        assert!(err.0.starts_with("the expression"), "{err}");
    }

    #[test]
    fn numbers_phones_and_emails_are_read_leniently() {
        assert_eq!(parse_number("1,5"), Some(1.5));
        assert_eq!(parse_number("abc"), None);
        let is_phone = |text: &str| eval(&format!("is_phone({text:?})")).map(|d| d.as_bool().ok());
        assert_eq!(is_phone("+55 (11) 98765-4321"), Ok(Some(true)));
        assert_eq!(is_phone("call me"), Ok(Some(false)));
        assert!(is_email("ana@example.com"));
        assert!(!is_email("ana@example"));
    }
}
