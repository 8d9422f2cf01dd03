//! Attaching to the daemon: find the one that answers on the control socket, or start one
//! (once, however many clients race to do it), then check that it speaks this client's
//! contract before anything else is said.
//!
//! Every client attaches here: the CLI, the stdio bridge, the TUI and the tray. What a client
//! then hears on [`Attached::events`] ends with a `goodbye` event saying why the daemon went
//! away, so the client can tell the person and decide whether to re-attach.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;

use super::{Client, ClientError, EventStream};
use crate::exit_code::ExitCode;
use crate::paths::Paths;
use crate::protocol::{Event, GoodbyeReason, PROTOCOL_VERSION, ServerState, Status};

/// How long a starting daemon may take to answer on its socket.
const START_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a stopping daemon may take to exit (its own bound is about 11 s).
const STOP_TIMEOUT: Duration = Duration::from_secs(30);
/// How often a starting or stopping daemon is looked at again.
const POLL: Duration = Duration::from_millis(10);

const EXITED_DURING_START: &str = "the daemon exited during start-up";

/// How to start a daemon when none answers.
#[derive(Debug, Clone)]
pub struct StartDaemon {
    /// The mcpproxy executable (`serve --detached` is run with it).
    pub exe: PathBuf,
    /// `--listen` for the new daemon; `None` keeps the config's.
    pub listen: Option<String>,
    /// `--log-level` for the new daemon.
    pub log_level: Option<String>,
}

impl StartDaemon {
    /// Starts daemons with the running executable.
    pub fn this_executable() -> Result<Self, AttachError> {
        let exe = std::env::current_exe().map_err(AttachError::NoExecutable)?;
        Ok(Self {
            exe,
            listen: None,
            log_level: None,
        })
    }
}

/// Where to attach, and whether to start a daemon when none answers.
#[derive(Debug, Clone)]
pub struct Attach {
    paths: Paths,
    start: Option<StartDaemon>,
}

/// A daemon that answered and speaks this client's contract.
#[derive(Debug, Clone)]
pub struct Attached {
    pub client: Client,
    /// Its status at the handshake.
    pub status: Status,
    /// True when this attach started it.
    pub started: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum AttachError {
    #[error("no mcpproxy daemon is running (nothing answers on {})", socket.display())]
    NotRunning { socket: PathBuf },
    #[error("the daemon speaks protocol {daemon}, this client {client}")]
    ProtocolMismatch {
        daemon: u32,
        client: u32,
        /// The daemon's mcpproxy version.
        daemon_version: String,
    },
    #[error("cannot find the mcpproxy executable: {0}")]
    NoExecutable(#[source] std::io::Error),
    #[error("cannot start the daemon: {0}")]
    Spawn(#[source] std::io::Error),
    #[error("cannot create {}: {source}", path.display())]
    StderrFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The new daemon exited during start-up; `message` and `hint` are what it printed.
    #[error("{message}")]
    StartFailed {
        code: ExitCode,
        message: String,
        hint: Option<String>,
        log: PathBuf,
    },
    #[error("the daemon did not answer within {}s of starting", START_TIMEOUT.as_secs())]
    StartTimeout { log: PathBuf },
    #[error("the daemon (pid {pid}) did not stop within {}s", STOP_TIMEOUT.as_secs())]
    StopTimeout { pid: u32, log: PathBuf },
    #[error(transparent)]
    Client(#[from] ClientError),
}

impl AttachError {
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::NotRunning { .. } => Some(
                "start one with `mcpproxy daemon start` (or `mcpproxy serve` in the foreground)"
                    .to_owned(),
            ),
            Self::ProtocolMismatch { .. } => Some(
                "run `mcpproxy daemon restart` so the daemon and its clients are the same version"
                    .to_owned(),
            ),
            Self::StderrFile { .. } => {
                Some("the data dir must be yours and writable; pass another --data-dir".to_owned())
            }
            Self::StartFailed {
                hint: Some(hint), ..
            } => Some(hint.clone()),
            Self::StartFailed { log, .. } => Some(format!("see {}", log.display())),
            Self::StartTimeout { log } => Some(format!("see {}", log.display())),
            Self::StopTimeout { pid, log } => Some(format!(
                "see {}; `kill -9 {pid}` ends it at once",
                log.display()
            )),
            Self::Client(e) => e.hint(),
            _ => None,
        }
    }

    /// The exit code a command ends with when it could not attach.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Self::StartFailed { code, .. } => *code,
            Self::StderrFile { source, .. } | Self::Spawn(source)
                if source.kind() == std::io::ErrorKind::PermissionDenied =>
            {
                ExitCode::PermissionDenied
            }
            _ => ExitCode::Error,
        }
    }
}

