//! The audit log: who did what in a workspace, newest first, for admins.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{Caller, Role};
use crate::db::audit as audit_log;
use crate::error::{ApiError, Code};
use crate::state::AppState;
use crate::time::rfc3339;

/// The most entries one page holds.
const MAX_LIMIT: u16 = 1000;

/// Routes under `/api/v1/workspaces/{workspace}`.
pub fn configure(config: &mut web::ServiceConfig) {
    config.service(web::resource("/audit-log").route(web::get().to(read_audit_log)));
}

#[derive(Debug, utoipa::OpenApi)]
#[openapi(paths(read_audit_log), components(schemas(AuditEntry)))]
pub struct Api;

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Entries older than this id (for the next page).
    #[serde(default)]
    pub before: Option<i64>,
    /// At most this many (default 100).
    #[serde(default)]
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u16>,
}

/// Who did what, newest first. Admins only.
#[utoipa::path(
    get, path = "/api/v1/workspaces/{workspace}/audit-log", tag = "account",
    params(("workspace" = String, Path), AuditQuery),
    responses((status = 200, body = Vec<AuditEntry>))
)]
pub async fn read_audit_log(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Admin)?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            Code::InvalidQuery,
            format!("`limit` is 1 to {MAX_LIMIT}; {limit} is not."),
        ));
    }
    let mut select = audit_log::Entity::find()
        .filter(audit_log::Column::WorkspaceId.eq(&caller.workspace))
        .order_by_desc(audit_log::Column::Id)
        .limit(u64::from(limit));
    if let Some(before) = query.before {
        select = select.filter(audit_log::Column::Id.lt(before));
    }
    let entries = select.all(&state.db).await?;
    Ok(HttpResponse::Ok().json(
        entries
            .into_iter()
            .map(|entry| AuditEntry {
                id: entry.id,
                at: rfc3339(entry.at),
                actor: entry.actor,
                action: entry.action,
                target: entry.target,
                details: serde_json::from_str(&entry.details).unwrap_or_default(),
            })
            .collect::<Vec<_>>(),
    ))
}
