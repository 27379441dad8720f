//! The simulator through the HTTP API, as the editor's test chat uses it: each example journey
//! played as a fake contact (messages, taps, fast-forwarded timers), with what the flow would
//! send, the branch it took and the variables it changed; errors, workspace isolation and the
//! live event stream. One server per database runs every scenario.

use serde_json::{Value, json};
use spool_tests::{Client, Database, Server, on_both_databases, workspace_root};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub(crate) const WS: &str = "/api/v1/workspaces/default";
/// A Monday morning in March: 10:00 in Lisbon (UTC+0), outside the shop's quiet hours.
const MONDAY_10AM: &str = "2026-03-02T10:00:00Z";

pub(crate) fn example(name: &str) -> Value {
    let file = workspace_root().join(format!("flows/examples/{name}.json"));
    let text = std::fs::read_to_string(&file)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", file.display()));
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("{name} is not JSON: {err}"))
}

pub(crate) async fn create_flow(client: &Client, document: &Value) {
    let created = client.post(&format!("{WS}/flows"), document).await;
    assert_eq!(created.status, 201, "{}", created.text);
}

async fn publish(client: &Client, flow: &str) {
    let published = client
        .post(&format!("{WS}/flows/{flow}/publish"), &json!({}))
        .await;
    assert_eq!(published.status, 201, "{}", published.text);
}

/// Starts a simulation; returns its id and body.
pub(crate) async fn start(client: &Client, request: Value) -> (String, Value) {
    let response = client.post(&format!("{WS}/simulations"), &request).await;
    assert_eq!(response.status, 201, "{}", response.text);
    let id = response.body["id"].as_str().unwrap_or_default().to_owned();
    assert!(id.starts_with("sim_"), "{}", response.text);
    assert_eq!(
        response.header("location"),
        Some(format!("{WS}/simulations/{id}").as_str())
    );
    (id, response.body)
}

pub(crate) async fn say(client: &Client, id: &str, message: Value) -> Value {
    let response = client
        .post(&format!("{WS}/simulations/{id}/messages"), &message)
        .await;
    assert_eq!(response.status, 200, "{message}: {}", response.text);
    response.body
}

async fn fast_forward(client: &Client, id: &str, how: Value) -> Value {
    let response = client
        .post(&format!("{WS}/simulations/{id}/fast-forward"), &how)
        .await;
    assert_eq!(response.status, 200, "{how}: {}", response.text);
    response.body
}

pub(crate) fn list(value: &Value) -> &[Value] {
    value.as_array().map_or(&[], Vec::as_slice)
}

/// The messages the flow sent in these entries (the `message` of `flow` entries).
pub(crate) fn sent(entries: &Value) -> Vec<Value> {
    list(entries)
        .iter()
        .filter(|entry| entry["direction"] == "flow")
        .map(|entry| entry["message"].clone())
        .collect()
}

pub(crate) fn texts(entries: &Value) -> Vec<String> {
    sent(entries)
        .iter()
        .filter_map(|message| message["text"].as_str().map(str::to_owned))
        .collect()
}

pub(crate) fn system_lines(entries: &Value) -> Vec<String> {
    list(entries)
        .iter()
        .filter(|entry| entry["direction"] == "system")
        .filter_map(|entry| entry["text"].as_str().map(str::to_owned))
        .collect()
}

/// Whether the trace shows `node` left through `port`.
pub(crate) fn took(trace: &Value, node: &str, port: &str) -> bool {
    let what = format!("left:{port}");
    list(trace)
        .iter()
        .any(|step| step["node_id"] == node && step["what"] == what.as_str())
}

/// The variables steps at `node` changed, merged.
pub(crate) fn changed_at(trace: &Value, node: &str) -> Value {
    let mut changed = serde_json::Map::new();
    for step in list(trace).iter().filter(|step| step["node_id"] == node) {
        if let Some(vars) = step["vars_changed"].as_object() {
            changed.extend(vars.clone());
        }
    }
    Value::Object(changed)
}

