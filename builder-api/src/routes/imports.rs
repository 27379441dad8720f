//! Contact imports and exports over HTTP: upload a CSV file (its columns and a suggested
//! mapping come back), dry-run it with a mapping (what importing would do, row by row
//! where it would not), start it (in the background, with its progress readable), and
//! export contacts as CSV (the same columns an import maps back exactly).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use spool_contact_lists::{Column, ExportContact, ListError, Mapping, Sniffed};
use utoipa::ToSchema;

use crate::auth::{Caller, Role};
use crate::db::contact_import::{self, Entity};
use crate::directory::{self, Audience};
use crate::error::{ApiError, Code};
use crate::imports::{self, ImportReport, Plan};
use crate::routes::parse_json;
use crate::state::AppState;
use crate::time::rfc3339;

/// The largest file taken (about a million rows of a typical export).
pub const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;
/// Imports a list shows.
const LISTED: u64 = 50;

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .service(
            web::resource("/contacts/imports")
                .app_data(web::PayloadConfig::new(MAX_FILE_BYTES))
                .route(web::post().to(upload))
                .route(web::get().to(list)),
        )
        .route("/contacts/imports/{import}", web::get().to(read))
        .route(
            "/contacts/imports/{import}/dry-run",
            web::post().to(dry_run),
        )
        .route("/contacts/imports/{import}/start", web::post().to(start))
        .route("/contacts/export", web::get().to(export));
}

#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    paths(upload, list, read, dry_run, start, export),
    components(schemas(ImportView, ImportList, Plan, ImportReport))
)]
pub struct Api;

#[derive(Debug, Deserialize)]
pub struct ImportPath {
    pub workspace: String,
    pub import: String,
}

/// An import: its file's columns, the suggested mapping, where it stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportView {
    pub id: String,
    pub file_name: String,
    /// `uploaded` (not started), `importing`, `done` or `failed`.
    pub state: String,
    /// The file's columns, as its first line names them.
    pub headers: Vec<String>,
    /// `comma`, `semicolon` or `tab`.
    pub delimiter: String,
    /// A guess of what each column holds (`{"kind": "phone"}`, …), one per column.
    #[schema(value_type = Vec<Object>)]
    pub suggested: Vec<Column>,
    /// Rows read so far.
    pub processed: u64,
    /// The counts so far (once started).
    pub report: Option<ImportReport>,
    /// Why it failed.
    pub error: Option<String>,
    pub created_by: String,
    pub created_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportList {
    /// Newest first.
    pub imports: Vec<ImportView>,
}

fn view(row: &contact_import::Model) -> ImportView {
    let sniffed: Option<Sniffed> = serde_json::from_str(&row.sniffed).ok();
    ImportView {
        id: row.id.clone(),
        file_name: row.file_name.clone(),
        state: row.state.clone(),
        headers: sniffed
            .as_ref()
            .map(|s| s.headers.clone())
            .unwrap_or_default(),
        delimiter: sniffed
            .as_ref()
            .and_then(|s| serde_json::to_value(s.delimiter).ok())
            .and_then(|value| value.as_str().map(str::to_owned))
            .unwrap_or_default(),
        suggested: sniffed.map(|s| s.suggested).unwrap_or_default(),
        processed: u64::try_from(row.processed).unwrap_or(0),
        report: row
            .report
            .as_deref()
            .and_then(|text| serde_json::from_str(text).ok()),
        error: row.error.clone(),
        created_by: row.created_by.clone(),
        created_at: rfc3339(row.created_at),
    }
}

fn unreadable(err: &ListError) -> ApiError {
    let mut error = ApiError::new(
        StatusCode::BAD_REQUEST,
        Code::InvalidImport,
        format!("The file cannot be imported: {err}."),
    );
    if let ListError::Mapping { problems } = err {
        error.details = json!({ "problems": problems });
    }
    error
}

