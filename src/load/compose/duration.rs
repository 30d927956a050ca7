//! compose durations (`1m30s`, `10s`, `500ms`, `2.5s`, `1h`): compose-go reads them with
//! go-str2duration, which also takes `d` and `w`.

use std::time::Duration;

/// Parses a compose duration; `None` when compose would reject the text.
pub fn parse_duration(text: &str) -> Option<Duration> {
    parse(text, true)
}

/// Go's `time.ParseDuration`, which `docker build` uses for HEALTHCHECK flags: the same
/// grammar without days and weeks. Signs are refused (the engine rejects negative durations).
pub fn parse_go_duration(text: &str) -> Option<Duration> {
    parse(text, false)
}

fn parse(text: &str, days: bool) -> Option<Duration> {
    let s = text.trim();
    if s.is_empty() {
        return None;
    }
    if s == "0" {
        return Some(Duration::ZERO);
    }
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut total = 0f64;
    while i < bytes.len() {
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
            i += 1;
        }
        let number: f64 = s[start..i].parse().ok()?;
        let unit_start = i;
        while i < bytes.len() && !(bytes[i].is_ascii_digit() || bytes[i] == b'.') {
            i += 1;
        }
        let nanos_per = match &s[unit_start..i] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            "d" if days => 86400e9,
            "w" if days => 7.0 * 86400e9,
            _ => return None,
        };
        total += number * nanos_per;
    }
    if !total.is_finite() || total > u64::MAX as f64 {
        return None;
    }
    Some(Duration::from_nanos(total.round() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations_have_no_days() {
        assert_eq!(parse_go_duration("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_go_duration("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_go_duration("1d"), None);
        assert_eq!(parse_go_duration("10"), None);
        assert_eq!(parse_go_duration("-5s"), None);
    }

    #[test]
    fn compose_duration_forms() {
        assert_eq!(parse_duration("10s"), Some(Duration::from_secs(10)));
        assert_eq!(parse_duration("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("2.5s"), Some(Duration::from_millis(2500)));
        assert_eq!(parse_duration("1h"), Some(Duration::from_secs(3600)));
        assert_eq!(
            parse_duration("1h5m30s20ms"),
            Some(Duration::from_millis(3_930_020))
        );
        assert_eq!(parse_duration("0"), Some(Duration::ZERO));
        assert_eq!(parse_duration("10"), None);
        assert_eq!(parse_duration("ten seconds"), None);
        assert_eq!(parse_duration("-5s"), None);
        assert_eq!(parse_duration("5x"), None);
        assert_eq!(parse_duration(""), None);
        assert_eq!(parse_duration("1..5s"), None);
    }
}
