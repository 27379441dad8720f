//! The abandoned-cart example journey on WhatsApp, as a shop runs it: the shop's webhook
//! starts it, an hour later the reminder template goes out through the Cloud API, and what
//! the contact taps on it (a quick-reply button, arriving as Meta's webhook body) routes the
//! journey; a contact who never answers gets the last-chance template a day later. On a
//! virtual clock, on Redis and on the embedded store.

use std::time::Duration;

use serde_json::{Value, json};
use spool_nodes::HOUR;
use spool_runtime::state::ContactChange;

use spool_builder_api::conversation;

use spool_runtime::state::contact_id_for;

use crate::limits::{Attempt, PHONE_NUMBER_ID, Rig, Setup};

const ANA: &str = "5511987650101";
const BEN: &str = "5511987650102";
const CAL: &str = "5511987650103";

fn example() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../flows/examples/abandoned-cart.json"
    );
    let text = std::fs::read_to_string(path).expect("the example is readable");
    serde_json::from_str(&text).expect("the example is JSON")
}

fn cart(phone: &str) -> Value {
    json!({
        "customer": { "phone": phone },
        "cart": {
            "id": format!("cart-{phone}"),
            "purchased": false,
            "currency": "EUR",
            "total": 42.5,
            "checkout_url": "https://shop.example/checkout"
        }
    })
}

/// Meta's webhook body for WhatsApp's word on the message `wamid`: `sent`, `delivered`…
fn status(phone: &str, sent: &Attempt, status: &str, seconds: i64) -> Value {
    json!({
        "object": "whatsapp_business_account",
        "entry": [{
            "id": "102290129340398",
            "changes": [{
                "field": "messages",
                "value": {
                    "messaging_product": "whatsapp",
                    "metadata": { "display_phone_number": "15550001111", "phone_number_id": PHONE_NUMBER_ID },
                    "statuses": [{
                        "id": sent.wamid, "status": status, "timestamp": seconds.to_string(),
                        "recipient_id": phone, "biz_opaque_callback_data": sent.callback
                    }]
                }
            }]
        }]
    })
}

/// Each message of the contact's conversation as `direction status: words`.
async fn conversation(rig: &Rig, phone: &str) -> Vec<String> {
    conversation::of_contact(&rig.db, &contact_id_for(phone), None, 100)
        .await
        .expect("the history is readable")
        .into_iter()
        .map(|row| {
            let body: Value = serde_json::from_str(&row.body).expect("JSON");
            let words = body["name"]
                .as_str()
                .or(body["text"].as_str())
                .or(body["body"].as_str())
                .or(body["title"].as_str())
                .unwrap_or_default()
                .to_owned();
            format!("{} {}: {words}", row.direction, row.status)
        })
        .collect()
}

/// Meta's webhook body for a tap on the quick-reply button `payload` of the template
/// `wamid`, sent at `seconds` (Unix time).
fn button_tap(phone: &str, wamid: &str, payload: &str, title: &str, seconds: i64) -> Value {
    json!({
        "object": "whatsapp_business_account",
        "entry": [{
            "id": "102290129340398",
            "changes": [{
                "field": "messages",
                "value": {
                    "messaging_product": "whatsapp",
                    "metadata": { "display_phone_number": "15550001111", "phone_number_id": PHONE_NUMBER_ID },
                    "contacts": [{ "profile": { "name": "Ana" }, "wa_id": phone }],
                    "messages": [{
                        "from": phone,
                        "id": format!("wamid.tap.{phone}"),
                        "timestamp": seconds.to_string(),
                        "type": "button",
                        "context": { "from": "15550001111", "id": wamid },
                        "button": { "payload": payload, "text": title }
                    }]
                }
            }]
        }]
    })
}

async fn a_button_tap_routes_the_abandoned_cart_journey(redis: bool) {
    let rig = Rig::start(Setup::new(redis)).await;
    rig.publish(&example());
    for (phone, name) in [(ANA, "Ana"), (BEN, "Ben"), (CAL, "Cal")] {
        // Marketing templates go only to contacts who opted in.
        let change = ContactChange {
            name: Some(name.to_owned()),
            marketing_opt_in: Some(true),
            ..ContactChange::default()
        };
        rig.update_contact(phone, change).await;
        rig.webhook_with(phone, "abandoned-cart", cart(phone)).await;
    }
    rig.settle().await;
    assert!(
        rig.meta.attempts().is_empty(),
        "nothing before the hour is up"
    );

    rig.advance(Duration::from_millis(HOUR as u64)).await;
    for phone in [ANA, BEN, CAL] {
        assert_eq!(
            rig.meta.delivered(phone),
            ["template:cart_reminder"],
            "{phone}"
        );
    }
    let sent = |phone: &str| {
        rig.meta
            .attempts()
            .into_iter()
            .find(|attempt| attempt.to == phone && attempt.accepted)
            .expect("the reminder was accepted")
    };
    let reminder = |phone: &str| sent(phone).wamid.unwrap_or_default();

    // The contacts read the reminder a minute later.
    rig.advance(Duration::from_secs(60)).await;
    let now = rig.runtime.clock().now() / 1_000;
    let tap = button_tap(
        ANA,
        &reminder(ANA),
        "cart_discount",
        "Send me a discount",
        now,
    );
    rig.meta_webhook(&tap).await;
    let tap = button_tap(
        BEN,
        &reminder(BEN),
        "cart_not_interested",
        "Not interested",
        now,
    );
    rig.meta_webhook(&tap).await;
    rig.settle().await;
    assert_eq!(
        rig.meta.delivered(ANA),
        [
            "template:cart_reminder",
            "Good news, Ana! Here is 10% off your cart: use code COMEBACK10 at checkout. Your cart is still waiting for you: https://shop.example/checkout"
        ]
    );
    assert_eq!(
        rig.meta.delivered(BEN),
        [
            "template:cart_reminder",
            "No problem, Ben, we won't remind you about this cart again."
        ]
    );

    // Cal never answers: a day later, the last chance.
    rig.advance(Duration::from_millis(24 * HOUR as u64)).await;
    assert_eq!(
        rig.meta.delivered(CAL),
        ["template:cart_reminder", "template:cart_last_chance"]
    );
    assert_eq!(rig.meta.delivered(ANA).len(), 2, "Ana's journey is over");

    // The conversation as an operator reads it: both ways, with what became of each message
    // (statuses arrive out of order and never move a message back).
    let later = rig.runtime.clock().now() / 1_000;
    for state in ["read", "delivered", "sent"] {
        rig.meta_webhook(&status(ANA, &sent(ANA), state, later))
            .await;
    }
    rig.settle().await;
    assert_eq!(
        conversation(&rig, ANA).await,
        [
            "out read: cart_reminder",
            "in received: Send me a discount",
            "out queued: Good news, Ana! Here is 10% off your cart: use code COMEBACK10 at checkout. Your cart is still waiting for you: https://shop.example/checkout",
        ]
    );
    rig.finish().await;
}

mod on_redis {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_button_tap_routes_the_abandoned_cart_journey() {
        super::a_button_tap_routes_the_abandoned_cart_journey(true).await;
    }
}

mod on_embedded {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_button_tap_routes_the_abandoned_cart_journey() {
        super::a_button_tap_routes_the_abandoned_cart_journey(false).await;
    }
}
