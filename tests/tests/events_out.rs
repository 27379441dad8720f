//! Events out as a receiver meets them: a workspace subscribes a URL (a local stand-in for
//! the shop's system), and Spool POSTs its events there, signed with the subscription's
//! secret, retried until the receiver answers 2xx, with one event id across attempts.
//! Private targets (the stand-ins listen on 127.0.0.1) are refused until the workspace
//! allows them, for subscriptions and for `http_request` nodes alike.

use std::time::{Duration, Instant};

use hmac::{Hmac, KeyInit, Mac};
use sea_orm::{ConnectionTrait, Database as Db, Statement};
use serde_json::{Value, json};
use sha2::Sha256;
use spool_tests::{Client, Database, Options, Server, on_both_databases, serve_refused};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const WS: &str = "/api/v1/workspaces/default";
/// How long the tests wait for something asynchronous before failing loudly.
const DEADLINE: Duration = Duration::from_secs(60);

/// Subscribes `url`; returns (id, secret).
async fn subscribe(admin: &Client, url: &str, types: Value) -> (String, String) {
    let created = admin
        .post(
            &format!("{WS}/event-subscriptions"),
            &json!({ "url": url, "event_types": types, "description": "the shop" }),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.body["id"].as_str().unwrap_or_default().to_owned();
    let secret = created.body["secret"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(secret.starts_with("whsec_"), "{}", created.text);
    (id, secret)
}

/// Waits until `receiver` has had `count` requests; returns them.
async fn received(receiver: &MockServer, count: usize) -> Vec<Request> {
    let started = Instant::now();
    loop {
        let requests = receiver.received_requests().await.unwrap_or_default();
        if requests.len() >= count {
            return requests;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "after {DEADLINE:?} the receiver has had {} of {count} requests",
            requests.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the subscription's newest delivery is in `state`; returns the log.
async fn log_when(admin: &Client, subscription: &str, state: &str) -> Value {
    let started = Instant::now();
    loop {
        let log = admin
            .get(&format!(
                "{WS}/event-subscriptions/{subscription}/deliveries"
            ))
            .await;
        assert_eq!(log.status, 200, "{}", log.text);
        if log.body[0]["state"] == state {
            return log.body;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "after {DEADLINE:?} the newest delivery is not {state}: {}",
            log.text
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn header<'a>(request: &'a Request, name: &str) -> &'a str {
    request
        .headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
}

fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

async fn receiver_answering(status: u16) -> MockServer {
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/spool-events"))
        .respond_with(ResponseTemplate::new(status))
        .mount(&receiver)
        .await;
    receiver
}

/// A contact's consent, changed through the API, reaches the subscribed URL signed; the
/// signature verifies with the secret shown at creation; the log says it was delivered.
async fn signed_event_reaches_the_subscriber(db: Database) {
    let server = Server::start(db).await;
    let admin = server.admin().await;
    let receiver = receiver_answering(204).await;
    let quiet = receiver_answering(200).await;
    admin.allow_private_targets(true).await;
    let url = format!("{}/spool-events", receiver.uri());
    let (id, secret) = subscribe(&admin, &url, json!(["contact.opted_in"])).await;
    // Another subscription wants other types only: it hears nothing of this.
    subscribe(
        &admin,
        &format!("{}/spool-events", quiet.uri()),
        json!(["contact.opted_out"]),
    )
    .await;

    let read = admin.get(&format!("{WS}/event-subscriptions/{id}")).await;
    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(read.body["url"], url.as_str());
    assert_eq!(read.body["event_types"], json!(["contact.opted_in"]));
    assert!(!read.text.contains(&secret), "the secret is shown once");
    let listed = admin.get(&format!("{WS}/event-subscriptions")).await;
    assert_eq!(
        listed.body.as_array().map(Vec::len),
        Some(2),
        "{}",
        listed.text
    );
    assert!(!listed.text.contains(&secret), "the secret is shown once");

    let changed = admin
        .send(
            admin
                .request(
                    reqwest::Method::PATCH,
                    &format!("{WS}/contacts/%2B4915112345678"),
                )
                .json(&json!({ "marketing_opt_in": true })),
        )
        .await;
    assert_eq!(changed.status, 202, "{}", changed.text);

    let requests = received(&receiver, 1).await;
    let request = &requests[0];
    assert_eq!(header(request, "content-type"), "application/json");
    assert_eq!(header(request, "x-spool-event-type"), "contact.opted_in");
    assert_eq!(
        header(request, "x-spool-signature"),
        signature(&secret, &request.body),
        "the signature is the HMAC-SHA256 of the exact body with the secret"
    );
    let body: Value = serde_json::from_slice(&request.body).expect("the body is JSON");
    assert_eq!(body["id"], header(request, "x-spool-event-id"));
    assert_eq!(body["type"], "contact.opted_in");
    assert_eq!(body["workspace"], "default");
    assert_eq!(body["data"]["contact"]["phone"], "+4915112345678");
    assert!(
        body["occurred_at"]
            .as_str()
            .is_some_and(|at| at.ends_with('Z')),
        "{body}"
    );

    let log = log_when(&admin, &id, "delivered").await;
    assert_eq!(log[0]["attempts"], 1, "{log}");
    assert_eq!(log[0]["last_status"], 204, "{log}");
    assert_eq!(log[0]["event_id"], body["id"], "{log}");
    assert!(log[0]["delivered_at"].is_string(), "{log}");
    assert!(
        quiet
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty(),
        "a subscription for other types hears nothing"
    );
    let retried = admin
        .post(
            &format!(
                "{WS}/event-subscriptions/{id}/deliveries/{}/retry",
                log[0]["id"].as_str().unwrap_or_default()
            ),
            &json!({}),
        )
        .await;
    assert_eq!(retried.status, 409, "{}", retried.text);
    assert_eq!(retried.error_code(), "delivery_not_failed");

    let audit = admin.get(&format!("{WS}/audit-log")).await;
    assert!(
        audit.text.contains("event_subscription.created"),
        "{}",
        audit.text
    );
    assert!(
        audit.text.contains("network_settings.set"),
        "{}",
        audit.text
    );
    assert!(
        !audit.text.contains(&secret),
        "the secret is not in the audit log"
    );
    assert!(server.stop(), "the server did not stop cleanly");
}

/// A receiver that fails twice and then answers gets the event three times, with the same
/// event id and body each time; the log shows the attempts.
async fn a_failing_receiver_gets_the_same_event_until_it_answers(db: Database) {
    let server = Server::start_with(
        db,
        Options {
            env: vec![("SPOOL_EVENTS_FIRST_RETRY_MS".to_owned(), "200".to_owned())],
            ..Options::default()
        },
    )
    .await;
    let admin = server.admin().await;
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&receiver)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .with_priority(2)
        .mount(&receiver)
        .await;
    admin.allow_private_targets(true).await;
    let (id, secret) = subscribe(&admin, &format!("{}/hook", receiver.uri()), json!([])).await;

    let test = admin
        .post(&format!("{WS}/event-subscriptions/{id}/test"), &json!({}))
        .await;
    assert_eq!(test.status, 202, "{}", test.text);
    assert_eq!(test.body["event_type"], "ping", "{}", test.text);

    let log = log_when(&admin, &id, "delivered").await;
    assert_eq!(log[0]["attempts"], 3, "{log}");
    assert_eq!(log[0]["last_status"], 200, "{log}");
    let requests = received(&receiver, 3).await;
    assert_eq!(requests.len(), 3, "delivered once it answered");
    for request in &requests {
        assert_eq!(header(request, "x-spool-event-id"), test.body["event_id"]);
        assert_eq!(request.body, requests[0].body, "the same bytes every time");
        assert_eq!(
            header(request, "x-spool-signature"),
            signature(&secret, &request.body)
        );
    }
    assert!(server.stop(), "the server did not stop cleanly");
}

/// Private, loopback and link-local URLs are refused at creation until the workspace
/// allows them, and again at delivery when it stops allowing them.
async fn private_urls_are_refused_unless_allowed(db: Database) {
    let server = Server::start(db).await;
    let admin = server.admin().await;
    let receiver = receiver_answering(200).await;
    let url = format!("{}/spool-events", receiver.uri());
    for private in [
        url.as_str(),
        "http://169.254.169.254/latest/meta-data/",
        "http://localhost:8080/",
        "http://[::1]/",
        "http://10.0.0.7/",
    ] {
        let refused = admin
            .post(
                &format!("{WS}/event-subscriptions"),
                &json!({ "url": private }),
            )
            .await;
        assert_eq!(refused.status, 422, "{private}: {}", refused.text);
        assert_eq!(refused.error_code(), "private_target", "{}", refused.text);
        assert!(
            refused.text.contains("allow private targets"),
            "{}",
            refused.text
        );
    }
    let metadata = admin
        .post(
            &format!("{WS}/event-subscriptions"),
            &json!({ "url": "http://169.254.169.254/" }),
        )
        .await;
    assert_eq!(metadata.body["error"]["details"]["kind"], "link-local");
    let not_http = admin
        .post(
            &format!("{WS}/event-subscriptions"),
            &json!({ "url": "ftp://shop.example/" }),
        )
        .await;
    assert_eq!(not_http.status, 422, "{}", not_http.text);
    assert_eq!(not_http.error_code(), "invalid_subscription");
    let editor_view = admin.get(&format!("{WS}/settings/network")).await;
    assert_eq!(editor_view.body["allow_private_targets"], false);
    assert_eq!(editor_view.body["allowed_by_server"], false);

    admin.allow_private_targets(true).await;
    let (id, _) = subscribe(&admin, &url, json!([])).await;
    // Allowed no more: the delivery is refused at sending time, and the log says why.
    admin.allow_private_targets(false).await;
    let test = admin
        .post(&format!("{WS}/event-subscriptions/{id}/test"), &json!({}))
        .await;
    assert_eq!(test.status, 202, "{}", test.text);
    let started = Instant::now();
    let log = loop {
        let log = admin
            .get(&format!("{WS}/event-subscriptions/{id}/deliveries?limit=1"))
            .await;
        if log.body[0]["attempts"].as_i64().unwrap_or(0) >= 1 {
            break log.body;
        }
        assert!(started.elapsed() < DEADLINE, "no attempt: {}", log.text);
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(log[0]["state"], "pending", "it will be tried again: {log}");
    assert!(
        log[0]["last_error"]
            .as_str()
            .is_some_and(|error| error.contains("is private (loopback)")),
        "{log}"
    );
    assert!(
        receiver
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty(),
        "nothing reached the private address"
    );
    assert!(server.stop(), "the server did not stop cleanly");
}

/// A journey that calls `url` and keeps, in the contact's `outcome` property, `ok` or why
/// the call failed.
fn calling_flow(url: &str) -> Value {
    let keep = |id: &str, y: i64, outcome: Value| {
        json!({ "id": id, "type": "update_contact", "position": { "x": 500, "y": y },
                "config": { "properties": { "outcome": outcome } } })
    };
    json!({
        "schema": 1,
        "id": "crm-sync",
        "name": "CRM sync",
        "nodes": [
            { "id": "hook", "type": "webhook", "position": { "x": 0, "y": 0 },
              "config": { "hook": "crm-sync", "contact": "payload.phone" } },
            { "id": "call", "type": "http_request", "position": { "x": 250, "y": 0 },
              "config": { "method": "POST", "url": url, "body": "{\"lead\":1}" } },
            keep("ok", 0, json!({ "value": "ok" })),
            keep("failed", 100, json!({ "expr": "vars.error.message" })),
            { "id": "done", "type": "end", "position": { "x": 750, "y": 0 }, "config": {} }
        ],
        "edges": [
            { "from": "hook", "port": "next", "to": "call" },
            { "from": "call", "port": "ok", "to": "ok" },
            { "from": "call", "port": "error", "to": "failed" },
            { "from": "ok", "port": "next", "to": "done" },
            { "from": "failed", "port": "next", "to": "done" }
        ]
    })
}

/// Calls the hook for `phone` and waits for the journey to keep its outcome.
async fn outcome_for(admin: &Client, phone: &str) -> String {
    let called = admin
        .post(
            "/hooks/default/crm-sync",
            &json!({ "phone": format!("+{phone}") }),
        )
        .await;
    assert_eq!(called.status, 202, "{}", called.text);
    let started = Instant::now();
    loop {
        let contact = admin.get(&format!("{WS}/contacts/%2B{phone}")).await;
        if let Some(outcome) = contact.body["properties"]["outcome"].as_str() {
            return outcome.to_owned();
        }
        assert!(started.elapsed() < DEADLINE, "no outcome: {}", contact.text);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// An `http_request` to a private address fails clearly, without reaching it, until the
/// workspace allows private targets.
async fn http_request_to_a_private_address_fails_clearly(db: Database) {
    let server = Server::start(db).await;
    let admin = server.admin().await;
    let crm = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/leads"))
        .respond_with(ResponseTemplate::new(201))
        .mount(&crm)
        .await;
    let flow = calling_flow(&format!("{}/leads", crm.uri()));
    let created = admin.post(&format!("{WS}/flows"), &flow).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let published = admin
        .post(&format!("{WS}/flows/crm-sync/publish"), &json!({}))
        .await;
    assert_eq!(published.status, 201, "{}", published.text);

    let refused = outcome_for(&admin, "4915100000001").await;
    assert!(
        refused.starts_with("the address 127.0.0.1 is private (loopback)")
            && refused.ends_with("allow private targets in the workspace's network settings"),
        "{refused}"
    );
    assert!(
        crm.received_requests().await.unwrap_or_default().is_empty(),
        "nothing reached the private address"
    );

    admin.allow_private_targets(true).await;
    assert_eq!(outcome_for(&admin, "4915100000002").await, "ok");
    assert_eq!(crm.received_requests().await.unwrap_or_default().len(), 1);
    assert!(server.stop(), "the server did not stop cleanly");
}

on_both_databases!(
    signed_event_reaches_the_subscriber,
    a_failing_receiver_gets_the_same_event_until_it_answers,
    private_urls_are_refused_unless_allowed,
    http_request_to_a_private_address_fails_clearly,
    the_secret_is_kept_encrypted_and_the_server_needs_its_key,
);

/// The subscription's secret is not in the database in clear; a server without the key it
/// was sealed with refuses to start (it could not sign the events), and without any key no
/// subscription can be created.
async fn the_secret_is_kept_encrypted_and_the_server_needs_its_key(db: Database) {
    let server = Server::start(db).await;
    let admin = server.admin().await;
    admin.allow_private_targets(true).await;
    let (id, secret) = subscribe(&admin, "http://127.0.0.1:9/spool-events", json!([])).await;
    let stored = Db::connect(server.database_url.as_str())
        .await
        .expect("the database opens");
    let row = stored
        .query_one_raw(Statement::from_string(
            stored.get_database_backend(),
            format!("SELECT secret FROM event_subscriptions WHERE id = '{id}'"),
        ))
        .await
        .expect("readable")
        .expect("stored");
    let at_rest: String = row.try_get_by_index(0).expect("text");
    assert!(!at_rest.contains(&secret["whsec_".len()..]), "{at_rest}");
    let _ = stored.close().await;
    let database_url = server.database_url.clone();
    assert!(server.served.stop_keeping_files(), "stopped cleanly");

    let (status, said) = serve_refused(&["--database-url", database_url.as_str()], &[]);
    assert!(!status.success(), "started without its key: {said}");
    assert!(
        said.contains("1 event subscription(s) are stored with encrypted secrets")
            && said.contains("SPOOL_SECRET_KEY"),
        "{said}"
    );

    let keyless = Server::start_with(
        Database::Sqlite,
        Options {
            without_secret_key: true,
            ..Options::default()
        },
    )
    .await;
    let admin = keyless.admin().await;
    let refused = admin
        .post(
            &format!("{WS}/event-subscriptions"),
            &json!({ "url": "https://crm.example.com/spool-events" }),
        )
        .await;
    assert_eq!(refused.status, 409, "{}", refused.text);
    assert_eq!(refused.error_code(), "secret_key_missing");
    assert!(keyless.stop(), "the server did not stop cleanly");
}
