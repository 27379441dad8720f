//! The runtime's notices (runs, handoffs, messages, consent) as events out: each becomes an
//! event with an id derived from the notice's, so a batch the runtime applies twice queues
//! each of its events once.

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde_json::Value;
use sha2::{Digest, Sha256};
use spool_runtime::ScopedId;
use spool_runtime::notice::{Notice, NoticeKind, Observer};
use uuid::Uuid;

use super::event::EventType;
use super::notifier::Notifier;

/// Queues the runtime's notices for the subscriptions that want them.
#[derive(Debug)]
pub struct RuntimeEvents {
    notifier: Notifier,
}

impl RuntimeEvents {
    pub fn new(notifier: Notifier) -> Self {
        Self { notifier }
    }
}

/// The event type a notice is published as; none for the runtime's own bookkeeping.
pub fn event_type(kind: NoticeKind) -> Option<EventType> {
    Some(match kind {
        NoticeKind::RunWaiting
        | NoticeKind::MessageReceived
        | NoticeKind::MessageQueued
        | NoticeKind::MessageRefused
        | NoticeKind::ContactChanged => {
            return None;
        }
        NoticeKind::RunStarted => EventType::RunStarted,
        NoticeKind::RunFinished => EventType::RunFinished,
        NoticeKind::RunFailed => EventType::RunFailed,
        NoticeKind::HandoffRequested => EventType::HandoffRequested,
        NoticeKind::HandoffClosed => EventType::HandoffClosed,
        NoticeKind::MessageSent => EventType::MessageSent,
        NoticeKind::MessageDelivered => EventType::MessageDelivered,
        NoticeKind::MessageRead => EventType::MessageRead,
        NoticeKind::MessageFailed => EventType::MessageFailed,
        NoticeKind::OptedIn => EventType::ContactOptedIn,
        NoticeKind::OptedOut => EventType::ContactOptedOut,
    })
}

/// The event's id: the same notice always gives the same id (a UUID of version 8, built
/// from a SHA-256 of the workspace and the notice's id).
pub fn event_id(workspace: &str, notice_id: &str) -> Uuid {
    let digest = Sha256::new()
        .chain_update(workspace.as_bytes())
        .chain_update([0])
        .chain_update(notice_id.as_bytes())
        .finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Uuid::new_v8(bytes)
}

#[async_trait]
impl Observer for RuntimeEvents {
    async fn observe(&self, notices: &[Notice]) -> Result<(), spool_runtime::Error> {
        // Most workspaces subscribe to nothing: one look per workspace of the batch.
        let mut by_workspace: BTreeMap<&str, Vec<&Notice>> = BTreeMap::new();
        for notice in notices {
            by_workspace
                .entry(ScopedId::scope_of(&notice.contact_id))
                .or_default()
                .push(notice);
        }
        let failed = |err: sea_orm::DbErr| spool_runtime::Error::Observer(err.to_string());
        let db = self.notifier.db().clone();
        let mut queued = false;
        for (workspace, notices) in by_workspace {
            if self
                .notifier
                .active(&db, workspace)
                .await
                .map_err(failed)?
                .is_empty()
            {
                continue;
            }
            for notice in notices {
                let Some(kind) = event_type(notice.kind) else {
                    continue;
                };
                let data = Value::Object(notice.data.clone());
                queued |= self
                    .notifier
                    .queue_in(
                        &db,
                        workspace,
                        event_id(workspace, &notice.id),
                        kind,
                        &data,
                        notice.at,
                    )
                    .await
                    .map_err(failed)?
                    > 0;
            }
        }
        if queued {
            self.notifier.wake();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_notice_gives_the_same_event_id_in_its_workspace_only() {
        let first = event_id("shop", "run-1:run.started:0");
        assert_eq!(first, event_id("shop", "run-1:run.started:0"));
        assert_ne!(first, event_id("agency", "run-1:run.started:0"));
        assert_ne!(first, event_id("shop", "run-1:run.finished:3"));
        assert_eq!(first.get_version_num(), 8);
    }

    #[test]
    fn every_notice_has_the_event_type_of_its_name() {
        for kind in [
            NoticeKind::RunStarted,
            NoticeKind::RunFinished,
            NoticeKind::RunFailed,
            NoticeKind::HandoffRequested,
            NoticeKind::HandoffClosed,
            NoticeKind::MessageSent,
            NoticeKind::MessageDelivered,
            NoticeKind::MessageRead,
            NoticeKind::MessageFailed,
            NoticeKind::OptedIn,
            NoticeKind::OptedOut,
        ] {
            assert_eq!(event_type(kind).map(EventType::as_str), Some(kind.as_str()));
        }
        assert_eq!(event_type(NoticeKind::RunWaiting), None, "not published");
    }
}
