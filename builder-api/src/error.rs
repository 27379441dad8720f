//! Every API error is JSON `{"error": {"code", "message", "details"}}` with the right status;
//! a 5xx logs its cause and never sends it to the client.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub status: StatusCode,
    /// Stable, for clients to key on: `not_found`, `store_unavailable`…
    pub code: &'static str,
    pub message: String,
    pub details: Value,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: Value::Null,
        }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", what)
    }

    /// A failure of ours: logged with its cause, reported without it.
    pub fn internal(code: &'static str, cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(code, %cause, "request failed");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            code,
            "The server cannot do this right now; try again shortly.",
        )
    }
}

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Value::is_null")]
    details: &'a Value,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status).json(Body {
            error: Inner {
                code: self.code,
                message: &self.message,
                details: &self.details,
            },
        })
    }
}
