//! Helpers for Spool's end-to-end tests: they drive the real `spool` binary, as a user would.
//!
//! The binary is the one `cargo build` put beside the test executables (`make test` builds it
//! first); a missing binary is a loud failure, never a skipped test.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The workspace root, where the tests run `spool` so that paths in its output are stable.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The path of the built `spool` binary.
pub fn spool_binary() -> PathBuf {
    // Test executables live in target/<profile>/deps; the binary in target/<profile>.
    let exe = std::env::current_exe().unwrap_or_default();
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let binary = profile_dir.join(format!("spool{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.is_file(),
        "the spool binary is not built at {}: run `cargo build -p spool-builder-api` (make test does)",
        binary.display()
    );
    binary
}

/// Runs `spool` with `args` from the workspace root, colours off.
pub fn spool(args: &[&str]) -> Output {
    Command::new(spool_binary())
        .args(args)
        .current_dir(workspace_root())
        .env("NO_COLOR", "1")
        .output()
        .unwrap_or_else(|err| panic!("cannot run spool: {err}"))
}
