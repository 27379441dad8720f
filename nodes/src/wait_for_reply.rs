//! wait_for_reply: wait for the contact's answer, check it, re-ask, time out.

use serde_json::Value;
use spool_flows::config::{Expect, WaitForReply};

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
        Some(value) if wait.validation.is_none() || ctx.eval_bool("config.validation")? => {
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
    if let Some(text) = ctx.render("config.retry_message")? {
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
