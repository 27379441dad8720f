//! A workspace's WhatsApp channels: the Cloud API numbers its journeys talk through. Admins
//! connect, change and remove them; editors see them. Tokens and secrets are stored sealed
//! and never returned: a response shows a fingerprint of each instead.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use rand::RngExt as _;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, Set, SqlErr,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::auth::{Caller, Role};
use crate::channels::{
    self, DEFAULT_API_VERSION, DEFAULT_MESSAGING_LIMIT, DEFAULT_THROUGHPUT_PER_SECOND, Sealed,
};
use crate::db::channel;
use crate::error::{ApiError, Code};
use crate::routes::change::Change;
use crate::state::AppState;
use crate::time::rfc3339;

mod check;
mod fields;

pub use fields::{ChannelChange, NewChannel};
use fields::{check, fingerprint};

/// Routes under `/api/v1/workspaces/{workspace}`.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .service(
            web::resource("/channels")
                .route(web::get().to(list_channels))
                .route(web::post().to(create_channel)),
        )
        .service(
            web::resource("/channels/{channel}")
                .route(web::get().to(get_channel))
                .route(web::patch().to(patch_channel))
                .route(web::delete().to(delete_channel)),
        )
        .service(web::resource("/channels/{channel}/default").route(web::post().to(make_default)))
        .configure(check::configure);
}

pub use check::Api as CheckApi;
pub(crate) use check::configured;

#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    paths(
        list_channels,
        create_channel,
        get_channel,
        patch_channel,
        delete_channel,
        make_default
    ),
    components(schemas(NewChannel, ChannelChange, ChannelInfo))
)]
pub struct Api;

/// A channel as the API shows it: never a token or secret, only their fingerprints.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChannelInfo {
    /// Part of the webhook URL; never changes.
    pub id: String,
    pub display_name: String,
    pub phone_number_id: String,
    pub waba_id: String,
    /// The path to give Meta as the callback URL, after this server's public address.
    pub webhook_path: String,
    pub api_version: String,
    pub throughput_per_second: i64,
    pub messaging_limit: i64,
    pub marketing_messages_api: bool,
    /// The channel journeys use when nothing names another; one per workspace.
    pub is_default: bool,
    /// Why the channel does not send (Meta rejected its token); absent while it sends.
    pub paused_reason: Option<String>,
    /// Meta's quality rating of the number, when known.
    pub quality_rating: Option<String>,
    /// Different people written to outside their 24-hour window in the last 24 h: what
    /// counts towards `messaging_limit`.
    pub reached_24h: u64,
    /// Business-initiated messages waiting because the messaging limit is reached; they go
    /// out, oldest first, as the rolling 24 h frees places.
    pub queued: u64,
    /// When the next place frees (RFC 3339), while messages are queued.
    pub next_release_at: Option<String>,
    /// e.g. `…x9Qz sha256:1f2e3d4c`: enough to recognise the token, not to use it.
    pub access_token_fingerprint: String,
    pub app_secret_fingerprint: String,
    pub verify_token_fingerprint: String,
    pub created_at: String,
    pub created_by: String,
    pub updated_at: String,
    pub updated_by: String,
}

#[derive(Debug, Deserialize)]
pub struct ChannelPath {
    pub workspace: String,
    pub channel: String,
}

/// The API's answer for what the registry could not do.
fn registry_error(err: channels::Error) -> ApiError {
    match err {
        channels::Error::Database(err) => err.into(),
        channels::Error::NoKey => key_missing(),
        // The message names the channel and says what to do; it holds no secret.
        unreadable @ channels::Error::Unreadable { .. } => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            Code::ChannelUnreadable,
            format!("{unreadable}."),
        ),
    }
}

/// Refuses to store a secret: the server has no key to encrypt it with.
pub(crate) fn key_missing() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        Code::SecretKeyMissing,
        "Spool keeps channel tokens and event-subscription secrets encrypted, and this server \
         has no key to encrypt them with: set SPOOL_SECRET_KEY to 32 random bytes (make them \
         with `openssl rand -hex 32`) and restart spool serve.",
    )
}

