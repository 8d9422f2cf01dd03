//! Codex's `~/.codex/config.toml`: `[mcp_servers.NAME]` tables.

use std::time::Duration;

use super::claude::entries;
use super::entry::{Entry, Variables, is_env_name, settle, timeout, translate};
use super::source::{Found, PathSeg, SourceDoc};
use super::{ImportError, ImportFormat};
use crate::config::{ServerConfig, TransportSetting};

pub(super) fn servers(doc: &SourceDoc<'_>) -> Result<Vec<Found>, ImportError> {
    let format = ImportFormat::Codex;
    let servers = doc.object_at(format, &["mcp_servers"])?.ok_or_else(|| {
        doc.shape_error(format, &[], "there is no [mcp_servers] table".to_owned())
    })?;
    Ok(entries(servers, &[PathSeg::key("mcp_servers")], server))
}

/// Stdio: `command, args, env, cwd`. Streamable HTTP: `url, bearer_token_env_var,
/// http_headers, env_http_headers`. Both: `enabled`, `startup_timeout_sec` (or the older
/// `startup_timeout_ms`), `tool_timeout_sec`. `env_vars` (names to pass through from Codex's
/// own environment) needs nothing: children inherit the daemon's environment.
fn server(entry: &Entry<'_>) -> Result<ServerConfig, String> {
    if entry.has("bearer_token") {
        return Err(
            "it has an inline `bearer_token`, which Codex itself refuses; use `bearer_token_env_var`"
                .to_owned(),
        );
    }
    let mut server = ServerConfig {
        command: entry.text("command")?,
        args: entry.list("args")?,
        env: entry.table("env")?,
        cwd: entry.path("cwd")?,
        url: entry.text("url")?,
        headers: entry.table("http_headers")?,
        enabled: entry.flag("enabled")?.unwrap_or(true),
        ..ServerConfig::default()
    };
    if server.url.is_some() {
        // Codex speaks only streamable HTTP to a url.
        server.transport = TransportSetting::Http;
    }
    // Codex passes values on as written; the references below are ours, so they are added
    // after this check.
    translate(&mut server, Variables::Literal("Codex"))?;
    let reference = |field: &str, var: &str| {
        if is_env_name(var) {
            Ok(format!("${{env:{var}}}"))
        } else {
            Err(format!(
                "`{field}` = \"{var}\" is not an environment variable name"
            ))
        }
    };
    for (header, var) in entry.table("env_http_headers")? {
        let value = reference("env_http_headers", &var)?;
        server.headers.insert(header, value);
    }
    if let Some(var) = entry.text("bearer_token_env_var")? {
        let value = reference("bearer_token_env_var", &var)?;
        server
            .headers
            .insert("Authorization".to_owned(), format!("Bearer {value}"));
    }
    if let Some(seconds) = entry.number("startup_timeout_sec")? {
        server.connect_timeout = timeout("startup_timeout_sec", seconds, Duration::from_secs(1))?;
    } else if let Some(millis) = entry.number("startup_timeout_ms")? {
        server.connect_timeout = timeout("startup_timeout_ms", millis, Duration::from_millis(1))?;
    }
    if let Some(seconds) = entry.number("tool_timeout_sec")? {
        server.call_timeout = timeout("tool_timeout_sec", seconds, Duration::from_secs(1))?;
    }
    settle(server)
}
