use sea_orm::entity::prelude::*;

/// One opt-in or opt-out in the consent ledger: see the migration `consent_ledger`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "consent_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub notice_id: String,
    pub workspace_id: String,
    pub contact_id: String,
    pub phone: String,
    pub category: String,
    pub opted_in: bool,
    pub source: String,
    pub actor: Option<String>,
    pub basis: Option<String>,
    pub text: Option<String>,
    pub at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
