//! The runtime's background tasks, one set per partition: the worker that holds the
//! partition's lease, fires its timers and applies its events; the outbox drain; and the
//! hand-over of pending calls to the [`CallExecutor`](crate::calls::CallExecutor). Idle
//! tasks wait to be told of work rather than poll for it.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use spool_nodes::Millis;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::{info, warn};

use super::{NO_TIMER, Runtime};
use crate::store::{Error, Lease, Wake};

impl Runtime {
    /// Starts the background workers: each partition's lease is sought, its timers fired, its
    /// events applied and its outbox drained, until `shutdown` turns true.
    ///
    /// Idle workers wait to be told of work rather than look for it: of events accepted or
    /// answered here, of due timers (they sleep until the earliest), and of events other
    /// processes append where the store can tell (Redis); they look anyway every
    /// [`RuntimeConfig::safety_poll`] then, or every [`RuntimeConfig::idle_poll`] where it
    /// cannot (the embedded store).
    pub fn spawn(self: &Arc<Self>, shutdown: watch::Receiver<bool>) -> JoinSet<()> {
        let mut tasks = JoinSet::new();
        // Only held partitions are woken: one held elsewhere has nothing to do here, and
        // trying to acquire it at each of its appends would only load the store.
        let runtime = Arc::downgrade(self);
        let wake: Wake = Arc::new(move |partition| {
            let Some(runtime) = runtime.upgrade() else {
                return;
            };
            let index = usize::from(partition);
            if runtime
                .held
                .get(index)
                .is_some_and(|token| token.load(Ordering::SeqCst) != 0)
            {
                runtime.wake[index].notify_one();
            }
        });
        let poll = match self.store.watch_appends(wake, shutdown.clone()) {
            Some(watcher) => {
                tasks.spawn(watcher);
                self.config.safety_poll
            }
            None => self.config.idle_poll,
        };
        for partition in 0..self.store.partitions() {
            let runtime = self.clone();
            let stop = shutdown.clone();
            tasks.spawn(async move { runtime.work_partition(partition, poll, stop).await });
            let runtime = self.clone();
            let stop = shutdown.clone();
            tasks.spawn(async move { runtime.drain_outbox(partition, poll, stop).await });
            let runtime = self.clone();
            let stop = shutdown.clone();
            tasks.spawn(async move { runtime.drain_calls(partition, stop).await });
        }
        tasks
    }

    /// Holds the partition's lease (seeking it while another process has it) and works the
    /// partition: fires its timers when due and applies its events when told of new ones (or
    /// every `poll`), renewing the lease in time, and otherwise sleeps.
    async fn work_partition(
        &self,
        partition: u16,
        poll: Duration,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let index = usize::from(partition);
        let renew_every = self.config.lease_ttl / 3;
        let mut lease: Option<Lease> = None;
        let mut renewed = Instant::now();
        // Whether the log may hold events not applied yet (told of some, or a full batch).
        let mut look = true;
        let mut next_look = Instant::now();
        while !*shutdown.borrow() {
            let Some(current) = lease.clone() else {
                match self.store.acquire(partition, self.config.lease_ttl).await {
                    Ok(Some(acquired)) => {
                        info!(
                            partition,
                            token = acquired.token,
                            "partition lease acquired"
                        );
                        self.held[index].store(acquired.token, Ordering::SeqCst);
                        // Calls and messages a previous holder left are taken up, and its
                        // timers looked up.
                        self.calls_wake[index].notify_one();
                        self.outbox_wake[index].notify_one();
                        self.next_timer[index].store(Millis::MIN, Ordering::SeqCst);
                        renewed = Instant::now();
                        look = true;
                        lease = Some(acquired);
                    }
                    Ok(None) => {
                        self.idle(partition, self.config.lease_ttl / 4, &mut shutdown)
                            .await
                    }
                    Err(err) => {
                        warn!(partition, %err, "cannot reach the store");
                        self.idle(partition, self.config.lease_ttl / 4, &mut shutdown)
                            .await;
                    }
                }
                continue;
            };
            let now = self.clock.now();
            let timers_due = self.next_timer[index].load(Ordering::SeqCst) <= now;
            let outcome = if look || timers_due || Instant::now() >= next_look {
                let step = async {
                    if timers_due {
                        self.fire_timers(&current, now).await?;
                    }
                    self.process(&current).await
                };
                self.keeping_lease(&current, &mut renewed, step).await
            } else if renewed.elapsed() >= renew_every {
                match self.store.renew(&current, self.config.lease_ttl).await {
                    Ok(true) => {
                        renewed = Instant::now();
                        Ok(0)
                    }
                    Ok(false) => Err(Error::LeaseLost(partition)),
                    Err(err) => Err(err),
                }
            } else {
                // Woken early (a wake-up for work already applied, a timer set meanwhile).
                Ok(0)
            };
            match outcome {
                // A full batch means more may be waiting; anything less means the log is
                // drained, and a new event wakes the partition up (the wake-up is kept).
                Ok(applied) if applied >= self.config.batch_size => continue,
                Ok(_) => {
                    if look || Instant::now() >= next_look {
                        next_look = Instant::now() + poll;
                    }
                    look = false;
                }
                Err(err) => {
                    warn!(partition, %err, "partition work stopped; the lease is given up");
                    self.held[index].store(0, Ordering::SeqCst);
                    lease = None;
                    self.idle(partition, self.config.retry_backoff, &mut shutdown)
                        .await;
                    continue;
                }
            }
            let until_timer = self.next_timer[index]
                .load(Ordering::SeqCst)
                .saturating_sub(self.clock.now());
            let until_timer = Duration::from_millis(u64::try_from(until_timer).unwrap_or(0));
            let until = (renewed + renew_every)
                .min(next_look)
                .min(Instant::now() + until_timer.min(poll));
            tokio::select! {
                () = self.wake[index].notified() => look = true,
                () = tokio::time::sleep_until(tokio::time::Instant::from_std(until)) => {}
                _ = shutdown.changed() => {}
            }
        }
        if let Some(lease) = lease {
            self.held[index].store(0, Ordering::SeqCst);
            let _ = self.store.release(&lease).await;
        }
    }

