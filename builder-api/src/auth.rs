//! Who is asking, and may they: people sign in with email and password (argon2id) and get an
//! HTTP-only session cookie; machines send an API key as a bearer token. Every route under
//! `/api/v1/workspaces/{workspace}` takes a [`Caller`], which proves membership of that
//! workspace (or answers 404, so other workspaces cannot even be discovered) and carries the
//! role that [`Caller::require`] checks.
//!
//! CSRF: the cookie is `SameSite=Strict`, and a change made with it (any method but GET/HEAD)
//! must also carry the session's token in `X-CSRF-Token`, which another site cannot read.
//! API keys are not sent by browsers on their own, so they need no such token.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::{Method, StatusCode};
use actix_web::{FromRequest, HttpRequest, web};
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use rand::RngExt as _;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::db::{api_key, membership, session, user};
use crate::error::{ApiError, Code};
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "spool_session";
pub const CSRF_HEADER: &str = "X-CSRF-Token";
/// API keys start with this, so they are recognisable in logs and secret scanners.
pub const API_KEY_PREFIX: &str = "spool_";
/// How long a session lasts without signing in again.
pub const SESSION_DAYS: i64 = 14;

/// What a member may do. Ordered: an admin may do everything an editor may.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads flows, versions, contacts, runs and analytics.
    Viewer,
    /// Also works the handoff queue (claims, releases and resolves handoffs), without
    /// changing flows.
    Operator,
    /// Also edits, publishes and simulates flows, cancels runs.
    Editor,
    /// Also manages members, API keys, secrets; erases contacts; reads the audit log.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "viewer" => Some(Role::Viewer),
            "operator" => Some(Role::Operator),
            "editor" => Some(Role::Editor),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// Who made a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    User { id: String, email: String },
    ApiKey { id: String, name: String },
}

impl Actor {
    /// How the audit log names them.
    pub fn label(&self) -> String {
        match self {
            Actor::User { email, .. } => format!("user:{email}"),
            Actor::ApiKey { id, .. } => format!("api_key:{id}"),
        }
    }
}

/// A request authenticated and authorised for the workspace in its path.
#[derive(Clone, Debug)]
pub struct Caller {
    pub actor: Actor,
    pub workspace: String,
    pub role: Role,
}

impl Caller {
    /// 403 unless the caller's role is at least `role`.
    pub fn require(&self, role: Role) -> Result<(), ApiError> {
        if self.role >= role {
            Ok(())
        } else {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                Code::Forbidden,
                format!(
                    "This needs the {} role in workspace {}; you are {}.",
                    role.as_str(),
                    self.workspace,
                    self.role.as_str()
                ),
            ))
        }
    }

    /// The runtime's id for something of this workspace (a flow, a contact).
    pub fn scoped(&self, id: &str) -> String {
        spool_runtime::ScopedId::new(&self.workspace, id).into()
    }
}

/// A signed-in person (session cookie), whatever the workspace.
#[derive(Clone, Debug)]
pub struct SignedIn {
    pub user: user::Model,
    pub session: session::Model,
}

pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// A random token: 32 bytes, hex.
pub fn random_token() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    hex::encode(bytes)
}

/// A password people can type: 20 characters from an unambiguous alphabet (~100 bits).
pub fn random_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..20)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// argon2id with the crate's defaults (19 MiB, 2 passes), as a PHC string. Slow on purpose:
/// call it off the async threads.
pub async fn hash_password(password: String) -> Result<String, ApiError> {
    web::block(move || {
        argon2::Argon2::default()
            .hash_password(password.as_bytes())
            .map(|hash| hash.to_string())
    })
    .await
    .map_err(|err| ApiError::internal(Code::HashingFailed, err))?
    .map_err(|err| ApiError::internal(Code::HashingFailed, err))
}

pub async fn verify_password(password: String, hash: String) -> Result<bool, ApiError> {
    web::block(move || {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), hash.as_str())
            .is_ok()
    })
    .await
    .map_err(|err| ApiError::internal(Code::HashingFailed, err))
}

