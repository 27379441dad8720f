//! Contact lists as files: a CSV read into contacts (columns mapped, numbers normalised to
//! E.164, consent read), the report of a dry run, and contacts written back as CSV.
//!
//! The server calls [`sniff`] to show a file's columns and a suggested [`Mapping`], [`read`]
//! to stream its rows as [`Row`]s (folded into a [`Report`] for a dry run), and [`write()`] to
//! export. This crate is pure: it reads and writes through `std::io` and never looks at the
//! database, so "already a contact" and "suppressed" are the server's to decide.

mod cells;
mod column;
mod consent;
mod contact;
mod error;
mod guess;
mod mapping;
mod phone;
mod read;
mod records;
mod report;
mod sniff;
mod timestamp;
mod write;

pub use cells::{NAME_MAX_CHARS, PROPERTY_VALUE_MAX_CHARS};
pub use column::Column;
pub use consent::Consent;
pub use contact::{ListContact, Rejection};
pub use error::ListError;
pub use guess::{EXPORT_HEADERS, property_key};
pub use mapping::{Mapping, MappingProblem, PROPERTY_NAME_MAX_CHARS, TAG_MAX_CHARS};
pub use read::{Row, Rows, read};
pub use report::{KEPT_REJECTIONS, Report};
pub use sniff::{Delimiter, MAX_COLUMNS, Sniffed, sniff};
pub use write::{ExportContact, write};
