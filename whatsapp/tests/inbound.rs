//! Every webhook fixture in `tests/fixtures/whatsapp/` read into notifications, and the
//! fields a flow, the contact store and the delivery tracker rely on.

use serde_json::json;
use spool_nodes::identity::Bsuid;
use spool_nodes::{Content, InboundMessage, TemplateCategory};
use spool_whatsapp::inbound::{Conversation, StatusRecipient};
use spool_whatsapp::{
    MetaError, Notification, ParseError, PreferenceCategory, PreferenceValue, Pricing, Status,
    StatusKind, parse,
};

const NUMBER: &str = "1098765432101";
const ANA: &str = "5511987654321";
const ANA_BSUID: &str = "BR.13491208655302741918";

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../tests/fixtures/whatsapp/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|err| panic!("{path}: {err}"))
}

fn notifications(name: &str) -> Vec<Notification> {
    parse(&fixture(name)).unwrap_or_else(|err| panic!("{name}: {err}"))
}

/// The one message of a fixture, checked to come from Ana to the business number.
fn message_from_ana(name: &str) -> InboundMessage {
    let mut all = notifications(name);
    assert_eq!(all.len(), 1, "{name}: {all:?}");
    let Some(Notification::Message {
        phone_number_id,
        message,
    }) = all.pop()
    else {
        panic!("{name}: not a message");
    };
    assert_eq!(phone_number_id, NUMBER, "{name}");
    assert_eq!(message.from, ANA, "{name}");
    assert_eq!(
        message.from_user_id.as_ref().map(Bsuid::as_str),
        Some(ANA_BSUID),
        "{name}"
    );
    assert_eq!(message.profile_name.as_deref(), Some("Ana Souza"), "{name}");
    message
}

fn statuses(name: &str) -> Vec<Status> {
    notifications(name)
        .into_iter()
        .map(|notification| match notification {
            Notification::Status(status) => status,
            other => panic!("{name}: not a status: {other:?}"),
        })
        .collect()
}

#[test]
fn a_text_keeps_its_body_id_and_own_timestamp() {
    let message = message_from_ana("text.json");
    assert_eq!(message.id, "wamid.AAA1");
    assert_eq!(message.timestamp, 1_760_000_001_000);
    assert_eq!(
        message.content,
        Content::Text {
            body: "Quero rastrear meu pedido".into()
        }
    );
    assert_eq!(message.context_id, None);
    assert_eq!(message.referral, None);
}

#[test]
fn taps_on_buttons_lists_and_template_buttons_name_the_prompt_they_answer() {
    let button = message_from_ana("button_reply.json");
    assert_eq!(
        button.content,
        Content::ButtonReply {
            id: "opt_track".into(),
            title: "Track order".into()
        }
    );
    assert_eq!(button.context_id.as_deref(), Some("wamid.BIZ9"));

    let list = message_from_ana("list_reply.json");
    assert_eq!(
        list.content,
        Content::ListReply {
            id: "ship_express".into(),
            title: "Express".into(),
            description: Some("1-2 days".into())
        }
    );
    assert_eq!(list.context_id.as_deref(), Some("wamid.BIZ10"));

    let template = message_from_ana("template_button.json");
    assert_eq!(
        template.content,
        Content::TemplateButton {
            payload: "run42:step7:yes".into(),
            text: "Yes, confirm".into()
        }
    );
    assert_eq!(template.context_id.as_deref(), Some("wamid.TPL1"));
}

#[test]
fn media_of_every_kind_is_kept_by_id_with_mime_caption_and_file_name() {
    let cases = [
        (
            "image.json",
            "image",
            "1003383421387256",
            "image/jpeg",
            Some("foto do pacote"),
            None,
        ),
        (
            "video.json",
            "video",
            "2203383421387299",
            "video/mp4",
            Some("unboxing"),
            None,
        ),
        (
            "audio.json",
            "audio",
            "99887766",
            "audio/ogg; codecs=opus",
            None,
            None,
        ),
        (
            "document.json",
            "document",
            "88776655",
            "application/pdf",
            Some("NF"),
            Some("nota.pdf"),
        ),
        (
            "sticker.json",
            "sticker",
            "5544332211",
            "image/webp",
            None,
            None,
        ),
    ];
    for (name, kind, id, mime, caption, filename) in cases {
        let message = message_from_ana(name);
        assert_eq!(
            message.content,
            Content::Media {
                kind: kind.into(),
                id: id.into(),
                mime_type: Some(mime.into()),
                caption: caption.map(Into::into),
                filename: filename.map(Into::into),
            },
            "{name}"
        );
        assert_eq!(message.to_value()["type"], "media", "{name}");
    }
}

