use sea_orm::entity::prelude::*;

/// A step of a journey a contact reached: see the migration `contact_directory`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contact_reached")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub contact_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub flow_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub node_id: String,
    pub workspace_id: String,
    pub first_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
