//! Tool calls as the activity feed sees them.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

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
    #[serde(other)]
    Unknown,
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
    /// mcpproxy refused it (intent too weak, server quarantined or disabled, item held).
    Refused,
    Cancelled,
    Timeout,
    #[serde(other)]
    Unknown,
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
    /// The arguments as JSON text, secrets redacted, cut after about 1 KiB (then ending in
    /// [`PREVIEW_CUT`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<String>,
    /// The result as JSON text, redacted and cut like `arguments`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
}

/// What ends a preview that was cut.
pub const PREVIEW_CUT: &str = "…[cut]";

/// `GET /api/v1/activity`: finished calls from the activity log, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivityList {
    pub activity: Vec<Activity>,
}

/// `GET /api/v1/activity/summary`: finished calls counted by group over a period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivitySummary {
    pub by: SummaryGroup,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Timestamp>,
    /// Largest `calls` first.
    pub groups: Vec<SummaryRow>,
}

/// What a summary groups calls by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SummaryGroup {
    #[default]
    Server,
    /// `server:tool`.
    Tool,
    Outcome,
    #[serde(other)]
    Unknown,
}

/// One group of a summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryRow {
    /// The server, `server:tool` or outcome.
    pub key: String,
    pub calls: u64,
    /// Calls that did not end `ok` (tool errors, failures, refusals, timeouts,
    /// cancellations).
    pub errors: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p50_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p95_ms: Option<u64>,
}
