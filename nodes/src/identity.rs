//! Who a contact is: a phone number in E.164, WhatsApp's business-scoped user id (BSUID), or
//! both. One parser decides whether two inputs name the same person, so that starting
//! journeys, webhooks, the simulator, the contacts API and erasure all agree on it.
//!
//! These types live here, not in `spool-flows`, because the flow language never names a
//! contact: the lowest users are node behaviours (`is_phone`, a reply expected to be a phone
//! number) and the messages and contacts of [`crate::model`]. Pure values, no I/O.

use std::fmt;

use serde::{Deserialize, Serialize};

/// E.164 allows at most 15 digits, country code included.
const MAX_DIGITS: usize = 15;
/// The shortest numbers in use internationally have a 1–3 digit country code and a short
/// subscriber number; fewer than 8 digits is, in practice, a typo or a local number.
const MIN_DIGITS: usize = 8;
/// BSUIDs seen so far are about 20 characters after the country; a generous bound keeps a
/// hostile payload from becoming a key.
const MAX_BSUID_LEN: usize = 128;

/// A phone number in E.164: a country code and a subscriber number, at most 15 digits.
/// Displayed as `+` and the digits; [`Phone::digits`] is WhatsApp's `wa_id` for it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Phone(String);

/// Why a text is not a phone number Spool can use.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("it is empty")]
    Empty,
    #[error("it contains `{0}`, and a phone number has only digits (and + - . ( ) or spaces)")]
    Character(char),
    #[error("it has a + in the middle")]
    PlusInside,
    #[error("it has no country code (it starts with a single 0, like a number dialled at home)")]
    NoCountryCode,
    #[error("a country code never starts with 0")]
    CountryCodeZero,
    #[error("it has {0} digits, and an international number has 8 to 15")]
    Length(usize),
}

impl Phone {
    /// Reads a number as people and systems write it: `+49 151 1234-5678`,
    /// `0049 (151) 12345678`, `4915112345678` (WhatsApp's `wa_id`, the digits without `+`).
    /// Spaces, dashes, dots and parentheses are dropped and a leading `00` reads as `+`. A
    /// number dialled at home (a single leading `0`) is refused rather than guessed.
    pub fn parse(text: &str) -> Result<Self, PhoneError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(PhoneError::Empty);
        }
        let mut cleaned = String::with_capacity(text.len());
        for c in text.chars() {
            match c {
                ' ' | '-' | '.' | '(' | ')' | '\u{a0}' => {}
                '+' if cleaned.is_empty() => cleaned.push(c),
                '+' => return Err(PhoneError::PlusInside),
                '0'..='9' => cleaned.push(c),
                other => return Err(PhoneError::Character(other)),
            }
        }
        let digits = if let Some(rest) = cleaned.strip_prefix('+') {
            rest
        } else if let Some(rest) = cleaned.strip_prefix("00") {
            rest
        } else if cleaned.starts_with('0') {
            return Err(PhoneError::NoCountryCode);
        } else {
            &cleaned
        };
        if digits.starts_with('0') {
            return Err(PhoneError::CountryCodeZero);
        }
        if !(MIN_DIGITS..=MAX_DIGITS).contains(&digits.len()) {
            return Err(PhoneError::Length(digits.len()));
        }
        Ok(Self(digits.to_owned()))
    }

    /// The digits without `+`: WhatsApp's `wa_id`, and how contacts keep their number.
    pub fn digits(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "+{}", self.0)
    }
}

impl std::str::FromStr for Phone {
    type Err = PhoneError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

/// WhatsApp's business-scoped user id: two capital letters (a country), a dot, and letters
/// and digits, e.g. `US.13491208655302741918`. Kept exactly as received.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Bsuid(String);

/// Why a text is not a BSUID.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{given}` is not a WhatsApp user id: one is two capital letters, a dot, then letters and digits (e.g. US.13491208655302741918)"
)]
pub struct BsuidError {
    given: String,
}

