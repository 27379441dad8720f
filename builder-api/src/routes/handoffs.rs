//! The handoff queue over HTTP: list the tickets (unassigned / mine / all open / closed, with
//! counts for the tabs), read one, claim it (one owner at a time), release it, and close it
//! as resolved — the run then goes on through the handoff node's `resolved` port.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::json;
use spool_nodes::DAY;
use spool_runtime::{Event, EventKind};
use utoipa::ToSchema;

use crate::audit;
use crate::auth::{Actor, Caller, Role};
use crate::db::handoff_ticket;
use crate::error::{ApiError, Code};
use crate::handoffs::{self, Claim, View};
use crate::state::AppState;
use crate::time::rfc3339;

/// A close that sends the run on through the handoff's `resolved` port.
const RESOLVED: &str = "resolved";
/// A close that ends the journey for the contact.
const ENDED: &str = "ended";
/// A close that ends the journey and starts another one for the contact.
const MOVED: &str = "moved";

/// The runtime's id of the workspace's published flow `flow`, or why the contact cannot go
/// there.
fn published_flow(state: &AppState, caller: &Caller, flow: &str) -> Result<String, ApiError> {
    let scoped = spool_runtime::ScopedId::new(&caller.workspace, flow).to_string();
    if state.published.registry().published(&scoped).is_none() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            Code::NotPublished,
            format!(
                "There is no live journey `{flow}` in this workspace: publish it first, or pick another."
            ),
        ));
    }
    Ok(scoped)
}

/// The most tickets one list answers.
const LIST_LIMIT: u64 = 200;

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/handoffs", web::get().to(list))
        .route("/handoffs/{ticket}", web::get().to(read))
        .route("/handoffs/{ticket}/claim", web::post().to(claim))
        .route("/handoffs/{ticket}/release", web::post().to(release))
        .route("/handoffs/{ticket}/close", web::post().to(close));
}

#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    paths(list, read, claim, release, close),
    components(schemas(Ticket, TicketList, TicketCounts, CloseTicket))
)]
pub struct Api;

/// A contact a journey handed to a person.
#[derive(Debug, Serialize, ToSchema)]
pub struct Ticket {
    pub id: String,
    /// `open` or `closed`.
    pub status: String,
    /// The contact's number in E.164 (`+…`); absent for a contact known only by its BSUID.
    pub phone: Option<String>,
    /// The contact's name when the handoff was raised, if known.
    pub contact_name: Option<String>,
    pub flow_id: String,
    /// The content hash of the version the run is on.
    pub version: String,
    /// The handoff node that raised it.
    pub node_id: String,
    pub team: String,
    /// The node's note, filled in with what the journey knew.
    pub note: Option<String>,
    pub run_id: String,
    /// Who works it (their email), if anyone.
    pub assignee: Option<String>,
    pub assigned_at: Option<String>,
    pub raised_at: String,
    /// What happens if no one closes it: the run leaves through `timeout` at this time.
    pub times_out_at: Option<String>,
    /// When the 24-hour window (free-form messages) closes, counted from the contact's last
    /// message before the handoff; absent when it was already closed or never opened.
    pub window_closes_at: Option<String>,
    pub closed_at: Option<String>,
    /// Who closed it (an email), or `journey` when the run left by itself.
    pub closed_by: Option<String>,
    /// `resolved`, or `left` (the run timed out, was cancelled or erased).
    pub outcome: Option<String>,
}

