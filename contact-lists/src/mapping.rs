//! The marketer's choice of meaning for every column, and the checks that make it usable
//! before a single row is read. Every problem is collected so the mapping screen can show
//! them all at once.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::column::Column;
use crate::error::ListError;

/// Longest property name: property names become keys the flow editor shows and exports
/// write as headers.
pub const PROPERTY_NAME_MAX_CHARS: usize = 64;
/// Longest tag, the same bound the contacts API applies.
pub const TAG_MAX_CHARS: usize = 64;

/// The meaning of each column of a file, in header order, and the country used to read
/// numbers written without a country code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    pub columns: Vec<Column>,
    /// ISO 3166 alpha-2, any case (`BR`, `pt`).
    #[serde(default)]
    pub default_country: Option<String>,
}

/// One reason a mapping cannot be used; columns are named by their header.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum MappingProblem {
    #[error("there are {mapped} column choices for {headers} columns")]
    ColumnCount { mapped: usize, headers: usize },

    #[error("choose the column that holds the phone numbers")]
    NoPhone,

    #[error("only one column can be {label}, but {} are", quoted(columns))]
    Repeated {
        label: &'static str,
        columns: Vec<String>,
    },

    #[error("the property name for column \"{column}\" must be 1 to 64 characters")]
    PropertyNameLength { column: String },

    #[error(
        "columns {} would all be stored as the property \"{name}\"; give them different names",
        quoted(columns)
    )]
    PropertyNameTaken { name: String, columns: Vec<String> },

    #[error("the tag for column \"{column}\" must be 1 to 64 characters without , ; or |")]
    TagName { column: String },

    #[error(
        "column \"{column}\" says when consent was given, but no column says whether it was; choose a Marketing consent column"
    )]
    ConsentAtWithoutConsent { column: String },

    #[error("\"{value}\" is not a two-letter country code like BR, PT or US")]
    UnknownDefaultCountry { value: String },
}

fn quoted(columns: &[String]) -> String {
    columns
        .iter()
        .map(|column| format!("\"{column}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Mapping {
    /// Checks the mapping against the file's header; `Err` lists every problem found.
    pub fn validate(&self, headers: &[String]) -> Result<(), ListError> {
        let problems = self.problems(headers);
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ListError::Mapping { problems })
        }
    }

    /// Every problem, in a stable order: counts first, then per kind of column.
    pub fn problems(&self, headers: &[String]) -> Vec<MappingProblem> {
        let mut problems = Vec::new();
        if self.columns.len() != headers.len() {
            problems.push(MappingProblem::ColumnCount {
                mapped: self.columns.len(),
                headers: headers.len(),
            });
        }
        let header_of = |index: usize| {
            headers
                .get(index)
                .cloned()
                .unwrap_or_else(|| format!("column {}", index + 1))
        };
        let columns_where = |wanted: &dyn Fn(&Column) -> bool| -> Vec<String> {
            self.columns
                .iter()
                .enumerate()
                .filter(|(_, column)| wanted(column))
                .map(|(index, _)| header_of(index))
                .collect()
        };

        if !self.columns.contains(&Column::Phone) {
            problems.push(MappingProblem::NoPhone);
        }
        let mut reported: Vec<&Column> = Vec::new();
        for column in self.columns.iter().filter(|column| column.is_single()) {
            let same = columns_where(&|other| other == column);
            if same.len() > 1 && !reported.contains(&column) {
                reported.push(column);
                problems.push(MappingProblem::Repeated {
                    label: column.label(),
                    columns: same,
                });
            }
        }

        let mut names_reported: Vec<&str> = Vec::new();
        for (index, column) in self.columns.iter().enumerate() {
            match column {
                Column::Property { name } => {
                    let length = name.chars().count();
                    if name.trim().is_empty() || length > PROPERTY_NAME_MAX_CHARS {
                        problems.push(MappingProblem::PropertyNameLength {
                            column: header_of(index),
                        });
                    }
                    let same = columns_where(
                        &|other| matches!(other, Column::Property { name: n } if n == name),
                    );
                    if same.len() > 1 && !names_reported.contains(&name.as_str()) {
                        names_reported.push(name);
                        problems.push(MappingProblem::PropertyNameTaken {
                            name: name.clone(),
                            columns: same,
                        });
                    }
                }
                Column::Tag { name } if !is_tag_name(name) => {
                    problems.push(MappingProblem::TagName {
                        column: header_of(index),
                    });
                }
                Column::ConsentAt if !self.columns.contains(&Column::MarketingConsent) => {
                    problems.push(MappingProblem::ConsentAtWithoutConsent {
                        column: header_of(index),
                    });
                }
                _ => {}
            }
        }

        if let Some(value) = &self.default_country
            && crate::phone::region(value).is_none()
        {
            problems.push(MappingProblem::UnknownDefaultCountry {
                value: value.clone(),
            });
        }
        problems
    }
}

