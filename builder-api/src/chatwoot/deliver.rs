//! Makes the calls queued for Chatwoot, oldest first, one contact's in order: a call that
//! fails is tried again later (after 1 s, 2 s, 4 s… up to 5 min) and the contact's later
//! calls wait for it; a call that has nothing to act on (a message of a contact whose
//! conversation is not mirrored) is dropped. The workspace's network rule applies as to any
//! call Spool makes (private addresses only when the workspace allows them).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::{Value, json};
use spool_runtime::clock::Clock;
use spool_runtime::ssrf;
use tokio::sync::watch;
use tracing::{debug, warn};

use super::Linked;
use super::link::Link;
use super::queue::{CLOSE, INCOMING, NOTE, OPEN};
use crate::db::chatwoot::{conversation, outbox};
use crate::db::handoff_ticket;
use crate::handoffs;
use crate::network::WorkspaceNetwork;
use crate::sealed::SecretKey;

/// Calls taken per pass.
const BATCH: u64 = 50;
/// The longest wait before trying a call again.
const LONGEST_BACKOFF_MS: i64 = 300_000;
/// How often due calls are looked for (a conversation mirrored within a second or so).
const POLL: Duration = Duration::from_millis(500);
/// How often the links are read again (another process may have changed them).
const RELOAD: Duration = Duration::from_secs(60);

/// Why a call was not made.
enum Failure {
    /// Try again later.
    Retry(String),
    /// Nothing to do (or never possible): forget it.
    Drop(String),
}

impl From<reqwest::Error> for Failure {
    fn from(err: reqwest::Error) -> Self {
        Failure::Retry(err.to_string())
    }
}

impl From<sea_orm::DbErr> for Failure {
    fn from(err: sea_orm::DbErr) -> Self {
        Failure::Retry(err.to_string())
    }
}

impl std::fmt::Debug for ChatwootDeliveries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatwootDeliveries").finish_non_exhaustive()
    }
}

pub struct ChatwootDeliveries {
    db: DatabaseConnection,
    key: Option<SecretKey>,
    network: Arc<WorkspaceNetwork>,
    clock: Arc<dyn Clock>,
    linked: Linked,
    open: reqwest::Client,
    guarded: reqwest::Client,
}

impl ChatwootDeliveries {
    pub fn new(
        db: DatabaseConnection,
        key: Option<SecretKey>,
        network: Arc<WorkspaceNetwork>,
        clock: Arc<dyn Clock>,
        linked: Linked,
    ) -> Result<Self, reqwest::Error> {
        spool_runtime::http::install_crypto_provider();
        let builder = || {
            reqwest::Client::builder()
                .user_agent(concat!("spool/", env!("CARGO_PKG_VERSION")))
                .connect_timeout(Duration::from_secs(5))
                .timeout(Duration::from_secs(20))
                .redirect(reqwest::redirect::Policy::none())
        };
        Ok(Self {
            db,
            key,
            network,
            clock,
            linked,
            open: builder().build()?,
            guarded: ssrf::guard_client(builder()).build()?,
        })
    }

    /// Makes the due calls, then waits; returns once `stopped` turns true.
    pub async fn run(self, mut stopped: watch::Receiver<bool>) {
        let mut reloaded = tokio::time::Instant::now() - RELOAD;
        loop {
            if reloaded.elapsed() >= RELOAD {
                if let Err(err) = self.linked.reload(&self.db).await {
                    warn!(%err, "Chatwoot links could not be read");
                }
                reloaded = tokio::time::Instant::now();
            }
            if self.linked.any()
                && let Err(err) = self.pass().await
            {
                warn!(%err, "Chatwoot calls could not be read; retrying");
            }
            tokio::select! {
                _ = tokio::time::sleep(POLL) => {}
                _ = stopped.changed() => return,
            }
            if *stopped.borrow() {
                return;
            }
        }
    }

