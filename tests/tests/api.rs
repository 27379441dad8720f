//! The builder API over real HTTP, on SQLite and on PostgreSQL: flows (drafts, conflicting
//! saves, validation, publishing, versions, rollback, import/export), people, roles, API keys,
//! secrets, the audit log, and that no one reaches another workspace's data.

use serde_json::{Value, json};
use spool_tests::example_flow as example;
use spool_tests::{Client, Database, Served, Server, on_both_databases};

const FLOWS: &str = "/api/v1/workspaces/default/flows";

/// A PUT of a draft based on `revision`.
async fn save(
    client: &Client,
    id: &str,
    document: &Value,
    revision: &str,
) -> spool_tests::Response {
    client
        .send(
            client
                .request(reqwest::Method::PUT, &format!("{FLOWS}/{id}"))
                .header("If-Match", revision)
                .json(document),
        )
        .await
}

async fn drafts_versions_and_rollback(database: Database) {
    let server = Server::start(database).await;
    let admin = server.admin().await;

    // Create: 201, an ETag, the draft's diagnostics (none for the example).
    let cart = example("abandoned-cart");
    let created = admin.post(FLOWS, &cart).await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.header("etag"), Some("\"1\""));
    assert_eq!(created.body["id"], "abandoned-cart");
    assert_eq!(created.body["diagnostics"], json!([]));
    assert_eq!(admin.post(FLOWS, &cart).await.error_code(), "flow_exists");

    // Two editors load revision 1; the first save wins, the second is told, not lost.
    let mut first = cart.clone();
    first["name"] = json!("Cart recovery (first editor)");
    let saved = save(&admin, "abandoned-cart", &first, "\"1\"").await;
    assert_eq!(saved.status, 200, "{}", saved.text);
    assert_eq!(saved.header("etag"), Some("\"2\""));
    let mut second = cart.clone();
    second["name"] = json!("Cart recovery (second editor)");
    let conflict = save(&admin, "abandoned-cart", &second, "\"1\"").await;
    assert_eq!(conflict.status, 409);
    assert_eq!(conflict.error_code(), "revision_conflict");
    assert_eq!(conflict.body["error"]["details"]["current_revision"], 2);
    let read = admin.get(&format!("{FLOWS}/abandoned-cart")).await;
    assert_eq!(read.body["name"], "Cart recovery (first editor)");
    let unconditional = admin
        .send(
            admin
                .request(reqwest::Method::PUT, &format!("{FLOWS}/abandoned-cart"))
                .json(&second),
        )
        .await;
    assert_eq!(unconditional.status, 428);

    // An invalid draft is saved (work is never lost) and reported, but not published.
    let mut broken = first.clone();
    broken["nodes"].as_array_mut().expect("nodes").push(
        json!({ "id": "oops", "type": "condition", "config": { "expression": "cart.total >" } }),
    );
    let saved = save(&admin, "abandoned-cart", &broken, "\"2\"").await;
    assert_eq!(saved.status, 200, "{}", saved.text);
    let codes: Vec<&str> = saved.body["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter_map(|d| d["code"].as_str())
        .collect();
    assert!(
        codes.contains(&"expression_syntax") || codes.contains(&"unknown_variable"),
        "{codes:?}"
    );
    let validation = admin
        .post(&format!("{FLOWS}/abandoned-cart/validate"), &json!({}))
        .await;
    assert_eq!(validation.body["valid"], false);
    assert!(validation.body["errors"].as_u64() >= Some(1));
    let refused = admin
        .post(&format!("{FLOWS}/abandoned-cart/publish"), &json!({}))
        .await;
    assert_eq!(refused.status, 422);
    assert_eq!(refused.error_code(), "flow_invalid");
    assert!(
        refused.body["error"]["details"]["diagnostics"]
            .as_array()
            .is_some_and(|all| all.iter().any(|d| d["node_id"] == "oops")),
        "{}",
        refused.text
    );
    assert!(
        admin
            .get(&format!("{FLOWS}/abandoned-cart/versions"))
            .await
            .body
            == json!([])
    );

    // Fixed and published: version 1; publishing the same draft again makes no new version.
    let saved = save(&admin, "abandoned-cart", &first, "\"3\"").await;
    assert_eq!(saved.status, 200);
    let v1 = admin
        .post(&format!("{FLOWS}/abandoned-cart/publish"), &json!({}))
        .await;
    assert_eq!(v1.status, 201, "{}", v1.text);
    assert_eq!(v1.body["version"], 1);
    assert_eq!(v1.body["live"], true);
    let again = admin
        .post(&format!("{FLOWS}/abandoned-cart/publish"), &json!({}))
        .await;
    assert_eq!((again.status, &again.body["version"]), (200, &json!(1)));

    // A change, published as version 2; the draft at a stale revision cannot be published.
    let mut changed = first.clone();
    changed["nodes"][1]["config"]["for"] = json!("2h");
    let saved = save(&admin, "abandoned-cart", &changed, "\"4\"").await;
    assert_eq!(saved.status, 200, "{}", saved.text);
    let stale = admin
        .send(
            admin
                .request(
                    reqwest::Method::POST,
                    &format!("{FLOWS}/abandoned-cart/publish"),
                )
                .header("If-Match", "\"4\""),
        )
        .await;
    assert_eq!(stale.status, 409);
    let v2 = admin
        .post(&format!("{FLOWS}/abandoned-cart/publish"), &json!({}))
        .await;
    assert_eq!(v2.body["version"], 2);
    assert_ne!(v2.body["hash"], v1.body["hash"]);

    // Versions are listed newest first and read back unchanged.
    let versions = admin.get(&format!("{FLOWS}/abandoned-cart/versions")).await;
    let numbers: Vec<i64> = versions
        .body
        .as_array()
        .expect("versions")
        .iter()
        .filter_map(|v| v["version"].as_i64())
        .collect();
    assert_eq!(numbers, [2, 1]);
    let old = admin
        .get(&format!("{FLOWS}/abandoned-cart/versions/1"))
        .await;
    assert_eq!(old.body["document"], first);
    assert_eq!(old.body["live"], false);
    assert_eq!(
        admin
            .get(&format!("{FLOWS}/abandoned-cart/versions/9"))
            .await
            .status,
        404
    );

    // Rollback publishes version 1's document again, as version 3.
    let v3 = admin
        .post(
            &format!("{FLOWS}/abandoned-cart/versions/1/rollback"),
            &json!({}),
        )
        .await;
    assert_eq!(v3.status, 201, "{}", v3.text);
    assert_eq!(v3.body["version"], 3);
    assert_eq!(v3.body["hash"], v1.body["hash"]);
    assert_eq!(v3.body["document"], first);
    let read = admin.get(&format!("{FLOWS}/abandoned-cart")).await;
    assert_eq!(read.body["published_version"], 3);

    // Export a file, import it as another flow; unpublish; delete.
    let exported = admin.get(&format!("{FLOWS}/abandoned-cart/export")).await;
    assert_eq!(exported.status, 200);
    assert!(
        exported
            .header("content-disposition")
            .is_some_and(|value| value.contains("abandoned-cart.json")),
        "{:?}",
        exported.headers
    );
    let mut copy: Value = serde_json::from_str(&exported.text).expect("an exported file is JSON");
    assert_eq!(
        admin
            .send(
                admin
                    .request(reqwest::Method::POST, &format!("{FLOWS}/import"))
                    .body(exported.text.clone())
            )
            .await
            .error_code(),
        "flow_exists"
    );
    copy["id"] = json!("cart-copy");
    let imported = admin
        .send(
            admin
                .request(reqwest::Method::POST, &format!("{FLOWS}/import"))
                .header("content-type", "text/plain")
                .body(copy.to_string()),
        )
        .await;
    assert_eq!(imported.status, 201, "{}", imported.text);
    let unpublished = admin
        .post(&format!("{FLOWS}/abandoned-cart/unpublish"), &json!({}))
        .await;
    assert_eq!(unpublished.body["published_version"], Value::Null);
    assert_eq!(
        admin.delete(&format!("{FLOWS}/cart-copy")).await.status,
        204
    );
    assert_eq!(admin.get(&format!("{FLOWS}/cart-copy")).await.status, 404);
    let listed = admin.get(FLOWS).await;
    assert_eq!(listed.body.as_array().map(Vec::len), Some(1));

    // Who did what is in the audit log, newest first.
    let log = admin.get("/api/v1/workspaces/default/audit-log").await;
    let actions: Vec<&str> = log
        .body
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|entry| entry["action"].as_str())
        .collect();
    for action in [
        "flow.created",
        "flow.saved",
        "flow.published",
        "flow.imported",
        "flow.unpublished",
        "flow.deleted",
    ] {
        assert!(
            actions.contains(&action),
            "{action} missing from {actions:?}"
        );
    }
    assert!(log.body[0]["actor"] == "user:admin@spool.test");
    assert!(server.stop());
}

