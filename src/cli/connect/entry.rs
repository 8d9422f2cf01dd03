//! The entry each client gets, in the shape its documentation gives: how it starts
//! `mcpproxy stdio`, or where it finds the `/mcp` URL.

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::cli::clients::AiClient;
use crate::cli::{Failure, Global};

/// How the client reaches mcpproxy.
#[derive(Debug, Clone)]
pub enum Target {
    /// Runs this program with these arguments (`stdio`, after `--data-dir` when one was given).
    Stdio { command: PathBuf, args: Vec<String> },
    /// Streamable HTTP at this URL.
    Http { url: String },
}

/// The entry for one client.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    Json(Value),
    /// Codex's `[mcp_servers.mcpproxy]` keys.
    Toml(toml::Table),
}

impl Entry {
    /// The entry as JSON, for reports.
    pub fn json(&self) -> Value {
        match self {
            Self::Json(value) => value.clone(),
            Self::Toml(table) => serde_json::to_value(table).unwrap_or(Value::Null),
        }
    }
}

impl Target {
    /// `mcpproxy [--data-dir DIR] stdio`, with this executable's absolute path.
    pub fn stdio(global: &Global) -> Result<Self, Failure> {
        let command = std::env::current_exe().map_err(|e| {
            Failure::error(format!(
                "cannot tell where this mcpproxy executable is: {e}"
            ))
        })?;
        let mut args = Vec::new();
        if let Some(dir) = &global.data_dir {
            let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.clone());
            args.push("--data-dir".to_owned());
            args.push(dir.to_string_lossy().into_owned());
        }
        args.push("stdio".to_owned());
        Ok(Self::Stdio { command, args })
    }

    /// The config's `listen` address with `/mcp`.
    pub fn http(global: &Global) -> Result<Self, Failure> {
        let paths = global.paths()?;
        let listen = match std::fs::read_to_string(&paths.config) {
            Ok(text) => {
                mcpproxy_daemon::config::parse_unexpanded(&paths.config, &text)
                    .map_err(|e| {
                        Failure::error(format!("the config is not valid:\n{e}"))
                            .hint("`mcpproxy config check` shows where")
                    })?
                    .listen
            }
            Err(_) => mcpproxy_daemon::config::DEFAULT_LISTEN.to_owned(),
        };
        let Some((host, port)) = listen.rsplit_once(':').filter(|(_, port)| *port != "0") else {
            return Err(Failure::usage(format!(
                "the daemon listens on \"{listen}\", which gives no fixed URL to point a client at"
            ))
            .hint("set `listen` in config.toml to a fixed host:port, or connect without --http"));
        };
        let host = match host {
            "0.0.0.0" | "" => "127.0.0.1",
            "[::]" => "[::1]",
            other => other,
        };
        Ok(Self::Http {
            url: format!("http://{host}:{port}/mcp"),
        })
    }

    /// The entry in `client`'s format.
    pub fn entry(&self, client: AiClient) -> Result<Entry, Failure> {
        let entry = match (self, client) {
            (Self::Stdio { command, args }, AiClient::Codex) => {
                let mut table = toml::Table::new();
                table.insert("command".into(), command.to_string_lossy().as_ref().into());
                table.insert("args".into(), args.clone().into());
                return Ok(Entry::Toml(table));
            }
            (Self::Http { url }, AiClient::Codex) => {
                let mut table = toml::Table::new();
                table.insert("url".into(), url.as_str().into());
                return Ok(Entry::Toml(table));
            }
            (Self::Stdio { command, args }, AiClient::Opencode) => {
                let mut line = vec![command.to_string_lossy().into_owned()];
                line.extend(args.iter().cloned());
                json!({"type": "local", "command": line, "enabled": true})
            }
            (Self::Stdio { command, args }, AiClient::ClaudeCode | AiClient::Vscode) => {
                json!({"type": "stdio", "command": command, "args": args})
            }
            (Self::Stdio { command, args }, _) => json!({"command": command, "args": args}),
            (Self::Http { url }, AiClient::ClaudeCode | AiClient::Vscode) => {
                json!({"type": "http", "url": url})
            }
            (Self::Http { url }, AiClient::Opencode) => {
                json!({"type": "remote", "url": url, "enabled": true})
            }
            (Self::Http { url }, AiClient::Cursor) => json!({"url": url}),
            (Self::Http { url }, AiClient::Windsurf) => json!({"serverUrl": url}),
            (Self::Http { url }, AiClient::Gemini) => json!({"httpUrl": url}),
            (Self::Http { .. }, AiClient::ClaudeDesktop) => {
                return Err(Failure::usage(
                    "Claude Desktop's config file only starts commands; it takes no URL",
                )
                .hint("connect it without --http: it runs `mcpproxy stdio`"));
            }
        };
        Ok(Entry::Json(entry))
    }
}

/// Where a client keeps its servers in its file.
pub fn container(client: AiClient) -> &'static str {
    match client {
        AiClient::Vscode => "servers",
        AiClient::Opencode => "mcp",
        AiClient::Codex => "mcp_servers",
        _ => "mcpServers",
    }
}

/// A new file of the client's, before any server is in it.
pub fn new_file(client: AiClient) -> &'static str {
    match client {
        AiClient::Opencode => "{\n  \"$schema\": \"https://opencode.ai/config.json\"\n}\n",
        AiClient::Codex => "",
        _ => "{}\n",
    }
}
