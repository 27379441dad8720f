//! API keys: machines' credentials for one workspace, shown once, revocable.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::auth::{self, API_KEY_PREFIX, Caller, Role, sha256_hex};
use crate::db::api_key;
use crate::error::{ApiError, Code};
use crate::routes::change::Change;
use crate::state::AppState;
use crate::time::rfc3339;

/// Routes under `/api/v1/workspaces/{workspace}`.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .service(
            web::resource("/api-keys")
                .route(web::get().to(list_api_keys))
                .route(web::post().to(create_api_key)),
        )
        .service(web::resource("/api-keys/{key}").route(web::delete().to(revoke_api_key)));
}

#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    paths(list_api_keys, create_api_key, revoke_api_key),
    components(schemas(ApiKeyInfo, NewApiKey, CreatedApiKey))
)]
pub struct Api;

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyInfo {
    pub id: String,
    pub name: String,
    /// The key's first characters, to recognise it.
    pub prefix: String,
    pub role: Role,
    pub created_by: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiKey {
    pub name: String,
    /// `editor` when absent.
    #[serde(default)]
    pub role: Option<Role>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKey {
    #[serde(flatten)]
    pub info: ApiKeyInfo,
    /// The key itself: shown this once, never again.
    pub key: String,
}

fn key_info(model: &api_key::Model) -> ApiKeyInfo {
    ApiKeyInfo {
        id: model.id.clone(),
        name: model.name.clone(),
        prefix: model.prefix.clone(),
        role: Role::parse(&model.role).unwrap_or(Role::Viewer),
        created_by: model.created_by.clone(),
        created_at: rfc3339(model.created_at),
        last_used_at: model.last_used_at.map(rfc3339),
        revoked_at: model.revoked_at.map(rfc3339),
    }
}

/// The workspace's API keys (never the keys themselves). Admins only.
#[utoipa::path(
    get, path = "/api/v1/workspaces/{workspace}/api-keys", tag = "account",
    params(("workspace" = String, Path)),
    responses((status = 200, body = Vec<ApiKeyInfo>))
)]
pub async fn list_api_keys(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Admin)?;
    let keys = api_key::Entity::find()
        .filter(api_key::Column::WorkspaceId.eq(&caller.workspace))
        .order_by_asc(api_key::Column::CreatedAt)
        .all(&state.db)
        .await?;
    Ok(HttpResponse::Ok().json(keys.iter().map(key_info).collect::<Vec<_>>()))
}

/// Creates an API key for machines; the key is in the response, once. Admins only, and no
/// more powerful than the caller.
#[utoipa::path(
    post, path = "/api/v1/workspaces/{workspace}/api-keys", tag = "account",
    params(("workspace" = String, Path)),
    request_body = NewApiKey,
    responses((status = 201, body = CreatedApiKey))
)]
pub async fn create_api_key(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<NewApiKey>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Admin)?;
    let body = body.into_inner();
    if body.name.trim().is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            Code::NameRequired,
            "Name the key after what uses it (\"shop webhooks\", \"CRM sync\").",
        ));
    }
    let role = body.role.unwrap_or(Role::Editor);
    let key = format!("{API_KEY_PREFIX}{}", auth::random_token());
    let change = Change::begin(&state, &caller).await?;
    let model = api_key::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        workspace_id: Set(caller.workspace.clone()),
        name: Set(body.name.trim().to_owned()),
        prefix: Set(key.chars().take(API_KEY_PREFIX.len() + 6).collect()),
        key_hash: Set(sha256_hex(&key)),
        role: Set(role.as_str().to_owned()),
        created_by: Set(caller.actor.label()),
        created_at: Set(change.now),
        last_used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(&change.txn)
    .await?;
    change
        .audit(
            "api_key.created",
            &format!("api_key:{}", model.id),
            json!({ "name": model.name, "role": role }),
        )
        .await?;
    change.commit().await?;
    Ok(HttpResponse::Created().json(CreatedApiKey {
        info: key_info(&model),
        key,
    }))
}

#[derive(Debug, Deserialize)]
pub struct KeyPath {
    pub workspace: String,
    pub key: String,
}

/// Revokes an API key: it stops working at once. Admins only.
#[utoipa::path(
    delete, path = "/api/v1/workspaces/{workspace}/api-keys/{key}", tag = "account",
    params(("workspace" = String, Path), ("key" = String, Path, description = "The key's id")),
    responses((status = 204), (status = 404))
)]
pub async fn revoke_api_key(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<KeyPath>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Admin)?;
    let change = Change::begin(&state, &caller).await?;
    let key = api_key::Entity::find_by_id(path.key.clone())
        .one(&change.txn)
        .await?
        .filter(|key| key.workspace_id == caller.workspace)
        .ok_or_else(|| ApiError::not_found(format!("There is no API key {}.", path.key)))?;
    if key.revoked_at.is_none() {
        let mut active = key.into_active_model();
        active.revoked_at = Set(Some(change.now));
        active.update(&change.txn).await?;
        change
            .audit(
                "api_key.revoked",
                &format!("api_key:{}", path.key),
                json!({}),
            )
            .await?;
    }
    change.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
