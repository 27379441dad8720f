use sea_orm::entity::prelude::*;

/// A broadcast campaign: see the migration `campaigns`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "campaigns")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub workspace_id: String,
    pub name: String,
    pub flow_id: String,
    pub segment_id: Option<String>,
    pub audience: Option<String>,
    pub phones: Option<String>,
    pub state: String,
    pub send_at: Option<i64>,
    pub local_time: bool,
    pub timezone: String,
    pub quiet_start: Option<i32>,
    pub quiet_end: Option<i32>,
    pub split_over_days: bool,
    pub pause_reason: Option<String>,
    pub lease_owner: Option<String>,
    pub lease_until: Option<i64>,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
