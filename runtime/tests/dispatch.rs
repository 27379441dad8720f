//! Draining the outbox: one contact's trouble with the channel never holds up another's
//! messages, and each contact's messages arrive in the order its run sent them, however
//! often they had to wait.

#[macro_use]
mod common;

use std::time::Duration;

use common::{Backend, Harness};
use serde_json::json;
use spool_runtime::EngineConfig;
use spool_runtime::RuntimeConfig;
use spool_runtime::http::HttpServices;
use spool_runtime::state::contact_id_for;

const ANA: &str = "5511987650001";
const BEN: &str = "5511987650002";

/// Three messages in a row to whoever writes.
fn three_in_a_row() -> String {
    json!({
        "schema": 1, "id": "three", "name": "three",
        "nodes": [
            { "id": "start", "type": "inbound_message" },
            { "id": "one", "type": "send_text", "config": { "text": "one" } },
            { "id": "two", "type": "send_text", "config": { "text": "two" } },
            { "id": "three", "type": "send_text", "config": { "text": "three" } },
        ],
        "edges": [
            { "from": "start", "port": "next", "to": "one" },
            { "from": "one", "port": "next", "to": "two" },
            { "from": "two", "port": "next", "to": "three" },
        ],
    })
    .to_string()
}

/// One partition, so that both contacts share an outbox.
async fn one_partition(backend: Backend) -> Harness {
    Harness::with_backend(
        backend,
        HttpServices::new(None).expect("http client"),
        EngineConfig::default(),
        1,
    )
    .await
}

async fn a_contact_the_channel_fails_for_waits_alone_and_keeps_its_order(backend: Backend) {
    let h = one_partition(backend).await;
    h.publish(&three_in_a_row());
    h.channel
        .fail_contact(&contact_id_for(BEN), 2, Some(Duration::from_secs(10)));
    // Ben's messages are first in the outbox.
    h.text(BEN, "hi").await;
    h.text(ANA, "hi").await;
    h.settle().await;
    assert_eq!(
        h.received(ANA),
        ["one", "two", "three"],
        "Ana is not held up"
    );
    assert!(h.received(BEN).is_empty());
    h.advance(Duration::from_secs(5)).await;
    assert!(h.received(BEN).is_empty(), "Ben waits as long as asked");
    h.advance(Duration::from_secs(5)).await;
    assert!(h.received(BEN).is_empty(), "the second try failed too");
    h.advance(Duration::from_secs(10)).await;
    assert_eq!(h.received(BEN), ["one", "two", "three"]);
    h.finish().await;
}

async fn many_held_messages_at_the_head_of_the_outbox_do_not_starve_the_others(backend: Backend) {
    let h = one_partition(backend).await;
    h.publish(&three_in_a_row());
    let runtime = h.runtime_with(RuntimeConfig {
        outbox_batch: 2,
        ..RuntimeConfig::default()
    });
    h.channel
        .fail_contact(&contact_id_for(BEN), 1, Some(Duration::from_secs(60)));
    h.text(BEN, "hi").await;
    h.text(ANA, "hi").await;
    runtime.run_until_idle().await.expect("runtime works");
    assert_eq!(h.received(ANA), ["one", "two", "three"]);
    assert!(h.received(BEN).is_empty());
    h.clock.advance(Duration::from_secs(60));
    runtime.run_until_idle().await.expect("runtime works");
    assert_eq!(h.received(BEN), ["one", "two", "three"]);
    h.finish().await;
}

macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod on_redis {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(crate::common::Backend::Redis).await;
                }
            )*
        }
        mod on_embedded {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(crate::common::Backend::Sqlite).await;
                }
            )*
        }
    };
}

on_both_stores!(
    a_contact_the_channel_fails_for_waits_alone_and_keeps_its_order,
    many_held_messages_at_the_head_of_the_outbox_do_not_starve_the_others,
);
