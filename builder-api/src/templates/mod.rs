//! WhatsApp message templates, kept here so sends and the publish check never ask Meta:
//! each WhatsApp Business Account's templates are read whole from Meta (a sync) when a
//! channel is connected, when someone asks, when a webhook names a template not yet known,
//! and hourly; Meta's webhooks change single rows in between (a status, a category, a
//! quality). Meta allows 200 template listings an hour per account, so a sync asked for
//! within [`SPACING_MS`] of the previous attempt answers with what is kept instead.
//!
//! Nothing here fails anything else: a sync that fails is logged and kept as the account's
//! `last_error`, shown by the template API.

pub mod catalog;
pub mod check;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, Set, TransactionTrait,
};
use spool_runtime::clock::Clock;
use spool_whatsapp::client::CloudApi;
use spool_whatsapp::errors::SendFailure;
use spool_whatsapp::inbound::{TemplateCategoryChange, TemplateQuality, TemplateStatus};
use spool_whatsapp::templates::Template;
use tokio::sync::watch;
use tracing::{debug, info, warn};

use crate::channels::{ChannelConfig, WhatsAppChannels};
use crate::db::{channel, template, template_sync};
pub use catalog::Catalog;

/// On-demand syncs of one account closer together than this answer with what is kept.
pub const SPACING_MS: i64 = 60_000;
/// Accounts are synced again when their last attempt is older than this.
pub const PERIOD_MS: i64 = 3_600_000;
/// How often the background task reloads the catalog and looks for accounts due.
const TICK: std::time::Duration = std::time::Duration::from_secs(60);

/// What a sync did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Synced {
    /// Meta listed this many translations; they replaced the kept ones.
    Fresh { count: usize },
    /// Too soon after the last attempt: nothing was asked of Meta.
    Cached { retry_after_ms: i64 },
    /// Meta could not be asked or refused; kept as the account's `last_error`.
    Failed { error: String },
}

/// Why a listing failed, for the people reading `last_error`: the client's words are about
/// sends, and a failed sync pauses nothing.
fn sync_error(err: &SendFailure) -> String {
    let code = err
        .code()
        .map(|code| format!(" (code {code})"))
        .unwrap_or_default();
    match err {
        SendFailure::TokenRejected { details, .. } => format!(
            "Meta rejected the access token{code}: it expired, was revoked, or lacks the \
             whatsapp_business_management permission templates are read with{}",
            details
                .as_deref()
                .map(|details| format!(" ({details})"))
                .unwrap_or_default()
        ),
        other => format!("Meta did not list the templates{code}: {other}"),
    }
}

/// Syncs, webhook changes and the catalog, shared by the routes, the webhook and a
/// background task.
pub struct Templates {
    db: DatabaseConnection,
    api: CloudApi,
    clock: Arc<dyn Clock>,
    catalog: Arc<Catalog>,
    /// One sync at a time: two at once would both call Meta.
    syncing: tokio::sync::Mutex<()>,
    /// Accounts with a sync waiting for [`SPACING_MS`] to pass.
    deferred: Mutex<HashSet<String>>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates").finish_non_exhaustive()
    }
}

impl Templates {
    pub fn new(db: DatabaseConnection, api: CloudApi, clock: Arc<dyn Clock>) -> Self {
        Self {
            db,
            api,
            clock,
            catalog: Arc::new(Catalog::default()),
            syncing: tokio::sync::Mutex::new(()),
            deferred: Mutex::new(HashSet::new()),
        }
    }

    /// What sends read.
    pub fn catalog(&self) -> Arc<Catalog> {
        self.catalog.clone()
    }

    /// Reads the catalog again; a failure is logged (sends go on with what they had).
    pub async fn reload(&self) {
        if let Err(err) = self.catalog.reload(&self.db).await {
            warn!(%err, "the template catalog could not be reloaded");
        }
    }

