//! The workspace's AI model: the OpenAI-compatible endpoint its `ai_agent` nodes talk to.
//! Set and removed by admins; its API key is a workspace secret, named here, never stored
//! or returned by these routes.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::auth::{Caller, Role};
use crate::db::{ai_model, secret};
use crate::error::{ApiError, Code};
use crate::routes::change::Change;
use crate::routes::secrets::is_secret_name;
use crate::state::AppState;
use crate::time::rfc3339;

/// Routes under `/api/v1/workspaces/{workspace}`.
pub fn configure(config: &mut web::ServiceConfig) {
    config.service(
        web::resource("/ai-model")
            .route(web::get().to(get_ai_model))
            .route(web::put().to(put_ai_model))
            .route(web::delete().to(delete_ai_model)),
    );
}

#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    paths(get_ai_model, put_ai_model, delete_ai_model),
    components(schemas(AiModel, AiModelInfo))
)]
pub struct Api;

/// The endpoint to set.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AiModel {
    /// The OpenAI-compatible API's base, e.g. `https://api.openai.com/v1`; requests go to
    /// `<base_url>/chat/completions`.
    pub base_url: String,
    /// The model asked when an `ai_agent` node names none.
    pub default_model: String,
    /// The name of the workspace secret holding the API key (sent as `Authorization: Bearer
    /// <key>`); absent for an endpoint without a key.
    #[serde(default)]
    pub api_key_secret: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AiModelInfo {
    pub base_url: String,
    pub default_model: String,
    pub api_key_secret: Option<String>,
    /// Whether the secret it names is set (agents fail until it is).
    pub api_key_set: bool,
    pub updated_at: String,
}

async fn info(state: &AppState, found: ai_model::Model) -> Result<AiModelInfo, ApiError> {
    let api_key_set = match &found.api_key_secret {
        None => false,
        Some(name) => secret::Entity::find_by_id((found.workspace_id.clone(), name.clone()))
            .one(&state.db)
            .await?
            .is_some(),
    };
    Ok(AiModelInfo {
        base_url: found.base_url,
        default_model: found.default_model,
        api_key_secret: found.api_key_secret,
        api_key_set,
        updated_at: rfc3339(found.updated_at),
    })
}

fn no_model(workspace: &str) -> ApiError {
    ApiError::not_found(format!(
        "The workspace {workspace} has no AI model; an administrator sets one with PUT /api/v1/workspaces/{workspace}/ai-model."
    ))
}

/// The workspace's AI model endpoint.
#[utoipa::path(
    get, path = "/api/v1/workspaces/{workspace}/ai-model", tag = "account",
    params(("workspace" = String, Path)),
    responses((status = 200, body = AiModelInfo), (status = 404, description = "No model set"))
)]
pub async fn get_ai_model(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Editor)?;
    let found = ai_model::Entity::find_by_id(caller.workspace.clone())
        .one(&state.db)
        .await?
        .ok_or_else(|| no_model(&caller.workspace))?;
    Ok(HttpResponse::Ok().json(info(&state, found).await?))
}

fn invalid(message: String) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        Code::InvalidAiModel,
        message,
    )
}

fn check(body: &AiModel) -> Result<(), ApiError> {
    let url = body.base_url.trim();
    let has_scheme = url.starts_with("https://") || url.starts_with("http://");
    if !has_scheme || url.contains(char::is_whitespace) || url.len() > 2048 {
        return Err(invalid(format!(
            "`base_url` is an http(s) URL such as https://api.openai.com/v1; {:?} is not.",
            body.base_url
        )));
    }
    if body.default_model.trim().is_empty() || body.default_model.len() > 200 {
        return Err(invalid(
            "`default_model` is the name of a model the endpoint serves (up to 200 characters)."
                .to_owned(),
        ));
    }
    if let Some(name) = &body.api_key_secret
        && !is_secret_name(name)
    {
        return Err(invalid(format!(
            "`api_key_secret` names a workspace secret (letters, digits, `_` or `-`, up to 64); {name:?} cannot be one."
        )));
    }
    Ok(())
}

/// Sets the workspace's AI model endpoint. Admins only.
#[utoipa::path(
    put, path = "/api/v1/workspaces/{workspace}/ai-model", tag = "account",
    params(("workspace" = String, Path)),
    request_body = AiModel,
    responses((status = 200, body = AiModelInfo), (status = 422))
)]
pub async fn put_ai_model(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<AiModel>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Admin)?;
    let body = body.into_inner();
    check(&body)?;
    let base_url = body.base_url.trim().to_owned();
    let change = Change::begin(&state, &caller).await?;
    let existing = ai_model::Entity::find_by_id(caller.workspace.clone())
        .one(&change.txn)
        .await?;
    let saved = match existing {
        Some(found) => {
            let mut active = found.into_active_model();
            active.base_url = Set(base_url.clone());
            active.default_model = Set(body.default_model.clone());
            active.api_key_secret = Set(body.api_key_secret.clone());
            active.updated_at = Set(change.now);
            active.update(&change.txn).await?
        }
        None => {
            ai_model::ActiveModel {
                workspace_id: Set(caller.workspace.clone()),
                base_url: Set(base_url.clone()),
                default_model: Set(body.default_model.clone()),
                api_key_secret: Set(body.api_key_secret.clone()),
                updated_at: Set(change.now),
            }
            .insert(&change.txn)
            .await?
        }
    };
    change
        .audit(
            "ai_model.set",
            "ai_model",
            json!({
                "base_url": base_url,
                "default_model": body.default_model,
                "api_key_secret": body.api_key_secret,
            }),
        )
        .await?;
    change.commit().await?;
    state.models.forget(&caller.workspace);
    Ok(HttpResponse::Ok().json(info(&state, saved).await?))
}

/// Removes the workspace's AI model endpoint: its agents fail until one is set again.
/// Admins only.
#[utoipa::path(
    delete, path = "/api/v1/workspaces/{workspace}/ai-model", tag = "account",
    params(("workspace" = String, Path)),
    responses((status = 204), (status = 404))
)]
pub async fn delete_ai_model(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Admin)?;
    let change = Change::begin(&state, &caller).await?;
    let removed = ai_model::Entity::delete_by_id(caller.workspace.clone())
        .exec(&change.txn)
        .await?;
    if removed.rows_affected == 0 {
        return Err(no_model(&caller.workspace));
    }
    change
        .audit("ai_model.deleted", "ai_model", json!({}))
        .await?;
    change.commit().await?;
    state.models.forget(&caller.workspace);
    Ok(HttpResponse::NoContent().finish())
}
