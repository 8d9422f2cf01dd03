//! The config model: what `config.toml` may say. Every struct denies unknown keys, so a typo
//! is an error with a location and a suggestion instead of a silently ignored setting.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use self::tui::{KeyChord, KeyList, KeyName, ThemeName, TuiCommand, TuiConfig};
use crate::protocol::TransportKind;

mod tui;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// The longest duration any setting accepts. Anything longer is a typo (or an attempt to
/// overflow a deadline), and a day is longer than any call, grace or ping interval needs.
pub const MAX_DURATION: Duration = Duration::from_secs(24 * 60 * 60);
/// How [`MAX_DURATION`] is written in messages.
pub const MAX_DURATION_TEXT: &str = "24h";

/// The whole `config.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// MCP + REST over TCP, `host:port`. Port 0 picks a free port; `""` turns TCP off.
    #[serde(default = "default_listen")]
    pub listen: String,
    /// What `/mcp` serves.
    #[serde(default)]
    pub routing: Routing,
    /// When true, `/mcp*` on TCP needs the API key too.
    #[serde(default)]
    pub require_mcp_auth: bool,
    /// What clients may hold at once.
    #[serde(default, skip_serializing_if = "is_default")]
    pub limits: Limits,
    /// Whether finished tool calls are kept, and for how long.
    #[serde(default, skip_serializing_if = "is_default")]
    pub activity: ActivityConfig,
    /// Upstream servers by name.
    #[serde(default)]
    pub servers: BTreeMap<String, ServerConfig>,
    /// How `mcpproxy tui` looks and which keys it answers to.
    #[serde(default, skip_serializing_if = "is_default")]
    pub tui: TuiConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: default_listen(),
            routing: Routing::default(),
            require_mcp_auth: false,
            limits: Limits::default(),
            activity: ActivityConfig::default(),
            servers: BTreeMap::new(),
            tui: TuiConfig::default(),
        }
    }
}

/// `[limits]`: bounds on what MCP clients may hold in the daemon. They apply on restart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Live MCP sessions, every endpoint and both doors together. At the limit a new session
    /// closes the least recently used idle one; when none is idle it is refused (503).
    #[serde(default = "default_mcp_sessions")]
    pub mcp_sessions: u32,
    /// A session with no request in flight and no open stream for this long is closed.
    #[serde(default = "default_mcp_session_idle", with = "humantime_serde")]
    pub mcp_session_idle: Duration,
}

/// The largest `limits.mcp_sessions` accepted.
pub const MAX_MCP_SESSIONS: u32 = 100_000;

impl Default for Limits {
    fn default() -> Self {
        Self {
            mcp_sessions: default_mcp_sessions(),
            mcp_session_idle: default_mcp_session_idle(),
        }
    }
}

fn default_mcp_sessions() -> u32 {
    256
}

fn default_mcp_session_idle() -> Duration {
    Duration::from_secs(5 * 60)
}

/// `[activity]`: the activity log of finished tool calls (`data.redb`). Applies on reload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityConfig {
    /// Keep finished calls; `false` keeps none (the live activity events still flow).
    #[serde(default = "yes")]
    pub record: bool,
    /// Calls kept at most; the oldest give way.
    #[serde(default = "default_activity_keep")]
    pub keep: u64,
    /// Calls older than this are dropped.
    #[serde(default = "default_activity_max_age", with = "humantime_serde")]
    pub max_age: Duration,
}

/// The largest `activity.keep` accepted.
pub const MAX_ACTIVITY_KEEP: u64 = 10_000_000;
/// The longest `activity.max_age` accepted (about ten years), and how it is written.
pub const MAX_ACTIVITY_AGE: Duration = Duration::from_secs(3650 * 24 * 60 * 60);
pub const MAX_ACTIVITY_AGE_TEXT: &str = "3650d";

impl Default for ActivityConfig {
    fn default() -> Self {
        Self {
            record: true,
            keep: default_activity_keep(),
            max_age: default_activity_max_age(),
        }
    }
}

fn default_activity_keep() -> u64 {
    100_000
}

fn default_activity_max_age() -> Duration {
    Duration::from_secs(30 * 24 * 60 * 60)
}

fn default_listen() -> String {
    DEFAULT_LISTEN.to_owned()
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Routing {
    /// A small surface: `retrieve_tools` to search, `call_tool_*` to call.
    #[default]
    RetrieveTools,
    /// Every upstream tool directly, as `server__tool`.
    Direct,
}

/// Servers built into mcpproxy, run from its own executable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Builtin {
    /// `mcpproxy demo-server`: offline time, arithmetic and text tools.
    Demo,
}

/// How to reach a server; `auto` derives it from `command`/`url`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransportSetting {
    /// stdio for `command`/`builtin`; for `url`, streamable HTTP, falling back to SSE.
    #[default]
    Auto,
    Stdio,
    Http,
    Sse,
}

impl TransportSetting {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Stdio => "stdio",
            Self::Http => "http",
            Self::Sse => "sse",
        }
    }
}

