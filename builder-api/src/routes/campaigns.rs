//! Broadcast campaigns over HTTP: make one (a published flow with a `broadcast` trigger,
//! and a segment, conditions or a list of numbers), read its pre-flight, start it (now or at
//! its time), pause, resume or cancel it at any point, and follow it: counts by state, rate,
//! time left, each recipient.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use spool_flows::NodeKind;
use utoipa::ToSchema;

use crate::auth::{Caller, Role};
use crate::campaigns::{self, preflight::Preflight, schedule::zone};
use crate::db::{campaign, campaign_recipient};
use crate::directory::Audience;
use crate::error::{ApiError, Code};
use crate::routes::parse_json;
use crate::state::AppState;
use crate::time::{parse_rfc3339, rfc3339};

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/campaigns", web::get().to(list))
        .route("/campaigns", web::post().to(create))
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
        list, create, read, preflight, start, pause, resume, cancel, recipients
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

/// A campaign to make (a draft until started).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCampaign {
    pub name: String,
    /// A published flow whose trigger is `broadcast`.
    pub flow_id: String,
    /// Who: a segment, or conditions, or numbers (one of them).
    #[serde(default)]
    pub segment_id: Option<String>,
    #[serde(default)]
    pub audience: Option<Audience>,
    #[serde(default)]
    pub phones: Option<Vec<String>>,
    /// When (RFC 3339); as soon as it is started when absent.
    #[serde(default)]
    pub send_at: Option<String>,
    /// Send at `send_at`'s time of day in each recipient's own zone.
    #[serde(default)]
    pub local_time: bool,
    /// The zone `send_at` is read in for local time, and of recipients without one (IANA,
    /// `UTC` when absent).
    #[serde(default)]
    pub timezone: Option<String>,
    /// Quiet hours in the recipient's zone, e.g. `"21:00"` to `"08:00"`.
    #[serde(default)]
    pub quiet_hours: Option<QuietHours>,
    /// Over the number's messaging limit: spread over days (true) or refuse (false).
    #[serde(default)]
    pub split_over_days: bool,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct QuietHours {
    pub start: String,
    pub end: String,
}

