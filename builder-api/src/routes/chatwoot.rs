//! The Chatwoot adapter over HTTP: an admin links the workspace to a Chatwoot API inbox
//! (`PUT /chatwoot`), reads (`GET`) or removes (`DELETE`) the link; Chatwoot's signed
//! webhook (`POST /webhooks/chatwoot/{workspace}`) brings agents' replies, which go through
//! the same gates as an inbox reply, and resolved conversations, which resolve their tickets.
//! See `crate::chatwoot` for the whole round trip.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use hmac::{Hmac, KeyInit, Mac};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::Sha256;
use spool_nodes::OutboundBody;
use spool_runtime::{Event, EventKind};
use tracing::{debug, info};
use utoipa::ToSchema;

use crate::auth::{Caller, Role};
use crate::chatwoot::link::LinkError;
use crate::chatwoot::queue::NOTE;
use crate::chatwoot::{AUTHOR_PREFIX, Link};
use crate::db::chatwoot::{conversation, outbox};
use crate::error::{ApiError, Code};
use crate::handoffs;
use crate::state::AppState;

/// How far a webhook's timestamp may be from now (Chatwoot's advice: 5 minutes).
const TIMESTAMP_TOLERANCE_SECS: i64 = 300;

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/chatwoot", web::get().to(read))
        .route("/chatwoot", web::put().to(link))
        .route("/chatwoot", web::delete().to(unlink));
}

/// Chatwoot's webhook, outside the session-guarded API.
pub fn configure_webhook(config: &mut web::ServiceConfig) {
    config.route("/webhooks/chatwoot/{workspace}", web::post().to(webhook));
}

#[derive(Debug, utoipa::OpenApi)]
#[openapi(paths(read, link, unlink), components(schemas(NewLink, LinkView)))]
pub struct Api;

/// A Chatwoot API inbox to mirror handed-over conversations into.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLink {
    /// e.g. `https://chatwoot.example.com`.
    pub base_url: String,
    pub account_id: i64,
    /// The API inbox's id.
    pub inbox_id: i64,
    /// An agent's (or agent bot's) access token (Profile settings → Access token).
    pub api_access_token: String,
    /// The inbox webhook's signing secret.
    pub webhook_secret: String,
}

/// The link, its secrets never shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkView {
    pub base_url: String,
    pub account_id: i64,
    pub inbox_id: i64,
    /// Where to point the API inbox's webhook (relative to Spool's public address).
    pub webhook_path: String,
}

fn view(link: &Link) -> LinkView {
    LinkView {
        base_url: link.base_url.clone(),
        account_id: link.account_id,
        inbox_id: link.inbox_id,
        webhook_path: format!("/webhooks/chatwoot/{}", link.workspace),
    }
}

impl From<LinkError> for ApiError {
    fn from(err: LinkError) -> Self {
        match err {
            LinkError::Db(err) => err.into(),
            LinkError::NoKey => ApiError::new(
                StatusCode::CONFLICT,
                Code::SecretKeyMissing,
                "Spool has no secret key to keep Chatwoot's token with: set SPOOL_SECRET_KEY.",
            ),
            LinkError::Sealed(err) => ApiError::new(
                StatusCode::CONFLICT,
                Code::SecretKeyMissing,
                format!("The stored Chatwoot token cannot be opened with this secret key: {err}"),
            ),
        }
    }
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, Code::InvalidBody, message)
}

#[utoipa::path(
    get, path = "/api/v1/workspaces/{workspace}/chatwoot", tag = "handoffs", operation_id = "read_chatwoot_link",
    params(("workspace" = String, Path)),
    responses((status = 200, body = LinkView), (status = 403), (status = 404, description = "No link"))
)]
pub async fn read(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Admin)?;
    let key = state.config.secret_key().ok().flatten();
    let link = Link::load(&state.db, key.as_ref(), &caller.workspace)
        .await?
        .ok_or_else(|| ApiError::not_found("This workspace is not linked to Chatwoot."))?;
    Ok(HttpResponse::Ok().json(view(&link)))
}

