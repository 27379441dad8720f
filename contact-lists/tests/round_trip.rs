//! An exported list read back gives the same contacts: export → sniff → read, with the
//! mapping Spool suggests for its own files.

#![allow(clippy::unwrap_used)] // a test that cannot read its own fixture should fail loudly

use serde_json::{Map, Value, json};
use spool_contact_lists::{Consent, ExportContact, Mapping, Row, read, sniff, write};

fn properties(value: Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap()
}

fn contacts() -> Vec<ExportContact> {
    vec![
        ExportContact {
            phone: "351912345678".into(),
            name: Some("José \"Zé\" da Silva, Jr.".into()),
            tags: vec!["vip".into(), "black friday".into(), "são joão".into()],
            properties: properties(json!({
                "city": "Lisboa, Portugal",
                "notes": "line one\nline two, with \"quotes\"\r\nand a CRLF",
                "orders": 12,
                "spent": 99.5,
                "member": true,
                "Plan": "ouro",
            })),
            marketing: Consent::Given,
            consent_at: Some("2024-03-05T09:30:00.250Z".into()),
            locale: Some("pt_PT".into()),
            timezone: Some("Europe/Lisbon".into()),
        },
        ExportContact {
            phone: "5511912345678".into(),
            name: Some("Ana\nMaria".into()),
            tags: Vec::new(),
            // "country" is an ordinary property here, not the Country column.
            properties: properties(json!({
                "city": "São Paulo",
                "zip": "01310-100",
                "code": "007",
                "country": "Brasil",
            })),
            marketing: Consent::Refused,
            consent_at: None,
            locale: Some("pt_BR".into()),
            timezone: Some("America/Sao_Paulo".into()),
        },
        ExportContact {
            phone: "819012345678".into(),
            name: Some("渡辺 さくら".into()),
            tags: vec!["日本".into()],
            properties: properties(json!({"notes": "😀; | ,", "member": false})),
            marketing: Consent::NotStated,
            consent_at: None,
            locale: Some("ja".into()),
            timezone: Some("Asia/Tokyo".into()),
        },
        ExportContact {
            phone: "447911123456".into(),
            name: None,
            tags: Vec::new(),
            properties: Map::new(),
            marketing: Consent::NotStated,
            consent_at: None,
            locale: None,
            timezone: None,
        },
    ]
}

const PROPERTY_NAMES: [&str; 9] = [
    "city", "notes", "orders", "spent", "member", "Plan", "zip", "code", "country",
];

#[test]
fn export_then_import_gives_back_the_same_contacts() {
    let mut file = Vec::new();
    let names = PROPERTY_NAMES.map(String::from);
    write(&mut file, contacts(), &names).unwrap();

    let sniffed = sniff(&file).unwrap();
    let mapping = Mapping {
        columns: sniffed.suggested.clone(),
        default_country: None,
    };
    let rows: Vec<Row> = read(&file[..], &sniffed, &mapping).unwrap().collect();

    let lines: Vec<u64> = rows.iter().map(Row::line).collect();
    // One row per contact although cells hold line breaks.
    assert_eq!(lines, [2, 3, 4, 5]);
    let back: Vec<ExportContact> = rows
        .into_iter()
        .map(|row| match row {
            Row::Accepted(contact) => ExportContact::from(contact),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(back, contacts());
}

#[test]
fn an_export_starts_with_a_byte_order_mark_so_excel_reads_it_as_utf8() {
    let mut file = Vec::new();
    write(&mut file, contacts().into_iter().take(1), &[]).unwrap();
    let text = String::from_utf8(file).unwrap();
    assert_eq!(
        text.lines().next(),
        Some("\u{feff}phone,name,tags,marketing_consent,consent_at,locale,timezone")
    );
    assert_eq!(
        text.lines().nth(1),
        Some(
            "+351912345678,\"José \"\"Zé\"\" da Silva, Jr.\",vip;black friday;são joão,yes,2024-03-05T09:30:00.250Z,pt_PT,Europe/Lisbon"
        )
    );
}
