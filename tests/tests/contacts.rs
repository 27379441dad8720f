//! Contacts, runs, erasure and the funnel over real HTTP, on SQLite and PostgreSQL, and
//! erasure once more with state in Redis.
//!
//! A contact enters a journey through the API (a tag added by PATCH starts an `event`
//! flow); its reply is put straight into the log of the store the server runs on, as the
//! WhatsApp webhook would. After erasure, every text column of every table and every Redis
//! key under the server's prefix is searched for the number.

use std::time::Duration;

use sea_orm::{ConnectionTrait, Database as Db, DatabaseConnection, Statement};
use serde_json::{Value, json};
use spool_nodes::{Content, InboundMessage};
use spool_runtime::Event;
use spool_runtime::ScopedId;
use spool_runtime::clock::{Clock, SystemClock};
use spool_runtime::state::contact_id_for;
use spool_runtime::store::Store;
use spool_runtime::store::embedded::{EmbeddedConfig, EmbeddedStore};
use spool_runtime::store::redis::{RedisConfig, RedisStore};
use spool_tests::{Client, Database, Options, Response, Server, on_both_databases, redis_url};

const PARTITIONS: u16 = 4;
/// Ana's number: WhatsApp's id, and as the API takes it.
const ANA: &str = "4915112345678";
const ANA_PATH: &str = "/api/v1/workspaces/default/contacts/%2B4915112345678";

pub(crate) fn welcome_flow() -> Value {
    json!({
        "schema": 1,
        "id": "welcome",
        "name": "Welcome",
        "nodes": [
            { "id": "tagged", "type": "event", "config": { "event": "tag_added", "tag": "lead" } },
            { "id": "ask", "type": "wait_for_reply", "config": { "variable": "answer", "timeout": "1h" } },
            { "id": "thanks", "type": "send_text", "config": { "text": "Thanks, {{ vars.answer }}!" } },
            { "id": "bye", "type": "end" }
        ],
        "edges": [
            { "from": "tagged", "port": "next", "to": "ask" },
            { "from": "ask", "port": "reply", "to": "thanks" },
            { "from": "ask", "port": "timeout", "to": "bye" },
            { "from": "thanks", "port": "next", "to": "bye" }
        ]
    })
}

async fn start(db: Database, redis: bool) -> Server {
    Server::start_with(
        db,
        Options {
            redis,
            args: vec!["--partitions".into(), PARTITIONS.to_string()],
            ..Options::default()
        },
    )
    .await
}

async fn publish_welcome(admin: &Client) {
    let created = admin
        .post("/api/v1/workspaces/default/flows", &welcome_flow())
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let published = admin
        .post(
            "/api/v1/workspaces/default/flows/welcome/publish",
            &json!({}),
        )
        .await;
    assert_eq!(published.status, 201, "{}", published.text);
}

async fn patch(client: &Client, path: &str, body: &Value) -> Response {
    client
        .send(client.request(reqwest::Method::PATCH, path).json(body))
        .await
}

/// Reads `path` until `done` holds for the answer (the runtime applies events moments
/// after they are accepted); panics with the last answer after a generous wait.
async fn eventually(client: &Client, path: &str, done: impl Fn(&Response) -> bool) -> Response {
    let mut last = client.get(path).await;
    for _ in 0..400 {
        if done(&last) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        last = client.get(path).await;
    }
    panic!("{path} never got there: {} {}", last.status, last.text);
}

fn runs(contact: &Response) -> Vec<Value> {
    contact.body["runs"].as_array().cloned().unwrap_or_default()
}

/// The store the server keeps state in, opened from the test.
pub(crate) async fn same_store(server: &Server) -> Box<dyn Store> {
    match &server.redis_prefix {
        Some(prefix) => Box::new(
            RedisStore::connect(
                RedisConfig::new(redis_url())
                    .with_prefix(prefix.clone())
                    .with_partitions(PARTITIONS),
            )
            .await
            .expect("the server's Redis"),
        ),
        None => Box::new(
            EmbeddedStore::connect(
                EmbeddedConfig::new(server.database_url.clone()).with_partitions(PARTITIONS),
            )
            .await
            .expect("the server's database"),
        ),
    }
}

