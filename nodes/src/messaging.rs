//! Messaging nodes. Every send is checked against WhatsApp's rules first: free-form
//! messages only inside the 24-hour window, Marketing templates only with an opt-in and
//! within the per-contact cap.

use spool_flows::config::{
    SendButtons, SendList, SendMedia, SendTemplate, SendText, TemplateButton, TemplateCategory,
};
use spool_flows::fields;

use crate::model::{
    Choice, Content, InboundMessage, Millis, OutboundBody, SECOND, Section,
    TemplateButtonParameter, WaitKind,
};
use crate::templates::{languages_tried, pick_language};
use crate::{Ctx, Failure, Step};

pub(crate) fn window_open(ctx: &Ctx<'_>) -> Result<(), Failure> {
    if ctx.contact.window_open(ctx.now) {
        Ok(())
    } else {
        Err(Failure::new(
            "window_closed",
            "more than 24 hours since the contact last wrote: only templates can be sent",
        ))
    }
}

fn reply_deadline(ctx: &Ctx<'_>, timeout_secs: u64) -> Option<Millis> {
    ctx.flow
        .next(ctx.ix, "timeout")
        .map(|_| ctx.now + timeout_secs as Millis * SECOND)
}

pub(crate) fn send_text(ctx: &mut Ctx<'_>, send: &SendText) -> Result<Step, Failure> {
    window_open(ctx)?;
    let text = ctx.render_required(&fields::TEXT)?;
    ctx.queue(OutboundBody::Text {
        text,
        preview_url: send.preview_url,
    });
    Ok(Step::Next("next".into()))
}

pub(crate) fn send_media(ctx: &mut Ctx<'_>, send: &SendMedia) -> Result<Step, Failure> {
    window_open(ctx)?;
    let body = OutboundBody::Media {
        kind: send.media,
        url: ctx.render_required(&fields::URL)?,
        caption: ctx.render(&fields::CAPTION)?,
        filename: ctx.render(&fields::FILENAME)?,
    };
    ctx.queue(body);
    Ok(Step::Next("next".into()))
}

pub(crate) fn send_buttons(ctx: &mut Ctx<'_>, send: &SendButtons) -> Result<Step, Failure> {
    window_open(ctx)?;
    let body = OutboundBody::Buttons {
        text: ctx.render_required(&fields::TEXT)?,
        header: ctx.render(&fields::HEADER)?,
        footer: ctx.render(&fields::FOOTER)?,
        buttons: send
            .buttons
            .iter()
            .map(|button| Choice {
                id: button.id.clone(),
                title: button.title.clone(),
                description: None,
            })
            .collect(),
    };
    ctx.queue(body);
    Ok(Step::Wait {
        kind: WaitKind::Reply,
        deadline: reply_deadline(ctx, send.timeout.as_secs()),
    })
}

pub(crate) fn send_list(ctx: &mut Ctx<'_>, send: &SendList) -> Result<Step, Failure> {
    window_open(ctx)?;
    let body = OutboundBody::List {
        text: ctx.render_required(&fields::TEXT)?,
        header: ctx.render(&fields::HEADER)?,
        footer: ctx.render(&fields::FOOTER)?,
        button: send.button.clone(),
        sections: send
            .sections
            .iter()
            .map(|section| Section {
                title: section.title.clone(),
                rows: section
                    .rows
                    .iter()
                    .map(|row| Choice {
                        id: row.id.clone(),
                        title: row.title.clone(),
                        description: row.description.clone(),
                    })
                    .collect(),
            })
            .collect(),
    };
    ctx.queue(body);
    Ok(Step::Wait {
        kind: WaitKind::Reply,
        deadline: reply_deadline(ctx, send.timeout.as_secs()),
    })
}

/// A reply to buttons or a list: leave through the chosen one's port; anything else goes to
/// `other` when it is connected, and is otherwise ignored (the contact can still tap).
pub(crate) fn choice(ctx: &mut Ctx<'_>, message: &InboundMessage) -> Step {
    let node = ctx.flow.node(ctx.ix);
    let variable = match &node.kind {
        spool_flows::NodeKind::SendButtons(send) => send.variable.clone(),
        spool_flows::NodeKind::SendList(send) => send.variable.clone(),
        _ => None,
    };
    let chosen = match &message.content {
        Content::ButtonReply { id, .. } | Content::ListReply { id, .. } => Some(id.clone()),
        _ => None,
    };
    let port_exists = |port: &str| {
        ctx.flow
            .ports(ctx.ix)
            .iter()
            .any(|(candidate, _)| candidate.name == port)
    };
    match chosen {
        Some(id)
            if port_exists(&id)
                && !spool_flows::catalog::RESERVED_PORT_NAMES.contains(&id.as_str()) =>
        {
            if let Some(variable) = variable {
                ctx.set_var(&variable, serde_json::Value::String(id.clone()));
            }
            Step::Next(id)
        }
        _ if ctx.flow.next(ctx.ix, "other").is_some() => {
            if let Some(variable) = variable {
                let text = message.text().unwrap_or_default().to_owned();
                ctx.set_var(&variable, serde_json::Value::String(text));
            }
            Step::Next("other".into())
        }
        _ => Step::Wait {
            kind: WaitKind::Reply,
            deadline: ctx.run.wait.as_ref().and_then(|wait| wait.deadline),
        },
    }
}

