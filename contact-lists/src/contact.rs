//! One row of the file turned into a contact, or into the reason it cannot be one, worded
//! for the marketer and naming the column as the file names it.

use std::fmt;

use phonenumber::country::Id;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::cells::{self, NAME_MAX_CHARS, PROPERTY_VALUE_MAX_CHARS};
use crate::column::Column;
use crate::consent::{Consent, yes_no};
use crate::error::ListError;
use crate::mapping::{Mapping, TAG_MAX_CHARS};
use crate::phone::{self, PhoneProblem};
use crate::timestamp;

/// A contact read from one row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ListContact {
    /// The row's line as the spreadsheet shows it (header = 1).
    pub line: u64,
    /// E.164 digits without `+`.
    pub phone: String,
    pub name: Option<String>,
    /// In the order they appear, each once.
    pub tags: Vec<String>,
    pub properties: Map<String, Value>,
    pub marketing: Consent,
    /// RFC 3339 UTC; only kept when `marketing` is [`Consent::Given`].
    pub consent_at: Option<String>,
    /// `pt_BR`, `en`…
    pub locale: Option<String>,
    /// IANA name.
    pub timezone: Option<String>,
}

/// Why a row was not imported: the first problem found in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    pub line: u64,
    /// The header of the column at fault, when one is.
    pub column: Option<String>,
    /// The cell as written, when one cell is at fault.
    pub value: Option<String>,
    /// A sentence for the marketer, without the line number.
    pub reason: String,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

/// A mapping resolved to column positions once, so that each row is a few lookups.
#[derive(Debug)]
pub(crate) struct Plan {
    headers: Vec<String>,
    phone: usize,
    country: Option<usize>,
    default_country: Option<Id>,
    name: Option<usize>,
    first_name: Option<usize>,
    last_name: Option<usize>,
    tags: Option<usize>,
    tag_columns: Vec<(usize, String)>,
    properties: Vec<(usize, String)>,
    consent: Option<usize>,
    consent_at: Option<usize>,
    locale: Option<usize>,
    timezone: Option<usize>,
}

impl Plan {
    /// The plan for a mapping that [`Mapping::validate`] accepts for `headers`.
    pub(crate) fn new(headers: &[String], mapping: &Mapping) -> Result<Plan, ListError> {
        mapping.validate(headers)?;
        let position = |wanted: &Column| mapping.columns.iter().position(|c| c == wanted);
        let named = |kind: fn(&Column) -> Option<&String>| -> Vec<(usize, String)> {
            mapping
                .columns
                .iter()
                .enumerate()
                .filter_map(|(index, column)| kind(column).map(|name| (index, name.clone())))
                .collect()
        };
        Ok(Plan {
            headers: headers.to_vec(),
            phone: position(&Column::Phone).ok_or(ListError::Mapping {
                problems: vec![crate::mapping::MappingProblem::NoPhone],
            })?,
            country: position(&Column::Country),
            default_country: mapping.default_country.as_deref().and_then(phone::region),
            name: position(&Column::Name),
            first_name: position(&Column::FirstName),
            last_name: position(&Column::LastName),
            tags: position(&Column::Tags),
            tag_columns: named(|column| match column {
                Column::Tag { name } => Some(name),
                _ => None,
            }),
            properties: named(|column| match column {
                Column::Property { name } => Some(name),
                _ => None,
            }),
            consent: position(&Column::MarketingConsent),
            consent_at: position(&Column::ConsentAt),
            locale: position(&Column::Locale),
            timezone: position(&Column::Timezone),
        })
    }

    pub(crate) fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The contact in `cells` (trimmed, one per header), or the first problem with it.
    pub(crate) fn contact(&self, line: u64, cells: &[&str]) -> Result<ListContact, Rejection> {
        let row = RowCells {
            line,
            cells,
            headers: &self.headers,
        };
        let region = row
            .parsed(self.country, phone::region, |code| {
                format!("\"{code}\" is not a two-letter country code like BR, PT or US")
            })?
            .or(self.default_country);
        let phone_text = row.text(self.phone);
        let phone = phone::normalise(phone_text, region)
            .map_err(|problem| row.reject(self.phone, self.phone_reason(phone_text, problem)))?;
        let name = self.name(&row)?;
        let tags = self.tags(&row)?;
        let properties = self.properties(&row)?;
        let marketing = match self.consent {
            Some(index) => Consent::from_cell(row.text(index))
                .map_err(|()| row.reject(index, not_yes_or_no(row.text(index))))?,
            None => Consent::NotStated,
        };
        let consent_at = row
            .parsed(self.consent_at, timestamp::to_utc, |text| {
                format!(
                    "\"{text}\" is not a date Spool can read; write it as 2024-03-05 or 2024-03-05T14:30:00Z"
                )
            })?
            .filter(|_| marketing == Consent::Given);
        let locale = row.parsed(self.locale, cells::locale, |text| {
            format!("\"{text}\" is not a language code like pt_BR, en_US or es")
        })?;
        let timezone = row.parsed(
            self.timezone,
            |text| cells::is_timezone(text).then(|| text.to_owned()),
            |text| {
                format!(
                    "\"{text}\" is not a time zone name like America/Sao_Paulo, Europe/Lisbon or UTC"
                )
            },
        )?;
        Ok(ListContact {
            line,
            phone,
            name,
            tags,
            properties,
            marketing,
            consent_at,
            locale,
            timezone,
        })
    }

