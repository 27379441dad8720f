//! The HTTP client against a local stand-in for Meta's Graph API: what is sent where, what
//! comes back, and how each kind of refusal is reported.

use std::time::Duration;

use serde_json::json;
use spool_nodes::{OutboundBody, TemplateCategory};
use spool_whatsapp::client::UNLIMITED_CONTACTS;
use spool_whatsapp::{
    ApiConfig, ChannelAuth, CloudApi, PhoneNumber, Recipient, SendFailure, SendRequest, Sent,
};
use wiremock::matchers::{body_json, header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

const NUMBER: &str = "1098765432101";
const WABA: &str = "102290129340398";
const TOKEN: &str = "EAAG-test-token";

fn auth(marketing_messages: bool) -> ChannelAuth {
    ChannelAuth {
        phone_number_id: NUMBER.into(),
        token: TOKEN.into(),
        api_version: "v25.0".into(),
        marketing_messages,
    }
}

fn api(server: &MockServer) -> CloudApi {
    CloudApi::new(&ApiConfig {
        base_url: server.uri(),
        timeout: Duration::from_secs(10),
    })
    .expect("client")
}

fn text() -> OutboundBody {
    OutboundBody::Text {
        text: "Oi".into(),
        preview_url: false,
    }
}

fn request(body: &OutboundBody) -> SendRequest<'_> {
    SendRequest {
        to: Recipient::Phone("5511987654321".into()),
        reply_to: None,
        callback_data: Some("run1:step1".into()),
        body,
    }
}

fn accepted(wamid: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "messaging_product": "whatsapp",
        "contacts": [ { "input": "5511987654321", "wa_id": "5511987654321" } ],
        "messages": [ { "id": wamid, "message_status": "accepted" } ]
    }))
}

fn graph_error(status: u16, code: i64, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({ "error": {
        "message": message, "type": "OAuthException", "code": code,
        "error_data": { "messaging_product": "whatsapp", "details": "details from Meta" },
        "fbtrace_id": "AbC123"
    }}))
}

#[tokio::test]
async fn a_send_posts_the_body_with_the_token_and_returns_the_wamid() {
    let server = MockServer::start().await;
    let body = text();
    Mock::given(method("POST"))
        .and(path(format!("/v25.0/{NUMBER}/messages")))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(body_json(request(&body).to_json()))
        .respond_with(accepted("wamid.HBgLNTUxMTk4NzY1NDMyMRUCABEYEjA"))
        .expect(1)
        .mount(&server)
        .await;
    let sent = api(&server).send(&auth(false), &request(&body)).await;
    assert_eq!(
        sent,
        Ok(Sent {
            wamid: "wamid.HBgLNTUxMTk4NzY1NDMyMRUCABEYEjA".into(),
            message_status: Some("accepted".into()),
        })
    );
}

