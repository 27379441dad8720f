//! The exact request body for every message a flow can send, in the shapes of Meta's
//! examples (`shared/whatsapp-cloud-api.md` §3).

use serde_json::{Value, json};
use spool_nodes::{
    Choice, MediaKind, OutboundBody, Section, TemplateButtonParameter, TemplateCategory,
};
use spool_whatsapp::{Recipient, SendRequest};

const ANA: &str = "+5511987654321";

fn to_ana(body: &OutboundBody) -> Value {
    SendRequest {
        to: Recipient::Phone(ANA.into()),
        reply_to: None,
        callback_data: None,
        body,
    }
    .to_json()
}

fn choice(id: &str, title: &str, description: Option<&str>) -> Choice {
    Choice {
        id: id.into(),
        title: title.into(),
        description: description.map(Into::into),
    }
}

#[test]
fn text_with_and_without_a_link_preview() {
    let body = OutboundBody::Text {
        text: "Seu pedido saiu para entrega: https://ex.com/t/A1042".into(),
        preview_url: true,
    };
    assert_eq!(
        to_ana(&body),
        json!({
            "messaging_product": "whatsapp", "recipient_type": "individual", "to": ANA,
            "type": "text",
            "text": { "body": "Seu pedido saiu para entrega: https://ex.com/t/A1042", "preview_url": true }
        })
    );
    let plain = OutboundBody::Text {
        text: "Ol\u{e1}".into(),
        preview_url: false,
    };
    assert_eq!(
        to_ana(&plain),
        json!({
            "messaging_product": "whatsapp", "recipient_type": "individual", "to": ANA,
            "type": "text", "text": { "body": "Ol\u{e1}" }
        })
    );
}

#[test]
fn media_goes_by_link_or_by_uploaded_id_with_caption_and_file_name_where_allowed() {
    let media =
        |kind, url: &str, caption: Option<&str>, filename: Option<&str>| OutboundBody::Media {
            kind,
            url: url.into(),
            caption: caption.map(Into::into),
            filename: filename.map(Into::into),
        };
    let cases = [
        (
            media(
                MediaKind::Image,
                "https://ex.com/a.png",
                Some("Seu carrinho"),
                None,
            ),
            json!({ "type": "image", "image": { "link": "https://ex.com/a.png", "caption": "Seu carrinho" } }),
        ),
        (
            media(
                MediaKind::Video,
                "http://ex.com/v.mp4",
                Some("Como usar"),
                None,
            ),
            json!({ "type": "video", "video": { "link": "http://ex.com/v.mp4", "caption": "Como usar" } }),
        ),
        (
            // Audio takes no caption: Meta refuses one.
            media(
                MediaKind::Audio,
                "https://ex.com/a.ogg",
                Some("ignored"),
                None,
            ),
            json!({ "type": "audio", "audio": { "link": "https://ex.com/a.ogg" } }),
        ),
        (
            media(
                MediaKind::Document,
                "https://ex.com/nf.pdf",
                Some("NF"),
                Some("nota.pdf"),
            ),
            json!({ "type": "document", "document": { "link": "https://ex.com/nf.pdf", "caption": "NF", "filename": "nota.pdf" } }),
        ),
        (
            // Not a web address: a media id from an upload to Meta.
            media(
                MediaKind::Sticker,
                "1003383421387256",
                Some("ignored"),
                Some("ignored.webp"),
            ),
            json!({ "type": "sticker", "sticker": { "id": "1003383421387256" } }),
        ),
        (
            media(MediaKind::Image, "1003383421387256", None, None),
            json!({ "type": "image", "image": { "id": "1003383421387256" } }),
        ),
    ];
    for (body, expected) in cases {
        let mut want =
            json!({ "messaging_product": "whatsapp", "recipient_type": "individual", "to": ANA });
        for (key, value) in expected.as_object().expect("object") {
            want[key] = value.clone();
        }
        assert_eq!(to_ana(&body), want, "{body:?}");
    }
}

#[test]
fn reply_buttons_with_header_and_footer() {
    let body = OutboundBody::Buttons {
        text: "O que voc\u{ea} quer fazer?".into(),
        header: Some("Pedido A-1042".into()),
        footer: Some("Loja Exemplo".into()),
        buttons: vec![
            choice("opt_track", "Rastrear", None),
            choice("opt_cancel", "Cancelar", None),
        ],
    };
    assert_eq!(
        to_ana(&body),
        json!({
            "messaging_product": "whatsapp", "recipient_type": "individual", "to": ANA,
            "type": "interactive",
            "interactive": {
                "type": "button",
                "header": { "type": "text", "text": "Pedido A-1042" },
                "body": { "text": "O que voc\u{ea} quer fazer?" },
                "footer": { "text": "Loja Exemplo" },
                "action": { "buttons": [
                    { "type": "reply", "reply": { "id": "opt_track", "title": "Rastrear" } },
                    { "type": "reply", "reply": { "id": "opt_cancel", "title": "Cancelar" } }
                ] }
            }
        })
    );
}

