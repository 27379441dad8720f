//! Rows streamed out of a file as contacts, rejections and duplicates. Nothing is collected
//! but the numbers already seen, so a dry run of 100,000 rows holds one row at a time.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::io::Read;

use serde::Serialize;

use crate::contact::{ListContact, Plan, Rejection};
use crate::error::ListError;
use crate::mapping::Mapping;
use crate::records::Records;
use crate::sniff::{Sniffed, header_names};

/// What became of one non-blank row.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Row {
    Accepted(ListContact),
    Rejected(Rejection),
    /// The same number (after normalising) was accepted on `first_line`; the first one wins.
    Duplicate {
        line: u64,
        phone: String,
        first_line: u64,
    },
}

impl Row {
    /// The row's line as the spreadsheet shows it.
    pub fn line(&self) -> u64 {
        match self {
            Row::Accepted(contact) => contact.line,
            Row::Rejected(rejection) => rejection.line,
            Row::Duplicate { line, .. } => *line,
        }
    }
}

/// Reads the rows of a file that [`crate::sniff`] described, with `mapping` checked against
/// its header first. `input` is the whole file again, header included.
pub fn read<R: Read>(input: R, sniffed: &Sniffed, mapping: &Mapping) -> Result<Rows<R>, ListError> {
    let plan = Plan::new(&sniffed.headers, mapping)?;
    let mut records = Records::new(input, sniffed.delimiter.as_byte());
    let found = match records.advance().map_err(ListError::Read)? {
        Some(_) => header_names(records.record()),
        None => Vec::new(),
    };
    if found != sniffed.headers {
        return Err(ListError::HeadersChanged {
            found: found.join(", "),
        });
    }
    Ok(Rows {
        records,
        plan,
        first_lines: HashMap::new(),
        error: None,
    })
}

/// The rows of a file, in order. Reading from memory cannot fail; for other readers, a read
/// error ends the rows and is kept for [`Rows::finish`].
#[derive(Debug)]
pub struct Rows<R> {
    records: Records<R>,
    plan: Plan,
    /// Each accepted number and the line it was first seen on.
    first_lines: HashMap<String, u64>,
    error: Option<ListError>,
}

impl<R: Read> Rows<R> {
    /// Ends the reading: `Err` when the rows stopped because the input could not be read,
    /// in which case the rows seen are not the whole file.
    pub fn finish(self) -> Result<(), ListError> {
        self.error.map_or(Ok(()), Err)
    }
}

impl<R: Read> Iterator for Rows<R> {
    type Item = Row;

    fn next(&mut self) -> Option<Row> {
        if self.error.is_some() {
            return None;
        }
        let line = match self.records.advance() {
            Ok(Some(line)) => line,
            Ok(None) => return None,
            Err(error) => {
                self.error = Some(ListError::Read(error));
                return None;
            }
        };
        let row = match cells_of(self.records.record(), self.plan.headers(), line) {
            Err(rejection) => Row::Rejected(rejection),
            Ok(cells) => match self.plan.contact(line, &cells) {
                Err(rejection) => Row::Rejected(rejection),
                Ok(contact) => match self.first_lines.entry(contact.phone.clone()) {
                    Entry::Occupied(first) => Row::Duplicate {
                        line,
                        phone: contact.phone,
                        first_line: *first.get(),
                    },
                    Entry::Vacant(slot) => {
                        slot.insert(line);
                        Row::Accepted(contact)
                    }
                },
            },
        };
        Some(row)
    }
}

/// The record's cells as trimmed text, one per header.
fn cells_of<'r>(
    record: &'r csv::ByteRecord,
    headers: &[String],
    line: u64,
) -> Result<Vec<&'r str>, Rejection> {
    if record.len() != headers.len() {
        return Err(Rejection {
            line,
            column: None,
            value: None,
            reason: format!(
                "this row has {} cells but the header has {} columns; look for a stray separator or an unclosed quote",
                record.len(),
                headers.len()
            ),
        });
    }
    record
        .iter()
        .zip(headers)
        .map(|(cell, header)| {
            std::str::from_utf8(cell).map(str::trim).map_err(|_| Rejection {
                line,
                column: Some(header.clone()),
                value: Some(String::from_utf8_lossy(cell).into_owned()),
                reason: "this cell is not UTF-8 text; save the file as \"CSV UTF-8\" and upload it again"
                    .to_owned(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_json_tagged_by_outcome() {
        let duplicate = Row::Duplicate {
            line: 8,
            phone: "351912345678".into(),
            first_line: 2,
        };
        let rejected = Row::Rejected(Rejection {
            line: 9,
            column: Some("Phone".into()),
            value: Some("12345".into()),
            reason: "12345 is not a valid phone number in PT".into(),
        });
        assert_eq!(
            serde_json::to_string(&[duplicate, rejected])
                .ok()
                .as_deref(),
            Some(
                r#"[{"outcome":"duplicate","line":8,"phone":"351912345678","first_line":2},{"outcome":"rejected","line":9,"column":"Phone","value":"12345","reason":"12345 is not a valid phone number in PT"}]"#
            )
        );
    }
}