/// Uploads a CSV file of contacts (the request's body, as it is; `?name=` names it). Nothing
/// is imported yet: the answer says what columns the file has and what each seems to hold.
#[utoipa::path(
    post, path = "/api/v1/workspaces/{workspace}/contacts/imports", tag = "contacts",
    params(("workspace" = String, Path), ("name" = Option<String>, Query, description = "The file's name, as shown later")),
    request_body(content = String, content_type = "text/csv"),
    responses(
        (status = 201, body = ImportView),
        (status = 400, description = "Not a CSV file Spool can read (why, in words)"),
        (status = 403, description = "Needs the editor role"),
        (status = 413, description = "Larger than 64 MB")
    )
)]
pub async fn upload(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Editor)?;
    let name = web::Query::<Vec<(String, String)>>::from_query(request.query_string())
        .ok()
        .and_then(|pairs| {
            pairs
                .into_inner()
                .into_iter()
                .find(|(key, _)| key == "name")
                .map(|(_, value)| value)
        })
        .filter(|name| !name.trim().is_empty())
        .map_or_else(
            || "contacts.csv".to_owned(),
            |name| name.chars().take(200).collect(),
        );
    let sniffed = spool_contact_lists::sniff(&body).map_err(|err| unreadable(&err))?;
    let now = state.now();
    let row = contact_import::ActiveModel {
        id: Set(format!("imp_{}", uuid::Uuid::now_v7().simple())),
        workspace_id: Set(caller.workspace.clone()),
        file_name: Set(name),
        file: Set(body.to_vec()),
        sniffed: Set(serde_json::to_string(&sniffed).unwrap_or_default()),
        plan: Set(None),
        state: Set("uploaded".into()),
        processed: Set(0),
        report: Set(None),
        error: Set(None),
        created_by: Set(caller.actor.label()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&state.db)
    .await?;
    Ok(HttpResponse::Created().json(view(&row)))
}

/// The workspace's latest imports.
#[utoipa::path(
    get, path = "/api/v1/workspaces/{workspace}/contacts/imports", tag = "contacts", operation_id = "list_imports",
    params(("workspace" = String, Path)),
    responses((status = 200, body = ImportList))
)]
pub async fn list(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    let rows = Entity::find()
        .filter(contact_import::Column::WorkspaceId.eq(caller.workspace.as_str()))
        .order_by_desc(contact_import::Column::CreatedAt)
        .limit(LISTED)
        .all(&state.db)
        .await?;
    Ok(HttpResponse::Ok().json(ImportList {
        imports: rows.iter().map(view).collect(),
    }))
}

async fn found(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<contact_import::Model, ApiError> {
    Entity::find_by_id(id.to_owned())
        .filter(contact_import::Column::WorkspaceId.eq(caller.workspace.as_str()))
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::not_found("No such import in this workspace."))
}

/// An import: where it stands, with its counts.
#[utoipa::path(
    get, path = "/api/v1/workspaces/{workspace}/contacts/imports/{import}", tag = "contacts", operation_id = "read_import",
    params(("workspace" = String, Path), ("import" = String, Path)),
    responses((status = 200, body = ImportView), (status = 404))
)]
pub async fn read(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<ImportPath>,
) -> Result<HttpResponse, ApiError> {
    let row = found(&state, &caller, &path.import).await?;
    Ok(HttpResponse::Ok().json(view(&row)))
}

/// The plan of an import, checked against its file.
fn checked_plan(row: &contact_import::Model, plan: &Plan) -> Result<(Sniffed, Mapping), ApiError> {
    let sniffed: Sniffed = serde_json::from_str(&row.sniffed).map_err(|err| {
        ApiError::from(sea_orm::DbErr::Custom(format!("import {}: {err}", row.id)))
    })?;
    let mapping = plan.mapping(&sniffed);
    mapping
        .validate(&sniffed.headers)
        .map_err(|err| unreadable(&err))?;
    let states_consent = mapping.columns.contains(&Column::MarketingConsent);
    let basis = plan
        .consent_basis
        .as_deref()
        .map(str::trim)
        .unwrap_or_default();
    if states_consent && basis.is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            Code::InvalidImport,
            "The file says who consented to Marketing messages: say on what basis (for \
             example \"customers who ticked the WhatsApp box at checkout\") in \
             `consent_basis`. It is kept with each contact's consent.",
        ));
    }
    if basis.chars().count() > 500 {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            Code::InvalidImport,
            "`consent_basis` is at most 500 characters.",
        ));
    }
    Ok((sniffed, mapping))
}

/// What importing the file with this mapping would do, changing nothing: rows accepted,
/// rejected (line, column and why), duplicates, suppressed numbers, new and known contacts,
/// consent.
#[utoipa::path(
    post, path = "/api/v1/workspaces/{workspace}/contacts/imports/{import}/dry-run", tag = "contacts", operation_id = "dry_run_import",
    params(("workspace" = String, Path), ("import" = String, Path)),
    request_body = Plan,
    responses(
        (status = 200, body = ImportReport),
        (status = 400, description = "The mapping needs fixing (`details.problems`)"),
        (status = 404),
        (status = 409, description = "Imported already: its file is gone")
    )
)]
pub async fn dry_run(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<ImportPath>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Editor)?;
    let plan = parse_json::<Plan>(&body)?;
    let row = found(&state, &caller, &path.import).await?;
    if row.state != "uploaded" {
        return Err(started(&row));
    }
    let (sniffed, mapping) = checked_plan(&row, &plan)?;
    let report = imports::dry_run(&state.db, &caller.workspace, &row.file, &sniffed, &mapping)
        .await
        .map_err(import_error)?;
    Ok(HttpResponse::Ok().json(report))
}

