//! `spool simulate FILE` in a terminal's place: the contact's lines piped in, the flow's
//! messages read back.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use spool_tests::{spool_binary, workspace_root};

/// Runs `spool simulate` with `args`, typing `input` as the contact.
fn simulate(args: &[&str], input: &str) -> Output {
    let mut child = Command::new(spool_binary())
        .arg("simulate")
        .args(args)
        .current_dir(workspace_root())
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("cannot run spool simulate: {err}"));
    let mut stdin = child.stdin.take().unwrap_or_else(|| panic!("no stdin"));
    stdin
        .write_all(input.as_bytes())
        .unwrap_or_else(|err| panic!("cannot type into spool simulate: {err}"));
    drop(stdin);
    child
        .wait_with_output()
        .unwrap_or_else(|err| panic!("spool simulate did not finish: {err}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `needle`s appear in `haystack` in this order.
fn in_order(haystack: &str, needles: &[&str]) {
    let mut rest = haystack;
    for needle in needles {
        match rest.find(needle) {
            Some(at) => rest = &rest[at + needle.len()..],
            None => panic!("{needle:?} missing (or out of order) in:\n{haystack}"),
        }
    }
}

#[test]
fn the_lead_journey_asks_its_questions_and_reacts_to_the_answers() {
    let output = simulate(
        &[
            "flows/examples/ctwa-lead-qualification.json",
            "--name",
            "Bea",
            "--at",
            "2026-03-02T10:00:00Z",
        ],
        "Hi, I saw your ad\nlots\n900\n/button tomorrow\n/button just_looking\nWebsite\n/state\n/quit\nnever read\n",
    );
    let stdout = text(&output.stdout);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    in_order(
        &stdout,
        &[
            "Simulating Ad lead qualification as +15550100001",
            "you:  Hi, I saw your ad",
            "flow: Hi Bea, thanks for your interest in Simulated ad!",
            "1/3: What is your monthly budget, in euros?",
            "you:  lots",
            "flow: Sorry, I need just a number in euros, e.g. 800.",
            "you:  900",
            "flow: 2/3: When would you like to start?",
            "[This month] [In 1-3 months] [Just looking]",
            "answer with /button this_month, /button next_months, /button just_looking",
            "you:  /button just_looking",
            "flow: 3/3: In a sentence or two, what do you need help with?",
            "you:  Website",
            "flow: Thanks for your answers, Bea! Whenever you are ready, our guides are at https://example.com/guides.",
            "Run r1 ended.",
            "Contact: tag +ctwa, tag +lead-cold.",
            "\"lead-cold\"",
        ],
    );
    assert!(!stdout.contains("never read"), "{stdout}");
    assert!(
        stderr.contains("No button \"tomorrow\" was sent to the contact; the latest offered: this_month, next_months, just_looking."),
        "{stderr}"
    );
}

#[test]
fn a_webhook_journey_starts_with_its_payload_and_waits_for_the_clock() {
    let payload = r#"{"cart": {"id": "c-1", "total": 80, "currency": "EUR", "purchased": false, "checkout_url": "https://shop.example/c-1"}}"#;
    let output = simulate(
        &[
            "flows/examples/abandoned-cart.json",
            "--name",
            "Ana",
            "--opt-in",
            "--payload",
            payload,
            "--at",
            "2026-03-02T10:00:00Z",
            "--trace",
        ],
        "/next\n/button cart_not_interested\n",
    );
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}\n{}",
        text(&output.stderr)
    );
    in_order(
        &stdout,
        &[
            "Abandoned cart recovery started by the business, with the payload given.",
            "wait_1h waits until 2026-03-02T11:00:00Z (1h from now).",
            "you:  /next",
            "[2026-03-02T11:00:00Z] The delay is over.",
            "| r1 still_in_cart left:true",
            "flow: Template cart_reminder (marketing, en)",
            "body: Ana | EUR 80",
            "answer with /button cart_discount, /button cart_not_interested",
            "| r1 wait_answer resumed {\"cart_answer\":\"cart_not_interested\"}",
            "| r1 route_answer left:not_interested",
            "flow: No problem, Ana, we won't remind you about this cart again.",
        ],
    );
}

#[test]
fn an_invalid_flow_is_reported_instead_of_simulated() {
    let output = simulate(&["flows/examples/invalid/missing-trigger.json"], "hi\n");
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("missing_trigger"), "{stdout}");
}