impl Bsuid {
    pub fn parse(text: &str) -> Result<Self, BsuidError> {
        let valid = text.len() <= MAX_BSUID_LEN
            && text.split_once('.').is_some_and(|(country, id)| {
                country.len() == 2
                    && country.bytes().all(|byte| byte.is_ascii_uppercase())
                    && !id.is_empty()
                    && id.bytes().all(|byte| byte.is_ascii_alphanumeric())
            });
        if valid {
            Ok(Self(text.to_owned()))
        } else {
            Err(BsuidError {
                given: text.chars().take(40).collect(),
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Bsuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Bsuid {
    type Error = BsuidError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl From<Bsuid> for String {
    fn from(bsuid: Bsuid) -> Self {
        bsuid.0
    }
}

/// Why a message or a request names no contact Spool can use.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    #[error("`{given}` is not a phone number Spool can use: {reason}")]
    Phone { given: String, reason: PhoneError },
    #[error(transparent)]
    Bsuid(#[from] BsuidError),
    #[error("it names no contact: neither a phone number nor a WhatsApp user id")]
    Missing,
}

/// Who a contact is, as far as a message or a request tells: a number, a BSUID, or both.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ContactIdentity {
    Phone(Phone),
    Bsuid(Bsuid),
    Both { phone: Phone, bsuid: Bsuid },
}

/// The local contact id (before its workspace scope) of a contact first seen by this
/// identifier: a `wa_id`'s digits or a BSUID, after the channel's prefix.
pub fn contact_key(identifier: &str) -> String {
    format!("wa:{identifier}")
}

impl ContactIdentity {
    /// The identity of whatever of the two is known; `None` when neither is.
    pub fn new(phone: Option<Phone>, bsuid: Option<Bsuid>) -> Option<Self> {
        match (phone, bsuid) {
            (Some(phone), Some(bsuid)) => Some(Self::Both { phone, bsuid }),
            (Some(phone), None) => Some(Self::Phone(phone)),
            (None, Some(bsuid)) => Some(Self::Bsuid(bsuid)),
            (None, None) => None,
        }
    }

    /// A sender as WhatsApp names one: `from` (the number's digits, or `""` for a user who
    /// shows only a username) and the BSUID.
    pub fn of_sender(from: &str, bsuid: Option<&Bsuid>) -> Result<Self, IdentityError> {
        let phone = if from.trim().is_empty() {
            None
        } else {
            Some(Phone::parse(from).map_err(|reason| IdentityError::Phone {
                given: from.to_owned(),
                reason,
            })?)
        };
        Self::new(phone, bsuid.cloned()).ok_or(IdentityError::Missing)
    }

    pub fn phone(&self) -> Option<&Phone> {
        match self {
            Self::Phone(phone) | Self::Both { phone, .. } => Some(phone),
            Self::Bsuid(_) => None,
        }
    }

    pub fn bsuid(&self) -> Option<&Bsuid> {
        match self {
            Self::Bsuid(bsuid) | Self::Both { bsuid, .. } => Some(bsuid),
            Self::Phone(_) => None,
        }
    }

    /// The local id a contact first seen with this identity gets: from the number when there
    /// is one, so that contacts Spool met by number before BSUIDs existed keep their id.
    pub fn first_key(&self) -> String {
        match self {
            Self::Phone(phone) | Self::Both { phone, .. } => contact_key(phone.digits()),
            Self::Bsuid(bsuid) => contact_key(bsuid.as_str()),
        }
    }

    /// Each identifier's key, the BSUID first: WhatsApp advises keying contacts by BSUID
    /// first and number second, so a BSUID's link wins when the two disagree.
    pub fn keys(&self) -> Vec<String> {
        let bsuid = self.bsuid().map(|bsuid| contact_key(bsuid.as_str()));
        let phone = self.phone().map(|phone| contact_key(phone.digits()));
        bsuid.into_iter().chain(phone).collect()
    }
}

impl From<Phone> for ContactIdentity {
    fn from(phone: Phone) -> Self {
        Self::Phone(phone)
    }
}

impl From<Bsuid> for ContactIdentity {
    fn from(bsuid: Bsuid) -> Self {
        Self::Bsuid(bsuid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_are_read_as_people_and_systems_write_them() {
        use PhoneError::*;
        let table: &[(&str, Result<&str, PhoneError>)] = &[
            ("+49 151 1234-5678", Ok("4915112345678")),
            ("0049 (151) 12345678", Ok("4915112345678")),
            ("4915112345678", Ok("4915112345678")),
            ("+55.11.98765.4321", Ok("5511987654321")),
            ("+55 (11) 98765-4321", Ok("5511987654321")),
            ("  +351 912 345 678 ", Ok("351912345678")),
            ("+44\u{a0}20 7946 0958", Ok("442079460958")),
            ("0044 20 7946 0958", Ok("442079460958")),
            ("+12345678", Ok("12345678")),
            ("+123456789012345", Ok("123456789012345")),
            ("", Err(Empty)),
            ("   ", Err(Empty)),
            ("015112345678", Err(NoCountryCode)),
            ("+49 151 CALL ME", Err(Character('C'))),
            ("call me", Err(Character('c'))),
            ("+49/151/12345678", Err(Character('/'))),
            ("+1234567", Err(Length(7))),
            ("+1234567890123456", Err(Length(16))),
            ("00", Err(Length(0))),
            ("+0151234567", Err(CountryCodeZero)),
            ("000151234567", Err(CountryCodeZero)),
            ("+49+151234567", Err(PlusInside)),
            ("49+151234567", Err(PlusInside)),
        ];
        for (given, expected) in table {
            let parsed = Phone::parse(given);
            assert_eq!(
                parsed.as_ref().map(Phone::digits).map_err(Clone::clone),
                expected.clone(),
                "{given:?}"
            );
        }
    }

    #[test]
    fn a_phone_shows_as_plus_and_digits_and_reads_back_the_same() {
        let phone = Phone::parse("0049 151 1234 5678").expect("a number");
        assert_eq!(phone.to_string(), "+4915112345678");
        assert_eq!(Phone::parse(&phone.to_string()), Ok(phone.clone()));
        assert_eq!(Phone::parse(phone.digits()), Ok(phone));
    }

    #[test]
    fn errors_say_why_in_words() {
        let err = Phone::parse("015112345678").expect_err("national");
        assert!(err.to_string().contains("no country code"), "{err}");
        let err = Phone::parse("+1234567").expect_err("short");
        assert_eq!(
            err.to_string(),
            "it has 7 digits, and an international number has 8 to 15"
        );
    }

    #[test]
    fn bsuids_are_a_country_a_dot_and_letters_and_digits() {
        for good in [
            "US.13491208655302741918",
            "BR.13491208655302741918",
            "DE.a1B2",
        ] {
            assert_eq!(Bsuid::parse(good).map(|b| b.to_string()), Ok(good.into()));
        }
        let too_long = format!("US.{}", "1".repeat(200));
        for bad in [
            "",
            "13491208655302741918",
            "us.134912",
            "USA.134912",
            "US.",
            "US.1349-1208",
            "US.13 49",
            "+4915112345678",
            too_long.as_str(),
        ] {
            assert!(Bsuid::parse(bad).is_err(), "{bad:?}");
        }
        let from_json: Result<Bsuid, _> = serde_json::from_str("\"US.x\"");
        assert!(from_json.is_ok());
        let refused: Result<Bsuid, _> = serde_json::from_str("\"4915112345678\"");
        assert!(refused.is_err());
    }

    #[test]
    fn an_identity_is_a_number_a_bsuid_or_both() {
        let bsuid = Bsuid::parse("BR.13491208655302741918").expect("bsuid");
        let both = ContactIdentity::of_sender("5511987654321", Some(&bsuid)).expect("both");
        assert_eq!(both.first_key(), "wa:5511987654321");
        assert_eq!(
            both.keys(),
            ["wa:BR.13491208655302741918", "wa:5511987654321"]
        );
        let only_bsuid = ContactIdentity::of_sender("", Some(&bsuid)).expect("bsuid only");
        assert_eq!(only_bsuid.first_key(), "wa:BR.13491208655302741918");
        assert_eq!(only_bsuid.phone(), None);
        let only_phone = ContactIdentity::of_sender("+55 11 98765 4321", None).expect("phone");
        assert_eq!(only_phone.keys(), ["wa:5511987654321"]);
        assert_eq!(
            ContactIdentity::of_sender(" ", None),
            Err(IdentityError::Missing)
        );
        assert!(matches!(
            ContactIdentity::of_sender("0151", Some(&bsuid)),
            Err(IdentityError::Phone { .. })
        ));
    }
}