#[test]
fn locations_shared_cards_reactions_and_orders_keep_what_they_carry() {
    let location = message_from_ana("location.json");
    assert_eq!(
        location.content,
        Content::Location {
            latitude: -23.5614,
            longitude: -46.6559,
            name: Some("Loja Paulista".into()),
            address: Some("Av. Paulista, 1000".into())
        }
    );

    let contacts = message_from_ana("contacts.json");
    let Content::Contacts { contacts } = &contacts.content else {
        panic!("contacts: {:?}", contacts.content);
    };
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0]["name"]["formatted_name"], "Bruno Lima");
    assert_eq!(contacts[0]["phones"][0]["wa_id"], "5511912345678");

    let reaction = message_from_ana("reaction.json");
    assert_eq!(
        reaction.content,
        Content::Reaction {
            message_id: "wamid.OUT1".into(),
            emoji: "\u{1F62E}".into()
        }
    );
    let removed = message_from_ana("reaction_removed.json");
    assert_eq!(
        removed.content,
        Content::Reaction {
            message_id: "wamid.OUT1".into(),
            emoji: String::new()
        }
    );

    let order = message_from_ana("order.json");
    let Content::Order {
        catalog_id,
        text,
        items,
    } = &order.content
    else {
        panic!("order: {:?}", order.content);
    };
    assert_eq!(catalog_id.as_deref(), Some("194836987003835"));
    assert_eq!(text.as_deref(), Some("Entrega na sexta"));
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["product_retailer_id"], "sku-cafe-500g");
    assert_eq!(items[0]["quantity"], 2);
}

#[test]
fn unsupported_unknown_and_system_messages_are_kept_by_their_type() {
    for (name, kind) in [
        ("unsupported.json", "unsupported"),
        ("unknown_type.json", "hologram"),
        ("system.json", "system"),
    ] {
        let message = message_from_ana(name);
        assert_eq!(
            message.content,
            Content::Other { kind: kind.into() },
            "{name}"
        );
        assert_eq!(message.to_value()["type"], kind, "{name}");
    }
}

#[test]
fn a_click_to_whatsapp_referral_is_kept_whole() {
    let message = message_from_ana("referral_ctwa.json");
    assert_eq!(
        message.content,
        Content::Text {
            body: "Oi, vi o an\u{fa}ncio".into()
        }
    );
    let referral = message.referral.expect("a referral");
    for (key, value) in [
        ("source_id", "120226305854810726"),
        ("source_url", "https://fb.me/abc123"),
        ("source_type", "ad"),
        ("headline", "Frete gr\u{e1}tis hoje"),
        ("body", "Fale com a gente"),
        ("media_type", "video"),
        (
            "video_url",
            "https://video.xx.fbcdn.net/v/t42.1790-2/ad.mp4",
        ),
        ("thumbnail_url", "https://scontent.xx.fbcdn.net/v/thumb.jpg"),
    ] {
        assert_eq!(referral[key], value, "{key}");
    }
    assert!(
        referral["ctwa_clid"]
            .as_str()
            .is_some_and(|clid| clid.starts_with("Aff-"))
    );
    assert_eq!(
        referral["welcome_message"]["text"],
        "Ol\u{e1}! Como podemos ajudar?"
    );
}

#[test]
fn a_username_only_user_is_known_by_bsuid_alone() {
    let all = notifications("username_only.json");
    assert_eq!(all.len(), 2);
    let Notification::Message { message, .. } = &all[0] else {
        panic!("{:?}", all[0]);
    };
    assert_eq!(message.from, "");
    assert_eq!(
        message.from_user_id.as_ref().map(Bsuid::as_str),
        Some("US.13491208655302741918")
    );
    assert_eq!(message.profile_name.as_deref(), Some("Carla"));
    let Notification::Status(status) = &all[1] else {
        panic!("{:?}", all[1]);
    };
    assert_eq!(
        status.recipient,
        StatusRecipient {
            wa_id: None,
            user_id: Some(Bsuid::parse("US.13491208655302741918").expect("bsuid")),
        }
    );
    assert_eq!(status.status, StatusKind::Delivered);
}

