//! What a column of the file means to Spool. The server shows these as the choices of a
//! drop-down per column and sends them back as JSON (`{"kind":"phone"}`,
//! `{"kind":"property","name":"city"}`).

use serde::{Deserialize, Serialize};

/// The meaning chosen for one column of the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Column {
    /// The WhatsApp number; exactly one column.
    Phone,
    /// The row's country as ISO 3166 alpha-2 (`BR`, `pt`), used to read local numbers.
    Country,
    /// The whole name.
    Name,
    /// Joined with [`Column::LastName`] by a space into the name.
    FirstName,
    LastName,
    /// Several tags in one cell, separated by `,`, `;` or `|`.
    Tags,
    /// A yes/no column: yes adds the tag `name`.
    Tag {
        name: String,
    },
    /// Any other fact about the contact, stored under `name`.
    Property {
        name: String,
    },
    /// Whether the contact agreed to receive marketing (yes/no).
    MarketingConsent,
    /// When that consent was given (RFC 3339 or `YYYY-MM-DD`).
    ConsentAt,
    /// The contact's language, like `pt_BR` or `en`.
    Locale,
    /// The contact's IANA time zone, like `America/Sao_Paulo`.
    Timezone,
    /// Not imported.
    Ignore,
}

impl Column {
    /// The choice's name as the mapping screen shows it, used in messages.
    pub fn label(&self) -> &'static str {
        match self {
            Column::Phone => "Phone",
            Column::Country => "Country",
            Column::Name => "Name",
            Column::FirstName => "First name",
            Column::LastName => "Last name",
            Column::Tags => "Tags",
            Column::Tag { .. } => "Tag",
            Column::Property { .. } => "Property",
            Column::MarketingConsent => "Marketing consent",
            Column::ConsentAt => "Consent date",
            Column::Locale => "Language",
            Column::Timezone => "Time zone",
            Column::Ignore => "Ignore",
        }
    }

    /// Whether a file may have this choice only once: every kind that fills one field of the
    /// contact. `Tag`, `Property` (checked by name) and `Ignore` may repeat.
    pub(crate) fn is_single(&self) -> bool {
        !matches!(
            self,
            Column::Tag { .. } | Column::Property { .. } | Column::Ignore
        )
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_tagged_json_by_kind() {
        let columns = vec![
            Column::Phone,
            Column::FirstName,
            Column::Property {
                name: "city".into(),
            },
            Column::Tag { name: "vip".into() },
            Column::MarketingConsent,
        ];
        let json = serde_json::to_string(&columns).unwrap();
        assert_eq!(
            json,
            r#"[{"kind":"phone"},{"kind":"first_name"},{"kind":"property","name":"city"},{"kind":"tag","name":"vip"},{"kind":"marketing_consent"}]"#
        );
        let back: Vec<Column> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, columns);
    }

    #[test]
    fn unknown_kinds_and_missing_names_are_refused() {
        assert!(serde_json::from_str::<Column>(r#"{"kind":"email"}"#).is_err());
        assert!(serde_json::from_str::<Column>(r#"{"kind":"property"}"#).is_err());
        assert!(serde_json::from_str::<Column>(r#"{"kind":"tag","name":"vip","x":1}"#).is_err());
    }
}
