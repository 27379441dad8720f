//! wait_for_reply: wait for the contact's answer, check it, re-ask, time out.

use serde_json::Value;
use spool_flows::config::{Expect, WaitForReply};
use spool_flows::fields;

use crate::eval::{is_email, parse_number};
use crate::identity::Phone;
use crate::model::{Content, InboundMessage, Millis, OutboundBody, SECOND, WaitKind};
use crate::{Ctx, Failure, Step};

pub(crate) fn enter(ctx: &mut Ctx<'_>, wait: &WaitForReply) -> Step {
    // With nothing connected to `timeout` there is nothing to time out to: no timer.
    let deadline = ctx
        .flow
        .next(ctx.ix, "timeout")
        .map(|_| ctx.now + wait.timeout.as_secs() as Millis * SECOND);
    Step::Wait {
        kind: WaitKind::Reply,
        deadline,
    }
}

/// The answer as a variable holds it, if the message is the kind of answer expected.
fn answer(expect: Expect, message: &InboundMessage) -> Option<Value> {
    let text = message.text().map(str::trim);
    match (expect, &message.content) {
        (Expect::Any, _) => {
            Some(text.map_or_else(|| message.to_value(), |text| Value::String(text.to_owned())))
        }
        (Expect::Text, Content::Text { body }) => Some(Value::String(body.trim().to_owned())),
        (Expect::Number, Content::Text { body }) => parse_number(body).map(Value::from),
        (Expect::Email, Content::Text { body }) => {
            is_email(body).then(|| Value::String(body.trim().to_lowercase()))
        }
        (Expect::Phone, Content::Text { body }) => Phone::parse(body)
            .ok()
            .map(|phone| Value::String(phone.digits().to_owned())),
        (Expect::Button, Content::ButtonReply { id, .. } | Content::ListReply { id, .. }) => {
            Some(Value::String(id.clone()))
        }
        (Expect::Button, Content::TemplateButton { payload, .. }) => {
            Some(Value::String(payload.clone()))
        }
        (Expect::Media, Content::Media { .. }) | (Expect::Location, Content::Location { .. }) => {
            let value = message.to_value();
            let key = if expect == Expect::Media {
                "media"
            } else {
                "location"
            };
            value.get(key).cloned()
        }
        _ => None,
    }
}

pub(crate) fn reply(
    ctx: &mut Ctx<'_>,
    wait: &WaitForReply,
    message: &InboundMessage,
) -> Result<Step, Failure> {
    let valid = match answer(wait.expect, message) {
        Some(value) if wait.validation.is_none() || ctx.eval_bool(&fields::VALIDATION)? => {
            Some(value)
        }
        _ => None,
    };
    if let Some(value) = valid {
        ctx.set_var(&wait.variable, value);
        return Ok(Step::Next("reply".into()));
    }
    let Some(current) = ctx.run.wait.as_mut() else {
        return Ok(Step::Next("invalid".into()));
    };
    current.attempts = current.attempts.saturating_add(1);
    if current.attempts > wait.retries {
        return Ok(Step::Next("invalid".into()));
    }
    let deadline = current.deadline;
    if let Some(text) = ctx.render(&fields::RETRY_MESSAGE)? {
        ctx.queue(OutboundBody::Text {
            text,
            preview_url: false,
        });
    }
    Ok(Step::Wait {
        kind: WaitKind::Reply,
        deadline,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::Resume;
    use crate::model::HOUR;
    use crate::testing::{Journey, NOW, next, tap, text, waiting_reply};

    /// Asks for `expect`, re-asks once with a hint, gives up through `invalid`.
    fn ask(expect: &str, config: serde_json::Value) -> Journey {
        let mut wait = json!({ "variable": "answer", "expect": expect, "retries": 1,
            "retry_message": "Sorry, {{ contact.name }}, once more?", "timeout": "6h" });
        if let (Some(wait), serde_json::Value::Object(extra)) = (wait.as_object_mut(), config) {
            wait.extend(extra);
        }
        Journey::new(
            json!([{ "id": "ask", "type": "wait_for_reply", "config": wait }, { "id": "done", "type": "end" }]),
            &[
                ("ask", "reply", "done"),
                ("ask", "invalid", "done"),
                ("ask", "timeout", "done"),
            ],
        )
    }

    fn waiting(expect: &str, config: serde_json::Value) -> Journey {
        let mut journey = ask(expect, config);
        let step = journey.enter("ask");
        journey.wait_as(&step);
        journey
    }

    #[test]
    fn entering_waits_for_a_reply_until_the_timeout() {
        assert_eq!(
            ask("any", json!({})).enter("ask"),
            waiting_reply(Some(NOW + 6 * HOUR))
        );
    }

    #[test]
    fn without_a_timeout_edge_the_wait_has_no_timer() {
        let mut journey = Journey::new(
            json!([{ "id": "ask", "type": "wait_for_reply", "config": { "variable": "answer" } }, { "id": "done", "type": "end" }]),
            &[("ask", "reply", "done")],
        );
        assert_eq!(journey.enter("ask"), waiting_reply(None));
    }

    #[test]
    fn each_expected_kind_keeps_the_answer_in_its_own_form() {
        let cases = [
            ("number", text(" 1,5 "), json!(1.5)),
            ("email", text("Ana@Example.COM "), json!("ana@example.com")),
            ("phone", text("+55 (11) 98765-0001"), json!("5511987650001")),
            ("button", tap("yes"), json!("yes")),
            ("text", text("  hello  "), json!("hello")),
        ];
        for (expect, message, kept) in cases {
            let mut journey = waiting(expect, json!({}));
            assert_eq!(journey.reply("ask", &message), next("reply"), "{expect}");
            assert_eq!(journey.run.vars["answer"], kept, "{expect}");
            assert!(journey.outbox.is_empty(), "{expect}");
        }
    }

    #[test]
    fn a_wrong_answer_is_asked_again_then_leaves_through_invalid() {
        let mut journey = waiting("number", json!({}));
        assert_eq!(
            journey.reply("ask", &text("lots")),
            waiting_reply(Some(NOW + 6 * HOUR))
        );
        assert_eq!(journey.outbox.len(), 1);
        assert_eq!(
            journey.outbox[0].body,
            OutboundBody::Text {
                text: "Sorry, Ana, once more?".into(),
                preview_url: false
            }
        );
        assert_eq!(journey.run.wait.as_ref().map(|wait| wait.attempts), Some(1));

        assert_eq!(journey.reply("ask", &tap("yes")), next("invalid"));
        assert_eq!(journey.outbox.len(), 1, "no re-ask after the last try");
        assert!(!journey.run.vars.contains_key("answer"));
    }

    #[test]
    fn the_validation_expression_can_refuse_an_answer_of_the_right_kind() {
        let mut journey = waiting(
            "number",
            json!({ "validation": "to_number(msg.text) >= 18" }),
        );
        assert_eq!(
            journey.reply("ask", &text("12")),
            waiting_reply(Some(NOW + 6 * HOUR))
        );
        assert_eq!(journey.reply("ask", &text("30")), next("reply"));
        assert_eq!(journey.run.vars["answer"], 30.0);
    }

    #[test]
    fn the_timer_leaves_through_timeout() {
        let mut journey = waiting("any", json!({}));
        assert_eq!(journey.resume("ask", Resume::Timer), next("timeout"));
        assert!(journey.outbox.is_empty());
    }
}
