//! WhatsApp's sending limits, kept by waiting rather than by dropping: a number's
//! throughput (messages per second, 80 by default) and the pair rate (about one message
//! every 6 s to the same person, with short bursts allowed so a flow's three messages in a
//! row still go out at once). Both are GCRA token buckets from `governor`.
//!
//! The buckets live in this process. Each contact's messages are sent only by the process
//! holding its partition, so the pair rate holds across processes; the number's throughput is
//! this process's: with several processes sending for one number, give each a share of it.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};

/// One message per this long to the same person, on average.
const PAIR_PERIOD: Duration = Duration::from_secs(6);
/// Messages that may go to one person at once before the pair rate makes them wait. Meta
/// allows bursts of up to 45 but makes a sender that used them wait minutes afterwards.
const PAIR_BURST: u32 = 10;
/// Forget idle recipients' buckets after this many sends, so memory follows the active ones.
const RETAIN_EVERY: u64 = 10_000;

#[derive(Debug)]
pub struct SendLimits {
    numbers: Mutex<HashMap<String, (u32, Arc<DefaultDirectRateLimiter>)>>,
    pairs: DefaultKeyedRateLimiter<String>,
    sends: std::sync::atomic::AtomicU64,
}

impl Default for SendLimits {
    fn default() -> Self {
        Self::new()
    }
}

impl SendLimits {
    pub fn new() -> Self {
        let burst = NonZeroU32::new(PAIR_BURST).unwrap_or(NonZeroU32::MIN);
        let pair = Quota::with_period(PAIR_PERIOD)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(burst);
        Self {
            numbers: Mutex::new(HashMap::new()),
            pairs: RateLimiter::keyed(pair),
            sends: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Waits until a message may go from `number` (sending at most `per_second`) to
    /// `recipient`.
    pub async fn wait_turn(&self, number: &str, per_second: u32, recipient: &str) {
        self.pairs
            .until_key_ready(&format!("{number}:{recipient}"))
            .await;
        self.number(number, per_second).until_ready().await;
        let sends = self
            .sends
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if sends % RETAIN_EVERY == RETAIN_EVERY - 1 {
            self.pairs.retain_recent();
        }
    }

    /// The bucket of a number at its current rate: a changed rate starts a new one.
    fn number(&self, number: &str, per_second: u32) -> Arc<DefaultDirectRateLimiter> {
        let rate = NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN);
        let mut numbers = self
            .numbers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match numbers.get(number) {
            Some((known, limiter)) if *known == rate.get() => limiter.clone(),
            _ => {
                // A burst of a twentieth of a second's worth: no one-second window ever holds
                // more than 5 % over the rate, and sends need not line up one by one.
                let burst = NonZeroU32::new(rate.get() / 20).unwrap_or(NonZeroU32::MIN);
                let quota = Quota::per_second(rate).allow_burst(burst);
                let limiter = Arc::new(RateLimiter::direct(quota));
                numbers.insert(number.to_owned(), (rate.get(), limiter.clone()));
                limiter
            }
        }
    }
}