async fn info(state: &AppState, row: channel::Model) -> Result<ChannelInfo, ApiError> {
    let reach = crate::whatsapp::reach::status(&state.db, &row.id, state.now()).await?;
    let shown = |field| {
        state
            .channels
            .open(&row, field)
            .map(|secret| fingerprint(&secret))
            .map_err(registry_error)
    };
    Ok(ChannelInfo {
        access_token_fingerprint: shown(Sealed::AccessToken)?,
        app_secret_fingerprint: shown(Sealed::AppSecret)?,
        verify_token_fingerprint: shown(Sealed::VerifyToken)?,
        webhook_path: channels::webhook_path(&row.id),
        throughput_per_second: row.throughput_per_second.into(),
        created_at: rfc3339(row.created_at),
        updated_at: rfc3339(row.updated_at),
        id: row.id,
        display_name: row.display_name,
        phone_number_id: row.phone_number_id,
        waba_id: row.waba_id,
        api_version: row.api_version,
        messaging_limit: row.messaging_limit,
        marketing_messages_api: row.marketing_messages_api,
        is_default: row.is_default,
        paused_reason: row.paused_reason,
        quality_rating: row.quality_rating,
        reached_24h: reach.reached,
        queued: reach.queued,
        next_release_at: reach.next_release_at.map(rfc3339),
        created_by: row.created_by,
        updated_by: row.updated_by,
    })
}

fn no_channel(workspace: &str, id: &str) -> ApiError {
    ApiError::not_found(format!(
        "The workspace {workspace} has no channel {id}; GET /api/v1/workspaces/{workspace}/channels lists them."
    ))
}

async fn find<C: ConnectionTrait>(
    db: &C,
    workspace: &str,
    id: &str,
) -> Result<channel::Model, ApiError> {
    channel::Entity::find_by_id(id.to_owned())
        .filter(channel::Column::WorkspaceId.eq(workspace))
        .one(db)
        .await?
        .ok_or_else(|| no_channel(workspace, id))
}

/// 409 when another channel than `except` has `phone_number_id`.
async fn check_number_free<C: ConnectionTrait>(
    db: &C,
    workspace: &str,
    phone_number_id: &str,
    except: Option<&str>,
) -> Result<(), ApiError> {
    let holder = channel::Entity::find()
        .filter(channel::Column::PhoneNumberId.eq(phone_number_id))
        .one(db)
        .await?;
    match holder {
        Some(holder) if Some(holder.id.as_str()) != except => Err(number_taken(
            phone_number_id,
            (holder.workspace_id == workspace).then_some(&holder),
        )),
        _ => Ok(()),
    }
}

/// Another workspace's channel is not named: which workspaces exist is not the caller's to know.
fn number_taken(phone_number_id: &str, ours: Option<&channel::Model>) -> ApiError {
    let message = match ours {
        Some(holder) => format!(
            "The phone number {phone_number_id} is connected already, as the channel {} (\"{}\") of this workspace; change that one instead.",
            holder.id, holder.display_name
        ),
        None => format!(
            "The phone number {phone_number_id} is connected already, in another workspace: a number sends and receives through one channel only."
        ),
    };
    let mut error = ApiError::new(StatusCode::CONFLICT, Code::PhoneNumberTaken, message);
    error.details = json!({ "channel": ours.map(|holder| holder.id.clone()) });
    error
}

/// A write refused by the unique phone number index, from a change made at the same time.
fn taken_meanwhile(err: DbErr, phone_number_id: &str) -> ApiError {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => number_taken(phone_number_id, None),
        _ => err.into(),
    }
}

fn new_id() -> String {
    let bytes: [u8; 8] = rand::rng().random();
    format!("ch_{}", hex::encode(bytes))
}

