//! WhatsApp channels as an administrator connects them: created, listed, changed, made the
//! default and removed through the API; their token and secrets never shown again nor stored
//! in clear; a number connected once only; and a server that refuses to start rather than
//! run with channels it cannot decrypt.

use sea_orm::{ConnectionTrait, Database as Db, Statement};
use serde_json::{Value, json};
use spool_tests::{
    Client, Database, Options, Response, Server, TEST_SECRET_KEY, on_both_databases, serve_refused,
};

const WS: &str = "/api/v1/workspaces/default";
const TOKEN: &str = "EAAGm0PX4ZCpsBAKZBl7x9QzLojaExemploPermanentToken";
const NEW_TOKEN: &str = "EAAGm0PX4ZCpsBAKZBl7x9QzLojaExemploRotatedToken2";
const APP_SECRET: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
const VERIFY_TOKEN: &str = "loja-exemplo-verify-7781";
const SECRETS: [&str; 4] = [TOKEN, NEW_TOKEN, APP_SECRET, VERIFY_TOKEN];

fn new_channel(display_name: &str, phone_number_id: &str) -> Value {
    json!({
        "display_name": display_name,
        "phone_number_id": phone_number_id,
        "waba_id": "102290129340398",
        "access_token": TOKEN,
        "app_secret": APP_SECRET,
        "verify_token": VERIFY_TOKEN,
    })
}

/// Every answer the test saw, to check at the end that none carried a secret.
#[derive(Default)]
struct Seen(Vec<String>);

impl Seen {
    fn keep(&mut self, response: Response) -> Response {
        self.0.push(response.text.clone());
        response
    }

    fn assert_no_secret(&self) {
        for text in &self.0 {
            for secret in SECRETS {
                assert!(!text.contains(secret), "a secret was answered: {text}");
            }
        }
    }
}

/// The sealed columns of a channel, read straight from the server's database.
async fn stored_secrets(database_url: &str, id: &str) -> Vec<String> {
    let db = Db::connect(database_url)
        .await
        .unwrap_or_else(|err| panic!("cannot open {database_url}: {err}"));
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            format!(
                "SELECT access_token, app_secret, verify_token FROM whatsapp_channels WHERE id = '{id}'"
            ),
        ))
        .await
        .expect("the channel's row is read")
        .expect("the channel is stored");
    let columns = (0..3)
        .map(|index| row.try_get_by_index::<String>(index).expect("text"))
        .collect();
    let _ = db.close().await;
    columns
}

async fn set_paused_reason(database_url: &str, id: &str, reason: &str) {
    let db = Db::connect(database_url)
        .await
        .unwrap_or_else(|err| panic!("cannot open {database_url}: {err}"));
    db.execute_unprepared(&format!(
        "UPDATE whatsapp_channels SET paused_reason = '{reason}' WHERE id = '{id}'"
    ))
    .await
    .expect("the channel is paused");
    let _ = db.close().await;
}

