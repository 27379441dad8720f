//! A contact's runs: how a run is shown (where it is, what it waits for, its course),
//! reading one, and cancelling one.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Serialize;
use serde_json::{Map, Value, json};
use spool_nodes::{Run, RunStatus, WaitKind};
use spool_runtime::state::ContactState;
use spool_runtime::{Event, EventKind};
use utoipa::ToSchema;

use super::{
    Accepted, RunPath, audit_name, millis_to_text, phone_in_path, unknown_contact, unscoped,
};
use crate::audit;
use crate::auth::{Caller, Role};
use crate::db::flow_version;
use crate::error::{ApiError, Code};
use crate::state::AppState;
use crate::time::rfc3339;

/// One run: where it is and what it holds.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunView {
    pub id: String,
    pub flow_id: String,
    /// The published version the run is on (the latest one with this content, when a
    /// rollback published the same content again); absent if that version is gone.
    pub version: Option<i32>,
    /// The version's content hash.
    pub version_hash: String,
    /// `running`, `waiting_reply`, `waiting_timer`, `handoff`, `done`, `failed`, `cancelled`.
    #[schema(value_type = String)]
    pub status: RunStatus,
    pub active: bool,
    /// The node the run is at (or ended at).
    pub node_id: String,
    /// That node's type, when the version is loaded.
    pub node_type: Option<String>,
    #[schema(value_type = Object)]
    pub vars: Map<String, Value>,
    /// What the run waits for, while it waits.
    pub waiting: Option<WaitView>,
    /// Steps taken since it started.
    pub steps: u32,
    pub started_at: String,
    pub updated_at: String,
    /// Why it failed or was cancelled.
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WaitView {
    /// `reply`, `timer`, `handoff` or `call` (an HTTP request or an AI model is answering).
    #[schema(value_type = String)]
    pub kind: WaitKind,
    /// When the wait times out (or the delay ends), if it does.
    pub deadline: Option<String>,
    /// Answers that were not valid so far (`wait_for_reply`).
    pub attempts: u8,
}

/// A run with the data it carries and its course.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunDetail {
    #[serde(flatten)]
    pub run: RunView,
    /// The latest message the run received, as expressions see it (`msg`); null before the
    /// first.
    #[schema(value_type = Option<Object>)]
    pub msg: Value,
    /// The webhook body that started it (`payload`); null when no webhook did.
    #[schema(value_type = Option<Object>)]
    pub payload: Value,
    /// The run's course as its state records it: when it started, where it rests or
    /// ended. The steps in between are counted (`steps`), not listed: a list per run
    /// would not fit the memory a waiting contact may take (docs/runtime.md).
    pub history: Vec<HistoryEntry>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryEntry {
    pub at: String,
    /// `started`, `running`, `waiting_reply`, `waiting_timer`, `calling`, `handoff`, `done`, `failed`,
    /// `cancelled`.
    pub what: String,
    pub node_id: Option<String>,
    /// Until when it waits, or why it ended.
    pub detail: Option<String>,
}

/// Version numbers by content hash, for the runs' versions (the latest number per hash).
pub(super) async fn version_numbers(
    state: &AppState,
    caller: &Caller,
    runs: &[Run],
) -> Result<HashMap<String, i32>, ApiError> {
    let mut hashes: Vec<String> = runs.iter().map(|run| run.version.clone()).collect();
    hashes.sort();
    hashes.dedup();
    if hashes.is_empty() {
        return Ok(HashMap::new());
    }
    let versions = flow_version::Entity::find()
        .filter(flow_version::Column::WorkspaceId.eq(&caller.workspace))
        .filter(flow_version::Column::Hash.is_in(hashes))
        .all(&state.db)
        .await?;
    let mut numbers: HashMap<String, i32> = HashMap::new();
    for version in versions {
        let number = numbers.entry(version.hash).or_insert(version.version);
        *number = (*number).max(version.version);
    }
    Ok(numbers)
}

pub(super) fn run_view(state: &AppState, run: &Run, numbers: &HashMap<String, i32>) -> RunView {
    let node_type = state
        .published
        .registry()
        .version(&run.version)
        .and_then(|flow| {
            flow.node_index(&run.cursor)
                .map(|ix| flow.node(ix).kind.node_type().name().to_owned())
        });
    RunView {
        id: run.id.clone(),
        flow_id: unscoped(&run.flow_id),
        version: numbers.get(&run.version).copied(),
        version_hash: run.version.clone(),
        status: run.status,
        active: run.status.is_active(),
        node_id: run.cursor.clone(),
        node_type,
        vars: run.vars.clone(),
        waiting: run
            .wait
            .as_ref()
            .filter(|_| run.status.is_active())
            .map(|wait| WaitView {
                kind: wait.kind,
                deadline: millis_to_text(wait.deadline),
                attempts: wait.attempts,
            }),
        steps: run.steps,
        started_at: rfc3339(run.started_at),
        updated_at: rfc3339(run.updated_at),
        reason: run.reason.clone(),
    }
}

