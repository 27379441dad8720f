use sea_orm::entity::prelude::*;

/// When a WhatsApp Business Account's templates were last read from Meta, and why the last
/// attempt failed, if it did.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "whatsapp_template_syncs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub waba_id: String,
    pub synced_at: Option<i64>,
    pub attempted_at: Option<i64>,
    pub last_error: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
