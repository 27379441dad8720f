use sea_orm::entity::prelude::*;

/// A contact handed to a person by a journey: see the migration `handoff_tickets`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "handoff_tickets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub workspace_id: String,
    pub contact_id: String,
    pub phone: String,
    pub contact_name: Option<String>,
    pub run_id: String,
    pub flow_id: String,
    pub version: String,
    pub node_id: String,
    pub team: String,
    pub note: Option<String>,
    pub status: String,
    pub assignee: Option<String>,
    pub assigned_at: Option<i64>,
    pub raised_at: i64,
    pub waits_until: Option<i64>,
    pub last_inbound_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub closed_by: Option<String>,
    pub outcome: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
