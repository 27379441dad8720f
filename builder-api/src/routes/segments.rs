//! Segments over HTTP: saved audiences with a name, listed with how many contacts they
//! hold now, and a preview (count and a sample) of any audience while it is being built.
//! Members are whoever matches when asked: a broadcast to a segment reaches the contacts
//! that match when it sends.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::auth::{Caller, Role};
use crate::db::segment::{self, Entity};
use crate::directory::{self, Audience, DirectoryEntry};
use crate::error::{ApiError, Code};
use crate::routes::parse_json;
use crate::state::AppState;
use crate::time::rfc3339;

/// Contacts a preview shows.
const SAMPLE: u64 = 10;

pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/segments", web::get().to(list))
        .route("/segments", web::post().to(create))
        .route("/segments/preview", web::post().to(preview))
        .route("/segments/{segment}", web::get().to(read))
        .route("/segments/{segment}", web::put().to(replace))
        .route("/segments/{segment}", web::delete().to(remove));
}

#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    paths(list, create, preview, read, replace, remove),
    components(schemas(SegmentView, SegmentList, SegmentInput, Preview))
)]
pub struct Api;

#[derive(Debug, Deserialize)]
pub struct SegmentPath {
    pub workspace: String,
    pub segment: String,
}

/// A segment to save.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SegmentInput {
    /// 1 to 100 characters, unique in the workspace.
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub audience: Audience,
}

/// A saved segment and how many contacts match it now.
#[derive(Debug, Serialize, ToSchema)]
pub struct SegmentView {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub audience: Audience,
    /// Contacts who match now.
    pub count: u64,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SegmentList {
    /// By name.
    pub segments: Vec<SegmentView>,
}

/// How many contacts an audience holds now, and a few of them.
#[derive(Debug, Serialize, ToSchema)]
pub struct Preview {
    pub count: u64,
    /// Up to 10, those who wrote last first.
    pub sample: Vec<DirectoryEntry>,
}

fn bad(code: Code, message: String) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, code, message)
}

fn checked(input: &SegmentInput) -> Result<(), ApiError> {
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(bad(
            Code::InvalidName,
            "A segment's name is 1 to 100 characters.".into(),
        ));
    }
    if input
        .description
        .as_ref()
        .is_some_and(|text| text.chars().count() > 1_000)
    {
        return Err(bad(
            Code::InvalidName,
            "A segment's description is at most 1,000 characters.".into(),
        ));
    }
    input.audience.check().map_err(|invalid| {
        let mut error = bad(
            Code::InvalidAudience,
            format!("The audience cannot be used: {invalid}."),
        );
        error.details = json!({ "condition": invalid.index });
        error
    })
}

pub(crate) fn audience_of(row: &segment::Model) -> Audience {
    serde_json::from_str(&row.audience).unwrap_or_default()
}

async fn view(state: &AppState, row: segment::Model) -> Result<SegmentView, ApiError> {
    let audience = audience_of(&row);
    let count = directory::count(&state.db, &row.workspace_id, &audience, state.now()).await?;
    Ok(SegmentView {
        id: row.id,
        name: row.name,
        description: row.description,
        audience,
        count,
        created_by: row.created_by,
        created_at: rfc3339(row.created_at),
        updated_at: rfc3339(row.updated_at),
    })
}

/// A segment of the caller's workspace.
pub(crate) async fn found(
    state: &AppState,
    workspace: &str,
    id: &str,
) -> Result<segment::Model, ApiError> {
    Entity::find_by_id(id.to_owned())
        .filter(segment::Column::WorkspaceId.eq(workspace))
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::not_found("No such segment in this workspace."))
}

async fn name_taken(
    state: &AppState,
    caller: &Caller,
    name: &str,
    not: Option<&str>,
) -> Result<(), ApiError> {
    let mut query = Entity::find()
        .filter(segment::Column::WorkspaceId.eq(caller.workspace.as_str()))
        .filter(segment::Column::Name.eq(name));
    if let Some(id) = not {
        query = query.filter(segment::Column::Id.ne(id));
    }
    if query.one(&state.db).await?.is_some() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            Code::NameTaken,
            format!("Another segment is called {name:?}."),
        ));
    }
    Ok(())
}

