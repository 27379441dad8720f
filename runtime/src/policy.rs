//! Quiet hours: business-initiated messages and delays wait until the quiet period ends, in
//! the contact's time zone when known, else the flow's.

use chrono::{DateTime, Duration as ChronoDuration, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use spool_flows::document::QuietHours;
use spool_nodes::{Contact, Millis};

/// When the quiet period `now` falls in ends, or `None` if `now` is not in one. Times or
/// zones that cannot be read make no quiet period (validation refuses bad clock times).
pub fn quiet_until(quiet: &QuietHours, contact: &Contact, now: Millis) -> Option<Millis> {
    let zone: Tz = contact
        .timezone
        .as_deref()
        .and_then(|name| name.parse().ok())
        .or_else(|| quiet.timezone.parse().ok())?;
    let start = NaiveTime::parse_from_str(&quiet.start, "%H:%M").ok()?;
    let end = NaiveTime::parse_from_str(&quiet.end, "%H:%M").ok()?;
    let local = DateTime::<Utc>::from_timestamp_millis(now)?.with_timezone(&zone);
    let time = local.time();
    let inside = if start < end {
        time >= start && time < end
    } else {
        time >= start || time < end
    };
    if !inside {
        return None;
    }
    // The end is today if it is still ahead, else tomorrow.
    let day = if time < end {
        local.date_naive()
    } else {
        local.date_naive() + ChronoDuration::days(1)
    };
    let end_local = zone.from_local_datetime(&day.and_time(end)).earliest()?;
    Some(end_local.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quiet(start: &str, end: &str, zone: &str) -> QuietHours {
        QuietHours {
            start: start.into(),
            end: end.into(),
            timezone: zone.into(),
        }
    }

    fn at(text: &str) -> Millis {
        DateTime::parse_from_rfc3339(text)
            .map(|date| date.timestamp_millis())
            .unwrap_or_default()
    }

    #[test]
    fn night_hours_span_midnight_in_the_contacts_zone() {
        let night = quiet("21:00", "08:00", "Europe/Lisbon");
        let contact = Contact::new("wa:1", "1");
        // 22:30 in Lisbon (UTC in winter): quiet until 08:00 next morning.
        assert_eq!(
            quiet_until(&night, &contact, at("2026-11-23T22:30:00Z")),
            Some(at("2026-11-24T08:00:00Z"))
        );
        // 03:00: quiet until 08:00 the same day.
        assert_eq!(
            quiet_until(&night, &contact, at("2026-11-24T03:00:00Z")),
            Some(at("2026-11-24T08:00:00Z"))
        );
        assert_eq!(
            quiet_until(&night, &contact, at("2026-11-24T12:00:00Z")),
            None
        );

        let mut in_sao_paulo = contact.clone();
        in_sao_paulo.timezone = Some("America/Sao_Paulo".into());
        // 22:30 UTC is 19:30 in São Paulo: not quiet there.
        assert_eq!(
            quiet_until(&night, &in_sao_paulo, at("2026-11-23T22:30:00Z")),
            None
        );
        // 01:00 UTC is 22:00 in São Paulo: quiet until 08:00 there (11:00 UTC).
        assert_eq!(
            quiet_until(&night, &in_sao_paulo, at("2026-11-24T01:00:00Z")),
            Some(at("2026-11-24T11:00:00Z"))
        );
    }

    #[test]
    fn a_daytime_period_and_unknown_zones() {
        let lunch = quiet("12:00", "14:00", "UTC");
        let contact = Contact::new("wa:1", "1");
        assert_eq!(
            quiet_until(&lunch, &contact, at("2026-11-24T13:00:00Z")),
            Some(at("2026-11-24T14:00:00Z"))
        );
        assert_eq!(
            quiet_until(&lunch, &contact, at("2026-11-24T14:00:00Z")),
            None
        );
        assert_eq!(
            quiet_until(
                &quiet("12:00", "14:00", "Mars/Olympus"),
                &contact,
                at("2026-11-24T13:00:00Z")
            ),
            None
        );
    }
}