    /// The Name cell, or else the first and last names joined by a space.
    fn name(&self, row: &RowCells<'_>) -> Result<Option<String>, Rejection> {
        let filled = |index: Option<usize>| row.filled(index).map(|(_, text)| text);
        let (name, column) = match filled(self.name) {
            Some(name) => (name.to_owned(), self.name),
            None => {
                let parts: Vec<&str> = [filled(self.first_name), filled(self.last_name)]
                    .into_iter()
                    .flatten()
                    .collect();
                (parts.join(" "), self.first_name.or(self.last_name))
            }
        };
        let length = name.chars().count();
        if length > NAME_MAX_CHARS {
            return Err(Rejection {
                line: row.line,
                column: column.and_then(|index| self.headers.get(index).cloned()),
                value: Some(name),
                reason: format!(
                    "the name is {length} characters long; at most {NAME_MAX_CHARS} fit"
                ),
            });
        }
        Ok(Some(name).filter(|name| !name.is_empty()))
    }

    /// The tags of the Tags cell, then those of the yes/no tag columns answered yes; each
    /// once, in that order.
    fn tags(&self, row: &RowCells<'_>) -> Result<Vec<String>, Rejection> {
        let mut tags: Vec<String> = Vec::new();
        let mut add = |tag: &str| {
            if !tags.iter().any(|known| known == tag) {
                tags.push(tag.to_owned());
            }
        };
        if let Some(index) = self.tags {
            for tag in cells::tags(row.text(index)) {
                let length = tag.chars().count();
                if length > TAG_MAX_CHARS {
                    return Err(row.reject(
                        index,
                        format!(
                            "the tag \"{tag}\" is {length} characters long; at most {TAG_MAX_CHARS} fit"
                        ),
                    ));
                }
                add(tag);
            }
        }
        for (index, tag) in &self.tag_columns {
            match yes_no(row.text(*index)) {
                Ok(Some(true)) => add(tag),
                Ok(_) => {}
                Err(()) => return Err(row.reject(*index, not_yes_or_no(row.text(*index)))),
            }
        }
        Ok(tags)
    }

    fn properties(&self, row: &RowCells<'_>) -> Result<Map<String, Value>, Rejection> {
        let mut properties = Map::new();
        for (index, name) in &self.properties {
            let text = row.text(*index);
            let length = text.chars().count();
            if length > PROPERTY_VALUE_MAX_CHARS {
                return Err(row.reject(
                    *index,
                    format!(
                        "the value is {length} characters long; at most {PROPERTY_VALUE_MAX_CHARS} fit"
                    ),
                ));
            }
            if !text.is_empty() {
                properties.insert(name.clone(), cells::property_value(text));
            }
        }
        Ok(properties)
    }

    fn phone_reason(&self, text: &str, problem: PhoneProblem) -> String {
        match problem {
            PhoneProblem::Empty => "the phone number is empty".to_owned(),
            PhoneProblem::Scientific => format!(
                "{text} is a number the spreadsheet shortened into scientific notation, so its last digits are lost; format the phone column as Text, fix the numbers and export again"
            ),
            PhoneProblem::NoCountry if self.country.is_some() => format!(
                "{text} has no country code and its Country cell is empty; fill it in or choose a default country"
            ),
            PhoneProblem::NoCountry => format!(
                "{text} has no country code and the file has no country; add a Country column or choose a default country"
            ),
            PhoneProblem::Invalid {
                region: Some(region),
            } => format!("{text} is not a valid phone number in {}", region.as_ref()),
            PhoneProblem::Invalid { region: None } => {
                format!("{text} is not a valid phone number")
            }
        }
    }
}

/// One row's cells and how to turn one of them down.
struct RowCells<'a> {
    line: u64,
    cells: &'a [&'a str],
    headers: &'a [String],
}

impl RowCells<'_> {
    fn text(&self, index: usize) -> &str {
        self.cells.get(index).copied().unwrap_or_default()
    }

    /// The column's cell when there is such a column and its cell is not empty.
    fn filled(&self, index: Option<usize>) -> Option<(usize, &str)> {
        index
            .map(|index| (index, self.text(index)))
            .filter(|(_, text)| !text.is_empty())
    }

    /// The optional column's value read by `parse`; an empty cell is `None`, a cell `parse`
    /// refuses is rejected with `reason(cell)`.
    fn parsed<T>(
        &self,
        index: Option<usize>,
        parse: impl Fn(&str) -> Option<T>,
        reason: impl Fn(&str) -> String,
    ) -> Result<Option<T>, Rejection> {
        match self.filled(index) {
            None => Ok(None),
            Some((index, text)) => match parse(text) {
                Some(value) => Ok(Some(value)),
                None => Err(self.reject(index, reason(text))),
            },
        }
    }

    fn reject(&self, index: usize, reason: String) -> Rejection {
        Rejection {
            line: self.line,
            column: self.headers.get(index).cloned(),
            value: Some(self.text(index).to_owned()),
            reason,
        }
    }
}

fn not_yes_or_no(text: &str) -> String {
    format!("\"{text}\" is not yes or no; write yes, no or leave the cell empty")
}