/// The workspace's segments, with how many contacts each holds now.
#[utoipa::path(
    get, path = "/api/v1/workspaces/{workspace}/segments", tag = "segments", operation_id = "list_segments",
    params(("workspace" = String, Path)),
    responses((status = 200, body = SegmentList))
)]
pub async fn list(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    let rows = Entity::find()
        .filter(segment::Column::WorkspaceId.eq(caller.workspace.as_str()))
        .order_by_asc(segment::Column::Name)
        .all(&state.db)
        .await?;
    let mut segments = Vec::with_capacity(rows.len());
    for row in rows {
        segments.push(view(&state, row).await?);
    }
    Ok(HttpResponse::Ok().json(SegmentList { segments }))
}

/// Saves a segment.
#[utoipa::path(
    post, path = "/api/v1/workspaces/{workspace}/segments", tag = "segments", operation_id = "create_segment",
    params(("workspace" = String, Path)),
    request_body = SegmentInput,
    responses(
        (status = 201, body = SegmentView),
        (status = 400, description = "A bad name or condition"),
        (status = 409, description = "The name is taken")
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Editor)?;
    let input = parse_json::<SegmentInput>(&body)?;
    checked(&input)?;
    let name = input.name.trim().to_owned();
    name_taken(&state, &caller, &name, None).await?;
    let now = state.now();
    let row = segment::ActiveModel {
        id: Set(format!("seg_{}", uuid::Uuid::now_v7().simple())),
        workspace_id: Set(caller.workspace.clone()),
        name: Set(name),
        description: Set(input.description),
        audience: Set(serde_json::to_string(&input.audience).unwrap_or_default()),
        created_by: Set(caller.actor.label()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&state.db)
    .await?;
    Ok(HttpResponse::Created().json(view(&state, row).await?))
}

/// How many contacts an audience holds now, and a sample: for building one.
#[utoipa::path(
    post, path = "/api/v1/workspaces/{workspace}/segments/preview", tag = "segments", operation_id = "preview_segment",
    params(("workspace" = String, Path)),
    request_body = Audience,
    responses((status = 200, body = Preview), (status = 400))
)]
pub async fn preview(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let audience = parse_json::<Audience>(&body)?;
    checked(&SegmentInput {
        name: "preview".into(),
        description: None,
        audience: audience.clone(),
    })?;
    let now = state.now();
    let count = directory::count(&state.db, &caller.workspace, &audience, now).await?;
    let sample = directory::sample(&state.db, &caller.workspace, &audience, now, SAMPLE).await?;
    Ok(HttpResponse::Ok().json(Preview { count, sample }))
}

/// A segment, with how many contacts it holds now.
#[utoipa::path(
    get, path = "/api/v1/workspaces/{workspace}/segments/{segment}", tag = "segments", operation_id = "read_segment",
    params(("workspace" = String, Path), ("segment" = String, Path)),
    responses((status = 200, body = SegmentView), (status = 404))
)]
pub async fn read(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<SegmentPath>,
) -> Result<HttpResponse, ApiError> {
    let row = found(&state, &caller.workspace, &path.segment).await?;
    Ok(HttpResponse::Ok().json(view(&state, row).await?))
}

/// Changes a segment (its name, description and conditions).
#[utoipa::path(
    put, path = "/api/v1/workspaces/{workspace}/segments/{segment}", tag = "segments", operation_id = "replace_segment",
    params(("workspace" = String, Path), ("segment" = String, Path)),
    request_body = SegmentInput,
    responses((status = 200, body = SegmentView), (status = 400), (status = 404), (status = 409))
)]
pub async fn replace(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<SegmentPath>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Editor)?;
    let input = parse_json::<SegmentInput>(&body)?;
    checked(&input)?;
    let row = found(&state, &caller.workspace, &path.segment).await?;
    let name = input.name.trim().to_owned();
    name_taken(&state, &caller, &name, Some(&row.id)).await?;
    let mut active: segment::ActiveModel = row.into();
    active.name = Set(name);
    active.description = Set(input.description);
    active.audience = Set(serde_json::to_string(&input.audience).unwrap_or_default());
    active.updated_at = Set(state.now());
    let row = active.update(&state.db).await?;
    Ok(HttpResponse::Ok().json(view(&state, row).await?))
}

/// Deletes a segment (its contacts stay).
#[utoipa::path(
    delete, path = "/api/v1/workspaces/{workspace}/segments/{segment}", tag = "segments", operation_id = "delete_segment",
    params(("workspace" = String, Path), ("segment" = String, Path)),
    responses((status = 204), (status = 404))
)]
pub async fn remove(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<SegmentPath>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Editor)?;
    let row = found(&state, &caller.workspace, &path.segment).await?;
    Entity::delete_by_id(row.id).exec(&state.db).await?;
    Ok(HttpResponse::NoContent().finish())
}
