//! Publishing a draft as a new immutable version, and unpublishing a flow.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::versions::version_detail;
use super::{FlowPath, FlowSummary, VersionDetail, find_flow_for_update, if_match, stale, summary};
use crate::audit;
use crate::auth::{Caller, Role};
use crate::db::{flow, flow_version};
use crate::error::{ApiError, Code};
use crate::published::{compile_in, record_change};
use crate::routes::change::Change;
use crate::routes::parse_json;
use crate::state::AppState;
use crate::templates;
use spool_flows::Diagnostic;

/// A version about to be written: its document, content hash and note, and what the audit
/// log records about where it came from.
pub(super) struct Publication<'a> {
    pub document: &'a str,
    pub hash: &'a str,
    pub note: Option<String>,
    pub details: Value,
}

/// The longest note a version keeps: a line or two, not a changelog.
const MAX_NOTE_CHARS: usize = 500;

/// `{"note": "..."}`, or nothing at all.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PublishBody {
    #[serde(default)]
    note: Option<String>,
}

/// The note a publish or rollback request carries (an empty body has none).
pub(super) fn note_of(body: &[u8]) -> Result<Option<String>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let body: PublishBody = parse_json(body)?;
    let note = body
        .note
        .map(|note| note.trim().to_owned())
        .filter(|note| !note.is_empty());
    if let Some(note) = &note
        && note.chars().count() > MAX_NOTE_CHARS
    {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            Code::NoteTooLong,
            format!(
                "A version's note is at most {MAX_NOTE_CHARS} characters; this one has {}.",
                note.chars().count()
            ),
        ));
    }
    Ok(note)
}

/// Writes the publication as the next version of the flow and makes it live, in `txn`.
pub(super) async fn publish_document(
    txn: &DatabaseTransaction,
    caller: &Caller,
    flow_model: flow::Model,
    publication: Publication<'_>,
    now: i64,
) -> Result<flow_version::Model, ApiError> {
    let Publication {
        document,
        hash,
        note,
        details,
    } = publication;
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
        note: Set(note),
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

fn invalid(mut diagnostics: Vec<Diagnostic>) -> ApiError {
    diagnostics.sort_by_key(|d| d.severity);
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
}

/// Publishes the draft as a new immutable version; refused (422) while it has errors.
#[utoipa::path(
    post, path = "/api/v1/workspaces/{workspace}/flows/{flow}/publish", tag = "flows",
    params(("workspace" = String, Path), ("flow" = String, Path),
           ("If-Match" = Option<String>, Header, description = "Publish only if the draft is still at this revision")),
    request_body(content = Option<Object>, description = "Optional: `{\"note\": \"what this version changes\"}` (at most 500 characters), shown in the version history"),
    responses(
        (status = 201, body = VersionDetail, description = "A new version, now live"),
        (status = 200, body = VersionDetail, description = "The draft is the live version already"),
        (status = 409, description = "`revision_conflict`: the draft changed since the revision in If-Match; or `hook_taken`: a webhook trigger's hook already starts another live flow of the workspace (details.held_by names it)"),
        (status = 422, description = "`note_too_long`; or `flow_invalid`: the draft has errors, or a template it sends does not match what Meta has (missing, not approved, another category, another number of values); details.diagnostics lists them")
    )
)]
pub async fn publish(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<FlowPath>,
    request: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Editor)?;
    let sent = if_match(&request)?;
    let note = note_of(&body)?;
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
    let compiled = compile_in(&caller.workspace, &current.document).map_err(invalid)?;
    // The templates its sends name, as Meta has them: refused now rather than failing sends.
    let accounts = templates::check::accounts(&txn, &caller.workspace).await?;
    let diagnostics = templates::check::check(compiled.flow(), &accounts);
    if diagnostics.iter().any(|d| d.is_error()) {
        return Err(invalid(diagnostics));
    }
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
    let publication = Publication {
        document: &document,
        hash: compiled.hash(),
        note,
        details: json!({ "revision": revision }),
    };
    let version = publish_document(&txn, &caller, current, publication, now).await?;
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
    let change = Change::begin(&state, &caller).await?;
    let current = find_flow_for_update(&change.txn, &caller, &path.flow).await?;
    let was = current.published_version;
    let mut active = current.into_active_model();
    active.published_version = Set(None);
    let model = active.update(&change.txn).await?;
    if was.is_some() {
        record_change(&change.txn, &caller.workspace, &path.flow, None, change.now).await?;
    }
    change
        .audit(
            "flow.unpublished",
            &format!("flow:{}", path.flow),
            json!({ "version": was }),
        )
        .await?;
    change.commit().await?;
    state.published.sync(&state.db).await?;
    Ok(HttpResponse::Ok().json(summary(&model)))
}
