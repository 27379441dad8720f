use sea_orm::entity::prelude::*;

/// One property of a contact: see the migration `contact_directory`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "contact_properties")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub contact_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    pub workspace_id: String,
    pub value: String,
    pub text_value: String,
    pub number_value: Option<f64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
