use sea_orm::entity::prelude::*;

/// One person a campaign sends to: see the migration `campaigns`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "campaign_recipients")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub campaign_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub contact_id: String,
    pub workspace_id: String,
    pub phone: String,
    pub state: String,
    pub reason: Option<String>,
    pub due_at: i64,
    pub attempts: i32,
    pub run_id: Option<String>,
    pub wamid: Option<String>,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
