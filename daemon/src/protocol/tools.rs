//! Upstream tools (and the other items a server offers) as clients see them, calls, and the
//! items the catalog gate holds back.

use serde::{Deserialize, Serialize};

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

    /// The `/mcp/call` tool an agent calls a tool of this intent with.
    pub fn call_tool(self) -> &'static str {
        match self {
            Self::Read => "call_tool_read",
            Self::Write => "call_tool_write",
            Self::Destructive => "call_tool_destructive",
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

/// The kinds of item a server offers, each of which passes the catalog gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    Tool,
    Prompt,
    Resource,
    ResourceTemplate,
    #[serde(other)]
    Unknown,
}

impl ItemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tool => "tool",
            Self::Prompt => "prompt",
            Self::Resource => "resource",
            Self::ResourceTemplate => "resource_template",
            Self::Unknown => "unknown",
        }
    }
}

impl std::fmt::Display for ItemKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An item the catalog gate holds back: invisible to agents and refused when called, until
/// what held it lets it pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldItem {
    pub server: String,
    pub kind: ItemKind,
    /// The item's name (a resource's URI).
    pub name: String,
    /// The gate stage that holds it (`review`, `switches`, ...).
    pub stage: String,
    /// Why, in one sentence a person can act on.
    pub reason: String,
    /// The hash of the item's content as held; a changed item is a new version.
    pub hash: String,
}

/// The gate stage of per-tool switches, as [`HeldItem::stage`] names it: what tells a tool
/// a person switched off from one held for review.
pub const SWITCHES_STAGE: &str = "switches";

/// `POST /api/v1/servers/NAME/tools/disable` and `.../tools/enable`: switch tools of one
/// server off or back on. The switches are kept in `config.toml` (`disabled_tools`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolSwitch {
    /// Tool names as the server calls them (not `server:tool`).
    #[serde(default)]
    pub tools: Vec<String>,
    /// Every tool of the server: all its current tools when disabling, every disabled one
    /// when enabling.
    #[serde(default)]
    pub all: bool,
}

/// The switches of one server after a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolSwitches {
    pub server: String,
    /// The tools switched off, in the order `config.toml` lists them.
    #[serde(default)]
    pub disabled_tools: Vec<String>,
    /// The tools this request switched (those already so are not named).
    #[serde(default)]
    pub changed: Vec<String>,
}

/// `GET /api/v1/held`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldList {
    pub held: Vec<HeldItem>,
}

/// `GET /api/v1/tools/search?q=QUERY&limit=N`: the tools agents can call now, best match
/// first, ranked as `retrieve_tools` ranks them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolSearch {
    pub query: String,
    pub results: Vec<ToolMatch>,
    /// How many tools were searched.
    #[serde(default)]
    pub total_tools: u64,
    /// How the index ranks right now.
    #[serde(default)]
    pub search: SearchStatus,
}

/// One search result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolMatch {
    pub tool: ToolView,
    /// Higher is better; comparable only between results ranked the same way.
    pub score: f64,
    #[serde(default)]
    pub ranked_by: RankedBy,
}

/// Which ranking put a result where it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RankedBy {
    /// The query named the tool (or nearly: a typo or two).
    Name,
    /// By meaning: the local embedding model.
    Meaning,
    /// By words (BM25).
    Words,
    #[default]
    #[serde(other)]
    Unknown,
}

/// The search model, as far as tool search is concerned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchModel {
    /// Search on words only, by choice.
    Off,
    /// Not installed (or damaged): search on words only until `mcpproxy model install`.
    Unavailable,
    /// Loading, or making the tools' vectors: words rank meanwhile.
    Loading,
    Ready,
    #[default]
    #[serde(other)]
    Unknown,
}

/// Where tool search stands: which model, how many tools have their vectors.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchStatus {
    pub model: SearchModel,
    /// Tools in the index.
    pub tools: u64,
    /// Tools whose vector is made.
    pub with_vectors: u64,
    /// Vectors the model made since the daemon started (the others came from the cache).
    #[serde(default)]
    pub embedded: u64,
    /// True when searches rank by meaning (model ready, every tool has its vector).
    pub semantic: bool,
    /// Why search is on words only, and what to do, when it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}
