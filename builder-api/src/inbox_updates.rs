//! Live updates for the inbox: a ticket opened, taken, let go or closed, a message in or out,
//! a status, a note. They are hints ("read this again"), not data: an inbox page listening to
//! them re-reads the queue and the open conversation at once instead of at its next poll, so
//! two operators see the same thing within a second.
//!
//! Updates travel inside one `spool serve` process (a tokio broadcast): the runtime's notices
//! are observed in the process whose worker applied the batch, so with several processes a
//! page hears at once of what its own process did and of the rest at its next poll.

use async_trait::async_trait;
use serde::Serialize;
use spool_runtime::ScopedId;
use spool_runtime::notice::{Notice, NoticeKind, Observer};
use tokio::sync::broadcast;

/// Updates kept for a listener that reads slowly before it misses some (it then re-reads
/// everything anyway).
const BUFFERED: usize = 256;

/// Something changed in a workspace's inbox.
#[derive(Clone, Debug, Serialize)]
pub struct InboxUpdate {
    #[serde(skip)]
    pub workspace: String,
    /// `ticket` (opened, taken, let go, closed) or `message` (in, out, a status, a note).
    pub what: &'static str,
    /// The ticket, when the change is known to be one ticket's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    /// The contact's number (E.164), when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
}

/// Where the inbox's updates are published and heard.
#[derive(Clone, Debug)]
pub struct InboxUpdates {
    sender: broadcast::Sender<InboxUpdate>,
}

impl Default for InboxUpdates {
    fn default() -> Self {
        Self {
            sender: broadcast::channel(BUFFERED).0,
        }
    }
}

impl InboxUpdates {
    /// Tells whoever listens (no one listening is fine).
    pub fn publish(&self, update: InboxUpdate) {
        let _ = self.sender.send(update);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<InboxUpdate> {
        self.sender.subscribe()
    }

    /// A change to one ticket of `workspace`.
    pub fn ticket(&self, workspace: &str, ticket: &str) {
        self.publish(InboxUpdate {
            workspace: workspace.to_owned(),
            what: "ticket",
            ticket: Some(ticket.to_owned()),
            contact: None,
        });
    }

    /// A change to the conversation of a ticket of `workspace`.
    pub fn message(&self, workspace: &str, ticket: &str) {
        self.publish(InboxUpdate {
            workspace: workspace.to_owned(),
            what: "message",
            ticket: Some(ticket.to_owned()),
            contact: None,
        });
    }
}

/// The runtime's notices as inbox updates. Listed after the observers that write tickets
/// and messages, so a page that re-reads on an update finds them written.
#[async_trait]
impl Observer for InboxUpdates {
    async fn observe(&self, notices: &[Notice]) -> Result<(), spool_runtime::Error> {
        for notice in notices {
            let what = match notice.kind {
                NoticeKind::HandoffRequested | NoticeKind::HandoffClosed => "ticket",
                NoticeKind::MessageReceived
                | NoticeKind::MessageQueued
                | NoticeKind::MessageRefused
                | NoticeKind::MessageSent
                | NoticeKind::MessageDelivered
                | NoticeKind::MessageRead
                | NoticeKind::MessageFailed => "message",
                _ => continue,
            };
            self.publish(InboxUpdate {
                workspace: ScopedId::scope_of(&notice.contact_id).to_owned(),
                what,
                ticket: None,
                contact: (!notice.phone.is_empty()).then(|| format!("+{}", notice.phone)),
            });
        }
        Ok(())
    }
}
