//! What a new simulation is made of: the flow's version to simulate (the draft, the live
//! one or a numbered one), compiled; the time its clock starts at; and the simulator's
//! errors as the API answers them.

use std::sync::Arc;

use actix_web::http::StatusCode;
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use spool_flows::CompiledFlow;

use crate::auth::Caller;
use crate::db::flow_version;
use crate::error::{ApiError, Code};
use crate::published::compile_in;
use crate::routes::flows::find_flow;
use crate::simulator;
use crate::state::AppState;

impl From<simulator::Error> for ApiError {
    fn from(err: simulator::Error) -> Self {
        let message = err.to_string();
        match err {
            simulator::Error::InvalidContact(_) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                Code::InvalidContact,
                message,
            ),
            simulator::Error::InvalidMessage(_) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                Code::InvalidMessage,
                message,
            ),
            simulator::Error::UnknownChoice { offered, .. } => {
                let mut error = ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Code::UnknownChoice,
                    message,
                );
                error.details = json!({ "offered": offered });
                error
            }
            simulator::Error::InvalidDuration(_) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                Code::InvalidDuration,
                message,
            ),
            simulator::Error::UnknownStep(_) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, Code::UnknownStep, message)
            }
            simulator::Error::InvalidStub(_) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, Code::InvalidStub, message)
            }
            simulator::Error::NoTimer => {
                ApiError::new(StatusCode::CONFLICT, Code::NoTimerPending, message)
            }
            simulator::Error::NoHandoff => {
                ApiError::new(StatusCode::CONFLICT, Code::NoHandoff, message)
            }
        }
    }
}

fn invalid_source() -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        Code::InvalidSource,
        "`source` is \"draft\", \"published\" or {\"version\": n} with n a version number.",
    )
}

fn flow_invalid(diagnostics: Vec<spool_flows::Diagnostic>) -> ApiError {
    let mut error = ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        Code::FlowInvalid,
        format!(
            "The flow has {} error(s); fix them before simulating it.",
            diagnostics.iter().filter(|d| d.is_error()).count()
        ),
    );
    error.details = json!({ "diagnostics": diagnostics });
    error
}

/// The compiled flow to simulate, and how the simulation names its source.
pub(super) async fn load_flow(
    state: &AppState,
    caller: &Caller,
    flow_id: &str,
    source: Option<&Value>,
) -> Result<(Arc<CompiledFlow>, Value), ApiError> {
    let model = find_flow(state, caller, flow_id).await?;
    let number = match source {
        None => None,
        Some(Value::String(name)) if name == "draft" => None,
        Some(Value::String(name)) if name == "published" => {
            Some(model.published_version.ok_or_else(|| {
                ApiError::new(
                    StatusCode::CONFLICT,
                    Code::NotPublished,
                    format!(
                        "Flow {flow_id} is not published; simulate its draft, or publish it first."
                    ),
                )
            })?)
        }
        Some(Value::Object(fields)) if fields.len() == 1 => {
            let number = fields
                .get("version")
                .and_then(Value::as_i64)
                .and_then(|n| i32::try_from(n).ok())
                .filter(|n| *n > 0)
                .ok_or_else(invalid_source)?;
            Some(number)
        }
        Some(_) => return Err(invalid_source()),
    };
    let Some(number) = number else {
        let compiled = compile_in(&caller.workspace, &model.document).map_err(flow_invalid)?;
        return Ok((Arc::new(compiled), json!("draft")));
    };
    let version =
        flow_version::Entity::find_by_id((caller.workspace.clone(), flow_id.to_owned(), number))
            .one(&state.db)
            .await?
            .ok_or_else(|| {
                ApiError::not_found(format!("Flow {flow_id} has no version {number}."))
            })?;
    // The runtime has most published versions compiled already.
    let compiled = match state.published.registry().version(&version.hash) {
        Some(compiled) => compiled,
        None => Arc::new(compile_in(&caller.workspace, &version.document).map_err(flow_invalid)?),
    };
    Ok((compiled, json!(number)))
}

pub(super) fn parse_start(text: &str) -> Result<i64, ApiError> {
    chrono::DateTime::parse_from_rfc3339(text.trim())
        .map(|at| at.timestamp_millis())
        .map_err(|err| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                Code::InvalidStartAt,
                format!(
                    "`start_at` must be a time like 2026-03-02T10:00:00Z; {text:?} is not ({err})."
                ),
            )
        })
}
