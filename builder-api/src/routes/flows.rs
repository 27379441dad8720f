//! Flows: drafts saved freely (even invalid) with optimistic concurrency, validation,
//! publishing to immutable versions, rollback, import and export.
//!
//! A flow's id is its document's `id`, unique in its workspace. Saves carry the revision they
//! were based on in `If-Match` (the `ETag` of the last read or save); a save based on an older
//! revision is refused with 409, so two editors never overwrite each other silently.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::{HttpRequest, HttpResponse, web};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use spool_flows::Diagnostic;
use utoipa::ToSchema;

use crate::audit;
use crate::auth::{Caller, Role};
use crate::db::{flow, flow_version};
use crate::error::{ApiError, Code};
use crate::published::{compile_in, record_change};
use crate::routes::parse_json;
use crate::state::AppState;

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/flows", web::get().to(list))
        .route("/flows", web::post().to(create))
        .route("/flows/import", web::post().to(import))
        .route("/flows/{flow}", web::get().to(read))
        .route("/flows/{flow}", web::put().to(save))
        .route("/flows/{flow}", web::delete().to(delete))
        .route("/flows/{flow}/validate", web::post().to(validate))
        .route("/flows/{flow}/publish", web::post().to(publish))
        .route("/flows/{flow}/unpublish", web::post().to(unpublish))
        .route("/flows/{flow}/export", web::get().to(export))
        .route("/flows/{flow}/versions", web::get().to(versions))
        .route("/flows/{flow}/versions/{version}", web::get().to(version))
        .route(
            "/flows/{flow}/versions/{version}/rollback",
            web::post().to(rollback),
        );
}

#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    paths(
        list, create, import, read, save, delete, validate, publish, unpublish, export, versions,
        version, rollback
    ),
    components(schemas(FlowSummary, FlowDetail, VersionSummary, VersionDetail, Validation))
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

/// Lists the workspace's flows.
#[utoipa::path(
    get, path = "/api/v1/workspaces/{workspace}/flows", tag = "flows",
    params(("workspace" = String, Path)),
    responses((status = 200, body = Vec<FlowSummary>))
)]
pub async fn list(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    let flows = flow::Entity::find()
        .filter(flow::Column::WorkspaceId.eq(&caller.workspace))
        .order_by_asc(flow::Column::Id)
        .all(&state.db)
        .await?;
    Ok(HttpResponse::Ok().json(flows.iter().map(summary).collect::<Vec<_>>()))
}

async fn insert_draft(
    state: &AppState,
    caller: &Caller,
    mut document: serde_json::Map<String, Value>,
    action: &str,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Editor)?;
    let id = match document.get("id") {
        Some(Value::String(id)) => id.clone(),
        Some(_) => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                Code::InvalidFlowId,
                "The document's `id` must be a string.",
            ));
        }
        None => {
            let id = uuid::Uuid::now_v7().simple().to_string();
            document.insert("id".into(), Value::String(id.clone()));
            id
        }
    };
    check_flow_id(&id)?;
    let now = state.now();
    let name = name_of(&document, &id);
    let text = Value::Object(document).to_string();
    let txn = state.db.begin().await?;
    if flow::Entity::find_by_id((caller.workspace.clone(), id.clone()))
        .one(&txn)
        .await?
        .is_some()
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            Code::FlowExists,
            format!(
                "A flow with id {id} exists already; change the document's `id` or save to PUT /flows/{id}."
            ),
        ));
    }
    let model = flow::ActiveModel {
        workspace_id: Set(caller.workspace.clone()),
        id: Set(id.clone()),
        name: Set(name),
        document: Set(text),
        revision: Set(1),
        published_version: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        updated_by: Set(caller.actor.label()),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        &caller.workspace,
        &caller.actor.label(),
        action,
        &format!("flow:{id}"),
        json!({ "revision": 1 }),
        now,
    )
    .await?;
    txn.commit().await?;
    let revision = model.revision;
    Ok(with_etag(
        HttpResponse::Created()
            .insert_header((
                header::LOCATION,
                format!("/api/v1/workspaces/{}/flows/{id}", caller.workspace),
            ))
            .json(detail(model)),
        revision,
    ))
}

/// Creates a flow from a document (saved even when invalid).
#[utoipa::path(
    post, path = "/api/v1/workspaces/{workspace}/flows", tag = "flows",
    params(("workspace" = String, Path)),
    request_body(content = Object, description = "A flow document; `id` is generated when absent."),
    responses(
        (status = 201, body = FlowDetail, headers(("ETag" = String))),
        (status = 409, description = "A flow with this id exists"),
        (status = 422, description = "Not a JSON object, or a bad id")
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let document = read_draft(&body)?;
    insert_draft(&state, &caller, document, "flow.created").await
}

