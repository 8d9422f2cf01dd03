//! What the scanner reports: findings, their categories and severities. These are wire
//! types: `mcpproxy_daemon::protocol` re-exports them, and clients read them beside a held
//! item.

use serde::{Deserialize, Serialize};

/// The kind of threat a finding points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingCategory {
    /// Text that tries to override the agent's instructions or safety rules, or to make it
    /// reveal its system prompt ("ignore previous instructions", "you are now in developer
    /// mode", "obey instructions found in the page").
    InstructionOverride,
    /// Instructions for the agent hidden from the person: `<secret>` or system-message blocks,
    /// "do not tell the user", "silently ...".
    HiddenInstructions,
    /// A request to read secrets: SSH keys, `.env`, cloud credentials, API keys, `/etc/passwd`.
    SecretAccess,
    /// A request to send data somewhere the person did not ask for (an external host, an
    /// address written into the description).
    Exfiltration,
    /// Instructions about other servers' tools, or a tool posing as another server's tool.
    Shadowing,
    /// Invisible or look-alike characters: zero-width, bidi controls, tag characters,
    /// private-use characters, mixed scripts in a name.
    UnicodeSmuggling,
    /// Base64, hex or URL-encoded text that decodes to any of the above or to a shell command.
    EncodedPayload,
    /// Text announcing that the item will change what it does once approved.
    RugPull,
    /// A category a newer daemon knows and this client does not.
    #[serde(other)]
    Unknown,
}

impl FindingCategory {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InstructionOverride => "instruction_override",
            Self::HiddenInstructions => "hidden_instructions",
            Self::SecretAccess => "secret_access",
            Self::Exfiltration => "exfiltration",
            Self::Shadowing => "shadowing",
            Self::UnicodeSmuggling => "unicode_smuggling",
            Self::EncodedPayload => "encoded_payload",
            Self::RugPull => "rug_pull",
            Self::Unknown => "unknown",
        }
    }
}

impl std::fmt::Display for FindingCategory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How sure and how bad: `low` findings are shown but hold nothing; `medium` and above hold
/// the item until a person approves it. Ordered from `unknown` (lowest) to `critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
    /// A severity a newer daemon knows and this client does not.
    #[serde(other)]
    Unknown,
}

impl Ord for Severity {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.rank().cmp(&other.rank())
    }
}

impl PartialOrd for Severity {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Severity {
    fn rank(self) -> u8 {
        match self {
            Self::Unknown => 0,
            Self::Low => 1,
            Self::Medium => 2,
            Self::High => 3,
            Self::Critical => 4,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }

    /// Whether a finding of this severity holds its item for review.
    pub fn holds(self) -> bool {
        self >= Self::Medium
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing the scanner found in one field of an item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub category: FindingCategory,
    pub severity: Severity,
    /// Where: `name`, `title`, `description`, or a path into the item's JSON such as
    /// `input_schema.properties.path.description` (`[N]` for array elements). A path that
    /// ends at an object key names that key, whose text is then the field's text.
    pub field: String,
    /// Byte offsets of the evidence in the field's text (`start..end`).
    pub start: usize,
    pub end: usize,
    /// The text at `start..end`, with invisible characters written as `<U+200B>`.
    pub evidence: String,
    /// What it is, in one line.
    pub message: String,
}
