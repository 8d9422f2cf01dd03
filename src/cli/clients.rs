//! The AI clients mcpproxy knows: where each keeps its MCP servers (the standard user-level
//! file, relative to the home directory) and, where `config import` reads it, in which format.
//! `doctor`, `connect` and `config import` all find client files here.

use std::path::{Path, PathBuf};

use mcpproxy_daemon::config::import::ImportFormat;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AiClient {
    ClaudeCode,
    ClaudeDesktop,
    Cursor,
    Vscode,
    Windsurf,
    Codex,
    Gemini,
    Opencode,
}

impl AiClient {
    pub const ALL: [Self; 8] = [
        Self::ClaudeCode,
        Self::ClaudeDesktop,
        Self::Cursor,
        Self::Vscode,
        Self::Windsurf,
        Self::Codex,
        Self::Gemini,
        Self::Opencode,
    ];

    /// The name commands take.
    pub fn name(self) -> &'static str {
        match self {
            Self::ClaudeCode => "claude-code",
            Self::ClaudeDesktop => "claude-desktop",
            Self::Cursor => "cursor",
            Self::Vscode => "vscode",
            Self::Windsurf => "windsurf",
            Self::Codex => "codex",
            Self::Gemini => "gemini",
            Self::Opencode => "opencode",
        }
    }

    /// The client, as people call it.
    pub fn label(self) -> &'static str {
        match self {
            Self::ClaudeCode => "Claude Code",
            Self::ClaudeDesktop => "Claude Desktop",
            Self::Cursor => "Cursor",
            Self::Vscode => "VS Code",
            Self::Windsurf => "Windsurf",
            Self::Codex => "Codex",
            Self::Gemini => "Gemini CLI",
            Self::Opencode => "opencode",
        }
    }

    /// The format `config import` reads the client's file in; None when it reads none.
    pub fn import_format(self) -> Option<ImportFormat> {
        match self {
            Self::ClaudeCode => Some(ImportFormat::ClaudeCode),
            // Windsurf's file has Claude Desktop's shape (`mcpServers`, `command`/`args`).
            Self::ClaudeDesktop | Self::Windsurf => Some(ImportFormat::ClaudeDesktop),
            Self::Cursor => Some(ImportFormat::Cursor),
            Self::Vscode => Some(ImportFormat::Vscode),
            Self::Codex => Some(ImportFormat::Codex),
            Self::Gemini => Some(ImportFormat::Gemini),
            Self::Opencode => None,
        }
    }

    /// The client's user-level MCP config file under `home`.
    pub fn config_path(self, home: &Path) -> PathBuf {
        let mac = cfg!(target_os = "macos");
        let relative = match self {
            Self::ClaudeCode => ".claude.json",
            Self::ClaudeDesktop if mac => {
                "Library/Application Support/Claude/claude_desktop_config.json"
            }
            Self::ClaudeDesktop => ".config/Claude/claude_desktop_config.json",
            Self::Cursor => ".cursor/mcp.json",
            Self::Vscode if mac => "Library/Application Support/Code/User/mcp.json",
            Self::Vscode => ".config/Code/User/mcp.json",
            Self::Windsurf => ".codeium/windsurf/mcp_config.json",
            Self::Codex => ".codex/config.toml",
            Self::Gemini => ".gemini/settings.json",
            Self::Opencode => {
                // opencode reads `opencode.json`, or `opencode.jsonc` when only that exists.
                let json = home.join(".config/opencode/opencode.json");
                let jsonc = home.join(".config/opencode/opencode.jsonc");
                return if !json.exists() && jsonc.exists() {
                    jsonc
                } else {
                    json
                };
            }
        };
        home.join(relative)
    }

    pub fn names() -> String {
        Self::ALL.map(Self::name).join(", ")
    }
}

impl std::str::FromStr for AiClient {
    type Err = String;

    fn from_str(given: &str) -> Result<Self, Self::Err> {
        let wanted = given.trim().to_ascii_lowercase().replace('_', "-");
        Self::ALL
            .into_iter()
            .find(|client| client.name() == wanted)
            .ok_or_else(|| {
                format!(
                    "unknown client \"{given}\"; the clients are: {}",
                    Self::names()
                )
            })
    }
}
