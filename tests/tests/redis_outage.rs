//! Redis goes away under a running `spool serve`: a webhook then answers 503
//! `store_unavailable` promptly (never hangs, never claims to have accepted the event), and
//! works again once Redis is back. The Redis is one the test starts on a free port of its own.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;
use spool_tests::{Client, Database, Options, Response, Server};

/// Generous: the point is that the answer comes at all, not how fast.
const ANSWERED_WITHIN: Duration = Duration::from_secs(5);

struct Redis {
    child: Child,
    port: u16,
    dir: std::path::PathBuf,
}

impl Redis {
    fn start(port: u16, dir: &std::path::Path) -> Self {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|err| panic!("redis-server is needed for this test: {err}"));
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "redis-server did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            child,
            port,
            dir: dir.to_owned(),
        }
    }

    fn stop(mut self) -> (u16, std::path::PathBuf) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        (self.port, self.dir.clone())
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .unwrap_or_else(|err| panic!("no free port: {err}"))
}

async fn order_update(client: &Client, n: u32) -> (Response, Duration) {
    let started = Instant::now();
    let request = client
        .request(Method::POST, "/hooks/default/order-update")
        .json(&json!({ "phone": "+4915112345678", "n": n }))
        .timeout(Duration::from_secs(30));
    let response = client.send(request).await;
    (response, started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_answers_503_while_redis_is_away_and_works_once_it_is_back() {
    let dir = std::env::temp_dir().join(format!("spool-redis-outage-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|err| panic!("{}: {err}", dir.display()));
    let redis = Redis::start(free_port(), &dir);
    let server = Server::start_with(
        Database::Sqlite,
        Options {
            args: vec![
                "--redis-url".into(),
                format!("redis://127.0.0.1:{}", redis.port),
            ],
            ..Options::default()
        },
    )
    .await;
    let admin = server.admin().await;
    let flow = json!({
        "schema": 1, "id": "orders", "name": "Order updates",
        "nodes": [
            { "id": "hook", "type": "webhook", "position": { "x": 0, "y": 0 },
              "config": { "hook": "order-update", "contact": "payload.phone" } },
            { "id": "done", "type": "end", "position": { "x": 250, "y": 0 }, "config": {} }
        ],
        "edges": [{ "from": "hook", "port": "next", "to": "done" }]
    });
    let created = admin.post("/api/v1/workspaces/default/flows", &flow).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let published = admin
        .post(
            "/api/v1/workspaces/default/flows/orders/publish",
            &json!({}),
        )
        .await;
    assert_eq!(published.status, 201, "{}", published.text);
    let shop = server.anonymous();
    let (before, _) = order_update(&shop, 1).await;
    assert_eq!(before.status, 202, "{}", before.text);

    let (port, dir) = redis.stop();
    for n in 2..6 {
        let (away, took) = order_update(&shop, n).await;
        assert_eq!(away.status, 503, "while Redis is away: {}", away.text);
        assert_eq!(away.error_code(), "store_unavailable", "{}", away.text);
        assert!(
            took < ANSWERED_WITHIN,
            "the webhook took {took:?} to say the store is away"
        );
    }

    let _back = Redis::start(port, &dir);
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut n = 10;
    loop {
        let (again, _) = order_update(&shop, n).await;
        if again.status == 202 {
            break;
        }
        assert_eq!(again.status, 503, "{}", again.text);
        assert!(
            Instant::now() < deadline,
            "the webhook still fails after Redis came back: {}",
            again.text
        );
        n += 1;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(server.stop(), "the server did not stop cleanly");
    let _ = std::fs::remove_dir_all(&dir);
}