/// Links the workspace to a Chatwoot API inbox (replacing any earlier link).
#[utoipa::path(
    put, path = "/api/v1/workspaces/{workspace}/chatwoot", tag = "handoffs", operation_id = "link_chatwoot",
    params(("workspace" = String, Path)),
    request_body = NewLink,
    responses(
        (status = 200, body = LinkView),
        (status = 403),
        (status = 409, description = "`secret_key_missing`"),
        (status = 422, description = "Not an http(s) address, an empty token or secret")
    )
)]
pub async fn link(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<NewLink>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Admin)?;
    let body = body.into_inner();
    let base_url = body.base_url.trim().trim_end_matches('/').to_owned();
    if reqwest::Url::parse(&base_url).map_or(true, |url| !matches!(url.scheme(), "http" | "https"))
    {
        return Err(invalid(format!(
            "`base_url` is Chatwoot's address, like https://chatwoot.example.com; {base_url:?} is not."
        )));
    }
    if body.api_access_token.trim().is_empty() || body.webhook_secret.trim().is_empty() {
        return Err(invalid(
            "Give the agent's access token and the inbox webhook's secret.",
        ));
    }
    let link = Link {
        workspace: caller.workspace.clone(),
        base_url,
        account_id: body.account_id,
        inbox_id: body.inbox_id,
        api_token: body.api_access_token.trim().to_owned(),
        webhook_secret: body.webhook_secret.trim().to_owned(),
    };
    let key = state.config.secret_key().ok().flatten();
    link.save(&state.db, key.as_ref(), state.now()).await?;
    state.chatwoot.reload(&state.db).await?;
    Ok(HttpResponse::Ok().json(view(&link)))
}

#[utoipa::path(
    delete, path = "/api/v1/workspaces/{workspace}/chatwoot", tag = "handoffs", operation_id = "unlink_chatwoot",
    params(("workspace" = String, Path)),
    responses((status = 204), (status = 403), (status = 404))
)]
pub async fn unlink(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Admin)?;
    if !Link::remove(&state.db, &caller.workspace).await? {
        return Err(ApiError::not_found(
            "This workspace is not linked to Chatwoot.",
        ));
    }
    state.chatwoot.reload(&state.db).await?;
    Ok(HttpResponse::NoContent().finish())
}

fn unauthorized() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        Code::InvalidSignature,
        "The webhook's signature is missing or wrong.",
    )
}

/// Whether `signature` (`sha256=<hex>`) is the HMAC of `{timestamp}.{body}` with `secret`.
fn signed(secret: &str, timestamp: &str, body: &[u8], signature: &str) -> bool {
    let Some(hex_signature) = signature.strip_prefix("sha256=") else {
        return false;
    };
    let Ok(expected) = hex::decode(hex_signature) else {
        return false;
    };
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

#[derive(Debug, Deserialize)]
pub struct WebhookPath {
    pub workspace: String,
}

/// Chatwoot's API-inbox webhook: an agent's reply (`message_created`, outgoing, not
/// private) is sent to the contact through Spool's gates; a conversation resolved
/// (`conversation_status_changed`) resolves its ticket. Anything else is taken and ignored.
/// `401` when the signature is missing or wrong or the timestamp more than 5 minutes off,
/// `404` for a workspace without a link. Not in the OpenAPI document: Chatwoot calls it.
pub async fn webhook(
    state: web::Data<AppState>,
    path: web::Path<WebhookPath>,
    request: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let key = state.config.secret_key().ok().flatten();
    let link = Link::load(&state.db, key.as_ref(), &path.workspace)
        .await?
        .ok_or_else(|| ApiError::not_found("No Chatwoot link here."))?;
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let timestamp = header("X-Chatwoot-Timestamp");
    let fresh = timestamp
        .parse::<i64>()
        .is_ok_and(|at| (state.now() / 1_000 - at).abs() <= TIMESTAMP_TOLERANCE_SECS);
    if !fresh
        || !signed(
            &link.webhook_secret,
            &timestamp,
            &body,
            &header("X-Chatwoot-Signature"),
        )
    {
        return Err(unauthorized());
    }
    let event: Value = serde_json::from_slice(&body).map_err(|err| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            Code::BadRequest,
            format!("Not JSON: {err}"),
        )
    })?;
    match event["event"].as_str() {
        Some("message_created") => agent_reply(&state, &link, &event).await?,
        Some("conversation_status_changed") if event["status"] == "resolved" => {
            resolved(&state, &link, event["id"].as_i64()).await?;
        }
        other => debug!(event = ?other, "a Chatwoot event Spool does not act on"),
    }
    Ok(HttpResponse::Ok().json(json!({ "ok": true })))
}

