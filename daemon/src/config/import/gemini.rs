//! Gemini CLI's `~/.gemini/settings.json` (and a project's `.gemini/settings.json`).

use std::time::Duration;

use serde_json::Value;

use super::claude::entries;
use super::entry::{Entry, Variables, finish, timeout, transport_named};
use super::source::{Found, PathSeg, SourceDoc};
use super::{ImportError, ImportFormat};
use crate::config::{ServerConfig, TransportSetting};

/// `mcpServers` with `command/args/env/cwd`, `url` (+ optional `type`), `httpUrl`,
/// `headers`, `timeout` (ms, per request). `trust`, `includeTools`, `excludeTools`, `oauth`,
/// `authProviderType` and the like have no equivalent here and are ignored.
pub(super) fn servers(doc: &SourceDoc<'_>) -> Result<Vec<Found>, ImportError> {
    let format = ImportFormat::Gemini;
    let servers = doc.object_at(format, &["mcpServers"])?.ok_or_else(|| {
        doc.shape_error(format, &[], "there is no `mcpServers` object".to_owned())
    })?;
    // `mcp.allowed` / `mcp.excluded` switch servers off by name; an imported one that Gemini
    // would not start arrives disabled.
    let names = |key: &str| -> Option<Vec<String>> {
        doc.root.get("mcp")?.get(key)?.as_array().map(|names| {
            names
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
    };
    // An empty allow-list restricts nothing, as in Gemini CLI.
    let allowed = names("allowed").filter(|allowed| !allowed.is_empty());
    let excluded = names("excluded").unwrap_or_default();
    let mut found = entries(servers, &[PathSeg::key("mcpServers")], server);
    for item in &mut found {
        let off = excluded.contains(&item.name)
            || allowed
                .as_ref()
                .is_some_and(|allowed| !allowed.contains(&item.name));
        if let (true, Ok(server)) = (off, &mut item.server) {
            server.enabled = false;
        }
    }
    Ok(found)
}

fn server(entry: &Entry<'_>) -> Result<ServerConfig, String> {
    let mut server = ServerConfig {
        command: entry.text("command")?,
        args: entry.list("args")?,
        env: entry.table("env")?,
        cwd: entry.path("cwd")?,
        headers: entry.table("headers")?,
        ..ServerConfig::default()
    };
    // Gemini's own order: `httpUrl` (streamable HTTP) wins over `url`. A `url` is SSE when
    // `type` says so, streamable HTTP when it says "http"; without `type`, older releases
    // took it as SSE and newer ones as HTTP, which `auto` covers (HTTP, then SSE).
    if let Some(url) = entry.text("httpUrl")? {
        server.url = Some(url);
        server.transport = TransportSetting::Http;
    } else if let Some(url) = entry.text("url")? {
        server.url = Some(url);
        if let Some(kind) = entry.text("type")? {
            server.transport = transport_named("type", &kind)?;
        }
    }
    if let Some(millis) = entry.number("timeout")? {
        server.call_timeout = timeout("timeout", millis, Duration::from_millis(1))?;
    }
    finish(server, Variables::Gemini)
}
