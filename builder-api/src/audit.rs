//! The audit log: who created, changed, published and erased what. Written in the same
//! transaction as the change where there is one, so the log never claims what did not happen.

use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, NotSet, Set};
use serde_json::Value;

use crate::db::audit;

/// Records `action` on `target` by `actor` in `workspace`.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    workspace: &str,
    actor: &str,
    action: &str,
    target: &str,
    details: Value,
    at: i64,
) -> Result<(), DbErr> {
    audit::ActiveModel {
        id: NotSet,
        workspace_id: Set(workspace.to_owned()),
        actor: Set(actor.to_owned()),
        action: Set(action.to_owned()),
        target: Set(target.to_owned()),
        details: Set(details.to_string()),
        at: Set(at),
    }
    .insert(db)
    .await
    .map(|_| ())
}
