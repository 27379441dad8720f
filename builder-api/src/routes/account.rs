//! Signing in and out, workspaces, members and their roles, API keys, workspace secrets and
//! the audit log.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::audit;
use crate::auth::{
    self, API_KEY_PREFIX, Caller, Role, SESSION_COOKIE, SESSION_DAYS, SignedIn, sha256_hex,
};
use crate::db::{api_key, audit as audit_log, membership, secret, session, user, workspace};
use crate::error::{ApiError, Code};
use crate::state::AppState;
use crate::time::rfc3339;

const DAY_MS: i64 = 24 * 3600 * 1000;

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/session", web::post().to(sign_in))
        .route("/session", web::get().to(me))
        .route("/session", web::delete().to(sign_out))
        .route("/session/password", web::put().to(change_password))
        .route("/workspaces", web::get().to(list_workspaces))
        .route("/workspaces", web::post().to(create_workspace));
}

/// Routes under `/api/v1/workspaces/{workspace}`.
pub fn configure_workspace(config: &mut web::ServiceConfig) {
    config
        .route("/members", web::get().to(list_members))
        .route("/members", web::post().to(add_member))
        .route("/members/{user}", web::put().to(change_member))
        .route("/members/{user}", web::delete().to(remove_member))
        .route("/api-keys", web::get().to(list_api_keys))
        .route("/api-keys", web::post().to(create_api_key))
        .route("/api-keys/{key}", web::delete().to(revoke_api_key))
        .route("/secrets", web::get().to(list_secrets))
        .route("/secrets/{name}", web::put().to(put_secret))
        .route("/secrets/{name}", web::delete().to(delete_secret))
        .route("/audit-log", web::get().to(read_audit_log));
}

#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    paths(
        sign_in,
        me,
        sign_out,
        change_password,
        list_workspaces,
        create_workspace,
        list_members,
        add_member,
        change_member,
        remove_member,
        list_api_keys,
        create_api_key,
        revoke_api_key,
        list_secrets,
        put_secret,
        delete_secret,
        read_audit_log
    ),
    components(schemas(
        SignInBody,
        SessionInfo,
        WorkspaceInfo,
        NewWorkspace,
        PasswordChange,
        Member,
        NewMember,
        MemberChange,
        ApiKeyInfo,
        NewApiKey,
        CreatedApiKey,
        SecretInfo,
        SecretValue,
        AuditEntry,
        Role
    ))
)]
pub struct Api;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInBody {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkspaceInfo {
    pub id: String,
    pub name: String,
    /// Your role in it.
    pub role: Role,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionInfo {
    pub user_id: String,
    pub email: String,
    pub name: String,
    /// Send it in `X-CSRF-Token` with every change made with the session cookie.
    pub csrf_token: String,
    pub expires_at: String,
    pub workspaces: Vec<WorkspaceInfo>,
}

async fn workspaces_of(state: &AppState, user_id: &str) -> Result<Vec<WorkspaceInfo>, ApiError> {
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

async fn session_info(
    state: &AppState,
    user: &user::Model,
    session: &session::Model,
) -> Result<SessionInfo, ApiError> {
    Ok(SessionInfo {
        user_id: user.id.clone(),
        email: user.email.clone(),
        name: user.name.clone(),
        csrf_token: session.csrf_token.clone(),
        expires_at: rfc3339(session.expires_at),
        workspaces: workspaces_of(state, &user.id).await?,
    })
}

fn session_cookie(value: String, max_age_days: i64) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .max_age(actix_web::cookie::time::Duration::days(max_age_days))
        .finish()
}

fn wrong_credentials() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        Code::InvalidCredentials,
        "This email and password do not match an account.",
    )
}

