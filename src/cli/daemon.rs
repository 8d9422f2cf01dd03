//! `mcpproxy daemon start|stop|restart`, and attaching to the daemon (starting one when none
//! answers) for the commands that need one.

use std::time::Duration;

use clap::Subcommand;
use mcpproxy_daemon::client::attach::{self, Attach, Attached, StartDaemon};
use mcpproxy_daemon::paths::Paths;
use mcpproxy_daemon::protocol::GoodbyeReason;
use serde::Serialize;

use super::{Failure, Global};

#[derive(Debug, Subcommand)]
pub enum DaemonCommand {
    /// Start the daemon in the background (no-op when one is running)
    #[command(
        after_help = "Examples:\n  mcpproxy daemon start\n  mcpproxy daemon start --listen 127.0.0.1:9090"
    )]
    Start {
        /// MCP + REST over TCP, host:port; overrides `listen` in the config
        #[arg(long, env = "MCPPROXY_LISTEN", value_name = "ADDR")]
        listen: Option<String>,
    },
    /// Stop the running daemon gracefully
    #[command(after_help = "Example:\n  mcpproxy daemon stop")]
    Stop,
    /// Stop the running daemon, then start a new one
    #[command(
        after_help = "Examples:\n  mcpproxy daemon restart\n  mcpproxy daemon restart --listen 127.0.0.1:0"
    )]
    Restart {
        /// MCP + REST over TCP, host:port; overrides `listen` in the config
        #[arg(long, env = "MCPPROXY_LISTEN", value_name = "ADDR")]
        listen: Option<String>,
    },
}

#[derive(Debug, Serialize)]
struct Outcome {
    action: &'static str,
    pid: Option<u32>,
    socket: String,
}

pub async fn run(global: &Global, command: DaemonCommand) -> Result<(), Failure> {
    let paths = global.paths()?;
    let output = global.output();
    match command {
        DaemonCommand::Start { listen } => {
            let attached = attach_or_start(global, listen).await?;
            let action = if attached.started {
                "started"
            } else {
                "already running"
            };
            let pid = attached.status.pid;
            output.print(&outcome(action, Some(pid), &paths), |o| {
                format!("mcpproxy daemon {} (pid {pid})", o.action)
            })
        }
        DaemonCommand::Stop => {
            let pid = attach::stop(&paths, GoodbyeReason::Shutdown).await?;
            let action = if pid.is_some() {
                "stopped"
            } else {
                "not running"
            };
            output.print(&outcome(action, pid, &paths), |o| match o.pid {
                Some(pid) => format!("mcpproxy daemon stopped (pid {pid})"),
                None => "no mcpproxy daemon is running".to_owned(),
            })
        }
        DaemonCommand::Restart { listen } => {
            attach::stop(&paths, restart_reason(&paths).await).await?;
            let attached = attach_or_start(global, listen).await?;
            let pid = attached.status.pid;
            output.print(&outcome("restarted", Some(pid), &paths), |_| {
                format!("mcpproxy daemon restarted (pid {pid})")
            })
        }
    }
}

/// A daemon of another version is being replaced, not just restarted.
pub(super) async fn restart_reason(paths: &Paths) -> GoodbyeReason {
    let client = mcpproxy_daemon::client::Client::socket(&paths.socket);
    match client.get::<serde_json::Value>("/status").await {
        Ok(status) if status["version"] != env!("CARGO_PKG_VERSION") => GoodbyeReason::Replaced,
        _ => GoodbyeReason::Restart,
    }
}

fn outcome(action: &'static str, pid: Option<u32>, paths: &Paths) -> Outcome {
    Outcome {
        action,
        pid,
        socket: paths.socket.display().to_string(),
    }
}

/// Attaches to the daemon, starting one in the background when none answers.
pub async fn attach_or_start(global: &Global, listen: Option<String>) -> Result<Attached, Failure> {
    let mut start = StartDaemon::this_executable()?;
    start.listen = listen;
    start.log_level.clone_from(&global.log_level);
    Ok(Attach::new(global.paths()?)
        .starting(start)
        .connect()
        .await?)
}

/// Attaches for a command that reads or changes servers. A daemon this started is given time
/// to bring its servers up first (each within its `connect_timeout`), so the answer shows them
/// as they are, not all `connecting`.
pub async fn attach_settled(global: &Global) -> Result<Attached, Failure> {
    let attached = attach_or_start(global, None).await?;
    if attached.started {
        eprintln!(
            "started the mcpproxy daemon (pid {}); waiting for its servers to connect",
            attached.status.pid
        );
        attached.wait_settled(settle_limit(global)).await?;
    }
    Ok(attached)
}

/// The longest `connect_timeout` of the servers that will run, plus a margin.
fn settle_limit(global: &Global) -> Duration {
    const MARGIN: Duration = Duration::from_secs(2);
    let longest = global
        .paths()
        .ok()
        .and_then(|paths| {
            std::fs::read_to_string(&paths.config)
                .ok()
                .map(|t| (paths, t))
        })
        .and_then(|(paths, text)| {
            mcpproxy_daemon::config::parse_unexpanded(&paths.config, &text).ok()
        })
        .and_then(|config| {
            config
                .servers
                .values()
                .filter(|s| s.should_run())
                .map(|s| s.connect_timeout)
                .max()
        })
        .unwrap_or(Duration::ZERO);
    longest + MARGIN
}
