use sea_orm::entity::prelude::*;

/// One change to what a flow publishes, numbered in commit order (see
/// `m20261201_000001_publication_changes`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "publication_changes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i64,
    pub workspace_id: String,
    pub flow_id: String,
    /// The version new runs start on from this change, or none.
    pub version: Option<i32>,
    pub changed_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
