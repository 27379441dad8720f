use sea_orm::entity::prelude::*;

/// A business-initiated message waiting for its number's messaging limit to free a place.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "whatsapp_send_queue")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub channel_id: String,
    pub message_key: String,
    pub contact_id: String,
    pub queued_at: i64,
    pub tried_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