async fn bad_input_gets_precise_errors(database: Database) {
    let server = Server::start_with(
        database,
        spool_tests::Options {
            env: vec![("SPOOL_BODY_LIMIT".into(), "4096".into())],
            ..Default::default()
        },
    )
    .await;
    let admin = server.admin().await;
    let raw = |body: &'static str| {
        admin
            .request(reqwest::Method::POST, FLOWS)
            .header("content-type", "application/json")
            .body(body)
    };
    let malformed = admin.send(raw("{\"id\": ")).await;
    assert_eq!(
        (malformed.status, malformed.error_code()),
        (400, "malformed_json")
    );
    assert!(
        malformed.body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("line 1"))
    );
    let list = admin.send(raw("[1, 2]")).await;
    assert_eq!((list.status, list.error_code()), (422, "not_a_flow"));
    let bad_id = admin
        .post(FLOWS, &json!({ "id": "no spaces/or slashes" }))
        .await;
    assert_eq!(
        (bad_id.status, bad_id.error_code()),
        (422, "invalid_flow_id")
    );
    let huge = json!({ "id": "big", "name": "x".repeat(10_000) });
    let too_large = admin.post(FLOWS, &huge).await;
    assert_eq!(
        (too_large.status, too_large.error_code()),
        (413, "payload_too_large")
    );
    let unknown_field = admin
        .post(
            "/api/v1/workspaces/default/api-keys",
            &json!({ "name": "ci", "rol": "viewer" }),
        )
        .await;
    assert_eq!(unknown_field.status, 400);
    assert!(unknown_field.text.contains("rol"), "{}", unknown_field.text);
    let bad_version = admin.get(&format!("{FLOWS}/x/versions/first")).await;
    assert!(bad_version.status == 404 || bad_version.status == 400);
    assert!(
        bad_version.body["error"]["code"].is_string(),
        "{}",
        bad_version.text
    );
    let wrong_method = admin
        .send(admin.request(reqwest::Method::PATCH, FLOWS))
        .await;
    assert!(
        wrong_method.body["error"]["code"].is_string(),
        "{}",
        wrong_method.text
    );
    // A draft with a valid id but nothing else is saved and reported, not refused.
    let skeleton = admin.post(FLOWS, &json!({ "id": "skeleton" })).await;
    assert_eq!(skeleton.status, 201, "{}", skeleton.text);
    assert!(
        skeleton.body["diagnostics"]
            .as_array()
            .is_some_and(|d| !d.is_empty())
    );
    assert!(server.stop());
}

