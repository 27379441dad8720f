//! A list of 100,000 rows is read row by row, each one accepted once.

#![allow(clippy::unwrap_used)] // a test that cannot read its own fixture should fail loudly

use spool_contact_lists::{Mapping, Report, read, sniff};

#[test]
fn a_hundred_thousand_rows_are_all_read() {
    let mut file = String::from("Phone,Name,Tags,Consent,City\n");
    for i in 0..100_000u32 {
        let consent = if i % 2 == 0 { "yes" } else { "no" };
        file.push_str(&format!(
            "+351 91{i:07},Contact {i},t{},{consent},City {}\n",
            i % 10,
            i % 100
        ));
    }
    let sniffed = sniff(file.as_bytes()).unwrap();
    let mapping = Mapping {
        columns: sniffed.suggested.clone(),
        default_country: None,
    };
    let report = Report::of(read(file.as_bytes(), &sniffed, &mapping).unwrap()).unwrap();
    assert_eq!(
        (report.accepted, report.rejected, report.duplicates),
        (100_000, 0, 0)
    );
    assert_eq!(
        (report.consent_given, report.consent_refused),
        (50_000, 50_000)
    );
}
