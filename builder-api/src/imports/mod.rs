//! Contact imports: a CSV file uploaded once, then a dry run that says what importing it
//! would do (rows accepted, rejected with the line and why, duplicates, suppressed numbers,
//! new and known contacts, consent stated), then the import itself in the background, with
//! its progress kept in the database.
//!
//! Reading the file is `spool_contact_lists`'s; this module decides what the database and
//! the runtime say about each row. Each row becomes an `UpdateContact` event (with its
//! consent's source: the import and the basis the importer stated), so an import changes
//! contacts exactly as the API does and the directory and consent ledger follow. A row's
//! event carries a key of its own, so an import resumed after a restart applies no row
//! twice. A file without a consent column grants nobody Marketing consent.

mod job;

pub use job::{DONE, FAILED, IMPORTING, resume_unfinished, start};

use std::collections::HashSet;

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};
use serde::{Deserialize, Serialize};
use spool_contact_lists::{Consent, ListContact, Mapping, Rejection, Row, Sniffed};
use utoipa::ToSchema;

use crate::consent::suppression;
use crate::db::contact_directory;

/// Rows looked up in the database at once.
pub const CHUNK: usize = 500;

/// What an import is started (or dry-run) with.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// One entry per column of the file, in order (`{"kind": "phone"}`, `{"kind":
    /// "property", "name": "city"}`, `{"kind": "ignore"}`…); the suggested mapping when
    /// absent.
    #[serde(default)]
    #[schema(value_type = Option<Vec<Object>>)]
    pub columns: Option<Vec<spool_contact_lists::Column>>,
    /// ISO 3166 country (`PT`, `BR`) of numbers written without their country code.
    #[serde(default)]
    pub default_country: Option<String>,
    /// Why the consent the file records may be relied on (e.g. "customers who ticked the
    /// WhatsApp box at checkout"): required when the file has a consent column, kept in
    /// each contact's consent ledger.
    #[serde(default)]
    pub consent_basis: Option<String>,
}

impl Plan {
    pub fn mapping(&self, sniffed: &Sniffed) -> Mapping {
        Mapping {
            columns: self
                .columns
                .clone()
                .unwrap_or_else(|| sniffed.suggested.clone()),
            default_country: self.default_country.clone(),
        }
    }
}

/// What an import did, or would do.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize, ToSchema)]
pub struct ImportReport {
    /// Rows read (blank lines aside).
    pub rows: u64,
    /// Rows that make a contact (suppressed ones aside).
    pub accepted: u64,
    /// Of those, contacts Spool does not know yet, and contacts it knows (updated).
    pub new_contacts: u64,
    pub existing_contacts: u64,
    pub rejected: u64,
    /// The first 100 rejected rows: line, column, value, why.
    #[schema(value_type = Vec<Object>)]
    pub rejections: Vec<Rejection>,
    /// Rows whose number came earlier in the file (the first is kept).
    pub duplicates: u64,
    /// Rows whose number is on the suppression list (erased or objected): never imported.
    pub suppressed: u64,
    pub consent_given: u64,
    pub consent_refused: u64,
    /// Rows that say nothing of consent: no Marketing consent is recorded for them.
    pub consent_not_stated: u64,
}

impl ImportReport {
    fn count_rejected(&mut self, rejection: Rejection) {
        self.rows += 1;
        self.rejected += 1;
        if self.rejections.len() < spool_contact_lists::KEPT_REJECTIONS {
            self.rejections.push(rejection);
        }
    }

    /// Counts the contacts of one chunk (after suppression and the directory were asked).
    fn count_accepted(&mut self, contacts: &[Checked]) {
        for checked in contacts {
            self.rows += 1;
            if checked.suppressed {
                self.suppressed += 1;
                continue;
            }
            self.accepted += 1;
            if checked.known {
                self.existing_contacts += 1;
            } else {
                self.new_contacts += 1;
            }
            match checked.contact.marketing {
                Consent::Given => self.consent_given += 1,
                Consent::Refused => self.consent_refused += 1,
                Consent::NotStated => self.consent_not_stated += 1,
            }
        }
    }
}

/// A row's contact, with what the database says of its number.
#[derive(Debug)]
pub(crate) struct Checked {
    pub contact: ListContact,
    pub suppressed: bool,
    pub known: bool,
}

/// Asks the suppression list and the directory about a chunk of contacts.
pub(crate) async fn check(
    db: &impl ConnectionTrait,
    workspace: &str,
    key: &[u8],
    contacts: Vec<ListContact>,
) -> Result<Vec<Checked>, DbErr> {
    let hashes: Vec<String> = contacts
        .iter()
        .map(|contact| suppression::phone_hash(key, &contact.phone))
        .collect();
    let suppressed = suppression::which(db, workspace, &hashes).await?;
    let phones: Vec<String> = contacts.iter().map(|c| c.phone.clone()).collect();
    let known: HashSet<String> = contact_directory::Entity::find()
        .select_only()
        .column(contact_directory::Column::Phone)
        .filter(contact_directory::Column::WorkspaceId.eq(workspace))
        .filter(contact_directory::Column::Phone.is_in(phones))
        .into_tuple::<String>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    Ok(contacts
        .into_iter()
        .zip(hashes)
        .map(|(contact, hash)| Checked {
            suppressed: suppressed.contains(&hash),
            known: known.contains(&contact.phone),
            contact,
        })
        .collect())
}

/// Reads rows into chunks of contacts, counting the rest into `report`.
pub(crate) fn next_chunk(
    rows: &mut impl Iterator<Item = Row>,
    report: &mut ImportReport,
) -> Vec<ListContact> {
    let mut chunk = Vec::with_capacity(CHUNK);
    for row in rows.by_ref() {
        match row {
            Row::Accepted(contact) => {
                chunk.push(contact);
                if chunk.len() == CHUNK {
                    break;
                }
            }
            Row::Rejected(rejection) => report.count_rejected(rejection),
            Row::Duplicate { .. } => {
                report.rows += 1;
                report.duplicates += 1;
            }
        }
    }
    chunk
}

/// What importing the file would do; nothing is changed.
pub async fn dry_run(
    db: &impl ConnectionTrait,
    workspace: &str,
    file: &[u8],
    sniffed: &Sniffed,
    mapping: &Mapping,
) -> Result<ImportReport, ImportError> {
    let key = suppression::key(db, workspace).await?;
    let mut rows = spool_contact_lists::read(file, sniffed, mapping)?;
    let mut report = ImportReport::default();
    loop {
        let chunk = next_chunk(&mut rows, &mut report);
        if chunk.is_empty() {
            break;
        }
        let checked = check(db, workspace, &key, chunk).await?;
        report.count_accepted(&checked);
    }
    rows.finish()?;
    Ok(report)
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    List(#[from] spool_contact_lists::ListError),
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error(transparent)]
    Runtime(#[from] spool_runtime::Error),
}
