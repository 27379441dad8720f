//! The three example journeys, end to end, on each real store (Redis, and the embedded store
//! on SQLite): what each contact receives, and where their run ends up.

#[macro_use]
mod common;

use common::{Harness, hours};
use serde_json::json;
use spool_nodes::{Content, RunStatus};
use spool_runtime::state::{ContactChange, contact_id_for};
use spool_runtime::store::Store;
use spool_runtime::{Event, EventKind};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ANA: &str = "5511987650001";

fn cart(purchased: bool) -> serde_json::Value {
    json!({
        "customer": { "phone": ANA },
        "cart": { "id": "c-981", "total": 89.9, "currency": "EUR", "purchased": purchased,
                  "checkout_url": "https://shop.example.com/checkout/c-981" }
    })
}

// Each scenario is an `async fn(Harness)`; this runs it on every store, as
// `on_redis::<name>` and `on_embedded::<name>`.

on_every_store!(
    abandoned_cart_waits_an_hour_then_reminds_and_follows_the_discount_button,
    abandoned_cart_sends_nothing_when_the_cart_was_bought,
    abandoned_cart_sends_no_marketing_template_without_opt_in,
    abandoned_cart_takes_the_timeout_branch_when_no_one_answers,
    abandoned_cart_not_interested_is_tagged_and_acknowledged,
    order_status_sends_the_shipped_utility_template_without_opt_in,
    ctwa_lead_is_qualified_scored_sent_to_the_crm_and_handed_to_sales,
    ctwa_lead_who_never_gives_a_number_is_tagged_unqualified,
);

async fn abandoned_cart(h: Harness, opted_in: bool, purchased: bool) -> Harness {
    h.publish_example("abandoned-cart");
    let change = ContactChange {
        name: Some("Ana".into()),
        marketing_opt_in: Some(opted_in),
        ..ContactChange::default()
    };
    h.change(ANA, change).await;
    h.webhook(ANA, "abandoned-cart", cart(purchased)).await;
    h.settle().await;
    h
}

async fn abandoned_cart_waits_an_hour_then_reminds_and_follows_the_discount_button(h: Harness) {
    let h = abandoned_cart(h, true, false).await;
    assert!(h.received(ANA).is_empty(), "nothing before the hour is up");
    let run = h.run(ANA, "abandoned-cart").await;
    assert_eq!(
        (run.status, run.cursor.as_str()),
        (RunStatus::WaitingTimer, "wait_1h")
    );

    h.advance(hours(1)).await;
    assert_eq!(h.received(ANA), ["template cart_reminder(Ana, EUR 89.9)"]);

    h.template_tap(ANA, "cart_discount", "Get 10% off").await;
    h.settle().await;
    let received = h.received(ANA);
    assert_eq!(received.len(), 2, "{received:?}");
    assert!(
        received[1].starts_with("Good news, Ana! Here is 10% off your cart"),
        "{}",
        received[1]
    );
    let state = h.state(ANA).await;
    assert_eq!(
        state.contact.properties.get("cart_discount_code"),
        Some(&json!("COMEBACK10"))
    );
    let run = h.run(ANA, "abandoned-cart").await;
    assert_eq!(
        (run.status, run.cursor.as_str()),
        (RunStatus::Done, "end_discount")
    );
    h.finish().await;
}

async fn abandoned_cart_sends_nothing_when_the_cart_was_bought(h: Harness) {
    let h = abandoned_cart(h, true, true).await;
    h.advance(hours(1)).await;
    assert!(h.received(ANA).is_empty());
    let run = h.run(ANA, "abandoned-cart").await;
    assert_eq!(
        (run.status, run.cursor.as_str()),
        (RunStatus::Done, "end_no_reminder")
    );
    h.finish().await;
}

async fn abandoned_cart_sends_no_marketing_template_without_opt_in(h: Harness) {
    let h = abandoned_cart(h, false, false).await;
    h.advance(hours(1)).await;
    assert!(h.received(ANA).is_empty());
    let run = h.run(ANA, "abandoned-cart").await;
    assert_eq!(
        (run.status, run.cursor.as_str()),
        (RunStatus::Done, "end_no_reminder")
    );
    h.finish().await;
}

async fn abandoned_cart_takes_the_timeout_branch_when_no_one_answers(h: Harness) {
    let h = abandoned_cart(h, true, false).await;
    h.advance(hours(1)).await;
    h.advance(hours(23)).await;
    assert_eq!(h.received(ANA).len(), 1, "still waiting after 23 hours");
    h.advance(hours(1)).await;
    assert_eq!(
        h.received(ANA),
        [
            "template cart_reminder(Ana, EUR 89.9)",
            "template cart_last_chance(Ana)"
        ]
    );
    let run = h.run(ANA, "abandoned-cart").await;
    assert_eq!(
        (run.status, run.cursor.as_str()),
        (RunStatus::Done, "end_last_chance")
    );
    h.finish().await;
}

async fn abandoned_cart_not_interested_is_tagged_and_acknowledged(h: Harness) {
    let h = abandoned_cart(h, true, false).await;
    h.advance(hours(1)).await;
    h.template_tap(ANA, "cart_not_interested", "Not interested")
        .await;
    h.settle().await;
    let received = h.received(ANA);
    assert_eq!(
        received[1],
        "No problem, Ana, we won't remind you about this cart again."
    );
    assert!(
        h.state(ANA)
            .await
            .contact
            .tags
            .contains("cart-not-interested")
    );
    // The 24 h timeout was cleared with the answer: nothing more, ever.
    h.advance(hours(48)).await;
    assert_eq!(h.received(ANA).len(), 2);
    assert!(
        h.store
            .timers(&contact_id_for(ANA))
            .await
            .expect("timers")
            .is_empty()
    );
    h.finish().await;
}

