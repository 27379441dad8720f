//! When consent was given, as written in a spreadsheet (`2024-03-05` or RFC 3339 with any
//! offset), turned into RFC 3339 in UTC so that every stored time compares as text. Dates
//! like `05/03/2024` are refused: whether that is March or May cannot be known.

/// `text` as RFC 3339 UTC (`2024-03-05T09:30:00Z`, fraction kept), or `None` when it is
/// not a date or time this reads.
pub(crate) fn to_utc(text: &str) -> Option<String> {
    let text = text.trim();
    let (year, month, day) = date(text.get(..10)?)?;
    let rest = &text[10..];
    if rest.is_empty() {
        return Some(format!("{year:04}-{month:02}-{day:02}T00:00:00Z"));
    }
    let rest = rest.strip_prefix(['T', 't', ' '])?;
    let (hour, minute, second) = clock(rest.get(..8)?)?;
    let rest = &rest[8..];
    let (fraction, zone) = match rest.strip_prefix('.') {
        Some(after_dot) => {
            let digits = after_dot.len()
                - after_dot
                    .trim_start_matches(|c: char| c.is_ascii_digit())
                    .len();
            if digits == 0 {
                return None;
            }
            (&rest[..=digits], &after_dot[digits..])
        }
        None => ("", rest),
    };
    let offset_minutes = offset(zone)?;

    let days = days_from_civil(year, month, day);
    let seconds_of_day = i64::from(hour * 3600 + minute * 60 + second);
    let utc = days * 86_400 + seconds_of_day - offset_minutes * 60;
    let (days, seconds_of_day) = (utc.div_euclid(86_400), utc.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    if !(0..=9999).contains(&year) {
        return None;
    }
    let (hour, minute, second) = (
        seconds_of_day / 3600,
        seconds_of_day % 3600 / 60,
        seconds_of_day % 60,
    );
    Some(format!(
        "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}{fraction}Z"
    ))
}

fn number(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn date(text: &str) -> Option<(i64, u32, u32)> {
    let bytes = text.as_bytes();
    if bytes.get(4) != Some(&b'-') || bytes.get(7) != Some(&b'-') {
        return None;
    }
    let year = number(&text[..4])?;
    let month = number(&text[5..7])?;
    let day = number(&text[8..10])?;
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (1..=month_days)
        .contains(&day)
        .then_some((i64::from(year), month, day))
}

fn clock(text: &str) -> Option<(u32, u32, u32)> {
    let bytes = text.as_bytes();
    if bytes.get(2) != Some(&b':') || bytes.get(5) != Some(&b':') {
        return None;
    }
    let (hour, minute, second) = (
        number(&text[..2])?,
        number(&text[3..5])?,
        number(&text[6..8])?,
    );
    (hour < 24 && minute < 60 && second < 60).then_some((hour, minute, second))
}

/// The offset east of UTC in minutes: `Z`, `+01:00`, `-03:00`.
fn offset(zone: &str) -> Option<i64> {
    if zone == "Z" || zone == "z" {
        return Some(0);
    }
    let (sign, rest) = match zone.split_at_checked(1)? {
        ("+", rest) => (1, rest),
        ("-", rest) => (-1, rest),
        _ => return None,
    };
    if rest.len() != 5 || rest.as_bytes()[2] != b':' {
        return None;
    }
    let (hours, minutes) = (number(&rest[..2])?, number(&rest[3..])?);
    (hours < 24 && minutes < 60).then_some(sign * i64::from(hours * 60 + minutes))
}

/// Days since 1970-01-01 (Howard Hinnant's algorithm, proleptic Gregorian).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month_from_march = i64::from((month + 9) % 12);
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    // Both fit: day is 1..=31 and month 1..=12 by construction.
    (year, month as u32, day as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_is_midnight_utc() {
        assert_eq!(
            to_utc("2024-03-05").as_deref(),
            Some("2024-03-05T00:00:00Z")
        );
        assert_eq!(
            to_utc("2024-02-29").as_deref(),
            Some("2024-02-29T00:00:00Z")
        );
    }

    #[test]
    fn offsets_are_moved_to_utc_across_days_and_years() {
        assert_eq!(
            to_utc("2024-03-05T10:20:30+01:00").as_deref(),
            Some("2024-03-05T09:20:30Z")
        );
        assert_eq!(
            to_utc("2023-12-31T22:00:00-03:00").as_deref(),
            Some("2024-01-01T01:00:00Z")
        );
        assert_eq!(
            to_utc("2024-03-01T00:30:00.250+05:30").as_deref(),
            Some("2024-02-29T19:00:00.250Z")
        );
        assert_eq!(
            to_utc("2024-03-05 10:20:30Z").as_deref(),
            Some("2024-03-05T10:20:30Z")
        );
    }

    #[test]
    fn ambiguous_or_broken_dates_are_refused() {
        for text in [
            "05/03/2024",
            "2024-02-30",
            "2023-02-29",
            "2024-13-01",
            "2024-03-05T10:20",
            "2024-03-05T10:20:30",
            "2024-03-05T25:00:00Z",
            "2024-03-05T10:20:30+0100",
            "2024-03-05T10:20:30.Z",
            "yesterday",
            "",
            "2024-03-05Té",
        ] {
            assert_eq!(to_utc(text), None, "{text}");
        }
    }

    #[test]
    fn day_counting_agrees_both_ways() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        for days in [-800_000, -1, 0, 59, 10_956, 19_782, 2_932_896] {
            let (year, month, day) = civil_from_days(days);
            assert_eq!(days_from_civil(year, month, day), days);
        }
    }
}
