//! Emitting an event: one pending delivery per active subscription of the workspace that
//! wants its type, written in one INSERT; from then on it is durable, and the delivery task
//! is woken to send it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set,
};
use serde_json::Value;
use spool_runtime::clock::Clock;
use tokio::sync::Notify;
use tracing::debug;
use uuid::Uuid;

use super::event::{EventType, body};
use crate::db::{event_delivery, event_subscription};
use crate::sealed::SecretKey;

/// A delivery's states, as stored.
pub const PENDING: &str = "pending";
pub const DELIVERED: &str = "delivered";
pub const FAILED: &str = "failed";

/// Emits events to a workspace's subscriptions. Cheap to clone; every clone wakes the same
/// delivery task.
#[derive(Clone)]
pub struct Notifier {
    db: DatabaseConnection,
    clock: Arc<dyn Clock>,
    wake: Arc<Notify>,
    /// Each workspace's active subscriptions, as last read: the runtime asks for every batch.
    active: Arc<Mutex<HashMap<String, (Instant, Active)>>>,
    /// What subscriptions' secrets are sealed with (`SPOOL_SECRET_KEY`).
    key: Option<SecretKey>,
}

/// A workspace's active subscriptions: id and the stored list of types each wants.
type Active = Arc<Vec<(String, String)>>;

/// How long a workspace's subscriptions are taken as read: a subscription created or changed
/// through another process applies to events from this one within this long (this process's
/// own changes apply at once).
const ACTIVE_FOR: Duration = Duration::from_secs(5);

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier").finish_non_exhaustive()
    }
}

/// Whether a subscription's stored list of types (a JSON array; empty for all) takes `kind`.
pub fn wants(event_types: &str, kind: EventType) -> bool {
    match serde_json::from_str::<Vec<Value>>(event_types) {
        Ok(types) => types.is_empty() || types.iter().any(|name| name == kind.as_str()),
        // Written by this crate only; unreadable means it cannot say it does not want it.
        Err(_) => true,
    }
}

impl Notifier {
    pub fn new(db: DatabaseConnection, clock: Arc<dyn Clock>, key: Option<SecretKey>) -> Self {
        Self {
            db,
            clock,
            wake: Arc::new(Notify::new()),
            active: Arc::default(),
            key,
        }
    }

    /// The key subscriptions' secrets are sealed with, when the server has one.
    pub fn key(&self) -> Option<&SecretKey> {
        self.key.as_ref()
    }

    /// The active subscriptions of `workspace`, read through `db` when not known recently.
    pub(super) async fn active<C: ConnectionTrait>(
        &self,
        db: &C,
        workspace: &str,
    ) -> Result<Active, DbErr> {
        if let Ok(known) = self.active.lock()
            && let Some((read, active)) = known.get(workspace)
            && read.elapsed() < ACTIVE_FOR
        {
            return Ok(active.clone());
        }
        let active: Active = Arc::new(
            event_subscription::Entity::find()
                .filter(event_subscription::Column::WorkspaceId.eq(workspace))
                .filter(event_subscription::Column::Active.eq(true))
                .all(db)
                .await?
                .into_iter()
                .map(|subscription| (subscription.id, subscription.event_types))
                .collect(),
        );
        if let Ok(mut known) = self.active.lock() {
            known.insert(workspace.to_owned(), (Instant::now(), active.clone()));
        }
        Ok(active)
    }

    /// Forgets what was read of `workspace`'s subscriptions (one was created, changed or
    /// removed).
    pub fn forget(&self, workspace: &str) {
        if let Ok(mut known) = self.active.lock() {
            known.remove(workspace);
        }
    }

    /// Queues `kind` (which happened at `occurred_at`, ms since the epoch) with `data` for
    /// every active subscription of `workspace` that wants it. Returns the event's id, or
    /// `None` when nobody wants it.
    pub async fn emit(
        &self,
        workspace: &str,
        kind: EventType,
        data: Value,
        occurred_at: i64,
    ) -> Result<Option<Uuid>, DbErr> {
        let emitted = self
            .emit_in(&self.db, workspace, kind, data, occurred_at)
            .await?;
        if emitted.is_some() {
            self.wake();
        }
        Ok(emitted)
    }

