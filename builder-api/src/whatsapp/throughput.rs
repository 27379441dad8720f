//! A number's throughput (messages per second, 80 by default), kept by every process that
//! sends for it together: a GCRA per phone number id, in Redis when the runtime's state is
//! there (several `spool serve` may share the number), else in this process's memory (the
//! embedded store runs one process).
//!
//! A message reserves its slot and waits for it (a slot is at most [`MAX_WAIT`] away, so a
//! few milliseconds at the usual rates); when the next free slot is further away, nothing is
//! reserved and the sender holds the contact back instead. Time is real time (Redis's own
//! clock when shared), as Meta counts it, whatever clock the runtime runs on.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use redis::aio::ConnectionManager;

use super::rate::{gcra_next, gcra_wait};

/// The furthest a reserved slot may be; a message whose slot would be further waits outside
/// the line (its contact is held back) instead of keeping a dispatcher waiting.
pub const MAX_WAIT: Duration = Duration::from_secs(1);

/// When a message from a number may go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Turn {
    /// Its slot is reserved: send it after this wait (often zero).
    After(Duration),
    /// Nothing reserved: the number's next free slot is at least this far away.
    Busy(Duration),
}

#[derive(Debug, thiserror::Error)]
#[error("the shared send rate cannot be read: {0}")]
pub struct Unavailable(String);

#[async_trait]
pub trait Throughput: Send + Sync + std::fmt::Debug {
    /// Reserves the next slot of `number` sending at most `per_second`, at most
    /// [`MAX_WAIT`] away.
    async fn reserve(&self, number: &str, per_second: u32) -> Result<Turn, Unavailable>;
    /// Sends nothing from `number` for `pause` (Meta said 130429: over its throughput).
    async fn pause(&self, number: &str, pause: Duration) -> Result<(), Unavailable>;
}

/// The GCRA's interval and tolerance for a rate, in µs: bursts of a twentieth of a second's
/// worth (at least one message), so no one-second window holds more than 5 % over the rate
/// and sends need not line up one by one.
fn shape(per_second: u32) -> (i64, i64) {
    let rate = i64::from(per_second.max(1));
    let interval = 1_000_000 / rate;
    let burst = (rate / 20).max(1);
    (interval, interval * (burst - 1))
}

fn micros(duration: Duration) -> i64 {
    i64::try_from(duration.as_micros()).unwrap_or(i64::MAX / 4)
}

fn duration(micros: i64) -> Duration {
    Duration::from_micros(u64::try_from(micros).unwrap_or(0))
}

/// The number's line in this process.
#[derive(Debug)]
pub struct Local {
    origin: Instant,
    /// Per number, the GCRA's theoretical arrival time (µs since `origin`).
    tats: Mutex<HashMap<String, i64>>,
}

impl Default for Local {
    fn default() -> Self {
        Self {
            origin: Instant::now(),
            tats: Mutex::new(HashMap::new()),
        }
    }
}

impl Local {
    fn now(&self) -> i64 {
        micros(self.origin.elapsed())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, i64>> {
        self.tats
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl Throughput for Local {
    async fn reserve(&self, number: &str, per_second: u32) -> Result<Turn, Unavailable> {
        let (interval, tolerance) = shape(per_second);
        let now = self.now();
        let mut tats = self.lock();
        let tat = tats.entry(number.to_owned()).or_insert(0);
        let wait = gcra_wait(*tat, now, tolerance);
        if wait > micros(MAX_WAIT) {
            return Ok(Turn::Busy(duration(wait)));
        }
        *tat = gcra_next(*tat, now, interval);
        Ok(Turn::After(duration(wait)))
    }

    async fn pause(&self, number: &str, pause: Duration) -> Result<(), Unavailable> {
        let now = self.now();
        let mut tats = self.lock();
        let tat = tats.entry(number.to_owned()).or_insert(0);
        // The tolerance is added back so that even the burst waits out the pause.
        let (_, tolerance) = shape(1);
        *tat = (*tat).max(now + micros(pause) + tolerance);
        Ok(())
    }
}

/// The reservation, atomically in Redis on Redis's clock. KEYS: the number's key. ARGV: the
/// interval, the tolerance, the longest wait and a pause (µs; a pause > 0 only pushes the
/// line back). Returns {1, wait} for a reserved slot, {0, wait} when busy.
const RESERVE: &str = r"
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local max_wait = tonumber(ARGV[3])
local pause = tonumber(ARGV[4])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local wait = tat - tolerance - now
if wait < 0 then wait = 0 end
if pause > 0 then
  local paused = now + pause + tolerance
  if paused > tat then tat = paused end
elseif wait > max_wait then
  return {0, wait}
else
  tat = tat + interval
end
redis.call('SET', KEYS[1], string.format('%.0f', tat), 'PX', math.ceil((tat - now) / 1000) + 1000)
return {1, wait}
";

/// The number's line shared by every process on one Redis.
#[derive(Clone)]
pub struct Shared {
    redis: ConnectionManager,
    prefix: String,
    script: redis::Script,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl Shared {
    /// Connects to the runtime's Redis; keys go under `prefix` (the runtime store's).
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, Unavailable> {
        let client = redis::Client::open(url).map_err(|err| Unavailable(err.to_string()))?;
        let redis = ConnectionManager::new(client)
            .await
            .map_err(|err| Unavailable(err.to_string()))?;
        Ok(Self {
            redis,
            prefix: prefix.to_owned(),
            script: redis::Script::new(RESERVE),
        })
    }

    async fn run(
        &self,
        number: &str,
        per_second: u32,
        pause: Duration,
    ) -> Result<(bool, i64), Unavailable> {
        let (interval, tolerance) = shape(per_second);
        let (reserved, wait): (i64, i64) = self
            .script
            .key(format!("{}:wa-throughput:{{{number}}}", self.prefix))
            .arg(interval)
            .arg(tolerance)
            .arg(micros(MAX_WAIT))
            .arg(micros(pause))
            .invoke_async(&mut self.redis.clone())
            .await
            .map_err(|err| Unavailable(err.to_string()))?;
        Ok((reserved == 1, wait))
    }
}

#[async_trait]
impl Throughput for Shared {
    async fn reserve(&self, number: &str, per_second: u32) -> Result<Turn, Unavailable> {
        let (reserved, wait) = self.run(number, per_second, Duration::ZERO).await?;
        Ok(if reserved {
            Turn::After(duration(wait))
        } else {
            Turn::Busy(duration(wait))
        })
    }

    async fn pause(&self, number: &str, pause: Duration) -> Result<(), Unavailable> {
        self.run(number, 1, pause).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_burst_beyond_a_second_of_slots_is_told_to_wait_outside_the_line() {
        let local = Local::default();
        let mut reserved = 0;
        loop {
            match local.reserve("n", 20).await.expect("local") {
                Turn::After(_) => reserved += 1,
                Turn::Busy(wait) => {
                    assert!(wait > MAX_WAIT);
                    break;
                }
            }
        }
        // Slots at 0, 50 ms, …, 1 s: a second's worth and one.
        assert_eq!(reserved, 21);
    }

    #[tokio::test]
    async fn a_pause_holds_the_whole_number() {
        let local = Local::default();
        local
            .pause("n", Duration::from_secs(5))
            .await
            .expect("local");
        assert!(matches!(
            local.reserve("n", 80).await.expect("local"),
            Turn::Busy(wait) if wait > Duration::from_secs(4)
        ));
        assert!(matches!(
            local.reserve("other", 80).await.expect("local"),
            Turn::After(Duration::ZERO)
        ));
    }
}