fn cart_payload(purchased: bool) -> Value {
    json!({
        "customer": { "phone": "+351912345678" },
        "cart": {
            "id": "c-981",
            "total": 120,
            "currency": "EUR",
            "purchased": purchased,
            "checkout_url": "https://shop.example/checkout/c-981"
        }
    })
}

async fn abandoned_cart(client: &Client) {
    let ana = json!({ "phone": "+351912345678", "name": "Ana", "marketing_opt_in": true });

    // Opted in, taps "discount": the reminder after an hour, then the code.
    let (id, sim) = start(
        client,
        json!({ "flow": "abandoned-cart", "source": "published", "contact": ana,
                "payload": cart_payload(false), "start_at": MONDAY_10AM }),
    )
    .await;
    assert_eq!(sim["source"], 1, "{sim}");
    assert_eq!(sim["flow"]["id"], "abandoned-cart");
    assert_eq!(sim["contact"]["phone"], "+351912345678");
    assert_eq!(sim["runs"][0]["status"], "waiting_timer", "{sim}");
    assert_eq!(sim["runs"][0]["node_id"], "wait_1h");
    assert_eq!(sim["timers"][0]["what"], "delay");
    assert_eq!(sim["timers"][0]["due"], "2026-03-02T11:00:00Z");
    assert!(sent(&sim["transcript"]).is_empty(), "{sim}");
    let waiting = list(&sim["trace"])
        .iter()
        .find(|step| step["node_id"] == "wait_1h" && step["what"] == "waiting")
        .cloned()
        .unwrap_or_default();
    assert_eq!(waiting["detail"], "until 2026-03-02T11:00:00Z", "{sim}");

    let half = fast_forward(client, &id, json!({ "by": "30m" })).await;
    assert!(sent(&half["entries"]).is_empty(), "{half}");
    assert_eq!(half["state"]["now"], "2026-03-02T10:30:00Z");
    assert_eq!(half["state"]["timers"][0]["due_in"], "30m");

    let hour = fast_forward(client, &id, json!({ "next_timer": true })).await;
    assert_eq!(hour["state"]["now"], "2026-03-02T11:00:00Z");
    assert!(took(&hour["trace"], "wait_1h", "next"), "{hour}");
    assert!(took(&hour["trace"], "still_in_cart", "true"), "{hour}");
    let reminder = sent(&hour["entries"]);
    assert_eq!(reminder.len(), 1, "{hour}");
    assert_eq!(reminder[0]["type"], "template");
    assert_eq!(reminder[0]["name"], "cart_reminder");
    assert_eq!(reminder[0]["category"], "marketing");
    assert_eq!(reminder[0]["body"], json!(["Ana", "EUR 120"]));
    assert_eq!(reminder[0]["buttons"][0]["parameter"], "c-981");
    assert_eq!(reminder[0]["buttons"][1]["parameter"], "cart_discount");
    assert_eq!(hour["state"]["runs"][0]["status"], "waiting_reply");
    assert_eq!(hour["state"]["timers"][0]["what"], "reply_timeout");
    assert_eq!(hour["state"]["timers"][0]["due"], "2026-03-03T11:00:00Z");

    let tapped = say(client, &id, json!({ "button": "cart_discount" })).await;
    assert_eq!(tapped["entries"][0]["direction"], "contact");
    assert_eq!(tapped["entries"][0]["message"]["type"], "template_button");
    assert!(took(&tapped["trace"], "wait_answer", "reply"), "{tapped}");
    assert!(
        took(&tapped["trace"], "route_answer", "discount"),
        "{tapped}"
    );
    assert_eq!(
        changed_at(&tapped["trace"], "wait_answer"),
        json!({ "cart_answer": "cart_discount" })
    );
    assert_eq!(
        texts(&tapped["entries"]),
        [
            "Good news, Ana! Here is 10% off your cart: use code COMEBACK10 at checkout. Your cart is still waiting for you: https://shop.example/checkout/c-981"
        ]
    );
    let contact = &tapped["state"]["contact"];
    assert_eq!(contact["properties"]["cart_discount_code"], "COMEBACK10");
    assert_eq!(contact["properties"]["cart_discount_total"], 120);
    assert_eq!(tapped["state"]["runs"][0]["status"], "done");
    assert_eq!(tapped["state"]["timers"], json!([]));
    assert!(
        system_lines(&tapped["entries"]).contains(&"Run r1 ended.".to_owned()),
        "{tapped}"
    );

    // The whole conversation is kept, in order.
    let read = client.get(&format!("{WS}/simulations/{id}")).await;
    assert_eq!(read.status, 200);
    let transcript = list(&read.body["transcript"]);
    let seqs: Vec<u64> = transcript
        .iter()
        .filter_map(|entry| entry["seq"].as_u64())
        .collect();
    assert!(seqs.windows(2).all(|pair| pair[0] < pair[1]), "{seqs:?}");
    assert_eq!(sent(&read.body["transcript"]).len(), 2);

    // Not opted in: the hour passes and the journey ends without a word.
    let (id, _) = start(
        client,
        json!({ "flow": "abandoned-cart", "source": "published",
                "contact": { "phone": "+351912345679", "name": "Rui" },
                "payload": cart_payload(false), "start_at": MONDAY_10AM }),
    )
    .await;
    let hour = fast_forward(client, &id, json!({ "by": "1h" })).await;
    assert!(took(&hour["trace"], "still_in_cart", "false"), "{hour}");
    assert!(sent(&hour["entries"]).is_empty(), "{hour}");
    assert_eq!(hour["state"]["runs"][0]["status"], "done");

    // No answer in 24 hours: the last-chance template, and the tap answers nothing any more.
    let (id, _) = start(
        client,
        json!({ "flow": "abandoned-cart", "contact": ana, "payload": cart_payload(false),
                "start_at": MONDAY_10AM }),
    )
    .await;
    fast_forward(client, &id, json!({ "next_timer": true })).await;
    let day = fast_forward(client, &id, json!({ "by": "1d" })).await;
    assert!(took(&day["trace"], "wait_answer", "timeout"), "{day}");
    let last = sent(&day["entries"]);
    assert_eq!(last.len(), 1, "{day}");
    assert_eq!(last[0]["name"], "cart_last_chance");
    assert_eq!(day["state"]["now"], "2026-03-03T11:00:00Z");
    assert_eq!(day["state"]["runs"][0]["status"], "done");

    // Any other answer goes to support; the operator closes the conversation.
    let (id, _) = start(
        client,
        json!({ "flow": "abandoned-cart", "contact": ana, "payload": cart_payload(false),
                "start_at": MONDAY_10AM }),
    )
    .await;
    fast_forward(client, &id, json!({ "next_timer": true })).await;
    let asked = say(client, &id, json!({ "text": "Can I pay by invoice?" })).await;
    assert!(took(&asked["trace"], "route_answer", "default"), "{asked}");
    assert_eq!(asked["state"]["runs"][0]["status"], "handoff");
    assert_eq!(asked["state"]["timers"][0]["what"], "handoff_timeout");
    let closed = client
        .post(&format!("{WS}/simulations/{id}/handoff/close"), &json!({}))
        .await;
    assert_eq!(closed.status, 200, "{}", closed.text);
    assert!(took(&closed.body["trace"], "ask_support", "resolved"));
    assert_eq!(closed.body["state"]["runs"][0]["status"], "done");
    let again = client
        .post(&format!("{WS}/simulations/{id}/handoff/close"), &json!({}))
        .await;
    assert_eq!(again.status, 409);
    assert_eq!(again.error_code(), "no_handoff");

    // Abandoned in the evening: the hour would end in quiet hours, so it ends at 08:00.
    let (id, _) = start(
        client,
        json!({ "flow": "abandoned-cart", "contact": ana, "payload": cart_payload(false),
                "start_at": "2026-03-02T20:30:00Z" }),
    )
    .await;
    let sim = client.get(&format!("{WS}/simulations/{id}")).await.body;
    assert_eq!(sim["timers"][0]["due"], "2026-03-03T08:00:00Z", "{sim}");
    let night = fast_forward(client, &id, json!({ "by": "1h" })).await;
    assert!(sent(&night["entries"]).is_empty(), "{night}");
    let morning = fast_forward(client, &id, json!({ "next_timer": true })).await;
    assert_eq!(morning["state"]["now"], "2026-03-03T08:00:00Z");
    assert_eq!(sent(&morning["entries"])[0]["name"], "cart_reminder");
}