/// The open ticket a Chatwoot conversation mirrors.
async fn ticket_of(
    state: &AppState,
    link: &Link,
    conversation_id: Option<i64>,
) -> Result<Option<crate::db::handoff_ticket::Model>, ApiError> {
    let Some(conversation_id) = conversation_id else {
        return Ok(None);
    };
    let Some(mirror) = conversation::Entity::find()
        .filter(conversation::Column::WorkspaceId.eq(&link.workspace))
        .filter(conversation::Column::ConversationId.eq(conversation_id))
        .one(&state.db)
        .await?
    else {
        return Ok(None);
    };
    Ok(
        handoffs::find(&state.db, &link.workspace, &mirror.ticket_id)
            .await?
            .filter(|ticket| ticket.status == handoffs::OPEN),
    )
}

/// An agent's public reply: sent if the 24-hour window is open, else a private note there
/// says why (the runtime judges it again, and refuses it the same way if the window closed
/// in between).
async fn agent_reply(state: &AppState, link: &Link, event: &Value) -> Result<(), ApiError> {
    let outgoing = event["message_type"] == "outgoing";
    let private = event["private"].as_bool().unwrap_or(false);
    let content = event["content"].as_str().unwrap_or_default().trim();
    if !outgoing || private || content.is_empty() {
        return Ok(());
    }
    let Some(ticket) = ticket_of(state, link, event["conversation"]["id"].as_i64()).await? else {
        debug!("a Chatwoot reply for no open ticket");
        return Ok(());
    };
    let contact = state.store.contact(&ticket.contact_id).await?;
    let window_open = contact
        .as_ref()
        .is_some_and(|found| found.contact.window_open(state.now()));
    if !window_open {
        let note = outbox::ActiveModel {
            workspace_id: Set(link.workspace.clone()),
            contact_id: Set(ticket.contact_id.clone()),
            kind: Set(NOTE.to_owned()),
            ticket_id: Set(Some(ticket.id.clone())),
            payload: Set(json!({ "content": format!("Not sent to WhatsApp: more than 24 hours have passed since the contact last wrote, so only an approved template can be sent. Use Spool's inbox for that. Your message: {content}") }).to_string()),
            attempts: Set(0),
            next_at: Set(0),
            last_error: Set(None),
            ..Default::default()
        };
        outbox::Entity::insert(note)
            .exec_without_returning(&state.db)
            .await?;
        return Ok(());
    }
    let sender = &event["sender"];
    let who = sender["email"]
        .as_str()
        .or(sender["name"].as_str())
        .unwrap_or("an agent");
    let message_id = event["id"].as_i64().unwrap_or_default();
    let key = format!(
        "{}/{}/{message_id}/0",
        ticket.contact_id,
        spool_runtime::OPERATOR_RUN
    );
    let mut reply = Event::new(
        ticket.contact_id.clone(),
        ticket.phone.clone(),
        state.now(),
        EventKind::OperatorMessage {
            key: key.clone(),
            author: format!("{AUTHOR_PREFIX}{who}"),
            body: OutboundBody::Text {
                text: content.to_owned(),
                preview_url: false,
            },
        },
    );
    // Chatwoot delivers a webhook again when it was not answered in time: the same
    // message is sent once.
    reply.dedupe_key = Some(key);
    state.runtime.accept(reply).await?;
    state.inbox.ticket(&link.workspace, &ticket.id);
    Ok(())
}

/// A conversation resolved in Chatwoot: its ticket is resolved and the journey goes on
/// through `resolved`.
async fn resolved(
    state: &AppState,
    link: &Link,
    conversation_id: Option<i64>,
) -> Result<(), ApiError> {
    let Some(ticket) = ticket_of(state, link, conversation_id).await? else {
        return Ok(());
    };
    let now = state.now();
    if !handoffs::close(
        &state.db,
        &link.workspace,
        &ticket.id,
        "chatwoot",
        "resolved",
        now,
    )
    .await?
    {
        return Ok(());
    }
    let event = Event::new(
        ticket.contact_id.clone(),
        ticket.phone.clone(),
        now,
        EventKind::HandoffClosed {
            run_id: ticket.run_id.clone(),
        },
    );
    if let Err(err) = state.runtime.accept(event).await {
        handoffs::reopen(&state.db, &link.workspace, &ticket.id).await?;
        return Err(err.into());
    }
    info!(ticket = %ticket.id, "resolved in Chatwoot");
    state.inbox.ticket(&link.workspace, &ticket.id);
    Ok(())
}