impl Attach {
    /// Attaches to the daemon of `paths` only if one is running.
    pub fn new(paths: Paths) -> Self {
        Self { paths, start: None }
    }

    /// Starts a daemon with `start` when none answers.
    pub fn starting(mut self, start: StartDaemon) -> Self {
        self.start = Some(start);
        self
    }

    pub fn paths(&self) -> &Paths {
        &self.paths
    }

    /// Finds (or starts) the daemon and checks its protocol version.
    pub async fn connect(&self) -> Result<Attached, AttachError> {
        let client = Client::socket(&self.paths.socket);
        let (status, started) = match client.status().await {
            Ok(status) => (status, false),
            Err(ClientError::NotRunning { socket }) => match &self.start {
                None => return Err(AttachError::NotRunning { socket }),
                Some(start) => (self.start_daemon(&client, start).await?, true),
            },
            Err(e) => return Err(e.into()),
        };
        handshake(&status)?;
        Ok(Attached {
            client,
            status,
            started,
        })
    }

    /// Spawns `serve --detached` and waits for a daemon to answer. When several clients race,
    /// every spawned daemon but one finds the data dir locked and exits 3; the others then
    /// wait for the winner.
    async fn start_daemon(
        &self,
        client: &Client,
        start: &StartDaemon,
    ) -> Result<Status, AttachError> {
        let mut child = spawn_detached(&self.paths, start)?;
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            match client.status().await {
                Ok(status) => return Ok(status),
                Err(ClientError::NotRunning { .. }) => {}
                Err(e) => return Err(e.into()),
            }
            if let Ok(Some(exit)) = child.try_wait() {
                let code = ExitCode::from_status(exit.code());
                if code != ExitCode::Locked {
                    return Err(start_failure(&self.paths, code));
                }
            }
            if Instant::now() > deadline {
                return Err(AttachError::StartTimeout {
                    log: self.paths.daemon_log(),
                });
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

impl Attached {
    /// The daemon's event stream: a snapshot, deltas, and `goodbye` when it goes away.
    pub async fn events(&self) -> Result<EventStream, ClientError> {
        self.client.events().await
    }

    /// Waits until no server that may run is still on its way (`connecting`, logging in):
    /// each is `ready` or has failed. Gives up quietly after `limit`; the caller then shows
    /// the servers as they are.
    pub async fn wait_settled(&self, limit: Duration) -> Result<(), ClientError> {
        let mut events = self.events().await?;
        let mut states: BTreeMap<String, ServerState> = BTreeMap::new();
        let settled = async {
            while let Some(event) = events.next().await {
                match event? {
                    Event::Snapshot(state) => {
                        states = state
                            .servers
                            .into_iter()
                            .map(|s| (s.name, s.state))
                            .collect();
                    }
                    Event::Server(view) => {
                        states.insert(view.name, view.state);
                    }
                    Event::ServerRemoved { name } => {
                        states.remove(&name);
                    }
                    Event::Goodbye(_) => break,
                    _ => continue,
                }
                if !states.values().any(|state| state.is_settling()) {
                    break;
                }
            }
            Ok(())
        };
        tokio::time::timeout(limit, settled).await.unwrap_or(Ok(()))
    }
}

/// Refuses a daemon whose contract differs from this client's. Only a removal or a renaming
/// changes the version (additions do not), so any difference means one side would misread
/// the other.
pub fn handshake(status: &Status) -> Result<(), AttachError> {
    if status.protocol_version == PROTOCOL_VERSION {
        Ok(())
    } else {
        Err(AttachError::ProtocolMismatch {
            daemon: status.protocol_version,
            client: PROTOCOL_VERSION,
            daemon_version: status.version.clone(),
        })
    }
}

/// Asks the daemon of `paths` to stop and waits for its process to end; `reason` is what its
/// event streams tell attached clients. `None`: none was running. This does not compare
/// protocol versions, so a daemon of another version can always be stopped.
pub async fn stop(paths: &Paths, reason: GoodbyeReason) -> Result<Option<u32>, AttachError> {
    let client = Client::socket(&paths.socket);
    let status: serde_json::Value = match client.get("/status").await {
        Ok(status) => status,
        Err(ClientError::NotRunning { .. }) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let pid = status
        .get("pid")
        .and_then(serde_json::Value::as_u64)
        .and_then(|pid| u32::try_from(pid).ok());
    client.shutdown(reason).await?;
    let Some(pid) = pid else {
        return Ok(None);
    };
    let deadline = Instant::now() + STOP_TIMEOUT;
    while process_exists(pid) {
        if Instant::now() > deadline {
            return Err(AttachError::StopTimeout {
                pid,
                log: paths.daemon_log(),
            });
        }
        tokio::time::sleep(POLL).await;
    }
    Ok(Some(pid))
}

fn spawn_detached(paths: &Paths, start: &StartDaemon) -> Result<std::process::Child, AttachError> {
    let stderr_path = paths.daemon_stderr();
    let stderr = open_stderr_file(&stderr_path).map_err(|source| AttachError::StderrFile {
        path: stderr_path.clone(),
        source,
    })?;
    let mut command = std::process::Command::new(&start.exe);
    command
        .arg("serve")
        .arg("--detached")
        .arg("--data-dir")
        .arg(&paths.data_dir)
        .arg("--socket")
        .arg(&paths.socket)
        .env_remove("MCPPROXY_LISTEN")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr);
    if !paths.config_is_default {
        command.arg("--config").arg(&paths.config);
    }
    if let Some(listen) = &start.listen {
        command.arg("--listen").arg(listen);
    }
    if let Some(level) = &start.log_level {
        command.arg("--log-level").arg(level);
    }
    command.spawn().map_err(AttachError::Spawn)
}

fn open_stderr_file(path: &Path) -> std::io::Result<std::fs::File> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::File::create(path)
}

/// The daemon exited during start-up: its exit code and what it printed (`error: ...` and
/// `hint: ...`, which the caller prints again its own way).
fn start_failure(paths: &Paths, code: ExitCode) -> AttachError {
    let printed = std::fs::read_to_string(paths.daemon_stderr()).unwrap_or_default();
    let (message, hint) = split_printed_error(&printed);
    AttachError::StartFailed {
        code,
        message: if message.is_empty() {
            EXITED_DURING_START.to_owned()
        } else {
            message
        },
        hint,
        log: paths.daemon_log(),
    }
}

/// An error as mcpproxy prints it on stderr, back into its message and hint.
fn split_printed_error(printed: &str) -> (String, Option<String>) {
    let mut message = Vec::new();
    let mut hint = None;
    for line in printed.trim().lines() {
        match line.strip_prefix("hint: ") {
            Some(rest) => hint = Some(rest.to_owned()),
            None => message.push(line.strip_prefix("error: ").unwrap_or(line)),
        }
    }
    (message.join("\n").trim().to_owned(), hint)
}

/// Whether a process runs (a zombie does not count: it has exited, only its entry is left).
pub fn process_exists(pid: u32) -> bool {
    let Ok(pid) = i32::try_from(pid) else {
        return false;
    };
    #[cfg(target_os = "linux")]
    {
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            // The state is the first field after the parenthesised command name.
            Ok(stat) => stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next())
                .is_some_and(|state| state != "Z" && state != "X"),
            Err(_) => false,
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        rustix::process::Pid::from_raw(pid)
            .is_some_and(|pid| rustix::process::test_kill_process(pid).is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_printed_error_splits_into_message_and_hint() {
        let (message, hint) =
            split_printed_error("error: config.toml:1:10: bad listen\n  --> here\nhint: fix it\n");
        assert_eq!(message, "config.toml:1:10: bad listen\n  --> here");
        assert_eq!(hint.as_deref(), Some("fix it"));
        assert_eq!(split_printed_error("").0, "");
    }
}