async fn channels(db: Database) {
    let server = Server::start(db).await;
    let admin = server.admin().await;
    let mut seen = Seen::default();

    let none = seen.keep(admin.get(&format!("{WS}/channels")).await);
    assert_eq!(none.status, 200, "{}", none.text);
    assert_eq!(none.body, json!([]));

    // Every bad field is named at once, each with what it should be.
    let mut bad = new_channel("Loja", "+55 11 98765-4321");
    bad["throughput_per_second"] = json!(0);
    bad["api_version"] = json!("25");
    let refused = seen.keep(admin.post(&format!("{WS}/channels"), &bad).await);
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert_eq!(refused.error_code(), "invalid_channel");
    let fields = &refused.body["error"]["details"]["fields"];
    for field in ["phone_number_id", "throughput_per_second", "api_version"] {
        assert!(fields[field].is_string(), "{field} is not named: {fields}");
    }

    let created = seen.keep(
        admin
            .post(
                &format!("{WS}/channels"),
                &new_channel("Loja Exemplo", "106540352242922"),
            )
            .await,
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let first = created.body["id"].as_str().unwrap_or_default().to_owned();
    assert!(
        first.starts_with("ch_") && first.len() == 19,
        "ids are ch_ and 16 hex digits: {first}"
    );
    let expected = json!({
        "id": first,
        "display_name": "Loja Exemplo",
        "phone_number_id": "106540352242922",
        "waba_id": "102290129340398",
        "webhook_path": format!("/webhooks/whatsapp/{first}"),
        "api_version": "v25.0",
        "throughput_per_second": 80,
        "messaging_limit": 250,
        "marketing_messages_api": false,
        "is_default": true,
        "paused_reason": null,
        "quality_rating": null,
        "created_by": "user:admin@spool.test",
        "updated_by": "user:admin@spool.test",
    });
    for (field, value) in expected.as_object().expect("an object") {
        assert_eq!(&created.body[field], value, "{field}: {}", created.text);
    }
    let token_fingerprint = created.body["access_token_fingerprint"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        token_fingerprint.starts_with("…oken sha256:"),
        "{token_fingerprint}"
    );
    assert!(
        created.body["verify_token_fingerprint"]
            .as_str()
            .is_some_and(|shown| shown.contains("sha256:")),
        "{}",
        created.text
    );

    // In the database, the secrets are sealed.
    let stored = stored_secrets(&server.database_url, &first).await;
    for (column, secret) in stored.iter().zip([TOKEN, APP_SECRET, VERIFY_TOKEN]) {
        assert!(column.starts_with("v1:"), "not sealed: {column}");
        assert!(!column.contains(secret), "stored in clear: {column}");
    }

    // A number is connected once only, in this workspace or another.
    let again = seen.keep(
        admin
            .post(
                &format!("{WS}/channels"),
                &new_channel("Again", "106540352242922"),
            )
            .await,
    );
    assert_eq!(again.status, 409, "{}", again.text);
    assert_eq!(again.error_code(), "phone_number_taken");
    assert_eq!(again.body["error"]["details"]["channel"], json!(first));
    let other_ws = admin
        .post(
            "/api/v1/workspaces",
            &json!({ "id": "globex", "name": "Globex" }),
        )
        .await;
    assert_eq!(other_ws.status, 201, "{}", other_ws.text);
    let elsewhere = seen.keep(
        admin
            .post(
                "/api/v1/workspaces/globex/channels",
                &new_channel("Globex", "106540352242922"),
            )
            .await,
    );
    assert_eq!(elsewhere.status, 409, "{}", elsewhere.text);
    assert_eq!(elsewhere.body["error"]["details"]["channel"], Value::Null);

    let second = seen.keep(
        admin
            .post(
                &format!("{WS}/channels"),
                &json!({
                    "display_name": "Loja Exemplo (Portugal)",
                    "phone_number_id": "207651463353033",
                    "waba_id": "102290129340398",
                    "access_token": TOKEN,
                    "app_secret": APP_SECRET,
                    "verify_token": VERIFY_TOKEN,
                    "api_version": "v26.0",
                    "throughput_per_second": 1000,
                    "messaging_limit": 2000,
                    "marketing_messages_api": true,
                }),
            )
            .await,
    );
    assert_eq!(second.status, 201, "{}", second.text);
    assert_eq!(
        second.body["is_default"], false,
        "only the first is default"
    );
    assert_eq!(second.body["messaging_limit"], 2000);
    assert_eq!(second.body["marketing_messages_api"], true);
    let second_id = second.body["id"].as_str().unwrap_or_default().to_owned();

    let listed = seen.keep(admin.get(&format!("{WS}/channels")).await);
    let ids: Vec<&str> = listed
        .body
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|channel| channel["id"].as_str())
        .collect();
    assert_eq!(ids, [first.as_str(), second_id.as_str()], "{}", listed.text);

    // A change touches what it names; a secret changes only when given.
    let renamed = seen.keep(
        admin
            .send(
                admin
                    .request(reqwest::Method::PATCH, &format!("{WS}/channels/{first}"))
                    .json(&json!({ "display_name": "Loja Exemplo (Brasil)", "throughput_per_second": 200 })),
            )
            .await,
    );
    assert_eq!(renamed.status, 200, "{}", renamed.text);
    assert_eq!(renamed.body["display_name"], "Loja Exemplo (Brasil)");
    assert_eq!(renamed.body["throughput_per_second"], 200);
    assert_eq!(
        renamed.body["access_token_fingerprint"],
        json!(token_fingerprint)
    );
    let patch = |id: &str, body: Value| {
        admin
            .request(reqwest::Method::PATCH, &format!("{WS}/channels/{id}"))
            .json(&body)
    };
    let empty = seen.keep(admin.send(patch(&first, json!({}))).await);
    assert_eq!(empty.status, 422, "{}", empty.text);
    assert_eq!(empty.error_code(), "empty_change");
    let clash = seen.keep(
        admin
            .send(patch(
                &second_id,
                json!({ "phone_number_id": "106540352242922" }),
            ))
            .await,
    );
    assert_eq!(clash.status, 409, "{}", clash.text);
    assert_eq!(clash.error_code(), "phone_number_taken");

    // A channel Meta paused shows why, in the API and /readyz, until its token is replaced.
    set_paused_reason(
        &server.database_url,
        &first,
        "Meta rejected the access token (190)",
    )
    .await;
    let paused = seen.keep(admin.get(&format!("{WS}/channels/{first}")).await);
    assert_eq!(
        paused.body["paused_reason"], "Meta rejected the access token (190)",
        "{}",
        paused.text
    );
    let ready = server.anonymous().get("/readyz").await;
    assert_eq!(
        ready.status, 200,
        "a paused channel does not fail readiness"
    );
    assert_eq!(
        ready.body["degraded"],
        json!([{ "channel": first, "paused_reason": "Meta rejected the access token (190)" }]),
        "{}",
        ready.text
    );
    let rotated = seen.keep(
        admin
            .send(patch(&first, json!({ "access_token": NEW_TOKEN })))
            .await,
    );
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    assert_eq!(rotated.body["paused_reason"], Value::Null);
    assert_ne!(
        rotated.body["access_token_fingerprint"],
        json!(token_fingerprint)
    );
    assert!(
        rotated.body["access_token_fingerprint"]
            .as_str()
            .is_some_and(|shown| shown.starts_with("…ken2 ")),
        "{}",
        rotated.text
    );
    let ready = server.anonymous().get("/readyz").await;
    assert!(ready.body.get("degraded").is_none(), "{}", ready.text);

    // The default moves; there is always exactly one.
    let made = seen.keep(
        admin
            .post(&format!("{WS}/channels/{second_id}/default"), &json!({}))
            .await,
    );
    assert_eq!(made.status, 200, "{}", made.text);
    assert_eq!(made.body["is_default"], true);
    let first_now = seen.keep(admin.get(&format!("{WS}/channels/{first}")).await);
    assert_eq!(first_now.body["is_default"], false, "{}", first_now.text);

    // A viewer sees nothing of them and changes nothing; an editor reads them.
    for (email, role) in [("vera@example.com", "viewer"), ("ed@example.com", "editor")] {
        let added = admin
            .post(
                &format!("{WS}/members"),
                &json!({ "email": email, "role": role, "password": "a long password 1" }),
            )
            .await;
        assert_eq!(added.status, 201, "{}", added.text);
    }
    let viewer = server
        .sign_in("vera@example.com", "a long password 1")
        .await;
    let forbidden = viewer
        .post(
            &format!("{WS}/channels"),
            &new_channel("Mine", "308762574464144"),
        )
        .await;
    assert_eq!(forbidden.status, 403, "{}", forbidden.text);
    assert_eq!(
        viewer.get(&format!("{WS}/channels")).await.status,
        403,
        "viewers do not see channels"
    );
    let editor = server.sign_in("ed@example.com", "a long password 1").await;
    let read = seen.keep(editor.get(&format!("{WS}/channels")).await);
    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(
        editor
            .delete(&format!("{WS}/channels/{first}"))
            .await
            .status,
        403,
        "only admins remove channels"
    );

    // Removing the default makes the oldest remaining one the default.
    let removed = admin.delete(&format!("{WS}/channels/{second_id}")).await;
    assert_eq!(removed.status, 204, "{}", removed.text);
    let gone = seen.keep(admin.get(&format!("{WS}/channels/{second_id}")).await);
    assert_eq!(gone.status, 404, "{}", gone.text);
    let left = seen.keep(admin.get(&format!("{WS}/channels")).await);
    assert_eq!(left.body[0]["id"], json!(first), "{}", left.text);
    assert_eq!(left.body[0]["is_default"], true, "{}", left.text);

    let log = seen.keep(admin.get(&format!("{WS}/audit-log")).await);
    for action in [
        "channel.created",
        "channel.updated",
        "channel.default_set",
        "channel.deleted",
    ] {
        assert!(
            log.text.contains(action),
            "{action} not audited: {}",
            log.text
        );
    }
    seen.assert_no_secret();
    assert!(server.stop(), "the server did not stop cleanly");
}

