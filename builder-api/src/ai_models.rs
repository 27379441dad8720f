//! Each workspace's AI model endpoint as the runtime meets it: read from the database (the
//! key from the workspace's secrets) when a run asks a model, and kept for [`KEPT_FOR`] so
//! a busy agent does not cost a query per request.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use sea_orm::{DatabaseConnection, EntityTrait};
use spool_runtime::http::{LlmConfig, ModelEndpoint, ModelEndpoints};
use tracing::warn;

use crate::db::{ai_model, secret};

/// How long an endpoint read from the database is used. Changes made through this process
/// are seen at once ([`WorkspaceModels::forget`]); those made through another, after this.
const KEPT_FOR: Duration = Duration::from_secs(10);
/// How long one request to a model may take (the call executor bounds all attempts).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

type Found = Option<ModelEndpoint>;

#[derive(Debug)]
pub struct WorkspaceModels {
    db: DatabaseConnection,
    kept: Mutex<HashMap<String, (Found, Instant)>>,
}

impl WorkspaceModels {
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            kept: Mutex::default(),
        }
    }

    /// Drops what is kept of `workspace`'s endpoint, after it or its secrets changed.
    pub fn forget(&self, workspace: &str) {
        self.kept
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(workspace);
    }

    fn kept(&self, workspace: &str) -> Option<Found> {
        let kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        kept.get(workspace)
            .filter(|(_, read_at)| read_at.elapsed() < KEPT_FOR)
            .map(|(found, _)| found.clone())
    }

    async fn read(&self, workspace: &str) -> Result<Found, String> {
        let unreadable = |err: sea_orm::DbErr| {
            warn!(%workspace, %err, "the workspace's AI model could not be read");
            "the workspace's AI model could not be read; it will be tried again".to_owned()
        };
        let Some(row) = ai_model::Entity::find_by_id(workspace.to_owned())
            .one(&self.db)
            .await
            .map_err(unreadable)?
        else {
            return Ok(None);
        };
        let api_key = match &row.api_key_secret {
            None => None,
            Some(name) => {
                let found = secret::Entity::find_by_id((workspace.to_owned(), name.clone()))
                    .one(&self.db)
                    .await
                    .map_err(unreadable)?;
                let Some(found) = found else {
                    return Err(format!(
                        "the workspace's AI model takes its key from the secret `{name}`, which is not set (PUT /api/v1/workspaces/{workspace}/secrets/{name})"
                    ));
                };
                Some(found.value)
            }
        };
        Ok(Some(ModelEndpoint {
            llm: LlmConfig {
                base_url: row.base_url,
                api_key,
                timeout: REQUEST_TIMEOUT,
            },
            default_model: row.default_model,
        }))
    }
}

impl ModelEndpoints for WorkspaceModels {
    fn endpoint(&self, workspace: &str) -> BoxFuture<'_, Result<Found, String>> {
        let workspace = workspace.to_owned();
        Box::pin(async move {
            if let Some(found) = self.kept(&workspace) {
                return Ok(found);
            }
            let found = self.read(&workspace).await?;
            self.kept
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(workspace, (found.clone(), Instant::now()));
            Ok(found)
        })
    }
}
