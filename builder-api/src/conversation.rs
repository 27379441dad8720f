//! The conversation history: each contact's messages, both ways, kept in the database from
//! the runtime's notices (`message.received`, `message.queued` or `message.refused`, then
//! the statuses of what was queued) before the runtime commits the batch that raised them, so an operator picking
//! up a handoff reads what the contact and the journey said, and what became of each
//! message. One insert per batch and one update per status and batch: the history must not
//! slow the runtime down much.

use std::collections::BTreeMap;

use async_trait::async_trait;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::Value;
use spool_runtime::ScopedId;
use spool_runtime::notice::{Notice, NoticeKind, Observer};

use crate::db::conversation_message::{self, Column, Entity};

/// A message from the contact.
pub const IN: &str = "in";
/// A message to the contact.
pub const OUT: &str = "out";
/// The status of a message an operator wrote that WhatsApp's rules did not let go.
pub const REFUSED: &str = "refused";
/// A private note on the conversation: its direction and status (never sent).
pub const NOTE: &str = "note";
/// Rows (or keys) per statement: SQLite takes at most 32,766 values in one.
const ROWS_PER_INSERT: usize = 500;

#[derive(Debug)]
pub struct History {
    db: DatabaseConnection,
}

impl History {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

fn text(value: Option<&Value>) -> Option<String> {
    value.and_then(Value::as_str).map(str::to_owned)
}

fn received(notice: &Notice) -> Option<conversation_message::ActiveModel> {
    let message = notice.data.get("message")?;
    let id = message.get("id").and_then(Value::as_str)?;
    Some(conversation_message::ActiveModel {
        key: Set(format!("{}/in/{id}", notice.contact_id)),
        contact_id: Set(notice.contact_id.clone()),
        workspace_id: Set(ScopedId::scope_of(&notice.contact_id).to_owned()),
        direction: Set(IN.to_owned()),
        run_id: Set(None),
        node_id: Set(None),
        author: Set(None),
        body: Set(message.get("content").unwrap_or(&Value::Null).to_string()),
        status: Set("received".to_owned()),
        error: Set(None),
        window_closed: Set(false),
        at: Set(notice.at),
    })
}

fn queued(notice: &Notice) -> Option<conversation_message::ActiveModel> {
    let message = notice.data.get("message")?;
    Some(conversation_message::ActiveModel {
        key: Set(text(message.get("key"))?),
        contact_id: Set(notice.contact_id.clone()),
        workspace_id: Set(ScopedId::scope_of(&notice.contact_id).to_owned()),
        direction: Set(OUT.to_owned()),
        run_id: Set(text(message.get("run_id"))),
        node_id: Set(text(message.get("node_id"))),
        author: Set(text(message.get("author"))),
        body: Set(message.get("body").unwrap_or(&Value::Null).to_string()),
        status: Set("queued".to_owned()),
        error: Set(None),
        window_closed: Set(message
            .get("window_closed")
            .and_then(Value::as_bool)
            .unwrap_or(false)),
        at: Set(notice.at),
    })
}

fn refused(notice: &Notice) -> Option<conversation_message::ActiveModel> {
    let message = notice.data.get("message")?;
    let why = message
        .get("error")
        .and_then(|error| error.get("message"))
        .and_then(Value::as_str)
        .unwrap_or("WhatsApp's rules did not allow it");
    Some(conversation_message::ActiveModel {
        key: Set(text(message.get("key"))?),
        contact_id: Set(notice.contact_id.clone()),
        workspace_id: Set(ScopedId::scope_of(&notice.contact_id).to_owned()),
        direction: Set(OUT.to_owned()),
        run_id: Set(None),
        node_id: Set(None),
        author: Set(text(message.get("author"))),
        body: Set(message.get("body").unwrap_or(&Value::Null).to_string()),
        status: Set(REFUSED.to_owned()),
        error: Set(Some(why.to_owned())),
        window_closed: Set(false),
        at: Set(notice.at),
    })
}

/// The statuses a message may have before `status`: a status never moves a message back
/// (WhatsApp's webhooks arrive out of order: `delivered` may follow `read`).
fn earlier(status: &str) -> &'static [&'static str] {
    match status {
        "sent" => &["queued"],
        "delivered" => &["queued", "sent"],
        "read" => &["queued", "sent", "delivered"],
        "failed" => &["queued", "sent", "delivered"],
        _ => &[],
    }
}

