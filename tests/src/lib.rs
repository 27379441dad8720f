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

/// A `spool serve` started for a test, in a directory of its own; stopped with SIGTERM.
#[derive(Debug)]
pub struct Served {
    pub child: std::process::Child,
    pub address: String,
    pub dir: PathBuf,
}

impl Served {
    /// Starts `spool serve` on a free port in a fresh directory, with `args` added, and
    /// waits until it says where it listens.
    pub fn start(args: &[&str]) -> Self {
        use std::io::BufRead;
        let dir =
            std::env::temp_dir().join(format!("spool-serve-{}-{}", std::process::id(), unique()));
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|err| panic!("cannot create {}: {err}", dir.display()));
        let mut child = Command::new(spool_binary())
            .args(["serve", "--bind", "127.0.0.1:0"])
            .args(args)
            .current_dir(&dir)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start spool serve: {err}"));
        let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .unwrap_or_else(|err| panic!("spool serve said nothing: {err}"));
        let address = line
            .trim()
            .strip_prefix("Spool is running at http://")
            .unwrap_or_else(|| panic!("unexpected first line from spool serve: {line:?}"))
            .to_owned();
        Self {
            child,
            address,
            dir,
        }
    }

    /// A GET over plain HTTP/1.1: (status, body).
    pub fn get(&self, path: &str) -> (u16, String) {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(&self.address)
            .unwrap_or_else(|err| panic!("cannot connect: {err}"));
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.address
        )
        .unwrap_or_else(|err| panic!("cannot send: {err}"));
        let mut response = String::new();
        stream
            .read_to_string(&mut response)
            .unwrap_or_else(|err| panic!("cannot read: {err}"));
        let status = response
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or(0);
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, body)| body.to_owned())
            .unwrap_or_default();
        (status, body)
    }

    /// Sends SIGTERM and waits; true if it exited cleanly.
    pub fn terminate(mut self) -> bool {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let clean = self
            .child
            .wait()
            .map(|status| status.success())
            .unwrap_or(false);
        let _ = std::fs::remove_dir_all(&self.dir);
        clean
    }
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::SeqCst)
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
