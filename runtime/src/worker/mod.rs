//! The runtime's moving parts: accepting events, working partitions (timers, event batches,
//! atomic commits), draining the outbox through a channel, and handing the calls runs wait
//! for to the [`CallExecutor`].

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use futures::FutureExt;
use spool_nodes::identity::ContactIdentity;
use spool_nodes::{InboundMessage, Millis};
use tokio::sync::Notify;
use tracing::{debug, error, instrument};

use crate::calls::{CallExecutor, CallLimits};
use crate::channel::Channel;
use crate::clock::Clock;
use crate::engine::Engine;
use crate::notice::Observer;
use crate::state::{ContactState, Event, EventKind};
use crate::store::{Appended, Batch, Error, Lease, ReadBatch, Store};

mod dispatch;
mod tasks;

pub use dispatch::Dispatched;

#[derive(Clone, Debug)]
pub struct RuntimeConfig {
    /// Events applied and committed together.
    pub batch_size: usize,
    pub lease_ttl: Duration,
    /// How often an idle partition looks for events other processes appended, when the
    /// store cannot tell of them (the embedded store). Events accepted by this process, call
    /// answers and due timers wake a partition at once, whatever this is.
    pub idle_poll: Duration,
    /// How often an idle partition, its outbox and its calls are looked at anyway when the
    /// store tells of every append (Redis): what a lost wake-up costs at most.
    pub safety_poll: Duration,
    /// Messages a dispatch round takes up at most.
    pub outbox_batch: usize,
    /// Contacts whose messages are sent at once, per partition (each contact's in order).
    pub send_concurrency: usize,
    /// How long a contact's messages wait after a temporary channel failure that did not say
    /// (doubled at each failure in a row, up to a minute).
    pub retry_backoff: Duration,
    /// How many calls to other systems are made at once.
    pub calls: CallLimits,
    /// How often a partition's pending calls are looked at without being told of new ones
    /// (acquiring a partition looks at the calls a process that stopped left).
    pub calls_poll: Duration,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        Self {
            batch_size: 256,
            lease_ttl: Duration::from_secs(10),
            idle_poll: Duration::from_secs(2),
            safety_poll: Duration::from_secs(10),
            outbox_batch: 128,
            send_concurrency: 32,
            retry_backoff: Duration::from_millis(500),
            calls: CallLimits::default(),
            calls_poll: Duration::from_secs(10),
        }
    }
}

/// One process's runtime: any number of them may share a store.
pub struct Runtime {
    store: Arc<dyn Store>,
    engine: Arc<Engine>,
    clock: Arc<dyn Clock>,
    channel: Arc<dyn Channel>,
    config: RuntimeConfig,
    calls: CallExecutor,
    wake: Vec<Notify>,
    outbox_wake: Vec<Notify>,
    calls_wake: Vec<Notify>,
    /// The fencing token of each partition's lease this process holds (0: none).
    held: Vec<AtomicU64>,
    /// When each held partition's earliest timer is due ([`NO_TIMER`]: none), kept up to
    /// date by this process's commits, so that its worker sleeps until then.
    next_timer: Vec<AtomicI64>,
    /// Who is told of runs, messages and consent changes (events out), before each commit.
    observer: Option<Arc<dyn Observer>>,
    /// Contacts whose messages wait after a temporary failure.
    holds: dispatch::Holds,
}

