//! Tickets from the runtime's notices, before the batch that raised them is committed (an
//! observer that fails makes the runtime apply the batch again, so no handoff is missed; a
//! batch applied twice gives the same notice ids, so no ticket is made twice).

use async_trait::async_trait;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, Set};
use serde_json::Value;
use spool_runtime::ScopedId;
use spool_runtime::notice::{Notice, NoticeKind, Observer};

use super::{BY_THE_JOURNEY, CLOSED, OPEN};
use crate::db::handoff_ticket::{self, Column, Entity};
use crate::events_out::event_id;

#[derive(Debug)]
pub struct Tickets {
    db: DatabaseConnection,
}

impl Tickets {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

fn ticket(notice: &Notice) -> handoff_ticket::ActiveModel {
    let workspace = ScopedId::scope_of(&notice.contact_id);
    let run = notice.data.get("run").unwrap_or(&Value::Null);
    let handoff = notice.data.get("handoff").unwrap_or(&Value::Null);
    handoff_ticket::ActiveModel {
        id: Set(event_id(workspace, &notice.id).to_string()),
        workspace_id: Set(workspace.to_owned()),
        contact_id: Set(notice.contact_id.clone()),
        phone: Set(notice.phone.clone()),
        contact_name: Set(handoff["contact_name"].as_str().map(str::to_owned)),
        run_id: Set(text(&run["id"])),
        flow_id: Set(text(&run["flow_id"])),
        version: Set(text(&run["version"])),
        node_id: Set(text(&run["node_id"])),
        team: Set(text(&handoff["team"])),
        note: Set(handoff["note"].as_str().map(str::to_owned)),
        status: Set(OPEN.to_owned()),
        assignee: Set(None),
        assigned_at: Set(None),
        raised_at: Set(notice.at),
        waits_until: Set(handoff["until"].as_i64()),
        last_inbound_at: Set(handoff["last_inbound_at"].as_i64()),
        closed_at: Set(None),
        closed_by: Set(None),
        outcome: Set(None),
    }
}

#[async_trait]
impl Observer for Tickets {
    async fn observe(&self, notices: &[Notice]) -> Result<(), spool_runtime::Error> {
        let failed = |err: sea_orm::DbErr| spool_runtime::Error::Observer(err.to_string());
        for notice in notices {
            match notice.kind {
                NoticeKind::HandoffRequested => {
                    Entity::insert(ticket(notice))
                        .on_conflict_do_nothing_on([Column::Id])
                        .exec_without_returning(&self.db)
                        .await
                        .map_err(failed)?;
                }
                // The run left the handoff: a ticket a person closed is closed already;
                // one still open was left by the journey (timed out, cancelled, erased).
                NoticeKind::HandoffClosed => {
                    Entity::update_many()
                        .col_expr(Column::Status, Expr::value(CLOSED))
                        .col_expr(Column::ClosedAt, Expr::value(notice.at))
                        .col_expr(Column::ClosedBy, Expr::value(BY_THE_JOURNEY))
                        .col_expr(Column::Outcome, Expr::value("left"))
                        .filter(
                            Column::RunId
                                .eq(text(&notice.data.get("run").unwrap_or(&Value::Null)["id"])),
                        )
                        .filter(Column::ContactId.eq(notice.contact_id.clone()))
                        .filter(Column::Status.eq(OPEN))
                        .exec(&self.db)
                        .await
                        .map_err(failed)?;
                }
                _ => {}
            }
        }
        // The contacts who wrote while a person has (or will have) their conversation: the
        // ticket shows it, its 24-hour window is open again. One update for the batch, as
        // nearly every message in comes from a contact with no ticket; the batch's latest
        // time stands for each (they are milliseconds apart).
        let wrote: Vec<&Notice> = notices
            .iter()
            .filter(|notice| notice.kind == NoticeKind::MessageReceived)
            .collect();
        let latest = wrote
            .iter()
            .map(|notice| notice.at)
            .max()
            .unwrap_or_default();
        // In chunks, within the databases' limit of values per statement.
        for wrote in wrote.chunks(500) {
            Entity::update_many()
                .col_expr(Column::LastInboundAt, Expr::value(latest))
                .filter(
                    Column::ContactId.is_in(wrote.iter().map(|notice| notice.contact_id.clone())),
                )
                .filter(Column::Status.eq(OPEN))
                .filter(
                    Condition::any()
                        .add(Column::LastInboundAt.is_null())
                        .add(Column::LastInboundAt.lt(latest)),
                )
                .exec(&self.db)
                .await
                .map_err(failed)?;
        }
        Ok(())
    }
}