async fn lead_qualification(client: &Client) {
    // The draft is simulated (the default source): no need to publish.
    let (id, sim) = start(
        client,
        json!({ "flow": "ctwa-lead-qualification", "contact": { "name": "Bea" },
                "start_at": MONDAY_10AM }),
    )
    .await;
    assert_eq!(sim["source"], "draft");
    assert_eq!(sim["runs"], json!([]));
    assert!(
        system_lines(&sim["transcript"])[0].contains("Click-to-WhatsApp ad"),
        "{sim}"
    );

    // Without an ad, a message starts nothing.
    let plain = say(client, &id, json!({ "text": "hello?" })).await;
    assert!(sent(&plain["entries"]).is_empty(), "{plain}");
    assert_eq!(plain["state"]["runs"], json!([]));

    let first = say(
        client,
        &id,
        json!({ "text": "Hi! I saw your ad", "referral": { "source_type": "ad", "source_id": "ad-42", "headline": "Spring websites" } }),
    )
    .await;
    assert_eq!(
        changed_at(&first["trace"], "remember_ad"),
        json!({ "ad_id": "ad-42", "ad_headline": "Spring websites", "lead_source": "ctwa" })
    );
    let question = texts(&first["entries"]);
    assert_eq!(question.len(), 1, "{first}");
    assert!(
        question[0].starts_with("Hi Bea, thanks for your interest in Spring websites!"),
        "{question:?}"
    );
    assert!(question[0].contains("1/3: What is your monthly budget"));
    // Writing opened the 24-hour window for free-form messages.
    assert_eq!(
        first["state"]["contact"]["window_open_until"],
        "2026-03-03T10:00:00Z"
    );
    assert_eq!(first["state"]["runs"][0]["status"], "waiting_reply");

    // Not a number: asked again, still waiting on the same question.
    let vague = say(client, &id, json!({ "text": "quite a lot" })).await;
    assert_eq!(
        texts(&vague["entries"]),
        ["Sorry, I need just a number in euros, e.g. 800."]
    );
    assert!(!took(&vague["trace"], "wait_budget", "reply"), "{vague}");
    assert_eq!(vague["state"]["runs"][0]["node_id"], "wait_budget");

    let budget = say(client, &id, json!({ "text": "1500" })).await;
    assert!(took(&budget["trace"], "wait_budget", "reply"), "{budget}");
    assert_eq!(
        changed_at(&budget["trace"], "wait_budget"),
        json!({ "budget": 1500.0 })
    );
    let buttons = sent(&budget["entries"]);
    assert_eq!(buttons[0]["type"], "buttons", "{budget}");
    assert_eq!(buttons[0]["text"], "2/3: When would you like to start?");
    let ids: Vec<&str> = list(&buttons[0]["buttons"])
        .iter()
        .filter_map(|button| button["id"].as_str())
        .collect();
    assert_eq!(ids, ["this_month", "next_months", "just_looking"]);

    // A button the flow never sent is refused, with the ones it did.
    let wrong = client
        .post(
            &format!("{WS}/simulations/{id}/messages"),
            &json!({ "button": "tomorrow" }),
        )
        .await;
    assert_eq!(wrong.status, 422, "{}", wrong.text);
    assert_eq!(wrong.error_code(), "unknown_choice");
    assert_eq!(
        wrong.body["error"]["details"]["offered"][1]["id"],
        "next_months"
    );

    let timing = say(client, &id, json!({ "button": "next_months" })).await;
    assert_eq!(timing["entries"][0]["message"]["type"], "button_reply");
    assert_eq!(timing["entries"][0]["message"]["title"], "In 1-3 months");
    assert!(
        took(&timing["trace"], "ask_timing", "next_months"),
        "{timing}"
    );
    assert_eq!(
        texts(&timing["entries"]),
        ["3/3: In a sentence or two, what do you need help with?"]
    );

    // Two quick fragments are one answer once the contact stops typing.
    let fragment = say(client, &id, json!({ "text": "A new", "more": true })).await;
    assert!(sent(&fragment["entries"]).is_empty(), "{fragment}");
    assert_eq!(fragment["state"]["timers"][0]["what"], "typing_pause");
    let need = say(client, &id, json!({ "text": "website" })).await;
    assert_eq!(
        changed_at(&need["trace"], "wait_need"),
        json!({ "need": "A new\nwebsite" })
    );
    // 30 for the budget, 20 for the timing, nothing for a short need: warm.
    assert_eq!(
        changed_at(&need["trace"], "score_lead"),
        json!({ "score": 50 })
    );
    assert!(took(&need["trace"], "route_score", "warm"), "{need}");
    let nurture = texts(&need["entries"]);
    assert_eq!(nurture.len(), 1, "{need}");
    assert!(nurture[0].starts_with("Thanks, Bea! Here is our pricing guide"));
    assert_eq!(
        need["state"]["contact"]["tags"],
        json!(["ctwa", "lead-warm"])
    );
    assert!(
        system_lines(&need["entries"]).contains(&"Contact: tag +ctwa, tag +lead-warm.".to_owned()),
        "{need}"
    );
    assert_eq!(need["state"]["runs"][0]["status"], "done");

    // Silence: the question times out after 12 hours and the lead is unqualified.
    let (id, _) = start(
        client,
        json!({ "flow": "ctwa-lead-qualification", "start_at": MONDAY_10AM }),
    )
    .await;
    say(
        client,
        &id,
        json!({ "text": "Hi", "referral": { "source_id": "ad-7" } }),
    )
    .await;
    let silence = fast_forward(client, &id, json!({ "by": "2d" })).await;
    assert!(
        took(&silence["trace"], "wait_budget", "timeout"),
        "{silence}"
    );
    assert_eq!(
        silence["state"]["contact"]["tags"],
        json!(["ctwa", "lead-unqualified"])
    );
    assert_eq!(silence["state"]["now"], "2026-03-04T10:00:00Z");
}