#[test]
fn non_ascii_text_reads_back_as_written() {
    let all = notifications("non_ascii.json");
    let Some(Notification::Message { message, .. }) = all.first() else {
        panic!("{all:?}");
    };
    assert_eq!(
        message.profile_name.as_deref(),
        Some("J\u{fc}rgen M\u{fc}ller")
    );
    assert_eq!(
        message.text(),
        Some("Gr\u{fc}\u{df}e aus K\u{f6}ln! Caf\u{e9} \u{2615} \u{1F600} \u{2014} \u{e7}a va?")
    );
}

#[test]
fn a_batch_yields_every_message_and_status_of_every_entry_in_order() {
    let all = notifications("batch.json");
    let summary: Vec<(String, String, String)> = all
        .iter()
        .map(|notification| match notification {
            Notification::Message {
                phone_number_id,
                message,
            } => (
                phone_number_id.clone(),
                message.id.clone(),
                message.from.clone(),
            ),
            Notification::Status(status) => (
                status.phone_number_id.clone(),
                status.wamid.clone(),
                status.status.to_string(),
            ),
            other => panic!("{other:?}"),
        })
        .collect();
    let expected = [
        (NUMBER, "wamid.B1", ANA),
        (NUMBER, "wamid.B2", "5511912345678"),
        (NUMBER, "wamid.B3", ANA),
        (NUMBER, "wamid.OUT5", "sent"),
        (NUMBER, "wamid.OUT5", "delivered"),
        ("2098765432102", "wamid.B4", ANA),
        ("2098765432102", "wamid.B5", ANA),
        ("2098765432102", "wamid.OUT6", "read"),
    ]
    .map(|(a, b, c)| (a.to_owned(), b.to_owned(), c.to_owned()));
    assert_eq!(summary, expected);
    // Each sender gets their own profile name, not the first contact's.
    let Notification::Message { message, .. } = &all[1] else {
        panic!("{:?}", all[1]);
    };
    assert_eq!(message.profile_name.as_deref(), Some("Bruno Lima"));
}

#[test]
fn statuses_carry_pricing_conversation_and_callback_data() {
    let all = statuses("statuses_in_order.json");
    let kinds: Vec<StatusKind> = all.iter().map(|status| status.status.clone()).collect();
    assert_eq!(
        kinds,
        [StatusKind::Sent, StatusKind::Delivered, StatusKind::Read]
    );
    let sent = &all[0];
    assert_eq!(sent.wamid, "wamid.OUT1");
    assert_eq!(sent.timestamp_ms, 1_760_000_100_000);
    assert_eq!(sent.recipient.wa_id.as_deref(), Some(ANA));
    assert_eq!(
        sent.biz_opaque_callback_data.as_deref(),
        Some("run42:step7")
    );
    assert_eq!(
        sent.pricing,
        Some(Pricing {
            billable: Some(true),
            pricing_model: Some("PMP".into()),
            category: Some("utility".into()),
            kind: Some("regular".into()),
        })
    );
    assert_eq!(
        sent.conversation,
        Some(Conversation {
            id: Some("c0ffee42".into()),
            expires_at_ms: Some(1_760_086_500_000),
            origin: Some("utility".into()),
        })
    );
    assert_eq!(all[2].pricing, None);
}

#[test]
fn statuses_arriving_out_of_order_are_applied_without_moving_backwards() {
    let mut stored: Option<StatusKind> = None;
    let mut applied = Vec::new();
    for status in statuses("statuses_read_before_delivered.json") {
        if stored
            .as_ref()
            .is_none_or(|current| current.advances_to(&status.status))
        {
            applied.push(status.status.to_string());
            stored = Some(status.status);
        }
    }
    assert_eq!(
        applied,
        ["read"],
        "sent and delivered came late and change nothing"
    );
    assert_eq!(stored, Some(StatusKind::Read));
}

