//! A dry run of files as marketers export them: mixed number formats, a per-row country
//! and a default one, bad rows, duplicates and blank lines, with exact counts and reasons.

#![allow(clippy::unwrap_used)] // a test that cannot read its own fixture should fail loudly

use serde_json::json;
use spool_contact_lists::{
    Column, Consent, Delimiter, ListContact, Mapping, Rejection, Report, Row, read, sniff,
};

/// Lines are numbered as the spreadsheet shows them: header 1, the blank line 6.
const SHOP_EXPORT: &str = "\
Name,Phone,Country,Tags,City,Orders
Ana Silva,+351 912 345 678,,vip; lisboa,Lisboa,3
Bruno Costa,(11) 91234-5678,BR,,São Paulo,
Carla Jones,07911 123456,gb,newsletter,London,1
Dan Smith,+1 (202) 555-0143,,,,

Eva,912 345 679,,,Porto,0
Filipe,00351912345678,,,Faro,
Gil,3.51912E+11,,,,
Hugo,12345,,,,
Ivo,(202) 555-0144,US,,,,
Joana,5511912345678,,,,
Kim,\"+55 11 98765-4321\",BR,,,
Lia,912345680,Portugal,,,
,,,,,
";

fn contact(line: u64, phone: &str, name: &str) -> ListContact {
    ListContact {
        line,
        phone: phone.into(),
        name: Some(name.into()),
        tags: Vec::new(),
        properties: serde_json::Map::new(),
        marketing: Consent::NotStated,
        consent_at: None,
        locale: None,
        timezone: None,
    }
}

fn with_properties(mut contact: ListContact, properties: serde_json::Value) -> ListContact {
    contact.properties = properties.as_object().cloned().unwrap();
    contact
}

fn rejection(line: u64, column: Option<&str>, value: Option<&str>, reason: &str) -> Row {
    Row::Rejected(Rejection {
        line,
        column: column.map(Into::into),
        value: value.map(Into::into),
        reason: reason.into(),
    })
}

fn rows_of(file: &str, default_country: Option<&str>) -> Vec<Row> {
    let sniffed = sniff(file.as_bytes()).unwrap();
    let mapping = Mapping {
        columns: sniffed.suggested.clone(),
        default_country: default_country.map(Into::into),
    };
    read(file.as_bytes(), &sniffed, &mapping).unwrap().collect()
}

#[test]
fn the_suggested_mapping_fits_the_shop_export() {
    let sniffed = sniff(SHOP_EXPORT.as_bytes()).unwrap();
    assert_eq!(sniffed.delimiter, Delimiter::Comma);
    assert_eq!(
        sniffed.suggested,
        [
            Column::Name,
            Column::Phone,
            Column::Country,
            Column::Tags,
            Column::Property {
                name: "city".into()
            },
            Column::Property {
                name: "orders".into()
            },
        ]
    );
}

#[test]
fn mixed_numbers_bad_rows_duplicates_and_blank_lines() {
    let rows = rows_of(SHOP_EXPORT, Some("pt"));
    let mut ana = with_properties(
        contact(2, "351912345678", "Ana Silva"),
        json!({"city": "Lisboa", "orders": 3}),
    );
    ana.tags = vec!["vip".into(), "lisboa".into()];
    let mut carla = with_properties(
        contact(4, "447911123456", "Carla Jones"),
        json!({"city": "London", "orders": 1}),
    );
    carla.tags = vec!["newsletter".into()];
    assert_eq!(
        rows,
        vec![
            Row::Accepted(ana),
            Row::Accepted(with_properties(
                contact(3, "5511912345678", "Bruno Costa"),
                json!({"city": "São Paulo"})
            )),
            Row::Accepted(carla),
            Row::Accepted(contact(5, "12025550143", "Dan Smith")),
            Row::Accepted(with_properties(
                contact(7, "351912345679", "Eva"),
                json!({"city": "Porto", "orders": 0})
            )),
            Row::Duplicate {
                line: 8,
                phone: "351912345678".into(),
                first_line: 2
            },
            rejection(
                9,
                Some("Phone"),
                Some("3.51912E+11"),
                "3.51912E+11 is a number the spreadsheet shortened into scientific notation, so its last digits are lost; format the phone column as Text, fix the numbers and export again"
            ),
            rejection(
                10,
                Some("Phone"),
                Some("12345"),
                "12345 is not a valid phone number in PT"
            ),
            rejection(
                11,
                None,
                None,
                "this row has 7 cells but the header has 6 columns; look for a stray separator or an unclosed quote"
            ),
            // International without `+`: not a Portuguese number, but a valid Brazilian one.
            Row::Duplicate {
                line: 12,
                phone: "5511912345678".into(),
                first_line: 3
            },
            Row::Accepted(contact(13, "5511987654321", "Kim")),
            rejection(
                14,
                Some("Country"),
                Some("Portugal"),
                "\"Portugal\" is not a two-letter country code like BR, PT or US"
            ),
        ]
    );

    let report: Report = rows.into_iter().collect();
    assert_eq!(
        (report.accepted, report.rejected, report.duplicates),
        (6, 4, 2)
    );
    assert_eq!(
        (
            report.consent_given,
            report.consent_refused,
            report.consent_not_stated
        ),
        (0, 0, 6)
    );
    let lines: Vec<u64> = report.rejections.iter().map(|r| r.line).collect();
    assert_eq!(lines, [9, 10, 11, 14]);
}

