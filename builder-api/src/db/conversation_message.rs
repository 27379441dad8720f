use sea_orm::entity::prelude::*;

/// One message of a contact's conversation: see the migration `conversation_messages`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "conversation_messages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    pub contact_id: String,
    pub workspace_id: String,
    pub direction: String,
    pub run_id: Option<String>,
    pub node_id: Option<String>,
    pub author: Option<String>,
    pub body: String,
    pub status: String,
    pub error: Option<String>,
    pub window_closed: bool,
    pub at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
