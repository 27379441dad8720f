//! Numbers as people write them in spreadsheets, turned into E.164 digits. The rules:
//! a number with `+` or `00` carries its country code; a number without one is read in the
//! row's country (or the file's default); failing that, digits that form a valid number once
//! read as international (`351912345678`) are accepted, because spreadsheets often drop the
//! `+`. Anything that is not a valid number for its country is refused rather than guessed.

use phonenumber::country::Id;
use phonenumber::{Mode, PhoneNumber};

/// Why a cell did not give a number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PhoneProblem {
    Empty,
    /// Excel turned the number into `3.51912E+11`: the last digits are gone.
    Scientific,
    /// Local number, and no country to read it in.
    NoCountry,
    /// Not a valid number; `region` is the country it was read in, when it was read as local.
    Invalid {
        region: Option<Id>,
    },
}

/// The region for an ISO 3166 alpha-2 code in any case, when the numbering plan knows it.
pub(crate) fn region(code: &str) -> Option<Id> {
    let code = code.trim();
    if code.len() != 2 {
        return None;
    }
    code.to_ascii_uppercase().parse().ok()
}

/// The E.164 digits (no `+`) of the number in `text`, reading local numbers in `region`.
pub(crate) fn normalise(text: &str, region: Option<Id>) -> Result<String, PhoneProblem> {
    let text = text.trim();
    if text.is_empty() {
        return Err(PhoneProblem::Empty);
    }
    if is_scientific(text) {
        return Err(PhoneProblem::Scientific);
    }
    // Letters, `;` or `=` make the parser try extensions and RFC 3966 forms that no
    // spreadsheet cell means; refusing them keeps the parser on plain digits.
    let is_plain = text.chars().all(|c| {
        c.is_ascii_digit() || c.is_whitespace() || matches!(c, '+' | '-' | '(' | ')' | '.' | '/')
    });
    if !is_plain {
        return Err(PhoneProblem::Invalid { region: None });
    }
    if let Some(international) = international_form(text) {
        return valid_e164(phonenumber::parse(None, international))
            .ok_or(PhoneProblem::Invalid { region: None });
    }
    if let Some(region) = region
        && let Some(digits) = valid_e164(phonenumber::parse(Some(region), text))
    {
        return Ok(digits);
    }
    if let Some(digits) = valid_e164(phonenumber::parse(None, format!("+{text}"))) {
        return Ok(digits);
    }
    match region {
        Some(region) => Err(PhoneProblem::Invalid {
            region: Some(region),
        }),
        None => Err(PhoneProblem::NoCountry),
    }
}

/// `text` with a leading `00` (the international prefix in Europe and Latin America)
/// written as `+`, when it starts with either.
fn international_form(text: &str) -> Option<String> {
    if text.starts_with('+') {
        return Some(text.to_owned());
    }
    text.strip_prefix("00").map(|rest| format!("+{rest}"))
}

fn valid_e164(parsed: Result<PhoneNumber, phonenumber::ParseError>) -> Option<String> {
    let number = parsed.ok()?;
    if !phonenumber::is_valid(&number) {
        return None;
    }
    let e164 = number.format().mode(Mode::E164).to_string();
    Some(e164.trim_start_matches('+').to_owned())
}

/// `3.51912E+11`, `3,51912E+11` or `3.51912e11`: a number a spreadsheet displayed in
/// scientific notation and exported that way.
fn is_scientific(text: &str) -> bool {
    let Some((mantissa, exponent)) = text.split_once(['e', 'E']) else {
        return false;
    };
    let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
    let mantissa = mantissa.strip_prefix('+').unwrap_or(mantissa);
    let digits_and_one_separator = mantissa.chars().filter(|c| matches!(c, '.' | ',')).count() <= 1
        && mantissa
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | ','));
    !mantissa.is_empty()
        && digits_and_one_separator
        && !exponent.is_empty()
        && exponent.chars().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn read(text: &str, region: Option<&str>) -> Result<String, PhoneProblem> {
        normalise(text, region.and_then(super::region))
    }

    #[test]
    fn international_forms_need_no_country() {
        assert_eq!(read("+351 912 345 678", None), Ok("351912345678".into()));
        assert_eq!(read("00351912345678", None), Ok("351912345678".into()));
        assert_eq!(
            read("+55 (11) 91234-5678", Some("GB")),
            Ok("5511912345678".into())
        );
        assert_eq!(read("+1 (202) 555-0143", None), Ok("12025550143".into()));
    }

    #[test]
    fn local_forms_are_read_in_the_country() {
        assert_eq!(
            read("(11) 91234-5678", Some("BR")),
            Ok("5511912345678".into())
        );
        assert_eq!(read("07911 123456", Some("gb")), Ok("447911123456".into()));
        assert_eq!(read("912 345 678", Some("PT")), Ok("351912345678".into()));
        assert_eq!(read("(202) 555-0143", Some("US")), Ok("12025550143".into()));
    }

    #[test]
    fn digits_with_their_country_code_are_accepted_without_plus() {
        assert_eq!(read("351912345678", None), Ok("351912345678".into()));
        assert_eq!(read("351912345678", Some("BR")), Ok("351912345678".into()));
        assert_eq!(
            read("5511912345678", Some("BR")),
            Ok("5511912345678".into())
        );
    }

    #[test]
    fn local_numbers_without_a_country_are_refused() {
        assert_eq!(read("912 345 678", None), Err(PhoneProblem::NoCountry));
        assert_eq!(read("(11) 91234-5678", None), Err(PhoneProblem::NoCountry));
    }

    #[test]
    fn invalid_numbers_are_refused() {
        assert_eq!(
            read("12345", Some("PT")),
            Err(PhoneProblem::Invalid {
                region: Some(Id::PT)
            })
        );
        assert_eq!(
            read("+351 12", None),
            Err(PhoneProblem::Invalid { region: None })
        );
        assert_eq!(
            read("call me", Some("PT")),
            Err(PhoneProblem::Invalid { region: None })
        );
        assert_eq!(
            read("tel:+351912345678", None),
            Err(PhoneProblem::Invalid { region: None })
        );
        assert_eq!(read("  ", Some("PT")), Err(PhoneProblem::Empty));
    }

    #[test]
    fn scientific_notation_is_recognised() {
        assert_eq!(
            read("3.51912E+11", Some("PT")),
            Err(PhoneProblem::Scientific)
        );
        assert_eq!(read("5,51191E+12", None), Err(PhoneProblem::Scientific));
        assert_eq!(read("3e11", None), Err(PhoneProblem::Scientific));
        assert!(!is_scientific("E+11"));
        assert!(!is_scientific("3.5.1E+11"));
    }

    #[test]
    fn country_codes_are_alpha_2_in_any_case() {
        assert_eq!(region("br"), Some(Id::BR));
        assert_eq!(region(" PT "), Some(Id::PT));
        assert_eq!(region("BRA"), None);
        assert_eq!(region("ZZ"), None);
        assert_eq!(region("Brasil"), None);
    }

    proptest! {
        /// A phone cell can hold anything a spreadsheet lets a person type.
        #[test]
        fn no_cell_makes_normalising_panic(text in "\\PC{0,30}", country in "[A-Z]{2}") {
            let _ = normalise(&text, region(&country));
        }

        #[test]
        fn no_digit_soup_makes_normalising_panic(text in "[0-9 +()./-]{0,25}") {
            let _ = normalise(&text, Some(Id::BR));
            let _ = normalise(&text, None);
        }
    }
}
