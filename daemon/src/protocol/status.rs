//! Who the daemon is, and the whole state a client rebuilds its screens from.

use std::path::PathBuf;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{HeldItem, SearchStatus, ServerView, ToolView};

/// `GET /api/v1/status`: who the daemon is, where it lives, and how its servers are doing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Status {
    /// mcpproxy version of the running daemon.
    pub version: String,
    /// Control-API contract version ([`super::PROTOCOL_VERSION`]).
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
    /// Why the config file on disk is not the one running: the daemon refused the last
    /// change and keeps serving its last good config until the file is fixed. Empty when
    /// the file and the running config agree.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub config_problems: Vec<ConfigProblem>,
    /// The TCP API key; only present when asked for (`?show_key=true`) over the socket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    /// Where tool search stands (model, vectors made); absent from older daemons.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search: Option<SearchStatus>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerCounts {
    pub total: u32,
    pub ready: u32,
    /// Servers that should run but are not ready: backing off, needing a login, or stopped.
    pub failing: u32,
    pub quarantined: u32,
}

/// Everything a client needs to draw itself from scratch; the first event of every stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub status: Status,
    pub servers: Vec<ServerView>,
    /// Every tool agents can see now (held items are not among them).
    #[serde(default)]
    pub tools: Vec<ToolView>,
    /// Items the catalog gate holds back from agents, with the reason.
    #[serde(default)]
    pub held: Vec<HeldItem>,
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

impl std::fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.line,
            self.column,
            self.message
        )
    }
}