/// The workspace's WhatsApp channels, the default first, then oldest first.
#[utoipa::path(
    get, path = "/api/v1/workspaces/{workspace}/channels", tag = "channels",
    params(("workspace" = String, Path)),
    responses((status = 200, body = Vec<ChannelInfo>))
)]
pub async fn list_channels(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Editor)?;
    let rows = channel::Entity::find()
        .filter(channel::Column::WorkspaceId.eq(&caller.workspace))
        .order_by_desc(channel::Column::IsDefault)
        .order_by_asc(channel::Column::CreatedAt)
        .order_by_asc(channel::Column::Id)
        .all(&state.db)
        .await?;
    let mut shown = Vec::with_capacity(rows.len());
    for row in rows {
        shown.push(info(&state, row).await?);
    }
    Ok(HttpResponse::Ok().json(shown))
}

/// Connects a WhatsApp number. The workspace's first channel is its default. Admins only.
#[utoipa::path(
    post, path = "/api/v1/workspaces/{workspace}/channels", tag = "channels",
    params(("workspace" = String, Path)),
    request_body = NewChannel,
    responses(
        (status = 201, body = ChannelInfo),
        (status = 409, description = "The number is connected already (`phone_number_taken`), or the server has no SPOOL_SECRET_KEY (`secret_key_missing`)"),
        (status = 422, description = "A field is not acceptable (`invalid_channel`; `details.fields` says what is wrong with each)")
    )
)]
pub async fn create_channel(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<NewChannel>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Admin)?;
    let body = body.into_inner();
    check(&ChannelChange::from(&body))?;
    if !state.channels.has_key() {
        return Err(key_missing());
    }
    let id = new_id();
    let seal = |field, value: &str| {
        state
            .channels
            .seal(&id, field, value)
            .map_err(registry_error)
    };
    let access_token = seal(Sealed::AccessToken, &body.access_token)?;
    let app_secret = seal(Sealed::AppSecret, &body.app_secret)?;
    let verify_token = seal(Sealed::VerifyToken, &body.verify_token)?;
    let display_name = body.display_name.trim().to_owned();

    let change = Change::begin(&state, &caller).await?;
    check_number_free(&change.txn, &caller.workspace, &body.phone_number_id, None).await?;
    let existing = channel::Entity::find()
        .filter(channel::Column::WorkspaceId.eq(&caller.workspace))
        .count(&change.txn)
        .await?;
    let actor = caller.actor.label();
    let saved = channel::ActiveModel {
        id: Set(id.clone()),
        workspace_id: Set(caller.workspace.clone()),
        display_name: Set(display_name.clone()),
        phone_number_id: Set(body.phone_number_id.clone()),
        waba_id: Set(body.waba_id.clone()),
        access_token: Set(access_token),
        app_secret: Set(app_secret),
        verify_token: Set(verify_token),
        api_version: Set(body
            .api_version
            .unwrap_or_else(|| DEFAULT_API_VERSION.to_owned())),
        throughput_per_second: Set(body
            .throughput_per_second
            .and_then(|value| i32::try_from(value).ok())
            .unwrap_or(DEFAULT_THROUGHPUT_PER_SECOND as i32)),
        messaging_limit: Set(body
            .messaging_limit
            .unwrap_or(DEFAULT_MESSAGING_LIMIT as i64)),
        marketing_messages_api: Set(body.marketing_messages_api.unwrap_or(false)),
        is_default: Set(existing == 0),
        paused_reason: Set(None),
        quality_rating: Set(None),
        created_at: Set(change.now),
        created_by: Set(actor.clone()),
        updated_at: Set(change.now),
        updated_by: Set(actor),
    }
    .insert(&change.txn)
    .await
    .map_err(|err| taken_meanwhile(err, &body.phone_number_id))?;
    change
        .audit(
            "channel.created",
            &format!("channel:{id}"),
            json!({
                "display_name": display_name,
                "phone_number_id": body.phone_number_id,
                "waba_id": body.waba_id,
            }),
        )
        .await?;
    change.commit().await?;
    state.channels.forget();
    // Its account's templates, read now so that sends and publishing can check them.
    match state.channels.by_id(&id).await {
        Ok(Some(config)) => state.templates.sync_soon(config),
        Ok(None) => {}
        Err(err) => tracing::warn!(%err, "the new channel's templates cannot be synced"),
    }
    Ok(HttpResponse::Created().json(info(&state, saved).await?))
}