/// A hot lead is created in the CRM (a local stand-in) and handed to sales.
async fn hot_lead(client: &Client) {
    // The stand-in listens on 127.0.0.1: a private target, which the workspace must allow.
    client.allow_private_targets(true).await;
    let crm = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/leads"))
        .and(header("X-Lead-Source", "ctwa"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({ "id": "lead-77" })))
        .expect(1)
        .mount(&crm)
        .await;
    let mut document = example("ctwa-lead-qualification");
    document["id"] = json!("ctwa-hot");
    for node in document["nodes"].as_array_mut().into_iter().flatten() {
        if node["id"] == "create_crm_lead" {
            node["config"]["url"] = json!(format!("{}/api/leads", crm.uri()));
        }
    }
    create_flow(client, &document).await;
    let (id, _) = start(
        client,
        json!({ "flow": "ctwa-hot", "contact": { "name": "Caio" }, "start_at": MONDAY_10AM }),
    )
    .await;
    say(
        client,
        &id,
        json!({ "text": "Hi", "referral": { "source_id": "ad-1" } }),
    )
    .await;
    say(client, &id, json!({ "text": "2500" })).await;
    say(client, &id, json!({ "button": "This month" })).await;
    let need = say(
        client,
        &id,
        json!({ "text": "An online shop with payments and a booking calendar for my salon" }),
    )
    .await;
    assert!(took(&need["trace"], "route_score", "hot"), "{need}");
    assert!(took(&need["trace"], "create_crm_lead", "ok"), "{need}");
    assert_eq!(
        changed_at(&need["trace"], "create_crm_lead"),
        json!({ "crm_id": "lead-77", "crm_status": 201 })
    );
    assert_eq!(need["state"]["runs"][0]["status"], "handoff");
    // Nobody picks it up in 4 hours: the contact is told.
    let later = fast_forward(client, &id, json!({ "next_timer": true })).await;
    assert!(took(&later["trace"], "handoff_sales", "timeout"), "{later}");
    assert!(texts(&later["entries"])[0].starts_with("Thanks for waiting, Caio!"));
    crm.verify().await;
}

