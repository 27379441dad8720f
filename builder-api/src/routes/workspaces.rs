//! The workspaces a person is a member of, and creating one.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::auth::{Role, SignedIn};
use crate::db::{membership, workspace};
use crate::error::{ApiError, Code};
use crate::routes::change::Change;
use crate::state::AppState;

/// Routes under `/api/v1`.
pub fn configure(config: &mut web::ServiceConfig) {
    config.service(
        web::resource("/workspaces")
            .route(web::get().to(list_workspaces))
            .route(web::post().to(create_workspace)),
    );
}

#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    paths(list_workspaces, create_workspace),
    components(schemas(WorkspaceInfo, NewWorkspace, Role))
)]
pub struct Api;

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkspaceInfo {
    pub id: String,
    pub name: String,
    /// Your role in it.
    pub role: Role,
}

pub(crate) async fn workspaces_of(
    state: &AppState,
    user_id: &str,
) -> Result<Vec<WorkspaceInfo>, ApiError> {
    let memberships = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .order_by_asc(membership::Column::WorkspaceId)
        .all(&state.db)
        .await?;
    let mut workspaces = Vec::with_capacity(memberships.len());
    for member in memberships {
        if let Some(found) = workspace::Entity::find_by_id(member.workspace_id.clone())
            .one(&state.db)
            .await?
        {
            workspaces.push(WorkspaceInfo {
                id: found.id,
                name: found.name,
                role: Role::parse(&member.role).unwrap_or(Role::Viewer),
            });
        }
    }
    Ok(workspaces)
}

/// The workspaces you are a member of.
#[utoipa::path(
    get, path = "/api/v1/workspaces", tag = "account",
    responses((status = 200, body = Vec<WorkspaceInfo>))
)]
pub async fn list_workspaces(
    state: web::Data<AppState>,
    signed_in: SignedIn,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(workspaces_of(&state, &signed_in.user.id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWorkspace {
    /// Lowercase letters, digits and `-`, 2 to 40 characters; part of URLs; never changes.
    pub id: String,
    pub name: String,
}

/// Creates a workspace; you become its admin.
#[utoipa::path(
    post, path = "/api/v1/workspaces", tag = "account",
    request_body = NewWorkspace,
    responses((status = 201, body = WorkspaceInfo), (status = 409), (status = 422))
)]
pub async fn create_workspace(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    body: web::Json<NewWorkspace>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let valid = (2..=40).contains(&body.id.len())
        && body
            .id
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-')
        && !body.id.starts_with('-');
    if !valid {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            Code::InvalidWorkspaceId,
            format!(
                "A workspace id is 2 to 40 lowercase letters, digits and `-`; {:?} is not.",
                body.id
            ),
        ));
    }
    let change =
        Change::begin_as(&state, &body.id, format!("user:{}", signed_in.user.email)).await?;
    if workspace::Entity::find_by_id(body.id.clone())
        .one(&change.txn)
        .await?
        .is_some()
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            Code::WorkspaceExists,
            format!("The workspace id {} is taken.", body.id),
        ));
    }
    workspace::ActiveModel {
        id: Set(body.id.clone()),
        name: Set(body.name.clone()),
        created_at: Set(change.now),
    }
    .insert(&change.txn)
    .await?;
    membership::ActiveModel {
        workspace_id: Set(body.id.clone()),
        user_id: Set(signed_in.user.id.clone()),
        role: Set(Role::Admin.as_str().to_owned()),
    }
    .insert(&change.txn)
    .await?;
    change
        .audit(
            "workspace.created",
            &format!("workspace:{}", body.id),
            json!({ "name": body.name }),
        )
        .await?;
    change.commit().await?;
    Ok(HttpResponse::Created().json(WorkspaceInfo {
        id: body.id,
        name: body.name,
        role: Role::Admin,
    }))
}
