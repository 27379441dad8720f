//! Published versions: the list, one version, and rollback to an old one.

use actix_web::{HttpResponse, web};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, TransactionTrait};
use serde_json::{Value, json};

use super::publish::{Publication, note_of, publish_document};
use super::{
    FlowPath, VersionDetail, VersionPath, VersionSummary, find_flow, find_flow_for_update, rfc3339,
};
use crate::auth::{Caller, Role};
use crate::db::{flow, flow_version};
use crate::error::{ApiError, Code};
use crate::published::compile_in;
use crate::state::AppState;

fn version_summary(model: &flow_version::Model, live: Option<i32>) -> VersionSummary {
    VersionSummary {
        version: model.version,
        hash: model.hash.clone(),
        published_at: rfc3339(model.published_at),
        published_by: model.published_by.clone(),
        live: live == Some(model.version),
        note: model.note.clone(),
        changes: None,
    }
}

fn document_of(model: &flow_version::Model) -> Value {
    serde_json::from_str(&model.document).unwrap_or(Value::Null)
}

pub(super) fn version_detail(model: flow_version::Model, live: Option<i32>) -> VersionDetail {
    VersionDetail {
        summary: version_summary(&model, live),
        document: document_of(&model),
    }
}

/// The flow's published versions, newest first.
#[utoipa::path(
    get, path = "/api/v1/workspaces/{workspace}/flows/{flow}/versions", tag = "flows",
    params(("workspace" = String, Path), ("flow" = String, Path)),
    responses((status = 200, body = Vec<VersionSummary>))
)]
pub async fn versions(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<FlowPath>,
) -> Result<HttpResponse, ApiError> {
    let model = find_flow(&state, &caller, &path.flow).await?;
    let versions = flow_version::Entity::find()
        .filter(flow_version::Column::WorkspaceId.eq(&caller.workspace))
        .filter(flow_version::Column::FlowId.eq(&path.flow))
        .order_by_desc(flow_version::Column::Version)
        .all(&state.db)
        .await?;
    // Newest first: each version is compared with the one after it in the list.
    let documents: Vec<Value> = versions.iter().map(document_of).collect();
    let empty = Value::Null;
    let summaries = versions
        .iter()
        .enumerate()
        .map(|(i, version)| VersionSummary {
            changes: Some(spool_flows::diff::changes(
                documents.get(i + 1).unwrap_or(&empty),
                &documents[i],
            )),
            ..version_summary(version, model.published_version)
        })
        .collect::<Vec<_>>();
    Ok(HttpResponse::Ok().json(summaries))
}

async fn find_version(
    state: &AppState,
    caller: &Caller,
    path: &VersionPath,
) -> Result<(flow::Model, flow_version::Model), ApiError> {
    let model = find_flow(state, caller, &path.flow).await?;
    let version = flow_version::Entity::find_by_id((
        caller.workspace.clone(),
        path.flow.clone(),
        path.version,
    ))
    .one(&state.db)
    .await?
    .ok_or_else(|| {
        ApiError::not_found(format!(
            "Flow {} has no version {}.",
            path.flow, path.version
        ))
    })?;
    Ok((model, version))
}

/// One published version, with its document.
#[utoipa::path(
    get, path = "/api/v1/workspaces/{workspace}/flows/{flow}/versions/{version}", tag = "flows",
    params(("workspace" = String, Path), ("flow" = String, Path), ("version" = i32, Path)),
    responses((status = 200, body = VersionDetail), (status = 404))
)]
pub async fn version(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<VersionPath>,
) -> Result<HttpResponse, ApiError> {
    let (model, version) = find_version(&state, &caller, &path).await?;
    Ok(HttpResponse::Ok().json(version_detail(version, model.published_version)))
}

/// Publishes an old version again, as a new version (history is never rewritten). The draft
/// is left as it is.
#[utoipa::path(
    post, path = "/api/v1/workspaces/{workspace}/flows/{flow}/versions/{version}/rollback", tag = "flows",
    params(("workspace" = String, Path), ("flow" = String, Path), ("version" = i32, Path)),
    request_body(content = Option<Object>, description = "Optional: `{\"note\": \"why\"}`; the note is \"Back to version n\" without one"),
    responses(
        (status = 201, body = VersionDetail),
        (status = 422, description = "`note_too_long`"),
        (status = 404),
        (status = 409, description = "`hook_taken`: a hook of that version now starts another live flow of the workspace (details.held_by names it)")
    )
)]
pub async fn rollback(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<VersionPath>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Editor)?;
    let note = note_of(&body)?.or_else(|| Some(format!("Back to version {}", path.version)));
    let (_, old) = find_version(&state, &caller, &path).await?;
    let now = state.now();
    state.published.sync(&state.db).await?;
    match state.published.registry().version(&old.hash) {
        Some(flow) => state.published.check_hooks(&flow)?,
        None => {
            let flow = compile_in(&caller.workspace, &old.document).map_err(|_| {
                ApiError::internal(Code::FlowInvalid, "a published version no longer compiles")
            })?;
            state.published.check_hooks(&flow)?;
        }
    }
    let txn = state.db.begin().await?;
    let current = find_flow_for_update(&txn, &caller, &path.flow).await?;
    let publication = Publication {
        document: &old.document,
        hash: &old.hash,
        note,
        details: json!({ "rollback_to": old.version }),
    };
    let version = publish_document(&txn, &caller, current, publication, now).await?;
    txn.commit().await?;
    state.published.sync(&state.db).await?;
    let live = Some(version.version);
    Ok(HttpResponse::Created().json(version_detail(version, live)))
}
