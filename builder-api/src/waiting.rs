//! Who waits where: the contacts whose runs rest at each step of a flow (waiting for a reply,
//! a timer, a person or a call), kept in the database from the runtime's `run.waiting`
//! notices and forgotten when the run ends (or the contact is erased). The funnel shows how
//! many passed a step; this says who is still there.

use async_trait::async_trait;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::Value;
use spool_runtime::ScopedId;
use spool_runtime::notice::{Notice, NoticeKind, Observer};

use crate::db::run_position::{self, Column, Entity};

#[derive(Debug)]
pub struct Positions {
    db: DatabaseConnection,
}

impl Positions {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

#[async_trait]
impl Observer for Positions {
    async fn observe(&self, notices: &[Notice]) -> Result<(), spool_runtime::Error> {
        let failed = |err: DbErr| spool_runtime::Error::Observer(err.to_string());
        for notice in notices {
            // Notices about consent carry no run: only run notices are looked at.
            let run = notice.data.get("run").unwrap_or(&Value::Null);
            match notice.kind {
                NoticeKind::RunWaiting => {
                    let row = run_position::ActiveModel {
                        contact_id: Set(notice.contact_id.clone()),
                        run_id: Set(text(&run["id"])),
                        workspace_id: Set(ScopedId::scope_of(&notice.contact_id).to_owned()),
                        phone: Set(notice.phone.clone()),
                        flow_id: Set(text(&run["flow_id"])),
                        version: Set(text(&run["version"])),
                        node_id: Set(text(&run["node_id"])),
                        status: Set(text(&run["status"])),
                        since: Set(notice.at),
                        until: Set(notice.data.get("until").and_then(Value::as_i64)),
                    };
                    Entity::insert(row)
                        .on_conflict(
                            OnConflict::columns([Column::ContactId, Column::RunId])
                                .update_columns([
                                    Column::Version,
                                    Column::NodeId,
                                    Column::Status,
                                    Column::Since,
                                    Column::Until,
                                ])
                                .to_owned(),
                        )
                        .exec_without_returning(&self.db)
                        .await
                        .map_err(failed)?;
                }
                NoticeKind::RunFinished | NoticeKind::RunFailed => {
                    Entity::delete_many()
                        .filter(Column::ContactId.eq(notice.contact_id.clone()))
                        .filter(Column::RunId.eq(text(&run["id"])))
                        .exec(&self.db)
                        .await
                        .map_err(failed)?;
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// How many runs wait at each step of `flow`, by step id.
pub async fn counts(
    db: &impl ConnectionTrait,
    workspace: &str,
    flow: &str,
) -> Result<Vec<(String, i64)>, DbErr> {
    Entity::find()
        .select_only()
        .column(Column::NodeId)
        .column_as(Column::RunId.count(), "waiting")
        .filter(Column::WorkspaceId.eq(workspace))
        .filter(Column::FlowId.eq(flow))
        .group_by(Column::NodeId)
        .order_by_asc(Column::NodeId)
        .into_tuple::<(String, i64)>()
        .all(db)
        .await
}

/// The runs waiting at `node` of `flow`, longest waiting first (at most `limit`), and how
/// many there are in all.
pub async fn at(
    db: &impl ConnectionTrait,
    workspace: &str,
    flow: &str,
    node: &str,
    limit: u64,
) -> Result<(Vec<run_position::Model>, u64), DbErr> {
    let query = Entity::find()
        .filter(Column::WorkspaceId.eq(workspace))
        .filter(Column::FlowId.eq(flow))
        .filter(Column::NodeId.eq(node));
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_asc(Column::Since)
        .limit(limit)
        .all(db)
        .await?;
    Ok((rows, total))
}

/// Forgets where an erased contact's runs waited.
pub async fn forget_contact(db: &impl ConnectionTrait, contact_id: &str) -> Result<(), DbErr> {
    Entity::delete_many()
        .filter(Column::ContactId.eq(contact_id))
        .exec(db)
        .await?;
    Ok(())
}