    async fn pass(&self) -> Result<(), sea_orm::DbErr> {
        let now = self.clock.now();
        let due = outbox::Entity::find()
            .filter(outbox::Column::NextAt.lte(now))
            .order_by_asc(outbox::Column::Id)
            .limit(BATCH)
            .all(&self.db)
            .await?;
        let mut links: HashMap<String, Option<Link>> = HashMap::new();
        let mut waiting: HashSet<String> = HashSet::new();
        for call in due {
            if waiting.contains(&call.contact_id) {
                continue;
            }
            if !links.contains_key(&call.workspace_id) {
                let link = Link::load(&self.db, self.key.as_ref(), &call.workspace_id)
                    .await
                    .unwrap_or_else(|err| {
                        warn!(workspace = %call.workspace_id, %err, "Chatwoot link unreadable");
                        None
                    });
                links.insert(call.workspace_id.clone(), link);
            }
            let outcome = match links.get(&call.workspace_id).and_then(Option::as_ref) {
                Some(link) => self.make(link, &call).await,
                None => Err(Failure::Drop("the workspace has no Chatwoot link".into())),
            };
            match outcome {
                Ok(()) => {
                    outbox::Entity::delete_by_id(call.id).exec(&self.db).await?;
                }
                Err(Failure::Drop(why)) => {
                    debug!(id = call.id, kind = %call.kind, why, "Chatwoot call dropped");
                    outbox::Entity::delete_by_id(call.id).exec(&self.db).await?;
                }
                Err(Failure::Retry(why)) => {
                    warn!(id = call.id, kind = %call.kind, why, "Chatwoot call failed; trying again later");
                    waiting.insert(call.contact_id.clone());
                    let backoff = (1_000_i64 << call.attempts.clamp(0, 20)).min(LONGEST_BACKOFF_MS);
                    outbox::Entity::update_many()
                        .col_expr(outbox::Column::Attempts, Expr::value(call.attempts + 1))
                        .col_expr(outbox::Column::NextAt, Expr::value(now + backoff))
                        .col_expr(outbox::Column::LastError, Expr::value(why))
                        .filter(outbox::Column::Id.eq(call.id))
                        .exec(&self.db)
                        .await?;
                }
            }
        }
        Ok(())
    }

    async fn make(&self, link: &Link, call: &outbox::Model) -> Result<(), Failure> {
        let payload: Value = serde_json::from_str(&call.payload).unwrap_or(Value::Null);
        match call.kind.as_str() {
            OPEN => self.open_conversation(link, call, &payload).await,
            INCOMING | NOTE => {
                let Some(conversation) = self.mirrored(&call.contact_id, true).await?.pop() else {
                    return Err(Failure::Drop("no open mirrored conversation".into()));
                };
                let private = call.kind == NOTE;
                let body = json!({
                    "content": payload["content"],
                    "message_type": if private { "outgoing" } else { "incoming" },
                    "private": private,
                });
                self.post(
                    link,
                    &format!("conversations/{conversation}/messages"),
                    &body,
                )
                .await
                .map(drop)
            }
            CLOSE => {
                for conversation in self.mirrored(&call.contact_id, false).await? {
                    let body = json!({ "status": "resolved" });
                    self.post(
                        link,
                        &format!("conversations/{conversation}/toggle_status"),
                        &body,
                    )
                    .await?;
                }
                Ok(())
            }
            other => Err(Failure::Drop(format!("unknown call {other}"))),
        }
    }

    /// The contact's mirrored Chatwoot conversations whose tickets are open (`open`) or
    /// closed, oldest first.
    async fn mirrored(&self, contact_id: &str, open: bool) -> Result<Vec<i64>, Failure> {
        let rows = conversation::Entity::find()
            .filter(conversation::Column::ContactId.eq(contact_id))
            .filter(conversation::Column::ConversationId.is_not_null())
            .all(&self.db)
            .await?;
        let mut found = Vec::new();
        for row in rows {
            let status = handoff_ticket::Entity::find_by_id(row.ticket_id.clone())
                .one(&self.db)
                .await?
                .map(|ticket| ticket.status);
            let is_open = status.as_deref() == Some(handoffs::OPEN);
            if is_open == open {
                found.extend(row.conversation_id);
            }
        }
        Ok(found)
    }

