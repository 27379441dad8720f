//! The dry run's summary, folded from the rows: what the marketer sees before importing.

use serde::Serialize;

use crate::consent::Consent;
use crate::contact::Rejection;
use crate::error::ListError;
use crate::read::{Row, Rows};

/// Rejections kept in full; beyond these only the count grows, so a broken file of a
/// million rows does not make a million-line report.
pub const KEPT_REJECTIONS: usize = 100;

/// Counts of a file's rows. Consent counts are over accepted rows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    pub accepted: u64,
    pub rejected: u64,
    /// The first [`KEPT_REJECTIONS`] rejections, in file order.
    pub rejections: Vec<Rejection>,
    pub duplicates: u64,
    pub consent_given: u64,
    pub consent_refused: u64,
    pub consent_not_stated: u64,
}

impl Report {
    /// Counts one row.
    pub fn add(&mut self, row: &Row) {
        match row {
            Row::Accepted(contact) => {
                self.accepted += 1;
                match contact.marketing {
                    Consent::Given => self.consent_given += 1,
                    Consent::Refused => self.consent_refused += 1,
                    Consent::NotStated => self.consent_not_stated += 1,
                }
            }
            Row::Rejected(rejection) => {
                self.rejected += 1;
                if self.rejections.len() < KEPT_REJECTIONS {
                    self.rejections.push(rejection.clone());
                }
            }
            Row::Duplicate { .. } => self.duplicates += 1,
        }
    }

    /// The report of every row, or the error that stopped the reading.
    pub fn of<R: std::io::Read>(mut rows: Rows<R>) -> Result<Report, ListError> {
        let report = rows.by_ref().collect();
        rows.finish()?;
        Ok(report)
    }
}

impl FromIterator<Row> for Report {
    fn from_iter<I: IntoIterator<Item = Row>>(rows: I) -> Report {
        let mut report = Report::default();
        for row in rows {
            report.add(&row);
        }
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_first_hundred_rejections_are_kept() {
        let rows = (1..=150).map(|line| {
            Row::Rejected(Rejection {
                line,
                column: None,
                value: None,
                reason: "x".into(),
            })
        });
        let report: Report = rows.collect();
        assert_eq!(report.rejected, 150);
        assert_eq!(report.rejections.len(), 100);
        assert_eq!(report.rejections.last().map(|r| r.line), Some(100));
    }
}