/// A tag that a Tags cell could also hold: separators would split it on the way back in.
pub(crate) fn is_tag_name(name: &str) -> bool {
    let length = name.chars().count();
    name.trim() == name && (1..=TAG_MAX_CHARS).contains(&length) && !name.contains([',', ';', '|'])
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn headers(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| name.to_string()).collect()
    }

    fn property(name: &str) -> Column {
        Column::Property { name: name.into() }
    }

    #[test]
    fn a_sound_mapping_passes() {
        let mapping = Mapping {
            columns: vec![
                Column::Phone,
                Column::FirstName,
                Column::LastName,
                Column::Tag { name: "vip".into() },
                Column::Tag {
                    name: "black friday".into(),
                },
                property("city"),
                Column::MarketingConsent,
                Column::ConsentAt,
                Column::Ignore,
                Column::Ignore,
            ],
            default_country: Some("br".into()),
        };
        let headers = headers(&["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]);
        assert_eq!(mapping.validate(&headers).ok(), Some(()));
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let mapping = Mapping {
            columns: vec![
                Column::Name,
                Column::Name,
                property("city"),
                property("city"),
                property(""),
                Column::Tag { name: "a;b".into() },
                Column::ConsentAt,
            ],
            default_country: Some("Brazil".into()),
        };
        let headers = headers(&[
            "Nome", "Nombre", "Cidade", "Ciudad", "X", "Y", "Quando", "Extra",
        ]);
        assert_eq!(
            mapping.problems(&headers),
            vec![
                MappingProblem::ColumnCount {
                    mapped: 7,
                    headers: 8
                },
                MappingProblem::NoPhone,
                MappingProblem::Repeated {
                    label: "Name",
                    columns: vec!["Nome".into(), "Nombre".into()],
                },
                MappingProblem::PropertyNameTaken {
                    name: "city".into(),
                    columns: vec!["Cidade".into(), "Ciudad".into()],
                },
                MappingProblem::PropertyNameLength { column: "X".into() },
                MappingProblem::TagName { column: "Y".into() },
                MappingProblem::ConsentAtWithoutConsent {
                    column: "Quando".into()
                },
                MappingProblem::UnknownDefaultCountry {
                    value: "Brazil".into()
                },
            ]
        );
    }

    #[test]
    fn the_error_reads_as_sentences() {
        let mapping = Mapping {
            columns: vec![Column::Phone, Column::Phone],
            default_country: None,
        };
        let error = mapping
            .validate(&headers(&["Phone", "Mobile"]))
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "the column choices need fixing: only one column can be Phone, but \"Phone\", \"Mobile\" are"
        );
    }

    #[test]
    fn long_property_names_are_refused() {
        let mapping = Mapping {
            columns: vec![Column::Phone, property(&"x".repeat(65))],
            default_country: None,
        };
        assert_eq!(
            mapping.problems(&headers(&["Phone", "Notes"])),
            vec![MappingProblem::PropertyNameLength {
                column: "Notes".into()
            }]
        );
    }

    #[test]
    fn mapping_json_defaults_the_country() {
        let mapping: Mapping =
            serde_json::from_str(r#"{"columns":[{"kind":"phone"},{"kind":"ignore"}]}"#).unwrap();
        assert_eq!(mapping.columns, vec![Column::Phone, Column::Ignore]);
        assert_eq!(mapping.default_country, None);
    }
}
