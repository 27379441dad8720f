//! When a delivery that failed is tried again: exponential back-off with jitter, capped at an
//! hour between attempts, for at least a day after it was queued; then it is given up.

use std::time::Duration;

/// The retry schedule of event deliveries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// The pause after the first failed attempt; doubled after each next one.
    pub first_retry: Duration,
    /// The longest pause between two attempts.
    pub max_pause: Duration,
    /// Attempts go on until one fails this long after the delivery was queued.
    pub give_up_after: Duration,
}

impl Schedule {
    pub const DAY: Duration = Duration::from_secs(24 * 60 * 60);

    pub fn new(first_retry: Duration) -> Self {
        Self {
            first_retry,
            max_pause: Duration::from_secs(60 * 60),
            give_up_after: Self::DAY,
        }
    }

    /// After `attempts` failed attempts of a delivery queued at `queued_at`, the last one
    /// failing at `now` (ms since the epoch): when to try next, or `None` to give up.
    /// `jitter` in `[0, 1]` picks the pause in the upper half of the back-off, so receivers
    /// that failed together are not all tried again at the same moment.
    pub fn next_attempt(
        &self,
        attempts: u32,
        queued_at: i64,
        now: i64,
        jitter: f64,
    ) -> Option<i64> {
        let waited = u128::try_from(now.saturating_sub(queued_at)).unwrap_or(0);
        if waited >= self.give_up_after.as_millis() {
            return None;
        }
        let doublings = attempts.saturating_sub(1).min(30);
        let backoff = self
            .first_retry
            .saturating_mul(1 << doublings)
            .min(self.max_pause)
            .as_millis() as f64;
        let pause = backoff / 2.0 + backoff / 2.0 * jitter.clamp(0.0, 1.0);
        Some(now.saturating_add(pause.max(1.0) as i64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 60 * 60 * 1000;

    /// The times of every attempt of a delivery that always fails, queued at 0.
    fn attempts(schedule: &Schedule, jitter: f64) -> Vec<i64> {
        let mut at = vec![0];
        while let Some(next) =
            schedule.next_attempt(at.len() as u32, 0, *at.last().unwrap_or(&0), jitter)
        {
            at.push(next);
            assert!(at.len() < 1000, "the schedule ends");
        }
        at
    }

    #[test]
    fn retries_cover_at_least_a_day_then_give_up() {
        let schedule = Schedule::new(Duration::from_secs(10));
        for jitter in [0.0, 0.37, 1.0] {
            let at = attempts(&schedule, jitter);
            let last = *at.last().unwrap_or(&0);
            assert!(last >= 24 * HOUR, "the last attempt is a day after: {last}");
            assert!(last <= 25 * HOUR, "and not much more: {last}");
            assert!(
                (24..=60).contains(&at.len()),
                "{} attempts with jitter {jitter}",
                at.len()
            );
        }
    }

    #[test]
    fn pauses_double_up_to_an_hour() {
        let schedule = Schedule::new(Duration::from_secs(10));
        let at = attempts(&schedule, 1.0);
        let pauses: Vec<i64> = at.windows(2).map(|pair| pair[1] - pair[0]).collect();
        assert_eq!(
            pauses[..6],
            [10_000, 20_000, 40_000, 80_000, 160_000, 320_000]
        );
        assert!(pauses.iter().all(|pause| *pause <= HOUR));
        assert_eq!(pauses[pauses.len() - 2], HOUR);
    }

    #[test]
    fn jitter_keeps_the_pause_in_the_upper_half() {
        let schedule = Schedule::new(Duration::from_secs(10));
        assert_eq!(schedule.next_attempt(1, 0, 0, 0.0), Some(5_000));
        assert_eq!(schedule.next_attempt(1, 0, 0, 0.5), Some(7_500));
        assert_eq!(schedule.next_attempt(3, 0, 0, 1.0), Some(40_000));
    }

    #[test]
    fn a_delivery_queued_again_by_hand_gets_another_day() {
        let schedule = Schedule::new(Duration::from_secs(10));
        let requeued = 3 * 24 * HOUR;
        assert_eq!(schedule.next_attempt(40, 0, requeued + 1, 1.0), None);
        assert!(
            schedule
                .next_attempt(40, requeued, requeued + 1, 1.0)
                .is_some()
        );
    }
}
