//! Where contact state, the event log, timers and the outbox live, behind one trait.
//!
//! Contacts are spread over a fixed number of partitions. Each partition has an ordered event
//! log; one worker at a time holds a partition's lease (with a fencing token) and applies its
//! events in order, so each contact's events are applied one at a time, in arrival order,
//! however many processes run. A batch's new states, outbound messages, timer changes,
//! counters and the log position are committed in one atomic operation that fails if the
//! lease was lost, so a crash anywhere loses no accepted event and doubles no message.

mod aliases;
pub mod embedded;
pub mod redis;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use spool_nodes::identity::ContactIdentity;
use spool_nodes::{HOUR, Millis, Outbound};

use crate::counters::{CountKey, Counter};
use crate::state::{ContactState, Event, PendingCall, TimerRef};

pub use crate::Error;

/// Whether an event was taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Appended {
    Accepted,
    /// Its de-duplication key was seen before: it is not applied again.
    Duplicate,
}

/// The right to work one partition, until it expires; `token` fences out older holders.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    pub partition: u16,
    pub token: u64,
}

/// An event read from a partition's log, with its position.
#[derive(Clone, Debug)]
pub struct Logged {
    pub position: String,
    pub event: Event,
}

/// Events to apply, with the states of their contacts ([`Store::read_batch`]).
#[derive(Debug, Default)]
pub struct ReadBatch {
    pub logged: Vec<Logged>,
    /// (contact id, its state; None for a contact not seen before).
    pub states: Vec<(String, Option<ContactState>)>,
}

/// The contacts these events concern, each once, in order of first event.
pub fn contacts_of(logged: &[Logged]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    logged
        .iter()
        .filter(|entry| seen.insert(entry.event.contact_id.as_str()))
        .map(|entry| entry.event.contact_id.clone())
        .collect()
}

/// Everything one batch of events changed in one partition, committed at once.
#[derive(Debug, Default)]
pub struct Batch {
    /// The log position of the last event applied.
    pub position: String,
    pub states: Vec<ContactState>,
    pub outbox: Vec<Outbound>,
    pub timers_set: Vec<(TimerRef, Millis)>,
    pub timers_cleared: Vec<TimerRef>,
    /// Calls to other systems that runs now wait for.
    pub calls: Vec<PendingCall>,
    /// Funnel counts to add.
    pub counters: HashMap<Counter, i64>,
    /// When the batch was applied (the runtime's clock): its counters count in this hour.
    pub at: Millis,
}

/// What erasing a contact removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Erased {
    /// Its state (profile, runs) existed.
    pub state: bool,
    pub timers: usize,
    /// Events about it still in the log (not applied yet, or the last one applied).
    pub events: usize,
    /// Messages to it not sent yet.
    pub outbox: usize,
    /// Identifiers (a number, a BSUID) the alias index linked to it.
    pub aliases: usize,
    /// Calls its runs waited for, not answered yet.
    pub calls: usize,
}

impl Erased {
    /// Whether there was anything about the contact at all.
    pub fn found(&self) -> bool {
        self.state || self.timers + self.events + self.outbox + self.aliases + self.calls > 0
    }
}

/// Funnel counts are kept per hour: the start of the hour `at` falls in.
pub fn hour_of(at: Millis) -> Millis {
    at.div_euclid(HOUR) * HOUR
}

/// Told the partition something was appended to ([`Store::watch_appends`]).
pub type Wake = Arc<dyn Fn(u16) + Send + Sync>;

/// A store's task listening for appends ([`Store::watch_appends`]).
pub type Watcher = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A call waiting to be made, with its position for answering it.
#[derive(Clone, Debug)]
pub struct Calling {
    pub position: String,
    pub call: PendingCall,
}

/// A message waiting in the outbox, with its position for acknowledging it.
#[derive(Clone, Debug)]
pub struct Pending {
    pub position: String,
    pub message: Outbound,
}

