//! Consent: the ledger of every opt-in and opt-out, and the suppression list.
//!
//! The ledger (`consent_events`) is append-only history, written by the [`Ledger`]
//! observer from the runtime's `contact.opted_in` / `contact.opted_out` notices, each with
//! where it came from (a STOP keyword, a journey's step, the API or an operator, an import
//! with its stated basis, WhatsApp's `user_preferences` webhook, error 131050), who made it,
//! the basis and the text shown. The runtime's gates read the contact's current consent in
//! its state (the latest entry of this history). Erasing a contact deletes its entries; the
//! suppression list (see [`suppression`]) is what is left.

pub mod suppression;

use async_trait::async_trait;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};
use serde::Serialize;
use serde_json::Value;
use spool_runtime::ScopedId;
use spool_runtime::notice::{Notice, NoticeKind, Observer};
use utoipa::ToSchema;

use crate::db::consent_event::{self, Column, Entity};
use crate::time::rfc3339;

#[derive(Debug)]
pub struct Ledger {
    db: DatabaseConnection,
}

impl Ledger {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

fn text(consent: &Value, key: &str) -> Option<String> {
    consent.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn entry(notice: &Notice) -> Option<consent_event::ActiveModel> {
    let opted_in = match notice.kind {
        NoticeKind::OptedIn => true,
        NoticeKind::OptedOut => false,
        _ => return None,
    };
    let consent = notice.data.get("consent").unwrap_or(&Value::Null);
    Some(consent_event::ActiveModel {
        notice_id: Set(notice.id.clone()),
        workspace_id: Set(ScopedId::scope_of(&notice.contact_id).to_owned()),
        contact_id: Set(notice.contact_id.clone()),
        phone: Set(notice.phone.clone()),
        category: Set(text(consent, "category").unwrap_or_else(|| "marketing".into())),
        opted_in: Set(opted_in),
        source: Set(text(consent, "source").unwrap_or_else(|| "flow".into())),
        actor: Set(text(consent, "actor")),
        basis: Set(text(consent, "basis")),
        text: Set(text(consent, "text")),
        at: Set(notice.at),
        ..Default::default()
    })
}

#[async_trait]
impl Observer for Ledger {
    async fn observe(&self, notices: &[Notice]) -> Result<(), spool_runtime::Error> {
        let rows: Vec<_> = notices.iter().filter_map(entry).collect();
        if rows.is_empty() {
            return Ok(());
        }
        // A batch applied again tells the same notices again: kept once.
        Entity::insert_many(rows)
            .on_conflict(OnConflict::column(Column::NoticeId).do_nothing().to_owned())
            .exec_without_returning(&self.db)
            .await
            .map(|_| ())
            .map_err(|err| spool_runtime::Error::Observer(err.to_string()))
    }
}

/// One opt-in or opt-out, as the API shows it.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct ConsentEntry {
    /// `marketing` (or `utility`).
    pub category: String,
    pub opted_in: bool,
    /// `keyword`, `flow`, `api`, `operator`, `import`, `user_preferences` or `131050`.
    pub source: String,
    pub actor: Option<String>,
    pub basis: Option<String>,
    pub text: Option<String>,
    /// RFC 3339.
    pub at: String,
}

/// A contact's ledger, oldest first.
pub async fn history(
    db: &impl ConnectionTrait,
    contact_id: &str,
) -> Result<Vec<ConsentEntry>, DbErr> {
    Ok(Entity::find()
        .filter(Column::ContactId.eq(contact_id))
        .order_by_asc(Column::At)
        .order_by_asc(Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|row| ConsentEntry {
            category: row.category,
            opted_in: row.opted_in,
            source: row.source,
            actor: row.actor,
            basis: row.basis,
            text: row.text,
            at: rfc3339(row.at),
        })
        .collect())
}

/// Forgets a contact's ledger (erasure: the suppression record is what stays).
pub async fn forget_contact(db: &impl ConnectionTrait, contact_id: &str) -> Result<(), DbErr> {
    Entity::delete_many()
        .filter(Column::ContactId.eq(contact_id))
        .exec(db)
        .await
        .map(|_| ())
}
