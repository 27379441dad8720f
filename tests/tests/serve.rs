//! `spool serve` as someone starting it on a fresh machine meets it: defaults only (a SQLite
//! file in the working directory, the embedded store), health, readiness, the node catalog,
//! JSON errors, and a clean stop on SIGTERM.

use spool_tests::Served;

#[test]
fn serve_starts_with_defaults_answers_and_stops_cleanly() {
    let served = Served::start(&[]);
    assert_eq!(
        served.get("/healthz"),
        (200, r#"{"status":"ok"}"#.to_owned())
    );
    assert_eq!(
        served.get("/readyz"),
        (
            200,
            r#"{"status":"ready","database":"sqlite","store":"embedded"}"#.to_owned()
        )
    );
    assert!(
        served.dir.join("spool.sqlite").is_file(),
        "the default database is a file in the working directory"
    );

    let (status, body) = served.get("/api/v1/node-types");
    assert_eq!(status, 200);
    let catalog: serde_json::Value = serde_json::from_str(&body).expect("the catalog is JSON");
    let types: Vec<&str> = catalog
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|entry| entry["type"].as_str())
        .collect();
    assert_eq!(types.len(), spool_flows::NodeType::ALL.len());
    let buttons = catalog
        .as_array()
        .and_then(|all| all.iter().find(|entry| entry["type"] == "send_buttons"))
        .expect("send_buttons");
    assert_eq!(buttons["category"], "messaging");
    assert!(
        buttons["config_schema"]["properties"]["buttons"].is_object(),
        "{buttons}"
    );

    let (status, body) = served.get("/no/such/thing");
    assert_eq!(status, 404);
    let error: serde_json::Value = serde_json::from_str(&body).expect("errors are JSON");
    assert_eq!(error["error"]["code"], "not_found");

    assert!(served.terminate(), "spool serve exits cleanly on SIGTERM");
}

#[test]
fn serve_with_redis_reports_it_ready() {
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let served = Served::start(&["--redis-url", &url, "--partitions", "4"]);
    assert_eq!(
        served.get("/readyz"),
        (
            200,
            r#"{"status":"ready","database":"sqlite","store":"redis"}"#.to_owned()
        )
    );
    assert!(served.terminate());
}
