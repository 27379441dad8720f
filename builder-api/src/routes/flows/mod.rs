//! Flows: drafts saved freely (even invalid) with optimistic concurrency, validation,
//! publishing to immutable versions (with a note, and what publishing would change first),
//! rollback, import and export.
//!
//! A flow's id is its document's `id`, unique in its workspace. Saves carry the revision they
//! were based on in `If-Match` (the `ETag` of the last read or save); a save based on an older
//! revision is refused with 409, so two editors never overwrite each other silently.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use sea_orm::{DatabaseTransaction, EntityTrait};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use spool_flows::Diagnostic;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::db::flow;
use crate::error::{ApiError, Code};
use crate::routes::parse_json;
use crate::state::AppState;

mod crud;
mod impact;
mod publish;
mod versions;

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/flows", web::get().to(crud::list))
        .route("/flows", web::post().to(crud::create))
        .route("/flows/import", web::post().to(crud::import))
        .route("/flows/{flow}", web::get().to(crud::read))
        .route("/flows/{flow}", web::put().to(crud::save))
        .route("/flows/{flow}", web::delete().to(crud::delete))
        .route("/flows/{flow}/validate", web::post().to(crud::validate))
        .route("/flows/{flow}/publish", web::post().to(publish::publish))
        .route(
            "/flows/{flow}/publish/impact",
            web::get().to(impact::impact),
        )
        .route(
            "/flows/{flow}/unpublish",
            web::post().to(publish::unpublish),
        )
        .route("/flows/{flow}/export", web::get().to(crud::export))
        .route("/flows/{flow}/versions", web::get().to(versions::versions))
        .route(
            "/flows/{flow}/versions/{version}",
            web::get().to(versions::version),
        )
        .route(
            "/flows/{flow}/versions/{version}/rollback",
            web::post().to(versions::rollback),
        );
}

#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    paths(
        crud::list,
        crud::create,
        crud::import,
        crud::read,
        crud::save,
        crud::delete,
        crud::validate,
        publish::publish,
        impact::impact,
        publish::unpublish,
        crud::export,
        versions::versions,
        versions::version,
        versions::rollback
    ),
    components(schemas(
        FlowSummary,
        FlowListItem,
        FlowDetail,
        VersionSummary,
        VersionDetail,
        Validation,
        impact::PublishImpact,
        impact::WaitingAt
    ))
)]
pub struct Api;

/// A flow in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct FlowSummary {
    pub id: String,
    pub name: String,
    /// Grows with every save; send it back in `If-Match`.
    pub revision: i64,
    /// The version new runs start on, if published.
    pub published_version: Option<i32>,
    pub created_at: String,
    pub updated_at: String,
    pub updated_by: String,
}

/// A flow in the workspace's list.
#[derive(Debug, Serialize, ToSchema)]
pub struct FlowListItem {
    #[serde(flatten)]
    pub summary: FlowSummary,
    /// True when the flow is live and its draft differs from the live version: edits that
    /// contacts do not get until the flow is published again.
    pub unpublished_changes: bool,
}

