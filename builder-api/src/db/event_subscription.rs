use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "event_subscriptions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub workspace_id: String,
    pub url: String,
    /// The HMAC-SHA256 key its events are signed with, shown once when it is created;
    /// sealed with the server's key (`events_out::seal_secret`).
    pub secret: String,
    /// The event types it wants, a JSON array of names; empty for every type.
    pub event_types: String,
    pub description: String,
    pub active: bool,
    pub created_at: i64,
    pub created_by: String,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