fn unauthenticated() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        Code::Unauthenticated,
        "Sign in (POST /api/v1/session) or send an API key as `Authorization: Bearer spool_…`.",
    )
}

pub fn workspace_not_found(workspace: &str) -> ApiError {
    ApiError::not_found(format!(
        "There is no workspace {workspace} that you can see."
    ))
}

fn is_change(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn bearer(request: &HttpRequest) -> Option<String> {
    let header = request.headers().get("authorization")?.to_str().ok()?;
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))?;
    Some(token.trim().to_owned())
}

/// The session behind the request's cookie, if it is valid and unexpired; for changes, only
/// with the matching CSRF token.
async fn signed_in(state: &AppState, request: &HttpRequest) -> Result<Option<SignedIn>, ApiError> {
    let Some(cookie) = request.cookie(SESSION_COOKIE) else {
        return Ok(None);
    };
    let now = state.now();
    let Some(session) = session::Entity::find_by_id(sha256_hex(cookie.value()))
        .one(&state.db)
        .await?
        .filter(|session| session.expires_at > now)
    else {
        return Ok(None);
    };
    if is_change(request.method()) {
        let sent = request
            .headers()
            .get(CSRF_HEADER)
            .and_then(|value| value.to_str().ok());
        if sent != Some(session.csrf_token.as_str()) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                Code::CsrfTokenMissing,
                format!(
                    "Changes made with a session cookie must send the session's CSRF token in {CSRF_HEADER} (GET /api/v1/session shows it)."
                ),
            ));
        }
    }
    let Some(user) = user::Entity::find_by_id(session.user_id.clone())
        .one(&state.db)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(SignedIn { user, session }))
}

async fn authenticate(state: &AppState, request: &HttpRequest) -> Result<Caller, ApiError> {
    let workspace = request
        .match_info()
        .get("workspace")
        .map(str::to_owned)
        .ok_or_else(|| ApiError::not_found("This route names no workspace."))?;
    if let Some(token) = bearer(request) {
        let key = api_key::Entity::find()
            .filter(api_key::Column::KeyHash.eq(sha256_hex(&token)))
            .filter(api_key::Column::RevokedAt.is_null())
            .one(&state.db)
            .await?
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    Code::InvalidApiKey,
                    "This API key is unknown or was revoked.",
                )
            })?;
        if key.workspace_id != workspace {
            return Err(workspace_not_found(&workspace));
        }
        let role = Role::parse(&key.role).unwrap_or(Role::Viewer);
        // Last use to the minute: one write per key per minute, not per request.
        let now = state.now();
        if key.last_used_at.is_none_or(|at| now - at > 60_000) {
            let mut active: api_key::ActiveModel = key.clone().into();
            active.last_used_at = Set(Some(now));
            active.update(&state.db).await?;
        }
        return Ok(Caller {
            actor: Actor::ApiKey {
                id: key.id,
                name: key.name,
            },
            workspace,
            role,
        });
    }
    let signed_in = signed_in(state, request)
        .await?
        .ok_or_else(unauthenticated)?;
    let member = membership::Entity::find_by_id((workspace.clone(), signed_in.user.id.clone()))
        .one(&state.db)
        .await?
        .ok_or_else(|| workspace_not_found(&workspace))?;
    Ok(Caller {
        actor: Actor::User {
            id: signed_in.user.id,
            email: signed_in.user.email,
        },
        workspace,
        role: Role::parse(&member.role).unwrap_or(Role::Viewer),
    })
}

fn app_state(request: &HttpRequest) -> Result<web::Data<AppState>, ApiError> {
    request
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal(Code::Misconfigured, "no application state"))
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(request: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let request = request.clone();
        Box::pin(async move {
            let state = app_state(&request)?;
            authenticate(&state, &request).await
        })
    }
}

impl FromRequest for SignedIn {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(request: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let request = request.clone();
        Box::pin(async move {
            let state = app_state(&request)?;
            signed_in(&state, &request)
                .await?
                .ok_or_else(unauthenticated)
        })
    }
}