impl Ticket {
    pub(crate) fn of(model: handoff_ticket::Model) -> Self {
        Self {
            phone: (!model.phone.is_empty()).then(|| format!("+{}", model.phone)),
            contact_name: model.contact_name,
            // Only a window that was still open when the contact was handed over.
            window_closes_at: model
                .last_inbound_at
                .map(|at| at + DAY)
                .filter(|closes| *closes > model.raised_at)
                .map(rfc3339),
            id: model.id,
            status: model.status,
            flow_id: model.flow_id,
            version: model.version,
            node_id: model.node_id,
            team: model.team,
            note: model.note,
            run_id: model.run_id,
            assignee: model.assignee,
            assigned_at: model.assigned_at.map(rfc3339),
            raised_at: rfc3339(model.raised_at),
            times_out_at: model.waits_until.map(rfc3339),
            closed_at: model.closed_at.map(rfc3339),
            closed_by: model.closed_by,
            outcome: model.outcome,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketCounts {
    pub open: u64,
    pub unassigned: u64,
    pub mine: u64,
    pub closed: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketList {
    pub tickets: Vec<Ticket>,
    /// Tickets per tab, whatever the view.
    pub counts: TicketCounts,
    /// The teams open tickets wait for (the team filter's choices).
    pub teams: Vec<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseTicket {
    /// `resolved` (the default): the run goes on through the node's `resolved` port;
    /// `ended`: the journey ends here for the contact (its run is cancelled); `moved`: it
    /// ends here and the published journey `flow` starts for the contact.
    #[serde(default)]
    pub outcome: Option<String>,
    /// With `moved`: the journey the contact goes to.
    #[serde(default)]
    pub flow: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct TicketPath {
    #[allow(dead_code)]
    workspace: String,
    pub ticket: String,
}

fn bad(code: Code, message: String) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, code, message)
}

/// Whom "mine" means: a person's email; an API key works as its id.
pub(crate) fn me(caller: &Caller) -> String {
    match &caller.actor {
        Actor::User { email, .. } => email.clone(),
        Actor::ApiKey { id, .. } => format!("api_key:{id}"),
    }
}

/// What a list asks for: the view, a team, how many tickets at most.
struct ListQuery {
    view: View,
    team: Option<String>,
    limit: u64,
}

fn parse_list_query(request: &HttpRequest) -> Result<ListQuery, ApiError> {
    let pairs = web::Query::<Vec<(String, String)>>::from_query(request.query_string())
        .map_err(|err| {
            bad(
                Code::InvalidQuery,
                format!("The query cannot be read: {err}."),
            )
        })?
        .into_inner();
    let mut view = View::Open;
    let mut team = None;
    let mut limit = LIST_LIMIT;
    for (name, value) in pairs {
        match name.as_str() {
            "view" => {
                view = match value.as_str() {
                    "unassigned" => View::Unassigned,
                    "mine" => View::Mine,
                    "open" => View::Open,
                    "closed" => View::Closed,
                    other => {
                        return Err(bad(
                            Code::InvalidQuery,
                            format!(
                                "`view` is one of unassigned, mine, open and closed; {other:?} is not."
                            ),
                        ));
                    }
                }
            }
            "team" => team = Some(value),
            "limit" => {
                limit = value
                    .parse::<u64>()
                    .ok()
                    .filter(|n| *n <= LIST_LIMIT)
                    .ok_or_else(|| {
                        bad(
                            Code::InvalidQuery,
                            format!(
                                "`limit` is a number from 0 to {LIST_LIMIT}; {value:?} is not."
                            ),
                        )
                    })?;
            }
            other => {
                return Err(bad(
                    Code::UnknownParameter,
                    format!("Unknown parameter `{other}`: this takes `view`, `team` and `limit`."),
                ));
            }
        }
    }
    Ok(ListQuery { view, team, limit })
}

/// The queue: open tickets longest waiting first (or the latest closed ones), with counts.
#[utoipa::path(
    get, path = "/api/v1/workspaces/{workspace}/handoffs", tag = "handoffs", operation_id = "list_handoffs",
    params(
        ("workspace" = String, Path),
        ("view" = Option<String>, Query, description = "`unassigned`, `mine`, `open` (the default) or `closed`"),
        ("team" = Option<String>, Query, description = "Only this team's tickets"),
        ("limit" = Option<u64>, Query, description = "At most this many tickets (0 to 200, 200 when absent); 0 answers the counts alone")
    ),
    responses((status = 200, body = TicketList), (status = 400))
)]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let ListQuery { view, team, limit } = parse_list_query(&request)?;
    let me = me(&caller);
    let tickets = handoffs::list(
        &state.db,
        &caller.workspace,
        view,
        &me,
        team.as_deref(),
        limit,
    )
    .await?
    .into_iter()
    .map(Ticket::of)
    .collect();
    let counts = handoffs::counts(&state.db, &caller.workspace, &me).await?;
    Ok(HttpResponse::Ok().json(TicketList {
        tickets,
        counts: TicketCounts {
            open: counts.open,
            unassigned: counts.unassigned,
            mine: counts.mine,
            closed: counts.closed,
        },
        teams: handoffs::teams(&state.db, &caller.workspace).await?,
    }))
}

pub(crate) async fn found(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<handoff_ticket::Model, ApiError> {
    handoffs::find(&state.db, &caller.workspace, id)
        .await?
        .ok_or_else(|| unknown_ticket(id))
}

#[utoipa::path(
    get, path = "/api/v1/workspaces/{workspace}/handoffs/{ticket}", tag = "handoffs", operation_id = "read_handoff",
    params(("workspace" = String, Path), ("ticket" = String, Path)),
    responses((status = 200, body = Ticket), (status = 404))
)]
pub async fn read(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<TicketPath>,
) -> Result<HttpResponse, ApiError> {
    let ticket = found(&state, &caller, &path.ticket).await?;
    Ok(HttpResponse::Ok().json(Ticket::of(ticket)))
}

