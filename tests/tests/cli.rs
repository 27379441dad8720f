//! `spool validate` as a user meets it: its words, its JSON, its exit codes.

use std::path::Path;

use spool_tests::{spool, workspace_root};

fn invalid_examples() -> Vec<String> {
    let dir = workspace_root().join("flows/examples/invalid");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("cannot list {}: {err}", dir.display()))
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .filter_map(|path| {
            path.file_name()
                .map(|name| name.to_string_lossy().into_owned())
        })
        .collect();
    names.sort();
    names
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn valid_examples_pass_with_exit_code_zero() {
    let output = spool(&[
        "validate",
        "flows/examples/abandoned-cart.json",
        "flows/examples/ctwa-lead-qualification.json",
        "flows/examples/order-status.json",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    insta::assert_snapshot!("valid_examples", stdout(&output));
}

#[test]
fn each_invalid_example_fails_or_warns_with_its_diagnostics() {
    let names = invalid_examples();
    assert!(!names.is_empty());
    for name in names {
        let path = format!("flows/examples/invalid/{name}");
        let human = spool(&["validate", &path]);
        let json = spool(&["validate", "--json", &path]);
        let reports: serde_json::Value = serde_json::from_slice(&json.stdout)
            .unwrap_or_else(|err| panic!("{path}: --json printed no JSON: {err}"));
        let has_errors = reports[0]["errors"].as_u64().unwrap_or(0) > 0;
        // Warnings alone do not fail validation; errors do, in both output modes.
        let expected_code = if has_errors { 1 } else { 0 };
        assert_eq!(human.status.code(), Some(expected_code), "{path}");
        assert_eq!(json.status.code(), Some(expected_code), "{path}");
        let stem = Path::new(&name)
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or(name.clone());
        insta::assert_snapshot!(format!("human__{stem}"), stdout(&human));
        insta::assert_snapshot!(format!("json__{stem}"), stdout(&json));
    }
}

#[test]
fn several_files_get_a_summary_and_fail_if_any_fails() {
    let output = spool(&[
        "validate",
        "flows/examples/order-status.json",
        "flows/examples/invalid/missing-trigger.json",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).contains("2 files checked: 1 valid, 1 with errors"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn a_missing_file_is_reported_not_a_crash() {
    let output = spool(&["validate", "flows/examples/no-such-flow.json"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).contains("unreadable_file"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn colour_is_used_only_when_asked_or_on_a_terminal() {
    let plain = spool(&["validate", "flows/examples/invalid/missing-trigger.json"]);
    assert!(
        !stdout(&plain).contains('\u{1b}'),
        "escape codes in piped output"
    );
    let forced = std::process::Command::new(spool_tests::spool_binary())
        .args([
            "--color",
            "always",
            "validate",
            "flows/examples/invalid/missing-trigger.json",
        ])
        .current_dir(workspace_root())
        .output()
        .expect("runs");
    assert!(
        stdout(&forced).contains('\u{1b}'),
        "no colour with --color always"
    );
}
