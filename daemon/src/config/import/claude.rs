//! Claude Desktop's `claude_desktop_config.json` and Claude Code's `.mcp.json` /
//! `~/.claude.json`.

use serde_json::{Map, Value};

use super::entry::{Entry, Variables, finish, read_common};
use super::source::{Found, PathSeg, SourceDoc};
use super::{ImportError, ImportFormat};
use crate::config::ServerConfig;

/// `{"mcpServers": {NAME: {command, args, env}}}`. Claude Desktop expands no variables.
pub(super) fn desktop(doc: &SourceDoc<'_>) -> Result<Vec<Found>, ImportError> {
    let format = ImportFormat::ClaudeDesktop;
    let servers = doc.object_at(format, &["mcpServers"])?.ok_or_else(|| {
        doc.shape_error(format, &[], "there is no `mcpServers` object".to_owned())
    })?;
    Ok(entries(servers, &[PathSeg::key("mcpServers")], |entry| {
        finish(read_common(entry)?, Variables::Literal("Claude Desktop"))
    }))
}

/// `.mcp.json` has `mcpServers`; `~/.claude.json` has user-scope `mcpServers` and per-project
/// ones under `projects.<path>.mcpServers`.
pub(super) fn code(doc: &SourceDoc<'_>) -> Result<Vec<Found>, ImportError> {
    let format = ImportFormat::ClaudeCode;
    let mut found = Vec::new();
    let top = doc.object_at(format, &["mcpServers"])?;
    if let Some(servers) = top {
        found.extend(entries(servers, &[PathSeg::key("mcpServers")], code_server));
    }
    let projects = doc.object_at(format, &["projects"])?;
    for (project, settings) in projects.into_iter().flatten() {
        let servers = match settings.get("mcpServers") {
            Some(Value::Object(servers)) => servers,
            _ => continue,
        };
        let section = [
            PathSeg::key("projects"),
            PathSeg::key(project),
            PathSeg::key("mcpServers"),
        ];
        // Servers switched off in `/mcp` are listed by name in the project's settings.
        let disabled: Vec<&str> = settings
            .get("disabledMcpServers")
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut project_found = entries(servers, &section, code_server);
        for item in &mut project_found {
            if let Ok(server) = &mut item.server
                && disabled.contains(&item.name.as_str())
            {
                server.enabled = false;
            }
        }
        found.extend(project_found);
    }
    if top.is_none() && projects.is_none() {
        return Err(doc.shape_error(
            format,
            &[],
            "there is neither an `mcpServers` nor a `projects` object".to_owned(),
        ));
    }
    Ok(found)
}

fn code_server(entry: &Entry<'_>) -> Result<ServerConfig, String> {
    // Claude Code runs this command and sends what it prints as headers; there is no
    // equivalent here, and without it the server would be reached unauthenticated.
    if entry.has("headersHelper") {
        return Err(
            "it gets its headers from a `headersHelper` command, which mcpproxy does not run"
                .to_owned(),
        );
    }
    finish(read_common(entry)?, Variables::ClaudeCode)
}

/// Every `NAME: {...}` of a servers object, converted.
pub(super) fn entries(
    servers: &Map<String, Value>,
    section: &[PathSeg],
    convert: impl Fn(&Entry<'_>) -> Result<ServerConfig, String>,
) -> Vec<Found> {
    servers
        .iter()
        .map(|(name, value)| {
            let mut path = section.to_vec();
            path.push(PathSeg::key(name));
            Found {
                name: name.clone(),
                section: path,
                anchor: None,
                server: Entry::of(value).and_then(|entry| convert(&entry)),
            }
        })
        .collect()
}
