//! Broadcast campaigns over HTTP: make one (a published flow with a `broadcast` trigger,
//! and a segment, conditions or a list of numbers), read its pre-flight, start it (now or at
//! its time), pause, resume or cancel it at any point, and follow it: counts by state, rate,
//! time left, each recipient.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Deserialize;
use serde_json::json;

use crate::auth::{Caller, Role};
use crate::campaigns::{self, preflight::Preflight};
use crate::db::{campaign, campaign_recipient};
use crate::error::{ApiError, Code};
use crate::state::AppState;
use crate::time::rfc3339;

mod create;
mod view;

use create::NewCampaign;
use view::{CampaignList, CampaignView, Progress, RecipientList, RecipientView, view};

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/campaigns", web::get().to(list))
        .route("/campaigns", web::post().to(create::create))
        .route("/campaigns/{campaign}", web::get().to(read))
        .route("/campaigns/{campaign}/preflight", web::get().to(preflight))
        .route("/campaigns/{campaign}/start", web::post().to(start))
        .route("/campaigns/{campaign}/pause", web::post().to(pause))
        .route("/campaigns/{campaign}/resume", web::post().to(resume))
        .route("/campaigns/{campaign}/cancel", web::post().to(cancel))
        .route(
            "/campaigns/{campaign}/recipients",
            web::get().to(recipients),
        );
}

#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    paths(
        list,
        create::create,
        read,
        preflight,
        start,
        pause,
        resume,
        cancel,
        recipients
    ),
    components(schemas(
        NewCampaign,
        CampaignView,
        CampaignList,
        Progress,
        RecipientView,
        RecipientList,
        Preflight,
        crate::campaigns::preflight::LimitUse
    ))
)]
pub struct Api;

#[derive(Debug, Deserialize)]
pub struct CampaignPath {
    pub workspace: String,
    pub campaign: String,
}

pub(super) fn bad(code: Code, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, code, message)
}

async fn found(state: &AppState, caller: &Caller, id: &str) -> Result<campaign::Model, ApiError> {
    campaign::Entity::find_by_id(id.to_owned())
        .filter(campaign::Column::WorkspaceId.eq(caller.workspace.as_str()))
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::not_found("No such campaign in this workspace."))
}

/// The workspace's campaigns, newest first.
#[utoipa::path(
    get, path = "/api/v1/workspaces/{workspace}/campaigns", tag = "campaigns", operation_id = "list_campaigns",
    params(("workspace" = String, Path)),
    responses((status = 200, body = CampaignList))
)]
pub async fn list(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    let rows = campaign::Entity::find()
        .filter(campaign::Column::WorkspaceId.eq(caller.workspace.as_str()))
        .order_by_desc(campaign::Column::CreatedAt)
        .limit(100)
        .all(&state.db)
        .await?;
    let mut campaigns = Vec::with_capacity(rows.len());
    for row in rows {
        campaigns.push(view(&state, row).await?);
    }
    Ok(HttpResponse::Ok().json(CampaignList { campaigns }))
}

/// A campaign and its progress.
#[utoipa::path(
    get, path = "/api/v1/workspaces/{workspace}/campaigns/{campaign}", tag = "campaigns", operation_id = "read_campaign",
    params(("workspace" = String, Path), ("campaign" = String, Path)),
    responses((status = 200, body = CampaignView), (status = 404))
)]
pub async fn read(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<CampaignPath>,
) -> Result<HttpResponse, ApiError> {
    let row = found(&state, &caller, &path.campaign).await?;
    Ok(HttpResponse::Ok().json(view(&state, row).await?))
}

async fn checked_preflight(state: &AppState, row: &campaign::Model) -> Result<Preflight, ApiError> {
    let now = state.now();
    let people = campaigns::driver::audience_of(state, row, now).await?;
    Ok(campaigns::preflight::check(state, row, &people, now).await?)
}

