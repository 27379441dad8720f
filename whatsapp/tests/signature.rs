//! The webhook signature over a fixture's raw bytes: what Meta signs is the escaped body as
//! sent, so a signature must be checked before any parsing.

use spool_whatsapp::{SignatureError, sign, verify};

const APP_SECRET: &str = "0123456789abcdef0123456789abcdef";

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../tests/fixtures/whatsapp/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|err| panic!("{path}: {err}"))
}

#[test]
fn a_signature_over_the_raw_bytes_verifies() {
    let body = fixture("non_ascii.json");
    let header = sign(APP_SECRET, &body);
    assert!(header.starts_with("sha256="));
    assert_eq!(header.len(), "sha256=".len() + 64);
    assert!(
        header[7..]
            .bytes()
            .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte)),
        "lowercase hex, as Meta sends it: {header}"
    );
    assert_eq!(verify(APP_SECRET, &body, Some(&header)), Ok(()));
}

#[test]
fn one_changed_byte_fails_the_check() {
    let body = fixture("non_ascii.json");
    let header = sign(APP_SECRET, &body);
    for position in [0, body.len() / 2, body.len() - 1] {
        let mut tampered = body.clone();
        tampered[position] ^= 0x01;
        assert_eq!(
            verify(APP_SECRET, &tampered, Some(&header)),
            Err(SignatureError::Mismatch),
            "byte {position}"
        );
    }
    let mut wrong_digest = header.into_bytes();
    let last = wrong_digest.len() - 1;
    wrong_digest[last] = if wrong_digest[last] == b'0' {
        b'1'
    } else {
        b'0'
    };
    let wrong_digest = String::from_utf8(wrong_digest).expect("ascii");
    assert_eq!(
        verify(APP_SECRET, &body, Some(&wrong_digest)),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn re_serialised_json_is_not_what_meta_signed() {
    let body = fixture("non_ascii.json");
    let raw = std::str::from_utf8(&body).expect("Meta's bodies are ASCII");
    assert!(
        raw.contains(r"J\u00fcrgen"),
        "the fixture keeps Meta's escaping"
    );
    let parsed: serde_json::Value = serde_json::from_slice(&body).expect("json");
    let reserialised = serde_json::to_vec(&parsed).expect("serializes");
    assert_ne!(reserialised, body, "serde writes the umlaut as UTF-8");
    let header = sign(APP_SECRET, &body);
    assert_ne!(sign(APP_SECRET, &reserialised), header);
    assert_eq!(
        verify(APP_SECRET, &reserialised, Some(&header)),
        Err(SignatureError::Mismatch),
        "verifying parsed-then-written JSON fails on the first non-ASCII character"
    );
}
