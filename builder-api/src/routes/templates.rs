//! The WhatsApp message templates of a workspace's numbers, as last synced from Meta and
//! changed by its webhooks since; and syncing them on demand. Viewers list; editors sync.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use spool_whatsapp::templates::TemplateParameters;
use utoipa::ToSchema;

use crate::auth::{Caller, Role};
use crate::db::{channel, template, template_sync};
use crate::error::ApiError;
use crate::routes::channels::{ChannelPath, configured};
use crate::state::AppState;
use crate::templates::{SPACING_MS, Synced};
use crate::time::rfc3339;

/// Routes under `/api/v1/workspaces/{workspace}`.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .service(web::resource("/templates").route(web::get().to(list_templates)))
        .service(
            web::resource("/channels/{channel}/templates/sync")
                .route(web::post().to(sync_templates)),
        );
}

#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    paths(list_templates, sync_templates),
    components(schemas(TemplateList, TemplateInfo, TemplatePart, TemplateSync, SyncResult))
)]
pub struct Api;

/// The templates of the workspace's numbers, and how fresh they are.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateList {
    pub templates: Vec<TemplateInfo>,
    /// One entry per WhatsApp Business Account the workspace's channels use.
    pub syncs: Vec<TemplateSync>,
}

/// One translation of a template.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateInfo {
    pub name: String,
    /// As sends spell it: `en_US`, `pt_BR`.
    pub language: String,
    /// `MARKETING`, `UTILITY` or `AUTHENTICATION`: Meta's category now, which sends follow.
    pub category: String,
    /// `APPROVED`, `PENDING`, `REJECTED`, `PAUSED`, `DISABLED`, … Only APPROVED ones are sent.
    pub status: String,
    /// `GREEN`, `YELLOW`, `RED` or `UNKNOWN`, once Meta rated it.
    pub quality: Option<String>,
    /// `POSITIONAL` (`{{1}}`) or `NAMED` (`{{first_name}}`), when Meta says.
    pub parameter_format: Option<String>,
    pub waba_id: String,
    /// The workspace's channels that send through this template's account.
    pub channels: Vec<String>,
    /// Meta's components (header, body, footer, buttons) as it lists them.
    #[schema(value_type = Object)]
    pub components: Value,
    /// What a send must give each part.
    pub parameters: Vec<TemplatePart>,
    pub updated_at: String,
}

/// The values one part of a template takes.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplatePart {
    /// `header`, `body` or `button`.
    pub component: String,
    /// For a button, its position among the template's buttons (from 0).
    pub index: Option<usize>,
    /// For a header: `TEXT`, `IMAGE`, `VIDEO`, `DOCUMENT` or `LOCATION`.
    pub format: Option<String>,
    pub count: usize,
    /// The names of named parameters, in order.
    pub names: Vec<String>,
}

/// How fresh one account's templates are.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateSync {
    pub waba_id: String,
    pub channels: Vec<String>,
    /// When a sync last succeeded; absent until one does (templates are then not checked).
    pub synced_at: Option<String>,
    pub attempted_at: Option<String>,
    /// Why the last sync failed; absent when it succeeded.
    pub last_error: Option<String>,
}