/// What sending would mean now: who is reached, who is skipped and why, who is outside
/// their window, against the number's messaging limit.
#[utoipa::path(
    get, path = "/api/v1/workspaces/{workspace}/campaigns/{campaign}/preflight", tag = "campaigns", operation_id = "preflight_campaign",
    params(("workspace" = String, Path), ("campaign" = String, Path)),
    responses((status = 200, body = Preflight), (status = 404))
)]
pub async fn preflight(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<CampaignPath>,
) -> Result<HttpResponse, ApiError> {
    let row = found(&state, &caller, &path.campaign).await?;
    Ok(HttpResponse::Ok().json(checked_preflight(&state, &row).await?))
}

async fn change_state(
    state: &AppState,
    row: &campaign::Model,
    from: &[&str],
    to: &str,
    reason: Option<String>,
) -> Result<bool, ApiError> {
    use campaign::Column as C;
    let done = campaign::Entity::update_many()
        .col_expr(C::State, Expr::value(to))
        .col_expr(C::PauseReason, Expr::value(reason))
        .col_expr(C::UpdatedAt, Expr::value(state.now()))
        .filter(C::Id.eq(row.id.as_str()))
        .filter(C::State.is_in(from.iter().copied()))
        .exec(&state.db)
        .await?;
    Ok(done.rows_affected == 1)
}

fn wrong_state(row: &campaign::Model, doing: &str) -> ApiError {
    let mut error = ApiError::new(
        StatusCode::CONFLICT,
        Code::CampaignState,
        format!("A {} campaign cannot be {doing}.", row.state),
    );
    error.details = json!({ "state": row.state });
    error
}

/// Starts a draft: it sends at its time (now when it has none). Over the messaging limit it
/// is refused with the pre-flight's numbers, unless it was made to spread over days.
#[utoipa::path(
    post, path = "/api/v1/workspaces/{workspace}/campaigns/{campaign}/start", tag = "campaigns", operation_id = "start_campaign",
    params(("workspace" = String, Path), ("campaign" = String, Path)),
    responses(
        (status = 200, body = CampaignView),
        (status = 409, description = "Not a draft, or over the messaging limit (`details.preflight`)")
    )
)]
pub async fn start(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<CampaignPath>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Editor)?;
    let row = found(&state, &caller, &path.campaign).await?;
    if row.state != campaigns::DRAFT {
        return Err(wrong_state(&row, "started"));
    }
    let preflight = checked_preflight(&state, &row).await?;
    if !preflight.fits && !row.split_over_days {
        let remaining = preflight.limit.as_ref().map_or(0, |limit| limit.remaining);
        let mut error = ApiError::new(
            StatusCode::CONFLICT,
            Code::OverMessagingLimit,
            format!(
                "{} recipients are outside their 24-hour window, and the number may reach {} \
                 more people today: it would take {} days. Narrow the audience, or let the \
                 campaign spread over days.",
                preflight.outside_window, remaining, preflight.days_needed
            ),
        );
        error.details = json!({ "preflight": preflight });
        return Err(error);
    }
    if !change_state(
        &state,
        &row,
        &[campaigns::DRAFT],
        campaigns::SCHEDULED,
        None,
    )
    .await?
    {
        return Err(wrong_state(&row, "started"));
    }
    let row = found(&state, &caller, &path.campaign).await?;
    Ok(HttpResponse::Ok().json(view(&state, row).await?))
}

/// Pauses a campaign: nobody more is handed over until it is resumed.
#[utoipa::path(
    post, path = "/api/v1/workspaces/{workspace}/campaigns/{campaign}/pause", tag = "campaigns", operation_id = "pause_campaign",
    params(("workspace" = String, Path), ("campaign" = String, Path)),
    responses((status = 200, body = CampaignView), (status = 409))
)]
pub async fn pause(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<CampaignPath>,
) -> Result<HttpResponse, ApiError> {
    let from = [campaigns::SENDING, campaigns::SCHEDULED];
    let reason = format!("paused by {}", caller.actor.label());
    act(
        &state,
        &caller,
        &path,
        &from,
        |_| campaigns::PAUSED,
        Some(reason),
        "paused",
    )
    .await
}

