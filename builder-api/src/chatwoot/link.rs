//! A workspace's link to its Chatwoot API inbox: where it is, the agent token Spool calls it
//! with and the secret its webhooks are signed with (both sealed with `SPOOL_SECRET_KEY`),
//! and which workspaces have one (kept in memory: every batch of the runtime asks).

use std::collections::HashSet;
use std::sync::{Arc, PoisonError, RwLock};

use sea_orm::sea_query::OnConflict;
use sea_orm::{DatabaseConnection, DbErr, EntityTrait};

use crate::db::chatwoot::link;
use crate::sealed::{OpenError, SecretKey};

/// What the token and the secret are sealed under.
const TOKEN_CONTEXT: &str = "chatwoot.api_token";
const SECRET_CONTEXT: &str = "chatwoot.webhook_secret";

/// A link, its secrets opened.
#[derive(Clone)]
pub struct Link {
    pub workspace: String,
    pub base_url: String,
    pub account_id: i64,
    pub inbox_id: i64,
    pub api_token: String,
    pub webhook_secret: String,
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link")
            .field("workspace", &self.workspace)
            .field("base_url", &self.base_url)
            .field("account_id", &self.account_id)
            .field("inbox_id", &self.inbox_id)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error("no secret key is set (SPOOL_SECRET_KEY): Chatwoot's token cannot be kept")]
    NoKey,
    #[error("the Chatwoot token cannot be opened: {0}")]
    Sealed(#[from] OpenError),
}

impl Link {
    /// The workspace's link, if it has one.
    pub async fn load(
        db: &DatabaseConnection,
        key: Option<&SecretKey>,
        workspace: &str,
    ) -> Result<Option<Self>, LinkError> {
        let Some(row) = link::Entity::find_by_id(workspace.to_owned())
            .one(db)
            .await?
        else {
            return Ok(None);
        };
        let key = key.ok_or(LinkError::NoKey)?;
        Ok(Some(Self {
            workspace: row.workspace_id,
            base_url: row.base_url,
            account_id: row.account_id,
            inbox_id: row.inbox_id,
            api_token: key.open(TOKEN_CONTEXT, &row.api_token)?,
            webhook_secret: key.open(SECRET_CONTEXT, &row.webhook_secret)?,
        }))
    }

    /// Keeps the link (replacing the workspace's previous one).
    pub async fn save(
        &self,
        db: &DatabaseConnection,
        key: Option<&SecretKey>,
        now: i64,
    ) -> Result<(), LinkError> {
        let key = key.ok_or(LinkError::NoKey)?;
        let row = link::Model {
            workspace_id: self.workspace.clone(),
            base_url: self.base_url.trim_end_matches('/').to_owned(),
            account_id: self.account_id,
            inbox_id: self.inbox_id,
            api_token: key.seal(TOKEN_CONTEXT, &self.api_token),
            webhook_secret: key.seal(SECRET_CONTEXT, &self.webhook_secret),
            updated_at: now,
        };
        link::Entity::insert(link::ActiveModel::from(row))
            .on_conflict(
                OnConflict::column(link::Column::WorkspaceId)
                    .update_columns([
                        link::Column::BaseUrl,
                        link::Column::AccountId,
                        link::Column::InboxId,
                        link::Column::ApiToken,
                        link::Column::WebhookSecret,
                        link::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
        Ok(())
    }

    /// Removes the workspace's link; true when it had one.
    pub async fn remove(db: &DatabaseConnection, workspace: &str) -> Result<bool, DbErr> {
        let deleted = link::Entity::delete_by_id(workspace.to_owned())
            .exec(db)
            .await?;
        Ok(deleted.rows_affected > 0)
    }
}

/// Forgets an erased contact here: which Chatwoot conversations were theirs and the calls
/// waiting for them. (What Chatwoot keeps is Chatwoot's to erase: its contact's
/// `identifier` is the contact's id in Spool.)
pub async fn forget_contact(db: &DatabaseConnection, contact_id: &str) -> Result<(), DbErr> {
    use sea_orm::{ColumnTrait, QueryFilter};

    use crate::db::chatwoot::{conversation, outbox};
    conversation::Entity::delete_many()
        .filter(conversation::Column::ContactId.eq(contact_id))
        .exec(db)
        .await?;
    outbox::Entity::delete_many()
        .filter(outbox::Column::ContactId.eq(contact_id))
        .exec(db)
        .await?;
    Ok(())
}

/// The workspaces with a Chatwoot link, as last read.
#[derive(Clone, Debug, Default)]
pub struct Linked(Arc<RwLock<HashSet<String>>>);

impl Linked {
    pub fn contains(&self, workspace: &str) -> bool {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(workspace)
    }

    pub fn any(&self) -> bool {
        !self
            .0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .is_empty()
    }

    /// Reads the links again.
    pub async fn reload(&self, db: &DatabaseConnection) -> Result<(), DbErr> {
        let workspaces: HashSet<String> = link::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|row| row.workspace_id)
            .collect();
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = workspaces;
        Ok(())
    }
}
