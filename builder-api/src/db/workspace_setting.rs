use sea_orm::entity::prelude::*;

/// A workspace's settings; no row means every setting has its default.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "workspace_settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub workspace_id: String,
    /// Whether `http_request` nodes and event subscriptions may reach private, loopback and
    /// link-local addresses.
    pub allow_private_targets: bool,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