    /// The ticket's conversation in Chatwoot: the contact found (from an earlier ticket) or
    /// made, the conversation made, and the journey's note with the last messages as a
    /// private note, so the agent starts with the context.
    async fn open_conversation(
        &self,
        link: &Link,
        call: &outbox::Model,
        payload: &Value,
    ) -> Result<(), Failure> {
        let Some(ticket) = call.ticket_id.clone() else {
            return Err(Failure::Drop("an open without its ticket".into()));
        };
        if let Some(done) = conversation::Entity::find_by_id(ticket.clone())
            .one(&self.db)
            .await?
            && done.conversation_id.is_some()
        {
            return Ok(());
        }
        let earlier = conversation::Entity::find()
            .filter(conversation::Column::ContactId.eq(&call.contact_id))
            .filter(conversation::Column::ChatwootContactId.is_not_null())
            .one(&self.db)
            .await?;
        let (contact, source) = match earlier
            .and_then(|row| Some((row.chatwoot_contact_id?, row.source_id?)))
        {
            Some(known) => known,
            None => {
                let name = payload["name"]
                    .as_str()
                    .or(payload["phone"].as_str())
                    .unwrap_or("WhatsApp contact");
                let made = self
                    .post(
                        link,
                        "contacts",
                        &json!({
                            "inbox_id": link.inbox_id,
                            "name": name,
                            "phone_number": payload["phone"],
                            "identifier": call.contact_id,
                        }),
                    )
                    .await?;
                let contact = made["payload"]["contact"]["id"].as_i64();
                let source = made["payload"]["contact_inbox"]["source_id"].as_str();
                match (contact, source) {
                    (Some(contact), Some(source)) => (contact, source.to_owned()),
                    _ => {
                        return Err(Failure::Retry(format!(
                            "Chatwoot's answer to a new contact has no contact id or source id: {made}"
                        )));
                    }
                }
            }
        };
        let made = self
            .post(
                link,
                "conversations",
                &json!({ "source_id": source, "inbox_id": link.inbox_id, "contact_id": contact, "status": "open" }),
            )
            .await?;
        let Some(conversation_id) = made["id"].as_i64() else {
            return Err(Failure::Retry(format!(
                "Chatwoot's answer to a new conversation has no id: {made}"
            )));
        };
        conversation::Entity::insert(conversation::ActiveModel {
            ticket_id: Set(ticket),
            workspace_id: Set(call.workspace_id.clone()),
            contact_id: Set(call.contact_id.clone()),
            chatwoot_contact_id: Set(Some(contact)),
            source_id: Set(Some(source)),
            conversation_id: Set(Some(conversation_id)),
        })
        .on_conflict(
            sea_orm::sea_query::OnConflict::column(conversation::Column::TicketId)
                .update_columns([
                    conversation::Column::ChatwootContactId,
                    conversation::Column::SourceId,
                    conversation::Column::ConversationId,
                ])
                .to_owned(),
        )
        .exec_without_returning(&self.db)
        .await?;
        let context = self.context(call, payload).await?;
        self.post(
            link,
            &format!("conversations/{conversation_id}/messages"),
            &json!({ "content": context, "message_type": "outgoing", "private": true }),
        )
        .await?;
        Ok(())
    }

    /// The journey's note and the conversation's last messages, as a private note.
    async fn context(&self, call: &outbox::Model, payload: &Value) -> Result<String, Failure> {
        let mut lines = vec![format!(
            "Handed over by the journey {} at step {} (team {}): {}",
            payload["flow_id"].as_str().unwrap_or("?"),
            payload["node_id"].as_str().unwrap_or("?"),
            payload["team"].as_str().unwrap_or("?"),
            payload["note"].as_str().unwrap_or("no note"),
        )];
        let recent = crate::conversation::of_contact(&self.db, &call.contact_id, None, 10).await?;
        if !recent.is_empty() {
            lines.push("Last messages:".into());
        }
        for message in recent {
            let body: Value = serde_json::from_str(&message.body).unwrap_or(Value::Null);
            let said = body["body"]
                .as_str()
                .or(body["text"].as_str())
                .or(body["title"].as_str())
                .or(body["name"].as_str())
                .unwrap_or("…");
            let who = if message.direction == crate::conversation::IN {
                "Contact"
            } else {
                "Spool"
            };
            lines.push(format!("{who}: {said}"));
        }
        Ok(lines.join("\n"))
    }

    /// POSTs to the account's API; the answer's JSON, or why it failed.
    async fn post(&self, link: &Link, path: &str, body: &Value) -> Result<Value, Failure> {
        let url = format!(
            "{}/api/v1/accounts/{}/{path}",
            link.base_url, link.account_id
        );
        let client = self.client_for(&link.workspace, &url).await?;
        let answer = client
            .post(&url)
            .header("api_access_token", &link.api_token)
            .json(body)
            .send()
            .await?;
        let status = answer.status();
        let text = answer.text().await.unwrap_or_default();
        if status.is_success() {
            return Ok(serde_json::from_str(&text).unwrap_or(Value::Null));
        }
        // Kept and tried again even on a 4xx: a wrong token, account or inbox is fixed by
        // changing the link, after which the calls waiting go through.
        Err(Failure::Retry(format!(
            "Chatwoot answered {status} to {path}: {}",
            text.chars().take(300).collect::<String>()
        )))
    }

    async fn client_for(&self, workspace: &str, url: &str) -> Result<&reqwest::Client, Failure> {
        let allowed = self
            .network
            .allows_private_in(workspace)
            .await
            .map_err(|err| Failure::Retry(err.to_string()))?;
        if allowed {
            return Ok(&self.open);
        }
        ssrf::check_url(url)
            .await
            .map_err(|refused| Failure::Retry(refused.to_string()))?;
        Ok(&self.guarded)
    }
}