/// Ana writes `text`, as the WhatsApp webhook would hand it over. Message ids encode the
/// sender's number, as WhatsApp's do.
async fn ana_writes(store: &dyn Store, text: &str, n: u32) {
    let now = SystemClock.now();
    let message = InboundMessage {
        id: format!("wamid.HBgN{ANA}FQIAEhgU{n:04}"),
        from: ANA.to_owned(),
        from_user_id: None,
        profile_name: Some("Ana P.".into()),
        timestamp: now,
        content: Content::Text { body: text.into() },
        referral: None,
        context_id: None,
        channel: None,
    };
    let mut event = Event::inbound(message, now);
    event.contact_id = ScopedId::new("default", &contact_id_for(ANA)).into();
    store.append(&event).await.expect("the message is taken");
}

/// Every text column of every table, as text.
async fn whole_database(url: &str) -> String {
    let db: DatabaseConnection = Db::connect(url).await.expect("the server's database");
    let backend = db.get_database_backend();
    let columns_sql = match backend {
        sea_orm::DbBackend::Sqlite => {
            "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table'"
        }
        _ => {
            "SELECT table_name::text, column_name::text FROM information_schema.columns \
             WHERE table_schema = 'public'"
        }
    };
    let columns = db
        .query_all_raw(Statement::from_string(backend, columns_sql))
        .await
        .expect("columns");
    let mut all = String::new();
    for column in columns {
        let table: String = column.try_get_by_index(0).expect("table");
        let name: String = column.try_get_by_index(1).expect("column");
        let sql = format!("SELECT CAST(\"{name}\" AS TEXT) FROM \"{table}\"");
        for row in db
            .query_all_raw(Statement::from_string(backend, sql))
            .await
            .expect("values")
        {
            if let Ok(Some(text)) = row.try_get_by_index::<Option<String>>(0) {
                all.push_str(&format!("{table}.{name}: {text}\n"));
            }
        }
    }
    let _ = db.close().await;
    all
}

/// Every key under `prefix` and everything in it.
async fn whole_redis(prefix: &str) -> String {
    let client = redis::Client::open(redis_url()).expect("redis url");
    let mut con = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis");
    let mut all = String::new();
    let mut cursor: u64 = 0;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(format!("{prefix}:*"))
            .arg("COUNT")
            .arg(1000)
            .query_async(&mut con)
            .await
            .expect("scan");
        for key in keys {
            let kind: String = redis::cmd("TYPE")
                .arg(&key)
                .query_async(&mut con)
                .await
                .expect("type");
            let mut command = match kind.as_str() {
                "string" => redis::cmd("GET"),
                "hash" => redis::cmd("HGETALL"),
                "zset" => {
                    let mut command = redis::cmd("ZRANGE");
                    command.arg(&key).arg(0).arg(-1).arg("WITHSCORES");
                    command
                }
                "stream" => {
                    let mut command = redis::cmd("XRANGE");
                    command.arg(&key).arg("-").arg("+");
                    command
                }
                "set" => redis::cmd("SMEMBERS"),
                "list" => {
                    let mut command = redis::cmd("LRANGE");
                    command.arg(&key).arg(0).arg(-1);
                    command
                }
                other => panic!("a key of an unexpected type {other}: {key}"),
            };
            if matches!(kind.as_str(), "string" | "hash" | "set") {
                command.arg(&key);
            }
            let value: redis::Value = command.query_async(&mut con).await.expect("value");
            all.push_str(&format!("{key} = {value:?}\n"));
        }
        if next == 0 {
            return all;
        }
        cursor = next;
    }
}

