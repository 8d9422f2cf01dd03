//! The wire contract between the daemon and every client (CLI, TUI, tray, scripts).
//!
//! These plain serde types are the only bodies `/api/v1/*` sends and accepts. Conventions:
//! snake_case field names, RFC 3339 UTC timestamps, lowercase state strings with their details
//! in optional sibling fields, lists wrapped in an object (`{"servers": [...]}`), SSE events
//! named by kind. Golden snapshots in `tests/protocol.rs` catch accidental changes.
//!
//! # Evolution
//! The contract grows without breaking anyone: a newer daemon may add event kinds, fields,
//! enum values and error codes, and a client skips what it does not know (unknown event kinds
//! decode to `None`, unknown fields are ignored, unknown enum values read as `unknown`).
//! [`PROTOCOL_VERSION`] changes only when something is removed or renamed; clients compare
//! it in their handshake (`client::attach`).

mod activity;
mod events;
mod logs;
mod oauth;
mod review;
mod servers;
mod status;
mod tools;

use serde::{Deserialize, Serialize};

pub use self::activity::{
    Activity, ActivityList, ActivitySummary, CallOutcome, CallVariant, PREVIEW_CUT, SummaryGroup,
    SummaryRow,
};
pub use self::events::{Event, Goodbye, GoodbyeReason, ShutdownRequest, SseMessage};
pub use self::logs::{LogLevel, LogLine, LogOrigin, LogTail};
pub use self::oauth::{AuthList, AuthStatus, OAuthChange, OAuthEvent, ServerAuth};
pub use self::review::{
    DiffLine, Finding, FindingCategory, Inspection, Quarantine, ReviewDecided, ReviewDecision,
    ReviewItem, ReviewStatus, Severity, diff_text, line_diff,
};
pub use self::servers::{
    AddServer, ServerList, ServerSpec, ServerState, ServerView, TransportKind,
};
pub use self::status::{ConfigProblem, ServerCounts, State, Status};
pub use self::tools::{
    HeldItem, HeldList, Intent, ItemKind, RankedBy, SWITCHES_STAGE, SearchModel, SearchStatus,
    ToolCall, ToolCallResult, ToolHints, ToolList, ToolMatch, ToolSearch, ToolSwitch, ToolSwitches,
    ToolView,
};

/// Version of this control-API contract. Clients compare it with [`Status::protocol_version`].
pub const PROTOCOL_VERSION: u32 = 1;

/// MCP specification revisions the proxy speaks, newest first.
pub const MCP_PROTOCOL_VERSIONS: &[&str] = &["2026-07-28", "2025-11-25"];

/// [`MCP_PROTOCOL_VERSIONS`] as a status or a version report carries them.
pub fn mcp_protocol_versions() -> Vec<String> {
    MCP_PROTOCOL_VERSIONS
        .iter()
        .map(|v| (*v).to_owned())
        .collect()
}

/// The first MCP revision without sessions (`server/discover`, per-request metadata).
pub const FIRST_STATELESS_MCP_VERSION: &str = "2026-07-28";

/// Whether an MCP revision (`YYYY-MM-DD`, so ordered as text) is of the stateless era.
pub fn is_stateless_mcp_version(version: &str) -> bool {
    version >= FIRST_STATELESS_MCP_VERSION
}

/// Prefix of every control-API route.
pub const API_PREFIX: &str = "/api/v1";

/// A request was accepted; what it set in motion is reported through events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ack {
    pub message: String,
}

/// Machine-readable error codes of the control API. A code this client does not know reads
/// as [`ErrorCode::Unknown`]; the message and hint still say what happened.
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
    #[serde(other)]
    Unknown,
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

/// The message alone: the hint is a separate field, printed once by whoever shows it.
impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}
