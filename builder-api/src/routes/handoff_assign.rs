//! Handing a conversation to someone else: a colleague (an operator, editor or admin of the
//! workspace), back to the queue, or to another team. Its owner does it, or anyone while no
//! one owns it, or an admin for anyone's; of two people changing it at once one wins and the
//! other is told who has it.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Deserializer};
use serde_json::json;
use utoipa::ToSchema;

use crate::auth::{Caller, Role};
use crate::db::{membership, user};
use crate::error::{ApiError, Code};
use crate::handoffs::{self, Claim, Handover};
use crate::routes::handoffs::{Ticket, TicketPath, closed_already, found, me};
use crate::state::AppState;

/// The longest team name.
const LONGEST_TEAM: usize = 100;

pub fn configure(config: &mut web::ServiceConfig) {
    config.route("/handoffs/{ticket}/assign", web::post().to(assign));
}

#[derive(Debug, utoipa::OpenApi)]
#[openapi(paths(assign), components(schemas(Assign)))]
pub struct Api;

/// Who has the conversation next: `to` a person (their email), or `null` for the queue;
/// `team` another team. At least one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Assign {
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub to: Option<Option<String>>,
    pub team: Option<String>,
}

/// `"to": null` is said (back to the queue), unlike no `to` at all.
fn present<'de, D: Deserializer<'de>>(from: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(from).map(Some)
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        Code::InvalidAssignee,
        message,
    )
}

/// The member `email` of the workspace, if they may work the inbox.
async fn colleague(state: &AppState, workspace: &str, email: &str) -> Result<String, ApiError> {
    let not_one = || {
        invalid(format!(
            "{email} is not an operator, editor or admin of this workspace."
        ))
    };
    let person = user::Entity::find()
        .filter(user::Column::Email.eq(email.trim().to_lowercase()))
        .one(&state.db)
        .await?
        .ok_or_else(not_one)?;
    let member = membership::Entity::find_by_id((workspace.to_owned(), person.id))
        .one(&state.db)
        .await?
        .ok_or_else(not_one)?;
    match Role::parse(&member.role) {
        Some(role) if role >= Role::Operator => Ok(person.email),
        _ => Err(not_one()),
    }
}

/// Gives the conversation to a colleague, back to the queue, or to another team.
#[utoipa::path(
    post, path = "/api/v1/workspaces/{workspace}/handoffs/{ticket}/assign", tag = "handoffs",
    operation_id = "assign_handoff",
    params(("workspace" = String, Path), ("ticket" = String, Path)),
    request_body = Assign,
    responses(
        (status = 200, body = Ticket),
        (status = 403, description = "Needs the operator role"),
        (status = 404),
        (status = 409, description = "`ticket_claimed` (someone else has it: details.by), `ticket_closed`"),
        (status = 422, description = "`invalid_assignee`: not a colleague who works the inbox, an empty or too long team, or nothing to change")
    )
)]
pub async fn assign(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<TicketPath>,
    body: web::Json<Assign>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Operator)?;
    let Assign { to, team } = body.into_inner();
    if to.is_none() && team.is_none() {
        return Err(invalid("Say who takes it (`to`), or which team (`team`)."));
    }
    let team = match team.map(|team| team.trim().to_owned()) {
        Some(team) if team.is_empty() || team.chars().count() > LONGEST_TEAM => {
            return Err(invalid(format!(
                "A team's name is 1 to {LONGEST_TEAM} characters."
            )));
        }
        other => other,
    };
    let ticket = found(&state, &caller, &path.ticket).await?;
    let person = match to {
        Some(Some(email)) => Some(colleague(&state, &caller.workspace, &email).await?),
        Some(None) => None,
        // Only the team changes: whoever has it keeps it.
        None => ticket.assignee.clone(),
    };
    let me = me(&caller);
    let admin = caller.role >= Role::Admin;
    let now = state.now();
    let assigned = handoffs::assign(
        &state.db,
        &caller.workspace,
        &ticket.id,
        (&me, admin),
        Handover {
            person: person.as_deref(),
            team: team.as_deref(),
        },
        now,
    )
    .await?;
    match assigned {
        Claim::Claimed(ticket) => {
            state.inbox.ticket(&caller.workspace, &ticket.id);
            Ok(HttpResponse::Ok().json(Ticket::of(*ticket)))
        }
        Claim::Taken { by } => {
            let mut error = ApiError::new(
                StatusCode::CONFLICT,
                Code::TicketClaimed,
                format!(
                    "{by} is working on this conversation: only they, or an admin, can hand it on."
                ),
            );
            error.details = json!({ "by": by });
            Err(error)
        }
        Claim::Closed => Err(closed_already()),
        Claim::Unknown => Err(ApiError::not_found("No such handoff.")),
    }
}