/// Signs in with email and password; sets an HTTP-only session cookie.
#[utoipa::path(
    post, path = "/api/v1/session", tag = "account",
    request_body = SignInBody,
    responses((status = 200, body = SessionInfo), (status = 401, description = "Wrong email or password"))
)]
pub async fn sign_in(
    state: web::Data<AppState>,
    body: web::Json<SignInBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let email = body.email.trim().to_lowercase();
    let found = user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(&state.db)
        .await?;
    let Some(found) = found else {
        // The same work as a real check, so timing does not tell which emails exist.
        let _ = auth::hash_password(body.password).await;
        return Err(wrong_credentials());
    };
    if !auth::verify_password(body.password, found.password_hash.clone()).await? {
        return Err(wrong_credentials());
    }
    let token = auth::random_token();
    let now = state.now();
    let created = session::ActiveModel {
        token_hash: Set(sha256_hex(&token)),
        user_id: Set(found.id.clone()),
        csrf_token: Set(auth::random_token()),
        created_at: Set(now),
        expires_at: Set(now + SESSION_DAYS * DAY_MS),
    }
    .insert(&state.db)
    .await?;
    // Expired sessions of anyone are cleared as people sign in.
    session::Entity::delete_many()
        .filter(session::Column::ExpiresAt.lt(now))
        .exec(&state.db)
        .await?;
    let info = session_info(&state, &found, &created).await?;
    Ok(HttpResponse::Ok()
        .cookie(session_cookie(token, SESSION_DAYS))
        .json(info))
}

/// Who is signed in, their workspaces, and the CSRF token.
#[utoipa::path(
    get, path = "/api/v1/session", tag = "account",
    responses((status = 200, body = SessionInfo), (status = 401))
)]
pub async fn me(state: web::Data<AppState>, signed_in: SignedIn) -> Result<HttpResponse, ApiError> {
    let info = session_info(&state, &signed_in.user, &signed_in.session).await?;
    Ok(HttpResponse::Ok().json(info))
}

/// Signs out: the session ends here and now.
#[utoipa::path(
    delete, path = "/api/v1/session", tag = "account",
    responses((status = 204), (status = 401))
)]
pub async fn sign_out(
    state: web::Data<AppState>,
    signed_in: SignedIn,
) -> Result<HttpResponse, ApiError> {
    session::Entity::delete_by_id(signed_in.session.token_hash)
        .exec(&state.db)
        .await?;
    Ok(HttpResponse::NoContent()
        .cookie(session_cookie(String::new(), 0))
        .finish())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    /// At least 12 characters.
    pub new_password: String,
}

fn check_new_password(password: &str) -> Result<(), ApiError> {
    if password.chars().count() < 12 {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            Code::WeakPassword,
            "A password has at least 12 characters.",
        ));
    }
    Ok(())
}

