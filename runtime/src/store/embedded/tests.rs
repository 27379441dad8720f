//! The embedded store's own tests: what only it does (files, WAL, group commit, expiry).

#![allow(clippy::unwrap_used)]

use super::sql::get;
use super::*;
use crate::state::EventKind;
use sea_orm::Statement;
use serde_json::json;
use spool_nodes::Outbound;

fn event(contact: &str, n: u64) -> Event {
    Event::new(
        contact,
        "",
        0,
        EventKind::Webhook {
            flow_id: "f".into(),
            trigger: None,
            payload: json!({ "n": n }),
        },
    )
}

fn temp_file(name: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!(
        "spool-embedded-{}-{name}.sqlite",
        std::process::id()
    ));
    remove(&path);
    path
}

fn remove(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        let _ = std::fs::remove_file(file);
    }
}

#[tokio::test]
async fn an_in_memory_database_lives_as_long_as_the_store() {
    let store = EmbeddedStore::connect(EmbeddedConfig::new("sqlite::memory:").with_partitions(1))
        .await
        .unwrap();
    store.append(&event("wa:1", 1)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let lease = store
        .acquire(0, Duration::from_secs(5))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(store.read(&lease, 10).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_file_database_is_in_wal_mode_and_gains_partitions_on_reconnect() {
    let path = temp_file("wal");
    let store = EmbeddedStore::connect(EmbeddedConfig::sqlite(&path).with_partitions(2))
        .await
        .unwrap();
    let mode = store
        .database()
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA journal_mode",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(get::<String>(&mode, 0).unwrap(), "wal");
    assert!(
        store
            .acquire(3, Duration::from_secs(5))
            .await
            .unwrap()
            .is_none()
    );
    store.append(&event("wa:1", 1)).await.unwrap();
    store.close().await.unwrap();

    // Reopened with more partitions: migrations are not run twice, the log is kept.
    let store = EmbeddedStore::connect(EmbeddedConfig::sqlite(&path).with_partitions(4))
        .await
        .unwrap();
    assert!(
        store
            .acquire(3, Duration::from_secs(5))
            .await
            .unwrap()
            .is_some()
    );
    // The event stays in the log of the partition it was appended to.
    let before = crate::store::partition_of("wa:1", 2);
    let lease = store
        .acquire(before, Duration::from_secs(5))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(store.read(&lease, 10).await.unwrap().len(), 1);
    store.close().await.unwrap();
    remove(&path);
}

#[tokio::test]
async fn processes_opening_one_new_file_at_once_migrate_it_once() {
    let path = temp_file("race");
    let open = || EmbeddedStore::connect(EmbeddedConfig::sqlite(&path).with_partitions(2));
    let (first, second) = tokio::join!(open(), open());
    let (first, second) = (first.unwrap(), second.unwrap());
    first.append(&event("wa:1", 1)).await.unwrap();
    let partition = second.partition_of("wa:1");
    let lease = second
        .acquire(partition, Duration::from_secs(5))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second.read(&lease, 10).await.unwrap().len(), 1);
    assert!(
        first
            .acquire(partition, Duration::from_secs(5))
            .await
            .unwrap()
            .is_none()
    );
    first.close().await.unwrap();
    second.close().await.unwrap();
    remove(&path);
}

#[tokio::test]
async fn expired_keys_count_again_and_are_purged() {
    let mut config = EmbeddedConfig::new("sqlite::memory:").with_partitions(1);
    config.dedupe_ttl = Duration::ZERO;
    let store = EmbeddedStore::connect(config).await.unwrap();
    let keyed = event("wa:1", 1).with_dedupe_key("k");
    assert_eq!(store.append(&keyed).await.unwrap(), Appended::Accepted);
    assert_eq!(store.append(&keyed).await.unwrap(), Appended::Accepted);

    let lease = store
        .acquire(0, Duration::from_secs(5))
        .await
        .unwrap()
        .unwrap();
    let logged = store.read(&lease, 10).await.unwrap();
    assert_eq!(logged.len(), 2);
    let message = Outbound {
        key: "m".into(),
        contact_id: "wa:1".into(),
        to: "1".into(),
        to_user_id: None,
        channel: None,
        run_id: "r".into(),
        node_id: "n".into(),
        body: spool_nodes::OutboundBody::Text {
            text: "hi".into(),
            preview_url: false,
        },
        window_closed: false,
        author: None,
    };
    let batch = Batch {
        position: logged[1].position.clone(),
        outbox: vec![message],
        ..Batch::default()
    };
    store.commit(&lease, batch).await.unwrap();
    let pending = store.outbox(0, 10).await.unwrap();
    store.mark_sent(0, &pending).await.unwrap();
    assert!(store.outbox(0, 10).await.unwrap().is_empty());
    // The expired de-duplication key went with the first acquire.
    assert_eq!(store.purge_expired().await.unwrap(), 0);
}

#[tokio::test]
async fn a_duplicate_within_one_group_commit_is_a_duplicate() {
    let store = EmbeddedStore::connect(EmbeddedConfig::new("sqlite::memory:").with_partitions(2))
        .await
        .unwrap();
    let items = [
        (0, Some("a"), "{}"),
        (1, Some("a"), "{}"),
        (0, Some("a"), "{}"),
        (0, None, "{}"),
    ];
    let outcomes = store.append_all(&items).await.unwrap();
    assert_eq!(
        outcomes,
        [
            Appended::Accepted,
            Appended::Accepted,
            Appended::Duplicate,
            Appended::Accepted
        ]
    );
    let again = store.append_all(&items[..2]).await.unwrap();
    assert_eq!(again, [Appended::Duplicate, Appended::Duplicate]);
}
