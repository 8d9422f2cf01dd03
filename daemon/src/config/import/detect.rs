//! Which client wrote a file, from its name and the shape of its content, for when
//! `--format` is not given.

use std::path::Path;

use serde_json::Value;

use super::source::{SourceDoc, Syntax};
use super::{ImportError, ImportFormat};

/// TOML for `.toml` files and text that does not start like JSON; JSON otherwise.
pub(super) fn syntax(path: &Path, text: &str) -> Syntax {
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    match extension.as_deref() {
        Some("toml") => Syntax::Toml,
        Some("json" | "jsonc" | "json5") => Syntax::Json,
        _ => {
            let start = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
            if start.starts_with(['{', '/']) {
                Syntax::Json
            } else {
                Syntax::Toml
            }
        }
    }
}

/// Which client wrote this file, from its name and the shape of its content.
pub(super) fn format(path: &Path, doc: &SourceDoc<'_>) -> Result<ImportFormat, ImportError> {
    let lower = |name: Option<&std::ffi::OsStr>| {
        name.map(|n| n.to_string_lossy().to_lowercase())
            .unwrap_or_default()
    };
    let file_name = lower(path.file_name());
    let dir_name = lower(path.parent().and_then(Path::file_name));
    let named = |hint: &str| file_name.contains(hint) || dir_name.contains(hint);
    let unknown = |reason: &str| ImportError::UnknownFormat {
        path: path.to_path_buf(),
        reason: reason.to_owned(),
    };
    let root = &doc.root;

    if doc.syntax == Syntax::Toml {
        return match root.get("mcp_servers") {
            Some(servers) if servers.is_object() => Ok(ImportFormat::Codex),
            _ => Err(unknown("it is TOML without an [mcp_servers] table")),
        };
    }
    let is_object = |value: Option<&Value>| value.is_some_and(|v| v.is_object());
    let mcp_servers = root.get("mcpServers");
    let any_server_has = |key: &str| {
        mcp_servers
            .and_then(Value::as_object)
            .is_some_and(|servers| servers.values().any(|server| server.get(key).is_some()))
    };
    let format = if file_name == "claude_desktop_config.json" {
        ImportFormat::ClaudeDesktop
    } else if mcp_servers.is_some_and(Value::is_array) {
        ImportFormat::Mcpproxy
    } else if file_name == ".claude.json"
        || file_name == ".mcp.json"
        || is_object(root.get("projects"))
    {
        ImportFormat::ClaudeCode
    } else if is_object(root.get("servers"))
        || is_object(root.pointer("/mcp/servers"))
        || is_object(root.get("mcp.servers"))
    {
        ImportFormat::Vscode
    } else if !is_object(mcp_servers) {
        return Err(unknown(
            "it has no `mcpServers`, `servers`, `mcp.servers` or `projects`",
        ));
    } else if named("cursor") {
        ImportFormat::Cursor
    } else if named("gemini") || file_name == "settings.json" || any_server_has("httpUrl") {
        ImportFormat::Gemini
    } else if named("vscode") {
        ImportFormat::Vscode
    } else {
        // The shape Claude Desktop introduced, which most other clients copied.
        ImportFormat::ClaudeDesktop
    };
    Ok(format)
}
