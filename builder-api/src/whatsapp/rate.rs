//! WhatsApp's limits on how fast one person may be written to, kept by holding that person's
//! messages back rather than by waiting in line (which would hold up everyone else): the pair
//! rate (about one message every 6 s to the same person, with short bursts allowed so a
//! flow's three messages in a row still go out at once), and Meta's back-off when it says
//! the pair rate was exceeded anyway (131056: 4^x seconds, x the refusals in a row).
//!
//! Kept in this process, on the runtime's clock: each contact's messages are sent only by
//! the process holding its partition, so the pair rate holds across processes. The number's
//! own throughput is [`super::throughput`]'s.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use spool_nodes::Millis;

/// One message per this long to the same person, on average.
const PAIR_PERIOD: Millis = 6_000;
/// Messages that may go to one person at once before the pair rate makes them wait. Meta
/// allows bursts of up to 45 but makes a sender that used them wait minutes afterwards.
const PAIR_BURST: Millis = 10;
/// The longest back-off after 131056 (4^6 s, about 68 min).
const MAX_BACKOFF_STEP: u32 = 6;
/// Look for idle recipients to forget after this many sends, so memory follows the active.
const FORGET_EVERY: u64 = 10_000;

/// The generic cell rate algorithm, on one key: `tat` is the theoretical arrival time of the
/// next message; a message may go at `tat - tolerance`, and moves `tat` on by `interval`.
/// Units are the caller's (ms here, µs for the number's throughput).
pub fn gcra_wait(tat: i64, now: i64, tolerance: i64) -> i64 {
    (tat.max(now) - tolerance - now).max(0)
}

/// The `tat` after a message sent at `now`.
pub fn gcra_next(tat: i64, now: i64, interval: i64) -> i64 {
    tat.max(now) + interval
}

#[derive(Debug, Default)]
struct Pair {
    /// The GCRA's theoretical arrival time (ms, runtime clock).
    tat: Millis,
    /// Meta's 131056 refusals in a row, and until when the person is not written to.
    refused: u32,
    backoff_until: Millis,
}

/// The pair rate and Meta's pair back-off, per (number, recipient).
#[derive(Debug, Default)]
pub struct PairLimits {
    pairs: Mutex<HashMap<String, Pair>>,
    sends: std::sync::atomic::AtomicU64,
}

impl PairLimits {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Pair>> {
        self.pairs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// How long a message to `pair` must wait at `now` (zero: it may go). Takes nothing:
    /// [`PairLimits::sent`] does, once the message went.
    pub fn wait(&self, pair: &str, now: Millis) -> Duration {
        let pairs = self.lock();
        let Some(state) = pairs.get(pair) else {
            return Duration::ZERO;
        };
        let rate = gcra_wait(state.tat, now, PAIR_PERIOD * (PAIR_BURST - 1));
        let backoff = (state.backoff_until - now).max(0);
        millis(rate.max(backoff))
    }

    /// A message to `pair` went out at `now`: it draws on the pair's budget, and Meta's
    /// back-off starts over.
    pub fn sent(&self, pair: &str, now: Millis) {
        let sends = self
            .sends
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut pairs = self.lock();
        if sends % FORGET_EVERY == FORGET_EVERY - 1 {
            pairs.retain(|_, state| state.tat > now || state.backoff_until > now);
        }
        let state = pairs.entry(pair.to_owned()).or_default();
        state.tat = gcra_next(state.tat, now, PAIR_PERIOD);
        state.refused = 0;
    }

    /// Meta refused a message to `pair` for the pair rate (131056): the person is not
    /// written to for 4^x seconds (x: such refusals in a row, from 0). Returns that wait.
    pub fn refused(&self, pair: &str, now: Millis) -> Duration {
        let mut pairs = self.lock();
        let state = pairs.entry(pair.to_owned()).or_default();
        let wait = Duration::from_secs(4_u64.pow(state.refused.min(MAX_BACKOFF_STEP)));
        state.refused = state.refused.saturating_add(1);
        state.backoff_until = now.saturating_add(Millis::try_from(wait.as_millis()).unwrap_or(0));
        wait
    }
}

fn millis(ms: i64) -> Duration {
    Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_messages_in_a_row_go_at_once_and_the_eleventh_waits_six_seconds() {
        let pairs = PairLimits::new();
        for _ in 0..10 {
            assert_eq!(pairs.wait("n:ana", 0), Duration::ZERO);
            pairs.sent("n:ana", 0);
        }
        assert_eq!(pairs.wait("n:ana", 0), Duration::from_secs(6));
        assert_eq!(
            pairs.wait("n:ben", 0),
            Duration::ZERO,
            "others are not held"
        );
        assert_eq!(pairs.wait("n:ana", 6_000), Duration::ZERO);
    }

    #[test]
    fn meta_refusing_for_the_pair_rate_backs_off_four_to_the_x_seconds() {
        let pairs = PairLimits::new();
        assert_eq!(pairs.refused("n:ana", 0), Duration::from_secs(1));
        assert_eq!(pairs.refused("n:ana", 1_000), Duration::from_secs(4));
        assert_eq!(pairs.wait("n:ana", 1_000), Duration::from_secs(4));
        assert_eq!(pairs.refused("n:ana", 5_000), Duration::from_secs(16));
        pairs.sent("n:ana", 21_000);
        assert_eq!(
            pairs.refused("n:ana", 21_000),
            Duration::from_secs(1),
            "a send starts over"
        );
    }
}
