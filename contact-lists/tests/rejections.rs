//! Every reason a single row is turned down, with the column and value the marketer needs
//! to find it, and a row that uses every kind of column correctly.

#![allow(clippy::unwrap_used)] // a test that cannot read its own fixture should fail loudly

use serde_json::json;
use spool_contact_lists::{
    Column, Consent, Delimiter, ListContact, Mapping, Rejection, Row, Sniffed, read,
};

const HEADERS: [&str; 10] = [
    "phone",
    "first",
    "last",
    "tags",
    "vip",
    "notes",
    "consent",
    "consent_at",
    "locale",
    "tz",
];

fn sniffed() -> Sniffed {
    Sniffed {
        headers: HEADERS.map(String::from).to_vec(),
        delimiter: Delimiter::Comma,
        suggested: Vec::new(),
    }
}

fn mapping() -> Mapping {
    Mapping {
        columns: vec![
            Column::Phone,
            Column::FirstName,
            Column::LastName,
            Column::Tags,
            Column::Tag { name: "vip".into() },
            Column::Property {
                name: "notes".into(),
            },
            Column::MarketingConsent,
            Column::ConsentAt,
            Column::Locale,
            Column::Timezone,
        ],
        default_country: Some("PT".into()),
    }
}

/// A row of `HEADERS` cells that is accepted, with `column` set to `value`.
fn row_with(column: usize, value: &str) -> String {
    let mut cells = [
        "+351912345678",
        "Ana",
        "Silva",
        "a|b;vip",
        "x",
        "hello",
        "yes",
        "2024-03-05T10:00:00Z",
        "pt-br",
        "America/Sao_Paulo",
    ]
    .map(String::from);
    cells[column] = value.to_owned();
    cells.join(",")
}

fn read_rows(body: &[u8]) -> Vec<Row> {
    let mut file = HEADERS.join(",").into_bytes();
    file.push(b'\n');
    file.extend_from_slice(body);
    read(&file[..], &sniffed(), &mapping()).unwrap().collect()
}

fn rejected(column: &str, value: &str, reason: &str) -> Row {
    Row::Rejected(Rejection {
        line: 2,
        column: Some(column.into()),
        value: Some(value.into()),
        reason: reason.into(),
    })
}

#[test]
fn a_row_using_every_column() {
    let rows = read_rows(row_with(1, "Ana").as_bytes());
    assert_eq!(
        rows,
        [Row::Accepted(ListContact {
            line: 2,
            phone: "351912345678".into(),
            name: Some("Ana Silva".into()),
            tags: vec!["a".into(), "b".into(), "vip".into()],
            properties: json!({"notes": "hello"}).as_object().cloned().unwrap(),
            marketing: Consent::Given,
            consent_at: Some("2024-03-05T10:00:00Z".into()),
            locale: Some("pt_BR".into()),
            timezone: Some("America/Sao_Paulo".into()),
        })]
    );
}

#[test]
fn each_problem_names_its_column_and_value() {
    let long_first = "A".repeat(195);
    let long_tag = "t".repeat(65);
    let long_notes = "n".repeat(1001);
    let cases: Vec<(usize, &str, Row)> = vec![
        (0, "", rejected("phone", "", "the phone number is empty")),
        (
            0,
            "call me",
            rejected("phone", "call me", "call me is not a valid phone number"),
        ),
        (
            1,
            &long_first,
            Row::Rejected(Rejection {
                line: 2,
                column: Some("first".into()),
                value: Some(format!("{long_first} Silva")),
                // First and last name joined: 195 + 1 + 5.
                reason: "the name is 201 characters long; at most 200 fit".into(),
            }),
        ),
        (
            3,
            &long_tag,
            rejected(
                "tags",
                &long_tag,
                &format!("the tag \"{long_tag}\" is 65 characters long; at most 64 fit"),
            ),
        ),
        (
            4,
            "maybe",
            rejected(
                "vip",
                "maybe",
                "\"maybe\" is not yes or no; write yes, no or leave the cell empty",
            ),
        ),
        (
            5,
            &long_notes,
            rejected(
                "notes",
                &long_notes,
                "the value is 1001 characters long; at most 1000 fit",
            ),
        ),
        (
            7,
            "05/03/2024",
            rejected(
                "consent_at",
                "05/03/2024",
                "\"05/03/2024\" is not a date Spool can read; write it as 2024-03-05 or 2024-03-05T14:30:00Z",
            ),
        ),
        (
            8,
            "Portuguese",
            rejected(
                "locale",
                "Portuguese",
                "\"Portuguese\" is not a language code like pt_BR, en_US or es",
            ),
        ),
        (
            9,
            "GMT-3",
            rejected(
                "tz",
                "GMT-3",
                "\"GMT-3\" is not a time zone name like America/Sao_Paulo, Europe/Lisbon or UTC",
            ),
        ),
    ];
    for (column, value, expected) in cases {
        let rows = read_rows(row_with(column, value).as_bytes());
        assert_eq!(rows, [expected], "{}", HEADERS[column]);
    }
}

#[test]
fn a_cell_that_is_not_utf8_is_refused_alone() {
    let mut body = row_with(5, "Jo\u{0}o").into_bytes();
    let zero = body.iter().position(|&byte| byte == 0).unwrap();
    body[zero] = 0xE3; // "ã" in Latin-1
    body.push(b'\n');
    body.extend_from_slice(row_with(0, "+351912345679").as_bytes());
    let rows = read_rows(&body);
    assert_eq!(
        rows[0],
        Row::Rejected(Rejection {
            line: 2,
            column: Some("notes".into()),
            value: Some("Jo\u{FFFD}o".into()),
            reason:
                "this cell is not UTF-8 text; save the file as \"CSV UTF-8\" and upload it again"
                    .into(),
        })
    );
    assert!(matches!(&rows[1], Row::Accepted(contact) if contact.line == 3));
}

#[test]
fn empty_cells_set_nothing() {
    let mut cells: Vec<&str> = vec![""; HEADERS.len()];
    cells[0] = "912345678";
    let rows = read_rows(cells.join(",").as_bytes());
    assert_eq!(
        rows,
        [Row::Accepted(ListContact {
            line: 2,
            phone: "351912345678".into(),
            name: None,
            tags: Vec::new(),
            properties: serde_json::Map::new(),
            marketing: Consent::NotStated,
            consent_at: None,
            locale: None,
            timezone: None,
        })]
    );
}
