//! The wire contract between the daemon and every client (CLI, TUI, tray, scripts).
//!
//! These plain serde types are the only bodies `/api/v1/*` sends and accepts. Conventions:
//! snake_case field names, RFC 3339 UTC timestamps, lowercase state strings with their details
//! in optional sibling fields, lists wrapped in an object (`{"servers": [...]}`), SSE events
//! named by kind. Golden snapshots in `tests/protocol.rs` catch accidental changes: a change
//! that breaks old clients must bump [`PROTOCOL_VERSION`].

use std::path::PathBuf;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Version of this control-API contract. Clients compare it with [`Status::protocol_version`].
pub const PROTOCOL_VERSION: u32 = 1;

/// MCP specification revisions the proxy speaks, newest first.
pub const MCP_PROTOCOL_VERSIONS: &[&str] = &["2026-07-28", "2025-11-25"];

/// The first MCP revision without sessions (`server/discover`, per-request metadata).
pub const FIRST_STATELESS_MCP_VERSION: &str = "2026-07-28";

/// Whether an MCP revision (`YYYY-MM-DD`, so ordered as text) is of the stateless era.
pub fn is_stateless_mcp_version(version: &str) -> bool {
    version >= FIRST_STATELESS_MCP_VERSION
}

/// Prefix of every control-API route.
pub const API_PREFIX: &str = "/api/v1";

/// `GET /api/v1/status`: who the daemon is, where it lives, and how its servers are doing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Status {
    /// mcpproxy version of the running daemon.
    pub version: String,
    /// Control-API contract version ([`PROTOCOL_VERSION`]).
    pub protocol_version: u32,
    /// MCP revisions served to clients and spoken to upstreams.
    pub mcp_protocol_versions: Vec<String>,
    pub pid: u32,
    pub started_at: Timestamp,
    pub uptime_s: u64,
    pub data_dir: PathBuf,
    pub config_path: PathBuf,
    /// The TCP address actually bound (after port 0 was resolved); `None` when TCP is off.
    pub listen: Option<String>,
    pub socket: PathBuf,
    pub servers: ServerCounts,
    /// The TCP API key; only present when asked for (`?show_key=true`) over the socket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerCounts {
    pub total: u32,
    pub ready: u32,
    /// Servers that should run but are not ready: backing off, needing a login, or stopped.
    pub failing: u32,
    pub quarantined: u32,
}

/// Where a server's connection stands. Lowercase on the wire (`"needs_auth"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerState {
    /// `enabled = false`: not started.
    Disabled,
    /// Waiting for a person to approve it; its command is not run.
    Quarantined,
    /// Spawning or connecting, then initialising the MCP session.
    Connecting,
    /// Going through an OAuth flow.
    Authenticating,
    /// Connected; its tools are served.
    Ready,
    /// The server wants a login; nothing is retried until one happens.
    NeedsAuth,
    /// The last attempt failed; the next one is at `retry_at`.
    Backoff,
    /// Stopped on request or while the daemon shuts down.
    Stopped,
}

impl ServerState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Disabled => "disabled",
            Self::Quarantined => "quarantined",
            Self::Connecting => "connecting",
            Self::Authenticating => "authenticating",
            Self::Ready => "ready",
            Self::NeedsAuth => "needs_auth",
            Self::Backoff => "backoff",
            Self::Stopped => "stopped",
        }
    }

    /// The state of a server a person has not let run, whatever else is going on; `None`
    /// when it may run. Quarantine comes first: approval is the gate, and an approved but
    /// disabled server only needs enabling.
    pub fn held(enabled: bool, quarantined: bool) -> Option<Self> {
        if quarantined {
            Some(Self::Quarantined)
        } else if !enabled {
            Some(Self::Disabled)
        } else {
            None
        }
    }

    /// True for a server that should be serving but is not.
    pub fn is_failing(self) -> bool {
        matches!(self, Self::Backoff | Self::NeedsAuth | Self::Stopped)
    }
}

impl std::fmt::Display for ServerState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the daemon talks to an upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransportKind {
    Stdio,
    Http,
    Sse,
}

impl TransportKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stdio => "stdio",
            Self::Http => "http",
            Self::Sse => "sse",
        }
    }
}

/// One upstream server as clients see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerView {
    pub name: String,
    pub transport: TransportKind,
    pub state: ServerState,
    pub enabled: bool,
    pub quarantined: bool,
    pub tool_count: u32,
    /// Tools waiting for review (new, changed or flagged).
    pub pending_review: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// Consecutive failed attempts, while backing off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connected_since: Option<Timestamp>,
    /// Process id of a stdio server's child.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    /// MCP revision negotiated with the upstream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol_version: Option<String>,
}

/// `GET /api/v1/servers`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerList {
    pub servers: Vec<ServerView>,
}

/// Everything a client needs to draw itself from scratch; the first event of every stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub status: Status,
    pub servers: Vec<ServerView>,
}

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

/// `GET /api/v1/servers/NAME/logs?tail=N`: the last lines, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogTail {
    pub server: String,
    pub lines: Vec<LogLine>,
}

/// Hints a server gives about a tool (MCP `ToolAnnotations`); all optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolHints {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destructive: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotent: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_world: Option<bool>,
}

/// How much a tool may change, from its annotations with the MCP defaults:
/// `readOnlyHint: true` → read; else `destructiveHint: false` → write; else (destructive,
/// or no annotations at all) → destructive. `/mcp/call`'s `call_tool_*` variant must be at
/// least this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Intent {
    Read,
    Write,
    Destructive,
}

