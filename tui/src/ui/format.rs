//! Numbers and times as people read them in a narrow column.

use jiff::Timestamp;
use jiff::tz::TimeZone;

/// `45s`, `3m 12s`, `2h 5m`, `3d 4h`.
pub fn duration(seconds: u64) -> String {
    let (d, h, m, s) = (
        seconds / 86_400,
        seconds / 3600 % 24,
        seconds / 60 % 60,
        seconds % 60,
    );
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m {s}s"),
        (0, _, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h"),
    }
}

/// Seconds from `from` to `to` (0 when `to` has passed).
pub fn seconds_until(from: Timestamp, to: Timestamp) -> u64 {
    u64::try_from(to.duration_since(from).as_secs()).unwrap_or(0)
}

/// Milliseconds from `from` to `to` (0 when `to` has passed).
pub fn millis_until(from: Timestamp, to: Timestamp) -> u64 {
    u64::try_from(to.duration_since(from).as_millis()).unwrap_or(0)
}

/// Seconds from `from` to `to` (0 when `from` is later).
pub fn seconds_since(from: Timestamp, to: Timestamp) -> u64 {
    seconds_until(from, to)
}

/// `12:34:56` in the given zone.
pub fn time_of_day(at: Timestamp, tz: &TimeZone) -> String {
    at.to_zoned_datetime(tz.clone())
        .strftime("%H:%M:%S")
        .to_string()
}

/// A duration in milliseconds: `850 ms`, `1.2 s`, `2m 5s`.
pub fn millis(ms: u64) -> String {
    #[allow(clippy::cast_precision_loss)] // a display figure
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else {
        duration(ms / 1000)
    }
}

/// `text` broken at spaces into lines of at most `width` chars (a longer word is cut).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(8);
    let mut lines = Vec::new();
    for paragraph in text.lines() {
        let mut line = String::new();
        for word in paragraph.split(' ') {
            let needed =
                line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
            if needed > width && !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
            while line.chars().count() > width {
                let head: String = line.chars().take(width).collect();
                line = line.chars().skip(width).collect();
                lines.push(head);
            }
        }
        lines.push(line);
    }
    lines
}

/// The first line of `text`, trimmed.
pub fn first_line(text: &str) -> &str {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_short() {
        assert_eq!(duration(45), "45s");
        assert_eq!(duration(192), "3m 12s");
        assert_eq!(duration(7500), "2h 5m");
        assert_eq!(duration(273_600), "3d 4h");
        assert_eq!(millis(850), "850 ms");
        assert_eq!(millis(1234), "1.2 s");
        assert_eq!(first_line("\n  error: x\nmore"), "error: x");
        assert_eq!(wrap("aaa bbb ccc", 8), ["aaa bbb", "ccc"]);
        assert_eq!(wrap("abcdefghijk", 8), ["abcdefgh", "ijk"]);
    }
}