/// Changes your password; your other sessions end.
#[utoipa::path(
    put, path = "/api/v1/session/password", tag = "account",
    request_body = PasswordChange,
    responses((status = 204), (status = 401), (status = 422))
)]
pub async fn change_password(
    state: web::Data<AppState>,
    signed_in: SignedIn,
    body: web::Json<PasswordChange>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    check_new_password(&body.new_password)?;
    if !auth::verify_password(body.current_password, signed_in.user.password_hash.clone()).await? {
        return Err(wrong_credentials());
    }
    let hash = auth::hash_password(body.new_password).await?;
    let txn = state.db.begin().await?;
    let user_id = signed_in.user.id.clone();
    let email = signed_in.user.email.clone();
    let mut active = signed_in.user.into_active_model();
    active.password_hash = Set(hash);
    active.update(&txn).await?;
    session::Entity::delete_many()
        .filter(session::Column::UserId.eq(&user_id))
        .filter(session::Column::TokenHash.ne(&signed_in.session.token_hash))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    tracing::info!(%email, "password changed");
    Ok(HttpResponse::NoContent().finish())
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
    let now = state.now();
    let txn = state.db.begin().await?;
    if workspace::Entity::find_by_id(body.id.clone())
        .one(&txn)
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
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    membership::ActiveModel {
        workspace_id: Set(body.id.clone()),
        user_id: Set(signed_in.user.id.clone()),
        role: Set(Role::Admin.as_str().to_owned()),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        &body.id,
        &format!("user:{}", signed_in.user.email),
        "workspace.created",
        &format!("workspace:{}", body.id),
        json!({ "name": body.name }),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::Created().json(WorkspaceInfo {
        id: body.id,
        name: body.name,
        role: Role::Admin,
    }))
}

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
    let txn = state.db.begin().await?;
    if membership::Entity::find_by_id((caller.workspace.clone(), user_id.clone()))
        .one(&txn)
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
        model.insert(&txn).await?;
    }
    membership::ActiveModel {
        workspace_id: Set(caller.workspace.clone()),
        user_id: Set(user_id.clone()),
        role: Set(body.role.as_str().to_owned()),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        &caller.workspace,
        &caller.actor.label(),
        "member.added",
        &format!("user:{email}"),
        json!({ "role": body.role }),
        now,
    )
    .await?;
    txn.commit().await?;
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
    let now = state.now();
    let txn = state.db.begin().await?;
    let mut active = member.into_active_model();
    active.role = Set(body.role.as_str().to_owned());
    active.update(&txn).await?;
    audit::record(
        &txn,
        &caller.workspace,
        &caller.actor.label(),
        "member.role_changed",
        &format!("user:{}", found.email),
        json!({ "role": body.role }),
        now,
    )
    .await?;
    txn.commit().await?;
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
    let now = state.now();
    let txn = state.db.begin().await?;
    let removed = membership::Entity::delete_by_id((caller.workspace.clone(), path.user.clone()))
        .exec(&txn)
        .await?;
    if removed.rows_affected == 0 {
        return Err(ApiError::not_found(format!(
            "{} is not a member here.",
            path.user
        )));
    }
    audit::record(
        &txn,
        &caller.workspace,
        &caller.actor.label(),
        "member.removed",
        &format!("user_id:{}", path.user),
        json!({}),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

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
    let now = state.now();
    let txn = state.db.begin().await?;
    let model = api_key::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        workspace_id: Set(caller.workspace.clone()),
        name: Set(body.name.trim().to_owned()),
        prefix: Set(key.chars().take(API_KEY_PREFIX.len() + 6).collect()),
        key_hash: Set(sha256_hex(&key)),
        role: Set(role.as_str().to_owned()),
        created_by: Set(caller.actor.label()),
        created_at: Set(now),
        last_used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        &caller.workspace,
        &caller.actor.label(),
        "api_key.created",
        &format!("api_key:{}", model.id),
        json!({ "name": model.name, "role": role }),
        now,
    )
    .await?;
    txn.commit().await?;
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
    let now = state.now();
    let txn = state.db.begin().await?;
    let key = api_key::Entity::find_by_id(path.key.clone())
        .one(&txn)
        .await?
        .filter(|key| key.workspace_id == caller.workspace)
        .ok_or_else(|| ApiError::not_found(format!("There is no API key {}.", path.key)))?;
    if key.revoked_at.is_none() {
        let mut active = key.into_active_model();
        active.revoked_at = Set(Some(now));
        active.update(&txn).await?;
        audit::record(
            &txn,
            &caller.workspace,
            &caller.actor.label(),
            "api_key.revoked",
            &format!("api_key:{}", path.key),
            json!({}),
            now,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

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
    let valid_name = !path.name.is_empty()
        && path.name.len() <= 64
        && path
            .name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-');
    if !valid_name || body.value.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            Code::InvalidSecret,
            "A secret has a name of letters, digits, `_` or `-` (up to 64) and a non-empty value.",
        ));
    }
    let now = state.now();
    let txn = state.db.begin().await?;
    let existing = secret::Entity::find_by_id((caller.workspace.clone(), path.name.clone()))
        .one(&txn)
        .await?;
    match existing {
        Some(found) => {
            let mut active = found.into_active_model();
            active.value = Set(body.value.clone());
            active.updated_at = Set(now);
            active.update(&txn).await?;
        }
        None => {
            secret::ActiveModel {
                workspace_id: Set(caller.workspace.clone()),
                name: Set(path.name.clone()),
                value: Set(body.value.clone()),
                updated_at: Set(now),
            }
            .insert(&txn)
            .await?;
        }
    }
    audit::record(
        &txn,
        &caller.workspace,
        &caller.actor.label(),
        "secret.set",
        &format!("secret:{}", path.name),
        json!({}),
        now,
    )
    .await?;
    txn.commit().await?;
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
    let now = state.now();
    let txn = state.db.begin().await?;
    let removed = secret::Entity::delete_by_id((caller.workspace.clone(), path.name.clone()))
        .exec(&txn)
        .await?;
    if removed.rows_affected == 0 {
        return Err(ApiError::not_found(format!(
            "There is no secret {}.",
            path.name
        )));
    }
    audit::record(
        &txn,
        &caller.workspace,
        &caller.actor.label(),
        "secret.deleted",
        &format!("secret:{}", path.name),
        json!({}),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

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
    /// At most this many (default 100, at most 1000).
    #[serde(default)]
    pub limit: Option<u64>,
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
    let mut select = audit_log::Entity::find()
        .filter(audit_log::Column::WorkspaceId.eq(&caller.workspace))
        .order_by_desc(audit_log::Column::Id)
        .limit(query.limit.unwrap_or(100).min(1000));
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
