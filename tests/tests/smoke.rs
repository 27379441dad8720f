//! The smoke test: the real `spool serve` with nothing but defaults, as `make run` starts it —
//! ready, signed in with the printed password, a flow created and published, and a
//! conversation with it through the simulator.

use serde_json::{Value, json};
use spool_tests::{Client, Served};

fn texts(step: &Value) -> Vec<String> {
    step["entries"]
        .as_array()
        .map(|entries| {
            entries
                .iter()
                .filter(|entry| entry["direction"] == "flow")
                .filter_map(|entry| entry["text"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_spool_serves_publishes_and_simulates() {
    let served = Served::start(&[]);
    let base = format!("http://{}", served.address);
    let anonymous = Client::new(&base);
    assert_eq!(anonymous.get("/healthz").await.status, 200);
    let mut ready = anonymous.get("/readyz").await;
    for _ in 0..50 {
        if ready.status == 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        ready = anonymous.get("/readyz").await;
    }
    assert_eq!(
        ready.body,
        json!({ "status": "ready", "database": "sqlite", "store": "embedded" })
    );

    let mut password = None;
    for _ in 0..100 {
        password = served.printed().iter().find_map(|line| {
            line.strip_prefix("First start: sign in as admin@spool.local with the password ")
                .and_then(|rest| rest.split_whitespace().next())
                .map(str::to_owned)
        });
        if password.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let password = password.unwrap_or_else(|| panic!("no password in {:?}", served.printed()));
    let mut admin = Client::new(&base);
    let session = admin
        .post(
            "/api/v1/session",
            &json!({ "email": "admin@spool.local", "password": password }),
        )
        .await;
    assert_eq!(session.status, 200, "{}", session.text);
    admin.csrf = session.body["csrf_token"].as_str().map(str::to_owned);

    let path = spool_tests::workspace_root().join("flows/examples/ctwa-lead-qualification.json");
    let document: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("example")).expect("JSON");
    let flows = "/api/v1/workspaces/default/flows";
    assert_eq!(admin.post(flows, &document).await.status, 201);
    let published = admin
        .post(
            &format!("{flows}/ctwa-lead-qualification/publish"),
            &json!({}),
        )
        .await;
    assert_eq!(published.status, 201, "{}", published.text);

    let simulations = "/api/v1/workspaces/default/simulations";
    let created = admin
        .post(
            simulations,
            &json!({ "flow": "ctwa-lead-qualification", "source": "published", "contact": { "name": "Ana" } }),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.body["id"].as_str().expect("simulation id");
    let first = admin
        .post(
            &format!("{simulations}/{id}/messages"),
            &json!({ "text": "Hi! I saw your ad", "referral": { "source_id": "120210", "headline": "Spring sale" } }),
        )
        .await;
    assert_eq!(first.status, 200, "{}", first.text);
    let said = texts(&first.body).join("\n");
    assert!(
        said.contains("Hi Ana") && said.contains("Spring sale"),
        "{said}"
    );
    let second = admin
        .post(
            &format!("{simulations}/{id}/messages"),
            &json!({ "text": "800" }),
        )
        .await;
    let said = texts(&second.body).join("\n");
    assert!(
        said.contains("2/3: When would you like to start?"),
        "{said}"
    );

    assert!(served.terminate(), "spool serve exits cleanly on SIGTERM");
}