#[test]
fn without_a_default_country_local_numbers_need_the_country_cell() {
    let rows = rows_of(SHOP_EXPORT, None);
    let eva = rows.iter().find(|row| row.line() == 7).unwrap();
    let Row::Rejected(rejection) = eva else {
        panic!("{eva:?}")
    };
    assert_eq!(
        rejection.to_string(),
        "line 7: 912 345 679 has no country code and its Country cell is empty; fill it in or choose a default country"
    );
    // Numbers with their country code, or a Country cell, do not need the default.
    let accepted: Vec<u64> = rows
        .iter()
        .filter(|row| matches!(row, Row::Accepted(_)))
        .map(Row::line)
        .collect();
    assert_eq!(accepted, [2, 3, 4, 5, 13]);
}

/// European Excel: `;`, a byte-order mark, CRLF, Portuguese headers and a consent column.
const EXCEL_PT: &str = "\u{feff}Telefone;Nome;Consentimento;Data do consentimento;Etiquetas\r\n\
+351 912 345 678;Ana;sim;2024-03-05;vip|clientes\r\n\
912 345 678;Rui;não;;\r\n\
+55 11 91234-5678;Bia;talvez;;\r\n\
+44 7911 123456;Tom;;;\r\n\
\r\n\
+1 202 555 0143;Joe;no;2024-01-01T10:00:00-03:00;\r\n\
+351912345670;Zé;Yes;2024-03-05T10:00:00+01:00;\r\n";

#[test]
fn semicolons_bom_and_consent_from_portuguese_excel() {
    let sniffed = sniff(EXCEL_PT.as_bytes()).unwrap();
    assert_eq!(sniffed.delimiter, Delimiter::Semicolon);
    assert_eq!(
        sniffed.headers,
        [
            "Telefone",
            "Nome",
            "Consentimento",
            "Data do consentimento",
            "Etiquetas"
        ]
    );
    assert_eq!(
        sniffed.suggested,
        [
            Column::Phone,
            Column::Name,
            Column::MarketingConsent,
            Column::ConsentAt,
            Column::Tags
        ]
    );

    let rows = rows_of(EXCEL_PT, None);
    let mut ana = contact(2, "351912345678", "Ana");
    ana.marketing = Consent::Given;
    ana.consent_at = Some("2024-03-05T00:00:00Z".into());
    ana.tags = vec!["vip".into(), "clientes".into()];
    let mut tom = contact(5, "447911123456", "Tom");
    tom.marketing = Consent::NotStated;
    // A refusal keeps no consent time.
    let mut joe = contact(7, "12025550143", "Joe");
    joe.marketing = Consent::Refused;
    let mut ze = contact(8, "351912345670", "Zé");
    ze.marketing = Consent::Given;
    ze.consent_at = Some("2024-03-05T09:00:00Z".into());
    assert_eq!(
        rows,
        vec![
            Row::Accepted(ana),
            rejection(
                3,
                Some("Telefone"),
                Some("912 345 678"),
                "912 345 678 has no country code and the file has no country; add a Country column or choose a default country"
            ),
            rejection(
                4,
                Some("Consentimento"),
                Some("talvez"),
                "\"talvez\" is not yes or no; write yes, no or leave the cell empty"
            ),
            Row::Accepted(tom),
            Row::Accepted(joe),
            Row::Accepted(ze),
        ]
    );
    let report: Report = rows.into_iter().collect();
    assert_eq!(
        (
            report.accepted,
            report.rejected,
            report.duplicates,
            report.consent_given,
            report.consent_refused,
            report.consent_not_stated
        ),
        (4, 2, 0, 2, 1, 1)
    );
    assert_eq!(
        report.rejections[0].to_string(),
        "line 3: 912 345 678 has no country code and the file has no country; add a Country column or choose a default country"
    );
}

#[test]
fn an_invalid_mapping_is_refused_before_reading() {
    let sniffed = sniff(SHOP_EXPORT.as_bytes()).unwrap();
    let mut columns = sniffed.suggested.clone();
    columns[1] = Column::Ignore;
    let mapping = Mapping {
        columns,
        default_country: Some("XX".into()),
    };
    let error = read(SHOP_EXPORT.as_bytes(), &sniffed, &mapping).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the column choices need fixing: choose the column that holds the phone numbers; \"XX\" is not a two-letter country code like BR, PT or US"
    );
}

#[test]
fn a_different_file_than_the_one_sniffed_is_refused() {
    let sniffed = sniff(SHOP_EXPORT.as_bytes()).unwrap();
    let mapping = Mapping {
        columns: sniffed.suggested.clone(),
        default_country: None,
    };
    let error = read(EXCEL_PT.as_bytes(), &sniffed, &mapping).unwrap_err();
    assert!(error.to_string().starts_with(
        "the file's columns (Telefone;Nome;Consentimento;Data do consentimento;Etiquetas) are not"
    ));
}
