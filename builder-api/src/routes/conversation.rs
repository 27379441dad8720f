//! A contact's conversation over HTTP: the messages both ways, oldest first, with who sent
//! each (the contact, a journey's step) and what became of it (queued, sent, delivered, read,
//! failed and why). Read from a handoff ticket (what the operator picking it up reads) or
//! from a contact's number.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use spool_nodes::{Content, OutboundBody};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Caller, Role};
use crate::conversation::{self, IN, NOTE};
use crate::db::conversation_message;
use crate::error::{ApiError, Code};
use crate::routes::contacts::{ContactPath, contact_id, phone_in_path};
use crate::routes::handoffs::{TicketPath, found, me};
use crate::simulator::{describe_inbound, describe_outbound};
use crate::state::AppState;
use crate::time::rfc3339;

/// Messages one page holds when the caller does not say.
const PAGE: u64 = 100;
/// The most one page holds.
const MOST: u64 = 500;

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route(
            "/handoffs/{ticket}/messages",
            web::get().to(ticket_messages),
        )
        .route("/handoffs/{ticket}/notes", web::post().to(add_note))
        .route(
            "/contacts/{phone}/messages",
            web::get().to(contact_messages),
        );
}

#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    paths(ticket_messages, contact_messages, add_note),
    components(schemas(Conversation, MessageView, NewNote))
)]
pub struct Api;

/// One message of the conversation.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageView {
    /// The message's own key (stable across reads).
    pub key: String,
    /// `in` (from the contact), `out` (to them) or `note` (a private note of the team,
    /// never sent).
    pub direction: String,
    /// `contact`, `journey` or `operator`.
    pub from: String,
    /// Who wrote it in the inbox (messages from an operator).
    pub author: Option<String>,
    /// The run and step that sent it (messages out).
    pub run_id: Option<String>,
    pub node_id: Option<String>,
    /// The message as read by a person: its words, then buttons or rows on their own lines.
    pub text: String,
    /// The message itself: the content received, or the body sent.
    #[schema(value_type = Object)]
    pub message: Value,
    /// `received`; `queued`, `sent`, `delivered`, `read`, `failed`, or `refused` (an
    /// operator's message WhatsApp's rules did not let go); `note`.
    pub status: String,
    /// Why it failed, in WhatsApp's words.
    pub error: Option<String>,
    /// Sent while the 24-hour window was closed (a business-initiated message).
    pub window_closed: bool,
    /// When the contact sent it, or when it was queued.
    pub at: String,
}

/// A page of a conversation, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct Conversation {
    pub messages: Vec<MessageView>,
    /// Pass as `before` for the page before this one; null when there is none.
    pub earlier: Option<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PageQuery {
    /// Only messages before this time (ms since the epoch, from `earlier`).
    pub before: Option<i64>,
    /// At most this many messages (100 by default, 500 at most).
    pub limit: Option<u64>,
}

impl MessageView {
    pub(crate) fn of(row: conversation_message::Model) -> Self {
        let message: Value = serde_json::from_str(&row.body).unwrap_or(Value::Null);
        let inbound = row.direction == IN;
        let text = if row.direction == NOTE {
            Ok(message["text"].as_str().unwrap_or_default().to_owned())
        } else if inbound {
            serde_json::from_value::<Content>(message.clone())
                .map(|content| describe_inbound(&content))
        } else {
            serde_json::from_value::<OutboundBody>(message.clone())
                .map(|body| describe_outbound(&body))
        }
        .unwrap_or_default();
        Self {
            key: row.key,
            direction: row.direction,
            from: match (inbound, &row.author) {
                (true, _) => "contact",
                (false, Some(_)) => "operator",
                (false, None) => "journey",
            }
            .to_owned(),
            author: row.author,
            run_id: row.run_id,
            node_id: row.node_id,
            text,
            message,
            status: row.status,
            error: row.error,
            window_closed: row.window_closed,
            at: rfc3339(row.at),
        }
    }
}

async fn page(
    state: &AppState,
    contact_id: &str,
    query: &PageQuery,
) -> Result<Conversation, ApiError> {
    let limit = query.limit.unwrap_or(PAGE);
    if limit == 0 || limit > MOST {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            Code::BadRequest,
            format!("`limit` is from 1 to {MOST}."),
        ));
    }
    // One more than asked tells whether there is a page before this one.
    let mut rows = conversation::of_contact(&state.db, contact_id, query.before, limit + 1).await?;
    let earlier = if rows.len() as u64 > limit {
        rows.remove(0);
        rows.first().map(|row| row.at)
    } else {
        None
    };
    Ok(Conversation {
        messages: rows.into_iter().map(MessageView::of).collect(),
        earlier,
    })
}

/// The conversation of the ticket's contact: what the operator picking it up reads.
#[utoipa::path(
    get, path = "/api/v1/workspaces/{workspace}/handoffs/{ticket}/messages", tag = "handoffs",
    operation_id = "handoff_messages",
    params(("workspace" = String, Path), ("ticket" = String, Path), PageQuery),
    responses((status = 200, body = Conversation), (status = 400), (status = 404))
)]
pub async fn ticket_messages(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<TicketPath>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let ticket = found(&state, &caller, &path.ticket).await?;
    Ok(HttpResponse::Ok().json(page(&state, &ticket.contact_id, &query).await?))
}

/// The conversation with a contact, by number.
#[utoipa::path(
    get, path = "/api/v1/workspaces/{workspace}/contacts/{phone}/messages", tag = "contacts",
    operation_id = "contact_messages",
    params(("workspace" = String, Path), ("phone" = String, Path), PageQuery),
    responses((status = 200, body = Conversation), (status = 400), (status = 404))
)]
pub async fn contact_messages(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<ContactPath>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let phone = phone_in_path(&path.phone)?;
    let id = contact_id(&state, &caller, &phone).await?;
    Ok(HttpResponse::Ok().json(page(&state, &id, &query).await?))
}

/// A note for the team.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNote {
    pub text: String,
}

/// The longest note.
const LONGEST_NOTE: usize = 4_096;

/// Adds a private note to the ticket's conversation: for the team, never sent to the contact.
#[utoipa::path(
    post, path = "/api/v1/workspaces/{workspace}/handoffs/{ticket}/notes", tag = "handoffs",
    operation_id = "note_on_handoff",
    params(("workspace" = String, Path), ("ticket" = String, Path)),
    request_body = NewNote,
    responses(
        (status = 201, body = MessageView),
        (status = 400, description = "An empty note, or one over 4,096 characters"),
        (status = 403, description = "Needs the operator role"),
        (status = 404)
    )
)]
pub async fn add_note(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<TicketPath>,
    body: web::Json<NewNote>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Operator)?;
    let ticket = found(&state, &caller, &path.ticket).await?;
    let text = body.text.trim();
    if text.is_empty() || text.chars().count() > LONGEST_NOTE {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            Code::BadRequest,
            format!("Write a note of 1 to {LONGEST_NOTE} characters."),
        ));
    }
    let note = conversation::add_note(
        &state.db,
        &ticket.contact_id,
        &ticket.run_id,
        &me(&caller),
        text,
        state.now(),
    )
    .await?;
    state.inbox.message(&caller.workspace, &ticket.id);
    Ok(HttpResponse::Created().json(MessageView::of(note)))
}
