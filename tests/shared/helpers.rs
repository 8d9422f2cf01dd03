//! Small helpers shared by the workspace's test crates (included with `#[path]`, like
//! `provision.rs`), so they use std only: a free port, waiting on a condition with a
//! deadline, ending a child process, and server-everything over HTTP on a port of the
//! test's choosing.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr
)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How often [`wait_until_blocking`] looks again.
pub const POLL: Duration = Duration::from_millis(10);

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Polls `check` until it returns `Some`, or panics naming `what` after `timeout` (`what` is
/// only rendered then, so it can describe the state at that moment). It blocks: from async
/// code, run it with `spawn_blocking` when the runtime must keep working meanwhile.
#[expect(
    clippy::disallowed_methods,
    reason = "a blocking poll with a deadline, by design; async callers run it with spawn_blocking"
)]
pub fn wait_until_blocking<T>(
    timeout: Duration,
    what: impl std::fmt::Display,
    mut check: impl FnMut() -> Option<T>,
) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(POLL);
    }
}

/// Kills `child` (if it still runs) and reaps it, so no zombie or stray process outlives the
/// test.
#[expect(
    clippy::disallowed_methods,
    reason = "reaps a child just sent SIGKILL, which cannot refuse: returns as soon as the kernel has ended it"
)]
pub fn kill_and_reap(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// How long server-everything may take to listen.
pub const SERVER_EVERYTHING_STARTUP: Duration = Duration::from_secs(30);

/// `server-everything` over HTTP on `127.0.0.1:PORT`, started by a test; killed when dropped.
pub struct ServerEverything {
    child: Child,
    port: u16,
    log: Option<PathBuf>,
    /// Its MCP endpoint: `/mcp` in `streamableHttp` mode, `/sse` in `sse` mode.
    pub url: String,
}

impl ServerEverything {
    /// Runs `node SCRIPT MODE` (`script` is `provision::server_everything()`, `mode`
    /// `streamableHttp` or `sse`) listening on `port`, with its output written to `log` (or
    /// discarded), and returns once the port accepts connections. Fails, with the log, when
    /// the server exits first or does not listen within [`SERVER_EVERYTHING_STARTUP`].
    pub fn start(script: &Path, mode: &str, port: u16, log: Option<&Path>) -> Self {
        let (stdout, stderr) = match log {
            Some(path) => {
                let file = std::fs::File::create(path)
                    .unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
                (Stdio::from(file.try_clone().unwrap()), Stdio::from(file))
            }
            None => (Stdio::null(), Stdio::null()),
        };
        let child = Command::new("node")
            .arg(script)
            .arg(mode)
            .env("PORT", port.to_string())
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run node (is it installed and on PATH?): {e}"));
        let path = if mode == "sse" { "sse" } else { "mcp" };
        let mut server = Self {
            child,
            port,
            log: log.map(Path::to_path_buf),
            url: format!("http://127.0.0.1:{port}/{path}"),
        };
        let what = Listening {
            mode,
            port,
            log: log.map(Path::to_path_buf),
        };
        wait_until_blocking(SERVER_EVERYTHING_STARTUP, what, || {
            if let Some(status) = server.child.try_wait().unwrap() {
                panic!("server-everything exited with {status}:\n{}", server.log());
            }
            std::net::TcpStream::connect(("127.0.0.1", port)).ok()
        });
        server
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// What it wrote so far (empty when its output was discarded).
    pub fn log(&self) -> String {
        self.log
            .as_deref()
            .and_then(|path| std::fs::read_to_string(path).ok())
            .unwrap_or_default()
    }

    /// Kills it and waits until it is gone.
    pub fn kill(mut self) {
        kill_and_reap(&mut self.child);
    }
}

/// What [`ServerEverything::start`] waits for; with the log so far when the wait fails.
struct Listening<'a> {
    mode: &'a str,
    port: u16,
    log: Option<PathBuf>,
}

impl std::fmt::Display for Listening<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "server-everything ({}) to listen on port {}",
            self.mode, self.port
        )?;
        if let Some(path) = &self.log {
            let log = std::fs::read_to_string(path).unwrap_or_default();
            write!(f, "; its log:\n{log}")?;
        }
        Ok(())
    }
}

impl Drop for ServerEverything {
    fn drop(&mut self) {
        kill_and_reap(&mut self.child);
    }
}
