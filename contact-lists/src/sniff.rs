//! The first look at an uploaded file: is it text Spool can read, how are its cells
//! separated, what are its columns called, and what does each probably mean. Everything
//! that would make the whole file unusable is refused here, before any row is read.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::column::Column;
use crate::error::ListError;
use crate::guess;
use crate::records::Records;

/// Most columns a file may have.
pub const MAX_COLUMNS: usize = 200;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// What separates cells: Excel writes `;` where the decimal separator is a comma (most of
/// Europe and Latin America), some CRMs write tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Delimiter {
    Comma,
    Semicolon,
    Tab,
}

impl Delimiter {
    pub fn as_byte(self) -> u8 {
        match self {
            Delimiter::Comma => b',',
            Delimiter::Semicolon => b';',
            Delimiter::Tab => b'\t',
        }
    }
}

/// A file's shape: its header (trimmed), its delimiter, and the suggested meaning of each
/// column, in header order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sniffed {
    pub headers: Vec<String>,
    pub delimiter: Delimiter,
    pub suggested: Vec<Column>,
}

/// Looks at a whole file (a UTF-8 byte-order mark is allowed) and returns its shape, or why
/// it cannot be imported at all.
pub fn sniff(bytes: &[u8]) -> Result<Sniffed, ListError> {
    let body = bytes.strip_prefix(BOM).unwrap_or(bytes);
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ListError::Empty);
    }
    if let Err(error) = std::str::from_utf8(body) {
        let before = &body[..error.valid_up_to()];
        let line = 1 + before.iter().filter(|&&byte| byte == b'\n').count() as u64;
        return Err(ListError::NotUtf8 { line });
    }
    let delimiter = delimiter_of(body);
    let mut records = Records::new(body, delimiter.as_byte());
    if records.advance().map_err(ListError::Read)?.is_none() {
        // Only blank rows such as `,,,`.
        return Err(ListError::Empty);
    }
    let headers = header_names(records.record());

    if headers.len() > MAX_COLUMNS {
        return Err(ListError::TooManyColumns {
            count: headers.len(),
            max: MAX_COLUMNS,
        });
    }
    if let Some(sample) = headers.iter().find(|header| looks_like_data(header)) {
        return Err(ListError::NoHeader {
            sample: sample.clone(),
        });
    }
    let mut first_column: HashMap<&str, usize> = HashMap::new();
    for (index, header) in headers.iter().enumerate() {
        if header.is_empty() {
            continue;
        }
        if let Some(first) = first_column.insert(header, index + 1) {
            return Err(ListError::DuplicateHeader {
                name: header.clone(),
                first,
                second: index + 1,
            });
        }
    }

    let suggested = guess::suggest(&headers);
    Ok(Sniffed {
        headers,
        delimiter,
        suggested,
    })
}

/// A record's cells as trimmed text; only called on text already checked to be UTF-8.
pub(crate) fn header_names(record: &csv::ByteRecord) -> Vec<String> {
    record
        .iter()
        .map(|cell| String::from_utf8_lossy(cell).trim().to_owned())
        .collect()
}

/// The delimiter used most often on the first line outside quotes; a comma when the file
/// has a single column.
fn delimiter_of(body: &[u8]) -> Delimiter {
    let mut counts = [
        (Delimiter::Comma, 0),
        (Delimiter::Semicolon, 0),
        (Delimiter::Tab, 0),
    ];
    let mut quoted = false;
    for &byte in body {
        match byte {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => break,
            _ if quoted => {}
            _ => {
                for (delimiter, count) in &mut counts {
                    if delimiter.as_byte() == byte {
                        *count += 1;
                    }
                }
            }
        }
    }
    // `max_by_key` keeps the last of equals; reversing makes a tie go to the comma.
    counts
        .iter()
        .rev()
        .max_by_key(|(_, count)| *count)
        .map_or(Delimiter::Comma, |(delimiter, _)| *delimiter)
}