/// Imports a flow file (a document exported from any Spool), whatever its content type.
#[utoipa::path(
    post, path = "/api/v1/workspaces/{workspace}/flows/import", tag = "flows",
    params(("workspace" = String, Path)),
    request_body(content = Object, description = "An exported flow file."),
    responses((status = 201, body = FlowDetail), (status = 409, description = "A flow with this id exists"))
)]
pub async fn import(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let document = read_draft(&body)?;
    insert_draft(&state, &caller, document, "flow.imported").await
}

/// Reads a flow: its draft, its diagnostics, its published version.
#[utoipa::path(
    get, path = "/api/v1/workspaces/{workspace}/flows/{flow}", tag = "flows",
    params(("workspace" = String, Path), ("flow" = String, Path)),
    responses((status = 200, body = FlowDetail, headers(("ETag" = String))), (status = 404))
)]
pub async fn read(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<FlowPath>,
) -> Result<HttpResponse, ApiError> {
    let model = find_flow(&state, &caller, &path.flow).await?;
    let revision = model.revision;
    Ok(with_etag(HttpResponse::Ok().json(detail(model)), revision))
}

/// Saves the draft. `If-Match` (the ETag of the revision edited) is required.
#[utoipa::path(
    put, path = "/api/v1/workspaces/{workspace}/flows/{flow}", tag = "flows",
    params(("workspace" = String, Path), ("flow" = String, Path),
           ("If-Match" = String, Header, description = "The ETag of the revision this edit is based on")),
    request_body(content = Object),
    responses(
        (status = 200, body = FlowDetail, headers(("ETag" = String))),
        (status = 409, description = "Saved by someone else since"),
        (status = 428, description = "If-Match missing")
    )
)]
pub async fn save(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<FlowPath>,
    request: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Editor)?;
    let Some(sent) = if_match(&request)? else {
        return Err(ApiError::new(
            StatusCode::PRECONDITION_REQUIRED,
            Code::IfMatchRequired,
            "Send the revision you edited in If-Match (the ETag of GET /flows/{flow}), so that a newer save is never overwritten.",
        ));
    };
    let mut document = read_draft(&body)?;
    match document.get("id") {
        None => {
            document.insert("id".into(), Value::String(path.flow.clone()));
        }
        Some(Value::String(id)) if *id == path.flow => {}
        Some(other) => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                Code::FlowIdMismatch,
                format!(
                    "The document's id {other} is not this flow's ({}); a flow's id cannot change — import it as a new flow instead.",
                    path.flow
                ),
            ));
        }
    }
    let now = state.now();
    let txn = state.db.begin().await?;
    let current = find_flow_for_update(&txn, &caller, &path.flow).await?;
    if current.revision != sent {
        return Err(stale(current.revision, sent));
    }
    let revision = current.revision + 1;
    let name = name_of(&document, &path.flow);
    // The revision check and the write are one statement, so two saves racing on the same
    // revision cannot both win (whatever the database's isolation level).
    let updated = flow::Entity::update_many()
        .col_expr(
            flow::Column::Document,
            Value::Object(document).to_string().into(),
        )
        .col_expr(flow::Column::Name, name.into())
        .col_expr(flow::Column::Revision, revision.into())
        .col_expr(flow::Column::UpdatedAt, now.into())
        .col_expr(flow::Column::UpdatedBy, caller.actor.label().into())
        .filter(flow::Column::WorkspaceId.eq(&caller.workspace))
        .filter(flow::Column::Id.eq(&path.flow))
        .filter(flow::Column::Revision.eq(sent))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(stale(sent + 1, sent));
    }
    audit::record(
        &txn,
        &caller.workspace,
        &caller.actor.label(),
        "flow.saved",
        &format!("flow:{}", path.flow),
        json!({ "revision": revision }),
        now,
    )
    .await?;
    let model = find_flow_for_update(&txn, &caller, &path.flow).await?;
    txn.commit().await?;
    Ok(with_etag(HttpResponse::Ok().json(detail(model)), revision))
}

