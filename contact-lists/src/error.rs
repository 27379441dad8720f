//! What can stop a whole file (as opposed to one row, which becomes a [`crate::Rejection`]).
//! Every message is written for the marketer who uploaded the file: it says what is wrong
//! and what to do in their spreadsheet, never how the parser works.

use thiserror::Error;

use crate::mapping::MappingProblem;

/// Why a file cannot be read, a mapping cannot be used, or a list cannot be written.
#[derive(Debug, Error)]
pub enum ListError {
    /// Nothing but (maybe) a byte-order mark and blank space.
    #[error(
        "the file is empty; export your list again and make sure it has a header line and rows"
    )]
    Empty,

    /// Excel's "CSV (Comma delimited)" writes the Windows code page, not UTF-8; accents would
    /// come out garbled if read anyway, so the file is refused with the fix.
    #[error(
        "line {line} is not UTF-8 text; in your spreadsheet choose \"Save as\" → \"CSV UTF-8\" and upload that file"
    )]
    NotUtf8 { line: u64 },

    /// The first line holds data, so there is nothing to name the columns by.
    #[error(
        "the first line should name the columns (like phone, name, email) but it holds data ({sample}); add a header line"
    )]
    NoHeader { sample: String },

    /// Two columns with one name cannot be told apart in the mapping.
    #[error("columns {first} and {second} are both named \"{name}\"; rename one of them")]
    DuplicateHeader {
        name: String,
        /// 1-based column numbers, as a spreadsheet user counts them.
        first: usize,
        second: usize,
    },

    /// A bound on the work one upload can ask for, and on the mapping screen's size.
    #[error(
        "the file has {count} columns; at most {max} can be imported, delete the ones you do not need"
    )]
    TooManyColumns { count: usize, max: usize },

    /// Everything wrong with a mapping, found in one pass.
    #[error("the column choices need fixing: {}", sentences(problems))]
    Mapping { problems: Vec<MappingProblem> },

    /// The reader was given a header line that differs from the one the mapping was made for.
    #[error(
        "the file's columns ({found}) are not the ones the column choices were made for; upload it again"
    )]
    HeadersChanged { found: String },

    /// A property name cannot be written as a column of an exported file.
    #[error("the property \"{name}\" cannot be exported: {reason}")]
    ExportProperty { name: String, reason: &'static str },

    /// The underlying reader failed (never happens for bytes in memory).
    #[error("the file could not be read: {0}")]
    Read(#[source] csv::Error),

    /// The output could not be written.
    #[error("the list could not be written: {0}")]
    Write(#[source] csv::Error),
}

fn sentences(problems: &[MappingProblem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