async fn order_status(client: &Client) {
    let payload = json!({
        "customer": { "phone": "+4915112345678" },
        "status": "shipped",
        "order": { "number": 1042 },
        "tracking": { "carrier": "DHL", "code": "JD0123" }
    });
    let (_, shipped) = start(
        client,
        json!({ "flow": "order-status", "source": { "version": 1 },
                "contact": { "phone": "+4915112345678", "name": "Jonas" }, "payload": payload }),
    )
    .await;
    assert_eq!(shipped["source"], 1);
    assert!(took(&shipped["trace"], "is_shipped", "true"), "{shipped}");
    let template = sent(&shipped["transcript"]);
    assert_eq!(template.len(), 1, "{shipped}");
    assert_eq!(template[0]["name"], "order_shipped");
    assert_eq!(template[0]["category"], "utility");
    assert_eq!(template[0]["body"], json!(["Jonas", "#1042", "DHL"]));
    assert_eq!(template[0]["buttons"][0]["parameter"], "JD0123");
    assert_eq!(shipped["runs"][0]["status"], "done");

    let (_, packed) = start(
        client,
        json!({ "flow": "order-status", "source": "published", "contact": { "name": "Jonas" },
                "payload": { "status": "packed", "status_label": "being packed", "order": { "number": 1043 } } }),
    )
    .await;
    assert!(took(&packed["trace"], "is_shipped", "false"), "{packed}");
    let template = sent(&packed["transcript"]);
    assert_eq!(template[0]["name"], "order_status_update");
    assert_eq!(
        template[0]["body"],
        json!(["Jonas", "#1043", "being packed"])
    );
}

