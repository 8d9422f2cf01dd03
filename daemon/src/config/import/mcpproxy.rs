//! MCPProxy's (the Go original's) `~/.mcpproxy/mcp_config.json`.

use serde_json::Value;

use super::entry::{Entry, Variables, finish, transport_named};
use super::source::{Found, PathSeg, SourceDoc};
use super::{ImportError, ImportFormat};
use crate::config::ServerConfig;

/// `mcpServers` is a list of `{name, protocol, command, args, working_dir, env, url,
/// headers, enabled, quarantined, ...}`; the file's many other settings are not ours.
pub(super) fn servers(doc: &SourceDoc<'_>) -> Result<Vec<Found>, ImportError> {
    let format = ImportFormat::Mcpproxy;
    let section = [PathSeg::key("mcpServers")];
    let servers = match doc.root.get("mcpServers") {
        Some(Value::Array(servers)) => servers,
        Some(_) => {
            return Err(doc.shape_error(format, &section, "`mcpServers` is not a list".to_owned()));
        }
        None => {
            return Err(doc.shape_error(format, &[], "there is no `mcpServers` list".to_owned()));
        }
    };
    Ok(servers
        .iter()
        .enumerate()
        .map(|(index, value)| {
            let path = vec![PathSeg::key("mcpServers"), PathSeg::Index(index)];
            let mut anchor = path.clone();
            anchor.push(PathSeg::key("name"));
            let entry = Entry::of(value);
            let name = entry
                .as_ref()
                .ok()
                .and_then(|entry| entry.text("name").ok().flatten());
            Found {
                name: name
                    .clone()
                    .unwrap_or_else(|| format!("mcpServers[{index}]")),
                section: path,
                anchor: Some(anchor),
                server: match (entry, name) {
                    (Err(reason), _) => Err(reason),
                    (Ok(_), None) => Err("it has no `name`".to_owned()),
                    (Ok(entry), Some(_)) => server(&entry),
                },
            }
        })
        .collect())
}

fn server(entry: &Entry<'_>) -> Result<ServerConfig, String> {
    let mut server = ServerConfig {
        command: entry.text("command")?,
        args: entry.list("args")?,
        env: entry.table("env")?,
        cwd: entry.path("working_dir")?,
        url: entry.text("url")?,
        headers: entry.table("headers")?,
        enabled: entry.flag("enabled")?.unwrap_or(true),
        ..ServerConfig::default()
    };
    if let Some(protocol) = entry.text("protocol")? {
        server.transport = transport_named("protocol", &protocol)?;
    }
    finish(server, Variables::Mcpproxy)
}
