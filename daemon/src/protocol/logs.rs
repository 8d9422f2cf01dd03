//! Log lines of the daemon and of each upstream.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogLevel {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

impl LogLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Trace => "trace",
            Self::Debug => "debug",
            Self::Info => "info",
            Self::Warn => "warn",
            Self::Error => "error",
        }
    }
}

/// Who wrote a log line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogOrigin {
    /// mcpproxy itself: state changes, errors, what it did to the server.
    #[default]
    Daemon,
    /// A stdio server's standard error.
    Stderr,
    /// An MCP `notifications/message` the server sent.
    Server,
    #[serde(other)]
    Unknown,
}

impl LogOrigin {
    /// How log files and terminals name who wrote a line.
    pub fn label(self) -> &'static str {
        match self {
            Self::Daemon => "mcpproxy",
            Self::Stderr => "stderr",
            Self::Server => "server",
            Self::Unknown => "unknown",
        }
    }
}

/// One line of the daemon's or a server's log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogLine {
    /// The upstream it belongs to; `None` for the daemon's own log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    pub at: Timestamp,
    pub level: LogLevel,
    #[serde(default)]
    pub origin: LogOrigin,
    pub text: String,
}

/// `GET /api/v1/servers/NAME/logs?tail=N` (a server's log) and `GET /api/v1/logs?tail=N`
/// (the daemon's own log, `server` absent): the last lines, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogTail {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    pub lines: Vec<LogLine>,
}