#[test]
fn a_list_with_sections_and_row_descriptions() {
    let body = OutboundBody::List {
        text: "Escolha o frete".into(),
        header: None,
        footer: None,
        button: "Ver op\u{e7}\u{f5}es".into(),
        sections: vec![
            Section {
                title: "R\u{e1}pido".into(),
                rows: vec![
                    choice("ship_express", "Express", Some("1-2 dias")),
                    choice("ship_std", "Padr\u{e3}o", Some("3-7 dias")),
                ],
            },
            Section {
                title: "Retirar".into(),
                rows: vec![choice("pickup", "Na loja", None)],
            },
        ],
    };
    assert_eq!(
        to_ana(&body),
        json!({
            "messaging_product": "whatsapp", "recipient_type": "individual", "to": ANA,
            "type": "interactive",
            "interactive": {
                "type": "list",
                "body": { "text": "Escolha o frete" },
                "action": { "button": "Ver op\u{e7}\u{f5}es", "sections": [
                    { "title": "R\u{e1}pido", "rows": [
                        { "id": "ship_express", "title": "Express", "description": "1-2 dias" },
                        { "id": "ship_std", "title": "Padr\u{e3}o", "description": "3-7 dias" }
                    ] },
                    { "title": "Retirar", "rows": [ { "id": "pickup", "title": "Na loja" } ] }
                ] }
            }
        })
    );
}

#[test]
fn a_template_with_header_body_and_both_button_kinds() {
    let body = OutboundBody::Template {
        name: "order_shipped".into(),
        language: "pt_BR".into(),
        category: TemplateCategory::Utility,
        header: vec!["A-1042".into()],
        body: vec!["A-1042".into(), "sexta-feira".into()],
        buttons: vec![
            TemplateButtonParameter {
                index: 0,
                sub_type: "quick_reply".into(),
                parameter: "run42:step3:track".into(),
            },
            TemplateButtonParameter {
                index: 1,
                sub_type: "url".into(),
                parameter: "A-1042".into(),
            },
        ],
    };
    let request = SendRequest {
        to: Recipient::Phone(ANA.into()),
        reply_to: None,
        callback_data: Some("run42:step3".into()),
        body: &body,
    };
    assert_eq!(
        request.to_json(),
        json!({
            "messaging_product": "whatsapp", "recipient_type": "individual", "to": ANA,
            "type": "template",
            "biz_opaque_callback_data": "run42:step3",
            "template": {
                "name": "order_shipped",
                "language": { "code": "pt_BR" },
                "components": [
                    { "type": "header", "parameters": [ { "type": "text", "text": "A-1042" } ] },
                    { "type": "body", "parameters": [ { "type": "text", "text": "A-1042" },
                                                      { "type": "text", "text": "sexta-feira" } ] },
                    { "type": "button", "sub_type": "quick_reply", "index": "0",
                      "parameters": [ { "type": "payload", "payload": "run42:step3:track" } ] },
                    { "type": "button", "sub_type": "url", "index": "1",
                      "parameters": [ { "type": "text", "text": "A-1042" } ] }
                ]
            }
        })
    );
}

#[test]
fn a_template_without_parameters_has_no_components() {
    let body = OutboundBody::Template {
        name: "hello_world".into(),
        language: "en_US".into(),
        category: TemplateCategory::Marketing,
        header: vec![],
        body: vec![],
        buttons: vec![],
    };
    assert_eq!(
        to_ana(&body),
        json!({
            "messaging_product": "whatsapp", "recipient_type": "individual", "to": ANA,
            "type": "template",
            "template": { "name": "hello_world", "language": { "code": "en_US" } }
        })
    );
}

#[test]
fn a_reply_to_a_username_only_user_quotes_their_message_and_carries_callback_data() {
    let body = OutboundBody::Text {
        text: "Recebido!".into(),
        preview_url: false,
    };
    let request = SendRequest {
        to: Recipient::UserId("US.13491208655302741918".into()),
        reply_to: Some("wamid.AAD1".into()),
        callback_data: Some("run7:step2".into()),
        body: &body,
    };
    assert_eq!(
        request.to_json(),
        json!({
            "messaging_product": "whatsapp", "recipient_type": "individual",
            "recipient": "US.13491208655302741918",
            "context": { "message_id": "wamid.AAD1" },
            "biz_opaque_callback_data": "run7:step2",
            "type": "text", "text": { "body": "Recebido!" }
        })
    );
}

#[test]
fn messages_whatsapp_would_refuse_are_refused_in_words_before_sending() {
    let fine = OutboundBody::Text {
        text: "Oi".into(),
        preview_url: false,
    };
    assert_eq!(
        SendRequest {
            to: Recipient::UserId("US.13491208655302741918".into()),
            reply_to: None,
            callback_data: None,
            body: &fine,
        }
        .check(),
        Ok(())
    );
    let code = OutboundBody::Template {
        name: "login_code".into(),
        language: "en".into(),
        category: TemplateCategory::Authentication,
        header: vec![],
        body: vec!["123456".into()],
        buttons: vec![],
    };
    let refused = SendRequest {
        to: Recipient::UserId("US.13491208655302741918".into()),
        reply_to: None,
        callback_data: None,
        body: &code,
    }
    .check()
    .expect_err("refused");
    assert_eq!(
        refused.reason(),
        "WhatsApp would refuse this message: authentication templates cannot be sent to a WhatsApp user id, only to a phone number"
    );
    assert!(!refused.is_retryable());
    let by_number = SendRequest {
        to: Recipient::Phone(ANA.into()),
        reply_to: None,
        callback_data: None,
        body: &code,
    };
    assert_eq!(by_number.check(), Ok(()));
}

#[test]
fn callback_data_longer_than_whatsapp_echoes_is_refused() {
    let body = OutboundBody::Text {
        text: "Oi".into(),
        preview_url: false,
    };
    let request = |length: usize| SendRequest {
        to: Recipient::Phone(ANA.into()),
        reply_to: None,
        callback_data: Some("r".repeat(length)),
        body: &body,
    };
    assert_eq!(request(512).check(), Ok(()));
    let refused = request(513).check().expect_err("too long");
    assert!(
        refused
            .reason()
            .ends_with("the callback data is 513 characters long, and WhatsApp echoes at most 512"),
        "{refused}"
    );
}