/// Without a key, a server with no channel runs, and refuses to create one, saying how to
/// make a key.
async fn no_key_no_channel(db: Database) {
    let server = Server::start_with(
        db,
        Options {
            without_secret_key: true,
            ..Options::default()
        },
    )
    .await;
    let admin: Client = server.admin().await;
    let refused = admin
        .post(
            &format!("{WS}/channels"),
            &new_channel("Loja Exemplo", "106540352242922"),
        )
        .await;
    assert_eq!(refused.status, 409, "{}", refused.text);
    assert_eq!(refused.error_code(), "secret_key_missing");
    let message = refused.body["error"]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(
        message.contains("SPOOL_SECRET_KEY") && message.contains("openssl rand -hex 32"),
        "{message}"
    );
    assert!(server.stop(), "the server did not stop cleanly");
}

/// With a channel stored, `spool serve` refuses to start without the key, or with another
/// key, saying which; with the key it was stored with, it starts.
async fn refuses_to_start_without_its_key(db: Database) {
    let server = Server::start(db).await;
    let admin = server.admin().await;
    let created = admin
        .post(
            &format!("{WS}/channels"),
            &new_channel("Loja Exemplo", "106540352242922"),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.body["id"].as_str().unwrap_or_default().to_owned();
    let database_url = server.database_url.clone();
    let dir = server.served.dir.clone();
    assert!(server.served.stop_keeping_files(), "stopped cleanly");

    let args = ["--database-url", database_url.as_str()];
    let (status, said) = serve_refused(&args, &[]);
    assert!(!status.success(), "started without its key: {said}");
    assert!(
        said.contains("1 WhatsApp channel(s) are stored with encrypted tokens")
            && said.contains("SPOOL_SECRET_KEY"),
        "{said}"
    );

    let other_key = "11".repeat(32);
    let (status, said) = serve_refused(&args, &[("SPOOL_SECRET_KEY", other_key.as_str())]);
    assert!(!status.success(), "started with another key: {said}");
    assert!(
        said.contains(&id) && said.contains("Loja Exemplo") && said.contains("key changed"),
        "{said}"
    );
    assert!(!said.contains("panicked"), "{said}");

    let (status, said) = serve_refused(&args, &[("SPOOL_SECRET_KEY", "0123abcd")]);
    assert!(!status.success(), "started with a short key: {said}");
    assert!(
        said.contains("SPOOL_SECRET_KEY is 4 bytes long") && said.contains("openssl rand -hex 32"),
        "{said}"
    );

    // With its key it starts, and the channel reads as before.
    let again = Server::start_with(
        Database::Sqlite,
        Options {
            args: args.iter().map(|arg| (*arg).to_owned()).collect(),
            env: vec![("SPOOL_SECRET_KEY".into(), TEST_SECRET_KEY.into())],
            ..Options::default()
        },
    )
    .await;
    let admin = again.admin().await;
    let read = admin.get(&format!("{WS}/channels/{id}")).await;
    assert_eq!(read.status, 200, "{}", read.text);
    assert!(again.stop(), "the server did not stop cleanly");
    let _ = std::fs::remove_dir_all(dir);
}

on_both_databases!(
    channels,
    no_key_no_channel,
    refuses_to_start_without_its_key
);
