//! The example journeys validate clean; every invalid example yields exactly its expected
//! diagnostics; and every example survives parse → serialize → parse unchanged.

use std::path::{Path, PathBuf};

use spool_flows::{Diagnostic, check};

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|err| panic!("cannot list {}: {err}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()))
}

/// `severity code node_id field`, with `-` for what a diagnostic does not name.
fn line_of(diagnostic: &Diagnostic) -> String {
    format!(
        "{} {} {} {}",
        diagnostic.severity,
        diagnostic.code,
        diagnostic.node_id.as_deref().unwrap_or("-"),
        diagnostic.field.as_deref().unwrap_or("-")
    )
}

#[test]
fn the_three_journeys_exist() {
    for name in [
        "abandoned-cart.json",
        "ctwa-lead-qualification.json",
        "order-status.json",
    ] {
        assert!(
            examples_dir().join(name).is_file(),
            "flows/examples/{name} is missing"
        );
    }
}

#[test]
fn every_example_validates_clean() {
    let files = json_files(&examples_dir());
    assert!(!files.is_empty());
    for path in files {
        let checked = check(&read(&path));
        let lines: Vec<String> = checked.diagnostics.iter().map(line_of).collect();
        assert!(
            lines.is_empty(),
            "{} should validate clean, got:\n{}",
            path.display(),
            lines.join("\n")
        );
        let flow = checked
            .flow
            .unwrap_or_else(|| panic!("{} was not read whole", path.display()));
        spool_flows::compile(flow)
            .unwrap_or_else(|err| panic!("{} does not compile: {err}", path.display()));
    }
}

#[test]
fn every_invalid_example_yields_exactly_its_expected_diagnostics() {
    let files = json_files(&examples_dir().join("invalid"));
    assert!(
        files.len() >= 20,
        "expected an invalid example per rule, found {}",
        files.len()
    );
    let mut failures = Vec::new();
    for path in files {
        let expect_path = path.with_extension("expect");
        let mut expected: Vec<String> = read(&expect_path)
            .lines()
            .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .collect();
        let checked = check(&read(&path));
        let mut actual: Vec<String> = checked.diagnostics.iter().map(line_of).collect();
        expected.sort();
        actual.sort();
        assert!(
            !expected.is_empty(),
            "{} expects nothing",
            expect_path.display()
        );
        if expected != actual {
            failures.push(format!(
                "{}\n  expected: {expected:?}\n  actual:   {actual:?}",
                path.display()
            ));
        }
        for diagnostic in &checked.diagnostics {
            assert!(
                !diagnostic.message.is_empty(),
                "{}: empty message",
                path.display()
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn examples_round_trip_through_json_unchanged() {
    let mut files = json_files(&examples_dir());
    files.extend(json_files(&examples_dir().join("invalid")));
    for path in files {
        // Only documents that can be read whole have a typed form to round-trip.
        let Some(flow) = check(&read(&path)).flow else {
            continue;
        };
        let written = serde_json::to_string_pretty(&flow).expect("serializes");
        let again = check(&written)
            .flow
            .unwrap_or_else(|| panic!("{} does not read back", path.display()));
        assert_eq!(flow, again, "{} changed in a round trip", path.display());
        // The derived (strict) deserializer agrees with the lenient reader.
        let strict: spool_flows::Flow = serde_json::from_str(&written).expect("strict read");
        assert_eq!(
            flow,
            strict,
            "{}: strict and lenient readers disagree",
            path.display()
        );
    }
}
