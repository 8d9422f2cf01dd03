//! Everything that can happen to the TUI, as plain data: terminal input, time, the daemon's
//! events, and the results of the effects it asked for. `update` turns each into a change of
//! the model and, sometimes, an [`crate::effect::Effect`].

use crossterm::event::{KeyEvent, MouseEvent};
use jiff::Timestamp;
use mcpproxy_daemon::client::ServerAction;
use mcpproxy_daemon::protocol::{
    ActivityList, Event, LogLine, Quarantine, ReviewDecided, ServerAuth, ServerView, Status,
    ToolCallResult, ToolSearch, ToolSwitches,
};

use crate::app::logs::LogSource;

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Paste(String),
    Resize(u16, u16),
    /// The clock moved on (once a second, for uptimes, countdowns and toasts).
    Tick(Timestamp),
    /// The link to the daemon changed.
    Link(LinkEvent),
    /// Events from the daemon, oldest first, as many as were waiting.
    Daemon(Vec<Event>),
    /// An effect finished.
    Done(Outcome),
    /// SIGTERM or SIGHUP: leave cleanly.
    Terminate,
}

/// What the link to the daemon reports.
#[derive(Debug, Clone, PartialEq)]
pub enum LinkEvent {
    /// No daemon answered and one is being started.
    Starting,
    /// Attached: the event stream is open (its snapshot comes next). `started` holds the
    /// pid of a daemon this TUI started.
    Attached {
        status: Box<Status>,
        started: Option<u32>,
    },
    /// Attaching failed.
    Failed(LinkFailure),
    /// The event stream ended (after a goodbye, or because the connection broke).
    Ended { error: Option<String> },
}

#[derive(Debug, Clone, PartialEq)]
pub enum LinkFailure {
    /// Nothing answers on the socket.
    NotRunning,
    /// The daemon speaks another control-API version.
    Mismatch {
        daemon_version: String,
        daemon_protocol: u32,
        client_protocol: u32,
    },
    /// Starting a daemon failed.
    StartFailed(Failure),
    /// Anything else (permissions, a broken answer).
    Other(Failure),
}

/// An error as a person reads it: what happened, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub message: String,
    pub hint: Option<String>,
}

impl Failure {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            hint: None,
        }
    }
}

impl From<mcpproxy_daemon::client::ClientError> for Failure {
    fn from(error: mcpproxy_daemon::client::ClientError) -> Self {
        Self {
            hint: error.hint(),
            message: error.to_string(),
        }
    }
}

/// The result of an effect.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    ServerAction {
        name: String,
        action: ServerAction,
        result: Result<ServerView, Failure>,
    },
    Removed {
        name: String,
        result: Result<String, Failure>,
    },
    Added {
        name: String,
        result: Result<ServerView, Failure>,
    },
    Called {
        tool: String,
        result: Result<ToolCallResult, Failure>,
    },
    ToolSwitched {
        tool: String,
        enabled: bool,
        result: Result<ToolSwitches, Failure>,
    },
    LogTail {
        source: LogSource,
        result: Result<Vec<LogLine>, Failure>,
    },
    /// The daemon's answer to starting a login: the URL to open, or why not.
    LoginStarted {
        server: String,
        result: Result<ServerAuth, Failure>,
    },
    LoggedOut {
        server: String,
        result: Result<ServerAuth, Failure>,
    },
    /// Whether the login's URL could be opened in a browser here.
    BrowserOpened {
        server: String,
        opened: bool,
    },
    Quarantine(Result<Quarantine, Failure>),
    /// The newest calls of the activity log, newest first.
    ActivityHistory(Result<ActivityList, Failure>),
    Reviewed {
        approve: bool,
        result: Result<ReviewDecided, Failure>,
    },
    Searched {
        query: String,
        result: Result<ToolSearch, Failure>,
    },
}