fn status_name(status: RunStatus) -> String {
    serde_json::to_value(status)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn history(run: &Run) -> Vec<HistoryEntry> {
    let mut entries = vec![HistoryEntry {
        at: rfc3339(run.started_at),
        what: "started".into(),
        node_id: None,
        detail: None,
    }];
    let detail = if run.status.is_active() {
        run.wait
            .as_ref()
            .and_then(|wait| wait.deadline)
            .map(|deadline| format!("until {}", rfc3339(deadline)))
    } else {
        run.reason.clone()
    };
    entries.push(HistoryEntry {
        at: rfc3339(run.updated_at),
        what: status_name(run.status),
        node_id: Some(run.cursor.clone()),
        detail,
    });
    entries
}

async fn find_run(
    state: &AppState,
    caller: &Caller,
    path: &RunPath,
) -> Result<(String, String, ContactState, usize), ApiError> {
    let phone = phone_in_path(&path.phone)?;
    let wa_id = phone.digits().to_owned();
    // A run named by a ticket or a step's waiting list may belong to a batch being committed.
    let contact_id = super::contact_id(state, caller, &phone).await?;
    let found = super::committed(state, &contact_id, |found| found.run(&path.run).is_some())
        .await?
        .ok_or_else(unknown_contact)?;
    let index = found
        .runs
        .iter()
        .position(|run| run.id == path.run)
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "This contact has no run {} (finished runs are kept only a while).",
                path.run
            ))
        })?;
    Ok((wa_id, contact_id, found, index))
}

/// Reads one of a contact's runs: its state, what it carries and its course.
#[utoipa::path(
    get, path = "/api/v1/workspaces/{workspace}/contacts/{phone}/runs/{run}", tag = "contacts",
    params(("workspace" = String, Path), ("phone" = String, Path), ("run" = String, Path)),
    responses((status = 200, body = RunDetail), (status = 404))
)]
pub async fn read_run(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<RunPath>,
) -> Result<HttpResponse, ApiError> {
    let (_, _, found, index) = find_run(&state, &caller, &path).await?;
    let run = &found.runs[index];
    let numbers = version_numbers(&state, &caller, std::slice::from_ref(run)).await?;
    Ok(HttpResponse::Ok().json(RunDetail {
        run: run_view(&state, run, &numbers),
        msg: run.msg.clone(),
        payload: run.payload.clone(),
        history: history(run),
    }))
}

/// Cancels a run in progress, with its timers. Applied in order with the contact's other
/// events, moments later (the run then reads `cancelled`).
#[utoipa::path(
    post, path = "/api/v1/workspaces/{workspace}/contacts/{phone}/runs/{run}/cancel", tag = "contacts",
    params(("workspace" = String, Path), ("phone" = String, Path), ("run" = String, Path)),
    responses(
        (status = 202, body = Accepted),
        (status = 403, description = "Needs the editor role"),
        (status = 404),
        (status = 409, description = "The run has ended already")
    )
)]
pub async fn cancel_run(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<RunPath>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Editor)?;
    let (wa_id, contact_id, found, index) = find_run(&state, &caller, &path).await?;
    let run = &found.runs[index];
    if !run.status.is_active() {
        let mut error = ApiError::new(
            StatusCode::CONFLICT,
            Code::RunEnded,
            format!(
                "Run {} has ended already ({}).",
                run.id,
                status_name(run.status)
            ),
        );
        error.details = json!({ "status": run.status });
        return Err(error);
    }
    let now = state.now();
    let event = Event::new(
        contact_id,
        wa_id.clone(),
        now,
        EventKind::CancelRun {
            run_id: run.id.clone(),
        },
    );
    state.runtime.accept(event).await?;
    audit::record(
        &state.db,
        &caller.workspace,
        &caller.actor.label(),
        "run.cancelled",
        &format!("{}/run:{}", audit_name(&caller, &wa_id), run.id),
        json!({ "flow_id": unscoped(&run.flow_id) }),
        now,
    )
    .await?;
    Ok(HttpResponse::Accepted().json(Accepted {
        accepted: true,
        location: format!(
            "/api/v1/workspaces/{}/contacts/%2B{wa_id}/runs/{}",
            caller.workspace, run.id
        ),
    }))
}
