use sea_orm::entity::prelude::*;

/// A contact import: see the migration `contact_imports`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contact_imports")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub workspace_id: String,
    pub file_name: String,
    pub file: Vec<u8>,
    pub sniffed: String,
    pub plan: Option<String>,
    pub state: String,
    pub processed: i64,
    pub report: Option<String>,
    pub error: Option<String>,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
