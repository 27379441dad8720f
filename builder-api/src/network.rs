//! Each workspace's network rule as the runtime and the event deliveries meet it: whether it
//! may reach private, loopback and link-local addresses (the SSRF guard,
//! `spool_runtime::ssrf`). Read from `workspace_settings` and kept for [`KEPT_FOR`].
//!
//! The server setting `allow_private_targets` allows it for every workspace: for a Spool on a
//! private network whose journeys call systems there, and for local development.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use sea_orm::{ConnectionTrait, DbErr, EntityTrait};
use spool_runtime::http::NetworkPolicies;
use tracing::warn;

use crate::db::workspace_setting;

/// How long a setting read from the database is used. Changes made through this process are
/// seen at once ([`WorkspaceNetwork::forget`]); those made through another, after this.
const KEPT_FOR: Duration = Duration::from_secs(10);

#[derive(Debug)]
pub struct WorkspaceNetwork {
    db: sea_orm::DatabaseConnection,
    /// The server's `allow_private_targets`: every workspace may.
    everyone_may: bool,
    kept: Mutex<HashMap<String, (bool, Instant)>>,
}

/// Whether `workspace` allows private targets, as stored (the server setting aside).
pub async fn stored<C: ConnectionTrait>(db: &C, workspace: &str) -> Result<bool, DbErr> {
    Ok(workspace_setting::Entity::find_by_id(workspace.to_owned())
        .one(db)
        .await?
        .is_some_and(|settings| settings.allow_private_targets))
}

impl WorkspaceNetwork {
    pub fn new(db: sea_orm::DatabaseConnection, everyone_may: bool) -> Self {
        Self {
            db,
            everyone_may,
            kept: Mutex::default(),
        }
    }

    /// Whether the server allows private targets to every workspace.
    pub fn everyone_may(&self) -> bool {
        self.everyone_may
    }

    /// Drops what is kept of `workspace`'s setting, after it changed.
    pub fn forget(&self, workspace: &str) {
        self.kept
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(workspace);
    }

    /// Whether `workspace` may reach private addresses (by its setting or the server's).
    pub async fn allows_private_in(&self, workspace: &str) -> Result<bool, DbErr> {
        if self.everyone_may {
            return Ok(true);
        }
        let kept = self
            .kept
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(workspace)
            .filter(|(_, read_at)| read_at.elapsed() < KEPT_FOR)
            .map(|(allowed, _)| *allowed);
        if let Some(allowed) = kept {
            return Ok(allowed);
        }
        let allowed = stored(&self.db, workspace).await?;
        self.kept
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(workspace.to_owned(), (allowed, Instant::now()));
        Ok(allowed)
    }
}

impl NetworkPolicies for WorkspaceNetwork {
    fn allows_private(&self, workspace: &str) -> BoxFuture<'_, Result<bool, String>> {
        let workspace = workspace.to_owned();
        Box::pin(async move {
            self.allows_private_in(&workspace).await.map_err(|err| {
                warn!(%workspace, %err, "the workspace's network settings could not be read");
                "the workspace's network settings could not be read; the call was not made"
                    .to_owned()
            })
        })
    }
}
