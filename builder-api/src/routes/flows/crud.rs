//! Drafts: list, create, import, read, save (with If-Match), delete, validate and export.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::{HttpRequest, HttpResponse, web};
use std::collections::HashMap;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::{Value, json};
use spool_flows::Diagnostic;

use super::{
    ClosedWindowEdge, FlowDetail, FlowListItem, FlowPath, Validation, check_flow_id, detail,
    find_flow, find_flow_for_update, if_match, name_of, read_draft, stale, summary, with_etag,
};
use crate::auth::{Caller, Role};
use crate::db::{flow, flow_version};
use crate::error::{ApiError, Code};
use crate::published::record_change;
use crate::routes::change::Change;
use crate::state::AppState;

/// Lists the workspace's flows.
#[utoipa::path(
    get, path = "/api/v1/workspaces/{workspace}/flows", tag = "flows", operation_id = "list_flows",
    params(("workspace" = String, Path)),
    responses((status = 200, body = Vec<FlowListItem>))
)]
pub async fn list(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    let flows = flow::Entity::find()
        .filter(flow::Column::WorkspaceId.eq(&caller.workspace))
        .order_by_asc(flow::Column::Id)
        .all(&state.db)
        .await?;
    let live = live_documents(&state, &caller.workspace, &flows).await?;
    let items = flows
        .iter()
        .map(|model| FlowListItem {
            summary: summary(model),
            unpublished_changes: live
                .get(&model.id)
                .is_some_and(|live| !same_document(live, &model.document)),
        })
        .collect::<Vec<_>>();
    Ok(HttpResponse::Ok().json(items))
}

/// The live version's document of each published flow among `flows`, by flow id, in one query.
async fn live_documents(
    state: &AppState,
    workspace: &str,
    flows: &[flow::Model],
) -> Result<HashMap<String, String>, ApiError> {
    let mut published = Condition::any();
    let mut any = false;
    for model in flows {
        if let Some(version) = model.published_version {
            any = true;
            published = published.add(
                Condition::all()
                    .add(flow_version::Column::FlowId.eq(&model.id))
                    .add(flow_version::Column::Version.eq(version)),
            );
        }
    }
    if !any {
        return Ok(HashMap::new());
    }
    let versions = flow_version::Entity::find()
        .filter(flow_version::Column::WorkspaceId.eq(workspace))
        .filter(published)
        .all(&state.db)
        .await?;
    Ok(versions
        .into_iter()
        .map(|version| (version.flow_id, version.document))
        .collect())
}

/// Compared as JSON, so that how a document was spelled (key order, spaces) is no change.
fn same_document(a: &str, b: &str) -> bool {
    match (
        serde_json::from_str::<Value>(a),
        serde_json::from_str::<Value>(b),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
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
    let name = name_of(&document, &id);
    let text = Value::Object(document).to_string();
    let change = Change::begin(state, caller).await?;
    let now = change.now;
    if flow::Entity::find_by_id((caller.workspace.clone(), id.clone()))
        .one(&change.txn)
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
    .insert(&change.txn)
    .await?;
    change
        .audit(action, &format!("flow:{id}"), json!({ "revision": 1 }))
        .await?;
    change.commit().await?;
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
    post, path = "/api/v1/workspaces/{workspace}/flows", tag = "flows", operation_id = "create_flow",
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
    get, path = "/api/v1/workspaces/{workspace}/flows/{flow}", tag = "flows", operation_id = "read_flow",
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
    let change = Change::begin(&state, &caller).await?;
    let now = change.now;
    let current = find_flow_for_update(&change.txn, &caller, &path.flow).await?;
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
        .exec(&change.txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(stale(sent + 1, sent));
    }
    change
        .audit(
            "flow.saved",
            &format!("flow:{}", path.flow),
            json!({ "revision": revision }),
        )
        .await?;
    let model = find_flow_for_update(&change.txn, &caller, &path.flow).await?;
    change.commit().await?;
    Ok(with_etag(HttpResponse::Ok().json(detail(model)), revision))
}

/// Deletes a flow and stops new runs of it; runs already in it finish on their version.
#[utoipa::path(
    delete, path = "/api/v1/workspaces/{workspace}/flows/{flow}", tag = "flows", operation_id = "delete_flow",
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
    let change = Change::begin(&state, &caller).await?;
    let current = find_flow_for_update(&change.txn, &caller, &path.flow).await?;
    if let Some(sent) = sent
        && sent != current.revision
    {
        return Err(stale(current.revision, sent));
    }
    flow::Entity::delete_by_id((caller.workspace.clone(), path.flow.clone()))
        .exec(&change.txn)
        .await?;
    if current.published_version.is_some() {
        record_change(&change.txn, &caller.workspace, &path.flow, None, change.now).await?;
    }
    change
        .audit(
            "flow.deleted",
            &format!("flow:{}", path.flow),
            json!({ "revision": current.revision, "published_version": current.published_version }),
        )
        .await?;
    change.commit().await?;
    state.published.sync(&state.db).await?;
    Ok(HttpResponse::NoContent().finish())
}

fn validation(diagnostics: Vec<Diagnostic>, closed_window: Vec<ClosedWindowEdge>) -> Validation {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    Validation {
        valid: errors == 0,
        errors,
        warnings: diagnostics.len() - errors,
        diagnostics,
        closed_window,
    }
}

/// Validates the saved draft, or the document sent (what the editor holds, before it is
/// saved): every problem, with the node and field it is on, including its template sends
/// checked against the templates synced from Meta (as publishing does).
#[utoipa::path(
    post, path = "/api/v1/workspaces/{workspace}/flows/{flow}/validate", tag = "flows",
    params(("workspace" = String, Path), ("flow" = String, Path)),
    request_body(content = Option<Object>, description = "Optional: a flow document to check instead of the saved draft (none, or `{}`, checks the draft); nothing is saved"),
    responses(
        (status = 200, body = Validation),
        (status = 422, description = "`not_a_flow`: the body is not a JSON object")
    )
)]
pub async fn validate(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<FlowPath>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let model = find_flow(&state, &caller, &path.flow).await?;
    // No body, or an empty object (what many clients send with a POST), means the saved
    // draft: a flow document is never empty.
    let sent = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        Some(read_draft(&body)?).filter(|document| !document.is_empty())
    };
    let source = match sent {
        Some(document) => Value::Object(document).to_string(),
        None => model.document,
    };
    let checked = spool_flows::check(&source);
    let mut diagnostics = checked.diagnostics;
    if let Some(flow) = &checked.flow {
        let accounts = crate::templates::check::accounts(&state.db, &caller.workspace).await?;
        diagnostics.extend(crate::templates::check::check(flow, &accounts));
        diagnostics.sort_by_key(|d| d.severity);
    }
    let closed_window = checked.closed_window.into_iter().map(Into::into).collect();
    Ok(HttpResponse::Ok().json(validation(diagnostics, closed_window)))
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
