//! http_request: call another system, keep parts of its answer.

use spool_flows::config::HttpRequest;

use crate::eval::to_dynamic;
use crate::services::HttpCall;
use crate::{Ctx, Failure, Step};

pub(crate) async fn call(ctx: &mut Ctx<'_>, http: &HttpRequest) -> Step {
    match attempt(ctx, http).await {
        Ok(step) => step,
        Err(failure) => Step::Fail(failure),
    }
}

async fn attempt(ctx: &mut Ctx<'_>, http: &HttpRequest) -> Result<Step, Failure> {
    let mut headers = Vec::with_capacity(http.headers.len());
    for name in http.headers.keys() {
        headers.push((
            name.clone(),
            ctx.render_required(&format!("config.headers.{name}"))?,
        ));
    }
    let call = HttpCall {
        method: serde_json::to_value(http.method)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        url: ctx.render_required("config.url")?,
        headers,
        body: ctx.render("config.body")?,
        timeout: http.timeout.get(),
        retries: http.retries,
    };
    let response = ctx
        .services
        .http(call)
        .await
        .map_err(|err| Failure::new("http_failed", err))?;
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
        let field = format!("config.save.{name}");
        let ast = ctx.expression(&field)?;
        let value = ctx.inputs.eval_with(ast, &scope).map_err(Failure::from)?;
        ctx.set_var(name, crate::eval::to_json(&value));
    }
    Ok(Step::Next("ok".into()))
}
