//! Signing in and out, who is signed in, and changing one's password.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{self, SESSION_COOKIE, SESSION_DAYS, SignedIn, sha256_hex};
use crate::db::{session, user};
use crate::error::{ApiError, Code};
use crate::routes::workspaces::{WorkspaceInfo, workspaces_of};
use crate::state::AppState;
use crate::time::rfc3339;

const DAY_MS: i64 = 24 * 3600 * 1000;

/// Routes under `/api/v1`.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .service(
            web::resource("/session")
                .route(web::post().to(sign_in))
                .route(web::get().to(me))
                .route(web::delete().to(sign_out)),
        )
        .service(web::resource("/session/password").route(web::put().to(change_password)));
}

#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    paths(sign_in, me, sign_out, change_password),
    components(schemas(SignInBody, SessionInfo, PasswordChange))
)]
pub struct Api;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInBody {
    pub email: String,
    pub password: String,
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

pub(crate) fn check_new_password(password: &str) -> Result<(), ApiError> {
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