/// Resumes a paused campaign where it was.
#[utoipa::path(
    post, path = "/api/v1/workspaces/{workspace}/campaigns/{campaign}/resume", tag = "campaigns", operation_id = "resume_campaign",
    params(("workspace" = String, Path), ("campaign" = String, Path)),
    responses((status = 200, body = CampaignView), (status = 409))
)]
pub async fn resume(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<CampaignPath>,
) -> Result<HttpResponse, ApiError> {
    // A campaign paused before it began sending goes back to waiting for its time.
    let to = |row: &campaign::Model| {
        if row.started_at.is_some() {
            campaigns::SENDING
        } else {
            campaigns::SCHEDULED
        }
    };
    act(
        &state,
        &caller,
        &path,
        &[campaigns::PAUSED],
        to,
        None,
        "resumed",
    )
    .await
}

/// Moves a campaign from one of `from` to `to(campaign)`, or says why it cannot.
async fn act(
    state: &AppState,
    caller: &Caller,
    path: &CampaignPath,
    from: &[&str],
    to: impl Fn(&campaign::Model) -> &'static str,
    reason: Option<String>,
    doing: &str,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Editor)?;
    let row = found(state, caller, &path.campaign).await?;
    if !change_state(state, &row, from, to(&row), reason).await? {
        return Err(wrong_state(&row, doing));
    }
    if to(&row) == campaigns::CANCELLED {
        use campaign_recipient::Column as R;
        campaign_recipient::Entity::update_many()
            .col_expr(R::State, Expr::value(campaigns::SKIPPED))
            .col_expr(R::Reason, Expr::value("cancelled"))
            .col_expr(R::UpdatedAt, Expr::value(state.now()))
            .filter(R::CampaignId.eq(row.id.as_str()))
            .filter(R::State.eq(campaigns::QUEUED))
            .exec(&state.db)
            .await?;
    }
    let row = found(state, caller, &path.campaign).await?;
    Ok(HttpResponse::Ok().json(view(state, row).await?))
}

/// Cancels a campaign: nobody more is handed over; those already sent to stay sent.
#[utoipa::path(
    post, path = "/api/v1/workspaces/{workspace}/campaigns/{campaign}/cancel", tag = "campaigns", operation_id = "cancel_campaign",
    params(("workspace" = String, Path), ("campaign" = String, Path)),
    responses((status = 200, body = CampaignView), (status = 409))
)]
pub async fn cancel(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<CampaignPath>,
) -> Result<HttpResponse, ApiError> {
    let open = [
        campaigns::DRAFT,
        campaigns::SCHEDULED,
        campaigns::SENDING,
        campaigns::PAUSED,
    ];
    let reason = format!("cancelled by {}", caller.actor.label());
    act(
        &state,
        &caller,
        &path,
        &open,
        |_| campaigns::CANCELLED,
        Some(reason),
        "cancelled",
    )
    .await
}

/// A campaign's recipients (up to 500; `?state=failed` for one state).
#[utoipa::path(
    get, path = "/api/v1/workspaces/{workspace}/campaigns/{campaign}/recipients", tag = "campaigns", operation_id = "recipients_campaign",
    params(("workspace" = String, Path), ("campaign" = String, Path), ("state" = Option<String>, Query)),
    responses((status = 200, body = RecipientList), (status = 404))
)]
pub async fn recipients(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<CampaignPath>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let row = found(&state, &caller, &path.campaign).await?;
    let wanted = web::Query::<Vec<(String, String)>>::from_query(request.query_string())
        .ok()
        .and_then(|pairs| {
            pairs
                .into_inner()
                .into_iter()
                .find(|(key, _)| key == "state")
        })
        .map(|(_, value)| value);
    let mut query = campaign_recipient::Entity::find()
        .filter(campaign_recipient::Column::CampaignId.eq(row.id.as_str()));
    if let Some(wanted) = wanted {
        query = query.filter(campaign_recipient::Column::State.eq(wanted));
    }
    let rows = query
        .order_by_asc(campaign_recipient::Column::Phone)
        .limit(500)
        .all(&state.db)
        .await?;
    Ok(HttpResponse::Ok().json(RecipientList {
        recipients: rows
            .into_iter()
            .map(|row| RecipientView {
                phone: format!("+{}", row.phone),
                state: row.state,
                reason: row.reason,
                due_at: rfc3339(row.due_at),
                attempts: row.attempts,
                wamid: row.wamid,
            })
            .collect(),
    }))
}
