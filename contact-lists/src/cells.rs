//! The text of one cell turned into the value a contact field holds: tags split, property
//! values typed, language and time zone checked. Each function only looks at its cell;
//! which column it came from and what to tell the marketer is [`crate::contact`]'s job.

use serde_json::{Number, Value};

/// Longest name, the same bound the contacts API applies.
pub const NAME_MAX_CHARS: usize = 200;
/// Longest property value: properties are facts used in messages, not documents.
pub const PROPERTY_VALUE_MAX_CHARS: usize = 1_000;

/// The tags in a Tags cell: split on `,`, `;` or `|`, trimmed, empty ones dropped.
pub(crate) fn tags(text: &str) -> impl Iterator<Item = &str> {
    text.split([',', ';', '|'])
        .map(str::trim)
        .filter(|tag| !tag.is_empty())
}

/// A property value: a number when the cell is a number written the way JSON writes it
/// (so `007`, `1.50` and `+3` stay text and nothing is lost), `true`/`false` as booleans,
/// text otherwise.
pub(crate) fn property_value(text: &str) -> Value {
    match text {
        "true" => return Value::Bool(true),
        "false" => return Value::Bool(false),
        _ => {}
    }
    let looks_numeric = text
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'.'))
        && text.bytes().any(|b| b.is_ascii_digit());
    if looks_numeric && let Some(number) = canonical_number(text) {
        return Value::Number(number);
    }
    Value::String(text.to_owned())
}

fn canonical_number(text: &str) -> Option<Number> {
    let number = if text.contains('.') {
        Number::from_f64(text.parse::<f64>().ok()?)?
    } else if let Ok(integer) = text.parse::<i64>() {
        Number::from(integer)
    } else {
        Number::from(text.parse::<u64>().ok()?)
    };
    (number.to_string() == text).then_some(number)
}

/// How an export writes a property value back into a cell.
pub(crate) fn property_cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// A language code as WhatsApp templates name them (`pt_BR`, `en`, `es_419`), from
/// `pt-BR`, `pt_br`, `EN`…
pub(crate) fn locale(text: &str) -> Option<String> {
    let (language, region) = match text.split_once(['_', '-']) {
        Some((language, region)) => (language, Some(region)),
        None => (text, None),
    };
    let language_ok =
        (2..=3).contains(&language.len()) && language.bytes().all(|b| b.is_ascii_alphabetic());
    let region_ok = region.is_none_or(|region| {
        (region.len() == 2 && region.bytes().all(|b| b.is_ascii_alphabetic()))
            || (region.len() == 3 && region.bytes().all(|b| b.is_ascii_digit()))
    });
    if !(language_ok && region_ok) {
        return None;
    }
    let language = language.to_ascii_lowercase();
    Some(match region {
        Some(region) => format!("{language}_{}", region.to_ascii_uppercase()),
        None => language,
    })
}

/// Whether `text` has the shape of an IANA time zone name: `UTC`, or `Area/City` with
/// optional further parts (`America/Argentina/Buenos_Aires`, `Etc/GMT+3`). Loose on
/// purpose: the list of zones changes, and the runtime checks the name when it uses it.
pub(crate) fn is_timezone(text: &str) -> bool {
    if text == "UTC" {
        return true;
    }
    let mut parts = text.split('/');
    let area = parts.next().unwrap_or_default();
    let rest: Vec<&str> = parts.collect();
    let area_ok = !area.is_empty()
        && area.starts_with(|c: char| c.is_ascii_uppercase())
        && area.bytes().all(|b| b.is_ascii_alphabetic() || b == b'_');
    let rest_ok = (1..=2).contains(&rest.len())
        && rest.iter().all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'+'))
        });
    area_ok && rest_ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tags_split_on_any_separator() {
        assert_eq!(
            tags(" vip, black friday;;newsletter | br ").collect::<Vec<_>>(),
            ["vip", "black friday", "newsletter", "br"]
        );
        assert_eq!(tags(" ; , ").count(), 0);
    }

    #[test]
    fn property_values_keep_what_was_written() {
        assert_eq!(property_value("42"), json!(42));
        assert_eq!(property_value("-7"), json!(-7));
        assert_eq!(property_value("19.9"), json!(19.9));
        assert_eq!(
            property_value("18446744073709551615"),
            json!(18_446_744_073_709_551_615u64)
        );
        assert_eq!(property_value("true"), json!(true));
        assert_eq!(property_value("false"), json!(false));
        for text in [
            "007",
            "1.50",
            "+3",
            "1e5",
            "1.",
            "-",
            "TRUE",
            "12 345",
            "99999999999999999999",
        ] {
            assert_eq!(property_value(text), json!(text), "{text}");
        }
    }

    #[test]
    fn property_cells_write_values_back() {
        assert_eq!(property_cell(&json!(19.9)), "19.9");
        assert_eq!(property_cell(&json!("a, \"b\"")), "a, \"b\"");
        assert_eq!(property_cell(&json!(null)), "");
        assert_eq!(property_cell(&json!(["a", 1])), r#"["a",1]"#);
    }

    #[test]
    fn locales_take_the_whatsapp_form() {
        assert_eq!(locale("pt-BR").as_deref(), Some("pt_BR"));
        assert_eq!(locale("pt_br").as_deref(), Some("pt_BR"));
        assert_eq!(locale("EN").as_deref(), Some("en"));
        assert_eq!(locale("es-419").as_deref(), Some("es_419"));
        for text in ["Portuguese", "p", "pt-BRA", "pt_", "pt-B1", "pt_BR_x"] {
            assert_eq!(locale(text), None, "{text}");
        }
    }

    #[test]
    fn timezones_are_checked_by_shape() {
        for zone in [
            "UTC",
            "America/Sao_Paulo",
            "America/Argentina/Buenos_Aires",
            "Etc/GMT+3",
        ] {
            assert!(is_timezone(zone), "{zone}");
        }
        for text in [
            "GMT-3",
            "utc",
            "Lisbon",
            "Europe/",
            "/Lisbon",
            "Europe/Lisbon time",
            "a/b/c/d",
        ] {
            assert!(!is_timezone(text), "{text}");
        }
    }
}
