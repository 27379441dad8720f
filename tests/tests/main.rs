//! Spool end to end: the real `spool` binary, or the server wired as `spool serve` wires
//! it, against real Redis and PostgreSQL. One binary holds every file (each a module
//! named after it), so `cargo test -p spool-tests --test e2e whatsapp::` runs one file's
//! tests; `every_test_file_is_compiled` keeps a new file from being left out silently.

mod ai_model;
mod api;
mod campaigns;
mod channels;
mod chatwoot;
mod cli;
mod cli_simulate;
mod contacts;
mod directory;
mod editor;
mod events_out;
mod flow_list;
mod handoffs;
mod imports;
mod inbox_cart;
mod inbox_reply;
mod limits;
mod publish_notes;
mod publishing;
mod redis_outage;
mod serve;
mod simulator;
mod simulator_shortcuts;
mod smoke;
mod templates;
mod webhooks;
mod whatsapp;
mod whatsapp_cart;
mod whatsapp_limits;

/// `autotests = false` means cargo no longer finds test files by itself: a file in this
/// directory that is not declared above would never run.
#[test]
fn every_test_file_is_compiled() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let main = std::fs::read_to_string(dir.join("main.rs")).expect("main.rs is readable");
    let declared: Vec<&str> = main
        .lines()
        .filter_map(|line| line.strip_prefix("mod ")?.strip_suffix(';'))
        .collect();
    let entries = std::fs::read_dir(&dir).expect("the tests directory is readable");
    for entry in entries.flatten() {
        let path = entry.path();
        let name = match (path.is_dir(), path.extension()) {
            (true, _) if path.join("mod.rs").exists() => path.file_name(),
            (false, Some(ext)) if ext == "rs" => path.file_stem(),
            _ => continue,
        };
        let name = name.and_then(|name| name.to_str()).unwrap_or_default();
        if name != "main" {
            assert!(
                declared.contains(&name),
                "tests/{name} is not declared in tests/main.rs: its tests would never run"
            );
        }
    }
}
