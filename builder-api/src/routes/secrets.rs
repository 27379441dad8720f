//! Workspace secrets (a webhook's signing key, say): set and deleted by admins, listed by
//! name, their values never returned.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::auth::{Caller, Role};
use crate::db::secret;
use crate::error::{ApiError, Code};
use crate::routes::change::Change;
use crate::state::AppState;
use crate::time::rfc3339;

/// Routes under `/api/v1/workspaces/{workspace}`.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .service(web::resource("/secrets").route(web::get().to(list_secrets)))
        .service(
            web::resource("/secrets/{name}")
                .route(web::put().to(put_secret))
                .route(web::delete().to(delete_secret)),
        );
}

#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    paths(list_secrets, put_secret, delete_secret),
    components(schemas(SecretInfo, SecretValue))
)]
pub struct Api;

#[derive(Debug, Serialize, ToSchema)]
pub struct SecretInfo {
    pub name: String,
    pub updated_at: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecretValue {
    pub value: String,
}

#[derive(Debug, Deserialize)]
pub struct SecretPath {
    pub workspace: String,
    pub name: String,
}

/// Letters, digits, `_` or `-`, up to 64: what a secret may be called.
pub(crate) fn is_secret_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-')
}

/// The workspace's secrets, by name (values are never returned).
#[utoipa::path(
    get, path = "/api/v1/workspaces/{workspace}/secrets", tag = "account",
    params(("workspace" = String, Path)),
    responses((status = 200, body = Vec<SecretInfo>))
)]
pub async fn list_secrets(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Editor)?;
    let secrets = secret::Entity::find()
        .filter(secret::Column::WorkspaceId.eq(&caller.workspace))
        .order_by_asc(secret::Column::Name)
        .all(&state.db)
        .await?;
    Ok(HttpResponse::Ok().json(
        secrets
            .iter()
            .map(|found| SecretInfo {
                name: found.name.clone(),
                updated_at: rfc3339(found.updated_at),
            })
            .collect::<Vec<_>>(),
    ))
}

/// Sets a secret (a webhook's signing key, say). Admins only.
#[utoipa::path(
    put, path = "/api/v1/workspaces/{workspace}/secrets/{name}", tag = "account",
    params(("workspace" = String, Path), ("name" = String, Path)),
    request_body = SecretValue,
    responses((status = 204), (status = 422))
)]
pub async fn put_secret(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<SecretPath>,
    body: web::Json<SecretValue>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Admin)?;
    if !is_secret_name(&path.name) || body.value.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            Code::InvalidSecret,
            "A secret has a name of letters, digits, `_` or `-` (up to 64) and a non-empty value.",
        ));
    }
    let change = Change::begin(&state, &caller).await?;
    let existing = secret::Entity::find_by_id((caller.workspace.clone(), path.name.clone()))
        .one(&change.txn)
        .await?;
    match existing {
        Some(found) => {
            let mut active = found.into_active_model();
            active.value = Set(body.value.clone());
            active.updated_at = Set(change.now);
            active.update(&change.txn).await?;
        }
        None => {
            secret::ActiveModel {
                workspace_id: Set(caller.workspace.clone()),
                name: Set(path.name.clone()),
                value: Set(body.value.clone()),
                updated_at: Set(change.now),
            }
            .insert(&change.txn)
            .await?;
        }
    }
    change
        .audit("secret.set", &format!("secret:{}", path.name), json!({}))
        .await?;
    change.commit().await?;
    // The secret may be the AI model's key.
    state.models.forget(&caller.workspace);
    Ok(HttpResponse::NoContent().finish())
}

/// Deletes a secret. Admins only.
#[utoipa::path(
    delete, path = "/api/v1/workspaces/{workspace}/secrets/{name}", tag = "account",
    params(("workspace" = String, Path), ("name" = String, Path)),
    responses((status = 204), (status = 404))
)]
pub async fn delete_secret(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<SecretPath>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Admin)?;
    let change = Change::begin(&state, &caller).await?;
    let removed = secret::Entity::delete_by_id((caller.workspace.clone(), path.name.clone()))
        .exec(&change.txn)
        .await?;
    if removed.rows_affected == 0 {
        return Err(ApiError::not_found(format!(
            "There is no secret {}.",
            path.name
        )));
    }
    change
        .audit(
            "secret.deleted",
            &format!("secret:{}", path.name),
            json!({}),
        )
        .await?;
    change.commit().await?;
    state.models.forget(&caller.workspace);
    Ok(HttpResponse::NoContent().finish())
}