async fn refusals(client: &Client) {
    let invalid = example("invalid/missing-trigger");
    create_flow(client, &invalid).await;
    let flow = invalid["id"].as_str().unwrap_or_default();
    let refused = client
        .post(&format!("{WS}/simulations"), &json!({ "flow": flow }))
        .await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert_eq!(refused.error_code(), "flow_invalid");
    assert!(
        !list(&refused.body["error"]["details"]["diagnostics"]).is_empty(),
        "{}",
        refused.text
    );

    let unpublished = client
        .post(
            &format!("{WS}/simulations"),
            &json!({ "flow": "ctwa-hot", "source": "published" }),
        )
        .await;
    assert_eq!(unpublished.status, 409, "{}", unpublished.text);
    assert_eq!(unpublished.error_code(), "not_published");

    for (request, status, code) in [
        (json!({ "flow": "nope" }), 404, "not_found"),
        (
            json!({ "flow": "order-status", "source": { "version": 9 } }),
            404,
            "not_found",
        ),
        (
            json!({ "flow": "order-status", "source": "latest" }),
            422,
            "invalid_source",
        ),
        (
            json!({ "flow": "order-status", "contact": { "phone": "call me" } }),
            422,
            "invalid_contact",
        ),
        (
            json!({ "flow": "order-status", "contact": { "timezone": "Mars/Olympus" } }),
            422,
            "invalid_contact",
        ),
        (
            json!({ "flow": "order-status", "start_at": "monday" }),
            422,
            "invalid_start_at",
        ),
        (
            json!({ "flow": "order-status", "colour": "red" }),
            400,
            "invalid_body",
        ),
    ] {
        let response = client.post(&format!("{WS}/simulations"), &request).await;
        assert_eq!(response.status, status, "{request}: {}", response.text);
        assert_eq!(response.error_code(), code, "{request}");
    }

    let (id, _) = start(client, json!({ "flow": "ctwa-lead-qualification" })).await;
    for (endpoint, body, status, code) in [
        ("messages", json!({}), 422, "invalid_message"),
        (
            "messages",
            json!({ "text": "hi", "button": "x" }),
            422,
            "invalid_message",
        ),
        (
            "messages",
            json!({ "list_reply": "x" }),
            422,
            "unknown_choice",
        ),
        ("fast-forward", json!({}), 422, "invalid_fast_forward"),
        (
            "fast-forward",
            json!({ "by": "soon" }),
            422,
            "invalid_duration",
        ),
        (
            "fast-forward",
            json!({ "next_timer": true }),
            409,
            "no_timer_pending",
        ),
    ] {
        let response = client
            .post(&format!("{WS}/simulations/{id}/{endpoint}"), &body)
            .await;
        assert_eq!(
            response.status, status,
            "{endpoint} {body}: {}",
            response.text
        );
        assert_eq!(response.error_code(), code, "{endpoint} {body}");
    }
    // A change from outside (as the contacts API would make) shows on the contact.
    let changed = client
        .post(
            &format!("{WS}/simulations/{id}/contact"),
            &json!({ "add_tags": ["vip"], "marketing_opt_in": true }),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(changed.body["state"]["contact"]["tags"], json!(["vip"]));
    assert_eq!(changed.body["state"]["contact"]["marketing_opt_in"], true);
    assert!(
        system_lines(&changed.body["entries"])
            .contains(&"Contact: tag +vip, opted in to Marketing.".to_owned()),
        "{}",
        changed.text
    );
    let deleted = client.delete(&format!("{WS}/simulations/{id}")).await;
    assert_eq!(deleted.status, 204);
    let gone = client.get(&format!("{WS}/simulations/{id}")).await;
    assert_eq!(gone.status, 404);
}

/// Another workspace's people cannot reach a simulation, not even to learn it exists.
async fn isolation(server: &Server, admin: &Client) {
    let (id, _) = start(admin, json!({ "flow": "ctwa-lead-qualification" })).await;
    let workspace = admin
        .post(
            "/api/v1/workspaces",
            &json!({ "id": "rival", "name": "Rival shop" }),
        )
        .await;
    assert_eq!(workspace.status, 201, "{}", workspace.text);
    let member = admin
        .post(
            "/api/v1/workspaces/rival/members",
            &json!({ "email": "eve@rival.test", "role": "editor", "password": "a long enough password" }),
        )
        .await;
    assert_eq!(member.status, 201, "{}", member.text);
    let eve = server
        .sign_in("eve@rival.test", "a long enough password")
        .await;
    for path in [
        format!("/api/v1/workspaces/rival/simulations/{id}"),
        format!("/api/v1/workspaces/default/simulations/{id}"),
    ] {
        assert_eq!(eve.get(&path).await.status, 404, "{path}");
        let message = eve
            .post(&format!("{path}/messages"), &json!({ "text": "hi" }))
            .await;
        assert_eq!(message.status, 404, "{path}");
        assert_eq!(eve.delete(&path).await.status, 404, "{path}");
    }
    assert_eq!(
        admin.get(&format!("{WS}/simulations/{id}")).await.status,
        200
    );
}

/// Reads the stream until `wanted` appears in what was received; the timeout only guards
/// against a hang.
pub(crate) async fn read_until(
    stream: &mut reqwest::Response,
    received: &mut String,
    wanted: &str,
) {
    let waited = tokio::time::timeout(std::time::Duration::from_secs(60), async {
        while !received.contains(wanted) {
            match stream.chunk().await {
                Ok(Some(chunk)) => received.push_str(&String::from_utf8_lossy(&chunk)),
                Ok(None) => break,
                Err(err) => panic!("the stream broke: {err}"),
            }
        }
    })
    .await;
    assert!(
        waited.is_ok(),
        "no {wanted:?} on the stream; got: {received}"
    );
    assert!(
        received.contains(wanted),
        "the stream ended; got: {received}"
    );
}

async fn event_stream(client: &Client) {
    let (id, _) = start(
        client,
        json!({ "flow": "ctwa-lead-qualification", "start_at": MONDAY_10AM }),
    )
    .await;
    let mut stream = client
        .request(
            reqwest::Method::GET,
            &format!("{WS}/simulations/{id}/events"),
        )
        .send()
        .await
        .unwrap_or_else(|err| panic!("cannot open the stream: {err}"));
    assert_eq!(stream.status().as_u16(), 200);
    let content_type = stream
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        content_type.starts_with("text/event-stream"),
        "{content_type}"
    );
    let mut received = String::new();
    // What happened before the stream opened comes first.
    read_until(&mut stream, &mut received, "starts on a message").await;
    assert!(
        received.starts_with("id: 1\nevent: transcript\ndata: {"),
        "{received}"
    );

    say(
        client,
        &id,
        json!({ "text": "Hi", "referral": { "source_id": "ad-9", "headline": "Live" } }),
    )
    .await;
    read_until(
        &mut stream,
        &mut received,
        "thanks for your interest in Live",
    )
    .await;
    assert!(received.contains("event: trace\ndata: {"), "{received}");
    assert!(received.contains("\"what\":\"left:next\""), "{received}");
    let frame = received
        .split("\n\n")
        .find(|frame| frame.contains("thanks for your interest in Live"))
        .unwrap_or_default();
    let data = frame
        .lines()
        .find_map(|line| line.strip_prefix("data: "))
        .unwrap_or_default();
    let entry: Value = serde_json::from_str(data).unwrap_or(Value::Null);
    assert_eq!(entry["direction"], "flow", "{frame}");
    assert_eq!(entry["node_id"], "ask_budget", "{frame}");

    // A reconnect after an id gets only what came later.
    let mut resumed = client
        .request(
            reqwest::Method::GET,
            &format!("{WS}/simulations/{id}/events"),
        )
        .header("Last-Event-ID", "1")
        .send()
        .await
        .unwrap_or_else(|err| panic!("cannot reopen the stream: {err}"));
    let mut replayed = String::new();
    read_until(
        &mut resumed,
        &mut replayed,
        "thanks for your interest in Live",
    )
    .await;
    assert!(replayed.starts_with("id: 2\n"), "{replayed}");
    assert!(!replayed.contains("starts on a message"), "{replayed}");
    drop(resumed);

    // Ending the simulation ends its stream.
    assert_eq!(
        client
            .delete(&format!("{WS}/simulations/{id}"))
            .await
            .status,
        204
    );
    let ended = tokio::time::timeout(std::time::Duration::from_secs(60), async {
        while let Ok(Some(_)) = stream.chunk().await {}
    })
    .await;
    assert!(
        ended.is_ok(),
        "the stream stayed open after the simulation ended"
    );
}

async fn simulator(db: Database) {
    let server = Server::start(db).await;
    let admin = server.admin().await;
    for flow in ["abandoned-cart", "ctwa-lead-qualification", "order-status"] {
        create_flow(&admin, &example(flow)).await;
    }
    publish(&admin, "abandoned-cart").await;
    publish(&admin, "order-status").await;

    abandoned_cart(&admin).await;
    lead_qualification(&admin).await;
    hot_lead(&admin).await;
    order_status(&admin).await;
    refusals(&admin).await;
    isolation(&server, &admin).await;
    event_stream(&admin).await;
    assert!(server.stop(), "the server did not stop cleanly");
}

on_both_databases!(simulator);
