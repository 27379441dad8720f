//! Helpers for Spool's end-to-end tests: they drive the real `spool` binary, as a user would.
//!
//! The binary is the one cargo put beside the test executables (`cargo test --workspace`
//! builds it, as builder-api has integration tests); a missing binary is a loud failure,
//! never a skipped test.

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

/// An example flow from `flows/examples/`, as JSON.
pub fn example_flow(name: &str) -> serde_json::Value {
    let path = workspace_root().join(format!("flows/examples/{name}.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|err| panic!("{} is not JSON: {err}", path.display()))
}

/// A `spool serve` started for a test, in a directory of its own; stopped with SIGTERM.
#[derive(Debug)]
pub struct Served {
    pub child: std::process::Child,
    pub address: String,
    pub dir: PathBuf,
    printed: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Served {
    /// Starts `spool serve` on a free port in a fresh directory, with `args` added, and
    /// waits until it says where it listens.
    pub fn start(args: &[&str]) -> Self {
        Self::start_env(args, &[])
    }

    /// As [`Served::start`], with environment variables set for the server.
    pub fn start_env(args: &[&str], env: &[(String, String)]) -> Self {
        use std::io::BufRead as _;
        let dir =
            std::env::temp_dir().join(format!("spool-serve-{}-{}", std::process::id(), unique()));
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|err| panic!("cannot create {}: {err}", dir.display()));
        let mut child = Command::new(spool_binary())
            .args(["serve", "--bind", "127.0.0.1:0"])
            .args(args)
            .envs(
                env.iter()
                    .map(|(key, value)| (key.as_str(), value.as_str())),
            )
            .current_dir(&dir)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start spool serve: {err}"));
        let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
        // Everything it prints is kept (and the pipe never fills or closes under it).
        let printed = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let (first_line, first) = std::sync::mpsc::channel();
        let lines = printed.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let _ = first_line.send(line.clone());
                lines
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(line);
            }
        });
        let line = first
            .recv_timeout(std::time::Duration::from_secs(60))
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
            printed,
        }
    }

    /// What it printed on stdout so far, line by line.
    pub fn printed(&self) -> Vec<String> {
        self.printed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
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

    /// Sends SIGTERM and waits, leaving its directory (and database) in place; true if it
    /// exited cleanly.
    pub fn stop_keeping_files(mut self) -> bool {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        self.child
            .wait()
            .map(|status| status.success())
            .unwrap_or(false)
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

/// Runs `spool serve` with `args` and `env` (and no `SPOOL_SECRET_KEY` but one `env` gives)
/// in a fresh directory, expecting it to refuse to start: returns its exit status and what
/// it wrote on stderr. Panics if it is still serving after a minute.
pub fn serve_refused(args: &[&str], env: &[(&str, &str)]) -> (std::process::ExitStatus, String) {
    use std::io::Read as _;
    let dir =
        std::env::temp_dir().join(format!("spool-refused-{}-{}", std::process::id(), unique()));
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|err| panic!("cannot create {}: {err}", dir.display()));
    let mut child = Command::new(spool_binary())
        .args(["serve", "--bind", "127.0.0.1:0"])
        .args(args)
        .env_remove("SPOOL_SECRET_KEY")
        .envs(env.iter().copied())
        .env("NO_COLOR", "1")
        .current_dir(&dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("cannot start spool serve: {err}"));
    let mut stderr = child.stderr.take().unwrap_or_else(|| panic!("no stderr"));
    let (done, read) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        let _ = done.send(text);
    });
    let Ok(text) = read.recv_timeout(std::time::Duration::from_secs(60)) else {
        let _ = child.kill();
        panic!("spool serve did not refuse to start within a minute");
    };
    let status = child
        .wait()
        .unwrap_or_else(|err| panic!("spool serve: {err}"));
    let _ = std::fs::remove_dir_all(&dir);
    (status, text)
}

/// The key test servers encrypt channel secrets with (passed as `SPOOL_SECRET_KEY`).
pub const TEST_SECRET_KEY: &str =
    "5b0f3c2a9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a29180f1e2d3c4b5a697887";

/// The first administrator's password in tests (passed as `SPOOL_ADMIN_PASSWORD`).
pub const ADMIN_EMAIL: &str = "admin@spool.test";
pub const ADMIN_PASSWORD: &str = "correct horse battery staple";

