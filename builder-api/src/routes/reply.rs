//! Answering a handed-over contact from the inbox: free text (with quick-reply buttons, if
//! any) or a file by link while the 24-hour window is open, an APPROVED template once it is
//! closed (Marketing ones only to contacts who opted in). What WhatsApp's rules forbid now is refused here with the reason, before anything is
//! queued; what is allowed goes into the contact's log as an `operator_message` event, which
//! the runtime judges again when it applies it (the window may close in between) and sends
//! through the same outbox, limits and statuses as a journey's messages. Replying to a
//! conversation no one has taken takes it.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::json;
use spool_nodes::{Choice, DAY, OutboundBody, TemplateCatalog, TemplateCategory};
use spool_runtime::{Event, EventKind};
use utoipa::ToSchema;

use crate::auth::{Caller, Role};
use crate::error::{ApiError, Code};
use crate::handoffs::{self, Claim};
use crate::routes::handoffs::{TicketPath, closed_already, found, me};
use crate::state::AppState;
use crate::time::rfc3339;

/// WhatsApp's longest text message.
const LONGEST_TEXT: usize = 4_096;
/// WhatsApp's reply buttons: at most 3, titles of at most 20 characters.
const MOST_BUTTONS: usize = 3;
const LONGEST_BUTTON: usize = 20;
/// WhatsApp's longest media caption.
const LONGEST_CAPTION: usize = 1_024;

pub fn configure(config: &mut web::ServiceConfig) {
    config.route("/handoffs/{ticket}/messages", web::post().to(reply));
}

#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    paths(reply),
    components(schemas(Reply, MediaReply, TemplateReply, Queued))
)]
pub struct Api;

/// What the operator sends: exactly one of `text` (with `buttons`, if any), `media` and
/// `template`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reply {
    /// Free text: only while the contact's 24-hour window is open.
    pub text: Option<String>,
    /// Up to 3 quick-reply buttons under `text` (their titles, up to 20 characters): the
    /// contact's tap comes back into the conversation.
    #[serde(default)]
    pub buttons: Vec<String>,
    /// A picture, video, audio or document by its public `https` link: only while the
    /// window is open.
    pub media: Option<MediaReply>,
    /// An APPROVED template of the contact's WhatsApp number.
    pub template: Option<TemplateReply>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MediaReply {
    /// `image`, `video`, `audio` or `document`.
    #[schema(value_type = String)]
    pub kind: spool_flows::config::MediaKind,
    pub url: String,
    pub caption: Option<String>,
    /// For a document: the name the contact sees.
    pub filename: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateReply {
    pub name: String,
    /// As WhatsApp spells it: `en_US`, `pt_BR`.
    pub language: String,
    /// The values of the body's placeholders, in order.
    #[serde(default)]
    pub body: Vec<String>,
}

/// The message is in the contact's log; it shows in the conversation once the runtime has
/// applied it, as `queued` (then `sent`, `delivered`…) or `refused` with the reason.
#[derive(Debug, Serialize, ToSchema)]
pub struct Queued {
    pub key: String,
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, Code::BadRequest, message)
}

/// Reply buttons from their titles: at most 3, each 1 to 20 characters, all different.
fn quick_replies(titles: Vec<String>) -> Result<Vec<Choice>, ApiError> {
    if titles.len() > MOST_BUTTONS {
        return Err(bad(format!(
            "WhatsApp shows at most {MOST_BUTTONS} reply buttons."
        )));
    }
    let mut buttons: Vec<Choice> = Vec::with_capacity(titles.len());
    for (index, title) in titles.into_iter().enumerate() {
        let title = title.trim().to_owned();
        if title.is_empty() || title.chars().count() > LONGEST_BUTTON {
            return Err(bad(format!(
                "A button's title is 1 to {LONGEST_BUTTON} characters; {title:?} is not."
            )));
        }
        if buttons.iter().any(|button| button.title == title) {
            return Err(bad(format!("Two buttons say {title:?}.")));
        }
        buttons.push(Choice {
            id: format!("inbox_{}", index + 1),
            title,
            description: None,
        });
    }
    Ok(buttons)
}

fn refused(code: Code, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, code, message)
}