/// A flow with its draft document and what is wrong with it.
#[derive(Debug, Serialize, ToSchema)]
pub struct FlowDetail {
    #[serde(flatten)]
    pub summary: FlowSummary,
    /// The draft, as last saved.
    #[schema(value_type = Object)]
    pub document: Value,
    /// Every problem in the draft (errors block publishing; warnings do not).
    #[schema(value_type = Vec<Object>)]
    pub diagnostics: Vec<Diagnostic>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VersionSummary {
    pub version: i32,
    /// The content hash runs name their version by.
    pub hash: String,
    pub published_at: String,
    pub published_by: String,
    /// Whether new runs start on this version.
    pub live: bool,
    /// What its author said it changes.
    pub note: Option<String>,
    /// In the list only: what changed since the version before (for the first, every node
    /// is added). `{added, removed, changed}` node ids, `edges_added`, `edges_removed`,
    /// `settings_changed`; positions are not changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub changes: Option<spool_flows::diff::Changes>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VersionDetail {
    #[serde(flatten)]
    pub summary: VersionSummary,
    #[schema(value_type = Object)]
    pub document: Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Validation {
    /// True when nothing blocks publishing.
    pub valid: bool,
    pub errors: usize,
    pub warnings: usize,
    #[schema(value_type = Vec<Object>)]
    pub diagnostics: Vec<Diagnostic>,
    /// Edges along which the 24-hour window may be closed, each named by the node and port
    /// it leaves, with the reason: the editor draws them differently.
    pub closed_window: Vec<ClosedWindowEdge>,
}

/// An edge along which the 24-hour window may be closed (a port leads to one node only).
#[derive(Debug, Serialize, ToSchema)]
pub struct ClosedWindowEdge {
    pub node_id: String,
    pub port: String,
    /// Why, in words for the person building the journey.
    pub reason: String,
}

impl From<spool_flows::ClosedWindowEdge> for ClosedWindowEdge {
    fn from(edge: spool_flows::ClosedWindowEdge) -> Self {
        Self {
            node_id: edge.node_id,
            port: edge.port,
            reason: edge.reason,
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct FlowPath {
    pub workspace: String,
    pub flow: String,
}

#[derive(Debug, Deserialize)]
pub struct VersionPath {
    pub workspace: String,
    pub flow: String,
    pub version: i32,
}

pub fn rfc3339(millis: i64) -> String {
    chrono::DateTime::from_timestamp_millis(millis)
        .map(|at| at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

fn summary(model: &flow::Model) -> FlowSummary {
    FlowSummary {
        id: model.id.clone(),
        name: model.name.clone(),
        revision: model.revision,
        published_version: model.published_version,
        created_at: rfc3339(model.created_at),
        updated_at: rfc3339(model.updated_at),
        updated_by: model.updated_by.clone(),
    }
}

fn diagnostics_of(document: &str) -> Vec<Diagnostic> {
    spool_flows::check(document).diagnostics
}

fn detail(model: flow::Model) -> FlowDetail {
    let diagnostics = diagnostics_of(&model.document);
    FlowDetail {
        summary: summary(&model),
        document: serde_json::from_str(&model.document).unwrap_or(Value::Null),
        diagnostics,
    }
}

fn etag(revision: i64) -> header::EntityTag {
    header::EntityTag::new_strong(revision.to_string())
}

fn with_etag(mut response: HttpResponse, revision: i64) -> HttpResponse {
    if let Ok(value) = header::HeaderValue::from_str(&etag(revision).to_string()) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

/// Flow ids follow the flow document's rule, so `spool validate` and the API agree.
fn check_flow_id(id: &str) -> Result<(), ApiError> {
    spool_flows::check_flow_id(id).map_err(|diagnostic| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            Code::InvalidFlowId,
            diagnostic.message,
        )
    })
}

/// What a draft must be to be saved at all: a JSON object, whose `id` (if any) is a valid
/// flow id. Everything else may be wrong and is reported by validation.
fn read_draft(body: &[u8]) -> Result<serde_json::Map<String, Value>, ApiError> {
    let value: Value = parse_json(body)?;
    let Value::Object(document) = value else {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            Code::NotAFlow,
            "A flow document is a JSON object: {\"schema\": 1, \"id\", \"name\", \"nodes\", \"edges\"}.",
        ));
    };
    Ok(document)
}

fn name_of(document: &serde_json::Map<String, Value>, id: &str) -> String {
    document
        .get("name")
        .and_then(Value::as_str)
        .filter(|name| !name.trim().is_empty())
        .unwrap_or(id)
        .to_owned()
}

/// The revision a save is based on, from `If-Match: "<revision>"`.
fn if_match(request: &HttpRequest) -> Result<Option<i64>, ApiError> {
    let Some(value) = request.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or_default().trim();
    let revision = text
        .trim_start_matches("W/")
        .trim_matches('"')
        .parse::<i64>()
        .map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                Code::InvalidIfMatch,
                format!(
                    "If-Match must be the flow's ETag, a revision in quotes like \"3\"; got {text:?}."
                ),
            )
        })?;
    Ok(Some(revision))
}

fn stale(current: i64, sent: i64) -> ApiError {
    let mut error = ApiError::new(
        StatusCode::CONFLICT,
        Code::RevisionConflict,
        format!(
            "This flow was saved by someone else since revision {sent} (it is at revision {current}); reload it and apply your change again."
        ),
    );
    error.details = json!({ "current_revision": current, "your_revision": sent });
    error
}

pub async fn find_flow(
    state: &AppState,
    caller: &Caller,
    flow_id: &str,
) -> Result<flow::Model, ApiError> {
    flow::Entity::find_by_id((caller.workspace.clone(), flow_id.to_owned()))
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("There is no flow {flow_id}.")))
}

async fn find_flow_for_update(
    txn: &DatabaseTransaction,
    caller: &Caller,
    flow_id: &str,
) -> Result<flow::Model, ApiError> {
    flow::Entity::find_by_id((caller.workspace.clone(), flow_id.to_owned()))
        .one(txn)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("There is no flow {flow_id}.")))
}