impl std::str::FromStr for TransportSetting {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "auto" => Ok(Self::Auto),
            "stdio" => Ok(Self::Stdio),
            "http" => Ok(Self::Http),
            "sse" => Ok(Self::Sse),
            other => Err(format!(
                "unknown transport \"{other}\": use auto, stdio, http or sse"
            )),
        }
    }
}

/// One `[servers.NAME]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// A server built into mcpproxy (`"demo"`); `args` are appended to its command line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub builtin: Option<Builtin>,
    /// Program to run as a stdio server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// Extra environment for the child.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    /// Working directory of the child (`~` is expanded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<PathBuf>,
    /// Endpoint of a remote server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "is_default")]
    pub transport: TransportSetting,
    /// HTTP headers sent to a remote server.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// How mcpproxy identifies itself when the server asks for an OAuth login; without
    /// it, discovery and dynamic registration decide.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth: Option<OAuthConfig>,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub enabled: bool,
    /// Listed but not started until a person approves it.
    #[serde(default, skip_serializing_if = "is_default")]
    pub quarantined: bool,
    /// Tools of this server a person switched off: held by the catalog gate, so agents
    /// neither see, find nor call them. Changing the list does not restart the server.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disabled_tools: Vec<String>,
    /// Refuse a call to this server whose arguments carry a secret (a private key, a cloud
    /// or API key, a token, a password in a URL) before it is sent. Changing it does not
    /// restart the server.
    #[serde(default, skip_serializing_if = "is_default")]
    pub block_secrets: bool,
    /// Spawn/connect plus MCP initialisation must finish within this.
    #[serde(default = "default_connect_timeout", with = "humantime_serde")]
    pub connect_timeout: Duration,
    /// One tool call must finish within this.
    #[serde(default = "default_call_timeout", with = "humantime_serde")]
    pub call_timeout: Duration,
    /// Stop, phase one: after closing stdin, wait this long for the child to exit.
    #[serde(default = "default_shutdown_grace", with = "humantime_serde")]
    pub shutdown_grace: Duration,
    /// Stop, phase two: after SIGTERM, wait this long before SIGKILL.
    #[serde(default = "default_kill_grace", with = "humantime_serde")]
    pub kill_grace: Duration,
    /// An idle remote server is pinged this often, so a dead one is noticed.
    #[serde(default = "default_ping_interval", with = "humantime_serde")]
    pub ping_interval: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            builtin: None,
            command: None,
            args: Vec::new(),
            env: BTreeMap::new(),
            cwd: None,
            url: None,
            transport: TransportSetting::Auto,
            headers: BTreeMap::new(),
            oauth: None,
            enabled: true,
            quarantined: false,
            disabled_tools: Vec::new(),
            block_secrets: false,
            connect_timeout: default_connect_timeout(),
            call_timeout: default_call_timeout(),
            shutdown_grace: default_shutdown_grace(),
            kill_grace: default_kill_grace(),
            ping_interval: default_ping_interval(),
        }
    }
}

impl ServerConfig {
    /// The transport this server will use (for `auto` with a URL, the first one tried).
    pub fn transport_kind(&self) -> TransportKind {
        match self.transport {
            TransportSetting::Stdio => TransportKind::Stdio,
            TransportSetting::Http => TransportKind::Http,
            TransportSetting::Sse => TransportKind::Sse,
            TransportSetting::Auto if self.url.is_some() => TransportKind::Http,
            TransportSetting::Auto => TransportKind::Stdio,
        }
    }

    /// True when the server's command may run: enabled and not quarantined.
    pub fn should_run(&self) -> bool {
        self.enabled && !self.quarantined
    }

    /// Whether the server runs the same with `other`: they differ at most in settings the
    /// gate or each call applies to a running server (`disabled_tools`, `block_secrets`),
    /// so no restart is needed.
    pub fn runs_like(&self, other: &Self) -> bool {
        Self {
            disabled_tools: Vec::new(),
            block_secrets: false,
            ..self.clone()
        } == Self {
            disabled_tools: Vec::new(),
            block_secrets: false,
            ..other.clone()
        }
    }
}

/// `[servers.NAME.oauth]`: the client identity to log in with. Secrets in it are written as
/// `${secret:NAME}` references.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuthConfig {
    /// A client registered with the server's authorization server (skips registration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// Scopes to ask for; empty lets the server's metadata choose.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    /// HTTPS URL of mcpproxy's client ID metadata document, used as its client id where
    /// the authorization server supports that (instead of registering).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_metadata_url: Option<String>,
    /// Port of the loopback redirect listener (`http://127.0.0.1:PORT/callback`); 0 picks
    /// a free one. A client registered with a fixed redirect URI needs its port here.
    #[serde(default, skip_serializing_if = "is_default")]
    pub redirect_port: u16,
}

fn yes() -> bool {
    true
}

fn is_true(value: &bool) -> bool {
    *value
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

fn default_connect_timeout() -> Duration {
    Duration::from_secs(30)
}

fn default_call_timeout() -> Duration {
    Duration::from_secs(120)
}

fn default_shutdown_grace() -> Duration {
    Duration::from_secs(10)
}

fn default_kill_grace() -> Duration {
    Duration::from_secs(9)
}

fn default_ping_interval() -> Duration {
    Duration::from_secs(30)
}