#[test]
fn a_failed_status_keeps_meta_s_error() {
    let all = statuses("status_failed.json");
    let failed = &all[0];
    assert_eq!(failed.status, StatusKind::Failed);
    assert!(failed.status.is_terminal());
    assert_eq!(
        failed.errors,
        [MetaError {
            code: 131_049,
            title: "This message was not delivered to maintain healthy ecosystem engagement."
                .into(),
            message: "This message was not delivered to maintain healthy ecosystem engagement."
                .into(),
            details: Some(
                "In order to maintain a healthy ecosystem engagement, the message failed to be delivered."
                    .into()
            ),
        }]
    );
    assert!(matches!(
        spool_whatsapp::errors::classify_meta_error(&failed.errors[0]),
        spool_whatsapp::SendFailure::PerUserMarketingCap { .. }
    ));
}

#[test]
fn a_held_template_is_pending_until_sent() {
    let all = statuses("status_held.json");
    assert_eq!(all[0].status, StatusKind::HeldForQualityAssessment);
    assert!(all[0].status.advances_to(&all[1].status));
    let pricing = all[1].pricing.as_ref().expect("pricing");
    assert_eq!(pricing.kind.as_deref(), Some("free_entry_point"));
    assert_eq!(
        pricing.category.as_deref(),
        Some("authentication_international"),
        "Meta's hyphenated spelling reads with an underscore"
    );
}

#[test]
fn account_level_errors_are_reported_for_the_number() {
    let all = notifications("value_errors.json");
    let [
        Notification::Errors {
            phone_number_id,
            errors,
        },
    ] = all.as_slice()
    else {
        panic!("{all:?}");
    };
    assert_eq!(phone_number_id, NUMBER);
    assert_eq!(errors[0].code, 130_429);
    assert_eq!(
        errors[0].details.as_deref(),
        Some("Cloud API message throughput has been reached.")
    );
}

#[test]
fn marketing_opt_outs_and_opt_ins_name_the_contact() {
    for (name, value) in [
        ("user_preferences_stop.json", PreferenceValue::Stop),
        ("user_preferences_resume.json", PreferenceValue::Resume),
    ] {
        let all = notifications(name);
        let [Notification::UserPreference(preference)] = all.as_slice() else {
            panic!("{name}: {all:?}");
        };
        assert_eq!(preference.phone_number_id, NUMBER);
        assert_eq!(preference.wa_id.as_deref(), Some("16505551234"));
        assert_eq!(
            preference.user_id.as_ref().map(Bsuid::as_str),
            Some("US.10000000000000000001")
        );
        assert_eq!(preference.category, PreferenceCategory::Marketing);
        assert_eq!(preference.value, value, "{name}");
        assert_eq!(preference.timestamp_ms, 1_731_705_721_000);
    }
}

#[test]
fn template_status_category_and_quality_changes_name_the_template() {
    let all = notifications("template_status_update.json");
    let [Notification::TemplateStatus(status)] = all.as_slice() else {
        panic!("{all:?}");
    };
    assert_eq!(status.waba_id, "102290129340398");
    assert_eq!(status.template_id, "806312974732579");
    assert_eq!(status.name, "order_shipped");
    assert_eq!(status.language, "pt_BR", "pt-BR as sends spell it");
    assert_eq!(status.event, "PAUSED");
    assert_eq!(status.reason, None, "NONE is no reason");
    assert_eq!(status.detail.as_deref(), Some("FIRST_PAUSE"));

    let all = notifications("template_category_update.json");
    let [Notification::TemplateCategory(change)] = all.as_slice() else {
        panic!("{all:?}");
    };
    assert_eq!(change.name, "cart_reminder");
    assert_eq!(change.previous_category.as_deref(), Some("UTILITY"));
    assert_eq!(change.new_category(), Some(TemplateCategory::Marketing));

    let all = notifications("template_quality_update.json");
    let [Notification::TemplateQuality(quality)] = all.as_slice() else {
        panic!("{all:?}");
    };
    assert_eq!(quality.previous_quality.as_deref(), Some("GREEN"));
    assert_eq!(quality.new_quality, "YELLOW");
}

#[test]
fn fields_spool_does_not_act_on_are_passed_on_not_refused() {
    let all = notifications("account_update.json");
    let [
        Notification::Other {
            field,
            waba_id,
            value,
        },
    ] = all.as_slice()
    else {
        panic!("{all:?}");
    };
    assert_eq!(field, "account_update");
    assert_eq!(waba_id, "102290129340398");
    assert_eq!(value["event"], "VOLUME_BASED_PRICING_TIER_UPDATE");
}

