//! Who waits where in a flow: how many contacts rest at each step, and which ones at a step
//! (longest waiting first), for the funnel's "who is still there".

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;
use crate::time::rfc3339;
use crate::waiting;

/// The most contacts one answer lists.
const LIST_LIMIT: u64 = 100;

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/flows/{flow}/waiting", web::get().to(counts))
        .route("/flows/{flow}/waiting/{node}", web::get().to(at_step));
}

#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    paths(counts, at_step),
    components(schemas(WaitingCounts, StepWaiting, WaitingAtStep, WaitingContact))
)]
pub struct Api;

#[derive(Debug, Serialize, ToSchema)]
pub struct StepWaiting {
    pub node_id: String,
    pub waiting: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WaitingCounts {
    /// Steps where at least one contact waits, by step id.
    pub steps: Vec<StepWaiting>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WaitingContact {
    /// E.164 (`+…`); absent for a contact known only by its BSUID.
    pub phone: Option<String>,
    pub run_id: String,
    /// `waiting_reply`, `waiting_timer`, `handoff` or `calling`.
    pub status: String,
    pub since: String,
    /// When the wait times out, if it does.
    pub until: Option<String>,
    /// The content hash of the version the run is on.
    pub version: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WaitingAtStep {
    /// Longest waiting first, at most 100.
    pub contacts: Vec<WaitingContact>,
    /// How many wait there in all.
    pub total: u64,
}

#[derive(Debug, Deserialize)]
pub struct FlowPath {
    #[allow(dead_code)]
    workspace: String,
    flow: String,
}

#[derive(Debug, Deserialize)]
pub struct StepPath {
    #[allow(dead_code)]
    workspace: String,
    flow: String,
    node: String,
}

/// How many contacts wait at each step of the flow now (any version).
#[utoipa::path(
    get, path = "/api/v1/workspaces/{workspace}/flows/{flow}/waiting", tag = "analytics",
    operation_id = "waiting_counts",
    params(("workspace" = String, Path), ("flow" = String, Path)),
    responses((status = 200, body = WaitingCounts))
)]
pub async fn counts(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<FlowPath>,
) -> Result<HttpResponse, ApiError> {
    let steps = waiting::counts(&state.db, &caller.workspace, &path.flow)
        .await?
        .into_iter()
        .map(|(node_id, waiting)| StepWaiting { node_id, waiting })
        .collect();
    Ok(HttpResponse::Ok().json(WaitingCounts { steps }))
}

/// The contacts waiting at one step of the flow now, longest waiting first.
#[utoipa::path(
    get, path = "/api/v1/workspaces/{workspace}/flows/{flow}/waiting/{node}", tag = "analytics",
    operation_id = "waiting_at_step",
    params(("workspace" = String, Path), ("flow" = String, Path), ("node" = String, Path)),
    responses((status = 200, body = WaitingAtStep))
)]
pub async fn at_step(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<StepPath>,
) -> Result<HttpResponse, ApiError> {
    let (rows, total) = waiting::at(
        &state.db,
        &caller.workspace,
        &path.flow,
        &path.node,
        LIST_LIMIT,
    )
    .await?;
    let contacts = rows
        .into_iter()
        .map(|row| WaitingContact {
            phone: (!row.phone.is_empty()).then(|| format!("+{}", row.phone)),
            run_id: row.run_id,
            status: row.status,
            since: rfc3339(row.since),
            until: row.until.map(rfc3339),
            version: row.version,
        })
        .collect();
    Ok(HttpResponse::Ok().json(WaitingAtStep { contacts, total }))
}
