//! The live event stream, `GET /api/v1/events`.

use std::path::PathBuf;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{
    Activity, ConfigProblem, HeldItem, LogLine, OAuthEvent, SearchStatus, ServerView, State,
    ToolView,
};

/// Everything the daemon tells its clients, in order, on `GET /api/v1/events`.
///
/// On the wire each event is one SSE message: `event:` is the kind (`server`, `log`, ...) and
/// `data:` is the payload as JSON. [`Event::to_sse`] and [`Event::from_sse`] are the only
/// encoder and decoder; the decoder skips kinds it does not know.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", content = "data", rename_all = "snake_case")]
pub enum Event {
    /// The whole state; always the first event of a stream.
    Snapshot(State),
    /// A server changed state or settings.
    Server(ServerView),
    /// A server was removed from the config.
    ServerRemoved { name: String },
    /// The tools agents can see of one server, whole, after they changed.
    Tools {
        server: String,
        tools: Vec<ToolView>,
    },
    /// The items the catalog gate holds back of one server, whole, after they changed.
    Held {
        server: String,
        items: Vec<HeldItem>,
    },
    /// A line was written to the daemon's or a server's log.
    Log(LogLine),
    /// Several log lines at once, oldest first: a busy log is sent in batches, so a flood
    /// of lines costs one message per batch, not one per line.
    Logs { lines: Vec<LogLine> },
    /// A tool call started or ended.
    Activity(Activity),
    /// A server's OAuth login or tokens changed (login required or started, logged in,
    /// refreshed, logged out).
    #[serde(rename = "oauth")]
    OAuth(OAuthEvent),
    /// The config file was re-read and applied.
    ConfigReloaded { path: PathBuf },
    /// The config file changed but was refused; the running config stays as it was.
    ConfigError { problems: Vec<ConfigProblem> },
    /// Tool search made vectors, or its tools changed: where it stands now.
    ToolsIndexed(SearchStatus),
    /// This subscriber fell behind and missed events; a fresh snapshot follows.
    Lagged { missed: u64 },
    /// Nothing happened for a while; the stream is alive.
    Heartbeat { at: Timestamp },
    /// The daemon is going away; the last event of the stream.
    Goodbye(Goodbye),
}

/// Why the daemon ended the event stream, so an attached client can say so and decide
/// whether to re-attach.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Goodbye {
    pub reason: GoodbyeReason,
    /// One sentence for a person ("stopped by `mcpproxy daemon stop`").
    pub message: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GoodbyeReason {
    /// Someone asked it to stop (`daemon stop`, SIGTERM, ctrl-c): nothing comes back by
    /// itself.
    #[default]
    Shutdown,
    /// `daemon restart`: a new daemon follows at once.
    Restart,
    /// A newer mcpproxy replaces this daemon: a new one follows at once.
    Replaced,
    #[serde(other)]
    Unknown,
}

impl GoodbyeReason {
    /// True when another daemon is expected to come up on the same socket.
    pub fn comes_back(self) -> bool {
        matches!(self, Self::Restart | Self::Replaced)
    }
}

/// `POST /api/v1/shutdown`; the body may be empty (a plain stop).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShutdownRequest {
    #[serde(default)]
    pub reason: GoodbyeReason,
}

/// An SSE message as it travels: its `event:` name and its `data:` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseMessage {
    pub event: String,
    pub data: String,
}

impl Event {
    /// Every kind this version knows, in declaration order.
    pub const KINDS: &'static [&'static str] = &[
        "snapshot",
        "server",
        "server_removed",
        "tools",
        "held",
        "log",
        "logs",
        "activity",
        "oauth",
        "config_reloaded",
        "config_error",
        "tools_indexed",
        "lagged",
        "heartbeat",
        "goodbye",
    ];

    /// The SSE `event:` name of this event.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Snapshot(_) => "snapshot",
            Self::Server(_) => "server",
            Self::ServerRemoved { .. } => "server_removed",
            Self::Tools { .. } => "tools",
            Self::Held { .. } => "held",
            Self::Log(_) => "log",
            Self::Logs { .. } => "logs",
            Self::Activity(_) => "activity",
            Self::OAuth(_) => "oauth",
            Self::ConfigReloaded { .. } => "config_reloaded",
            Self::ConfigError { .. } => "config_error",
            Self::ToolsIndexed(_) => "tools_indexed",
            Self::Lagged { .. } => "lagged",
            Self::Heartbeat { .. } => "heartbeat",
            Self::Goodbye(_) => "goodbye",
        }
    }

    pub fn to_sse(&self) -> Result<SseMessage, serde_json::Error> {
        let mut tagged = serde_json::to_value(self)?;
        let data = tagged
            .get_mut("data")
            .map(serde_json::Value::take)
            .unwrap_or(serde_json::Value::Null);
        Ok(SseMessage {
            event: self.kind().to_owned(),
            data: serde_json::to_string(&data)?,
        })
    }

    /// Decodes one message. A kind this client does not know (a newer daemon's) is `None`,
    /// to be skipped; a known kind that does not decode is an error.
    pub fn from_sse(message: &SseMessage) -> Result<Option<Self>, serde_json::Error> {
        if !Self::KINDS.contains(&message.event.as_str()) {
            return Ok(None);
        }
        let data: serde_json::Value = serde_json::from_str(&message.data)?;
        serde_json::from_value(serde_json::json!({ "event": message.event, "data": data }))
            .map(Some)
    }
}
