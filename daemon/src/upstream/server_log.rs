//! One log per upstream server: `logs/servers/NAME.log` plus `log` events on the bus.
//!
//! Lines are written as `TIMESTAMP LEVEL ORIGIN TEXT`, so the file reads well with `tail`
//! and parses back into [`LogLine`]s for `GET /api/v1/servers/NAME/logs`.

use std::io::{BufRead as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use jiff::Timestamp;

use crate::events::{DaemonEvent, EventBus};
use crate::logs::{self, RotatingFile};
use crate::protocol::{LogLevel, LogLine, LogOrigin};

/// Longest line kept; a server that writes megabytes without a newline is cut.
pub const MAX_LINE: usize = 8 * 1024;

#[derive(Debug)]
pub struct ServerLog {
    server: String,
    path: PathBuf,
    file: Mutex<Option<RotatingFile>>,
    bus: EventBus,
}

impl ServerLog {
    pub fn open(server: &str, path: PathBuf, bus: EventBus) -> Self {
        let file = match RotatingFile::open(&path, logs::ROTATE_BYTES, logs::KEEP_ROTATED) {
            Ok(file) => Some(file),
            Err(e) => {
                tracing::warn!(server, path = %path.display(), error = %e, "cannot open the server log");
                None
            }
        };
        Self {
            server: server.to_owned(),
            path,
            file: Mutex::new(file),
            bus,
        }
    }

    /// A log without a file: its lines only go to `bus` (the probe prints them).
    pub fn detached(server: &str, bus: EventBus) -> Self {
        Self {
            server: server.to_owned(),
            path: PathBuf::new(),
            file: Mutex::new(None),
            bus,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A line from mcpproxy about this server.
    pub fn daemon(&self, level: LogLevel, text: impl Into<String>) {
        self.write(level, LogOrigin::Daemon, text.into());
    }

    pub fn write(&self, level: LogLevel, origin: LogOrigin, text: String) {
        let mut text = crate::redact::masked(text);
        if text.len() > MAX_LINE {
            let mut cut = MAX_LINE;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
            text.push_str(" [cut]");
        }
        let line = LogLine {
            server: Some(self.server.clone()),
            at: Timestamp::now(),
            level,
            origin,
            text,
        };
        {
            let mut file = crate::sync::lock(&self.file);
            if let Some(file) = file.as_mut() {
                // One write per line, so a rotation never splits a line between two files.
                let mut entry = format_line(&line);
                entry.push('\n');
                let _ = file.write_all(entry.as_bytes());
            }
        }
        self.bus.emit(DaemonEvent::Log(line));
    }
}

fn format_line(line: &LogLine) -> String {
    let origin = line.origin.label();
    // Embedded newlines would break the one-line-per-entry format; backslashes are escaped
    // too, so a literal `\n` in the text reads back as itself.
    let text = line.text.replace('\\', "\\\\").replace('\n', "\\n");
    format!("{} {:<5} {origin:<8} {text}", line.at, line.level.as_str())
}

fn parse_line(server: &str, text: &str) -> Option<LogLine> {
    let (at, rest) = text.split_once(' ')?;
    let rest = rest.trim_start();
    let (level, rest) = rest.split_once(' ')?;
    let rest = rest.trim_start();
    let (origin, message) = rest.split_once(' ').unwrap_or((rest, ""));
    Some(LogLine {
        server: Some(server.to_owned()),
        at: at.parse().ok()?,
        level: match level {
            "trace" => LogLevel::Trace,
            "debug" => LogLevel::Debug,
            "warn" => LogLevel::Warn,
            "error" => LogLevel::Error,
            _ => LogLevel::Info,
        },
        origin: match origin {
            "stderr" => LogOrigin::Stderr,
            "server" => LogOrigin::Server,
            _ => LogOrigin::Daemon,
        },
        text: unescape(message.trim_start()),
    })
}

/// Undoes [`format_line`]'s escaping: `\\n` is a newline, `\\\\` a backslash.
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (c, chars.clone().next()) {
            ('\\', Some('n')) => {
                out.push('\n');
                chars.next();
            }
            ('\\', Some('\\')) => {
                out.push('\\');
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}

/// The last `count` lines of a server's log (reaching into the rotated file when needed),
/// oldest first.
pub fn tail(server: &str, path: &Path, count: usize) -> std::io::Result<Vec<LogLine>> {
    let mut lines = read_lines(server, path)?;
    if lines.len() < count {
        let mut older = read_lines(server, &logs::rotated(path, 1)).unwrap_or_default();
        older.append(&mut lines);
        lines = older;
    }
    let skip = lines.len().saturating_sub(count);
    Ok(lines.split_off(skip))
}

fn read_lines(server: &str, path: &Path) -> std::io::Result<Vec<LogLine>> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    Ok(std::io::BufReader::new(file)
        .lines()
        .map_while(Result::ok)
        .filter_map(|line| parse_line(server, &line))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_round_trip_through_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let bus = EventBus::default();
        let mut events = bus.subscribe();
        let log = ServerLog::open("demo", dir.path().join("demo.log"), bus);
        log.daemon(LogLevel::Info, "connecting (attempt 1)");
        log.write(LogLevel::Warn, LogOrigin::Stderr, "two\nlines".into());
        log.write(
            LogLevel::Info,
            LogOrigin::Stderr,
            r"a literal \n, and \\".into(),
        );
        let lines = tail("demo", log.path(), 10).unwrap();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[2].text, r"a literal \n, and \\");
        assert_eq!(lines[0].text, "connecting (attempt 1)");
        assert_eq!(lines[1].origin, LogOrigin::Stderr);
        assert_eq!(lines[1].level, LogLevel::Warn);
        assert_eq!(lines[1].text, "two\nlines");
        assert_eq!(tail("demo", log.path(), 1).unwrap().len(), 1);
        assert!(
            matches!(events.try_recv(), Ok(DaemonEvent::Log(line)) if line.text.starts_with("connecting"))
        );
    }
}
