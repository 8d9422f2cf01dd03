//! Real peer servers for the tests: installed by `tests/shared/provision.rs`, started here
//! (server-everything by `tests/shared/helpers.rs`).

use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub use super::helpers::{ServerEverything, free_port};
pub use super::provision::*;

use super::helpers::kill_and_reap;
use super::pipes::{LineReader, NextLine};

/// How long a READY-line fixture server may take to print its line.
const READY_LINE_TIMEOUT: Duration = Duration::from_secs(30);

/// A peer server process the test started; killed when dropped.
pub struct RunningPeer {
    child: Child,
    pub url: String,
}

impl Drop for RunningPeer {
    fn drop(&mut self) {
        kill_and_reap(&mut self.child);
    }
}

/// server-everything over HTTP: `mode` is `streamableHttp` (URL `/mcp`) or `sse` (`/sse`).
/// With `port`, it listens there (to restart a server on the same address).
pub fn start_server_everything(mode: &str, port: Option<u16>) -> ServerEverything {
    let port = port.unwrap_or_else(free_port);
    ServerEverything::start(&server_everything(), mode, port, None)
}

/// The 2026-07-28 fixture server; returns once it printed its READY line.
pub fn start_modern_server() -> RunningPeer {
    start_ready_server(python_mcp2(), &modern_server_script(), &["0"])
}

/// A fixture server that prints `READY URL` as its first line on stdout once it listens
/// (`program script args...`); returns once that line came, and fails when it does not come
/// within 30 s.
pub fn start_ready_server(
    program: impl AsRef<std::ffi::OsStr>,
    script: &std::path::Path,
    args: &[&str],
) -> RunningPeer {
    let mut command = Command::new(program);
    command.arg(script).args(args);
    start_ready_command(command, &script.display().to_string())
}

/// mcpproxy's demo server over streamable HTTP, with its test tools, on a free port.
pub fn start_demo_http() -> RunningPeer {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mcpproxy"));
    command.args(["demo-server", "--test-tools", "--http", "127.0.0.1:0"]);
    start_ready_command(command, "the demo server")
}

/// Runs `command` and waits for its `READY URL` line (see [`start_ready_server`]).
fn start_ready_command(mut command: Command, what: &str) -> RunningPeer {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = LineReader::new(child.stdout.take().unwrap());
    let first = stdout.next_line(READY_LINE_TIMEOUT);
    let url = match &first {
        NextLine::Line(line) => line.trim().strip_prefix("READY ").map(str::to_owned),
        NextLine::End | NextLine::TimedOut => None,
    };
    let Some(url) = url else {
        kill_and_reap(&mut child);
        panic!("{what} did not get ready (within {READY_LINE_TIMEOUT:?}): first line {first:?}");
    };
    RunningPeer { child, url }
}
