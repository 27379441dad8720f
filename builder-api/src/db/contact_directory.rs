use sea_orm::entity::prelude::*;

/// A contact as the directory keeps it (searchable): see the migration `contact_directory`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "contact_directory")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub contact_id: String,
    pub workspace_id: String,
    pub phone: String,
    pub bsuid: Option<String>,
    pub name: Option<String>,
    pub name_key: String,
    pub marketing_opt_in_at: Option<i64>,
    pub last_inbound_at: i64,
    pub timezone: Option<String>,
    pub locale: Option<String>,
    pub channel: Option<String>,
    pub first_ad: Option<String>,
    pub last_ad: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