#[tokio::test]
async fn marketing_templates_go_to_the_marketing_messages_api_when_the_channel_says_so() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v25.0/{NUMBER}/marketing_messages")))
        .respond_with(accepted("wamid.MM1"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v25.0/{NUMBER}/messages")))
        .respond_with(accepted("wamid.CLOUD1"))
        .expect(2)
        .mount(&server)
        .await;
    let template = |category| OutboundBody::Template {
        name: "spring_sale".into(),
        language: "en".into(),
        category,
        header: vec![],
        body: vec!["Ana".into()],
        buttons: vec![],
    };
    let api = api(&server);
    let marketing = template(TemplateCategory::Marketing);
    let utility = template(TemplateCategory::Utility);
    let wamid = |sent: Result<Sent, SendFailure>| sent.expect("sent").wamid;
    assert_eq!(
        wamid(api.send(&auth(true), &request(&marketing)).await),
        "wamid.MM1"
    );
    assert_eq!(
        wamid(api.send(&auth(true), &request(&utility)).await),
        "wamid.CLOUD1"
    );
    assert_eq!(
        wamid(api.send(&auth(false), &request(&marketing)).await),
        "wamid.CLOUD1"
    );
}

#[tokio::test]
async fn each_kind_of_refusal_is_reported_as_what_to_do_next() {
    let server = MockServer::start().await;
    let api = api(&server);
    let body = text();
    let cases = [
        (
            graph_error(400, 131_047, "(#131047) Re-engagement message"),
            "window",
        ),
        (
            graph_error(400, 131_049, "(#131049) healthy ecosystem"),
            "cap",
        ),
        (
            graph_error(
                401,
                190,
                "Error validating access token: Session has expired",
            ),
            "token",
        ),
        (
            graph_error(400, 130_429, "(#130429) Rate limit hit").insert_header("retry-after", "7"),
            "retry 7",
        ),
        (
            ResponseTemplate::new(503).set_body_string("<html>unavailable</html>"),
            "retry",
        ),
    ];
    for (response, expected) in cases {
        server.reset().await;
        Mock::given(method("POST"))
            .respond_with(response)
            .mount(&server)
            .await;
        let failure = api
            .send(&auth(false), &request(&body))
            .await
            .expect_err("refused");
        let seen = match &failure {
            SendFailure::Permanent {
                code: Some(131_047),
                details,
                ..
            } => {
                assert_eq!(details.as_deref(), Some("details from Meta"));
                "window".to_owned()
            }
            SendFailure::PerUserMarketingCap { .. } => "cap".to_owned(),
            SendFailure::TokenRejected {
                code: Some(190), ..
            } => "token".to_owned(),
            SendFailure::Retry {
                after: Some(after), ..
            } => format!("retry {}", after.as_secs()),
            SendFailure::Retry { after: None, .. } => "retry".to_owned(),
            other => format!("{other:?}"),
        };
        assert_eq!(seen, expected, "{failure}");
    }
}

#[tokio::test]
async fn a_meta_that_does_not_answer_in_time_is_worth_a_retry() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(accepted("wamid.LATE").set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let api = CloudApi::new(&ApiConfig {
        base_url: server.uri(),
        timeout: Duration::from_millis(200),
    })
    .expect("client");
    let failure = api
        .send(&auth(false), &request(&text()))
        .await
        .expect_err("timed out");
    assert!(failure.is_retryable(), "{failure:?}");
    assert!(failure.reason().contains("timed out"), "{failure}");
}

#[tokio::test]
async fn an_answer_without_a_wamid_is_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({ "messaging_product": "whatsapp" })),
        )
        .mount(&server)
        .await;
    let failure = api(&server)
        .send(&auth(false), &request(&text()))
        .await
        .expect_err("no wamid");
    assert!(
        matches!(failure, SendFailure::Permanent { .. }),
        "{failure:?}"
    );
}

#[tokio::test]
async fn a_message_over_whatsapp_s_limits_is_refused_without_a_call() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(accepted("wamid.NEVER"))
        .expect(0)
        .mount(&server)
        .await;
    let long = OutboundBody::Text {
        text: "a".repeat(5_000),
        preview_url: false,
    };
    let failure = api(&server)
        .send(&auth(false), &request(&long))
        .await
        .expect_err("refused");
    assert_eq!(
        failure.reason(),
        "WhatsApp would refuse this message: the text is 5000 characters long, and WhatsApp allows at most 4096"
    );
}

fn template_entry(id: &str, name: &str, body: &str) -> serde_json::Value {
    json!({
        "id": id, "name": name, "language": "en_US", "status": "APPROVED", "category": "UTILITY",
        "parameter_format": "POSITIONAL",
        "components": [ { "type": "BODY", "text": body } ]
    })
}

#[tokio::test]
async fn templates_are_listed_across_pages() {
    let server = MockServer::start().await;
    let listing = format!("/v25.0/{WABA}/message_templates");
    Mock::given(method("GET"))
        .and(path(listing.as_str()))
        .and(query_param_is_missing("after"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [
                template_entry("1", "order_shipped", "Order {{1}} ships {{2}}"),
                template_entry("2", "welcome", "Welcome!")
            ],
            "paging": {
                "cursors": { "before": "CURSOR0", "after": "CURSOR1" },
                "next": "https://graph.facebook.com/v25.0/102290129340398/message_templates?after=CURSOR1"
            }
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(listing.as_str()))
        .and(query_param("after", "CURSOR1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [ template_entry("3", "cart_reminder", "Hi {{name}}, your cart waits") ],
            "paging": { "cursors": { "before": "CURSOR1", "after": "CURSOR2" } }
        })))
        .expect(1)
        .mount(&server)
        .await;
    let templates = api(&server)
        .templates(WABA, TOKEN, "v25.0")
        .await
        .expect("templates");
    let names: Vec<(&str, usize)> = templates
        .iter()
        .map(|template| (template.name.as_str(), template.body_parameters()))
        .collect();
    assert_eq!(
        names,
        [("order_shipped", 2), ("welcome", 0), ("cart_reminder", 1)]
    );
    assert_eq!(templates[2].parameters[0].names, ["name"]);
}

async fn phone_number_answers(server: &MockServer, response: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path(format!("/v25.0/{NUMBER}")))
        .and(query_param(
            "fields",
            "display_phone_number,verified_name,quality_rating,throughput,whatsapp_business_manager_messaging_limit",
        ))
        .respond_with(response)
        .mount(server)
        .await;
}