/// Deletes a flow and stops new runs of it; runs already in it finish on their version.
#[utoipa::path(
    delete, path = "/api/v1/workspaces/{workspace}/flows/{flow}", tag = "flows",
    params(("workspace" = String, Path), ("flow" = String, Path)),
    responses((status = 204), (status = 404), (status = 409, description = "If-Match is stale"))
)]
pub async fn delete(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<FlowPath>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Editor)?;
    let sent = if_match(&request)?;
    let now = state.now();
    let txn = state.db.begin().await?;
    let current = find_flow_for_update(&txn, &caller, &path.flow).await?;
    if let Some(sent) = sent
        && sent != current.revision
    {
        return Err(stale(current.revision, sent));
    }
    flow::Entity::delete_by_id((caller.workspace.clone(), path.flow.clone()))
        .exec(&txn)
        .await?;
    if current.published_version.is_some() {
        record_change(&txn, &caller.workspace, &path.flow, None, now).await?;
    }
    audit::record(
        &txn,
        &caller.workspace,
        &caller.actor.label(),
        "flow.deleted",
        &format!("flow:{}", path.flow),
        json!({ "revision": current.revision, "published_version": current.published_version }),
        now,
    )
    .await?;
    txn.commit().await?;
    state.published.sync(&state.db).await?;
    Ok(HttpResponse::NoContent().finish())
}

fn validation(diagnostics: Vec<Diagnostic>) -> Validation {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    Validation {
        valid: errors == 0,
        errors,
        warnings: diagnostics.len() - errors,
        diagnostics,
    }
}

/// Validates the saved draft: every problem, with the node and field it is on.
#[utoipa::path(
    post, path = "/api/v1/workspaces/{workspace}/flows/{flow}/validate", tag = "flows",
    params(("workspace" = String, Path), ("flow" = String, Path)),
    responses((status = 200, body = Validation))
)]
pub async fn validate(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<FlowPath>,
) -> Result<HttpResponse, ApiError> {
    let model = find_flow(&state, &caller, &path.flow).await?;
    Ok(HttpResponse::Ok().json(validation(diagnostics_of(&model.document))))
}

/// Writes `document` as the next version of the flow and makes it live, in `txn`.
async fn publish_document(
    txn: &DatabaseTransaction,
    caller: &Caller,
    flow_model: flow::Model,
    document: &str,
    hash: &str,
    now: i64,
    details: Value,
) -> Result<flow_version::Model, ApiError> {
    let latest = flow_version::Entity::find()
        .filter(flow_version::Column::WorkspaceId.eq(&caller.workspace))
        .filter(flow_version::Column::FlowId.eq(&flow_model.id))
        .order_by_desc(flow_version::Column::Version)
        .one(txn)
        .await?;
    let number = latest.map_or(1, |latest| latest.version + 1);
    let version = flow_version::ActiveModel {
        workspace_id: Set(caller.workspace.clone()),
        flow_id: Set(flow_model.id.clone()),
        version: Set(number),
        hash: Set(hash.to_owned()),
        document: Set(document.to_owned()),
        published_at: Set(now),
        published_by: Set(caller.actor.label()),
    }
    .insert(txn)
    .await?;
    let id = flow_model.id.clone();
    let mut active = flow_model.into_active_model();
    active.published_version = Set(Some(number));
    active.update(txn).await?;
    record_change(txn, &caller.workspace, &id, Some(number), now).await?;
    let mut details = details;
    details["version"] = json!(number);
    details["hash"] = json!(hash);
    audit::record(
        txn,
        &caller.workspace,
        &caller.actor.label(),
        "flow.published",
        &format!("flow:{id}"),
        details,
        now,
    )
    .await?;
    Ok(version)
}

fn version_summary(model: &flow_version::Model, live: Option<i32>) -> VersionSummary {
    VersionSummary {
        version: model.version,
        hash: model.hash.clone(),
        published_at: rfc3339(model.published_at),
        published_by: model.published_by.clone(),
        live: live == Some(model.version),
    }
}

fn version_detail(model: flow_version::Model, live: Option<i32>) -> VersionDetail {
    VersionDetail {
        summary: version_summary(&model, live),
        document: serde_json::from_str(&model.document).unwrap_or(Value::Null),
    }
}

