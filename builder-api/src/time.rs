//! How the API writes times.

/// Milliseconds since the epoch as RFC 3339 in UTC, to the millisecond
/// (`2026-03-02T10:00:00.000Z`); empty for a time out of chrono's range.
pub fn rfc3339(millis: i64) -> String {
    chrono::DateTime::from_timestamp_millis(millis)
        .map(|at| at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

/// An RFC 3339 time as milliseconds since the epoch; `None` when it is not one.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|time| time.timestamp_millis())
}
