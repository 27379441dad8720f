//! A number's messaging limit: how many different people it may write to outside their
//! 24-hour window (business-initiated templates) in any rolling 24 h. Spool counts them
//! itself (Meta documents no error for going over) and, at the limit, keeps such messages in
//! a visible queue, oldest first, until the window frees a place; a person already counted
//! in the window is not counted again, and replies inside a window never wait here.
//!
//! Both the count and the queue are tables, so they survive a restart and show on the
//! channel (`queued`, `next_release_at`). A queued message stays in the outbox too: the
//! dispatcher holds its contact back (so the contact's later messages wait behind it) and
//! asks again when the next place frees; the queue's order decides who gets a freed place,
//! whoever asks first.

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use spool_nodes::{DAY, Millis, Outbound, OutboundBody};

use crate::channels::ChannelConfig;
use crate::db::{whatsapp_reach as reach, whatsapp_send_queue as queue};

/// A queued message nobody asked for in this long (its contact was erased, its outbox
/// entry gone) is dropped rather than holding a place in the queue forever. Queued messages
/// are asked for every [`RECHECK`] while Spool runs; this is longer than the rolling day, so
/// that a server stopped for hours finds its queue in order.
const STALE: Millis = 2 * DAY;
/// How long a queued message's contact waits at most before asking again.
pub const RECHECK: Millis = 5 * 60 * 1_000;

/// Whether a message may go now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// It may go. `counted`: the person was counted for it now (take it back with
    /// [`Reach::uncount`] if the message does not go after all).
    Go { counted: bool },
    /// It waits in the queue; a place frees at `next_release_at` (None: the limit is 0).
    Queued { next_release_at: Option<Millis> },
}

/// What the channel shows of its messaging limit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReachStatus {
    /// People counted in the last 24 h.
    pub reached: u64,
    /// Messages waiting in the queue.
    pub queued: u64,
    /// When the next place frees, if anything waits.
    pub next_release_at: Option<Millis>,
}

/// Whether a message counts towards the limit: a template to someone whose window was
/// closed when the run sent it.
pub fn counts(message: &Outbound) -> bool {
    message.window_closed && matches!(message.body, OutboundBody::Template { .. })
}

#[derive(Debug)]
pub struct Reach {
    db: DatabaseConnection,
    /// Counting and admitting are one step per process.
    // Several processes on one PostgreSQL may each admit one message into the same last
    // place; the overshoot is at most one per process, which Meta's limit (an order of
    // magnitude above a campaign's batch) absorbs.
    lock: tokio::sync::Mutex<()>,
}

