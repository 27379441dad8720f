use sea_orm::entity::prelude::*;

/// One tag of a contact: see the migration `contact_directory`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contact_tags")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub contact_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub tag: String,
    pub workspace_id: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