/// Sends a message to the ticket's contact from the inbox.
#[utoipa::path(
    post, path = "/api/v1/workspaces/{workspace}/handoffs/{ticket}/messages", tag = "handoffs",
    operation_id = "reply_to_handoff",
    params(("workspace" = String, Path), ("ticket" = String, Path)),
    request_body = Reply,
    responses(
        (status = 202, body = Queued),
        (status = 400, description = "Not exactly one of text, media and template; an empty or too long text; more than 3 buttons or a bad title; media not by https link"),
        (status = 403, description = "Needs the operator role; someone else's conversation needs an admin"),
        (status = 404),
        (status = 409, description = "`ticket_closed`, `ticket_claimed`, `window_closed` (details.closed_at), `no_opt_in`, `template_not_approved`")
    )
)]
pub async fn reply(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<TicketPath>,
    body: web::Json<Reply>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Operator)?;
    let ticket = found(&state, &caller, &path.ticket).await?;
    if ticket.status != handoffs::OPEN {
        return Err(closed_already());
    }
    let me = me(&caller);
    match ticket.assignee.as_deref() {
        Some(owner) if owner != me && caller.role < Role::Admin => {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                Code::Forbidden,
                format!(
                    "{owner} is working on this conversation: only they, or an admin, can answer."
                ),
            ));
        }
        _ => {}
    }

    // The ticket may know of a message the store's state is about to have (its batch is
    // being committed): the window is judged on a state at least as recent as the ticket.
    // The ticket keeps when a message arrived, the state when WhatsApp stamped it (to the
    // second, and up to 2 s before it arrived): within 3 s they are the same message.
    let heard = ticket.last_inbound_at;
    let contact = crate::routes::contacts::committed(&state, &ticket.contact_id, |found| {
        heard.is_none_or(|heard| {
            found
                .contact
                .last_inbound_at
                .is_some_and(|at| at + 3 * spool_nodes::SECOND >= heard)
        })
    })
    .await?
    .ok_or_else(|| ApiError::not_found("The contact of this conversation was erased."))?
    .contact;
    let now = state.now();
    let window_closed = || {
        let closed_at = contact.last_inbound_at.map(|at| rfc3339(at + DAY));
        let mut error = refused(
            Code::WindowClosed,
            "More than 24 hours have passed since the contact last wrote: only an approved template can be sent now.",
        );
        error.details = json!({ "closed_at": closed_at });
        error
    };
    let body = match body.into_inner() {
        Reply {
            text: Some(text),
            buttons,
            media: None,
            template: None,
        } => {
            let text = text.trim().to_owned();
            if text.is_empty() || text.chars().count() > LONGEST_TEXT {
                return Err(bad(format!(
                    "Write a message of 1 to {LONGEST_TEXT} characters."
                )));
            }
            let buttons = quick_replies(buttons)?;
            if !contact.window_open(now) {
                return Err(window_closed());
            }
            if buttons.is_empty() {
                OutboundBody::Text {
                    text,
                    preview_url: false,
                }
            } else {
                OutboundBody::Buttons {
                    text,
                    header: None,
                    footer: None,
                    buttons,
                }
            }
        }
        Reply {
            text: None,
            buttons,
            media: Some(media),
            template: None,
        } if buttons.is_empty() => {
            let https =
                reqwest::Url::parse(media.url.trim()).is_ok_and(|url| url.scheme() == "https");
            if !https {
                return Err(bad(
                    "WhatsApp fetches media from a public https link: give one in `url`.",
                ));
            }
            let caption = media.caption.map(|caption| caption.trim().to_owned());
            if caption
                .as_ref()
                .is_some_and(|caption| caption.chars().count() > LONGEST_CAPTION)
            {
                return Err(bad(format!(
                    "A caption is at most {LONGEST_CAPTION} characters."
                )));
            }
            if !contact.window_open(now) {
                return Err(window_closed());
            }
            OutboundBody::Media {
                kind: media.kind,
                url: media.url.trim().to_owned(),
                caption: caption.filter(|caption| !caption.is_empty()),
                filename: media.filename,
            }
        }
        Reply {
            text: None,
            buttons,
            media: None,
            template: Some(template),
        } if buttons.is_empty() => {
            let category = approved_category(&state, &contact, &template)?;
            if category == TemplateCategory::Marketing && !contact.opted_in() {
                return Err(refused(
                    Code::NoOptIn,
                    format!(
                        "{} is a Marketing template and the contact has not agreed to Marketing messages.",
                        template.name
                    ),
                ));
            }
            OutboundBody::Template {
                name: template.name,
                language: template.language,
                category,
                header: Vec::new(),
                body: template.body,
                buttons: Vec::new(),
            }
        }
        _ => {
            return Err(bad(
                "Send exactly one of `text` (with `buttons`, if any), `media` and `template`.",
            ));
        }
    };

    // Taken only once the message is known to be sendable: a refused reply takes nothing.
    if ticket.assignee.is_none() {
        match handoffs::claim(&state.db, &caller.workspace, &ticket.id, &me, now).await? {
            Claim::Claimed(_) => {}
            Claim::Taken { by } => {
                let mut error = refused(
                    Code::TicketClaimed,
                    format!("{by} took this conversation just now."),
                );
                error.details = json!({ "by": by });
                return Err(error);
            }
            Claim::Closed => return Err(closed_already()),
            Claim::Unknown => return Err(ApiError::not_found("No such handoff.")),
        }
    }
    let key = format!(
        "{}/{}/{}/0",
        ticket.contact_id,
        spool_runtime::OPERATOR_RUN,
        uuid::Uuid::now_v7().as_u64_pair().1
    );
    let mut event = Event::new(
        ticket.contact_id.clone(),
        ticket.phone.clone(),
        now,
        EventKind::OperatorMessage {
            key: key.clone(),
            author: me,
            body,
        },
    );
    event.dedupe_key = Some(key.clone());
    state.runtime.accept(event).await?;
    // Taken by this reply, perhaps; the message itself follows once the runtime applied it.
    state.inbox.ticket(&caller.workspace, &ticket.id);
    Ok(HttpResponse::Accepted().json(Queued { key }))
}

/// The template's category now, if it is APPROVED in `language` for the contact's number.
fn approved_category(
    state: &AppState,
    contact: &spool_nodes::Contact,
    template: &TemplateReply,
) -> Result<TemplateCategory, ApiError> {
    let not_approved = || {
        refused(
            Code::TemplateNotApproved,
            format!(
                "{} in {} is not an approved template of this WhatsApp number: pick one from the list.",
                template.name, template.language
            ),
        )
    };
    let facts = state
        .templates
        .catalog()
        .template(contact, &template.name)
        .ok_or_else(not_approved)?;
    facts
        .approved
        .iter()
        .find(|translation| translation.language == template.language)
        .and_then(|translation| translation.category)
        .ok_or_else(not_approved)
}