    /// As [`Notifier::emit`], through `db` (a transaction of the caller's, so the event is
    /// queued only if what it tells of is committed). Call [`Notifier::wake`] after the
    /// commit.
    pub async fn emit_in<C: ConnectionTrait>(
        &self,
        db: &C,
        workspace: &str,
        kind: EventType,
        data: Value,
        occurred_at: i64,
    ) -> Result<Option<Uuid>, DbErr> {
        let event_id = Uuid::now_v7();
        let queued = self
            .queue_in(db, workspace, event_id, kind, &data, occurred_at)
            .await?;
        Ok((queued > 0).then_some(event_id))
    }

    /// Queues event `event_id` for the subscriptions of `workspace` that want `kind`, unless
    /// it was queued before (the same id: a runtime batch applied again). Returns how many
    /// subscriptions want it.
    pub(super) async fn queue_in<C: ConnectionTrait>(
        &self,
        db: &C,
        workspace: &str,
        event_id: Uuid,
        kind: EventType,
        data: &Value,
        occurred_at: i64,
    ) -> Result<usize, DbErr> {
        let active = self.active(db, workspace).await?;
        let wanting: Vec<_> = active
            .iter()
            .filter(|(_, types)| wants(types, kind))
            .collect();
        if wanting.is_empty() {
            return Ok(0);
        }
        let body = body(&event_id.to_string(), kind, workspace, occurred_at, data);
        let now = self.clock.now();
        let deliveries = wanting.iter().map(|(subscription, _)| {
            pending(subscription, workspace, event_id, kind, body.clone(), now)
        });
        event_delivery::Entity::insert_many(deliveries)
            .on_conflict_do_nothing_on([
                event_delivery::Column::SubscriptionId,
                event_delivery::Column::EventId,
            ])
            .exec_without_returning(db)
            .await?;
        debug!(%workspace, event = %kind, %event_id, subscribers = wanting.len(), "event queued");
        Ok(wanting.len())
    }

    /// Queues `kind` for `subscription` alone, whatever types it wants (a test event).
    pub async fn emit_to(
        &self,
        subscription: &event_subscription::Model,
        kind: EventType,
        data: Value,
    ) -> Result<event_delivery::Model, DbErr> {
        let event_id = Uuid::now_v7();
        let now = self.clock.now();
        let body = body(
            &event_id.to_string(),
            kind,
            &subscription.workspace_id,
            now,
            &data,
        );
        let delivery = pending(
            &subscription.id,
            &subscription.workspace_id,
            event_id,
            kind,
            body,
            now,
        );
        let inserted = event_delivery::Entity::insert(delivery)
            .exec_with_returning(&self.db)
            .await?;
        self.wake();
        Ok(inserted)
    }

    /// Tells the delivery task there is something to send now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// What the delivery task waits on.
    pub(super) fn woken(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    pub(super) fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    pub(super) fn db(&self) -> &DatabaseConnection {
        &self.db
    }
}

fn pending(
    subscription: &str,
    workspace: &str,
    event_id: Uuid,
    kind: EventType,
    body: String,
    now: i64,
) -> event_delivery::ActiveModel {
    event_delivery::ActiveModel {
        id: Set(Uuid::now_v7().to_string()),
        subscription_id: Set(subscription.to_owned()),
        workspace_id: Set(workspace.to_owned()),
        event_id: Set(event_id.to_string()),
        event_type: Set(kind.as_str().to_owned()),
        body: Set(body),
        attempts: Set(0),
        next_attempt_at: Set(now),
        state: Set(PENDING.to_owned()),
        claimed_by: Set(None),
        last_status: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        queued_at: Set(now),
        delivered_at: Set(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_list_wants_every_type() {
        assert!(wants("[]", EventType::RunStarted));
        assert!(wants(r#"["run.started"]"#, EventType::RunStarted));
        assert!(!wants(r#"["run.started"]"#, EventType::RunFailed));
    }
}
