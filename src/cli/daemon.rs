//! `mcpproxy daemon start|stop|restart`, and starting a daemon on demand for the commands
//! that need one.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use clap::Subcommand;
use mcpproxy_daemon::client::{Client, ClientError};
use mcpproxy_daemon::paths::Paths;
use mcpproxy_daemon::protocol::{Ack, Status};
use serde::Serialize;

use super::{Failure, Global};

/// How long a starting daemon may take to answer on its socket.
const START_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a stopping daemon may take to exit (its own bound is 10 s plus upstream graces).
const STOP_TIMEOUT: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(10);

#[derive(Debug, Subcommand)]
pub enum DaemonCommand {
    /// Start the daemon in the background (no-op when one is running)
    Start {
        /// MCP + REST over TCP, host:port; overrides `listen` in the config
        #[arg(long, env = "MCPPROXY_LISTEN", value_name = "ADDR")]
        listen: Option<String>,
    },
    /// Stop the running daemon gracefully
    Stop,
    /// Stop the running daemon, then start a new one
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
            let (status, started) = ensure_running(global, &paths, listen.as_deref()).await?;
            let action = if started {
                "started"
            } else {
                "already running"
            };
            output.print(&outcome(action, Some(status.pid), &paths), |o| {
                format!("mcpproxy daemon {} (pid {})", o.action, status.pid)
            })
        }
        DaemonCommand::Stop => {
            let pid = stop(&paths).await?;
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
            stop(&paths).await?;
            let (status, _) = ensure_running(global, &paths, listen.as_deref()).await?;
            output.print(&outcome("restarted", Some(status.pid), &paths), |_| {
                format!("mcpproxy daemon restarted (pid {})", status.pid)
            })
        }
    }
}

fn outcome(action: &'static str, pid: Option<u32>, paths: &Paths) -> Outcome {
    Outcome {
        action,
        pid,
        socket: paths.socket.display().to_string(),
    }
}

/// Returns the running daemon's status, starting one first if none answers. The flag says
/// whether this call started it.
pub async fn ensure_running(
    global: &Global,
    paths: &Paths,
    listen: Option<&str>,
) -> Result<(Status, bool), Failure> {
    let client = Client::socket(&paths.socket);
    match client.status().await {
        Ok(status) => return Ok((status, false)),
        Err(ClientError::NotRunning { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    let mut child = spawn_detached(global, paths, listen)?;
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        match client.status().await {
            Ok(status) => return Ok((status, true)),
            Err(ClientError::NotRunning { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        if let Ok(Some(exit)) = child.try_wait() {
            // Exit code 3: another client started a daemon first; wait for it instead.
            if exit.code() != Some(3) {
                return Err(start_failure(paths, exit.code()));
            }
        }
        if Instant::now() > deadline {
            return Err(Failure::new(
                1,
                format!(
                    "the daemon did not answer within {}s",
                    START_TIMEOUT.as_secs()
                ),
            )
            .hint(format!("see {}", paths.daemon_log().display())));
        }
        tokio::time::sleep(POLL).await;
    }
}

fn spawn_detached(
    global: &Global,
    paths: &Paths,
    listen: Option<&str>,
) -> Result<std::process::Child, Failure> {
    let exe = std::env::current_exe()
        .map_err(|e| Failure::new(1, format!("cannot find the mcpproxy executable: {e}")))?;
    let stderr_path = paths.daemon_stderr();
    let stderr = open_stderr_file(&stderr_path).map_err(|e| {
        Failure::new(
            if e.kind() == std::io::ErrorKind::PermissionDenied {
                5
            } else {
                1
            },
            format!("cannot create {}: {e}", stderr_path.display()),
        )
    })?;
    let mut command = std::process::Command::new(exe);
    command
        .arg("serve")
        .arg("--detached")
        .arg("--data-dir")
        .arg(&paths.data_dir)
        .env_remove("MCPPROXY_LISTEN")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr);
    if !paths.config_is_default {
        command.arg("--config").arg(&paths.config);
    }
    if let Some(socket) = &global.socket {
        command.arg("--socket").arg(socket);
    }
    if let Some(listen) = listen {
        command.arg("--listen").arg(listen);
    }
    if let Some(level) = &global.log_level {
        command.arg("--log-level").arg(level);
    }
    command
        .spawn()
        .map_err(|e| Failure::new(1, format!("cannot start the daemon: {e}")))
}

fn open_stderr_file(path: &Path) -> std::io::Result<std::fs::File> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::File::create(path)
}

/// The daemon exited during start-up: pass on its exit code and what it printed.
fn start_failure(paths: &Paths, code: Option<i32>) -> Failure {
    let printed = std::fs::read_to_string(paths.daemon_stderr()).unwrap_or_default();
    let code = code.and_then(|c| u8::try_from(c).ok()).unwrap_or(1);
    let printed = printed.trim();
    if printed.is_empty() {
        Failure::new(code, "the daemon exited during start-up")
            .hint(format!("see {}", paths.daemon_log().display()))
    } else {
        // It already formatted its error and hint; show them as they are.
        Failure::new(code, printed.trim_start_matches("error: ").to_owned())
    }
}

/// Asks the daemon to stop and waits for its process to end. `None`: none was running.
pub async fn stop(paths: &Paths) -> Result<Option<u32>, Failure> {
    let client = Client::socket(&paths.socket);
    let pid = match client.status().await {
        Ok(status) => status.pid,
        Err(ClientError::NotRunning { .. }) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let _: Ack = client.post("/shutdown", &()).await?;
    let deadline = Instant::now() + STOP_TIMEOUT;
    while process_exists(pid) {
        if Instant::now() > deadline {
            return Err(Failure::new(
                1,
                format!(
                    "the daemon (pid {pid}) did not stop within {}s",
                    STOP_TIMEOUT.as_secs()
                ),
            )
            .hint(format!(
                "see {}; `kill -9 {pid}` ends it at once",
                paths.daemon_log().display()
            )));
        }
        tokio::time::sleep(POLL).await;
    }
    Ok(Some(pid))
}

fn process_exists(pid: u32) -> bool {
    i32::try_from(pid).is_ok_and(mcpproxy_daemon::upstream::procfs::alive)
}
