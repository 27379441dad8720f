//! When each recipient is due: the campaign's time; or, in local time, that time of day in
//! the recipient's own zone (their contact's, else the campaign's); moved out of quiet hours
//! (in the recipient's zone) to when they end; and, over the messaging limit, a day later
//! for each day's worth of recipients.

use chrono::{DateTime, Duration, NaiveDateTime, NaiveTime, TimeZone, Timelike};
use chrono_tz::Tz;
use spool_nodes::{DAY, Millis};

/// How a campaign times its sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timing {
    /// When to send (ms); `None`: as soon as it starts.
    pub send_at: Option<Millis>,
    /// `send_at`'s time of day in each recipient's zone.
    pub local_time: bool,
    /// The campaign's zone: how `send_at`'s time of day is read, and the zone of recipients
    /// without one.
    pub timezone: Tz,
    /// Quiet hours, minutes from midnight in the recipient's zone: `(start, end)`, which may
    /// wrap past midnight (`(21 * 60, 8 * 60)`).
    pub quiet: Option<(u32, u32)>,
}

/// A zone by its IANA name; `None` for one Spool does not know.
pub fn zone(name: &str) -> Option<Tz> {
    name.parse::<Tz>().ok()
}

fn at(ms: Millis) -> DateTime<chrono::Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// The wall-clock `local` in `zone` as an instant (the first, when clocks go back; just
/// after the gap, when they go forward).
fn instant(zone: Tz, local: NaiveDateTime) -> Millis {
    match zone.from_local_datetime(&local) {
        chrono::LocalResult::Single(time) | chrono::LocalResult::Ambiguous(time, _) => {
            time.timestamp_millis()
        }
        chrono::LocalResult::None => instant(zone, local + Duration::hours(1)),
    }
}

fn in_quiet_hours(minute: u32, (start, end): (u32, u32)) -> bool {
    if start <= end {
        (start..end).contains(&minute)
    } else {
        minute >= start || minute < end
    }
}

impl Timing {
    /// When a recipient in `their_zone` (None: the campaign's) is due, the campaign
    /// starting to send at `now`. Never before `now`.
    pub fn due_at(&self, their_zone: Option<Tz>, now: Millis) -> Millis {
        let zone = their_zone.unwrap_or(self.timezone);
        let base = self.send_at.unwrap_or(now);
        let mut due = if self.local_time {
            // The campaign's time of day, on the campaign's date, in their zone; if that has
            // passed for them already, the next day at that time.
            let wall = at(base).with_timezone(&self.timezone).naive_local();
            let mut due = instant(zone, wall);
            while due < now {
                due += DAY;
            }
            due
        } else {
            base.max(now)
        };
        if let Some(quiet) = self.quiet {
            let local = at(due).with_timezone(&zone);
            let minute = local.hour() * 60 + local.minute();
            if in_quiet_hours(minute, quiet) {
                let end =
                    NaiveTime::from_hms_opt(quiet.1 / 60, quiet.1 % 60, 0).unwrap_or_default();
                let mut date = local.date_naive();
                if minute >= quiet.1 {
                    date = date.succ_opt().unwrap_or(date);
                }
                due = instant(zone, date.and_time(end));
            }
        }
        due.max(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(text: &str) -> Millis {
        DateTime::parse_from_rfc3339(text)
            .expect("a time")
            .timestamp_millis()
    }

    fn timing(send_at: &str, local_time: bool, quiet: Option<(u32, u32)>) -> Timing {
        Timing {
            send_at: Some(ms(send_at)),
            local_time,
            timezone: zone("Europe/Lisbon").expect("a zone"),
            quiet,
        }
    }

    #[test]
    fn in_local_time_each_zone_gets_ten_in_the_morning_its_own() {
        // 10:00 in Lisbon on 5 December (UTC+0 then), asked on the 1st.
        let timing = timing("2026-12-05T10:00:00Z", true, None);
        let now = ms("2026-12-01T12:00:00Z");
        let due = |name: &str| timing.due_at(zone(name), now);
        assert_eq!(due("Europe/Lisbon"), ms("2026-12-05T10:00:00Z"));
        assert_eq!(due("America/Sao_Paulo"), ms("2026-12-05T13:00:00Z"));
        assert_eq!(due("Asia/Kolkata"), ms("2026-12-05T04:30:00Z"));
        assert_eq!(
            timing.due_at(None, now),
            ms("2026-12-05T10:00:00Z"),
            "the campaign's zone"
        );
    }

    #[test]
    fn in_local_time_a_zone_whose_morning_has_passed_gets_it_the_next_day() {
        // Sent at once (10:00 Lisbon, now): in Kolkata 10:00 was four and a half hours ago.
        let timing = timing("2026-12-01T10:00:00Z", true, None);
        let now = ms("2026-12-01T10:00:00Z");
        assert_eq!(
            timing.due_at(zone("Asia/Kolkata"), now),
            ms("2026-12-02T04:30:00Z")
        );
        assert_eq!(
            timing.due_at(zone("America/Sao_Paulo"), now),
            ms("2026-12-01T13:00:00Z")
        );
    }

    #[test]
    fn quiet_hours_move_a_send_to_when_they_end_in_the_recipients_zone() {
        // At once, at 22:00 UTC: Lisbon is in its 21:00–08:00 quiet hours, São Paulo (19:00)
        // is not, Kolkata (03:30) is until 08:00.
        let timing = Timing {
            send_at: None,
            local_time: false,
            timezone: zone("Europe/Lisbon").expect("a zone"),
            quiet: Some((21 * 60, 8 * 60)),
        };
        let now = ms("2026-12-01T22:00:00Z");
        assert_eq!(
            timing.due_at(zone("Europe/Lisbon"), now),
            ms("2026-12-02T08:00:00Z")
        );
        assert_eq!(timing.due_at(zone("America/Sao_Paulo"), now), now);
        assert_eq!(
            timing.due_at(zone("Asia/Kolkata"), now),
            ms("2026-12-02T02:30:00Z")
        );
    }

    #[test]
    fn a_send_time_in_the_past_is_now() {
        let timing = timing("2026-11-01T10:00:00Z", false, None);
        let now = ms("2026-12-01T10:00:00Z");
        assert_eq!(timing.due_at(None, now), now);
    }
}
