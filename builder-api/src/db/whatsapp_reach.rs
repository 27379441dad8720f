use sea_orm::entity::prelude::*;

/// Someone a number wrote to outside their 24-hour window, and when they were counted.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "whatsapp_reach")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub channel_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub recipient: String,
    pub counted_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
