//! The preamble every change to a workspace's records shares: one transaction, the time of
//! the change, and its audit entry written in that same transaction, so the audit log never
//! claims a change that was rolled back, and a change is never made without its entry.

use sea_orm::{DatabaseTransaction, TransactionTrait};
use serde_json::Value;

use crate::audit;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

/// A change in progress: read and write through [`Change::txn`], then [`Change::commit`].
/// Dropped without a commit, nothing of it (audit entry included) is kept.
#[derive(Debug)]
pub struct Change {
    pub txn: DatabaseTransaction,
    /// The runtime clock's time of the change, in ms since the epoch.
    pub now: i64,
    workspace: String,
    actor: String,
}

impl Change {
    /// A change of the caller's workspace, audited as made by the caller.
    pub async fn begin(state: &AppState, caller: &Caller) -> Result<Self, ApiError> {
        Self::begin_as(state, &caller.workspace, caller.actor.label()).await
    }

    /// A change of `workspace` audited as made by `actor` (as the audit log names them).
    pub async fn begin_as(
        state: &AppState,
        workspace: &str,
        actor: String,
    ) -> Result<Self, ApiError> {
        let now = state.now();
        Ok(Self {
            txn: state.db.begin().await?,
            now,
            workspace: workspace.to_owned(),
            actor,
        })
    }

    /// Records `action` on `target` in the audit log, with the change.
    pub async fn audit(&self, action: &str, target: &str, details: Value) -> Result<(), ApiError> {
        audit::record(
            &self.txn,
            &self.workspace,
            &self.actor,
            action,
            target,
            details,
            self.now,
        )
        .await?;
        Ok(())
    }

    pub async fn commit(self) -> Result<(), ApiError> {
        self.txn.commit().await?;
        Ok(())
    }
}
