//! Stdio children: each in its own process group, stopped in two phases, and watched by the
//! guard so none outlives the daemon.
//!
//! Stop is two-phase, as in MCPProxy: the caller first closes the MCP connection (which
//! closes the child's stdin) and [`ChildProcess::stop`] waits up to `shutdown_grace` for the
//! group to exit; then SIGTERM goes to the whole group, and SIGKILL after `kill_grace`.
//! Signalling the group, not the pid, reaches grandchildren (`npx` → `node`, `uvx` → python).

use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use rustix::process::{Pid, Signal};
use tokio::process::{ChildStderr, ChildStdin, ChildStdout, Command};

use super::guard::Guard;
use super::procfs;

/// How often a stopping group is checked for survivors.
const POLL: Duration = Duration::from_millis(20);

/// A running stdio server process and its process group.
#[derive(Debug)]
pub struct ChildProcess {
    child: tokio::process::Child,
    pgid: i32,
    guard: Option<Guard>,
    exit: Option<ExitStatus>,
    /// Set once a stop finished; a child dropped before that is killed at once.
    stopped: bool,
}

/// The child's pipes; the MCP transport takes stdin and stdout.
#[derive(Debug)]
pub struct ChildPipes {
    pub stdin: ChildStdin,
    pub stdout: ChildStdout,
    pub stderr: ChildStderr,
}

/// How a stop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopOutcome {
    /// The group exited after stdin closed.
    Exited,
    /// It needed SIGTERM.
    Terminated,
    /// It needed SIGKILL.
    Killed,
}

impl ChildProcess {
    /// Spawns `command` in a new process group with piped stdio, and registers the group
    /// with the guard.
    pub fn spawn(
        mut command: Command,
        guard: Option<Guard>,
    ) -> std::io::Result<(Self, ChildPipes)> {
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(false);
        let mut child = super::reaper::spawn_owned(|| command.spawn(), tokio::process::Child::id)?;
        let pid = child
            .id()
            .and_then(|id| i32::try_from(id).ok())
            .ok_or_else(|| {
                std::io::Error::other("the child exited before its pid could be read")
            })?;
        if let Some(guard) = &guard {
            guard.watch(pid);
        }
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(std::io::Error::other("the child's pipes were not created"));
        };
        Ok((
            Self {
                child,
                pgid: pid,
                guard,
                exit: None,
                stopped: false,
            },
            ChildPipes {
                stdin,
                stdout,
                stderr,
            },
        ))
    }

    pub fn pid(&self) -> u32 {
        self.pgid.unsigned_abs()
    }

    /// Waits for the child itself to exit.
    pub async fn wait(&mut self) -> std::io::Result<ExitStatus> {
        if let Some(status) = self.exit {
            return Ok(status);
        }
        let status = self.child.wait().await?;
        self.exit = Some(status);
        super::reaper::waited(self.pgid);
        Ok(status)
    }

    /// Phases one and two of a stop; the caller has already closed the child's stdin.
    pub async fn stop(mut self, shutdown_grace: Duration, kill_grace: Duration) -> StopOutcome {
        let outcome = if self.group_exits_within(shutdown_grace).await {
            StopOutcome::Exited
        } else {
            self.signal_group(Signal::TERM);
            if self.group_exits_within(kill_grace).await {
                StopOutcome::Terminated
            } else {
                self.signal_group(Signal::KILL);
                // SIGKILL cannot be refused; this only waits for the kernel to reap.
                let _ = self.group_exits_within(Duration::from_secs(2)).await;
                StopOutcome::Killed
            }
        };
        if let Some(guard) = &self.guard {
            guard.unwatch(self.pgid);
        }
        self.stopped = true;
        outcome
    }

    /// Kills the whole group: SIGTERM now, SIGKILL 200 ms later to whatever is left (the
    /// child already failed, so it gets no time to read a closed stdin).
    pub async fn kill(self) {
        self.stop(Duration::ZERO, Duration::from_millis(200)).await;
    }

    async fn group_exits_within(&mut self, grace: Duration) -> bool {
        let deadline = crate::deadline::tokio_from_now(grace);
        loop {
            // Reap our own child first, so it does not linger as a zombie member.
            if self.exit.is_none()
                && let Ok(Some(status)) = self.child.try_wait()
            {
                self.exit = Some(status);
                super::reaper::waited(self.pgid);
            }
            if self.exit.is_some() && !procfs::group_alive(self.pgid) {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(POLL).await;
        }
    }

    fn signal_group(&self, signal: Signal) {
        if let Some(pgid) = Pid::from_raw(self.pgid) {
            let _ = rustix::process::kill_process_group(pgid, signal);
        }
    }
}

impl Drop for ChildProcess {
    /// A child abandoned mid-way (its supervisor was cancelled while connecting) must not
    /// live on: kill its group, no grace.
    fn drop(&mut self) {
        if !self.stopped {
            self.signal_group(Signal::KILL);
            if let Ok(Some(_)) = self.child.try_wait() {
                super::reaper::waited(self.pgid);
            }
            if let Some(guard) = &self.guard {
                guard.unwatch(self.pgid);
            }
        }
    }
}