/// Which database a test server keeps its flows in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Database {
    /// A SQLite file in the server's directory (the default setup), embedded state store.
    Sqlite,
    /// A fresh database on the PostgreSQL at `SPOOL_TEST_POSTGRES_URL`, embedded state store.
    Postgres,
}

/// Where the tests' PostgreSQL is; `make test` makes sure it answers.
pub fn postgres_url() -> String {
    std::env::var("SPOOL_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// Where the tests' Redis is; `make test` makes sure it answers.
pub fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// Creates an empty PostgreSQL database for one test server and returns its URL.
pub async fn fresh_postgres_database() -> String {
    use sea_orm::ConnectionTrait;
    let admin_url = postgres_url();
    let name = format!("spool_test_{}_{}", std::process::id(), unique());
    let admin = sea_orm::Database::connect(&admin_url)
        .await
        .unwrap_or_else(|err| {
            panic!("PostgreSQL at {admin_url} is needed (SPOOL_TEST_POSTGRES_URL): {err}")
        });
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}"))
        .await
        .unwrap_or_else(|err| panic!("cannot drop {name}: {err}"));
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap_or_else(|err| panic!("cannot create {name}: {err}"));
    let _ = admin.close().await;
    match admin_url.rsplit_once('/') {
        Some((server, _)) => format!("{server}/{name}"),
        None => panic!("SPOOL_TEST_POSTGRES_URL has no database part: {admin_url}"),
    }
}

/// A `spool serve` for an API test, with a known first administrator.
#[derive(Debug)]
pub struct Server {
    pub served: Served,
    pub base: String,
    /// The database URL it runs on.
    pub database_url: String,
    /// Its Redis key prefix, when it keeps state in Redis.
    pub redis_prefix: Option<String>,
}

/// What [`Server::start`] should add to the defaults.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Keep contact and run state in Redis (under a prefix of its own) instead of the database.
    pub redis: bool,
    /// More `spool serve` arguments.
    pub args: Vec<String>,
    /// More environment variables.
    pub env: Vec<(String, String)>,
    /// Start without `SPOOL_SECRET_KEY` (servers get [`TEST_SECRET_KEY`] otherwise).
    pub without_secret_key: bool,
}

impl Server {
    /// Starts a server on `database` with defaults otherwise.
    pub async fn start(database: Database) -> Self {
        Self::start_with(database, Options::default()).await
    }

    pub async fn start_with(database: Database, options: Options) -> Self {
        let database_url = match database {
            Database::Sqlite => None,
            Database::Postgres => Some(fresh_postgres_database().await),
        };
        let mut args: Vec<String> = Vec::new();
        if let Some(url) = &database_url {
            args.extend(["--database-url".to_owned(), url.clone()]);
        }
        let redis_prefix = options
            .redis
            .then(|| format!("spool-api-test-{}-{}", std::process::id(), unique()));
        if options.redis {
            args.extend(["--redis-url".to_owned(), redis_url()]);
        }
        args.extend(options.args.iter().cloned());
        let mut env = vec![
            ("SPOOL_ADMIN_EMAIL".to_owned(), ADMIN_EMAIL.to_owned()),
            ("SPOOL_ADMIN_PASSWORD".to_owned(), ADMIN_PASSWORD.to_owned()),
        ];
        if let Some(prefix) = &redis_prefix {
            env.push(("SPOOL_REDIS_PREFIX".to_owned(), prefix.clone()));
        }
        // An empty value is no key (the test process's own SPOOL_SECRET_KEY is not inherited).
        let key = if options.without_secret_key {
            ""
        } else {
            TEST_SECRET_KEY
        };
        env.push(("SPOOL_SECRET_KEY".to_owned(), key.to_owned()));
        env.extend(options.env.iter().cloned());
        let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let served = Served::start_env(&arg_refs, &env);
        let base = format!("http://{}", served.address);
        let database_url = database_url
            .unwrap_or_else(|| format!("sqlite://{}", served.dir.join("spool.sqlite").display()));
        Self {
            served,
            base,
            database_url,
            redis_prefix,
        }
    }

    /// A client with no credentials.
    pub fn anonymous(&self) -> Client {
        Client::new(&self.base)
    }

    /// The first administrator, signed in (session cookie and CSRF token).
    pub async fn admin(&self) -> Client {
        self.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await
    }