impl Intent {
    pub fn required_by(hints: &ToolHints) -> Self {
        if hints.read_only == Some(true) {
            Self::Read
        } else if hints.destructive == Some(false) {
            Self::Write
        } else {
            Self::Destructive
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::Destructive => "destructive",
        }
    }
}

/// One upstream tool as clients see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolView {
    /// `server:tool`.
    pub id: String,
    pub server: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub description: String,
    pub input_schema: serde_json::Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_schema: Option<serde_json::Value>,
    pub annotations: ToolHints,
}

/// `GET /api/v1/tools`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolList {
    pub tools: Vec<ToolView>,
}

/// How a tool call came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallVariant {
    /// `call_tool_read` on `/mcp/call`.
    Read,
    /// `call_tool_write` on `/mcp/call`.
    Write,
    /// `call_tool_destructive` on `/mcp/call`.
    Destructive,
    /// `server__tool` on `/mcp/all`.
    Direct,
    /// The tool's own name on `/mcp/server/NAME`.
    Passthrough,
    /// `POST /api/v1/tools/call` (CLI and scripts).
    Api,
}

/// How a call ended; `started` while it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallOutcome {
    Started,
    Ok,
    /// The tool answered with `isError: true`.
    ToolError,
    /// The call failed: the server was not ready, the connection broke, a protocol error.
    Failed,
    /// mcpproxy refused it (intent too weak, server quarantined or disabled).
    Refused,
    Cancelled,
    Timeout,
}

/// One tool call, as the activity log and the live feed see it. A call emits two events
/// with the same `id`: `started`, then its outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    pub id: u64,
    pub at: Timestamp,
    /// The MCP client's name, when it gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    pub server: String,
    pub tool: String,
    pub variant: CallVariant,
    pub outcome: CallOutcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// Size of the arguments, as JSON.
    pub bytes_in: u64,
    /// Size of the result, as JSON.
    #[serde(default)]
    pub bytes_out: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// `POST /api/v1/tools/call`: call one tool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    /// `server:tool`.
    pub tool: String,
    #[serde(default)]
    pub arguments: serde_json::Map<String, serde_json::Value>,
}

/// What a tool call returned. `content` holds MCP content blocks as the server sent them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCallResult {
    pub tool: String,
    pub is_error: bool,
    pub content: Vec<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub structured_content: Option<serde_json::Value>,
    pub duration_ms: u64,
}

/// `POST /api/v1/servers`: add a server. The definition has the keys of a `[servers.NAME]`
/// table in `config.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AddServer {
    pub name: String,
    pub server: crate::config::ServerConfig,
    /// Added servers wait for approval unless this is explicitly `false`.
    #[serde(default = "default_true")]
    pub quarantine: bool,
}

fn default_true() -> bool {
    true
}

/// A config problem, located in its file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigProblem {
    pub file: PathBuf,
    pub line: u32,
    pub column: u32,
    /// Dotted key it concerns, such as `servers.github.url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// Everything the daemon tells its clients, in order, on `GET /api/v1/events`.
///
/// On the wire each event is one SSE message: `event:` is the kind (`server`, `log`, ...) and
/// `data:` is the payload as JSON. [`Event::to_sse`] and [`Event::from_sse`] are the only
/// encoder and decoder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", content = "data", rename_all = "snake_case")]
pub enum Event {
    /// The whole state; always the first event of a stream.
    Snapshot(State),
    /// A server changed state or settings.
    Server(ServerView),
    /// A server was removed from the config.
    ServerRemoved { name: String },
    /// A server's tool list is new or changed.
    Tools {
        server: String,
        tools: Vec<ToolView>,
    },
    /// A line was written to the daemon's or a server's log.
    Log(LogLine),
    /// A tool call started or ended.
    Activity(Activity),
    /// The config file was re-read and applied.
    ConfigReloaded { path: PathBuf },
    /// The config file changed but was refused; the running config stays as it was.
    ConfigError { problems: Vec<ConfigProblem> },
    /// This subscriber fell behind and missed events; a fresh snapshot follows.
    Lagged { missed: u64 },
    /// Nothing happened for a while; the stream is alive.
    Heartbeat { at: Timestamp },
}

/// An SSE message as it travels: its `event:` name and its `data:` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseMessage {
    pub event: String,
    pub data: String,
}

impl Event {
    /// The SSE `event:` name of this event.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Snapshot(_) => "snapshot",
            Self::Server(_) => "server",
            Self::ServerRemoved { .. } => "server_removed",
            Self::Tools { .. } => "tools",
            Self::Log(_) => "log",
            Self::Activity(_) => "activity",
            Self::ConfigReloaded { .. } => "config_reloaded",
            Self::ConfigError { .. } => "config_error",
            Self::Lagged { .. } => "lagged",
            Self::Heartbeat { .. } => "heartbeat",
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

    pub fn from_sse(message: &SseMessage) -> Result<Self, serde_json::Error> {
        let data: serde_json::Value = serde_json::from_str(&message.data)?;
        serde_json::from_value(serde_json::json!({ "event": message.event, "data": data }))
    }
}

/// A request was accepted; what it set in motion is reported through events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ack {
    pub message: String,
}

/// Machine-readable error codes of the control API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
    ConfigInvalid,
    UpstreamUnavailable,
    UpstreamError,
    Timeout,
    Internal,
}

/// The body of every error response: `{"error": {"code", "message", "hint"}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ApiError,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            hint: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\nhint: {hint}")?;
        }
        Ok(())
    }
}