/// What a template send goes out as: Meta's current category and an APPROVED language
/// when the catalog knows the template, else what the node says.
struct Resolved {
    category: TemplateCategory,
    language: String,
}

fn resolve_template(ctx: &Ctx<'_>, send: &SendTemplate) -> Result<Resolved, Failure> {
    let Some(facts) = ctx.templates.template(ctx.contact, &send.name) else {
        return Ok(Resolved {
            category: send.category,
            language: send.language.clone(),
        });
    };
    let locale = ctx.contact.locale.as_deref();
    let language = pick_language(locale, &send.language, &facts.languages()).ok_or_else(|| {
        Failure::new(
            "template_unavailable",
            format!(
                "template '{}' has no APPROVED translation in {} on this number",
                send.name,
                languages_tried(locale, &send.language).join(", ")
            ),
        )
    })?;
    let category = facts
        .translation(&language)
        .and_then(|translation| translation.category)
        .unwrap_or(send.category);
    Ok(Resolved { category, language })
}

pub(crate) fn send_template(ctx: &mut Ctx<'_>, send: &SendTemplate) -> Result<Step, Failure> {
    // Meta's category now decides consent and the cap, not the one the node was written with:
    // a Utility template Meta refiled as Marketing needs the contact's opt-in.
    let Resolved { category, language } = resolve_template(ctx, send)?;
    if category == TemplateCategory::Marketing {
        if !ctx.contact.opted_in() {
            return Err(Failure::new(
                "no_opt_in",
                "the contact has not agreed to Marketing messages",
            ));
        }
        let since = ctx.now - ctx.policy.marketing_cap_window;
        ctx.contact.marketing_sent_at.retain(|at| *at > since);
        if ctx.contact.marketing_sent_at.len() >= ctx.policy.marketing_cap as usize {
            return Err(Failure::new(
                "marketing_cap_reached",
                format!(
                    "the contact already got {} Marketing message(s) in this period",
                    ctx.contact.marketing_sent_at.len()
                ),
            ));
        }
    }
    let header = (0..send.header.len())
        .map(|i| ctx.render_required(&fields::template_header(i)))
        .collect::<Result<_, _>>()?;
    let body = (0..send.body.len())
        .map(|i| ctx.render_required(&fields::template_body(i)))
        .collect::<Result<_, _>>()?;
    let mut buttons = Vec::with_capacity(send.buttons.len());
    for (i, button) in send.buttons.iter().enumerate() {
        let (sub_type, parameter) = match button {
            TemplateButton::QuickReply { payload } => ("quick_reply", payload.clone()),
            TemplateButton::Url { .. } => (
                "url",
                ctx.render_required(&fields::template_button_text(i))?,
            ),
        };
        buttons.push(TemplateButtonParameter {
            index: i,
            sub_type: sub_type.to_owned(),
            parameter,
        });
    }
    ctx.queue(OutboundBody::Template {
        name: send.name.clone(),
        language,
        category,
        header,
        body,
        buttons,
    });
    if category == TemplateCategory::Marketing {
        ctx.contact.marketing_sent_at.push(ctx.now);
    }
    Ok(Step::Next("next".into()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::{DAY, HOUR, MediaKind, TemplateCategory};
    use crate::testing::{Journey, NOW, failure_code, next, tap, text, waiting_reply};

    fn greeting() -> Journey {
        Journey::new(
            json!([{ "id": "hello", "type": "send_text", "config": { "text": "Hi {{ contact.name }}!" } }]),
            &[],
        )
    }

    #[test]
    fn text_inside_the_window_is_queued_with_its_placeholders_filled() {
        let mut journey = greeting();
        assert_eq!(journey.enter("hello"), next("next"));
        assert_eq!(journey.outbox.len(), 1);
        assert_eq!(
            journey.outbox[0].body,
            OutboundBody::Text {
                text: "Hi Ana!".into(),
                preview_url: false
            }
        );
        assert_eq!(journey.outbox[0].to, "351910000001");
    }

    #[test]
    fn text_after_the_window_closed_fails_and_sends_nothing() {
        let mut journey = greeting();
        journey.contact.last_inbound_at = Some(NOW - DAY - HOUR);
        assert_eq!(failure_code(&journey.enter("hello")), "window_closed");
        assert!(journey.outbox.is_empty());
    }

    #[test]
    fn media_keeps_its_kind_through_to_the_outbox() {
        let mut journey = Journey::new(
            json!([{ "id": "invoice", "type": "send_media", "config": { "media": "document", "url": "https://example.com/{{ contact.name }}.pdf", "filename": "invoice.pdf" } }]),
            &[],
        );
        assert_eq!(journey.enter("invoice"), next("next"));
        assert_eq!(
            journey.outbox[0].body,
            OutboundBody::Media {
                kind: MediaKind::Document,
                url: "https://example.com/Ana.pdf".into(),
                caption: None,
                filename: Some("invoice.pdf".into()),
            }
        );
    }

    fn promo() -> Journey {
        Journey::new(
            json!([{ "id": "promo", "type": "send_template", "config": { "name": "spring_sale", "language": "en", "category": "marketing", "body": ["{{ contact.name }}"] } }]),
            &[],
        )
    }

    #[test]
    fn marketing_without_an_opt_in_fails_and_sends_nothing() {
        let mut journey = promo();
        assert_eq!(failure_code(&journey.enter("promo")), "no_opt_in");
        assert!(journey.outbox.is_empty());
        assert!(journey.contact.marketing_sent_at.is_empty());
    }

    #[test]
    fn marketing_stops_at_the_cap_and_counts_only_the_cap_window() {
        let mut journey = promo();
        journey.contact.marketing_opt_in_at = Some(NOW - 30 * DAY);
        journey.contact.marketing_sent_at = vec![NOW - 2 * HOUR];
        assert_eq!(
            failure_code(&journey.enter("promo")),
            "marketing_cap_reached"
        );
        assert!(journey.outbox.is_empty());

        // A send older than the window no longer counts, and is forgotten.
        journey.contact.marketing_sent_at = vec![NOW - DAY - HOUR];
        assert_eq!(journey.enter("promo"), next("next"));
        assert_eq!(journey.contact.marketing_sent_at, vec![NOW]);
        let OutboundBody::Template { category, body, .. } = &journey.outbox[0].body else {
            panic!("not a template: {:?}", journey.outbox[0].body);
        };
        assert_eq!(*category, TemplateCategory::Marketing);
        assert_eq!(body, &vec!["Ana".to_owned()]);
    }

    #[test]
    fn a_utility_template_goes_out_after_the_window_closed() {
        let mut journey = Journey::new(
            json!([{ "id": "shipped", "type": "send_template", "config": { "name": "order_shipped", "language": "en", "category": "utility",
                "buttons": [{ "type": "quick_reply", "payload": "track" }, { "type": "url", "text": "{{ contact.name }}" }] } }]),
            &[],
        );
        journey.contact.last_inbound_at = Some(NOW - 3 * DAY);
        assert_eq!(journey.enter("shipped"), next("next"));
        let OutboundBody::Template {
            category, buttons, ..
        } = &journey.outbox[0].body
        else {
            panic!("not a template: {:?}", journey.outbox[0].body);
        };
        assert_eq!(*category, TemplateCategory::Utility);
        assert_eq!(
            buttons
                .iter()
                .map(|b| (b.index, b.sub_type.as_str(), b.parameter.as_str()))
                .collect::<Vec<_>>(),
            vec![(0, "quick_reply", "track"), (1, "url", "Ana")]
        );
        assert!(journey.contact.marketing_sent_at.is_empty());
    }

    /// A catalog that knows one template, as Meta has it now.
    struct Known(crate::TemplateFacts);

    impl crate::TemplateCatalog for Known {
        fn template(
            &self,
            _contact: &crate::model::Contact,
            name: &str,
        ) -> Option<crate::TemplateFacts> {
            (name == "order_shipped").then(|| self.0.clone())
        }
    }

    fn shipped_as(category: TemplateCategory, approved: &[&str]) -> Journey {
        let mut journey = Journey::new(
            json!([{ "id": "shipped", "type": "send_template", "config": { "name": "order_shipped", "language": "en", "category": "utility" } }]),
            &[],
        );
        journey.templates = std::sync::Arc::new(Known(crate::TemplateFacts {
            approved: approved
                .iter()
                .map(|code| crate::templates::Translation {
                    language: (*code).to_owned(),
                    category: Some(category),
                })
                .collect(),
        }));
        journey
    }

    fn sent(journey: &Journey) -> (TemplateCategory, String) {
        let OutboundBody::Template {
            category, language, ..
        } = &journey.outbox[0].body
        else {
            panic!("not a template: {:?}", journey.outbox[0].body);
        };
        (*category, language.clone())
    }

    #[test]
    fn a_utility_template_meta_refiled_as_marketing_needs_the_opt_in_and_counts() {
        let mut journey = shipped_as(TemplateCategory::Marketing, &["en"]);
        assert_eq!(failure_code(&journey.enter("shipped")), "no_opt_in");
        assert!(journey.outbox.is_empty());

        journey.contact.marketing_opt_in_at = Some(NOW - DAY);
        assert_eq!(journey.enter("shipped"), next("next"));
        assert_eq!(
            sent(&journey),
            (TemplateCategory::Marketing, "en".to_owned()),
            "the send carries the category in force, so it is routed as Marketing"
        );
        assert_eq!(journey.contact.marketing_sent_at, vec![NOW]);
    }

    #[test]
    fn the_contacts_locale_picks_the_translation_among_the_approved_ones() {
        let mut journey = shipped_as(TemplateCategory::Utility, &["en", "pt_BR"]);
        journey.contact.locale = Some("pt_BR".into());
        assert_eq!(journey.enter("shipped"), next("next"));
        assert_eq!(sent(&journey).1, "pt_BR");

        let mut journey = shipped_as(TemplateCategory::Utility, &["en"]);
        journey.contact.locale = Some("pt_BR".into());
        assert_eq!(journey.enter("shipped"), next("next"));
        assert_eq!(
            sent(&journey).1,
            "en",
            "the node's language is the fallback"
        );
    }

    #[test]
    fn a_template_with_no_approved_translation_is_not_sent() {
        let mut journey = shipped_as(TemplateCategory::Utility, &[]);
        assert_eq!(
            failure_code(&journey.enter("shipped")),
            "template_unavailable"
        );
        assert!(journey.outbox.is_empty());
    }

    fn question(with_other: bool) -> Journey {
        let mut edges = vec![
            ("ask", "yes", "done"),
            ("ask", "no", "done"),
            ("ask", "timeout", "done"),
        ];
        if with_other {
            edges.push(("ask", "other", "done"));
        }
        Journey::new(
            json!([
                { "id": "ask", "type": "send_buttons", "config": { "text": "Still want it?", "variable": "choice", "timeout": "2h",
                    "buttons": [{ "id": "yes", "title": "Yes" }, { "id": "no", "title": "No" }] } },
                { "id": "done", "type": "end" },
            ]),
            &edges,
        )
    }

    #[test]
    fn buttons_wait_for_a_tap_and_leave_through_the_tapped_button() {
        let mut journey = question(false);
        let step = journey.enter("ask");
        assert_eq!(step, waiting_reply(Some(NOW + 2 * HOUR)));
        let OutboundBody::Buttons { buttons, .. } = &journey.outbox[0].body else {
            panic!("not buttons: {:?}", journey.outbox[0].body);
        };
        assert_eq!(buttons.len(), 2);
        journey.wait_as(&step);
        assert_eq!(journey.reply("ask", &tap("no")), next("no"));
        assert_eq!(journey.run.vars["choice"], "no");
    }

    #[test]
    fn typed_text_goes_to_other_when_connected_else_the_buttons_keep_waiting() {
        let mut journey = question(false);
        let step = journey.enter("ask");
        journey.wait_as(&step);
        assert_eq!(
            journey.reply("ask", &text("maybe")),
            waiting_reply(Some(NOW + 2 * HOUR))
        );
        assert!(!journey.run.vars.contains_key("choice"));

        let mut journey = question(true);
        let step = journey.enter("ask");
        journey.wait_as(&step);
        assert_eq!(journey.reply("ask", &text("maybe")), next("other"));
        assert_eq!(journey.run.vars["choice"], "maybe");
    }

    #[test]
    fn a_tap_on_a_reserved_port_name_is_not_taken_as_a_choice() {
        let mut journey = question(true);
        let step = journey.enter("ask");
        journey.wait_as(&step);
        assert_eq!(journey.reply("ask", &tap("timeout")), next("other"));
    }
}
