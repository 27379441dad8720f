use sea_orm::entity::prelude::*;

/// A run at rest at a step: see the migration `run_positions`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "run_positions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub contact_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub run_id: String,
    pub workspace_id: String,
    pub phone: String,
    pub flow_id: String,
    pub version: String,
    pub node_id: String,
    pub status: String,
    pub since: i64,
    pub until: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