/// Takes the ticket: its one owner from now on. Of two people claiming at once, one gets
/// it and the other is told who did (`409 ticket_claimed`, `details.by`).
#[utoipa::path(
    post, path = "/api/v1/workspaces/{workspace}/handoffs/{ticket}/claim", tag = "handoffs", operation_id = "claim_handoff",
    params(("workspace" = String, Path), ("ticket" = String, Path)),
    responses(
        (status = 200, body = Ticket),
        (status = 403, description = "Needs the operator role"),
        (status = 404),
        (status = 409, description = "`ticket_claimed`: someone else has it; `ticket_closed`")
    )
)]
pub async fn claim(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<TicketPath>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Operator)?;
    let me = me(&caller);
    let now = state.now();
    match handoffs::claim(&state.db, &caller.workspace, &path.ticket, &me, now).await? {
        Claim::Claimed(ticket) => {
            state.inbox.ticket(&caller.workspace, &ticket.id);
            Ok(HttpResponse::Ok().json(Ticket::of(*ticket)))
        }
        Claim::Taken { by } => {
            let mut error = ApiError::new(
                StatusCode::CONFLICT,
                Code::TicketClaimed,
                format!("{by} is working on this conversation already."),
            );
            error.details = json!({ "by": by });
            Err(error)
        }
        Claim::Closed => Err(closed_already()),
        Claim::Unknown => Err(unknown_ticket(&path.ticket)),
    }
}

fn unknown_ticket(id: &str) -> ApiError {
    ApiError::not_found(format!("No handoff {id} in this workspace."))
}

pub(crate) fn closed_already() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        Code::TicketClosed,
        "This conversation is closed already.",
    )
}

/// Lets go of a ticket (back to unassigned): its owner, or an admin for anyone's.
#[utoipa::path(
    post, path = "/api/v1/workspaces/{workspace}/handoffs/{ticket}/release", tag = "handoffs", operation_id = "release_handoff",
    params(("workspace" = String, Path), ("ticket" = String, Path)),
    responses(
        (status = 200, body = Ticket),
        (status = 403, description = "Needs the operator role, and to own it unless admin"),
        (status = 404),
        (status = 409, description = "`ticket_closed`")
    )
)]
pub async fn release(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<TicketPath>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Operator)?;
    let ticket = found(&state, &caller, &path.ticket).await?;
    if ticket.status == handoffs::CLOSED {
        return Err(closed_already());
    }
    let me = me(&caller);
    let admin = caller.role >= Role::Admin;
    if ticket.assignee.as_deref().is_some_and(|owner| owner != me) && !admin {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            Code::Forbidden,
            "Only the person working on this conversation, or an admin, can let it go.",
        ));
    }
    handoffs::release(&state.db, &caller.workspace, &path.ticket, &me, admin).await?;
    let ticket = found(&state, &caller, &path.ticket).await?;
    state.inbox.ticket(&caller.workspace, &ticket.id);
    Ok(HttpResponse::Ok().json(Ticket::of(ticket)))
}