    /// Moves the partition's due timers into its log, and learns when the next one is due.
    async fn fire_timers(&self, lease: &Lease, now: Millis) -> Result<(), Error> {
        let next_timer = &self.next_timer[usize::from(lease.partition)];
        // Forgotten first: a failure leaves it at "none", and the lease is given up with it
        // (acquiring looks the timers up again).
        next_timer.store(NO_TIMER, Ordering::SeqCst);
        self.store.fire_due_timers(lease, now, 1_000).await?;
        let next = self.store.next_timer(lease.partition).await?;
        next_timer.fetch_min(next.unwrap_or(NO_TIMER), Ordering::SeqCst);
        Ok(())
    }

    /// Runs `work` while renewing the lease every third of its time, so a batch slowed by
    /// calls to other systems does not lose the partition halfway. Both are polled together:
    /// a renewal waiting for a store connection the batch holds must not stop the batch from
    /// finishing and giving it back (on SQLite's single connection that was a deadlock).
    async fn keeping_lease<T>(
        &self,
        lease: &Lease,
        renewed: &mut Instant,
        work: impl std::future::Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        let every = self.config.lease_ttl / 3;
        let renewals = async {
            loop {
                tokio::time::sleep_until(tokio::time::Instant::from_std(*renewed + every)).await;
                if !self.store.renew(lease, self.config.lease_ttl).await? {
                    return Err::<T, Error>(Error::LeaseLost(lease.partition));
                }
                *renewed = Instant::now();
            }
        };
        tokio::select! {
            outcome = work => outcome,
            lost = renewals => lost,
        }
    }

    async fn idle(&self, partition: u16, at_most: Duration, shutdown: &mut watch::Receiver<bool>) {
        tokio::select! {
            () = self.wake[usize::from(partition)].notified() => {}
            () = tokio::time::sleep(at_most) => {}
            _ = shutdown.changed() => {}
        }
    }

    /// Sends a held partition's outbox when a commit (or acquiring the partition) says it has
    /// messages, and every `poll` in case.
    async fn drain_outbox(
        &self,
        partition: u16,
        poll: Duration,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let index = usize::from(partition);
        while !*shutdown.borrow() {
            let pause = if self.held[index].load(Ordering::SeqCst) == 0 {
                poll
            } else {
                match self.dispatch(partition).await {
                    Ok(round) if round.more => continue,
                    // Back when the earliest contact held back may go again.
                    Ok(round) => round.next_at.map_or(poll, |at| {
                        let wait = at.saturating_sub(self.clock.now()).max(1);
                        Duration::from_millis(u64::try_from(wait).unwrap_or(1)).min(poll)
                    }),
                    Err(err) => {
                        warn!(partition, %err, "cannot dispatch the outbox");
                        self.config.retry_backoff
                    }
                }
            };
            tokio::select! {
                () = self.outbox_wake[index].notified() => {}
                () = tokio::time::sleep(pause) => {}
                _ = shutdown.changed() => {}
            }
        }
    }

    /// Hands a held partition's pending calls to the executor, each once, as they are
    /// committed; an answer wakes the partition up to apply it.
    async fn drain_calls(self: Arc<Self>, partition: u16, mut shutdown: watch::Receiver<bool>) {
        let index = usize::from(partition);
        while !*shutdown.borrow() {
            if self.held[index].load(Ordering::SeqCst) != 0 {
                match self
                    .store
                    .calls(partition, self.config.calls.concurrency)
                    .await
                {
                    Ok(pending) => {
                        let full = pending.len() >= self.config.calls.concurrency;
                        for calling in pending {
                            let Some(claim) = self.calls.claim(&calling.call.key) else {
                                continue;
                            };
                            let runtime = self.clone();
                            tokio::spawn(async move {
                                let answered = runtime
                                    .calls
                                    .complete(
                                        runtime.store.as_ref(),
                                        runtime.clock.as_ref(),
                                        partition,
                                        &calling,
                                        claim,
                                    )
                                    .await;
                                if matches!(answered, Ok(true)) {
                                    runtime.wake[index].notify_one();
                                }
                                if full {
                                    // More may be pending than were read.
                                    runtime.calls_wake[index].notify_one();
                                }
                            });
                        }
                    }
                    Err(err) => warn!(partition, %err, "cannot read pending calls"),
                }
            }
            tokio::select! {
                () = self.calls_wake[index].notified() => {}
                () = tokio::time::sleep(self.config.calls_poll) => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}
