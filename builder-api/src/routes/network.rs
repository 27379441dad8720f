//! A workspace's network settings: whether its `http_request` nodes and event subscriptions
//! may reach private, loopback and link-local addresses (refused by default: the SSRF guard).
//! Read by editors, set by admins, audited.

use actix_web::{HttpResponse, web};
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::auth::{Caller, Role};
use crate::db::workspace_setting;
use crate::error::ApiError;
use crate::routes::change::Change;
use crate::state::AppState;

/// Routes under `/api/v1/workspaces/{workspace}`.
pub fn configure(config: &mut web::ServiceConfig) {
    config.service(
        web::resource("/settings/network")
            .route(web::get().to(get_network_settings))
            .route(web::put().to(put_network_settings)),
    );
}

#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    paths(get_network_settings, put_network_settings),
    components(schemas(NetworkSettings, NetworkSettingsInfo))
)]
pub struct Api;

/// The settings to set.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NetworkSettings {
    /// Let `http_request` nodes and event subscriptions call private (10/8, 172.16/12,
    /// 192.168/16, fc00::/7), loopback, link-local (169.254/16, the cloud metadata service
    /// among them; fe80::/10) and carrier-grade NAT addresses. Off by default.
    pub allow_private_targets: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NetworkSettingsInfo {
    /// The workspace's own setting.
    pub allow_private_targets: bool,
    /// Whether the server allows private targets to every workspace anyway (its
    /// `allow_private_targets` setting); then the workspace's does not matter.
    pub allowed_by_server: bool,
}

fn info(state: &AppState, allow_private_targets: bool) -> NetworkSettingsInfo {
    NetworkSettingsInfo {
        allow_private_targets,
        allowed_by_server: state.network.everyone_may(),
    }
}

/// The workspace's network settings.
#[utoipa::path(
    get, path = "/api/v1/workspaces/{workspace}/settings/network", tag = "account",
    params(("workspace" = String, Path)),
    responses((status = 200, body = NetworkSettingsInfo))
)]
pub async fn get_network_settings(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Editor)?;
    let allowed = crate::network::stored(&state.db, &caller.workspace).await?;
    Ok(HttpResponse::Ok().json(info(&state, allowed)))
}

/// Sets the workspace's network settings. Admins only.
#[utoipa::path(
    put, path = "/api/v1/workspaces/{workspace}/settings/network", tag = "account",
    params(("workspace" = String, Path)),
    request_body = NetworkSettings,
    responses((status = 200, body = NetworkSettingsInfo))
)]
pub async fn put_network_settings(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<NetworkSettings>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Admin)?;
    let allow = body.allow_private_targets;
    let change = Change::begin(&state, &caller).await?;
    let existing = workspace_setting::Entity::find_by_id(caller.workspace.clone())
        .one(&change.txn)
        .await?;
    match existing {
        Some(found) => {
            let mut active = found.into_active_model();
            active.allow_private_targets = Set(allow);
            active.updated_at = Set(change.now);
            active.update(&change.txn).await?;
        }
        None => {
            workspace_setting::ActiveModel {
                workspace_id: Set(caller.workspace.clone()),
                allow_private_targets: Set(allow),
                updated_at: Set(change.now),
            }
            .insert(&change.txn)
            .await?;
        }
    }
    change
        .audit(
            "network_settings.set",
            "settings/network",
            json!({ "allow_private_targets": allow }),
        )
        .await?;
    change.commit().await?;
    state.network.forget(&caller.workspace);
    Ok(HttpResponse::Ok().json(info(&state, allow)))
}
