//! What the tool-poisoning scanner found in an item (a tool, prompt or resource template), as
//! clients see it beside a held item.

use serde::{Deserialize, Serialize};

/// The scanner's findings, defined with the scanner (its crate is built for speed, see
/// ARCHITECTURE.md "Memory") and part of this protocol.
pub use mcpproxy_scan::{Finding, FindingCategory, Severity};

/// Where an item stands in the review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewStatus {
    /// Approved: this exact content is pinned and served.
    Pinned,
    /// Seen for the first time and flagged by the scanner: held until a person approves it.
    Flagged,
    /// Its content differs from the pinned one: held until a person approves the change.
    Changed,
    /// A person rejected this content: held until the content changes again.
    Rejected,
    /// Not looked at: a server in quarantine inspected before approval, or an item held by
    /// another stage.
    Unreviewed,
    /// A status a newer daemon knows and this client does not.
    #[serde(other)]
    Unknown,
}

impl ReviewStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pinned => "pinned",
            Self::Flagged => "flagged",
            Self::Changed => "changed",
            Self::Rejected => "rejected",
            Self::Unreviewed => "unreviewed",
            Self::Unknown => "unknown",
        }
    }

    /// Whether the item waits for a person.
    pub fn is_held(self) -> bool {
        matches!(self, Self::Flagged | Self::Changed | Self::Rejected)
    }
}

impl std::fmt::Display for ReviewStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One item under review, with what a person needs to decide: the content as the server
/// offers it, the approved content it replaces, and what the scanner found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewItem {
    pub server: String,
    pub kind: super::ItemKind,
    pub name: String,
    pub status: ReviewStatus,
    /// The hash of `content`.
    pub hash: String,
    /// The item as the server offers it now (MCP JSON).
    pub content: serde_json::Value,
    /// The approved content it differs from (for `changed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinned: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Finding>,
    /// Why it is held, in one sentence that names the command to review it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

/// `GET /api/v1/quarantine`: what waits for a person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quarantine {
    /// Servers added but not approved: listed, not started.
    pub servers: Vec<super::ServerView>,
    /// Items held by the review: flagged, changed or rejected.
    pub items: Vec<ReviewItem>,
}

/// `POST /api/v1/servers/NAME/approve` and `.../reject`: with no items the server itself
/// (quarantine lifted, or a pending server removed); with items, those items of the server
/// (by name; a name shared by a tool and a prompt covers both).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewDecision {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<String>,
    /// The content hash the person was shown, by item name (the whole hash or a prefix of at
    /// least 8 characters): only the held item with that content is decided. An item that
    /// changed again after it was shown is refused (409), so nobody approves content they
    /// did not see.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub hashes: std::collections::BTreeMap<String, String>,
}

/// The answer to an item approval or rejection: the items decided.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewDecided {
    pub server: String,
    pub items: Vec<ReviewItem>,
}

/// `GET /api/v1/servers/NAME/inspect?run=BOOL`: every item of a server with its review
/// status and findings. A quarantined server is connected in review mode (catalog fetched,
/// nothing served, disconnected); a quarantined stdio server only with `run`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inspection {
    pub server: String,
    /// Connected only to be inspected (the server is quarantined).
    #[serde(default)]
    pub review_mode: bool,
    pub items: Vec<ReviewItem>,
}

/// One line of a line diff between two texts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiffLine<'a> {
    Same(&'a str),
    Removed(&'a str),
    Added(&'a str),
}

/// A line diff (longest common subsequence) of `before` and `after`: what the CLI and the
/// TUI show for a changed item. Quadratic, which is fine for one item's JSON.
pub fn line_diff<'a>(before: &'a str, after: &'a str) -> Vec<DiffLine<'a>> {
    let a: Vec<&str> = before.lines().collect();
    let b: Vec<&str> = after.lines().collect();
    // common[i][j]: length of the longest common subsequence of a[i..] and b[j..].
    let mut common = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            common[i][j] = if a[i] == b[j] {
                common[i + 1][j + 1] + 1
            } else {
                common[i + 1][j].max(common[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut lines = Vec::with_capacity(a.len().max(b.len()));
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            lines.push(DiffLine::Same(a[i]));
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || common[i + 1][j] >= common[i][j + 1]) {
            // Removed lines first, as diffs read.
            lines.push(DiffLine::Removed(a[i]));
            i += 1;
        } else {
            lines.push(DiffLine::Added(b[j]));
            j += 1;
        }
    }
    lines
}

/// An item's JSON as the diff shows it: pretty, keys sorted (serde_json's map is ordered).
pub fn diff_text(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}