/// A header cell that is clearly a value: a phone number or an email address.
fn looks_like_data(cell: &str) -> bool {
    let digits = cell.chars().filter(char::is_ascii_digit).count();
    let phone_like = digits >= 7
        && cell
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '(' | ')' | '.' | '/'));
    let email_like =
        cell.contains('@') && cell.contains('.') && !cell.contains(char::is_whitespace);
    phone_like || email_like
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn semicolons_and_a_bom_from_european_excel() {
        let file = "\u{feff}Nome;Telefone;País;Cidade, Estado\n Ana ;912345678;PT;Lisboa\n";
        let sniffed = sniff(file.as_bytes()).unwrap();
        assert_eq!(sniffed.delimiter, Delimiter::Semicolon);
        assert_eq!(
            sniffed.headers,
            ["Nome", "Telefone", "País", "Cidade, Estado"]
        );
        assert_eq!(
            sniffed.suggested,
            vec![
                Column::Name,
                Column::Phone,
                Column::Country,
                Column::Property {
                    name: "cidade,_estado".into()
                },
            ]
        );
    }

    #[test]
    fn tabs_and_quoted_delimiters() {
        let tabbed = sniff(b"phone\tname, full\tnotes\n").unwrap();
        assert_eq!(tabbed.delimiter, Delimiter::Tab);
        assert_eq!(tabbed.headers, ["phone", "name, full", "notes"]);
        let quoted = sniff(b"\"a;b;c\",phone\n").unwrap();
        assert_eq!(quoted.delimiter, Delimiter::Comma);
        assert_eq!(quoted.headers, ["a;b;c", "phone"]);
        assert_eq!(sniff(b"phone\n").unwrap().delimiter, Delimiter::Comma);
    }

    #[test]
    fn empty_files_are_refused() {
        for file in [&b""[..], b"\xEF\xBB\xBF", b" \r\n\n", b",,,\n, ,\n"] {
            assert!(matches!(sniff(file), Err(ListError::Empty)), "{file:?}");
        }
    }

    #[test]
    fn latin_1_files_are_refused_with_the_line_and_the_fix() {
        let file = b"name,phone\nAna,+351912345678\nJo\xe3o,+351912345679\n";
        let error = sniff(file).unwrap_err();
        assert!(matches!(error, ListError::NotUtf8 { line: 3 }));
        assert_eq!(
            error.to_string(),
            "line 3 is not UTF-8 text; in your spreadsheet choose \"Save as\" → \"CSV UTF-8\" and upload that file"
        );
    }

    #[test]
    fn a_file_without_a_header_is_refused() {
        let error = sniff(b"Ana,+351 912 345 678\nRui,+351 912 345 679\n").unwrap_err();
        assert_eq!(
            error.to_string(),
            "the first line should name the columns (like phone, name, email) but it holds data (+351 912 345 678); add a header line"
        );
        assert!(matches!(
            sniff(b"ana@example.com,x\n"),
            Err(ListError::NoHeader { .. })
        ));
    }

    #[test]
    fn duplicate_headers_are_refused_but_blank_ones_are_ignored() {
        let error = sniff(b"Phone,Name,Phone\n").unwrap_err();
        assert_eq!(
            error.to_string(),
            "columns 1 and 3 are both named \"Phone\"; rename one of them"
        );
        let blanks = sniff(b"Phone,,Name,\n").unwrap();
        assert_eq!(
            blanks.suggested,
            [Column::Phone, Column::Ignore, Column::Name, Column::Ignore]
        );
    }

    #[test]
    fn more_than_200_columns_are_refused() {
        let header: Vec<String> = (0..201).map(|i| format!("c{i}")).collect();
        let error = sniff(header.join(",").as_bytes()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "the file has 201 columns; at most 200 can be imported, delete the ones you do not need"
        );
        let header: Vec<String> = (0..200).map(|i| format!("c{i}")).collect();
        assert_eq!(
            sniff(header.join(",").as_bytes()).unwrap().headers.len(),
            200
        );
    }

    #[test]
    fn delimiter_is_json_by_name() {
        assert_eq!(
            serde_json::to_string(&Delimiter::Semicolon).unwrap(),
            r#""semicolon""#
        );
    }
}
