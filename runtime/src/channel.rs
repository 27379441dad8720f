//! Where outbound messages go: the WhatsApp Cloud API in production, a recording channel in
//! tests and the simulator.

use std::collections::HashSet;
use std::sync::Mutex;

use async_trait::async_trait;
use spool_nodes::Outbound;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth trying again later (a timeout, a 5xx, a rate limit).
    #[error("temporary failure: {0}")]
    Retryable(String),
    /// Will never be accepted as it is (an unknown template, a blocked number).
    #[error("rejected: {0}")]
    Rejected(String),
}

#[async_trait]
pub trait Channel: Send + Sync + std::fmt::Debug {
    /// Sends one message. `message.key` is stable across retries: a channel that can
    /// de-duplicate on it must.
    async fn send(&self, message: &Outbound) -> Result<(), SendError>;
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
}

#[async_trait]
impl Channel for RecordingChannel {
    async fn send(&self, message: &Outbound) -> Result<(), SendError> {
        let mut recorded = self.lock();
        recorded.attempts += 1;
        if recorded.fail_next > 0 {
            recorded.fail_next -= 1;
            return Err(SendError::Retryable("the channel was told to fail".into()));
        }
        if recorded.keys.insert(message.key.clone()) {
            recorded.sent.push(message.clone());
        }
        Ok(())
    }
}
