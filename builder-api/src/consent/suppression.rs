//! The suppression list: numbers (and BSUIDs) never to import again or send a broadcast to,
//! because their owner was erased or objected to being contacted. It outlives erasure by
//! design (an erased person must not come back with the next import), so it holds no
//! number: each entry is HMAC-SHA256 of `phone:<digits>` or `bsuid:<id>` under a random
//! key of the workspace's own. A copy of the list alone tells nobody whose numbers are on it,
//! and one workspace's entries say nothing about another's.

use hmac::{Hmac, KeyInit, Mac};
use rand::RngExt as _;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};
use sha2::Sha256;

use crate::db::{suppression, suppression_key};

/// Why a number is suppressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// The contact was erased.
    Erased,
    /// The person objected to being contacted (GDPR Art. 21), recorded by the business.
    Objected,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Erased => "erased",
            Reason::Objected => "objected",
        }
    }
}

/// A workspace's key, made the first time it is needed.
pub async fn key(db: &impl ConnectionTrait, workspace: &str) -> Result<Vec<u8>, DbErr> {
    if let Some(found) = suppression_key::Entity::find_by_id(workspace.to_owned())
        .one(db)
        .await?
        && let Ok(bytes) = hex::decode(&found.secret)
    {
        return Ok(bytes);
    }
    let fresh: [u8; 32] = rand::rng().random();
    // Two processes making it at once: the first one written is the key.
    suppression_key::Entity::insert(suppression_key::ActiveModel {
        workspace_id: Set(workspace.to_owned()),
        secret: Set(hex::encode(fresh)),
    })
    .on_conflict(
        OnConflict::column(suppression_key::Column::WorkspaceId)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    let kept = suppression_key::Entity::find_by_id(workspace.to_owned())
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("suppression key".into()))?;
    hex::decode(&kept.secret).map_err(|err| DbErr::Custom(format!("suppression key: {err}")))
}

/// What the list keeps for a number (its digits, E.164 without `+`).
pub fn phone_hash(key: &[u8], digits: &str) -> String {
    hash(key, &format!("phone:{digits}"))
}

/// What the list keeps for a BSUID.
pub fn bsuid_hash(key: &[u8], bsuid: &str) -> String {
    hash(key, &format!("bsuid:{bsuid}"))
}

fn hash(key: &[u8], what: &str) -> String {
    // HMAC takes keys of any length: this cannot fail.
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(key) else {
        return String::new();
    };
    mac.update(what.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Puts hashes on the list (kept once; the first reason and time stay).
pub async fn add(
    db: &impl ConnectionTrait,
    workspace: &str,
    hashes: &[String],
    reason: Reason,
    at: i64,
) -> Result<(), DbErr> {
    if hashes.is_empty() {
        return Ok(());
    }
    let rows = hashes.iter().map(|hash| suppression::ActiveModel {
        workspace_id: Set(workspace.to_owned()),
        key: Set(hash.clone()),
        reason: Set(reason.as_str().to_owned()),
        at: Set(at),
    });
    suppression::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([suppression::Column::WorkspaceId, suppression::Column::Key])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await
        .map(|_| ())
}

/// Takes hashes off the list (the person asked to be contacted again).
pub async fn remove(
    db: &impl ConnectionTrait,
    workspace: &str,
    hashes: &[String],
) -> Result<u64, DbErr> {
    Ok(suppression::Entity::delete_many()
        .filter(suppression::Column::WorkspaceId.eq(workspace))
        .filter(suppression::Column::Key.is_in(hashes.iter().cloned()))
        .exec(db)
        .await?
        .rows_affected)
}

/// Which of `hashes` are on the list (for an import's rows, a broadcast's recipients).
pub async fn which(
    db: &impl ConnectionTrait,
    workspace: &str,
    hashes: &[String],
) -> Result<std::collections::HashSet<String>, DbErr> {
    let mut found = std::collections::HashSet::new();
    for chunk in hashes.chunks(500) {
        let rows = suppression::Entity::find()
            .filter(suppression::Column::WorkspaceId.eq(workspace))
            .filter(suppression::Column::Key.is_in(chunk.iter().cloned()))
            .all(db)
            .await?;
        found.extend(rows.into_iter().map(|row| row.key));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_hashes_the_same_under_one_key_and_differently_under_another() {
        let one = phone_hash(b"key one", "351912345678");
        assert_eq!(one, phone_hash(b"key one", "351912345678"));
        assert_ne!(one, phone_hash(b"key two", "351912345678"));
        assert_ne!(one, phone_hash(b"key one", "351912345679"));
        assert_ne!(one, bsuid_hash(b"key one", "351912345678"));
        assert_eq!(one.len(), 64);
        assert!(!one.contains("351912345678"));
    }
}