/// A client holding an API key of `workspace` with `role`, made by the admin.
async fn api_key(server: &Server, admin: &Client, workspace: &str, role: &str) -> Client {
    let created = admin
        .post(
            &format!("/api/v1/workspaces/{workspace}/api-keys"),
            &json!({ "name": format!("{role} key"), "role": role }),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    Client::with_api_key(&server.base, created.body["key"].as_str().expect("the key"))
}

/// Ana gets tagged `lead` (the journey starts and waits for her answer) and answers.
async fn ana_goes_through_the_welcome(admin: &Client, store: &dyn Store) {
    let changed = patch(
        admin,
        ANA_PATH,
        &json!({
            "name": "Ana",
            "add_tags": ["lead"],
            "properties": { "plan": "pro" },
            "marketing_opt_in": true
        }),
    )
    .await;
    assert_eq!(changed.status, 202, "{}", changed.text);
    let contact = eventually(admin, ANA_PATH, |r| r.status == 200 && runs(r).len() == 1).await;
    let body = &contact.body;
    assert_eq!(body["phone"], "+4915112345678");
    assert_eq!(body["wa_id"], ANA);
    assert_eq!(body["name"], "Ana");
    assert_eq!(body["tags"], json!(["lead"]));
    assert_eq!(body["properties"], json!({ "plan": "pro" }));
    assert_eq!(body["marketing_opt_in"], true);
    assert!(body["marketing_opt_in_at"].is_string(), "{body}");
    assert_eq!(body["last_inbound_at"], Value::Null);
    assert_eq!(body["window"]["open"], false);
    let run = &runs(&contact)[0];
    assert_eq!(run["id"], "r1");
    assert_eq!(run["flow_id"], "welcome");
    assert_eq!(run["version"], 1);
    assert_eq!(run["status"], "waiting_reply");
    assert_eq!(run["active"], true);
    assert_eq!(run["node_id"], "ask");
    assert_eq!(run["node_type"], "wait_for_reply");
    assert_eq!(run["waiting"]["kind"], "reply");
    assert!(run["waiting"]["deadline"].is_string(), "{run}");

    let detail = admin.get(&format!("{ANA_PATH}/runs/r1")).await;
    assert_eq!(detail.status, 200, "{}", detail.text);
    let history: Vec<&str> = detail.body["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|entry| entry["what"].as_str())
        .collect();
    assert_eq!(history, ["started", "waiting_reply"]);
    assert_eq!(detail.body["history"][1]["node_id"], "ask");

    ana_writes(store, "Ana Paula", 1).await;
    let done = eventually(admin, &format!("{ANA_PATH}/runs/r1"), |r| {
        r.body["status"] == "done"
    })
    .await;
    assert_eq!(done.body["vars"]["answer"], "Ana Paula");
    assert_eq!(done.body["msg"]["text"], "Ana Paula");
    assert_eq!(done.body["node_id"], "bye");
    assert_eq!(done.body["waiting"], Value::Null);
    let contact = admin.get(ANA_PATH).await;
    assert_eq!(contact.body["window"]["open"], true, "{}", contact.text);
    assert!(contact.body["last_inbound_at"].is_string());
    assert_eq!(contact.body["finished_runs"][0]["id"], "r1");
}

async fn contacts_runs_and_the_funnel(db: Database) {
    let server = start(db, false).await;
    let admin = server.admin().await;
    publish_welcome(&admin).await;
    let store = same_store(&server).await;
    ana_goes_through_the_welcome(&admin, store.as_ref()).await;

    // The number is taken with `+`, `%2B` or neither; anything else is refused.
    for path in [
        "/api/v1/workspaces/default/contacts/4915112345678",
        "/api/v1/workspaces/default/contacts/+4915112345678",
    ] {
        let found = admin.get(path).await;
        assert_eq!(found.status, 200, "{path}: {}", found.text);
        assert_eq!(found.body["wa_id"], ANA);
    }
    for garbage in [
        "abc",
        "%2B12",
        "0049151123456",
        "%2B49-151-123",
        "4915112345678901234",
    ] {
        let refused = admin
            .get(&format!("/api/v1/workspaces/default/contacts/{garbage}"))
            .await;
        assert_eq!(refused.status, 400, "{garbage}: {}", refused.text);
        assert_eq!(refused.error_code(), "invalid_phone");
    }
    let nobody = admin
        .get("/api/v1/workspaces/default/contacts/%2B4915100000000")
        .await;
    assert_eq!(nobody.status, 404, "{}", nobody.text);
    let no_run = admin.get(&format!("{ANA_PATH}/runs/r9")).await;
    assert_eq!(no_run.status, 404);

    // Changes are checked.
    for (change, code) in [
        (json!({}), "empty_change"),
        (json!({ "add_tags": [""] }), "invalid_tag"),
        (
            json!({ "add_tags": ["a"], "remove_tags": ["a"] }),
            "invalid_tag",
        ),
        (json!({ "colour": "red" }), "invalid_body"),
        (json!({ "properties": { "": 1 } }), "invalid_property"),
    ] {
        let refused = patch(&admin, ANA_PATH, &change).await;
        assert_eq!(refused.status, 400, "{change}: {}", refused.text);
        assert_eq!(refused.error_code(), code, "{change}");
    }

    // A second run, cancelled by an operator.
    let removed = patch(&admin, ANA_PATH, &json!({ "remove_tags": ["lead"] })).await;
    assert_eq!(removed.status, 202);
    let added = patch(&admin, ANA_PATH, &json!({ "add_tags": ["lead"] })).await;
    assert_eq!(added.status, 202);
    let contact = eventually(&admin, ANA_PATH, |r| runs(r).len() == 1).await;
    let second = runs(&contact)[0]["id"].as_str().expect("id").to_owned();
    assert_ne!(second, "r1");
    let second_path = format!("{ANA_PATH}/runs/{second}");
    let cancelled = admin
        .post(&format!("{second_path}/cancel"), &json!({}))
        .await;
    assert_eq!(cancelled.status, 202, "{}", cancelled.text);
    let run = eventually(&admin, &second_path, |r| r.body["status"] == "cancelled").await;
    assert_eq!(run.body["active"], false);
    assert_eq!(run.body["reason"], "cancelled by an operator");
    assert_eq!(run.body["history"][1]["what"], "cancelled");
    let again = admin
        .post(&format!("{second_path}/cancel"), &json!({}))
        .await;
    assert_eq!(again.status, 409, "{}", again.text);
    assert_eq!(again.error_code(), "run_ended");
    let contact = admin.get(ANA_PATH).await;
    assert!(runs(&contact).is_empty(), "{}", contact.text);
    let finished: Vec<&str> = contact.body["finished_runs"]
        .as_array()
        .expect("finished runs")
        .iter()
        .filter_map(|run| run["id"].as_str())
        .collect();
    assert_eq!(finished, [second.as_str(), "r1"]);

    // The funnel: two runs entered, one answered and finished, one was cancelled waiting.
    let funnel = admin
        .get("/api/v1/workspaces/default/flows/welcome/analytics")
        .await;
    assert_eq!(funnel.status, 200, "{}", funnel.text);
    assert_eq!(funnel.body["version"], 1);
    let node = |id: &str| {
        funnel.body["nodes"]
            .as_array()
            .and_then(|nodes| nodes.iter().find(|node| node["node_id"] == id))
            .cloned()
            .unwrap_or_else(|| panic!("node {id} in {}", funnel.text))
    };
    assert_eq!(node("tagged")["type"], "event");
    assert_eq!(node("tagged")["entered"], 2);
    assert_eq!(node("tagged")["left"], json!({ "next": 2 }));
    assert_eq!(node("ask")["entered"], 2);
    assert_eq!(
        node("ask")["left"],
        json!({ "reply": 1, "invalid": 0, "timeout": 0 })
    );
    assert_eq!(node("ask")["timed_out"], 0);
    assert_eq!(node("thanks")["entered"], 1);
    assert_eq!(node("thanks")["left"]["next"], 1);
    assert_eq!(node("bye")["entered"], 1);
    assert_eq!(
        funnel.body["totals"],
        json!({ "started": 2, "entered": 6, "failed": 0, "timed_out": 0 })
    );
    let long_ago = admin
        .get("/api/v1/workspaces/default/flows/welcome/analytics?version=1&from=2025-01-01T00:00:00Z&to=2025-01-08T00:00:00Z")
        .await;
    assert_eq!(long_ago.status, 200, "{}", long_ago.text);
    assert_eq!(long_ago.body["range"]["from"], "2025-01-01T00:00:00.000Z");
    assert_eq!(
        long_ago.body["totals"],
        json!({ "started": 0, "entered": 0, "failed": 0, "timed_out": 0 })
    );
    assert!(
        long_ago.body["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .all(|node| node["entered"] == 0)
    );
    for (query, status, code) in [
        ("version=abc", 400, "invalid_version"),
        ("version=0", 400, "invalid_version"),
        ("from=yesterday", 400, "invalid_from"),
        ("to=2025-13-01T00:00:00Z", 400, "invalid_to"),
        (
            "from=2025-01-02T00:00:00Z&to=2025-01-01T00:00:00Z",
            400,
            "invalid_range",
        ),
        (
            "from=2020-01-01T00:00:00Z&to=2025-01-01T00:00:00Z",
            400,
            "range_too_long",
        ),
        ("colour=red", 400, "unknown_parameter"),
        ("version=1&version=1", 400, "invalid_query"),
        ("version=7", 404, "not_found"),
    ] {
        let refused = admin
            .get(&format!(
                "/api/v1/workspaces/default/flows/welcome/analytics?{query}"
            ))
            .await;
        assert_eq!(refused.status, status, "{query}: {}", refused.text);
        assert_eq!(refused.error_code(), code, "{query}");
    }
    let no_flow = admin
        .get("/api/v1/workspaces/default/flows/nope/analytics")
        .await;
    assert_eq!(no_flow.status, 404);

    // The routes are described.
    let described = admin.get("/api/v1/openapi.json").await;
    for path in [
        "/api/v1/workspaces/{workspace}/contacts/{phone}",
        "/api/v1/workspaces/{workspace}/contacts/{phone}/runs/{run}",
        "/api/v1/workspaces/{workspace}/contacts/{phone}/runs/{run}/cancel",
        "/api/v1/workspaces/{workspace}/flows/{flow}/analytics",
    ] {
        assert!(
            described.body["paths"][path].is_object(),
            "{path} described"
        );
    }
    assert!(
        described.body["paths"]["/api/v1/workspaces/{workspace}/contacts/{phone}"]["delete"]
            .is_object()
    );

    // Another workspace's members see none of it; a viewer reads but changes nothing.
    let made = admin
        .post(
            "/api/v1/workspaces",
            &json!({ "id": "other", "name": "Other" }),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.text);
    let outsider = api_key(&server, &admin, "other", "admin").await;
    for path in [
        ANA_PATH.to_owned(),
        format!("{ANA_PATH}/runs/r1"),
        "/api/v1/workspaces/default/flows/welcome/analytics".to_owned(),
        "/api/v1/workspaces/other/contacts/%2B4915112345678".to_owned(),
        "/api/v1/workspaces/other/contacts/%2B4915112345678/runs/r1".to_owned(),
        "/api/v1/workspaces/other/flows/welcome/analytics".to_owned(),
    ] {
        let hidden = outsider.get(&path).await;
        assert_eq!(hidden.status, 404, "{path}: {}", hidden.text);
    }
    for path in [
        format!("{ANA_PATH}/runs/r1/cancel"),
        "/api/v1/workspaces/other/contacts/%2B4915112345678/runs/r1/cancel".to_owned(),
    ] {
        let hidden = outsider.post(&path, &json!({})).await;
        assert_eq!(hidden.status, 404, "{path}: {}", hidden.text);
    }
    let elsewhere = outsider
        .delete("/api/v1/workspaces/other/contacts/%2B4915112345678")
        .await;
    assert_eq!(elsewhere.status, 404, "{}", elsewhere.text);
    let not_theirs = outsider.delete(ANA_PATH).await;
    assert_eq!(not_theirs.status, 404);
    assert_eq!(admin.get(ANA_PATH).await.status, 200, "still there");

    let viewer = api_key(&server, &admin, "default", "viewer").await;
    assert_eq!(viewer.get(ANA_PATH).await.status, 200);
    assert_eq!(viewer.get(&format!("{ANA_PATH}/runs/r1")).await.status, 200);
    assert_eq!(
        viewer
            .get("/api/v1/workspaces/default/flows/welcome/analytics")
            .await
            .status,
        200
    );
    let refused = viewer
        .post(&format!("{ANA_PATH}/runs/r1/cancel"), &json!({}))
        .await;
    assert_eq!(refused.status, 403, "{}", refused.text);
    assert_eq!(
        patch(&viewer, ANA_PATH, &json!({ "name": "X" }))
            .await
            .status,
        403
    );
    assert_eq!(viewer.delete(ANA_PATH).await.status, 403);
    let editor = api_key(&server, &admin, "default", "editor").await;
    assert_eq!(
        editor.delete(ANA_PATH).await.status,
        403,
        "erasure is for admins"
    );

    erase_ana(&server, &admin, 2).await;
    drop(store);
    assert!(server.stop());
}

/// Erases Ana and checks that nothing anywhere holds her number.
async fn erase_ana(server: &Server, admin: &Client, started: i64) {
    // The search finds her before.
    let before = match &server.redis_prefix {
        Some(prefix) => whole_redis(prefix).await,
        None => whole_database(&server.database_url).await,
    };
    assert!(before.contains(ANA), "{before}");

    let erased = admin.delete(ANA_PATH).await;
    assert_eq!(erased.status, 204, "{}", erased.text);
    assert_eq!(admin.get(ANA_PATH).await.status, 404);
    assert_eq!(admin.get(&format!("{ANA_PATH}/runs/r1")).await.status, 404);
    let again = admin.delete(ANA_PATH).await;
    assert_eq!(again.status, 404, "nothing left to erase");

    let log = admin.get("/api/v1/workspaces/default/audit-log").await;
    assert_eq!(log.status, 200, "{}", log.text);
    let entry = log
        .body
        .as_array()
        .or_else(|| log.body["entries"].as_array())
        .and_then(|entries| entries.iter().find(|e| e["action"] == "contact.erased"))
        .cloned()
        .unwrap_or_else(|| panic!("an erasure in the audit log: {}", log.text));
    let target = entry["target"].as_str().expect("target");
    assert!(target.starts_with("contact:"), "{target}");
    assert!(
        !log.text.contains(ANA),
        "the audit log names no number: {}",
        log.text
    );
    // The funnel keeps its counts: they hold no one's data.
    let funnel = admin
        .get("/api/v1/workspaces/default/flows/welcome/analytics")
        .await;
    assert_eq!(funnel.body["totals"]["started"], started, "{}", funnel.text);

    let database = whole_database(&server.database_url).await;
    assert!(
        database.contains("welcome"),
        "the search reads the database: {database}"
    );
    assert!(
        !database.contains(ANA),
        "the number is still in the database: {}",
        database
            .lines()
            .filter(|line| line.contains(ANA))
            .collect::<Vec<_>>()
            .join("\n")
    );
    if let Some(prefix) = &server.redis_prefix {
        let redis = whole_redis(prefix).await;
        assert!(
            redis.contains(":stats:"),
            "the search reads the server's keys: {redis}"
        );
        assert!(
            !redis.contains(ANA),
            "the number is still in Redis: {redis}"
        );
    }
}

on_both_databases!(contacts_runs_and_the_funnel);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erasure_with_state_in_redis_leaves_nothing_behind() {
    let server = start(Database::Sqlite, true).await;
    let admin = server.admin().await;
    publish_welcome(&admin).await;
    let store = same_store(&server).await;
    ana_goes_through_the_welcome(&admin, store.as_ref()).await;
    // A second run waits, with its timeout timer, when the erasure comes.
    let changed = patch(&admin, ANA_PATH, &json!({ "remove_tags": ["lead"] })).await;
    assert_eq!(changed.status, 202);
    let changed = patch(&admin, ANA_PATH, &json!({ "add_tags": ["lead"] })).await;
    assert_eq!(changed.status, 202);
    eventually(&admin, ANA_PATH, |r| runs(r).len() == 1).await;
    // Ben, in the same workspace, is not touched.
    let ben = patch(
        &admin,
        "/api/v1/workspaces/default/contacts/%2B4915199999999",
        &json!({ "add_tags": ["lead"] }),
    )
    .await;
    assert_eq!(ben.status, 202);
    eventually(
        &admin,
        "/api/v1/workspaces/default/contacts/%2B4915199999999",
        |r| runs(r).len() == 1,
    )
    .await;

    // Three runs started: Ana's two and Ben's.
    erase_ana(&server, &admin, 3).await;
    let ben = admin
        .get("/api/v1/workspaces/default/contacts/%2B4915199999999")
        .await;
    assert_eq!(ben.status, 200);
    assert_eq!(runs(&ben)[0]["status"], "waiting_reply");

    // Ana writes again: she is a new contact, with nothing of before.
    ana_writes(store.as_ref(), "hello again", 2).await;
    let back = eventually(&admin, ANA_PATH, |r| r.status == 200).await;
    assert_eq!(back.body["name"], "Ana P.");
    assert_eq!(back.body["tags"], json!([]));
    assert_eq!(back.body["finished_runs"], json!([]));

    let prefix = server.redis_prefix.clone().expect("a prefix");
    assert!(server.stop());
    RedisStore::connect(
        RedisConfig::new(redis_url())
            .with_prefix(prefix)
            .with_partitions(PARTITIONS),
    )
    .await
    .expect("redis")
    .wipe()
    .await
    .expect("the test's keys are removed");
}