    /// Reads the channel's account's templates from Meta, unless the last attempt was less
    /// than [`SPACING_MS`] ago. Only the database failing is an error.
    pub async fn sync(&self, channel: &ChannelConfig) -> Result<Synced, DbErr> {
        let _one_at_a_time = self.syncing.lock().await;
        let waba = channel.waba_id.as_str();
        let now = self.clock.now();
        let kept = template_sync::Entity::find_by_id(waba.to_owned())
            .one(&self.db)
            .await?;
        if let Some(attempted) = kept.as_ref().and_then(|kept| kept.attempted_at)
            && now - attempted < SPACING_MS
        {
            return Ok(Synced::Cached {
                retry_after_ms: attempted + SPACING_MS - now,
            });
        }
        self.record_attempt(waba, now, kept.as_ref()).await?;
        let listed = self
            .api
            .templates(waba, &channel.access_token, &channel.api_version)
            .await;
        let outcome = match listed {
            Ok(listed) => {
                let count = listed.len();
                self.replace(waba, listed, now).await?;
                info!(waba, count, "templates synced from Meta");
                Synced::Fresh { count }
            }
            Err(err) => {
                let error = sync_error(&err);
                warn!(waba, channel = %channel.id, %error, "templates could not be synced from Meta");
                template_sync::Entity::update_many()
                    .col_expr(
                        template_sync::Column::LastError,
                        sea_orm::sea_query::Expr::value(Some(error.clone())),
                    )
                    .filter(template_sync::Column::WabaId.eq(waba))
                    .exec(&self.db)
                    .await?;
                Synced::Failed { error }
            }
        };
        self.reload().await;
        Ok(outcome)
    }

