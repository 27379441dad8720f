//! `GET …/channels/{id}/check`: asks Meta whether the channel works (the token, the number,
//! the app's webhook subscription) and says what is wrong in words a person can act on. A
//! channel paused for a rejected token sends again once the check finds the token accepted,
//! and what Meta says of the number (quality, throughput, messaging limit) becomes the
//! channel's settings.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::ChannelPath;
use crate::auth::{Caller, Role};
use crate::channels::ChannelConfig;
use crate::error::{ApiError, Code};
use crate::state::AppState;

pub fn configure(config: &mut web::ServiceConfig) {
    config.service(web::resource("/channels/{channel}/check").route(web::get().to(check_channel)));
}

#[derive(Debug, utoipa::OpenApi)]
#[openapi(paths(check_channel), components(schemas(ChannelCheck)))]
pub struct Api;

/// What Meta says about a channel.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelCheck {
    /// True when nothing is wrong.
    pub ok: bool,
    /// What is wrong, each as a sentence saying what to do.
    pub problems: Vec<String>,
    /// What Meta told about the number: its display number and name, quality, throughput,
    /// messaging limit.
    pub facts: Vec<String>,
    /// Whether sending was paused and this check let it go on.
    pub resumed: bool,
    /// The channel's settings Meta's answer changed (quality rating, throughput, messaging
    /// limit), as `field: old → new`.
    pub refreshed: Vec<String>,
}

/// The caller's workspace's channel `id`, its secrets opened.
pub(crate) async fn configured(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<std::sync::Arc<ChannelConfig>, ApiError> {
    state
        .channels
        .by_id(id)
        .await
        .map_err(|err| ApiError::unavailable(Code::StoreUnavailable, err.to_string()))?
        .filter(|channel| channel.workspace_id == caller.workspace)
        .ok_or_else(|| ApiError::not_found(format!("no channel {id}")))
}

/// Checks the channel against Meta. Editors and admins.
#[utoipa::path(
    get, path = "/api/v1/workspaces/{workspace}/channels/{channel}/check", tag = "channels",
    params(("workspace" = String, Path), ("channel" = String, Path)),
    responses(
        (status = 200, body = ChannelCheck),
        (status = 404, description = "No such channel in the workspace")
    )
)]
pub async fn check_channel(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<ChannelPath>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Editor)?;
    let channel = configured(&state, &caller, &path.channel).await?;
    let auth = channel.auth();
    let report = state.whatsapp.check(&auth, &channel.waba_id).await;
    let refreshed = match &report.phone_number {
        Some(number) => state
            .channels
            .refresh_standing(&channel.id, number)
            .await
            .map_err(|err| ApiError::unavailable(Code::StoreUnavailable, err.to_string()))?,
        None => Vec::new(),
    };
    let resumed = report.is_ok()
        && channel.is_paused()
        && state
            .channels
            .resume(&channel.id)
            .await
            .map_err(|err| ApiError::unavailable(Code::StoreUnavailable, err.to_string()))?;
    Ok(HttpResponse::Ok().json(ChannelCheck {
        ok: report.is_ok(),
        problems: report.problems,
        facts: report.facts,
        resumed,
        refreshed,
    }))
}
