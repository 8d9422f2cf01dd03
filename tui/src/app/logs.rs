//! The log being watched: one source at a time (the daemon's own log or one server's), its
//! last lines in a ring buffer of bounded size, and how it is viewed (follow, scroll, level,
//! text filter). A flood of lines only appends to the ring; nothing here grows without bound.

use std::cell::Cell;
use std::collections::VecDeque;

use jiff::Timestamp;
use mcpproxy_daemon::protocol::{LogLevel, LogLine, LogOrigin};

use super::editor::LineInput;

/// Lines kept of the watched log; older ones drop off the front.
pub const LOG_CAPACITY: usize = 10_000;
/// Lines asked for when a log is opened.
pub const LOG_TAIL: usize = 1_000;

/// Whose log.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogSource {
    Daemon,
    Server(String),
}

impl LogSource {
    pub fn label(&self) -> &str {
        match self {
            Self::Daemon => "mcpproxy (daemon)",
            Self::Server(name) => name,
        }
    }
}

/// A log line without its source (the buffer has one source).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredLine {
    pub at: Timestamp,
    pub level: LogLevel,
    pub origin: LogOrigin,
    pub text: Box<str>,
}

impl From<LogLine> for StoredLine {
    fn from(line: LogLine) -> Self {
        Self {
            at: line.at,
            level: line.level,
            origin: line.origin,
            text: line.text.into_boxed_str(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct LogsView {
    pub source: Option<LogSource>,
    pub lines: VecDeque<StoredLine>,
    pub capacity: usize,
    /// The tail is being fetched: live lines wait here until it arrives.
    pub loading: bool,
    pub pending: Vec<StoredLine>,
    /// Why the log could not be read (shown instead of lines).
    pub unavailable: Option<String>,
    /// Keep the newest line in view.
    pub follow: bool,
    /// Lines (that pass the filters) below the bottom of the view, when not following.
    pub back: usize,
    pub min_level: LogLevel,
    pub filter: LineInput,
    /// Lines that fit, as last drawn.
    pub height: Cell<usize>,
}

impl Default for LogsView {
    fn default() -> Self {
        Self {
            source: None,
            lines: VecDeque::new(),
            capacity: LOG_CAPACITY,
            loading: false,
            pending: Vec::new(),
            unavailable: None,
            follow: true,
            back: 0,
            min_level: LogLevel::Trace,
            filter: LineInput::default(),
            height: Cell::new(0),
        }
    }
}

impl LogsView {
    /// Starts watching `source`; its tail is to be fetched.
    pub fn open(&mut self, source: LogSource) {
        self.source = Some(source);
        self.lines.clear();
        self.pending.clear();
        self.unavailable = None;
        self.loading = true;
        self.follow = true;
        self.back = 0;
    }

    pub fn passes(&self, line: &StoredLine) -> bool {
        self.passes_with(line, &self.filter.text().to_lowercase())
    }

    fn passes_with(&self, line: &StoredLine, needle: &str) -> bool {
        line.level >= self.min_level && contains_ignore_case(&line.text, needle)
    }

    /// Lines that pass the filters, counted.
    pub fn passing(&self) -> usize {
        if self.min_level == LogLevel::Trace && self.filter.is_empty() {
            return self.lines.len();
        }
        let needle = self.filter.text().to_lowercase();
        self.lines
            .iter()
            .filter(|l| self.passes_with(l, &needle))
            .count()
    }

    /// What `height` rows show: the passing lines that end `back` lines above the newest
    /// (the top page when there are fewer), oldest first; and how many lines pass.
    pub fn window(&self, height: usize) -> (usize, Vec<&StoredLine>) {
        let total = self.passing();
        let back = if self.follow { 0 } else { self.back };
        let end = total.saturating_sub(back).max(height.min(total));
        let start = end.saturating_sub(height);
        let shown = if total == self.lines.len() {
            self.lines.range(start..end).collect()
        } else {
            let needle = self.filter.text().to_lowercase();
            let mut shown: Vec<&StoredLine> = self
                .lines
                .iter()
                .rev()
                .filter(|l| self.passes_with(l, &needle))
                .skip(total - end)
                .take(end - start)
                .collect();
            shown.reverse();
            shown
        };
        (total, shown)
    }

    /// Appends live lines of the watched source. Returns whether the view changed.
    pub fn append(&mut self, lines: impl IntoIterator<Item = StoredLine>) -> bool {
        if self.loading {
            self.pending.extend(lines);
            return false;
        }
        let mut added = 0;
        for line in lines {
            if !self.follow && self.passes(&line) {
                // Keep the lines in view where they are.
                self.back += 1;
            }
            self.push(line);
            added += 1;
        }
        added > 0
    }

    fn push(&mut self, line: StoredLine) {
        if self.lines.len() == self.capacity {
            self.lines.pop_front();
        }
        self.lines.push_back(line);
    }

    /// The fetched tail arrived: it goes first, then the live lines that came meanwhile
    /// (those already in the tail are skipped).
    pub fn tail_arrived(&mut self, tail: Vec<LogLine>) {
        self.loading = false;
        self.lines.clear();
        let boundary = tail.last().map(|l| l.at);
        let at_boundary: Vec<Box<str>> = tail
            .iter()
            .filter(|l| Some(l.at) == boundary)
            .map(|l| l.text.as_str().into())
            .collect();
        for line in tail {
            self.push(line.into());
        }
        for line in std::mem::take(&mut self.pending) {
            let seen = boundary.is_some_and(|boundary| {
                line.at < boundary || (line.at == boundary && at_boundary.contains(&line.text))
            });
            if !seen {
                self.push(line);
            }
        }
    }

    pub fn tail_failed(&mut self, message: String) {
        self.loading = false;
        self.unavailable = Some(message);
        let pending = std::mem::take(&mut self.pending);
        for line in pending {
            self.push(line);
        }
    }

    /// The lines that pass the filters, oldest first.
    pub fn visible(&self) -> Vec<&StoredLine> {
        self.lines.iter().filter(|l| self.passes(l)).collect()
    }

    /// Scrolls by `delta` lines (negative: up, toward older lines). Reaching the bottom
    /// resumes following.
    pub fn scroll(&mut self, delta: isize) {
        let total = self.passing();
        let page = self.height.get().max(1);
        let max_back = total.saturating_sub(page);
        let back = if self.follow { 0 } else { self.back };
        let back = back.saturating_add_signed(-delta).min(max_back);
        self.back = back;
        self.follow = back == 0;
    }

    pub fn to_top(&mut self) {
        self.scroll(isize::MIN / 2);
    }

    pub fn to_bottom(&mut self) {
        self.back = 0;
        self.follow = true;
    }

    pub fn page(&self) -> isize {
        isize::try_from(self.height.get().max(2) - 1).unwrap_or(1)
    }

    /// The next level filter: everything, then debug and up, info, warn, error.
    pub fn next_level(&mut self) {
        self.min_level = match self.min_level {
            LogLevel::Trace => LogLevel::Debug,
            LogLevel::Debug => LogLevel::Info,
            LogLevel::Info => LogLevel::Warn,
            LogLevel::Warn => LogLevel::Error,
            LogLevel::Error => LogLevel::Trace,
        };
        self.back = 0;
        self.follow = true;
    }

    pub fn badges(&self) -> Vec<String> {
        // The source is in the log's title.
        let mut badges = Vec::new();
        if self.min_level != LogLevel::Trace {
            badges.push(format!("level ≥ {}", self.min_level.as_str()));
        }
        if !self.filter.is_empty() {
            badges.push(format!("/{}", self.filter.text()));
        }
        badges
    }
}

/// Whether `text` contains `needle` (already lowercase), ignoring case; without allocating
/// when both are ASCII, as log lines mostly are.
pub fn contains_ignore_case(text: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    if text.is_ascii() && needle.is_ascii() {
        let (text, needle) = (text.as_bytes(), needle.as_bytes());
        return text
            .windows(needle.len())
            .any(|window| window.eq_ignore_ascii_case(needle));
    }
    text.to_lowercase().contains(needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(second: i64, text: &str) -> LogLine {
        LogLine {
            server: Some("demo".into()),
            at: Timestamp::from_second(second).unwrap(),
            level: LogLevel::Info,
            origin: LogOrigin::Stderr,
            text: text.into(),
        }
    }

    fn texts(view: &LogsView) -> Vec<&str> {
        view.lines.iter().map(|l| &*l.text).collect()
    }

    #[test]
    fn the_ring_keeps_the_newest_lines() {
        let mut view = LogsView {
            capacity: 3,
            ..LogsView::default()
        };
        view.open(LogSource::Server("demo".into()));
        view.tail_arrived(vec![]);
        view.append((0..5).map(|i| line(i, &i.to_string()).into()));
        assert_eq!(texts(&view), ["2", "3", "4"]);
    }

    #[test]
    fn lines_that_arrive_during_the_tail_fetch_follow_it_once() {
        let mut view = LogsView::default();
        view.open(LogSource::Server("demo".into()));
        assert!(!view.append([line(2, "b").into(), line(3, "c").into()]));
        view.tail_arrived(vec![line(1, "a"), line(2, "b")]);
        assert_eq!(texts(&view), ["a", "b", "c"]);
    }

    #[test]
    fn the_window_shows_the_passing_lines_above_the_scroll_position() {
        let mut view = LogsView::default();
        view.open(LogSource::Daemon);
        view.tail_arrived((0..10).map(|i| line(i, &format!("Line {i}"))).collect());
        let texts =
            |lines: Vec<&StoredLine>| lines.iter().map(|l| l.text.to_string()).collect::<Vec<_>>();
        let (total, shown) = view.window(3);
        assert_eq!(
            (total, texts(shown)),
            (10, vec!["Line 7".into(), "Line 8".into(), "Line 9".into()])
        );
        view.filter = LineInput::new("line 1");
        view.follow = false;
        view.back = 0;
        assert_eq!(texts(view.window(3).1), ["Line 1"]);
        view.filter = LineInput::new("LINE");
        view.back = 8;
        assert_eq!(texts(view.window(3).1), ["Line 0", "Line 1", "Line 2"]);
        assert!(contains_ignore_case("Ünïcode LINE", "ünïcode l"));
    }

    #[test]
    fn scrolling_up_stops_following_and_the_bottom_resumes_it() {
        let mut view = LogsView::default();
        view.height.set(2);
        view.open(LogSource::Daemon);
        view.tail_arrived((0..10).map(|i| line(i, "x")).collect());
        view.scroll(-3);
        assert!(!view.follow);
        assert_eq!(view.back, 3);
        view.append([line(11, "y").into()]);
        assert_eq!(view.back, 4, "new lines do not move the view");
        view.scroll(10);
        assert!(view.follow);
        view.to_top();
        assert_eq!(view.back, 9);
    }
}
