use sea_orm::entity::prelude::*;

/// One translation of a WhatsApp message template, as last synced from Meta or changed by
/// its webhooks. `components` and `parameters` hold JSON text.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "whatsapp_templates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub waba_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub language: String,
    pub template_id: String,
    pub status: String,
    pub category: String,
    pub parameter_format: Option<String>,
    pub components: String,
    pub parameters: String,
    pub quality: Option<String>,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
