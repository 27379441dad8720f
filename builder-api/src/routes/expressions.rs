//! `POST /api/v1/expressions/check`: compiles one field's expression or `{{ }}` template on
//! its own, so the editor shows what is wrong while it is typed, in the words and at the
//! places validation uses. Nothing is evaluated and nothing is stored.

use actix_web::HttpResponse;
use actix_web::web;
use serde::{Deserialize, Serialize};
use spool_flows::Diagnostic;
use spool_flows::expr::{TextKind, check_text};
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::routes::parse_json;

/// Names a field may read besides `contact`, `vars`, `msg`, `payload` and `now`: the ones
/// some fields add (an HTTP call's `save` reads `response`).
const EXTRA_NAMES: &[&str] = &["response"];

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckText {
    /// `expression` (rhai, e.g. `vars.total > 50`) or `template` (text with `{{ }}`).
    #[schema(value_type = String)]
    pub kind: TextKind,
    pub source: String,
    /// Extra names this field reads; only `response` (in an HTTP call's `save`) exists.
    #[serde(default)]
    pub names: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TextCheck {
    /// True when it compiles.
    pub ok: bool,
    /// What is wrong: `code`, `message`, and `location` (line and column in the text).
    #[schema(value_type = Vec<Object>)]
    pub diagnostics: Vec<Diagnostic>,
}

/// Compiles one expression or template and says what is wrong with it.
#[utoipa::path(
    post, path = "/api/v1/expressions/check", tag = "catalog",
    request_body = CheckText,
    responses((status = 200, body = TextCheck), (status = 400, description = "`invalid_body`"))
)]
pub async fn check(body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let request: CheckText = parse_json(&body)?;
    let names: Vec<&str> = EXTRA_NAMES
        .iter()
        .copied()
        .filter(|name| request.names.iter().any(|asked| asked == name))
        .collect();
    let diagnostics = check_text(request.kind, &request.source, &names);
    Ok(HttpResponse::Ok().json(TextCheck {
        ok: diagnostics.is_empty(),
        diagnostics,
    }))
}
