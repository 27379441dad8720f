//! Draining a partition's outbox: different contacts' messages go out concurrently, each
//! contact's strictly in order. A temporary failure holds back only its contact (until the
//! time the channel gave, remembered in memory) while the others keep going, and the
//! partition is looked at again when the earliest hold ends.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use futures::StreamExt;
use spool_nodes::{Millis, Outbound};
use tracing::{debug, instrument, warn};

use super::Runtime;
use crate::channel::SendError;
use crate::delivery::{DeliveryError, DeliveryStatus, MessageRef, StatusReport};
use crate::state::{Event, EventKind};
use crate::store::{Error, Pending};

/// Pages of the outbox one round reads at most while looking past held messages: a bound on
/// what a round costs when held contacts fill the head of the outbox.
const MAX_PAGES: usize = 64;

/// What one dispatch round did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Dispatched {
    /// Messages taken out of the outbox (sent, or refused and given back to their run).
    pub sent: usize,
    /// A full round's worth of messages was taken up: more may be waiting now.
    pub more: bool,
    /// When the earliest contact this round held back or skipped may be tried again (None:
    /// none); possibly already past, when a hold ended while the round was sending.
    pub next_at: Option<Millis>,
}

/// Contacts whose messages wait until a time (the runtime's clock), after a temporary
/// failure, with how many failed in a row (a failure that says no wait backs off
/// exponentially). In memory: only the process holding a partition sends its outbox, and
/// after a restart the first attempt simply finds out again.
#[derive(Debug, Default)]
pub(super) struct Holds(Mutex<HashMap<String, Hold>>);

#[derive(Clone, Copy, Debug)]
struct Hold {
    until: Millis,
    failures: u32,
}

/// The longest a failure that says no wait holds its contact back.
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// A contact's failures in a row are forgotten this long after its hold ended.
const FORGET_AFTER: Millis = 10 * 60 * 1_000;

impl Holds {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Hold>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The contacts held at `now` and until when, forgetting holds long over.
    fn current(&self, now: Millis) -> HashMap<String, Millis> {
        let mut holds = self.lock();
        holds.retain(|_, hold| hold.until > now - FORGET_AFTER);
        holds
            .iter()
            .filter(|(_, hold)| hold.until > now)
            .map(|(contact, hold)| (contact.clone(), hold.until))
            .collect()
    }

    /// Holds a contact back after a failure: for `after` when the channel said, else for
    /// `backoff` doubled at each failure in a row (up to [`MAX_BACKOFF`]). Returns until when.
    fn failed(
        &self,
        contact_id: &str,
        now: Millis,
        after: Option<Duration>,
        backoff: Duration,
    ) -> Millis {
        let mut holds = self.lock();
        let hold = holds.entry(contact_id.to_owned()).or_insert(Hold {
            until: now,
            failures: 0,
        });
        let wait = after
            .unwrap_or_else(|| {
                backoff
                    .saturating_mul(2_u32.saturating_pow(hold.failures.min(16)))
                    .min(MAX_BACKOFF)
            })
            .max(Duration::from_millis(1));
        hold.failures = hold.failures.saturating_add(1);
        hold.until = now.saturating_add(Millis::try_from(wait.as_millis()).unwrap_or(Millis::MAX));
        hold.until
    }

    /// A contact's message went: its failures in a row are over.
    fn succeeded(&self, contact_id: &str) {
        let mut holds = self.lock();
        if !holds.is_empty() {
            holds.remove(contact_id);
        }
    }
}