fn started(row: &contact_import::Model) -> ApiError {
    let mut error = ApiError::new(
        StatusCode::CONFLICT,
        Code::ImportStarted,
        format!(
            "This import was started already ({}): upload the file again to import it again.",
            row.state
        ),
    );
    error.details = json!({ "state": row.state });
    error
}

fn import_error(err: imports::ImportError) -> ApiError {
    match err {
        imports::ImportError::List(err) => unreadable(&err),
        imports::ImportError::Db(err) => ApiError::from(err),
        imports::ImportError::Runtime(err) => ApiError::from(err),
    }
}

/// Starts importing, in the background: read the import to follow its progress.
#[utoipa::path(
    post, path = "/api/v1/workspaces/{workspace}/contacts/imports/{import}/start", tag = "contacts", operation_id = "start_import",
    params(("workspace" = String, Path), ("import" = String, Path)),
    request_body = Plan,
    responses(
        (status = 202, body = ImportView),
        (status = 400, description = "The mapping needs fixing"),
        (status = 404),
        (status = 409, description = "Started already")
    )
)]
pub async fn start(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<ImportPath>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Editor)?;
    let plan = parse_json::<Plan>(&body)?;
    let row = found(&state, &caller, &path.import).await?;
    checked_plan(&row, &plan)?;
    // Started once, however many clicks: only the request that moves it from `uploaded`
    // starts it.
    let claimed = Entity::update_many()
        .col_expr(
            contact_import::Column::State,
            sea_orm::sea_query::Expr::value(imports::IMPORTING),
        )
        .col_expr(
            contact_import::Column::Plan,
            sea_orm::sea_query::Expr::value(serde_json::to_string(&plan).unwrap_or_default()),
        )
        .col_expr(
            contact_import::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(state.now()),
        )
        .filter(contact_import::Column::Id.eq(row.id.as_str()))
        .filter(contact_import::Column::State.eq("uploaded"))
        .exec(&state.db)
        .await?;
    if claimed.rows_affected == 0 {
        return Err(started(&row));
    }
    imports::start(state.clone(), row.id.clone());
    let row = found(&state, &caller, &path.import).await?;
    Ok(HttpResponse::Accepted().json(view(&row)))
}

/// Exports the contacts a list's filters match (all without filters) as CSV: number, name,
/// tags, consent, language, time zone and every property. Importing it back gives the same
/// contacts.
#[utoipa::path(
    get, path = "/api/v1/workspaces/{workspace}/contacts/export", tag = "contacts", operation_id = "export_contacts",
    params(("workspace" = String, Path), ("q" = Option<String>, Query), ("tag" = Option<String>, Query),
           ("consent" = Option<String>, Query), ("wrote_within_days" = Option<u32>, Query),
           ("flow" = Option<String>, Query), ("node" = Option<String>, Query),
           ("ad" = Option<String>, Query), ("channel" = Option<String>, Query)),
    responses((status = 200, content_type = "text/csv", body = String), (status = 400))
)]
pub async fn export(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Editor)?;
    let audience: Audience = crate::routes::contacts::audience_of_query(request.query_string())?;
    let contacts =
        directory::everyone(&state.db, &caller.workspace, &audience, state.now()).await?;
    let mut names: Vec<String> = contacts
        .iter()
        .flat_map(|contact| contact.properties.keys().cloned())
        .collect();
    names.sort();
    names.dedup();
    let rows = contacts.into_iter().filter_map(|contact| {
        Some(ExportContact {
            phone: contact.phone?.trim_start_matches('+').to_owned(),
            name: contact.name,
            tags: contact.tags,
            properties: contact.properties,
            marketing: if contact.marketing_opt_in {
                spool_contact_lists::Consent::Given
            } else {
                spool_contact_lists::Consent::NotStated
            },
            consent_at: contact.marketing_opt_in_at.map(rfc3339),
            locale: contact.locale,
            timezone: contact.timezone,
        })
    });
    let mut out = Vec::new();
    spool_contact_lists::write(&mut out, rows, &names).map_err(|err| unreadable(&err))?;
    crate::audit::record(
        &state.db,
        &caller.workspace,
        &caller.actor.label(),
        "contacts.exported",
        "contacts",
        json!({ "filters": request.query_string() }),
        state.now(),
    )
    .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"contacts.csv\"",
        ))
        .body(out))
}