/// Counts by recipient state, and the pace.
#[derive(Debug, Serialize, ToSchema)]
pub struct Progress {
    /// `queued`, `skipped`, `handed`, `sent`, `delivered`, `read`, `replied`, `finished`,
    /// `failed` → how many.
    pub counts: BTreeMap<String, u64>,
    pub total: u64,
    /// Recipients sent to (or further) per minute since sending began.
    pub per_minute: f64,
    /// When the queued ones should be through at this pace (RFC 3339).
    pub eta: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignView {
    pub id: String,
    pub name: String,
    pub flow_id: String,
    pub segment_id: Option<String>,
    /// `draft`, `scheduled`, `sending`, `paused`, `completed` or `cancelled`.
    pub state: String,
    pub send_at: Option<String>,
    pub local_time: bool,
    pub timezone: String,
    pub quiet_hours: Option<QuietHours>,
    pub split_over_days: bool,
    pub pause_reason: Option<String>,
    pub progress: Progress,
    pub created_by: String,
    pub created_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignList {
    /// Newest first.
    pub campaigns: Vec<CampaignView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecipientView {
    pub phone: String,
    pub state: String,
    pub reason: Option<String>,
    pub due_at: String,
    pub attempts: i32,
    pub wamid: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecipientList {
    pub recipients: Vec<RecipientView>,
}

fn bad(code: Code, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, code, message)
}

fn minutes(text: &str) -> Option<i32> {
    let (hours, minutes) = text.split_once(':')?;
    let (hours, minutes): (i32, i32) = (hours.parse().ok()?, minutes.parse().ok()?);
    ((0..24).contains(&hours) && (0..60).contains(&minutes)).then_some(hours * 60 + minutes)
}

fn clock(minutes: i32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

async fn view(state: &AppState, row: campaign::Model) -> Result<CampaignView, ApiError> {
    let counts = campaigns::counts(&state.db, &row.id).await?;
    let total = counts.values().sum();
    let through: u64 = [
        campaigns::SENT,
        campaigns::DELIVERED,
        campaigns::READ,
        campaigns::REPLIED,
    ]
    .iter()
    .filter_map(|state| counts.get(*state))
    .sum();
    let now = state.now();
    let elapsed_minutes = row
        .started_at
        .map(|at| ((row.finished_at.unwrap_or(now) - at).max(1)) as f64 / 60_000.0);
    let per_minute = elapsed_minutes.map_or(0.0, |minutes| through as f64 / minutes);
    let queued = counts.get(campaigns::QUEUED).copied().unwrap_or(0);
    let eta = (per_minute > 0.0 && queued > 0)
        .then(|| rfc3339(now + (queued as f64 / per_minute * 60_000.0) as i64));
    Ok(CampaignView {
        id: row.id,
        name: row.name,
        flow_id: row.flow_id,
        segment_id: row.segment_id,
        state: row.state,
        send_at: row.send_at.map(rfc3339),
        local_time: row.local_time,
        timezone: row.timezone,
        quiet_hours: row
            .quiet_start
            .zip(row.quiet_end)
            .map(|(start, end)| QuietHours {
                start: clock(start),
                end: clock(end),
            }),
        split_over_days: row.split_over_days,
        pause_reason: row.pause_reason,
        progress: Progress {
            counts,
            total,
            per_minute,
            eta,
        },
        created_by: row.created_by,
        created_at: rfc3339(row.created_at),
        started_at: row.started_at.map(rfc3339),
        finished_at: row.finished_at.map(rfc3339),
    })
}

async fn found(state: &AppState, caller: &Caller, id: &str) -> Result<campaign::Model, ApiError> {
    campaign::Entity::find_by_id(id.to_owned())
        .filter(campaign::Column::WorkspaceId.eq(caller.workspace.as_str()))
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::not_found("No such campaign in this workspace."))
}

/// Makes a campaign (a draft: nothing is sent until it is started).
#[utoipa::path(
    post, path = "/api/v1/workspaces/{workspace}/campaigns", tag = "campaigns", operation_id = "create_campaign",
    params(("workspace" = String, Path)),
    request_body = NewCampaign,
    responses((status = 201, body = CampaignView), (status = 400), (status = 403))
)]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Editor)?;
    let new = parse_json::<NewCampaign>(&body)?;
    let name = new.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(bad(
            Code::InvalidName,
            "A campaign's name is 1 to 100 characters.",
        ));
    }
    let scoped = spool_runtime::ScopedId::new(&caller.workspace, &new.flow_id);
    let flow = state
        .published
        .registry()
        .published(scoped.as_str())
        .ok_or_else(|| {
            bad(
                Code::NotPublished,
                format!("Flow {:?} is not published: publish it first.", new.flow_id),
            )
        })?;
    if !flow
        .flow()
        .nodes
        .iter()
        .any(|node| matches!(node.kind, NodeKind::Broadcast(_)))
    {
        return Err(bad(
            Code::InvalidCampaign,
            format!(
                "Flow {:?} has no broadcast trigger: a campaign starts a flow at its broadcast step.",
                new.flow_id
            ),
        ));
    }
    let given = [
        new.segment_id.is_some(),
        new.audience.is_some(),
        new.phones.is_some(),
    ];
    if given.iter().filter(|given| **given).count() != 1 {
        return Err(bad(
            Code::InvalidCampaign,
            "Say who it is for with exactly one of `segment_id`, `audience` and `phones`.",
        ));
    }
    let audience = match (&new.segment_id, new.audience) {
        (Some(segment), _) => {
            let row = crate::routes::segments::found(&state, &caller.workspace, segment).await?;
            Some(crate::routes::segments::audience_of(&row))
        }
        (None, Some(audience)) => {
            audience.check().map_err(|invalid| {
                bad(
                    Code::InvalidAudience,
                    format!("The audience cannot be used: {invalid}."),
                )
            })?;
            Some(audience)
        }
        (None, None) => None,
    };
    let phones = match new.phones {
        Some(phones) => {
            let mut digits = Vec::with_capacity(phones.len());
            for raw in &phones {
                digits.push(
                    crate::routes::contacts::phone_in_body(raw)?
                        .digits()
                        .to_owned(),
                );
            }
            Some(digits)
        }
        None => None,
    };
    let send_at = match new.send_at.as_deref() {
        Some(text) => Some(parse_rfc3339(text).ok_or_else(|| {
            bad(
                Code::InvalidCampaign,
                format!("`send_at` is an RFC 3339 time; {text:?} is not."),
            )
        })?),
        None => None,
    };
    let timezone = new.timezone.unwrap_or_else(|| "UTC".into());
    if zone(&timezone).is_none() {
        return Err(bad(
            Code::InvalidCampaign,
            format!("`timezone` is an IANA zone such as Europe/Lisbon; {timezone:?} is not."),
        ));
    }
    let quiet =
        match &new.quiet_hours {
            Some(hours) => Some(minutes(&hours.start).zip(minutes(&hours.end)).ok_or_else(
                || {
                    bad(
                        Code::InvalidCampaign,
                        "Quiet hours are written `21:00` to `08:00`.",
                    )
                },
            )?),
            None => None,
        };
    let now = state.now();
    let row = campaign::ActiveModel {
        id: Set(format!("cmp_{}", uuid::Uuid::now_v7().simple())),
        workspace_id: Set(caller.workspace.clone()),
        name: Set(name),
        flow_id: Set(new.flow_id),
        segment_id: Set(new.segment_id),
        audience: Set(audience.map(|a| serde_json::to_string(&a).unwrap_or_default())),
        phones: Set(phones.map(|p| serde_json::to_string(&p).unwrap_or_default())),
        state: Set(campaigns::DRAFT.into()),
        send_at: Set(send_at),
        local_time: Set(new.local_time),
        timezone: Set(timezone),
        quiet_start: Set(quiet.map(|(start, _)| start)),
        quiet_end: Set(quiet.map(|(_, end)| end)),
        split_over_days: Set(new.split_over_days),
        pause_reason: Set(None),
        lease_owner: Set(None),
        lease_until: Set(None),
        created_by: Set(caller.actor.label()),
        created_at: Set(now),
        updated_at: Set(now),
        started_at: Set(None),
        finished_at: Set(None),
    }
    .insert(&state.db)
    .await?;
    Ok(HttpResponse::Created().json(view(&state, row).await?))
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
