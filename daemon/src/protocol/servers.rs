//! Upstream servers as clients see them, and the definition a client sends to add one.

use std::collections::BTreeMap;
use std::path::PathBuf;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

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
    /// A state a newer daemon knows and this client does not.
    #[serde(other)]
    Unknown,
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
            Self::Unknown => "unknown",
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

    /// True while a server is on its way to `ready` or a failure (connecting, logging in).
    pub fn is_settling(self) -> bool {
        matches!(self, Self::Connecting | Self::Authenticating)
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
    #[serde(other)]
    Unknown,
}

impl TransportKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stdio => "stdio",
            Self::Http => "http",
            Self::Sse => "sse",
            Self::Unknown => "unknown",
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
    /// Calls whose arguments carry a secret are refused (`block_secrets` in the config).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub block_secrets: bool,
    /// Tools agents can see (held ones are not counted).
    pub tool_count: u32,
    /// Items held back for review (new, changed or flagged).
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

/// A server's definition as a client sends it: the keys of a `[servers.NAME]` table in
/// `config.toml`, with durations as text (`"30s"`). The daemon checks it as it checks the
/// config file, and answers a mistake with the key and a hint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSpec {
    /// A server built into mcpproxy (`"demo"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub builtin: Option<String>,
    /// Program to run as a stdio server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<PathBuf>,
    /// Endpoint of a remote server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// `auto`, `stdio`, `http` or `sse`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Refuse calls whose arguments carry a secret (`block_secrets` in the config).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block_secrets: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_timeout: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_timeout: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shutdown_grace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kill_grace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ping_interval: Option<String>,
}

/// `POST /api/v1/servers`: add a server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AddServer {
    pub name: String,
    pub server: ServerSpec,
    /// Added servers wait for approval unless this is explicitly `false`.
    #[serde(default = "default_true")]
    pub quarantine: bool,
}

fn default_true() -> bool {
    true
}
