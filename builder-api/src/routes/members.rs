//! A workspace's members and their roles; the last admin stays admin.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::auth::{self, Caller, Role};
use crate::db::{membership, user};
use crate::error::{ApiError, Code};
use crate::routes::change::Change;
use crate::routes::session::check_new_password;
use crate::state::AppState;

/// Routes under `/api/v1/workspaces/{workspace}`.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .service(
            web::resource("/members")
                .route(web::get().to(list_members))
                .route(web::post().to(add_member)),
        )
        .service(
            web::resource("/members/{user}")
                .route(web::put().to(change_member))
                .route(web::delete().to(remove_member)),
        );
}

#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    paths(list_members, add_member, change_member, remove_member),
    components(schemas(Member, NewMember, MemberChange))
)]
pub struct Api;

#[derive(Debug, Serialize, ToSchema)]
pub struct Member {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMember {
    pub email: String,
    #[serde(default)]
    pub name: Option<String>,
    pub role: Role,
    /// For a person without an account yet: their first password (at least 12 characters).
    /// When absent, one is generated and returned once.
    #[serde(default)]
    pub password: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberChange {
    pub role: Role,
}

#[derive(Debug, Deserialize)]
pub struct MemberPath {
    pub workspace: String,
    pub user: String,
}

/// The workspace's members and their roles.
#[utoipa::path(
    get, path = "/api/v1/workspaces/{workspace}/members", tag = "account",
    params(("workspace" = String, Path)),
    responses((status = 200, body = Vec<Member>))
)]
pub async fn list_members(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let memberships = membership::Entity::find()
        .filter(membership::Column::WorkspaceId.eq(&caller.workspace))
        .all(&state.db)
        .await?;
    let mut members = Vec::new();
    for member in memberships {
        if let Some(found) = user::Entity::find_by_id(member.user_id.clone())
            .one(&state.db)
            .await?
        {
            members.push(Member {
                user_id: found.id,
                email: found.email,
                name: found.name,
                role: Role::parse(&member.role).unwrap_or(Role::Viewer),
            });
        }
    }
    members.sort_by(|a, b| a.email.cmp(&b.email));
    Ok(HttpResponse::Ok().json(members))
}

/// Adds a person (creating their account if needed) with a role. Admins only.
#[utoipa::path(
    post, path = "/api/v1/workspaces/{workspace}/members", tag = "account",
    params(("workspace" = String, Path)),
    request_body = NewMember,
    responses((status = 201, description = "The member; `password` is set once when generated"), (status = 409))
)]
pub async fn add_member(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<NewMember>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Admin)?;
    let body = body.into_inner();
    let email = body.email.trim().to_lowercase();
    if !spool_nodes::eval::is_email(&email) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            Code::InvalidEmail,
            format!("{:?} is not an email address.", body.email),
        ));
    }
    let now = state.now();
    let existing = user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(&state.db)
        .await?;
    let mut generated = None;
    let (user_id, name, new_user) = match existing {
        Some(found) => (found.id, found.name, None),
        None => {
            let password = match body.password {
                Some(password) => {
                    check_new_password(&password)?;
                    password
                }
                None => {
                    let password = auth::random_password();
                    generated = Some(password.clone());
                    password
                }
            };
            let hash = auth::hash_password(password).await?;
            let id = uuid::Uuid::now_v7().to_string();
            let name = body.name.clone().unwrap_or_else(|| email.clone());
            let model = user::ActiveModel {
                id: Set(id.clone()),
                email: Set(email.clone()),
                name: Set(name.clone()),
                password_hash: Set(hash),
                created_at: Set(now),
            };
            (id, name, Some(model))
        }
    };
    let change = Change::begin(&state, &caller).await?;
    if membership::Entity::find_by_id((caller.workspace.clone(), user_id.clone()))
        .one(&change.txn)
        .await?
        .is_some()
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            Code::MemberExists,
            format!(
                "{email} is a member of {} already; change their role instead.",
                caller.workspace
            ),
        ));
    }
    if let Some(model) = new_user {
        model.insert(&change.txn).await?;
    }
    membership::ActiveModel {
        workspace_id: Set(caller.workspace.clone()),
        user_id: Set(user_id.clone()),
        role: Set(body.role.as_str().to_owned()),
    }
    .insert(&change.txn)
    .await?;
    change
        .audit(
            "member.added",
            &format!("user:{email}"),
            json!({ "role": body.role }),
        )
        .await?;
    change.commit().await?;
    let mut response = json!({
        "user_id": user_id, "email": email, "name": name, "role": body.role,
    });
    if let Some(password) = generated {
        response["password"] = json!(password);
    }
    Ok(HttpResponse::Created().json(response))
}

async fn admins_left(state: &AppState, workspace: &str, without: &str) -> Result<u64, ApiError> {
    membership::Entity::find()
        .filter(membership::Column::WorkspaceId.eq(workspace))
        .filter(membership::Column::Role.eq(Role::Admin.as_str()))
        .filter(membership::Column::UserId.ne(without))
        .count(&state.db)
        .await
        .map_err(ApiError::from)
}

fn last_admin() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        Code::LastAdmin,
        "A workspace keeps at least one admin; make someone else admin first.",
    )
}

/// Changes a member's role. Admins only; the last admin stays admin.
#[utoipa::path(
    put, path = "/api/v1/workspaces/{workspace}/members/{user}", tag = "account",
    params(("workspace" = String, Path), ("user" = String, Path, description = "The user id")),
    request_body = MemberChange,
    responses((status = 200, body = Member), (status = 404), (status = 409))
)]
pub async fn change_member(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<MemberPath>,
    body: web::Json<MemberChange>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Admin)?;
    let member = membership::Entity::find_by_id((caller.workspace.clone(), path.user.clone()))
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("{} is not a member here.", path.user)))?;
    if body.role != Role::Admin && admins_left(&state, &caller.workspace, &path.user).await? == 0 {
        return Err(last_admin());
    }
    let found = user::Entity::find_by_id(path.user.clone())
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("{} is not a member here.", path.user)))?;
    let change = Change::begin(&state, &caller).await?;
    let mut active = member.into_active_model();
    active.role = Set(body.role.as_str().to_owned());
    active.update(&change.txn).await?;
    change
        .audit(
            "member.role_changed",
            &format!("user:{}", found.email),
            json!({ "role": body.role }),
        )
        .await?;
    change.commit().await?;
    Ok(HttpResponse::Ok().json(Member {
        user_id: found.id,
        email: found.email,
        name: found.name,
        role: body.role,
    }))
}

/// Removes a member from the workspace (their account stays). Admins only.
#[utoipa::path(
    delete, path = "/api/v1/workspaces/{workspace}/members/{user}", tag = "account",
    params(("workspace" = String, Path), ("user" = String, Path)),
    responses((status = 204), (status = 404), (status = 409))
)]
pub async fn remove_member(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<MemberPath>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Admin)?;
    if admins_left(&state, &caller.workspace, &path.user).await? == 0 {
        return Err(last_admin());
    }
    let change = Change::begin(&state, &caller).await?;
    let removed = membership::Entity::delete_by_id((caller.workspace.clone(), path.user.clone()))
        .exec(&change.txn)
        .await?;
    if removed.rows_affected == 0 {
        return Err(ApiError::not_found(format!(
            "{} is not a member here.",
            path.user
        )));
    }
    change
        .audit(
            "member.removed",
            &format!("user_id:{}", path.user),
            json!({}),
        )
        .await?;
    change.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
