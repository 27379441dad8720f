//! Yes/no cells, as marketers write them in English, Portuguese and Spanish, and the
//! marketing consent they state.

use serde::{Deserialize, Serialize};

/// Whether the contact agreed to receive marketing messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Consent {
    Given,
    Refused,
    /// No consent column, or an empty cell: the list says nothing, which for sending
    /// marketing means "no consent".
    NotStated,
}

/// A yes/no cell: `Some(true)` for yes, `Some(false)` for no, `None` when empty; `Err` when
/// the cell says something else.
pub(crate) fn yes_no(text: &str) -> Result<Option<bool>, ()> {
    let answer = text.trim().to_lowercase();
    match answer.as_str() {
        "" => Ok(None),
        "yes" | "y" | "true" | "1" | "sim" | "s" | "sí" | "si" | "x" | "opted in" | "opt-in"
        | "opt in" | "optin" | "verdadeiro" | "verdadero" | "subscribed" => Ok(Some(true)),
        "no" | "n" | "false" | "0" | "não" | "nao" | "opted out" | "opt-out" | "opt out"
        | "optout" | "falso" | "unsubscribed" => Ok(Some(false)),
        _ => Err(()),
    }
}

impl Consent {
    /// The consent a cell states; `Err` when it is neither yes, no nor empty.
    pub(crate) fn from_cell(text: &str) -> Result<Consent, ()> {
        Ok(match yes_no(text)? {
            Some(true) => Consent::Given,
            Some(false) => Consent::Refused,
            None => Consent::NotStated,
        })
    }

    /// How an export writes it: `yes`, `no` or an empty cell.
    pub(crate) fn as_cell(self) -> &'static str {
        match self {
            Consent::Given => "yes",
            Consent::Refused => "no",
            Consent::NotStated => "",
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn answers_in_three_languages() {
        for given in [
            "yes", "Y", "TRUE", "1", "Sim", "sí", "si", "opted in", "Opt-in", "x",
        ] {
            assert_eq!(Consent::from_cell(given), Ok(Consent::Given), "{given}");
        }
        for refused in ["no", "N", "false", "0", "não", "NAO", "opted out"] {
            assert_eq!(
                Consent::from_cell(refused),
                Ok(Consent::Refused),
                "{refused}"
            );
        }
        assert_eq!(Consent::from_cell("  "), Ok(Consent::NotStated));
        assert_eq!(Consent::from_cell("maybe"), Err(()));
        assert_eq!(Consent::from_cell("2"), Err(()));
    }

    #[test]
    fn consent_is_snake_case_json() {
        assert_eq!(
            serde_json::to_string(&[Consent::Given, Consent::Refused, Consent::NotStated]).unwrap(),
            r#"["given","refused","not_stated"]"#
        );
    }
}
