//! What the runtime tells the world when something happens to a run, a message or a
//! contact's consent: a run started, finished or failed, a handoff was requested or closed,
//! a message came in or was queued, sent, delivered, read or failed, a contact opted in or
//! out.
//!
//! The engine derives notices while it applies an event (see `engine::notices`), and the
//! worker hands a batch's notices to the [`Observer`] **before** it commits the batch: an
//! observer that cannot take them fails the batch, which is applied again later, so a
//! notice is never lost; a batch applied twice gives the same notices again, each with the
//! same [`Notice::id`], for the observer to recognise.

use async_trait::async_trait;
use serde_json::{Map, Value};
use spool_nodes::Millis;

use crate::Error;

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NoticeKind {
    RunStarted,
    RunFinished,
    RunFailed,
    HandoffRequested,
    HandoffClosed,
    /// A run came to rest at a step where it waits (a reply, a timer, a person, a call):
    /// kept for "who waits where", not published as an event out.
    RunWaiting,
    /// A message from the contact was taken in (late ones too): kept for the conversation
    /// history, not published as an event out.
    MessageReceived,
    /// A run (or an operator) gave a message to the outbox: kept for the conversation
    /// history, not published as an event out.
    MessageQueued,
    /// A message an operator wrote was not sent: WhatsApp's rules did not allow it when it
    /// was applied (the window had closed, no opt-in for Marketing). Kept for the
    /// conversation history, not published as an event out.
    MessageRefused,
    MessageSent,
    MessageDelivered,
    MessageRead,
    MessageFailed,
    OptedIn,
    OptedOut,
    /// The contact's profile changed (name, tags, properties, consent, last message…) or
    /// a run entered steps: kept for the searchable contact directory, not published as an
    /// event out. Carries the whole profile as it is now.
    ContactChanged,
}

impl NoticeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::RunStarted => "run.started",
            NoticeKind::RunFinished => "run.finished",
            NoticeKind::RunFailed => "run.failed",
            NoticeKind::HandoffRequested => "handoff.requested",
            NoticeKind::HandoffClosed => "handoff.closed",
            NoticeKind::RunWaiting => "run.waiting",
            NoticeKind::MessageReceived => "message.received",
            NoticeKind::MessageQueued => "message.queued",
            NoticeKind::MessageRefused => "message.refused",
            NoticeKind::MessageSent => "message.sent",
            NoticeKind::MessageDelivered => "message.delivered",
            NoticeKind::MessageRead => "message.read",
            NoticeKind::MessageFailed => "message.failed",
            NoticeKind::OptedIn => "contact.opted_in",
            NoticeKind::OptedOut => "contact.opted_out",
            NoticeKind::ContactChanged => "contact.changed",
        }
    }
}

/// One thing that happened to a contact.
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    pub kind: NoticeKind,
    /// The same for the same happening, however often its event is applied: a run's id and
    /// what happened to it, a message's key and its status, a consent change and its time.
    pub id: String,
    /// The contact's id, with its workspace (`ScopedId`).
    pub contact_id: String,
    pub phone: String,
    /// When it happened, by the runtime's clock (a status: by the channel's).
    pub at: Millis,
    /// What a subscriber needs to act on it (run, flow and node ids without the workspace,
    /// the reason of a failure, a message's wamid and pricing…).
    pub data: Map<String, Value>,
}

/// Takes the notices of a batch before the batch is committed.
#[async_trait]
pub trait Observer: Send + Sync + std::fmt::Debug {
    /// Keeps `notices` durably, or fails (the batch is then not committed, and applied
    /// again). Called only with at least one notice.
    async fn observe(&self, notices: &[Notice]) -> Result<(), Error>;
}

/// Several observers, told in turn: the first that fails fails the batch (which is then
/// applied again, and those before it are told again: each must take a notice twice).
#[derive(Debug)]
pub struct Observers(pub Vec<std::sync::Arc<dyn Observer>>);

#[async_trait]
impl Observer for Observers {
    async fn observe(&self, notices: &[Notice]) -> Result<(), Error> {
        for observer in &self.0 {
            observer.observe(notices).await?;
        }
        Ok(())
    }
}
