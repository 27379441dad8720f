//! The first start on an empty database: a workspace and its first administrator, with the
//! configured password or a random one printed once (never a fixed default).

use sea_orm::{
    ActiveModelTrait, DatabaseConnection, EntityTrait, PaginatorTrait, Set, TransactionTrait,
};
use serde_json::json;

use crate::auth::{self, Role};
use crate::db::{membership, user, workspace};
use crate::error::ApiError;

/// The workspace created on the first start.
pub const FIRST_WORKSPACE: &str = "default";

/// How to sign in for the first time, when this start created the administrator.
#[derive(Debug)]
pub struct FirstAdmin {
    pub email: String,
    /// Set when generated (a configured password is not echoed back).
    pub generated_password: Option<String>,
    pub workspace: String,
}

/// Creates the first workspace and administrator if there is no user yet.
pub async fn ensure_first_admin(
    db: &DatabaseConnection,
    email: &str,
    password: Option<&str>,
    now: i64,
) -> Result<Option<FirstAdmin>, ApiError> {
    if user::Entity::find().count(db).await? > 0 {
        return Ok(None);
    }
    let generated = password.is_none().then(auth::random_password);
    let password = password
        .map(str::to_owned)
        .or_else(|| generated.clone())
        .unwrap_or_default();
    let hash = auth::hash_password(password).await?;
    let email = email.trim().to_lowercase();
    let user_id = uuid::Uuid::now_v7().to_string();
    let txn = db.begin().await?;
    if workspace::Entity::find_by_id(FIRST_WORKSPACE.to_owned())
        .one(&txn)
        .await?
        .is_none()
    {
        workspace::ActiveModel {
            id: Set(FIRST_WORKSPACE.to_owned()),
            name: Set("My workspace".to_owned()),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
    }
    user::ActiveModel {
        id: Set(user_id.clone()),
        email: Set(email.clone()),
        name: Set("Administrator".to_owned()),
        password_hash: Set(hash),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    membership::ActiveModel {
        workspace_id: Set(FIRST_WORKSPACE.to_owned()),
        user_id: Set(user_id),
        role: Set(Role::Admin.as_str().to_owned()),
    }
    .insert(&txn)
    .await?;
    crate::audit::record(
        &txn,
        FIRST_WORKSPACE,
        "spool",
        "user.created",
        &email,
        json!({ "role": "admin", "first_start": true }),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(Some(FirstAdmin {
        email,
        generated_password: generated,
        workspace: FIRST_WORKSPACE.to_owned(),
    }))
}
