//! The call executor: makes the calls runs wait for (HTTP requests, AI model requests),
//! outside the partition loop, and brings each answer back into the contact's log.
//!
//! A call is committed with the state of the run that waits for it, so it survives a crash;
//! it leaves the store only in the same atomic step that appends its answer
//! ([`Store::answer_call`]), so an answer is applied once. A call whose maker crashed is made
//! again by the partition's next holder, with the same idempotency key. Calls run with bounded
//! concurrency, overall and per workspace, so one workspace's slow CRM cannot take every
//! slot; timeouts and retries are the node's (see `runtime::http`), and an outer limit makes
//! sure no call holds its slot for ever.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use spool_nodes::{CallAnswer, CallRequest, Services};
use tokio::sync::Semaphore;
use tracing::{debug, warn};

use crate::clock::Clock;
use crate::state::PendingCall;
use crate::store::{Calling, Error, Store};

/// How many calls a process makes at once.
#[derive(Clone, Debug)]
pub struct CallLimits {
    /// In all.
    pub concurrency: usize,
    /// For one workspace.
    pub per_workspace: usize,
    /// The longest an AI model request may take, retries included.
    pub chat_timeout: Duration,
}

impl Default for CallLimits {
    fn default() -> Self {
        Self {
            concurrency: 256,
            per_workspace: 32,
            chat_timeout: Duration::from_secs(120),
        }
    }
}

/// Makes pending calls; one per process, shared by its partitions.
pub struct CallExecutor {
    services: Arc<dyn Services>,
    limits: CallLimits,
    all: Arc<Semaphore>,
    workspaces: Mutex<HashMap<String, Arc<Semaphore>>>,
    /// Keys of the calls this process is making now, so a partition read again does not
    /// start them twice.
    in_flight: Arc<Mutex<HashSet<String>>>,
}

/// The right to make one call in this process; dropping it (the call answered, or the work
/// cut short) lets the call be made again.
#[derive(Debug)]
pub struct Claim {
    key: String,
    in_flight: Arc<Mutex<HashSet<String>>>,
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.key);
    }
}

impl std::fmt::Debug for CallExecutor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallExecutor")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl CallExecutor {
    pub fn new(services: Arc<dyn Services>, limits: CallLimits) -> Self {
        Self {
            services,
            all: Arc::new(Semaphore::new(limits.concurrency.max(1))),
            limits,
            workspaces: Mutex::default(),
            in_flight: Arc::default(),
        }
    }

    /// Calls now being made by this process.
    pub fn in_flight(&self) -> usize {
        self.lock_in_flight().len()
    }

    fn lock_in_flight(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Claims a call for this process; None if it is being made already.
    pub fn claim(&self, key: &str) -> Option<Claim> {
        self.lock_in_flight().insert(key.to_owned()).then(|| Claim {
            key: key.to_owned(),
            in_flight: self.in_flight.clone(),
        })
    }

    fn workspace(&self, workspace: &str) -> Arc<Semaphore> {
        let mut workspaces = self
            .workspaces
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        workspaces
            .entry(workspace.to_owned())
            .or_insert_with(|| Arc::new(Semaphore::new(self.limits.per_workspace.max(1))))
            .clone()
    }

    /// Makes one call, within the limits, and never for longer than its outer limit.
    pub async fn perform(&self, call: &PendingCall) -> CallAnswer {
        let workspace = self.workspace(call.workspace());
        // The semaphores are never closed, so acquiring only waits.
        let (Ok(_all), Ok(_mine)) = (self.all.acquire().await, workspace.acquire().await) else {
            return CallAnswer::Failed {
                error: "Spool is stopping".into(),
            };
        };
        let limit = self.outer_limit(&call.request);
        let made = spool_nodes::perform_in(
            self.services.as_ref(),
            call.workspace(),
            &call.request,
            &call.key,
        );
        match tokio::time::timeout(limit, made).await {
            Ok(answer) => answer,
            Err(_) => CallAnswer::Failed {
                error: format!("no answer within {} s", limit.as_secs()),
            },
        }
    }

    /// The node's own timeout covers one attempt; this covers every attempt and the pauses
    /// between them, with room to spare.
    fn outer_limit(&self, request: &CallRequest) -> Duration {
        match request {
            CallRequest::Http { call } => {
                call.timeout * (u32::from(call.retries) + 1) + Duration::from_secs(30)
            }
            CallRequest::Chat { .. } => self.limits.chat_timeout,
        }
    }

    /// Makes a claimed call and brings its answer back; the claim ends either way. Returns
    /// whether the answer went into the log (false if another process answered it first or
    /// the contact was erased, or if the store could not be reached: the call stays pending
    /// and is made again).
    pub async fn complete(
        &self,
        store: &dyn Store,
        clock: &dyn Clock,
        partition: u16,
        calling: &Calling,
        claim: Claim,
    ) -> Result<bool, Error> {
        let answer = self.perform(&calling.call).await;
        if let CallAnswer::Failed { error } = &answer {
            debug!(key = %calling.call.key, %error, "call failed");
        }
        let event = calling.call.answered(answer, clock.now());
        let outcome = store.answer_call(partition, calling, &event).await;
        drop(claim);
        if let Err(err) = &outcome {
            warn!(key = %calling.call.key, %err, "a call's answer could not be stored; the call will be made again");
        }
        outcome
    }
}
