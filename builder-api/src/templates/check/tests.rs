use serde_json::{Value, json};
use spool_flows::{Code, Flow, Severity};
use spool_whatsapp::templates::Template;

use super::*;

fn flow(config: Value) -> Flow {
    let source = json!({
        "schema": 1, "id": "promo", "name": "Promo",
        "nodes": [
            { "id": "start", "type": "inbound_message" },
            { "id": "promo", "type": "send_template", "config": config },
        ],
        "edges": [{ "from": "start", "port": "next", "to": "promo" }],
    });
    spool_flows::compile_source(&source.to_string())
        .unwrap_or_else(|err| panic!("the flow compiles: {err}"))
        .flow()
        .clone()
}

/// `spring_sale` as Meta lists it: Marketing, one body value, a link button with a value.
fn spring_sale(language: &str, status: &str) -> Kept {
    let listed = Template::from_listing(&json!({
        "name": "spring_sale", "language": language, "status": status, "category": "MARKETING",
        "id": "1",
        "components": [
            { "type": "BODY", "text": "Hi {{1}}, spring is here." },
            { "type": "BUTTONS", "buttons": [
                { "type": "QUICK_REPLY", "text": "Stop" },
                { "type": "URL", "text": "Shop", "url": "https://shop.example/{{1}}" }
            ] }
        ]
    }))
    .expect("a listing entry");
    Kept {
        name: listed.name,
        language: listed.language,
        status: listed.status,
        category: listed.category,
        parameters: listed.parameters,
    }
}

fn account(templates: Vec<Kept>) -> Account {
    Account {
        label: "the WhatsApp number 'Loja'".into(),
        synced: true,
        templates,
    }
}

fn correct() -> Value {
    json!({ "name": "spring_sale", "language": "en_US", "category": "marketing",
            "body": ["{{ contact.name }}"],
            "buttons": [{ "type": "quick_reply", "payload": "stop" }, { "type": "url", "text": "{{ contact.name }}" }] })
}

fn found(config: Value, accounts: &[Account]) -> Vec<(Severity, Code, String)> {
    check(&flow(config), accounts)
        .into_iter()
        .map(|d| {
            assert_eq!(d.node_id.as_deref(), Some("promo"));
            (d.severity, d.code, d.field.unwrap_or_default())
        })
        .collect()
}

#[test]
fn a_send_that_matches_its_approved_template_passes() {
    let accounts = [account(vec![spring_sale("en_US", "APPROVED")])];
    assert_eq!(found(correct(), &accounts), []);
}

#[test]
fn a_missing_template_or_translation_is_named_on_its_field() {
    let accounts = [account(vec![spring_sale("pt_BR", "APPROVED")])];
    let mut other_name = correct();
    other_name["name"] = json!("autumn_sale");
    assert_eq!(
        found(other_name, &accounts),
        [(
            Severity::Error,
            Code::TemplateMissing,
            "config.name".to_owned()
        )]
    );
    let diagnostics = check(&flow(correct()), &accounts);
    assert_eq!(diagnostics[0].field.as_deref(), Some("config.language"));
    assert!(
        diagnostics[0].message.contains("it has pt_BR"),
        "{}",
        diagnostics[0].message
    );
}

#[test]
fn a_template_meta_has_not_approved_says_its_status() {
    let accounts = [account(vec![spring_sale("en_US", "PAUSED")])];
    let diagnostics = check(&flow(correct()), &accounts);
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0].code, Code::TemplateNotApproved);
    assert_eq!(diagnostics[0].field.as_deref(), Some("config.name"));
    assert!(
        diagnostics[0].message.contains("paused"),
        "{}",
        diagnostics[0].message
    );
}

#[test]
fn a_category_other_than_metas_is_refused_in_words() {
    let accounts = [account(vec![spring_sale("en_US", "APPROVED")])];
    let mut utility = correct();
    utility["category"] = json!("utility");
    let diagnostics = check(&flow(utility), &accounts);
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0].code, Code::TemplateCategoryMismatch);
    assert_eq!(diagnostics[0].field.as_deref(), Some("config.category"));
    assert!(
        diagnostics[0]
            .message
            .starts_with("Meta files 'spring_sale' as Marketing, this node says Utility"),
        "{}",
        diagnostics[0].message
    );
}

#[test]
fn values_for_the_body_and_link_buttons_must_match_the_template() {
    let accounts = [account(vec![spring_sale("en_US", "APPROVED")])];
    let mut wrong = correct();
    wrong["body"] = json!(["{{ contact.name }}", "extra"]);
    wrong["buttons"] = json!([{ "type": "url", "text": "x" }]);
    assert_eq!(
        found(wrong, &accounts),
        [
            (
                Severity::Error,
                Code::TemplateParameterCount,
                "config.body".to_owned()
            ),
            (
                Severity::Error,
                Code::TemplateParameterCount,
                "config.buttons[0]".to_owned()
            ),
            (
                Severity::Error,
                Code::TemplateParameterCount,
                "config.buttons".to_owned()
            ),
        ]
    );
}

#[test]
fn without_synced_templates_or_a_channel_nothing_is_refused() {
    let never = Account {
        synced: false,
        ..account(Vec::new())
    };
    assert_eq!(
        found(correct(), &[never]),
        [(
            Severity::Warning,
            Code::TemplatesNotChecked,
            "config.name".to_owned()
        )]
    );
    assert_eq!(
        found(correct(), &[]),
        [(
            Severity::Warning,
            Code::TemplatesNotChecked,
            "config.name".to_owned()
        )]
    );
}