/// A partition without timers.
const NO_TIMER: Millis = Millis::MAX;

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("store", &self.store)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Runtime {
    pub fn new(
        store: Arc<dyn Store>,
        engine: Arc<Engine>,
        clock: Arc<dyn Clock>,
        channel: Arc<dyn Channel>,
        config: RuntimeConfig,
    ) -> Self {
        let partitions = usize::from(store.partitions());
        let calls = CallExecutor::new(engine.services().clone(), config.calls.clone());
        Self {
            store,
            engine,
            clock,
            channel,
            config,
            calls,
            wake: (0..partitions).map(|_| Notify::new()).collect(),
            outbox_wake: (0..partitions).map(|_| Notify::new()).collect(),
            calls_wake: (0..partitions).map(|_| Notify::new()).collect(),
            held: (0..partitions).map(|_| AtomicU64::new(0)).collect(),
            next_timer: (0..partitions).map(|_| AtomicI64::new(NO_TIMER)).collect(),
            observer: None,
            holds: dispatch::Holds::default(),
        }
    }

    /// Tells `observer` of every batch's notices before the batch is committed.
    pub fn with_observer(mut self, observer: Arc<dyn Observer>) -> Self {
        self.observer = Some(observer);
        self
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Takes an event: once this returns `Accepted`, the event is durable and will be applied.
    pub async fn accept(&self, event: Event) -> Result<Appended, Error> {
        let partition = self.store.partition_of(&event.contact_id);
        let appended = self.store.append(&event).await?;
        if appended == Appended::Accepted {
            self.wake[usize::from(partition)].notify_one();
        }
        Ok(appended)
    }

    /// Takes an inbound message for whoever sent it in `scope` (a workspace): the store's
    /// alias index says which contact its number and BSUID name (linking the one it did not
    /// know yet), so a contact keeps its id, and its partition, once the second is known.
    pub async fn accept_inbound(
        &self,
        scope: &str,
        message: InboundMessage,
    ) -> Result<Appended, Error> {
        let identity = ContactIdentity::of_sender(&message.from, message.from_user_id.as_ref())?;
        let contact_id = self.store.resolve_contact(scope, &identity).await?;
        let mut event = Event::inbound_for(contact_id, message, self.clock.now());
        event.phone = identity
            .phone()
            .map(|phone| phone.digits().to_owned())
            .unwrap_or_default();
        self.accept(event).await
    }

    /// Applies up to one batch of a partition's events and commits it; returns how many.
    #[instrument(skip_all, fields(partition = lease.partition))]
    pub async fn process(&self, lease: &Lease) -> Result<usize, Error> {
        let ReadBatch { logged, states } =
            self.store.read_batch(lease, self.config.batch_size).await?;
        let Some(last) = logged.last() else {
            return Ok(0);
        };
        let position = last.position.clone();
        let mut states: HashMap<String, (ContactState, bool)> = states
            .into_iter()
            .map(|(id, state)| {
                let existed = state.is_some();
                (id, (state.unwrap_or_default(), existed))
            })
            .collect();

        let now = self.clock.now();
        let mut batch = Batch {
            position,
            at: now,
            ..Batch::default()
        };
        let mut notices = Vec::new();
        for entry in &logged {
            let Some((state, keep)) = states.get_mut(&entry.event.contact_id) else {
                continue;
            };
            // Timers and operator actions for a contact that no longer exists (erased) are
            // dropped rather than bringing an empty contact back.
            let creates = matches!(
                entry.event.kind,
                EventKind::Inbound { .. }
                    | EventKind::Webhook { .. }
                    | EventKind::Broadcast { .. }
                    | EventKind::UpdateContact { .. }
            );
            if !*keep && !creates {
                continue;
            }
            *keep = true;
            let transition = self.engine.apply(state, &entry.event, now);
            batch.outbox.extend(transition.outbox);
            batch.calls.extend(transition.calls);
            batch.timers_set.extend(transition.timers_set);
            batch.timers_cleared.extend(transition.timers_cleared);
            notices.extend(transition.notices);
            for counter in transition.counters {
                *batch.counters.entry(counter).or_insert(0) += 1;
            }
        }
        batch.states = states
            .into_values()
            .filter(|(_, keep)| *keep)
            .map(|(state, _)| state)
            .collect();
        let has_outbox = !batch.outbox.is_empty();
        let has_calls = !batch.calls.is_empty();
        let earliest_timer = batch.timers_set.iter().map(|(_, due)| *due).min();
        // Before the commit: if the observer cannot keep them, the batch is applied again
        // later and nothing is lost (a batch applied twice tells the same notices twice).
        if let Some(observer) = &self.observer
            && !notices.is_empty()
        {
            // A panicking observer would end this partition's worker with no word: it fails
            // the batch instead (applied again later), loudly.
            let told = std::panic::AssertUnwindSafe(observer.observe(&notices))
                .catch_unwind()
                .await
                .unwrap_or_else(|panic| {
                    let why = panic
                        .downcast_ref::<&str>()
                        .map(|text| (*text).to_owned())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "a panic".to_owned());
                    error!(why, "an observer of the runtime's notices panicked");
                    Err(Error::Observer(format!("the observer panicked: {why}")))
                });
            told?;
        }
        self.store.commit(lease, batch).await?;
        if let Some(due) = earliest_timer {
            self.next_timer[usize::from(lease.partition)].fetch_min(due, Ordering::SeqCst);
        }
        if has_outbox {
            self.outbox_wake[usize::from(lease.partition)].notify_one();
        }
        if has_calls {
            self.calls_wake[usize::from(lease.partition)].notify_one();
        }
        debug!(events = logged.len(), "batch committed");
        Ok(logged.len())
    }

    /// Works every partition until nothing is left to do at the current time: due timers,
    /// events, the outbox. For tests and the simulator; servers use [`Runtime::spawn`].
    pub async fn run_until_idle(&self) -> Result<usize, Error> {
        let mut total = 0;
        loop {
            let mut progressed = 0;
            for partition in 0..self.store.partitions() {
                let Some(lease) = self.store.acquire(partition, self.config.lease_ttl).await?
                else {
                    continue;
                };
                let work = async {
                    let mut done = self
                        .store
                        .fire_due_timers(&lease, self.clock.now(), 1_000)
                        .await?;
                    loop {
                        let applied = self.process(&lease).await?;
                        if applied == 0 {
                            break;
                        }
                        done += applied;
                    }
                    done += self.answer_calls_inline(partition).await?;
                    loop {
                        // Contacts held back stay held until the clock passes their time.
                        let round = self.dispatch(partition).await?;
                        done += round.sent;
                        if !round.more {
                            break;
                        }
                    }
                    Ok::<usize, Error>(done)
                };
                let outcome = work.await;
                self.store.release(&lease).await?;
                progressed += outcome?;
            }
            if progressed == 0 {
                return Ok(total);
            }
            total += progressed;
        }
    }

    /// Makes the partition's pending calls one after the other and waits for each answer
    /// (tests and the simulator, through [`Runtime::run_until_idle`]); returns how many
    /// answers went into the log.
    async fn answer_calls_inline(&self, partition: u16) -> Result<usize, Error> {
        let mut answered = 0;
        for calling in self.store.calls(partition, 1_000).await? {
            let Some(claim) = self.calls.claim(&calling.call.key) else {
                continue;
            };
            let store = self.store.as_ref();
            let clock = self.clock.as_ref();
            if self
                .calls
                .complete(store, clock, partition, &calling, claim)
                .await?
            {
                answered += 1;
            }
        }
        Ok(answered)
    }
}