#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug {
    fn partitions(&self) -> u16;

    /// The partition a contact's events go through.
    fn partition_of(&self, contact_id: &str) -> u16 {
        partition_of(contact_id, self.partitions())
    }

    /// Durably appends an event to its contact's partition log, unless its de-duplication
    /// key was seen. Returns only once the event is safe.
    async fn append(&self, event: &Event) -> Result<Appended, Error>;

    async fn acquire(&self, partition: u16, ttl: Duration) -> Result<Option<Lease>, Error>;
    /// Extends a held lease; false if it was lost.
    async fn renew(&self, lease: &Lease, ttl: Duration) -> Result<bool, Error>;
    async fn release(&self, lease: &Lease) -> Result<(), Error>;

    /// Up to `max` events after the last committed position, in order.
    async fn read(&self, lease: &Lease, max: usize) -> Result<Vec<Logged>, Error>;
    /// The states of these contacts (None for a contact not seen before).
    async fn load(
        &self,
        partition: u16,
        contact_ids: &[String],
    ) -> Result<Vec<Option<ContactState>>, Error>;
    /// What a worker applies next: up to `max` events after the last committed position, and
    /// the state of every contact they concern, each contact once, in order of first event.
    /// A store may do both in one round trip (Redis does).
    async fn read_batch(&self, lease: &Lease, max: usize) -> Result<ReadBatch, Error> {
        let logged = self.read(lease, max).await?;
        let contact_ids = contacts_of(&logged);
        let states = self.load(lease.partition, &contact_ids).await?;
        Ok(ReadBatch {
            logged,
            states: contact_ids.into_iter().zip(states).collect(),
        })
    }
    /// Commits a batch atomically; fails with [`Error::LeaseLost`] if the lease is gone.
    async fn commit(&self, lease: &Lease, batch: Batch) -> Result<(), Error>;
    /// Moves timers due at `now` into the partition's log as events; returns how many.
    async fn fire_due_timers(&self, lease: &Lease, now: Millis, max: usize)
    -> Result<usize, Error>;
    /// When the partition's earliest timer is due (None: it has no timers), so that a worker
    /// can sleep until then instead of looking again and again.
    async fn next_timer(&self, partition: u16) -> Result<Option<Millis>, Error>;

    /// A task that calls `wake` with the partition of every event appended from now on by
    /// any process sharing the store, until `stop` turns true; None if the store cannot tell
    /// of other processes' appends (then workers look for them every
    /// [`RuntimeConfig::idle_poll`](crate::RuntimeConfig::idle_poll)). Events appended while
    /// the task could not listen count as appended to every partition.
    fn watch_appends(
        &self,
        _wake: Wake,
        _stop: tokio::sync::watch::Receiver<bool>,
    ) -> Option<Watcher> {
        None
    }

    /// Up to `max` messages waiting to be sent, oldest first.
    async fn outbox(&self, partition: u16, max: usize) -> Result<Vec<Pending>, Error> {
        self.outbox_after(partition, None, max).await
    }
    /// Up to `max` messages waiting to be sent after the one at `after` (from the oldest when
    /// None), oldest first: the dispatcher reads past messages it holds back so that a
    /// contact with many of them cannot keep the others waiting.
    async fn outbox_after(
        &self,
        partition: u16,
        after: Option<&str>,
        max: usize,
    ) -> Result<Vec<Pending>, Error>;
    /// Takes sent messages out of the outbox.
    async fn mark_sent(&self, partition: u16, sent: &[Pending]) -> Result<(), Error>;

    /// Up to `max` calls waiting to be made, oldest first. A call stays here until it is
    /// answered, so a call whose maker crashed is made again (with the same key).
    async fn calls(&self, partition: u16, max: usize) -> Result<Vec<Calling>, Error>;
    /// Brings a call's answer back: appends `answer` (an [`EventKind::CallResult`] event) to
    /// the partition's log and takes the call out of the waiting ones, in one atomic step.
    /// Returns false, appending nothing, if the call was no longer waiting (answered by
    /// another process, or its contact erased). Needs no lease, like [`Store::append`].
    ///
    /// [`EventKind::CallResult`]: crate::state::EventKind::CallResult
    async fn answer_call(
        &self,
        partition: u16,
        call: &Calling,
        answer: &Event,
    ) -> Result<bool, Error>;

    /// One contact's state, for reading (the API, tests).
    async fn contact(&self, contact_id: &str) -> Result<Option<ContactState>, Error> {
        let mut states = self
            .load(self.partition_of(contact_id), &[contact_id.to_owned()])
            .await?;
        Ok(states.pop().flatten())
    }
    /// Funnel counts of a flow version over every hour that overlaps `[from, to)` (ms):
    /// what happened where → count. Counts are kept per hour, so a range is widened to
    /// whole hours.
    async fn counters(
        &self,
        version: &str,
        from: Millis,
        to: Millis,
    ) -> Result<HashMap<CountKey, i64>, Error>;
    /// Timers scheduled for a contact, with when they are due.
    async fn timers(&self, contact_id: &str) -> Result<Vec<(TimerRef, Millis)>, Error>;

    /// Erases everything kept about a contact (GDPR erasure): its state, its timers, its
    /// events still in the log and its messages not sent yet, at once. The partition's lease
    /// is revoked in the same step, so a worker that loaded the contact before cannot commit
    /// it back: its batch fails with [`Error::LeaseLost`] and is applied again, without the
    /// contact, by the next holder. Events appended afterwards are new (a message the person
    /// sends later starts a new contact), and calls its runs wait for are dropped. Returns
    /// once the erasure is durable.
    async fn erase(&self, contact_id: &str) -> Result<Erased, Error>;

    // The contact alias index: which contact an identifier (a number, a BSUID) belongs to.
    // Its keys are scoped identifier keys, `<workspace>/wa:<wa_id or BSUID>`.

    /// The contact ids these keys are linked to, in order (None for a key without a link).
    async fn aliases(&self, keys: &[String]) -> Result<Vec<Option<String>>, Error>;

    /// Links `key` to `contact_id` unless it is linked already, atomically: two callers
    /// racing both get the first one's link. Returns the contact id `key` is linked to.
    /// A link is never moved: a contact's id stays what it was first.
    async fn link_alias(&self, key: &str, contact_id: &str) -> Result<String, Error>;

    /// The contact id of whoever `identity` names in `scope`, linking the identifiers it
    /// carries that are not linked yet, so each of them finds the same contact from then on.
    /// Call it before appending the contact's event: its partition follows from the id.
    /// A number alone is only read (it names the contact its own key gives unless linked).
    async fn resolve_contact(
        &self,
        scope: &str,
        identity: &ContactIdentity,
    ) -> Result<String, Error> {
        aliases::resolve(self, scope, identity).await
    }

    /// The contact id `identity` names in `scope`, writing nothing (for reading a contact).
    async fn find_contact(&self, scope: &str, identity: &ContactIdentity) -> Result<String, Error> {
        aliases::find(self, scope, identity).await
    }
}

/// `{"contact_id": …}`: enough of an event or an outbound message to tell whose it is.
#[derive(serde::Deserialize)]
pub(crate) struct Owner {
    pub contact_id: String,
}

/// FNV-1a: stable across processes and releases, unlike std's hasher.
pub fn partition_of(contact_id: &str, partitions: u16) -> u16 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in contact_id.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    (hash % u32::from(partitions.max(1))) as u16
}