#[test]
fn a_malformed_item_is_set_aside_and_the_rest_of_the_batch_is_read() {
    let all = notifications("bad_missing_fields.json");
    let described: Vec<String> = all
        .iter()
        .map(|notification| match notification {
            Notification::Message { message, .. } => format!("message {}", message.id),
            Notification::Status(status) => format!("status {}", status.wamid),
            Notification::Unreadable { reason, .. } => format!("unreadable: {reason}"),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        described,
        [
            "unreadable: entry 0, change 0, message 0: it has no `id`",
            "message wamid.M2",
            "unreadable: entry 0, change 0, message 2: its type is `image` but it has no `image` object",
            "unreadable: entry 0, change 0, status 0: it has no message `id`",
            "status wamid.OUT7",
        ]
    );
    let Notification::Unreadable { raw, .. } = &all[0] else {
        panic!("{:?}", all[0]);
    };
    assert_eq!(
        raw["text"]["body"], "no id, no type",
        "the item is kept as it came"
    );
}

#[test]
fn bodies_that_are_not_whatsapp_webhooks_at_all_are_errors() {
    assert!(matches!(
        parse(&fixture("bad_truncated.json")),
        Err(ParseError::NotJson(_))
    ));
    let err = parse(&fixture("bad_not_whatsapp.json")).expect_err("not whatsapp");
    assert_eq!(
        err.to_string(),
        "the body is not a WhatsApp Business Account webhook: `object` is `page`, not `whatsapp_business_account`"
    );
    for body in [
        json!([]),
        json!({ "entry": [] }),
        json!({ "object": "whatsapp_business_account" }),
    ] {
        assert!(
            matches!(
                parse(body.to_string().as_bytes()),
                Err(ParseError::NotWhatsApp(_))
            ),
            "{body}"
        );
    }
    assert_eq!(
        parse(br#"{"object":"whatsapp_business_account","entry":[]}"#),
        Ok(vec![])
    );
}

#[test]
fn a_message_naming_no_sender_is_unreadable() {
    let body = json!({ "object": "whatsapp_business_account", "entry": [{ "id": "1", "changes": [{
        "field": "messages",
        "value": { "metadata": { "phone_number_id": NUMBER }, "messages": [
            { "from": "", "id": "wamid.X", "timestamp": "1760000001", "type": "text", "text": { "body": "who?" } }
        ] }
    }] }] });
    let all = parse(body.to_string().as_bytes()).expect("parses");
    assert!(
        matches!(&all[..], [Notification::Unreadable { reason, .. }] if reason.contains("names no sender")),
        "{all:?}"
    );
}

#[test]
fn a_lone_contact_naming_someone_else_lends_no_profile_name() {
    let body = json!({ "object": "whatsapp_business_account", "entry": [{ "id": "1", "changes": [{
        "field": "messages",
        "value": {
            "metadata": { "phone_number_id": NUMBER },
            "contacts": [ { "profile": { "name": "Ana Souza" }, "wa_id": ANA } ],
            "messages": [
                { "from": "5511912345678", "id": "wamid.Y", "timestamp": "1760000001", "type": "text", "text": { "body": "Bruno here" } }
            ]
        }
    }] }] });
    let all = parse(body.to_string().as_bytes()).expect("parses");
    let [Notification::Message { message, .. }] = all.as_slice() else {
        panic!("{all:?}");
    };
    assert_eq!(message.from, "5511912345678");
    assert_eq!(message.profile_name, None);
}

#[test]
fn every_fixture_reads_and_notifications_round_trip_as_json() {
    let dir = format!("{}/../tests/fixtures/whatsapp", env!("CARGO_MANIFEST_DIR"));
    let mut read = 0;
    for entry in std::fs::read_dir(&dir).expect("fixtures") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        if !name.ends_with(".json") || name.starts_with("bad_") {
            continue;
        }
        let all = notifications(&name);
        assert!(!all.is_empty(), "{name}");
        for notification in all {
            assert!(
                !matches!(notification, Notification::Unreadable { .. }),
                "{name}: {notification:?}"
            );
            let stored = serde_json::to_value(&notification).expect("serializes");
            let back: Notification = serde_json::from_value(stored).expect("deserializes");
            assert_eq!(back, notification, "{name}");
        }
        read += 1;
    }
    assert!(read >= 30, "only {read} fixtures");
}
