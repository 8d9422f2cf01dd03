//! `mcpproxy version`: this program's version and, when a daemon answers on the data dir's
//! socket, the daemon's. It never starts a daemon.

use clap::Args;
use mcpproxy_daemon::client::{Client, ClientError};
use mcpproxy_daemon::protocol::{PROTOCOL_VERSION, Status, is_stateless_mcp_version};
use serde::Serialize;

use super::{Failure, Global};

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  mcpproxy version\n  mcpproxy version --json | jq .daemon.version"
)]
pub struct VersionArgs {}

/// What `version --json` prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VersionReport {
    pub cli: Versions,
    /// The running daemon's; `None` when none answers.
    pub daemon: Option<Versions>,
    /// Why the daemon could not be asked, when one seems to be there but did not answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub daemon_error: Option<String>,
}

/// The versions one side speaks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Versions {
    /// mcpproxy's release.
    pub version: String,
    /// The control-API contract (`Status.protocol_version`).
    pub protocol_version: u32,
    /// MCP revisions spoken, newest first.
    pub mcp_protocol_versions: Vec<String>,
}

impl Versions {
    fn this_program() -> Self {
        Self {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            protocol_version: PROTOCOL_VERSION,
            mcp_protocol_versions: mcpproxy_daemon::protocol::mcp_protocol_versions(),
        }
    }

    fn of_daemon(status: Status) -> Self {
        Self {
            version: status.version,
            protocol_version: status.protocol_version,
            mcp_protocol_versions: status.mcp_protocol_versions,
        }
    }
}

pub async fn run(global: &Global, _args: VersionArgs) -> Result<(), Failure> {
    let (daemon, daemon_error) = match global.paths() {
        // No data dir to look in (no home): there is no daemon to ask.
        Err(_) => (None, None),
        Ok(paths) => match Client::socket(&paths.socket).status().await {
            Ok(status) => (Some(Versions::of_daemon(status)), None),
            Err(ClientError::NotRunning { .. }) => (None, None),
            Err(error) => (None, Some(error.to_string())),
        },
    };
    let report = VersionReport {
        cli: Versions::this_program(),
        daemon,
        daemon_error,
    };
    global.output().print(&report, render)
}

fn render(report: &VersionReport) -> String {
    let line = |who: &str, v: &Versions| {
        let mcp: Vec<String> = v
            .mcp_protocol_versions
            .iter()
            .map(|m| {
                let era = if is_stateless_mcp_version(m) {
                    "stateless"
                } else {
                    "sessions"
                };
                format!("{m} {era}")
            })
            .collect();
        format!(
            "{who:<8} {} (control protocol {}, MCP {})",
            v.version,
            v.protocol_version,
            mcp.join(", ")
        )
    };
    let mut lines = vec![line("mcpproxy", &report.cli)];
    match (&report.daemon, &report.daemon_error) {
        (Some(daemon), _) => {
            lines.push(line("daemon", daemon));
            if daemon.protocol_version != report.cli.protocol_version {
                lines.push(
                    "the daemon speaks another control protocol: run `mcpproxy daemon restart`"
                        .to_owned(),
                );
            }
        }
        (None, Some(error)) => lines.push(format!("daemon   cannot be asked: {error}")),
        (None, None) => lines.push("daemon   not running".to_owned()),
    }
    lines.join("\n")
}
