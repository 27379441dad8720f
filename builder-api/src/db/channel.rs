use sea_orm::entity::prelude::*;

/// A WhatsApp channel. `access_token`, `app_secret` and `verify_token` hold sealed values
/// (`crate::sealed`), never the secrets in clear; `crate::channels` opens them.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "whatsapp_channels")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub workspace_id: String,
    pub display_name: String,
    pub phone_number_id: String,
    pub waba_id: String,
    pub access_token: String,
    pub app_secret: String,
    pub verify_token: String,
    pub api_version: String,
    pub throughput_per_second: i32,
    pub messaging_limit: i64,
    pub marketing_messages_api: bool,
    pub is_default: bool,
    pub paused_reason: Option<String>,
    pub quality_rating: Option<String>,
    pub created_at: i64,
    pub created_by: String,
    pub updated_at: i64,
    pub updated_by: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