    async fn record_attempt(
        &self,
        waba: &str,
        now: i64,
        kept: Option<&template_sync::Model>,
    ) -> Result<(), DbErr> {
        let row = template_sync::ActiveModel {
            waba_id: Set(waba.to_owned()),
            synced_at: Set(kept.and_then(|kept| kept.synced_at)),
            attempted_at: Set(Some(now)),
            last_error: Set(kept.and_then(|kept| kept.last_error.clone())),
        };
        template_sync::Entity::insert(row)
            .on_conflict(
                OnConflict::column(template_sync::Column::WabaId)
                    .update_column(template_sync::Column::AttemptedAt)
                    .to_owned(),
            )
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Replaces the account's rows with Meta's listing, keeping the quality ratings webhooks
    /// reported (the listing does not carry them).
    async fn replace(&self, waba: &str, listed: Vec<Template>, now: i64) -> Result<(), DbErr> {
        let txn = self.db.begin().await?;
        let old = template::Entity::find()
            .filter(template::Column::WabaId.eq(waba))
            .all(&txn)
            .await?;
        let quality: HashMap<(String, String), String> = old
            .into_iter()
            .filter_map(|row| Some(((row.name, row.language), row.quality?)))
            .collect();
        template::Entity::delete_many()
            .filter(template::Column::WabaId.eq(waba))
            .exec(&txn)
            .await?;
        let mut seen = HashSet::new();
        let rows: Vec<template::ActiveModel> = listed
            .into_iter()
            .filter(|listed| seen.insert((listed.name.clone(), listed.language.clone())))
            .map(|listed| {
                let language = spool_nodes::templates::normalise_language(&listed.language);
                template::ActiveModel {
                    quality: Set(quality
                        .get(&(listed.name.clone(), language.clone()))
                        .cloned()),
                    waba_id: Set(waba.to_owned()),
                    template_id: Set(listed.id),
                    status: Set(listed.status.to_ascii_uppercase()),
                    category: Set(listed.category.to_ascii_uppercase()),
                    parameter_format: Set(listed.parameter_format),
                    components: Set(listed.components.to_string()),
                    parameters: Set(
                        serde_json::to_string(&listed.parameters).unwrap_or_else(|_| "[]".into())
                    ),
                    name: Set(listed.name),
                    language: Set(language),
                    updated_at: Set(now),
                }
            })
            .collect();
        for chunk in rows.chunks(100) {
            template::Entity::insert_many(chunk.to_vec())
                .exec(&txn)
                .await?;
        }
        template_sync::Entity::update_many()
            .col_expr(
                template_sync::Column::SyncedAt,
                sea_orm::sea_query::Expr::value(Some(now)),
            )
            .col_expr(
                template_sync::Column::LastError,
                sea_orm::sea_query::Expr::value(None::<String>),
            )
            .filter(template_sync::Column::WabaId.eq(waba))
            .exec(&txn)
            .await?;
        txn.commit().await
    }

    /// Syncs in the background; one asked for too soon runs once the spacing has passed.
    pub fn sync_soon(self: &Arc<Self>, channel: Arc<ChannelConfig>) {
        let templates = self.clone();
        tokio::spawn(async move {
            match templates.sync(&channel).await {
                Ok(Synced::Cached { retry_after_ms }) => {
                    let first = templates
                        .deferred
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .insert(channel.waba_id.clone());
                    if !first {
                        return;
                    }
                    let wait = u64::try_from(retry_after_ms).unwrap_or(0) + 100;
                    tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
                    templates
                        .deferred
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .remove(&channel.waba_id);
                    if let Err(err) = templates.sync(&channel).await {
                        warn!(%err, "templates could not be synced");
                    }
                }
                Ok(_) => {}
                Err(err) => warn!(%err, "templates could not be synced"),
            }
        });
    }

    /// A `message_template_status_update`: the row's status changes in place; a template
    /// not known yet is read from Meta.
    pub async fn status_changed(
        self: &Arc<Self>,
        channel: Arc<ChannelConfig>,
        change: &TemplateStatus,
    ) -> Result<(), DbErr> {
        let status = match change.event.to_ascii_uppercase().as_str() {
            // Back to sendable after an appeal.
            "REINSTATED" => "APPROVED".to_owned(),
            // A warning about quality, not a change of status.
            "FLAGGED" => return Ok(()),
            // Back to whatever it was before archiving, which the webhook does not say.
            "UNARCHIVED" => {
                self.sync_soon(channel);
                return Ok(());
            }
            other => other.to_owned(),
        };
        self.update_or_sync(channel, &change.name, &change.language, |row| {
            row.status = Set(status);
        })
        .await
    }

    /// A completed `template_category_update`: sends follow the new category from now on.
    pub async fn category_changed(
        self: &Arc<Self>,
        channel: Arc<ChannelConfig>,
        change: &TemplateCategoryChange,
    ) -> Result<(), DbErr> {
        // Without `new_category` it is only a notice of a coming change.
        let Some(category) = change.new_category.as_deref() else {
            debug!(template = %change.name, "a category change announced, not made yet");
            return Ok(());
        };
        let category = category.to_ascii_uppercase();
        self.update_or_sync(channel, &change.name, &change.language, |row| {
            row.category = Set(category);
        })
        .await
    }

    /// Changes a kept translation; one not kept yet means the kept listing is behind Meta's,
    /// so the account is read again.
    async fn update_or_sync(
        self: &Arc<Self>,
        channel: Arc<ChannelConfig>,
        name: &str,
        language: &str,
        change: impl FnOnce(&mut template::ActiveModel),
    ) -> Result<(), DbErr> {
        if !self.update_row(&channel, name, language, change).await? {
            self.sync_soon(channel);
        }
        Ok(())
    }

    pub async fn quality_changed(
        &self,
        channel: &ChannelConfig,
        change: &TemplateQuality,
    ) -> Result<(), DbErr> {
        let quality = change.new_quality.to_ascii_uppercase();
        self.update_row(channel, &change.name, &change.language, |row| {
            row.quality = Set(Some(quality.clone()));
        })
        .await?;
        Ok(())
    }

    /// Changes one translation of the channel's account; false when it is not kept.
    async fn update_row(
        &self,
        channel: &ChannelConfig,
        name: &str,
        language: &str,
        change: impl FnOnce(&mut template::ActiveModel),
    ) -> Result<bool, DbErr> {
        let language = spool_nodes::templates::normalise_language(language);
        let key = (channel.waba_id.clone(), name.to_owned(), language);
        let Some(row) = template::Entity::find_by_id(key).one(&self.db).await? else {
            return Ok(false);
        };
        let mut active = row.into_active_model();
        change(&mut active);
        active.updated_at = Set(self.clock.now());
        active.update(&self.db).await?;
        self.reload().await;
        Ok(true)
    }

    /// Every minute: reload the catalog (other processes change it too) and sync the
    /// accounts whose last attempt is older than [`PERIOD_MS`].
    pub async fn run(
        self: Arc<Self>,
        channels: Arc<WhatsAppChannels>,
        mut stopped: watch::Receiver<bool>,
    ) {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(TICK) => {}
                _ = stopped.changed() => return,
            }
            self.reload().await;
            if let Err(err) = self.sync_due(&channels).await {
                warn!(%err, "templates due for a sync could not be found");
            }
        }
    }

    async fn sync_due(&self, channels: &WhatsAppChannels) -> Result<(), DbErr> {
        let now = self.clock.now();
        let attempted: HashMap<String, Option<i64>> = template_sync::Entity::find()
            .all(&self.db)
            .await?
            .into_iter()
            .map(|sync| (sync.waba_id, sync.attempted_at))
            .collect();
        let mut done = HashSet::new();
        for row in channel::Entity::find().all(&self.db).await? {
            let last = attempted.get(&row.waba_id).copied().flatten();
            if last.is_some_and(|at| now - at < PERIOD_MS) || !done.insert(row.waba_id.clone()) {
                continue;
            }
            match channels.config(row) {
                Ok(config) => {
                    self.sync(&config).await?;
                }
                Err(err) => warn!(%err, "a channel's templates cannot be synced"),
            }
        }
        Ok(())
    }
}