    /// Signs in as someone; panics when refused.
    pub async fn sign_in(&self, email: &str, password: &str) -> Client {
        let mut client = Client::new(&self.base);
        let response = client
            .post(
                "/api/v1/session",
                &serde_json::json!({ "email": email, "password": password }),
            )
            .await;
        assert_eq!(response.status, 200, "sign-in refused: {}", response.body);
        client.csrf = response.body["csrf_token"].as_str().map(str::to_owned);
        client
    }

    /// Stops it (SIGTERM); true if it exited cleanly.
    pub fn stop(self) -> bool {
        self.served.terminate()
    }
}

/// An HTTP response, its body read as JSON (`Null` when empty or not JSON; `text` has it raw).
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: serde_json::Value,
    pub text: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// The `error.code` of a JSON error.
    pub fn error_code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_default()
    }
}

/// An API client: a cookie jar, and a CSRF token or an API key.
#[derive(Clone, Debug)]
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub csrf: Option<String>,
    pub api_key: Option<String>,
}

impl Client {
    pub fn new(base: &str) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .unwrap_or_else(|err| panic!("HTTP client: {err}"));
        Self {
            http,
            base: base.to_owned(),
            csrf: None,
            api_key: None,
        }
    }

    /// A client that authenticates with an API key only.
    pub fn with_api_key(base: &str, key: &str) -> Self {
        let mut client = Self::new(base);
        client.api_key = Some(key.to_owned());
        client
    }

    /// A request with this client's credentials; `path` is relative to the server.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let mut builder = self.http.request(method, format!("{}{path}", self.base));
        if let Some(csrf) = &self.csrf {
            builder = builder.header("X-CSRF-Token", csrf);
        }
        if let Some(key) = &self.api_key {
            builder = builder.bearer_auth(key);
        }
        builder
    }

    pub async fn send(&self, builder: reqwest::RequestBuilder) -> Response {
        let response = builder
            .send()
            .await
            .unwrap_or_else(|err| panic!("request failed: {err}"));
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response
            .text()
            .await
            .unwrap_or_else(|err| panic!("cannot read the response: {err}"));
        let body = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
        Response {
            status,
            headers,
            body,
            text,
        }
    }

    pub async fn get(&self, path: &str) -> Response {
        self.send(self.request(reqwest::Method::GET, path)).await
    }

    pub async fn post(&self, path: &str, body: &serde_json::Value) -> Response {
        self.send(self.request(reqwest::Method::POST, path).json(body))
            .await
    }

    pub async fn put(&self, path: &str, body: &serde_json::Value) -> Response {
        self.send(self.request(reqwest::Method::PUT, path).json(body))
            .await
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.send(self.request(reqwest::Method::DELETE, path)).await
    }

    /// Lets (or stops) the default workspace's events and HTTP calls reach private
    /// addresses: the tests' stand-ins listen on 127.0.0.1.
    pub async fn allow_private_targets(&self, allow: bool) {
        let set = self
            .put(
                "/api/v1/workspaces/default/settings/network",
                &serde_json::json!({ "allow_private_targets": allow }),
            )
            .await;
        assert_eq!(set.status, 200, "{}", set.text);
        assert_eq!(set.body["allow_private_targets"], allow, "{}", set.text);
    }
}

/// Runs async API tests once per database: `on_both_databases!(a, b)` defines the tests
/// `on_sqlite::a`, `on_postgres::a`, … calling `a(Database::Sqlite)` and so on.
#[macro_export]
macro_rules! on_both_databases {
    ($($test:ident),+ $(,)?) => {
        pub mod on_sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test($crate::Database::Sqlite).await;
                }
            )+
        }
        pub mod on_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test($crate::Database::Postgres).await;
                }
            )+
        }
    };
}

/// A webhook body from `tests/fixtures/whatsapp/` as Meta would send it now: its message
/// timestamps moved to the present, so the contact's 24-hour window is open.
#[allow(clippy::disallowed_methods)] // the server's clock is the real one: so is Meta's
pub fn whatsapp_fixture(name: &str) -> String {
    let file = workspace_root().join("tests/fixtures/whatsapp").join(name);
    let text =
        std::fs::read_to_string(&file).unwrap_or_else(|err| panic!("{}: {err}", file.display()));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs();
    let mut fresh = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest.find("\"timestamp\": \"") {
        let (before, after) = rest.split_at(at + "\"timestamp\": \"".len());
        fresh.push_str(before);
        fresh.push_str(&now.to_string());
        rest = after.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    fresh.push_str(rest);
    fresh
}