/// One channel.
#[utoipa::path(
    get, path = "/api/v1/workspaces/{workspace}/channels/{channel}", tag = "channels",
    params(("workspace" = String, Path), ("channel" = String, Path)),
    responses((status = 200, body = ChannelInfo))
)]
pub async fn get_channel(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<ChannelPath>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Editor)?;
    let row = find(&state.db, &caller.workspace, &path.channel).await?;
    Ok(HttpResponse::Ok().json(info(&state, row).await?))
}

/// Changes any of a channel's settings; a token or secret is replaced only when given. A new
/// access token lets a channel paused for a rejected token send again. Admins only.
#[utoipa::path(
    patch, path = "/api/v1/workspaces/{workspace}/channels/{channel}", tag = "channels",
    params(("workspace" = String, Path), ("channel" = String, Path)),
    request_body = ChannelChange,
    responses(
        (status = 200, body = ChannelInfo),
        (status = 409, description = "Another channel has this number (`phone_number_taken`)"),
        (status = 422, description = "A field is not acceptable (`invalid_channel`), or nothing to change (`empty_change`)")
    )
)]
pub async fn patch_channel(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<ChannelPath>,
    body: web::Json<ChannelChange>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Admin)?;
    let body = body.into_inner();
    check(&body)?;
    let change = Change::begin(&state, &caller).await?;
    let row = find(&change.txn, &caller.workspace, &path.channel).await?;
    if let Some(number) = &body.phone_number_id {
        check_number_free(&change.txn, &caller.workspace, number, Some(&row.id)).await?;
    }
    let id = row.id.clone();
    let seal = |field, value: &str| {
        state
            .channels
            .seal(&id, field, value)
            .map_err(registry_error)
    };
    let mut changed: Vec<&str> = Vec::new();
    let mut active = row.clone().into_active_model();
    macro_rules! apply {
        ($field:ident, $value:expr) => {
            if let Some(value) = $value {
                active.$field = Set(value);
                changed.push(stringify!($field));
            }
        };
    }
    apply!(
        display_name,
        body.display_name
            .as_deref()
            .map(|name| name.trim().to_owned())
    );
    apply!(phone_number_id, body.phone_number_id.clone());
    apply!(waba_id, body.waba_id.clone());
    apply!(api_version, body.api_version.clone());
    apply!(
        throughput_per_second,
        body.throughput_per_second
            .and_then(|value| i32::try_from(value).ok())
    );
    apply!(messaging_limit, body.messaging_limit);
    apply!(marketing_messages_api, body.marketing_messages_api);
    apply!(
        access_token,
        body.access_token
            .as_deref()
            .map(|value| seal(Sealed::AccessToken, value))
            .transpose()?
    );
    apply!(
        app_secret,
        body.app_secret
            .as_deref()
            .map(|value| seal(Sealed::AppSecret, value))
            .transpose()?
    );
    apply!(
        verify_token,
        body.verify_token
            .as_deref()
            .map(|value| seal(Sealed::VerifyToken, value))
            .transpose()?
    );
    if changed.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            Code::EmptyChange,
            "Nothing to change: send any of `display_name`, `phone_number_id`, `waba_id`, \
             `access_token`, `app_secret`, `verify_token`, `api_version`, \
             `throughput_per_second`, `messaging_limit`, `marketing_messages_api`.",
        ));
    }
    // A channel is paused because Meta rejected its token: a new one is the way out (the
    // sender pauses it again if Meta rejects that one too).
    let resumed = body.access_token.is_some() && row.paused_reason.is_some();
    if resumed {
        active.paused_reason = Set(None);
    }
    active.updated_at = Set(change.now);
    active.updated_by = Set(caller.actor.label());
    let number = body
        .phone_number_id
        .clone()
        .unwrap_or_else(|| row.phone_number_id.clone());
    let saved = active
        .update(&change.txn)
        .await
        .map_err(|err| taken_meanwhile(err, &number))?;
    change
        .audit(
            "channel.updated",
            &format!("channel:{id}"),
            json!({ "changed": changed, "resumed": resumed }),
        )
        .await?;
    change.commit().await?;
    state.channels.forget();
    Ok(HttpResponse::Ok().json(info(&state, saved).await?))
}

