//! Where outbound messages go: the WhatsApp Cloud API in production, a recording channel in
//! tests and the simulator.

use std::collections::HashSet;
use std::sync::Mutex;

use async_trait::async_trait;
use spool_nodes::Outbound;

/// A message the channel took.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sent {
    /// The channel's id for it (WhatsApp's wamid), when the channel gives one: its delivery
    /// statuses come back under it.
    pub provider_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth trying again later (a timeout, a 5xx, a rate limit): the message and those
    /// after it wait, `after` at least when the channel says how long.
    #[error("temporary failure: {reason}")]
    Retryable {
        reason: String,
        after: Option<std::time::Duration>,
    },
    /// Will never be accepted as it is (the window closed, a template unknown, a number
    /// that cannot receive): recorded on the message and given to its run, which leaves the
    /// sending node through `error`.
    #[error("rejected: {reason}")]
    Rejected {
        /// The channel's error code (Meta's, e.g. `131047`), for `vars.error.code`.
        code: String,
        reason: String,
    },
}

impl SendError {
    pub fn retry(reason: impl Into<String>) -> Self {
        SendError::Retryable {
            reason: reason.into(),
            after: None,
        }
    }
}

#[async_trait]
pub trait Channel: Send + Sync + std::fmt::Debug {
    /// Sends one message. `message.key` is stable across retries: a channel that can
    /// de-duplicate on it must.
    async fn send(&self, message: &Outbound) -> Result<Sent, SendError>;
}

/// Keeps what it is sent, once per idempotency key, and can be told to fail.
#[derive(Debug, Default)]
pub struct RecordingChannel {
    inner: Mutex<Recorded>,
}

#[derive(Debug, Default)]
struct Recorded {
    sent: Vec<Outbound>,
    keys: HashSet<String>,
    attempts: usize,
    fail_next: usize,
    reject_next: Option<(String, String)>,
    /// Per contact: sends left to fail, and the wait they ask for.
    failing: std::collections::HashMap<String, (usize, Option<std::time::Duration>)>,
}

impl RecordingChannel {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Recorded> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Everything delivered so far, in order.
    pub fn sent(&self) -> Vec<Outbound> {
        self.lock().sent.clone()
    }

    /// Delivered messages for one contact.
    #[cfg(any(test, feature = "test-util"))]
    pub fn sent_to(&self, contact_id: &str) -> Vec<Outbound> {
        self.lock()
            .sent
            .iter()
            .filter(|message| message.contact_id == contact_id)
            .cloned()
            .collect()
    }

    /// Send attempts, including failed and de-duplicated ones.
    pub fn attempts(&self) -> usize {
        self.lock().attempts
    }

    /// The next `count` sends fail with a retryable error.
    pub fn fail_next(&self, count: usize) {
        self.lock().fail_next = count;
    }

    /// The next `count` sends to one contact fail with a retryable error asking to wait
    /// `after`; other contacts' sends go through.
    pub fn fail_contact(&self, contact_id: &str, count: usize, after: Option<std::time::Duration>) {
        self.lock()
            .failing
            .insert(contact_id.to_owned(), (count, after));
    }

    /// The next send is refused for good with `code`, as WhatsApp refuses a free-form
    /// message after the window closed.
    pub fn reject_next(&self, code: &str, reason: &str) {
        self.lock().reject_next = Some((code.to_owned(), reason.to_owned()));
    }
}

#[async_trait]
impl Channel for RecordingChannel {
    async fn send(&self, message: &Outbound) -> Result<Sent, SendError> {
        let mut recorded = self.lock();
        recorded.attempts += 1;
        if recorded.fail_next > 0 {
            recorded.fail_next -= 1;
            return Err(SendError::retry("the channel was told to fail"));
        }
        if let Some((left, after)) = recorded.failing.get_mut(&message.contact_id)
            && *left > 0
        {
            *left -= 1;
            return Err(SendError::Retryable {
                reason: "the channel was told to fail for this contact".into(),
                after: *after,
            });
        }
        if let Some((code, reason)) = recorded.reject_next.take() {
            return Err(SendError::Rejected { code, reason });
        }
        if recorded.keys.insert(message.key.clone()) {
            recorded.sent.push(message.clone());
        }
        Ok(Sent::default())
    }
}
