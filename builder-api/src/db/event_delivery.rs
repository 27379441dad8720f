use sea_orm::entity::prelude::*;

/// One event for one subscription: queued until delivered or given up on, then kept as the
/// delivery log.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "event_deliveries")]
pub struct Model {
    /// A UUID v7, so ordering by id orders by creation.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub subscription_id: String,
    pub workspace_id: String,
    /// The same on every attempt (`X-Spool-Event-Id`).
    pub event_id: String,
    pub event_type: String,
    /// The exact bytes sent and signed.
    pub body: String,
    pub attempts: i32,
    /// When the next attempt is due; while one is made, the end of its lease.
    pub next_attempt_at: i64,
    /// `pending`, `delivered` or `failed`.
    pub state: String,
    /// The process making the current attempt.
    pub claimed_by: Option<String>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: i64,
    /// When it was queued, or re-queued by hand: retries stop a day after this.
    pub queued_at: i64,
    pub delivered_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
