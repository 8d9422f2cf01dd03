//! One log per upstream server: `logs/servers/NAME.log` plus `log` events on the bus.
//!
//! Lines are written as `TIMESTAMP LEVEL ORIGIN TEXT`, so the file reads well with `tail`
//! and parses back into [`LogLine`]s for `GET /api/v1/servers/NAME/logs`.

use std::io::{BufRead as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use jiff::Timestamp;

use crate::events::{DaemonEvent, EventBus};
use crate::logs::{self, RotatingFile};
use crate::protocol::{LogLevel, LogLine, LogOrigin};
use crate::redact::secrets::{self, SecretKind};

/// Longest line kept; a server that writes megabytes without a newline is cut.
pub const MAX_LINE: usize = 8 * 1024;

#[derive(Debug)]
pub struct ServerLog {
    server: String,
    path: PathBuf,
    file: Mutex<Option<RotatingFile>>,
    bus: EventBus,
    /// The server's stderr is in the middle of a PEM private key: its body lines, which
    /// nothing else marks as secret, are redacted until the END line.
    in_private_key: AtomicBool,
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
            in_private_key: AtomicBool::new(false),
        }
    }

    /// A log without a file: its lines only go to `bus` (the probe prints them).
    pub fn detached(server: &str, bus: EventBus) -> Self {
        Self {
            server: server.to_owned(),
            path: PathBuf::new(),
            file: Mutex::new(None),
            bus,
            in_private_key: AtomicBool::new(false),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A line from mcpproxy about this server.
    pub fn daemon(&self, level: LogLevel, text: impl Into<String>) {
        self.write(level, LogOrigin::Daemon, text.into());
    }

    /// Writes a line, with its secrets masked (a server's stderr may echo the arguments it
    /// was called with).
    pub fn write(&self, level: LogLevel, origin: LogOrigin, text: String) {
        let mut text = if origin == LogOrigin::Stderr {
            self.mask_stderr(text)
        } else {
            crate::redact::masked(text)
        };
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

impl ServerLog {
    /// Masks one line of stderr. A private key written as it is spans several lines; the
    /// detector sees its BEGIN line, and the base64 lines after it are redacted here.
    fn mask_stderr(&self, text: String) -> String {
        if self.in_private_key.load(Ordering::Relaxed) {
            if continues_private_key(&text) {
                if text.contains("-----END ") {
                    self.in_private_key.store(false, Ordering::Relaxed);
                }
                return secrets::marker(SecretKind::PrivateKey);
            }
            self.in_private_key.store(false, Ordering::Relaxed);
        }
        if opens_private_key(&text) {
            self.in_private_key.store(true, Ordering::Relaxed);
        }
        crate::redact::masked(text)
    }
}

/// A line that starts a PEM private key and does not end it.
fn opens_private_key(line: &str) -> bool {
    line.rfind("-----BEGIN ").is_some_and(|at| {
        let rest = &line[at..];
        rest.contains("PRIVATE KEY-----") && !rest.contains("-----END ")
    })
}

/// A line that can be part of a PEM body: base64, an encryption header, or the END line.
fn continues_private_key(line: &str) -> bool {
    let line = line.trim();
    line.contains("-----END ")
        || line.starts_with("Proc-Type:")
        || line.starts_with("DEK-Info:")
        || line
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
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

    #[test]
    fn secrets_on_stderr_are_masked_in_the_file_and_the_events() {
        let dir = tempfile::tempdir().unwrap();
        let bus = EventBus::default();
        let mut events = bus.subscribe();
        let log = ServerLog::open("demo", dir.path().join("demo.log"), bus);
        let body = [
            "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun",
            "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK",
            "LxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo",
        ];
        let mut lines = vec![
            "got key AKIAIOSFODNN7EXAMPLE".to_owned(),
            "-----BEGIN RSA PRIVATE KEY-----".to_owned(),
        ];
        lines.extend(body.iter().map(|l| (*l).to_owned()));
        lines.push("-----END RSA PRIVATE KEY-----".to_owned());
        lines.push("done with MIIE".to_owned());
        for line in &lines {
            log.write(LogLevel::Info, LogOrigin::Stderr, line.clone());
        }
        let file = std::fs::read_to_string(log.path()).unwrap();
        let mut seen = Vec::new();
        while let Ok(DaemonEvent::Log(line)) = events.try_recv() {
            seen.push(line.text);
        }
        for secret in body.iter().chain(&["AKIAIOSFODNN7EXAMPLE"]) {
            assert!(!file.contains(secret), "{secret} in {file}");
            assert!(
                !seen.iter().any(|l| l.contains(secret)),
                "{secret} in {seen:?}"
            );
        }
        assert_eq!(
            seen,
            [
                "got key [redacted aws_access_key]",
                "[redacted private_key]",
                "[redacted private_key]",
                "[redacted private_key]",
                "[redacted private_key]",
                "[redacted private_key]",
                "done with MIIE",
            ]
        );
    }
}
