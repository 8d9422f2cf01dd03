//! The records the store keeps, as JSON values in redb tables. Fields added later are
//! `#[serde(default)]`, so a newer daemon reads what an older one wrote without a migration.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::protocol::{Finding, ReviewStatus};

/// Who approved a pinned content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Approver {
    /// Seen first on an approved server and found clean by the scanner.
    Scanner,
    /// A person approved it (`upstream approve NAME ITEM`, the TUI, the API).
    Person,
}

/// The approved content of an item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pin {
    pub hash: String,
    /// The item's MCP JSON as approved, to show what a change changed.
    pub content: serde_json::Value,
    pub at: Timestamp,
    pub by: Approver,
}

/// A content a person rejected: held, and not asked about again until it changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rejection {
    pub hash: String,
    pub content: serde_json::Value,
    pub at: Timestamp,
}

/// Why the review holds an item: kept so the findings survive a restart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredReview {
    pub hash: String,
    pub status: ReviewStatus,
    #[serde(default)]
    pub findings: Vec<Finding>,
    pub at: Timestamp,
}