/// What an on-demand sync did.
#[derive(Debug, Serialize, ToSchema)]
pub struct SyncResult {
    /// `synced` (read from Meta now), `cached` (too soon after the previous sync: nothing
    /// was asked of Meta, the kept templates stand) or `failed` (`sync.last_error` says why).
    pub outcome: String,
    /// Says what happened, in words.
    pub message: String,
    /// Translations read from Meta, when it was asked.
    pub count: Option<usize>,
    /// When a cached answer's account may be synced again, in seconds.
    pub retry_after_seconds: Option<i64>,
    pub sync: TemplateSync,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct TemplateQuery {
    /// Only the templates of this channel's account.
    #[serde(default)]
    pub channel: Option<String>,
    /// Only templates of this name.
    #[serde(default)]
    pub name: Option<String>,
    /// Only translations in this status, e.g. `APPROVED`.
    #[serde(default)]
    pub status: Option<String>,
}

/// The workspace's channels by account: WABA → channel ids.
async fn accounts(
    state: &AppState,
    workspace: &str,
) -> Result<BTreeMap<String, Vec<String>>, ApiError> {
    let rows = channel::Entity::find()
        .filter(channel::Column::WorkspaceId.eq(workspace))
        .order_by_asc(channel::Column::CreatedAt)
        .all(&state.db)
        .await?;
    let mut accounts: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in rows {
        accounts.entry(row.waba_id).or_default().push(row.id);
    }
    Ok(accounts)
}

fn sync_view(waba: &str, channels: &[String], kept: Option<template_sync::Model>) -> TemplateSync {
    TemplateSync {
        waba_id: waba.to_owned(),
        channels: channels.to_vec(),
        synced_at: kept.as_ref().and_then(|k| k.synced_at).map(rfc3339),
        attempted_at: kept.as_ref().and_then(|k| k.attempted_at).map(rfc3339),
        last_error: kept.and_then(|k| k.last_error),
    }
}

fn template_view(row: template::Model, channels: &[String]) -> TemplateInfo {
    let parameters: Vec<TemplateParameters> =
        serde_json::from_str(&row.parameters).unwrap_or_default();
    TemplateInfo {
        components: serde_json::from_str(&row.components).unwrap_or(Value::Null),
        parameters: parameters
            .into_iter()
            .map(|part| TemplatePart {
                component: part.component,
                index: part.index,
                format: part.format,
                count: part.count,
                names: part.names,
            })
            .collect(),
        updated_at: rfc3339(row.updated_at),
        channels: channels.to_vec(),
        name: row.name,
        language: row.language,
        category: row.category,
        status: row.status,
        quality: row.quality,
        parameter_format: row.parameter_format,
        waba_id: row.waba_id,
    }
}

/// The templates of the workspace's WhatsApp numbers, by name then language.
#[utoipa::path(
    get, path = "/api/v1/workspaces/{workspace}/templates", tag = "channels",
    params(("workspace" = String, Path), TemplateQuery),
    responses(
        (status = 200, body = TemplateList),
        (status = 404, description = "`channel` names no channel of the workspace")
    )
)]
pub async fn list_templates(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<TemplateQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Viewer)?;
    let mut accounts = accounts(&state, &caller.workspace).await?;
    if let Some(wanted) = &query.channel {
        accounts.retain(|_, channels| channels.contains(wanted));
        if accounts.is_empty() {
            return Err(ApiError::not_found(format!(
                "The workspace {} has no channel {wanted}.",
                caller.workspace
            )));
        }
    }
    let wabas: Vec<String> = accounts.keys().cloned().collect();
    let mut select = template::Entity::find()
        .filter(template::Column::WabaId.is_in(wabas.clone()))
        .order_by_asc(template::Column::Name)
        .order_by_asc(template::Column::Language)
        .order_by_asc(template::Column::WabaId);
    if let Some(name) = &query.name {
        select = select.filter(template::Column::Name.eq(name));
    }
    if let Some(status) = &query.status {
        select = select.filter(template::Column::Status.eq(status.to_ascii_uppercase()));
    }
    let templates = select
        .all(&state.db)
        .await?
        .into_iter()
        .map(|row| {
            let channels = accounts.get(&row.waba_id).cloned().unwrap_or_default();
            template_view(row, &channels)
        })
        .collect();
    let kept = template_sync::Entity::find()
        .filter(template_sync::Column::WabaId.is_in(wabas))
        .all(&state.db)
        .await?;
    let syncs = accounts
        .iter()
        .map(|(waba, channels)| {
            let found = kept.iter().find(|sync| &sync.waba_id == waba).cloned();
            sync_view(waba, channels, found)
        })
        .collect();
    Ok(HttpResponse::Ok().json(TemplateList { templates, syncs }))
}

/// Reads the channel's account's templates from Meta now. Meta allows 200 template listings
/// an hour per account: within a minute of the previous attempt nothing is asked and the
/// answer says so (`outcome: cached`). Editors and admins.
#[utoipa::path(
    post, path = "/api/v1/workspaces/{workspace}/channels/{channel}/templates/sync", tag = "channels",
    params(("workspace" = String, Path), ("channel" = String, Path)),
    responses(
        (status = 200, body = SyncResult),
        (status = 404, description = "No such channel in the workspace")
    )
)]
pub async fn sync_templates(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<ChannelPath>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Editor)?;
    let channel = configured(&state, &caller, &path.channel).await?;
    let synced = state.templates.sync(&channel).await?;
    let accounts = accounts(&state, &caller.workspace).await?;
    let channels = accounts.get(&channel.waba_id).cloned().unwrap_or_default();
    let kept = template_sync::Entity::find_by_id(channel.waba_id.clone())
        .one(&state.db)
        .await?;
    let sync = sync_view(&channel.waba_id, &channels, kept);
    let result = match synced {
        Synced::Fresh { count } => SyncResult {
            outcome: "synced".into(),
            message: format!("Read {count} template translation(s) from Meta."),
            count: Some(count),
            retry_after_seconds: None,
            sync,
        },
        Synced::Cached { retry_after_ms } => SyncResult {
            outcome: "cached".into(),
            message: format!(
                "The templates were read from Meta less than {} seconds ago; Meta limits how often they may be read, so these are the kept ones.",
                SPACING_MS / 1000
            ),
            count: None,
            retry_after_seconds: Some((retry_after_ms + 999) / 1000),
            sync,
        },
        Synced::Failed { error } => SyncResult {
            outcome: "failed".into(),
            message: format!("Meta's templates could not be read: {error}"),
            count: None,
            retry_after_seconds: None,
            sync,
        },
    };
    Ok(HttpResponse::Ok().json(result))
}