impl Runtime {
    /// Sends what waits in a partition's outbox: up to [`RuntimeConfig::outbox_batch`]
    /// messages of contacts not held back, [`RuntimeConfig::send_concurrency`] contacts at a
    /// time, each contact's in order. A contact whose message fails for now is held back
    /// (its later messages too) until the channel's `after`; the others are not.
    ///
    /// [`RuntimeConfig::outbox_batch`]: super::RuntimeConfig::outbox_batch
    /// [`RuntimeConfig::send_concurrency`]: super::RuntimeConfig::send_concurrency
    #[instrument(skip_all, fields(partition))]
    pub async fn dispatch(&self, partition: u16) -> Result<Dispatched, Error> {
        let now = self.clock.now();
        let held = self.holds.current(now);
        let batch = self.config.outbox_batch.max(1);
        // Each contact's messages in outbox order, contacts in order of their first one.
        let mut contacts: Vec<Vec<Pending>> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut taken = 0;
        // When the earliest contact this round left waiting may go again.
        let mut next_at: Option<Millis> = None;
        let mut after: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let page = self
                .store
                .outbox_after(partition, after.as_deref(), batch)
                .await?;
            let full = page.len() >= batch;
            after = page.last().map(|item| item.position.clone());
            for item in page {
                if let Some(until) = held.get(&item.message.contact_id) {
                    next_at = Some(next_at.map_or(*until, |at| at.min(*until)));
                    continue;
                }
                let slot = *index
                    .entry(item.message.contact_id.clone())
                    .or_insert_with(|| {
                        contacts.push(Vec::new());
                        contacts.len() - 1
                    });
                contacts[slot].push(item);
                taken += 1;
            }
            if !full || taken >= batch {
                break;
            }
        }
        let rounds: Vec<(Vec<Pending>, Option<Error>, Option<Millis>)> =
            futures::stream::iter(contacts)
                .map(|messages| self.send_in_order(messages))
                .buffer_unordered(self.config.send_concurrency.max(1))
                .collect()
                .await;
        // What went out is taken out even if reporting a refusal failed for another contact:
        // it is not sent twice.
        let mut done = Vec::with_capacity(taken);
        let mut failed = None;
        for (sent, error, held_until) in rounds {
            done.extend(sent);
            failed = failed.or(error);
            if let Some(until) = held_until {
                next_at = Some(next_at.map_or(until, |at| at.min(until)));
            }
        }
        self.store.mark_sent(partition, &done).await?;
        if let Some(err) = failed {
            return Err(err);
        }
        // A hold that ended while the round was sending is due at once: its messages are
        // still waiting.
        Ok(Dispatched {
            sent: done.len(),
            more: taken >= batch,
            next_at,
        })
    }

    /// Sends one contact's messages one after the other, stopping at a temporary failure
    /// (which holds the contact back); returns those taken out, the store's failure if a
    /// refusal could not be given back to its run (that message stays in the outbox), and
    /// until when the contact is held back if it is.
    async fn send_in_order(
        &self,
        messages: Vec<Pending>,
    ) -> (Vec<Pending>, Option<Error>, Option<Millis>) {
        let mut done = Vec::with_capacity(messages.len());
        for item in messages {
            match self.channel.send(&item.message).await {
                Ok(_) => {
                    self.holds.succeeded(&item.message.contact_id);
                    done.push(item);
                }
                Err(SendError::Rejected { code, reason }) => {
                    warn!(key = %item.message.key, %code, %reason, "message refused by the channel");
                    if let Err(err) = self.report_refusal(&item.message, code, reason).await {
                        return (done, Some(err), None);
                    }
                    done.push(item);
                }
                Err(SendError::Retryable { reason, after }) => {
                    // Held now, so that the contact is skipped from the next round on.
                    let until = self.holds.failed(
                        &item.message.contact_id,
                        self.clock.now(),
                        after,
                        self.config.retry_backoff,
                    );
                    debug!(key = %item.message.key, %reason, until, "send failed; the contact's messages wait");
                    return (done, None, Some(until));
                }
            }
        }
        (done, None, None)
    }

    /// Gives a refused message's run its failure, as an event in the contact's order: the
    /// run leaves the sending node through `error` (or fails).
    async fn report_refusal(
        &self,
        message: &Outbound,
        code: String,
        reason: String,
    ) -> Result<(), Error> {
        let report = StatusReport {
            message: MessageRef::of(message),
            status: DeliveryStatus::Failed,
            wamid: None,
            error: Some(DeliveryError {
                code,
                message: reason,
            }),
            pricing: None,
            timestamp: self.clock.now(),
        };
        let mut event = Event::new(
            message.contact_id.clone(),
            message.to.clone(),
            self.clock.now(),
            EventKind::MessageStatus {
                report: report.clone(),
            },
        );
        event.dedupe_key = Some(report.dedupe_key());
        self.store.append(&event).await?;
        self.wake[usize::from(self.store.partition_of(&message.contact_id))].notify_one();
        Ok(())
    }
}
