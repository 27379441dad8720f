//! Contacts written as a CSV file that Spool reads back unchanged: the fixed columns first,
//! then one column per property. Written with a UTF-8 byte-order mark, because without one
//! Excel shows "João" as "JoÃ£o"; [`crate::sniff`] removes it again.

use std::collections::HashSet;
use std::io::Write;

use serde_json::{Map, Value};

use crate::cells::property_cell;
use crate::consent::Consent;
use crate::contact::ListContact;
use crate::error::ListError;
use crate::guess::EXPORT_HEADERS;
use crate::mapping::PROPERTY_NAME_MAX_CHARS;
use crate::sniff::MAX_COLUMNS;

/// A contact to export; [`ListContact`] without its line.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportContact {
    /// E.164 digits without `+`.
    pub phone: String,
    pub name: Option<String>,
    pub tags: Vec<String>,
    pub properties: Map<String, Value>,
    pub marketing: Consent,
    pub consent_at: Option<String>,
    pub locale: Option<String>,
    pub timezone: Option<String>,
}

impl From<ListContact> for ExportContact {
    fn from(contact: ListContact) -> ExportContact {
        ExportContact {
            phone: contact.phone,
            name: contact.name,
            tags: contact.tags,
            properties: contact.properties,
            marketing: contact.marketing,
            consent_at: contact.consent_at,
            locale: contact.locale,
            timezone: contact.timezone,
        }
    }
}

/// Writes `contacts` with a header of [`EXPORT_HEADERS`] and then `property_names`, each
/// property in its own column (missing ones empty). Property names must be ones that
/// survive being read back as headers.
pub fn write<W: Write>(
    out: W,
    contacts: impl IntoIterator<Item = ExportContact>,
    property_names: &[String],
) -> Result<(), ListError> {
    check_property_names(property_names)?;
    let mut out = out;
    out.write_all(b"\xEF\xBB\xBF")
        .map_err(|error| ListError::Write(error.into()))?;
    let mut writer = csv::Writer::from_writer(out);
    let header = EXPORT_HEADERS
        .iter()
        .copied()
        .chain(property_names.iter().map(String::as_str));
    writer.write_record(header).map_err(ListError::Write)?;

    for contact in contacts {
        let fixed = [
            format!("+{}", contact.phone),
            contact.name.unwrap_or_default(),
            contact.tags.join(";"),
            contact.marketing.as_cell().to_owned(),
            contact.consent_at.unwrap_or_default(),
            contact.locale.unwrap_or_default(),
            contact.timezone.unwrap_or_default(),
        ];
        let properties = property_names.iter().map(|name| {
            contact
                .properties
                .get(name)
                .map(property_cell)
                .unwrap_or_default()
        });
        writer
            .write_record(fixed.into_iter().chain(properties))
            .map_err(ListError::Write)?;
    }
    writer
        .flush()
        .map_err(|error| ListError::Write(error.into()))
}

fn check_property_names(names: &[String]) -> Result<(), ListError> {
    let refuse = |name: &String, reason| {
        Err(ListError::ExportProperty {
            name: name.clone(),
            reason,
        })
    };
    let mut seen = HashSet::new();
    for name in names {
        if name.is_empty() || name.chars().count() > PROPERTY_NAME_MAX_CHARS {
            return refuse(name, "a property name is 1 to 64 characters");
        }
        if name.trim() != name {
            return refuse(name, "it starts or ends with a space");
        }
        if EXPORT_HEADERS.contains(&name.as_str()) {
            return refuse(name, "it has the name of one of the fixed columns");
        }
        if !seen.insert(name) {
            return refuse(name, "it is listed twice");
        }
    }
    if names.len() + EXPORT_HEADERS.len() > MAX_COLUMNS {
        return refuse(
            &names[0],
            "too many properties; at most 193 fit in one file",
        );
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn contact() -> ExportContact {
        ExportContact {
            phone: "351912345678".into(),
            name: Some("Ana, \"a Grande\"".into()),
            tags: vec!["vip".into(), "black friday".into()],
            properties: json!({"city": "Lisboa", "orders": 3, "ignored": "x"})
                .as_object()
                .cloned()
                .unwrap(),
            marketing: Consent::Given,
            consent_at: Some("2024-03-05T09:30:00Z".into()),
            locale: Some("pt_PT".into()),
            timezone: Some("Europe/Lisbon".into()),
        }
    }

    #[test]
    fn writes_fixed_columns_then_the_chosen_properties() {
        let mut out = Vec::new();
        let names = ["orders".to_owned(), "city".to_owned(), "plan".to_owned()];
        write(&mut out, [contact()], &names).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\u{feff}phone,name,tags,marketing_consent,consent_at,locale,timezone,orders,city,plan\n\
             +351912345678,\"Ana, \"\"a Grande\"\"\",vip;black friday,yes,2024-03-05T09:30:00Z,pt_PT,Europe/Lisbon,3,Lisboa,\n"
        );
    }

    #[test]
    fn property_names_that_would_not_read_back_are_refused() {
        for (name, message) in [
            (
                "phone",
                "the property \"phone\" cannot be exported: it has the name of one of the fixed columns",
            ),
            (
                " city",
                "the property \" city\" cannot be exported: it starts or ends with a space",
            ),
            (
                "",
                "the property \"\" cannot be exported: a property name is 1 to 64 characters",
            ),
        ] {
            let error = write(Vec::new(), [contact()], &[name.to_owned()]).unwrap_err();
            assert_eq!(error.to_string(), message);
        }
        let twice = ["city".to_owned(), "city".to_owned()];
        assert!(matches!(
            write(Vec::new(), [contact()], &twice),
            Err(ListError::ExportProperty {
                reason: "it is listed twice",
                ..
            })
        ));
    }
}
