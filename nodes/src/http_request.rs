//! http_request: call another system, keep parts of its answer.
//!
//! Entering the node renders the request and asks for it to be made ([`Step::Call`]); the
//! answer resumes the node, which keeps what `save` asks for and leaves through `ok`, or
//! fails (`error`) on a network failure or a status outside 2xx.

use spool_flows::config::HttpRequest;
use spool_flows::fields;

use crate::eval::to_dynamic;

use crate::services::{CallAnswer, CallRequest, HttpCall};
use crate::{Ctx, Failure, Step};

pub(crate) fn call(ctx: &mut Ctx<'_>, http: &HttpRequest) -> Result<Step, Failure> {
    let mut headers = Vec::with_capacity(http.headers.len());
    for name in http.headers.keys() {
        headers.push((
            name.clone(),
            ctx.render_required(&fields::http_header(name))?,
        ));
    }
    let call = HttpCall {
        method: http.method,
        url: ctx.render_required(&fields::URL)?,
        headers,
        body: ctx.render(&fields::BODY)?,
        timeout: http.timeout.get(),
        retries: http.retries,
    };
    Ok(Step::Call(CallRequest::Http { call }))
}

pub(crate) fn answered(
    ctx: &mut Ctx<'_>,
    http: &HttpRequest,
    answer: &CallAnswer,
) -> Result<Step, Failure> {
    let response = match answer {
        CallAnswer::Http { response } => response,
        CallAnswer::Failed { error } => return Err(Failure::new("http_failed", error.clone())),
        CallAnswer::Chat { .. } => {
            return Err(Failure::new(
                "internal",
                "an HTTP request was answered by a chat model",
            ));
        }
    };
    if !(200..300).contains(&response.status) {
        return Err(Failure::new(
            "http_status",
            format!("the server answered {}", response.status),
        ));
    }
    let response_value = serde_json::json!({
        "status": response.status,
        "headers": response.headers,
        "body": response.body,
    });
    let scope = [("response", to_dynamic(&response_value))];
    for name in http.save.keys() {
        let ast = ctx.expression(&fields::save(name))?;
        let value = ctx.inputs.eval_with(ast, &scope).map_err(Failure::from)?;
        ctx.set_var(name, crate::eval::to_json(&value));
    }
    Ok(Step::Next("ok".into()))
}
