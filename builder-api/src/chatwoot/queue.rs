//! The runtime's notices as calls to make to Chatwoot, for workspaces linked to one: rows of
//! `chatwoot_outbox`, written before the runtime commits the batch (like tickets), made later
//! by [`super::deliver`]. Nothing is written for a workspace without a link.
//!
//! - a handoff requested: `open` (the conversation, with the journey's note);
//! - a message from the contact: `incoming` (posted if the contact's ticket is mirrored);
//! - a message Spool queued for them that an agent in Chatwoot did not write (an inbox
//!   reply): `note`, so the Chatwoot side sees it; one it refused from Chatwoot: `note`, why;
//! - a handoff closed: `close` (the conversation resolved there).

use async_trait::async_trait;
use sea_orm::{DatabaseConnection, EntityTrait, Set};
use serde_json::{Value, json};
use spool_runtime::ScopedId;
use spool_runtime::notice::{Notice, NoticeKind, Observer};

use super::{AUTHOR_PREFIX, Linked};
use crate::db::chatwoot::outbox;
use crate::events_out::event_id;

/// What to do in Chatwoot.
pub const OPEN: &str = "open";
pub const INCOMING: &str = "incoming";
pub const NOTE: &str = "note";
pub const CLOSE: &str = "close";

#[derive(Debug)]
pub struct ChatwootQueue {
    db: DatabaseConnection,
    linked: Linked,
}

impl ChatwootQueue {
    pub fn new(db: DatabaseConnection, linked: Linked) -> Self {
        Self { db, linked }
    }
}

fn row(notice: &Notice, kind: &str, ticket: Option<String>, payload: Value) -> outbox::ActiveModel {
    outbox::ActiveModel {
        workspace_id: Set(ScopedId::scope_of(&notice.contact_id).to_owned()),
        contact_id: Set(notice.contact_id.clone()),
        kind: Set(kind.to_owned()),
        ticket_id: Set(ticket),
        payload: Set(payload.to_string()),
        attempts: Set(0),
        next_at: Set(0),
        last_error: Set(None),
        ..Default::default()
    }
}

fn words(value: Option<&Value>) -> String {
    value.and_then(Value::as_str).unwrap_or_default().to_owned()
}

/// The row a notice becomes, if any.
fn call_for(notice: &Notice) -> Option<outbox::ActiveModel> {
    let workspace = ScopedId::scope_of(&notice.contact_id);
    let message = notice.data.get("message");
    match notice.kind {
        NoticeKind::HandoffRequested => {
            let handoff = notice.data.get("handoff").unwrap_or(&Value::Null);
            let run = notice.data.get("run").unwrap_or(&Value::Null);
            let payload = json!({
                "name": handoff.get("contact_name"),
                "phone": (!notice.phone.is_empty()).then(|| format!("+{}", notice.phone)),
                "note": handoff.get("note"),
                "team": handoff.get("team"),
                "flow_id": run.get("flow_id"),
                "node_id": run.get("node_id"),
            });
            // The ticket's id, as the ticket observer makes it from the same notice.
            let ticket = event_id(workspace, &notice.id).to_string();
            Some(row(notice, OPEN, Some(ticket), payload))
        }
        NoticeKind::HandoffClosed => Some(row(notice, CLOSE, None, json!({}))),
        NoticeKind::MessageReceived => {
            let message = message?;
            let text = message
                .get("text")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .or_else(|| {
                    message
                        .get("type")
                        .and_then(Value::as_str)
                        .map(|kind| format!("[{kind}]"))
                })?;
            Some(row(notice, INCOMING, None, json!({ "content": text })))
        }
        NoticeKind::MessageQueued => {
            let message = message?;
            let author = message.get("author").and_then(Value::as_str)?;
            if author.starts_with(AUTHOR_PREFIX) {
                return None;
            }
            let body = message.get("body").unwrap_or(&Value::Null);
            let said = body
                .get("text")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| format!("template {}", words(body.get("name"))));
            Some(row(
                notice,
                NOTE,
                None,
                json!({ "content": format!("Sent from Spool by {author}: {said}") }),
            ))
        }
        NoticeKind::MessageRefused => {
            let message = message?;
            let author = message.get("author").and_then(Value::as_str)?;
            if !author.starts_with(AUTHOR_PREFIX) {
                return None;
            }
            let why = words(message.get("error").and_then(|error| error.get("message")));
            Some(row(
                notice,
                NOTE,
                None,
                json!({ "content": format!("Not sent to WhatsApp: {why}. After 24 hours without a message from the contact, only an approved template can be sent: use Spool's inbox for that.") }),
            ))
        }
        _ => None,
    }
}

#[async_trait]
impl Observer for ChatwootQueue {
    async fn observe(&self, notices: &[Notice]) -> Result<(), spool_runtime::Error> {
        if !self.linked.any() {
            return Ok(());
        }
        let rows: Vec<outbox::ActiveModel> = notices
            .iter()
            .filter(|notice| self.linked.contains(ScopedId::scope_of(&notice.contact_id)))
            .filter_map(call_for)
            .collect();
        if rows.is_empty() {
            return Ok(());
        }
        // A batch applied again queues its calls again: `open` is made once per ticket (the
        // conversation row says it is made), a repeated message shows twice at worst.
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<_> = rows.by_ref().take(500).collect();
            outbox::Entity::insert_many(chunk)
                .exec_without_returning(&self.db)
                .await
                .map_err(|err| spool_runtime::Error::Observer(err.to_string()))?;
        }
        Ok(())
    }
}
