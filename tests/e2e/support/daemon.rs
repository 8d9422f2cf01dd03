//! A daemon under test: the real binary on a private temp data dir.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::Duration;

use mcpproxy_daemon::client::Client;
use mcpproxy_daemon::protocol::{ServerState, ServerView, Status};
use tempfile::TempDir;

use super::helpers::kill_and_reap;
use super::sandbox;
use super::wait::{wait_until, wait_until_blocking};

/// The binary under test, isolated in `sandbox` (the test's temp dir, usually its data dir):
/// its own `HOME`, none of the tests' `MCPPROXY_*` settings, and a default data dir that
/// cannot exist, so a command without `--data-dir` fails instead of reaching the real
/// `~/.mcpproxy` (see `tests/shared/sandbox.rs`).
pub fn mcpproxy(sandbox: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mcpproxy"));
    sandbox::isolate(&mut command, sandbox);
    command.env_remove("RUST_LOG");
    command
}

/// A temp data dir with a short path (unix socket paths are limited to ~107 bytes).
pub fn temp_data_dir() -> TempDir {
    tempfile::Builder::new()
        .prefix("mp")
        .tempdir_in(std::env::temp_dir())
        .expect("create a temp data dir")
}

pub struct TestDaemon {
    pub dir: TempDir,
    child: Option<Child>,
    pub client: Client,
}

impl TestDaemon {
    /// Writes `config` into a fresh data dir and starts `mcpproxy serve` on it, listening on
    /// a free TCP port; returns once the daemon answers on its socket.
    pub async fn start(config: &str) -> Self {
        let dir = temp_data_dir();
        std::fs::write(dir.path().join("config.toml"), config).unwrap();
        Self::start_in(dir, &[]).await
    }

    /// Starts a daemon on an existing data dir, with extra `serve` arguments.
    pub async fn start_in(dir: TempDir, extra_args: &[&str]) -> Self {
        let child = spawn_serve(dir.path(), extra_args);
        let mut daemon = Self {
            client: Client::socket(dir.path().join("mcpproxy.sock")),
            dir,
            child: Some(child),
        };
        daemon.wait_ready().await;
        daemon
    }

    async fn wait_ready(&mut self) {
        let client = self.client.clone();
        let child = self.child.as_mut().unwrap();
        wait_until(
            Duration::from_secs(20),
            "the daemon to answer on its socket",
            || {
                if let Ok(Some(status)) = child.try_wait() {
                    panic!("the daemon exited during start-up with {status}");
                }
                let client = client.clone();
                async move { client.status().await.ok() }
            },
        )
        .await;
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn socket(&self) -> PathBuf {
        self.dir.path().join("mcpproxy.sock")
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    pub async fn status(&self) -> Status {
        self.client.status().await.unwrap()
    }

    /// Waits until server `name` is in `state`; returns its view.
    pub async fn wait_state(
        &self,
        name: &str,
        state: ServerState,
        timeout: Duration,
    ) -> ServerView {
        let client = self.client.clone();
        let what = format!("server {name} to be {state}");
        wait_until(timeout, &what, || {
            let client = client.clone();
            async move {
                let list = client.servers().await.ok()?;
                list.servers
                    .into_iter()
                    .find(|s| s.name == name && s.state == state)
            }
        })
        .await
    }

    /// The daemon's config with a test line for a `builtin = "demo"` server with test tools.
    pub fn demo_server(name: &str, extra: &str) -> String {
        format!("[servers.{name}]\nbuiltin = \"demo\"\nargs = [\"--test-tools\"]\n{extra}\n")
    }

    /// Runs the CLI against this daemon's data dir.
    pub fn cli(&self, args: &[&str]) -> Output {
        // The data dir goes first: anything after a `--` in `args` belongs to a command.
        mcpproxy(self.data_dir())
            .arg("--data-dir")
            .arg(self.data_dir())
            .args(args)
            .output()
            .unwrap()
    }

    /// Sends a signal and waits (up to `timeout`) for the daemon to exit.
    pub fn signal_and_wait(
        &mut self,
        signal: rustix::process::Signal,
        timeout: Duration,
    ) -> ExitStatus {
        let child = self.child.as_mut().unwrap();
        let pid = rustix::process::Pid::from_child(child);
        rustix::process::kill_process(pid, signal).unwrap();
        let status =
            wait_until_blocking(timeout, "the daemon to exit", || child.try_wait().unwrap());
        self.child = None;
        status
    }

    /// Leaves the data dir behind for another daemon (the process must have exited).
    pub fn into_dir(mut self) -> TempDir {
        assert!(self.child.is_none(), "stop the daemon first");
        let dir = tempfile::Builder::new().tempdir().unwrap();
        std::mem::replace(&mut self.dir, dir)
    }
}

impl Drop for TestDaemon {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            kill_and_reap(&mut child);
        }
    }
}

/// `mcpproxy serve` on `data_dir` with a free TCP port; stderr goes to `serve.stderr` there.
pub fn spawn_serve(data_dir: &Path, extra_args: &[&str]) -> Child {
    let stderr = std::fs::File::create(data_dir.join("serve.stderr")).unwrap();
    let mut command = mcpproxy(data_dir);
    command
        .arg("serve")
        .arg("--data-dir")
        .arg(data_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr);
    if !extra_args.iter().any(|a| a.starts_with("--listen")) {
        command.arg("--listen=127.0.0.1:0");
    }
    command.args(extra_args).spawn().unwrap()
}

/// Stops the daemon a test had the CLI start on a data dir, whatever the test's outcome.
pub struct StopOnDrop<'a>(pub &'a Path);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        let _ = mcpproxy(self.0)
            .arg("--data-dir")
            .arg(self.0)
            .args(["daemon", "stop"])
            .output();
    }
}