impl Reach {
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            lock: tokio::sync::Mutex::new(()),
        }
    }

    /// Whether `message` to `recipient` may go from `channel` at `now`; counts the person
    /// if it may, queues the message if it may not.
    pub async fn admit(
        &self,
        channel: &ChannelConfig,
        message: &Outbound,
        recipient: &str,
        now: Millis,
    ) -> Result<Admission, DbErr> {
        if !counts(message) {
            return Ok(Admission::Go { counted: false });
        }
        let _one_at_a_time = self.lock.lock().await;
        let since = now - DAY;
        let counted = reach::Entity::find_by_id((channel.id.clone(), recipient.to_owned()))
            .one(&self.db)
            .await?;
        if counted.is_some_and(|row| row.counted_at > since) {
            self.dequeue(&message.key).await?;
            return Ok(Admission::Go { counted: false });
        }
        queue::Entity::delete_many()
            .filter(queue::Column::ChannelId.eq(&channel.id))
            .filter(queue::Column::TriedAt.lt(now - STALE))
            .exec(&self.db)
            .await?;
        reach::Entity::delete_many()
            .filter(reach::Column::ChannelId.eq(&channel.id))
            .filter(reach::Column::CountedAt.lte(since))
            .exec(&self.db)
            .await?;
        let used = reach::Entity::find()
            .filter(reach::Column::ChannelId.eq(&channel.id))
            .filter(reach::Column::CountedAt.gt(since))
            .count(&self.db)
            .await?;
        let free = channel.messaging_limit.saturating_sub(used);
        // The first `free` in the queue get the free places, whoever asks first.
        let first: Vec<String> = queue::Entity::find()
            .filter(queue::Column::ChannelId.eq(&channel.id))
            .order_by_asc(queue::Column::Id)
            .limit(free)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|row| row.message_key)
            .collect();
        let queued = queue::Entity::find()
            .filter(queue::Column::MessageKey.eq(&message.key))
            .one(&self.db)
            .await?;
        let allowed = if first.contains(&message.key) {
            true
        } else if queued.is_some() {
            false
        } else {
            let waiting = queue::Entity::find()
                .filter(queue::Column::ChannelId.eq(&channel.id))
                .count(&self.db)
                .await?;
            waiting < free
        };
        if allowed {
            reach::Entity::insert(reach::ActiveModel {
                channel_id: Set(channel.id.clone()),
                recipient: Set(recipient.to_owned()),
                counted_at: Set(now),
            })
            .on_conflict(
                OnConflict::columns([reach::Column::ChannelId, reach::Column::Recipient])
                    .update_column(reach::Column::CountedAt)
                    .to_owned(),
            )
            .exec(&self.db)
            .await?;
            self.dequeue(&message.key).await?;
            return Ok(Admission::Go { counted: true });
        }
        match queued {
            Some(row) => {
                queue::Entity::update_many()
                    .col_expr(queue::Column::TriedAt, now.into())
                    .filter(queue::Column::Id.eq(row.id))
                    .exec(&self.db)
                    .await?;
            }
            None => {
                queue::Entity::insert(queue::ActiveModel {
                    channel_id: Set(channel.id.clone()),
                    message_key: Set(message.key.clone()),
                    contact_id: Set(message.contact_id.clone()),
                    queued_at: Set(now),
                    tried_at: Set(now),
                    ..Default::default()
                })
                .exec(&self.db)
                .await?;
            }
        }
        Ok(Admission::Queued {
            next_release_at: next_release(&self.db, &channel.id, since).await?,
        })
    }

    /// The message counted at `now` did not go after all: the person is not counted for it.
    pub async fn uncount(
        &self,
        channel_id: &str,
        recipient: &str,
        now: Millis,
    ) -> Result<(), DbErr> {
        reach::Entity::delete_many()
            .filter(reach::Column::ChannelId.eq(channel_id))
            .filter(reach::Column::Recipient.eq(recipient))
            .filter(reach::Column::CountedAt.eq(now))
            .exec(&self.db)
            .await
            .map(|_| ())
    }

    async fn dequeue(&self, key: &str) -> Result<(), DbErr> {
        queue::Entity::delete_many()
            .filter(queue::Column::MessageKey.eq(key))
            .exec(&self.db)
            .await
            .map(|_| ())
    }
}

/// Drops an erased contact's queued messages (their outbox entries are gone). The count
/// stays: it holds only a number, for at most a day, and Meta counted that person too.
pub async fn forget_contact(db: &DatabaseConnection, contact_id: &str) -> Result<u64, DbErr> {
    queue::Entity::delete_many()
        .filter(queue::Column::ContactId.eq(contact_id))
        .exec(db)
        .await
        .map(|deleted| deleted.rows_affected)
}

/// When the earliest person counted since `since` stops counting.
async fn next_release(
    db: &DatabaseConnection,
    channel_id: &str,
    since: Millis,
) -> Result<Option<Millis>, DbErr> {
    let oldest = reach::Entity::find()
        .filter(reach::Column::ChannelId.eq(channel_id))
        .filter(reach::Column::CountedAt.gt(since))
        .order_by_asc(reach::Column::CountedAt)
        .one(db)
        .await?;
    Ok(oldest.map(|row| row.counted_at + DAY))
}

/// A channel's messaging limit as the API shows it.
pub async fn status(
    db: &DatabaseConnection,
    channel_id: &str,
    now: Millis,
) -> Result<ReachStatus, DbErr> {
    let since = now - DAY;
    let reached = reach::Entity::find()
        .filter(reach::Column::ChannelId.eq(channel_id))
        .filter(reach::Column::CountedAt.gt(since))
        .count(db)
        .await?;
    let queued = queue::Entity::find()
        .filter(queue::Column::ChannelId.eq(channel_id))
        .count(db)
        .await?;
    let next_release_at = if queued > 0 {
        next_release(db, channel_id, since).await?
    } else {
        None
    };
    Ok(ReachStatus {
        reached,
        queued,
        next_release_at,
    })
}