#[async_trait]
impl Observer for History {
    async fn observe(&self, notices: &[Notice]) -> Result<(), spool_runtime::Error> {
        let failed = |err: DbErr| spool_runtime::Error::Observer(err.to_string());
        let mut rows = Vec::new();
        // Status → the keys of the messages that reached it in this batch.
        let mut statuses: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        let mut failures = Vec::new();
        for notice in notices {
            let message = notice.data.get("message");
            match notice.kind {
                NoticeKind::MessageReceived => rows.extend(received(notice)),
                NoticeKind::MessageQueued => rows.extend(queued(notice)),
                NoticeKind::MessageRefused => rows.extend(refused(notice)),
                NoticeKind::MessageSent
                | NoticeKind::MessageDelivered
                | NoticeKind::MessageRead => {
                    let status = notice.kind.as_str().trim_start_matches("message.");
                    if let Some(key) = text(message.and_then(|m| m.get("key"))) {
                        statuses.entry(status).or_default().push(key);
                    }
                }
                NoticeKind::MessageFailed => {
                    if let Some(key) = text(message.and_then(|m| m.get("key"))) {
                        let why = message
                            .and_then(|m| m.get("error"))
                            .and_then(|error| error.get("message"))
                            .and_then(Value::as_str)
                            .unwrap_or("WhatsApp did not deliver it")
                            .to_owned();
                        failures.push((key, why));
                    }
                }
                _ => {}
            }
        }
        // A batch applied again tells the same messages again: kept once. In chunks, within
        // the databases' limit of values per statement.
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<_> = rows.by_ref().take(ROWS_PER_INSERT).collect();
            Entity::insert_many(chunk)
                .on_conflict(OnConflict::column(Column::Key).do_nothing().to_owned())
                .exec_without_returning(&self.db)
                .await
                .map_err(failed)?;
        }
        // In the order a message goes through them, so one batch holding `sent` and `read`
        // for the same message ends at `read`.
        for status in ["sent", "delivered", "read"] {
            let Some(keys) = statuses.remove(status) else {
                continue;
            };
            for keys in keys.chunks(ROWS_PER_INSERT) {
                Entity::update_many()
                    .col_expr(Column::Status, Expr::value(status))
                    .filter(Column::Key.is_in(keys.iter().cloned()))
                    .filter(Column::Status.is_in(earlier(status).iter().copied()))
                    .exec(&self.db)
                    .await
                    .map_err(failed)?;
            }
        }
        for (key, why) in failures {
            Entity::update_many()
                .col_expr(Column::Status, Expr::value("failed"))
                .col_expr(Column::Error, Expr::value(why))
                .filter(Column::Key.eq(key))
                .filter(Column::Status.is_in(earlier("failed").iter().copied()))
                .exec(&self.db)
                .await
                .map_err(failed)?;
        }
        Ok(())
    }
}

/// The contact's latest messages sent before `before` (ms; all when absent), at most
/// `limit`, oldest first.
pub async fn of_contact(
    db: &impl ConnectionTrait,
    contact_id: &str,
    before: Option<i64>,
    limit: u64,
) -> Result<Vec<conversation_message::Model>, DbErr> {
    let mut query = Entity::find().filter(Column::ContactId.eq(contact_id));
    if let Some(before) = before {
        query = query.filter(Column::At.lt(before));
    }
    let mut rows = query
        .order_by_desc(Column::At)
        .order_by_desc(Column::Key)
        .limit(limit)
        .all(db)
        .await?;
    rows.reverse();
    Ok(rows)
}

/// Keeps a private note an operator wrote on the contact's conversation; the note as kept.
pub async fn add_note(
    db: &impl ConnectionTrait,
    contact_id: &str,
    run_id: &str,
    author: &str,
    text: &str,
    at: i64,
) -> Result<conversation_message::Model, DbErr> {
    let row = conversation_message::Model {
        key: format!("{contact_id}/note/{}", uuid::Uuid::now_v7().simple()),
        contact_id: contact_id.to_owned(),
        workspace_id: ScopedId::scope_of(contact_id).to_owned(),
        direction: NOTE.to_owned(),
        run_id: Some(run_id.to_owned()),
        node_id: None,
        author: Some(author.to_owned()),
        body: serde_json::json!({ "type": NOTE, "text": text }).to_string(),
        status: NOTE.to_owned(),
        error: None,
        window_closed: false,
        at,
    };
    Entity::insert(conversation_message::ActiveModel::from(row.clone()))
        .exec_without_returning(db)
        .await?;
    Ok(row)
}

/// Forgets an erased contact's conversation.
pub async fn forget_contact(db: &impl ConnectionTrait, contact_id: &str) -> Result<(), DbErr> {
    Entity::delete_many()
        .filter(Column::ContactId.eq(contact_id))
        .exec(db)
        .await?;
    Ok(())
}
