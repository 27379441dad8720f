//! A subscription's signing secret at rest: sealed with the server's key, as channel tokens
//! are, so a copy of the database does not let anyone forge Spool's events. Secrets stored
//! before sealing existed are read as they are.

use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter};

use crate::db::event_subscription;
use crate::sealed::{self, SecretKey};

/// What the sealed value is bound to: the secret of this one subscription.
fn context(subscription: &str) -> String {
    format!("event_subscription:{subscription}:secret")
}

/// The value to store for `secret`.
pub fn seal(key: &SecretKey, subscription: &str, secret: &str) -> String {
    key.seal(&context(subscription), secret)
}

/// The secret events of `row` are signed with, or why it cannot be read.
pub fn open(key: Option<&SecretKey>, row: &event_subscription::Model) -> Result<String, String> {
    if !sealed::is_sealed(&row.secret) {
        return Ok(row.secret.clone());
    }
    let key = key.ok_or_else(|| {
        "the subscription's secret is stored encrypted and this server has no SPOOL_SECRET_KEY"
            .to_owned()
    })?;
    key.open(&context(&row.id), &row.secret)
        .map_err(|err| format!("the subscription's secret cannot be read: {err}"))
}

/// Why `spool serve` refuses to start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("the event subscriptions cannot be read: {0}")]
    Database(#[from] DbErr),
    #[error(
        "{count} event subscription(s) are stored with encrypted secrets, and no secret key is set: set SPOOL_SECRET_KEY (or `secret_key` in the config file) to the key they were stored with"
    )]
    KeyMissing { count: u64 },
}

/// Refuses a start without a key when subscriptions were sealed with one: their events
/// could not be signed.
pub async fn check_at_start(
    db: &DatabaseConnection,
    key: Option<&SecretKey>,
) -> Result<(), StartError> {
    if key.is_some() {
        return Ok(());
    }
    let count = event_subscription::Entity::find()
        .filter(event_subscription::Column::Secret.starts_with(sealed::PREFIX))
        .count(db)
        .await?;
    if count == 0 {
        Ok(())
    } else {
        Err(StartError::KeyMissing { count })
    }
}