/// Publishes the draft as a new immutable version; refused (422) while it has errors.
#[utoipa::path(
    post, path = "/api/v1/workspaces/{workspace}/flows/{flow}/publish", tag = "flows",
    params(("workspace" = String, Path), ("flow" = String, Path),
           ("If-Match" = Option<String>, Header, description = "Publish only if the draft is still at this revision")),
    responses(
        (status = 201, body = VersionDetail, description = "A new version, now live"),
        (status = 200, body = VersionDetail, description = "The draft is the live version already"),
        (status = 409, description = "`revision_conflict`: the draft changed since the revision in If-Match; or `hook_taken`: a webhook trigger's hook already starts another live flow of the workspace (details.held_by names it)"),
        (status = 422, description = "The draft has errors; details.diagnostics lists them")
    )
)]
pub async fn publish(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<FlowPath>,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Editor)?;
    let sent = if_match(&request)?;
    let now = state.now();
    // Fresh before the hook check (and outside the transaction: SQLite has one connection).
    state.published.sync(&state.db).await?;
    let txn = state.db.begin().await?;
    let current = find_flow_for_update(&txn, &caller, &path.flow).await?;
    if let Some(sent) = sent
        && sent != current.revision
    {
        return Err(stale(current.revision, sent));
    }
    let compiled = compile_in(&caller.workspace, &current.document).map_err(|diagnostics| {
        let mut error = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            Code::FlowInvalid,
            format!(
                "The flow has {} error(s); fix them before publishing.",
                diagnostics.iter().filter(|d| d.is_error()).count()
            ),
        );
        error.details = json!({ "diagnostics": diagnostics });
        error
    })?;
    if let Some(live) = current.published_version {
        let live_version =
            flow_version::Entity::find_by_id((caller.workspace.clone(), path.flow.clone(), live))
                .one(&txn)
                .await?;
        if let Some(live_version) = live_version
            && live_version.hash == compiled.hash()
        {
            return Ok(HttpResponse::Ok().json(version_detail(live_version, Some(live))));
        }
    }
    state.published.check_hooks(&compiled)?;
    let document = current.document.clone();
    let revision = current.revision;
    let version = publish_document(
        &txn,
        &caller,
        current,
        &document,
        compiled.hash(),
        now,
        json!({ "revision": revision }),
    )
    .await?;
    txn.commit().await?;
    state.published.compiled(compiled);
    state.published.sync(&state.db).await?;
    let live = Some(version.version);
    Ok(HttpResponse::Created().json(version_detail(version, live)))
}

/// Stops new runs of the flow (runs in it go on); publish or roll back to start again.
#[utoipa::path(
    post, path = "/api/v1/workspaces/{workspace}/flows/{flow}/unpublish", tag = "flows",
    params(("workspace" = String, Path), ("flow" = String, Path)),
    responses((status = 200, body = FlowSummary))
)]
pub async fn unpublish(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<FlowPath>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Editor)?;
    let now = state.now();
    let txn = state.db.begin().await?;
    let current = find_flow_for_update(&txn, &caller, &path.flow).await?;
    let was = current.published_version;
    let mut active = current.into_active_model();
    active.published_version = Set(None);
    let model = active.update(&txn).await?;
    if was.is_some() {
        record_change(&txn, &caller.workspace, &path.flow, None, now).await?;
    }
    audit::record(
        &txn,
        &caller.workspace,
        &caller.actor.label(),
        "flow.unpublished",
        &format!("flow:{}", path.flow),
        json!({ "version": was }),
        now,
    )
    .await?;
    txn.commit().await?;
    state.published.sync(&state.db).await?;
    Ok(HttpResponse::Ok().json(summary(&model)))
}

/// The draft as a file to download (and import elsewhere).
#[utoipa::path(
    get, path = "/api/v1/workspaces/{workspace}/flows/{flow}/export", tag = "flows",
    params(("workspace" = String, Path), ("flow" = String, Path)),
    responses((status = 200, content_type = "application/json", body = Object))
)]
pub async fn export(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<FlowPath>,
) -> Result<HttpResponse, ApiError> {
    let model = find_flow(&state, &caller, &path.flow).await?;
    let document: Value = serde_json::from_str(&model.document).unwrap_or(Value::Null);
    let pretty = serde_json::to_string_pretty(&document)
        .map_err(|err| ApiError::internal(Code::ExportFailed, err))?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(format!("{}.json", model.id))],
        })
        .body(pretty + "\n"))
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
    Ok(HttpResponse::Ok().json(
        versions
            .iter()
            .map(|version| version_summary(version, model.published_version))
            .collect::<Vec<_>>(),
    ))
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
    responses(
        (status = 201, body = VersionDetail),
        (status = 404),
        (status = 409, description = "`hook_taken`: a hook of that version now starts another live flow of the workspace (details.held_by names it)")
    )
)]
pub async fn rollback(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<VersionPath>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Editor)?;
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
    let version = publish_document(
        &txn,
        &caller,
        current,
        &old.document,
        &old.hash,
        now,
        json!({ "rollback_to": old.version }),
    )
    .await?;
    txn.commit().await?;
    state.published.sync(&state.db).await?;
    let live = Some(version.version);
    Ok(HttpResponse::Created().json(version_detail(version, live)))
}