async fn roles_keys_and_workspaces_keep_people_in_their_lane(database: Database) {
    let server = Server::start(database).await;
    let admin = server.admin().await;

    // Nobody, and a browser without the CSRF token, can change nothing.
    let anonymous = server.anonymous();
    let refused = anonymous.get(FLOWS).await;
    assert_eq!(
        (refused.status, refused.error_code()),
        (401, "unauthenticated")
    );
    let mut no_csrf = admin.clone();
    no_csrf.csrf = None;
    let forged = no_csrf.post(FLOWS, &json!({ "id": "forged" })).await;
    assert_eq!(
        (forged.status, forged.error_code()),
        (403, "csrf_token_missing")
    );
    assert_eq!(
        no_csrf.get(FLOWS).await.status,
        200,
        "reads need no CSRF token"
    );
    let wrong = anonymous
        .post(
            "/api/v1/session",
            &json!({ "email": spool_tests::ADMIN_EMAIL, "password": "wrong" }),
        )
        .await;
    assert_eq!(
        (wrong.status, wrong.error_code()),
        (401, "invalid_credentials")
    );

    assert_eq!(
        admin.post(FLOWS, &example("order-status")).await.status,
        201
    );

    // A viewer reads but cannot change.
    let added = admin
        .post(
            "/api/v1/workspaces/default/members",
            &json!({ "email": "Vera@Example.com", "role": "viewer", "password": "viewer password 1" }),
        )
        .await;
    assert_eq!(added.status, 201, "{}", added.text);
    assert_eq!(added.body["email"], "vera@example.com");
    let vera = server
        .sign_in("vera@example.com", "viewer password 1")
        .await;
    assert_eq!(vera.get(&format!("{FLOWS}/order-status")).await.status, 200);
    let denied = vera
        .post(&format!("{FLOWS}/order-status/publish"), &json!({}))
        .await;
    assert_eq!((denied.status, denied.error_code()), (403, "forbidden"));
    assert_eq!(
        vera.get("/api/v1/workspaces/default/audit-log")
            .await
            .status,
        403
    );

    // The last admin cannot be demoted.
    let me = admin.get("/api/v1/session").await;
    let admin_id = me.body["user_id"].as_str().expect("user id").to_owned();
    let demoted = admin
        .put(
            &format!("/api/v1/workspaces/default/members/{admin_id}"),
            &json!({ "role": "editor" }),
        )
        .await;
    assert_eq!((demoted.status, demoted.error_code()), (409, "last_admin"));

    // Another workspace and its own member: neither sees the other's data.
    let created = admin
        .post(
            "/api/v1/workspaces",
            &json!({ "id": "globex", "name": "Globex" }),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let other = admin
        .post(
            "/api/v1/workspaces/globex/members",
            &json!({ "email": "otto@globex.test", "role": "admin" }),
        )
        .await;
    let otto_password = other.body["password"]
        .as_str()
        .expect("generated password, shown once");
    let otto = server.sign_in("otto@globex.test", otto_password).await;
    for path in [
        FLOWS.to_owned(),
        format!("{FLOWS}/order-status"),
        format!("{FLOWS}/order-status/versions"),
        "/api/v1/workspaces/default/members".to_owned(),
        "/api/v1/workspaces/default/audit-log".to_owned(),
    ] {
        let response = otto.get(&path).await;
        assert_eq!(response.status, 404, "{path}: {}", response.text);
    }
    let sneaky = otto
        .post(&format!("{FLOWS}/order-status/publish"), &json!({}))
        .await;
    assert_eq!(sneaky.status, 404);
    assert_eq!(
        otto.get("/api/v1/workspaces/globex/flows").await.body,
        json!([])
    );
    let workspaces = otto.get("/api/v1/workspaces").await;
    assert_eq!(
        workspaces.body,
        json!([{ "id": "globex", "name": "Globex", "role": "admin" }])
    );

    // API keys: shown once, work as a bearer token in their workspace only, revocable.
    let key = admin
        .post(
            "/api/v1/workspaces/default/api-keys",
            &json!({ "name": "shop sync", "role": "editor" }),
        )
        .await;
    assert_eq!(key.status, 201, "{}", key.text);
    let secret_key = key.body["key"].as_str().expect("the key").to_owned();
    assert!(secret_key.starts_with("spool_"));
    let machine = Client::with_api_key(&server.base, &secret_key);
    assert_eq!(machine.get(FLOWS).await.status, 200);
    let draft = machine
        .post(FLOWS, &json!({ "id": "from-a-machine" }))
        .await;
    assert_eq!(
        draft.status, 201,
        "API keys need no CSRF token: {}",
        draft.text
    );
    assert_eq!(
        machine.get("/api/v1/workspaces/globex/flows").await.status,
        404
    );
    let listed = admin.get("/api/v1/workspaces/default/api-keys").await;
    assert!(
        !listed.text.contains(&secret_key),
        "a key is never shown again"
    );
    assert_eq!(listed.body[0]["name"], "shop sync");
    let key_id = key.body["id"].as_str().expect("key id");
    assert_eq!(
        admin
            .delete(&format!("/api/v1/workspaces/default/api-keys/{key_id}"))
            .await
            .status,
        204
    );
    let revoked = machine.get(FLOWS).await;
    assert_eq!(
        (revoked.status, revoked.error_code()),
        (401, "invalid_api_key")
    );

    // Secrets: set, listed by name only, deleted.
    let put = admin
        .put(
            "/api/v1/workspaces/default/secrets/shop_hmac",
            &json!({ "value": "s3cr3t-value" }),
        )
        .await;
    assert_eq!(put.status, 204, "{}", put.text);
    let secrets = admin.get("/api/v1/workspaces/default/secrets").await;
    assert_eq!(secrets.body[0]["name"], "shop_hmac");
    assert!(!secrets.text.contains("s3cr3t-value"));
    assert_eq!(
        otto.get("/api/v1/workspaces/default/secrets").await.status,
        404
    );
    assert_eq!(
        admin
            .delete("/api/v1/workspaces/default/secrets/shop_hmac")
            .await
            .status,
        204
    );

    // Password change ends other sessions; signing out ends this one.
    let changed = vera
        .put(
            "/api/v1/session/password",
            &json!({ "current_password": "viewer password 1", "new_password": "a much better one" }),
        )
        .await;
    assert_eq!(changed.status, 204, "{}", changed.text);
    let vera_again = server
        .sign_in("vera@example.com", "a much better one")
        .await;
    assert_eq!(vera.delete("/api/v1/session").await.status, 204);
    assert_eq!(vera.get(FLOWS).await.status, 401);
    assert_eq!(vera_again.get(FLOWS).await.status, 200);

    let log = admin.get("/api/v1/workspaces/default/audit-log").await;
    let actions: Vec<&str> = log
        .body
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|entry| entry["action"].as_str())
        .collect();
    for action in [
        "user.created",
        "member.added",
        "api_key.created",
        "api_key.revoked",
        "secret.set",
        "secret.deleted",
    ] {
        assert!(
            actions.contains(&action),
            "{action} missing from {actions:?}"
        );
    }
    assert!(server.stop());
}