/// Removes a channel: its number no longer sends or receives through Spool. When it was the
/// default, the oldest remaining channel becomes the default. Admins only.
#[utoipa::path(
    delete, path = "/api/v1/workspaces/{workspace}/channels/{channel}", tag = "channels",
    params(("workspace" = String, Path), ("channel" = String, Path)),
    responses((status = 204))
)]
pub async fn delete_channel(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<ChannelPath>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Admin)?;
    let change = Change::begin(&state, &caller).await?;
    let row = find(&change.txn, &caller.workspace, &path.channel).await?;
    channel::Entity::delete_by_id(row.id.clone())
        .exec(&change.txn)
        .await?;
    let mut new_default = None;
    if row.is_default {
        let oldest = channel::Entity::find()
            .filter(channel::Column::WorkspaceId.eq(&caller.workspace))
            .order_by_asc(channel::Column::CreatedAt)
            .order_by_asc(channel::Column::Id)
            .one(&change.txn)
            .await?;
        if let Some(oldest) = oldest {
            new_default = Some(oldest.id.clone());
            let mut active = oldest.into_active_model();
            active.is_default = Set(true);
            active.update(&change.txn).await?;
        }
    }
    change
        .audit(
            "channel.deleted",
            &format!("channel:{}", row.id),
            json!({
                "display_name": row.display_name,
                "phone_number_id": row.phone_number_id,
                "new_default": new_default,
            }),
        )
        .await?;
    change.commit().await?;
    state.channels.forget();
    Ok(HttpResponse::NoContent().finish())
}

/// Makes a channel the workspace's default: the one journeys the business starts use when
/// their trigger names none. Admins only.
#[utoipa::path(
    post, path = "/api/v1/workspaces/{workspace}/channels/{channel}/default", tag = "channels",
    params(("workspace" = String, Path), ("channel" = String, Path)),
    responses((status = 200, body = ChannelInfo))
)]
pub async fn make_default(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<ChannelPath>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Admin)?;
    let change = Change::begin(&state, &caller).await?;
    let row = find(&change.txn, &caller.workspace, &path.channel).await?;
    if row.is_default {
        change.commit().await?;
        return Ok(HttpResponse::Ok().json(info(&state, row).await?));
    }
    // The old default is cleared first: the database holds one default per workspace.
    let previous = channel::Entity::find()
        .filter(channel::Column::WorkspaceId.eq(&caller.workspace))
        .filter(channel::Column::IsDefault.eq(true))
        .all(&change.txn)
        .await?;
    for old in &previous {
        let mut active = old.clone().into_active_model();
        active.is_default = Set(false);
        active.update(&change.txn).await?;
    }
    let mut active = row.into_active_model();
    active.is_default = Set(true);
    active.updated_at = Set(change.now);
    active.updated_by = Set(caller.actor.label());
    let saved = active.update(&change.txn).await?;
    change
        .audit(
            "channel.default_set",
            &format!("channel:{}", saved.id),
            json!({ "previous": previous.first().map(|old| old.id.clone()) }),
        )
        .await?;
    change.commit().await?;
    state.channels.forget();
    Ok(HttpResponse::Ok().json(info(&state, saved).await?))
}