/// Closes the ticket as resolved (the run goes on through the handoff node's `resolved`
/// port) or ended (the journey ends here for the contact), moments later, in order with
/// the contact's other events.
#[utoipa::path(
    post, path = "/api/v1/workspaces/{workspace}/handoffs/{ticket}/close", tag = "handoffs", operation_id = "resolve_handoff",
    params(("workspace" = String, Path), ("ticket" = String, Path)),
    request_body(content = Option<CloseTicket>),
    responses(
        (status = 200, body = Ticket),
        (status = 400, description = "`invalid_body`: an outcome other than `resolved`, `ended` or `moved`, or `moved` without `flow`"),
        (status = 422, description = "`not_published`: `flow` is not a live journey of the workspace"),
        (status = 403, description = "Needs the operator role; someone else's ticket needs the admin role"),
        (status = 404),
        (status = 409, description = "`ticket_closed`")
    )
)]
pub async fn close(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<TicketPath>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Operator)?;
    let asked: CloseTicket = if body.iter().all(u8::is_ascii_whitespace) {
        CloseTicket::default()
    } else {
        crate::routes::parse_json(&body)?
    };
    let outcome = asked.outcome.as_deref().unwrap_or(RESOLVED);
    if ![RESOLVED, ENDED, MOVED].contains(&outcome) {
        return Err(bad(
            Code::InvalidBody,
            "`outcome` is `resolved` (the run goes on through the node's `resolved` port), `ended` (the journey ends here) or `moved` (with `flow`: another journey starts)."
                .to_owned(),
        ));
    }
    let next_flow = match (outcome, asked.flow.as_deref()) {
        (MOVED, Some(flow)) => Some(published_flow(&state, &caller, flow)?),
        (MOVED, None) => {
            return Err(bad(
                Code::InvalidBody,
                "Say which journey the contact goes to: `flow`.".to_owned(),
            ));
        }
        (_, Some(_)) => {
            return Err(bad(
                Code::InvalidBody,
                "`flow` goes with `\"outcome\": \"moved\"` only.".to_owned(),
            ));
        }
        (_, None) => None,
    };
    let ticket = found(&state, &caller, &path.ticket).await?;
    let me = me(&caller);
    if let Some(owner) = ticket.assignee.as_deref()
        && owner != me
        && caller.role < Role::Admin
        && ticket.status == handoffs::OPEN
    {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            Code::Forbidden,
            format!(
                "{owner} is working on this conversation: only they, or an admin, can resolve it."
            ),
        ));
    }
    let now = state.now();
    // Closed here first: of a close and the run timing out at once, one closes it.
    if !handoffs::close(&state.db, &caller.workspace, &ticket.id, &me, outcome, now).await? {
        return Err(closed_already());
    }
    let run_id = ticket.run_id.clone();
    let kind = if outcome == RESOLVED {
        EventKind::HandoffClosed { run_id }
    } else {
        EventKind::CancelRun { run_id }
    };
    let event = Event::new(ticket.contact_id.clone(), ticket.phone.clone(), now, kind);
    if let Err(err) = state.runtime.accept(event).await {
        handoffs::reopen(&state.db, &caller.workspace, &ticket.id).await?;
        return Err(err.into());
    }
    // Applied after the cancel, in the contact's order: the journey ends, then the next one
    // starts.
    if let Some(flow_id) = next_flow {
        let start = Event::new(
            ticket.contact_id.clone(),
            ticket.phone.clone(),
            now,
            EventKind::StartFlow { flow_id },
        );
        state.runtime.accept(start).await?;
    }
    audit::record(
        &state.db,
        &caller.workspace,
        &caller.actor.label(),
        &format!("handoff.{outcome}"),
        &format!("handoff:{}", ticket.id),
        json!({ "flow_id": ticket.flow_id, "run_id": ticket.run_id }),
        now,
    )
    .await?;
    let ticket = found(&state, &caller, &path.ticket).await?;
    state.inbox.ticket(&caller.workspace, &ticket.id);
    Ok(HttpResponse::Ok().json(Ticket::of(ticket)))
}