on_both_databases!(
    drafts_versions_and_rollback,
    bad_input_gets_precise_errors,
    roles_keys_and_workspaces_keep_people_in_their_lane,
);

/// The first start prints a generated password (never a fixed one) that signs in; the
/// second start on the same database creates nobody.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_start_creates_an_admin_with_a_generated_password() {
    let served = Served::start(&[]);
    let base = format!("http://{}", served.address);
    let mut printed = Vec::new();
    for _ in 0..100 {
        printed = served.printed();
        if printed.len() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let line = printed
        .iter()
        .find(|line| line.starts_with("First start: sign in as admin@spool.local"))
        .unwrap_or_else(|| panic!("no sign-in instructions in {printed:?}"));
    let password = line
        .split("the password ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("a password in the instructions");
    assert!(password.len() >= 16, "{password}");
    let client = Client::new(&base);
    let signed_in = client
        .post(
            "/api/v1/session",
            &json!({ "email": "admin@spool.local", "password": password }),
        )
        .await;
    assert_eq!(signed_in.status, 200, "{}", signed_in.text);
    assert_eq!(signed_in.body["workspaces"][0]["role"], "admin");
    assert!(
        signed_in
            .header("set-cookie")
            .is_some_and(|cookie| cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict")),
        "{:?}",
        signed_in.headers
    );
    let dir = served.dir.clone();
    let database = format!("sqlite://{}?mode=rwc", dir.join("spool.sqlite").display());
    let stopped = served.stop_keeping_files();
    assert!(stopped);
    let again = Served::start(&["--database-url", &database]);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        again
            .printed()
            .iter()
            .all(|line| !line.starts_with("First start")),
        "{:?}",
        again.printed()
    );
    assert!(again.terminate());
    let _ = std::fs::remove_dir_all(dir);
}

/// A method a path does not have is 405 with the methods it has in `Allow`, as JSON; a path
/// that does not exist stays 404.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_method_a_path_does_not_have_is_405_with_allow() {
    let server = Server::start(Database::Sqlite).await;
    let admin = server.admin().await;
    for (method, path, allow) in [
        (reqwest::Method::PATCH, FLOWS, "GET, POST"),
        (
            reqwest::Method::PATCH,
            "/api/v1/workspaces/default/flows/import",
            "POST",
        ),
        (
            reqwest::Method::POST,
            "/api/v1/workspaces/default/flows/cart",
            "DELETE, GET, PUT",
        ),
        (
            reqwest::Method::GET,
            "/api/v1/workspaces/default/api-keys/abc",
            "DELETE",
        ),
        (reqwest::Method::GET, "/hooks/default/orders", "POST"),
    ] {
        let response = admin.send(admin.request(method.clone(), path)).await;
        assert_eq!(response.status, 405, "{method} {path}: {}", response.text);
        assert_eq!(
            response.error_code(),
            "method_not_allowed",
            "{method} {path}"
        );
        let allowed: Vec<&str> = response
            .header("allow")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .collect();
        let mut allowed = allowed;
        allowed.sort_unstable();
        assert_eq!(allowed.join(", "), allow, "{method} {path}");
    }
    let nowhere = admin.get("/api/v1/workspaces/default/nothing-here").await;
    assert_eq!(nowhere.status, 404);
    assert_eq!(nowhere.error_code(), "not_found");
    assert!(server.stop());
}
