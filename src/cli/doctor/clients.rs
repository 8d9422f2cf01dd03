//! Which AI clients' config files, at their standard locations, point at mcpproxy. The
//! formats are the ones `config import` reads.

use std::path::{Path, PathBuf};

use mcpproxy_daemon::config::import;
use serde::Serialize;

use crate::cli::clients::AiClient;

/// One client config file that exists.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClientConfig {
    /// The client, as people call it.
    pub client: &'static str,
    pub path: PathBuf,
    /// The entries in it that run `mcpproxy` or reach its `/mcp` endpoint.
    pub mcpproxy_entries: Vec<String>,
    /// Why the file could not be read, when it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The client config files in `home`, and their entries that point at mcpproxy (one whose
/// command is `mcpproxy`, or whose URL is `listen`'s `/mcp`).
pub fn scan(home: &Path, listen: Option<&str>) -> Vec<ClientConfig> {
    AiClient::ALL
        .into_iter()
        .filter_map(|ai_client| {
            let format = ai_client.import_format()?;
            let client = ai_client.label();
            let path = ai_client.config_path(home);
            if !path.is_file() {
                return None;
            }
            Some(match import::read_source(&path, Some(format)) {
                Ok(source) => ClientConfig {
                    client,
                    mcpproxy_entries: source
                        .servers
                        .iter()
                        .filter(|s| {
                            points_at_mcpproxy(
                                s.server.command.as_deref(),
                                s.server.url.as_deref(),
                                listen,
                            )
                        })
                        .map(|s| s.name.clone())
                        .collect(),
                    path,
                    error: None,
                },
                Err(e) => ClientConfig {
                    client,
                    path,
                    mcpproxy_entries: Vec::new(),
                    error: Some(e.to_string()),
                },
            })
        })
        .collect()
}

fn points_at_mcpproxy(command: Option<&str>, url: Option<&str>, listen: Option<&str>) -> bool {
    let runs_mcpproxy = command.is_some_and(|c| {
        Path::new(c)
            .file_stem()
            .is_some_and(|stem| stem.eq_ignore_ascii_case("mcpproxy"))
    });
    let reaches_endpoint = url.is_some_and(|url| {
        listen.is_some_and(|listen| !listen.is_empty() && url.contains(&format!("{listen}/mcp")))
    });
    runs_mcpproxy || reaches_endpoint
}