async fn order_status_sends_the_shipped_utility_template_without_opt_in(h: Harness) {
    h.publish_example("order-status");
    h.change(
        ANA,
        ContactChange {
            name: Some("Ana".into()),
            ..ContactChange::default()
        },
    )
    .await;
    let shipped = json!({ "customer": { "phone": ANA }, "status": "shipped", "order": { "number": "1042" },
                          "tracking": { "carrier": "DHL", "code": "JD0142" } });
    h.webhook(ANA, "order-status", shipped).await;
    let processing = json!({ "customer": { "phone": ANA }, "status": "processing", "status_label": "being packed",
                             "order": { "number": "1043" } });
    h.webhook(ANA, "order-status", processing).await;
    h.settle().await;
    assert_eq!(
        h.received(ANA),
        [
            "template order_shipped(Ana, #1042, DHL)",
            "template order_status_update(Ana, #1043, being packed)"
        ]
    );
    let sent = h.channel.sent_to(&contact_id_for(ANA));
    let spool_nodes::OutboundBody::Template { buttons, .. } = &sent[0].body else {
        panic!("a template")
    };
    assert_eq!(buttons[0].parameter, "JD0142");
    h.finish().await;
}

fn ctwa_message(h: &Harness, text: &str) -> Event {
    let mut message = h.message(
        ANA,
        Content::Text {
            body: text.to_owned(),
        },
    );
    message.referral =
        Some(json!({ "source_id": "ad-77", "source_type": "ad", "headline": "Website in a week" }));
    Event::inbound(message, 0)
}

async fn ctwa_with_crm(h: Harness) -> (Harness, MockServer) {
    let crm = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/leads"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({ "id": "lead-42" })))
        .mount(&crm)
        .await;
    let flow =
        Harness::example("ctwa-lead-qualification").replace("https://crm.example.com", &crm.uri());
    h.publish(&flow);
    (h, crm)
}

/// The CTWA example's `burst_merge` window.
const BURST_MERGE: std::time::Duration = std::time::Duration::from_secs(10);

async fn ctwa_lead_is_qualified_scored_sent_to_the_crm_and_handed_to_sales(h: Harness) {
    let (h, crm) = ctwa_with_crm(h).await;
    h.send(ctwa_message(&h, "Hi! I saw your ad")).await;
    h.settle().await;
    // The flow merges text fragments sent within 10 s: an answer counts once that passed.
    h.text(ANA, "lots").await;
    h.settle().await;
    h.advance(BURST_MERGE).await;
    h.text(ANA, "2500").await;
    h.settle().await;
    h.advance(BURST_MERGE).await;
    // A tap is never held back.
    h.tap(ANA, "this_month", "This month").await;
    h.settle().await;
    h.text(ANA, "We need a new website for our shop").await;
    h.settle().await;
    h.text(ANA, "with online booking").await;
    h.settle().await;
    h.advance(BURST_MERGE).await;

    let received = h.received(ANA);
    assert_eq!(received.len(), 4, "{received:#?}");
    assert!(
        received[0].starts_with("Hi Ana, thanks for your interest in Website in a week!"),
        "{}",
        received[0]
    );
    assert_eq!(
        received[1],
        "Sorry, I need just a number in euros, e.g. 800."
    );
    assert_eq!(
        received[2],
        "2/3: When would you like to start? [This month | In 1-3 months | Just looking]"
    );
    assert_eq!(
        received[3],
        "3/3: In a sentence or two, what do you need help with?"
    );

    let requests = crm.received_requests().await.unwrap_or_default();
    assert_eq!(requests.len(), 1);
    let lead: serde_json::Value =
        serde_json::from_slice(&requests[0].body).expect("the CRM got JSON");
    assert_eq!(lead["score"], json!(100));
    assert_eq!(lead["budget"], json!(2500.0));
    assert_eq!(lead["timing"], json!("this_month"));
    assert_eq!(lead["ad_id"], json!("ad-77"));

    let run = h.run(ANA, "ctwa-lead-qualification").await;
    assert_eq!(
        (run.status, run.cursor.as_str()),
        (RunStatus::Handoff, "handoff_sales")
    );
    assert_eq!(run.vars["crm_id"], json!("lead-42"));

    let closed = EventKind::HandoffClosed {
        run_id: run.id.clone(),
    };
    h.send(Event::new(contact_id_for(ANA), ANA, 0, closed))
        .await;
    h.settle().await;
    let run = h.run(ANA, "ctwa-lead-qualification").await;
    assert_eq!(
        (run.status, run.cursor.as_str()),
        (RunStatus::Done, "end_hot")
    );
    h.finish().await;
}

async fn ctwa_lead_who_never_gives_a_number_is_tagged_unqualified(h: Harness) {
    let (h, crm) = ctwa_with_crm(h).await;
    h.send(ctwa_message(&h, "Hello")).await;
    h.settle().await;
    for answer in ["lots", "many", "a bunch"] {
        h.text(ANA, answer).await;
        h.settle().await;
        h.advance(BURST_MERGE).await;
    }
    let received = h.received(ANA);
    // The question, then a retry message for each of the two retries; the third invalid
    // answer leaves through `invalid`.
    assert_eq!(received.len(), 3, "{received:#?}");
    assert!(h.state(ANA).await.contact.tags.contains("lead-unqualified"));
    let run = h.run(ANA, "ctwa-lead-qualification").await;
    assert_eq!(
        (run.status, run.cursor.as_str()),
        (RunStatus::Done, "end_unqualified")
    );
    assert!(crm.received_requests().await.unwrap_or_default().is_empty());
    h.finish().await;
}