async fn subscribed_apps_answer(server: &MockServer, response: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path(format!("/v25.0/{WABA}/subscribed_apps")))
        .respond_with(response)
        .mount(server)
        .await;
}

fn healthy_number() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "display_phone_number": "+1 555-000-1111", "verified_name": "Loja Exemplo",
        "quality_rating": "GREEN", "throughput": { "level": "STANDARD" },
        "whatsapp_business_manager_messaging_limit": "TIER_2K", "id": NUMBER
    }))
}

#[tokio::test]
async fn the_check_reports_a_rejected_token_in_words() {
    let server = MockServer::start().await;
    phone_number_answers(
        &server,
        graph_error(
            401,
            190,
            "Error validating access token: Session has expired",
        ),
    )
    .await;
    let report = api(&server).check(&auth(false), WABA).await;
    assert!(!report.is_ok());
    assert_eq!(report.problems.len(), 1, "{report:?}");
    assert!(
        report.problems[0].starts_with("the access token was rejected by Meta (expired or revoked"),
        "{report:?}"
    );
}

#[tokio::test]
async fn the_check_reports_an_app_not_subscribed_to_webhooks() {
    let server = MockServer::start().await;
    phone_number_answers(&server, healthy_number()).await;
    subscribed_apps_answer(
        &server,
        ResponseTemplate::new(200).set_body_json(json!({ "data": [] })),
    )
    .await;
    let report = api(&server).check(&auth(false), WABA).await;
    assert_eq!(report.problems.len(), 1, "{report:?}");
    assert!(
        report.problems[0]
            .starts_with("the app is not subscribed to this WhatsApp Business Account's webhooks"),
        "{report:?}"
    );
    assert!(
        report
            .facts
            .contains(&"phone number +1 555-000-1111 (Loja Exemplo)".to_owned())
    );
}

#[tokio::test]
async fn the_check_reports_an_unknown_phone_number() {
    let server = MockServer::start().await;
    phone_number_answers(
        &server,
        graph_error(
            400,
            100,
            "Unsupported get request. Object with ID '1098765432101' does not exist, cannot be loaded due to missing permissions, or does not support this operation.",
        ),
    )
    .await;
    subscribed_apps_answer(
        &server,
        ResponseTemplate::new(200).set_body_json(json!({ "data": [ { "whatsapp_business_api_data": { "id": "67084", "name": "Spool" } } ] })),
    )
    .await;
    let report = api(&server).check(&auth(false), WABA).await;
    assert_eq!(report.problems.len(), 1, "{report:?}");
    assert!(
        report.problems[0]
            .starts_with("no phone number with id 1098765432101 is reachable with this token"),
        "{report:?}"
    );
}

#[tokio::test]
async fn a_healthy_channel_checks_all_good_with_its_facts() {
    let server = MockServer::start().await;
    phone_number_answers(&server, healthy_number()).await;
    subscribed_apps_answer(
        &server,
        ResponseTemplate::new(200).set_body_json(json!({ "data": [ { "whatsapp_business_api_data": { "id": "67084", "name": "Spool" } } ] })),
    )
    .await;
    let report = api(&server).check(&auth(false), WABA).await;
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(
        report.facts,
        [
            "all good",
            "phone number +1 555-000-1111 (Loja Exemplo)",
            "quality rating: GREEN",
            "throughput: STANDARD",
            "messaging limit: TIER_2K",
            "webhooks go to: Spool",
        ]
    );
    let number = report.phone_number.expect("number");
    assert_eq!(number.messaging_limit.as_deref(), Some("TIER_2K"));
    assert_eq!(number.messaging_limit_contacts(), Some(2_000));
    assert_eq!(number.throughput_per_second(), Some(80));
}

#[test]
fn every_documented_tier_reads_as_a_number_of_contacts() {
    let limit = |tier: &str| {
        PhoneNumber {
            messaging_limit: Some(tier.to_owned()),
            ..PhoneNumber::default()
        }
        .messaging_limit_contacts()
    };
    assert_eq!(limit("TIER_250"), Some(250));
    assert_eq!(limit("TIER_2K"), Some(2_000));
    assert_eq!(limit("TIER_10K"), Some(10_000));
    assert_eq!(limit("TIER_100K"), Some(100_000));
    assert_eq!(limit("TIER_UNLIMITED"), Some(UNLIMITED_CONTACTS));
    assert_eq!(limit("TIER_NEW"), None, "an unknown tier changes nothing");
    assert_eq!(limit("250"), None);
}
