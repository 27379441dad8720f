//! The registry on a SQLite file: lookups, pauses, and start-up refusals.

use spool_runtime::clock::SystemClock;

use super::*;

/// A fresh SQLite database in a file of its own (an in-memory one dies with its
/// connection, which the pool may close).
async fn database() -> (DatabaseConnection, std::path::PathBuf) {
    let path = std::env::temp_dir().join(format!(
        "spool-channels-{}-{}.sqlite",
        std::process::id(),
        rand::random::<u64>()
    ));
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let db = crate::db::connect(&url).await.expect("a database");
    (db, path)
}

async fn store(channels: &WhatsAppChannels, id: &str, phone: &str, is_default: bool) {
    let seal = |field| channels.seal(id, field, "secret-value").expect("sealed");
    channel::ActiveModel {
        id: Set(id.to_owned()),
        workspace_id: Set("shop".to_owned()),
        display_name: Set(format!("Channel {id}")),
        phone_number_id: Set(phone.to_owned()),
        waba_id: Set("102290129340398".to_owned()),
        access_token: Set(seal(Sealed::AccessToken)),
        app_secret: Set(seal(Sealed::AppSecret)),
        verify_token: Set(seal(Sealed::VerifyToken)),
        api_version: Set(DEFAULT_API_VERSION.to_owned()),
        throughput_per_second: Set(80),
        messaging_limit: Set(250),
        marketing_messages_api: Set(false),
        is_default: Set(is_default),
        paused_reason: Set(None),
        quality_rating: Set(None),
        created_at: Set(0),
        created_by: Set("user:a@b.c".to_owned()),
        updated_at: Set(0),
        updated_by: Set("user:a@b.c".to_owned()),
    }
    .insert(&channels.db)
    .await
    .expect("stored");
}

fn registry(db: &DatabaseConnection, key: Option<[u8; 32]>) -> WhatsAppChannels {
    let key = key.map(|bytes| SecretKey::from_bytes(&bytes).expect("a key"));
    WhatsAppChannels::new(db.clone(), key, Arc::new(SystemClock))
}

#[tokio::test]
async fn channels_are_found_by_id_number_and_default_with_secrets_opened() {
    let (db, path) = database().await;
    let channels = registry(&db, Some([5; 32]));
    store(&channels, "ch_a", "111", true).await;
    store(&channels, "ch_b", "222", false).await;

    let by_id = channels.by_id("ch_b").await.expect("read").expect("found");
    assert_eq!(by_id.phone_number_id, "222");
    assert_eq!(by_id.access_token, "secret-value");
    let by_number = channels.by_phone_number_id("111").await.expect("read");
    assert_eq!(
        by_number.map(|found| found.id.clone()).as_deref(),
        Some("ch_a")
    );
    let default = channels.default_for("shop").await.expect("read");
    assert_eq!(
        default.map(|found| found.id.clone()).as_deref(),
        Some("ch_a")
    );
    assert!(channels.by_id("ch_nope").await.expect("read").is_none());
    assert!(channels.default_for("other").await.expect("read").is_none());
    channels.check_at_start().await.expect("the key opens them");
    let _ = std::fs::remove_file(path);
}

#[tokio::test]
async fn a_pause_is_seen_at_once_and_a_resume_clears_it() {
    let (db, path) = database().await;
    let channels = registry(&db, Some([5; 32]));
    store(&channels, "ch_a", "111", true).await;
    assert!(
        !channels
            .by_id("ch_a")
            .await
            .expect("read")
            .expect("found")
            .is_paused()
    );

    assert!(
        channels
            .pause("ch_a", "Meta rejected the token (190)")
            .await
            .expect("paused")
    );
    assert!(
        !channels
            .pause("ch_a", "Meta rejected the token (190)")
            .await
            .expect("paused"),
        "pausing again for the same reason changes nothing"
    );
    let paused = channels.by_id("ch_a").await.expect("read").expect("found");
    assert_eq!(
        paused.paused_reason.as_deref(),
        Some("Meta rejected the token (190)")
    );
    assert_eq!(
        channels.paused().await.expect("read"),
        [(
            "ch_a".to_owned(),
            "Meta rejected the token (190)".to_owned()
        )]
    );

    assert!(channels.resume("ch_a").await.expect("resumed"));
    assert!(
        !channels
            .by_id("ch_a")
            .await
            .expect("read")
            .expect("found")
            .is_paused()
    );
    assert!(channels.paused().await.expect("read").is_empty());
    assert!(
        !channels
            .pause("ch_nope", "x")
            .await
            .expect("nothing to pause")
    );
    let _ = std::fs::remove_file(path);
}

#[tokio::test]
async fn start_is_refused_without_the_key_or_with_another() {
    let (db, path) = database().await;
    registry(&db, None)
        .check_at_start()
        .await
        .expect("no channel, no key needed");
    let channels = registry(&db, Some([5; 32]));
    store(&channels, "ch_a", "111", true).await;

    let missing = registry(&db, None)
        .check_at_start()
        .await
        .expect_err("no key");
    assert!(
        matches!(missing, StartError::KeyMissing { count: 1 }),
        "{missing}"
    );
    let other = registry(&db, Some([6; 32]));
    let wrong = other.check_at_start().await.expect_err("another key");
    assert!(
        wrong
            .to_string()
            .contains("ch_a (\"Channel ch_a\", workspace shop)"),
        "{wrong}"
    );
    let read = other.by_id("ch_a").await.expect_err("not opened");
    assert!(
        read.to_string()
            .contains("access_token of WhatsApp channel ch_a"),
        "{read}"
    );
    let _ = std::fs::remove_file(path);
}

fn config() -> ChannelConfig {
    ChannelConfig {
        id: "ch_0123456789abcdef".into(),
        workspace_id: "shop".into(),
        display_name: "Loja".into(),
        phone_number_id: "106540352242922".into(),
        waba_id: "102290129340398".into(),
        access_token: "EAAGsecret-token".into(),
        app_secret: "0f1e2d3c4b5a69788796a5b4c3d2e1f0".into(),
        verify_token: "verify-me-please".into(),
        api_version: DEFAULT_API_VERSION.into(),
        throughput_per_second: DEFAULT_THROUGHPUT_PER_SECOND,
        messaging_limit: DEFAULT_MESSAGING_LIMIT,
        marketing_messages_api: false,
        is_default: true,
        paused_reason: None,
        quality_rating: None,
    }
}

#[test]
fn debug_hides_the_secrets() {
    let shown = format!("{:?}", config());
    for secret in ["EAAGsecret-token", "0f1e2d3c4b5a", "verify-me-please"] {
        assert!(!shown.contains(secret), "{shown}");
    }
    assert!(shown.contains("106540352242922"), "{shown}");
}

#[test]
fn the_webhook_path_carries_the_channel_id() {
    assert_eq!(
        config().webhook_path(),
        "/webhooks/whatsapp/ch_0123456789abcdef"
    );
}

#[test]
fn a_secret_sealed_for_one_field_opens_only_there() {
    let key = SecretKey::from_bytes(&[3; 32]).expect("a key");
    let sealed = key.seal(&Sealed::AccessToken.context("ch_1"), "EAAG");
    assert!(
        key.open(&Sealed::AppSecret.context("ch_1"), &sealed)
            .is_err()
    );
    assert_eq!(
        key.open(&Sealed::AccessToken.context("ch_1"), &sealed),
        Ok("EAAG".to_owned())
    );
}
