//! Real peer servers for the tests: installed by `tests/shared/provision.rs`, started here.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

#[path = "../../shared/provision.rs"]
mod provision;

pub use self::provision::*;

/// A peer server process the test started; killed when dropped.
pub struct RunningPeer {
    child: Child,
    pub url: String,
}

impl Drop for RunningPeer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// server-everything over HTTP: `mode` is `streamableHttp` (URL `/mcp`) or `sse` (`/sse`).
/// With `port`, it listens there (to restart a server on the same address).
pub fn start_server_everything(mode: &str, port: Option<u16>) -> RunningPeer {
    let script = server_everything();
    let port = port.unwrap_or_else(free_port);
    let child = Command::new("node")
        .arg(script)
        .arg(mode)
        .env("PORT", port.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let path = if mode == "sse" { "sse" } else { "mcp" };
    let peer = RunningPeer {
        child,
        url: format!("http://127.0.0.1:{port}/{path}"),
    };
    super::wait::wait_until_blocking(
        Duration::from_secs(30),
        "server-everything to listen",
        || std::net::TcpStream::connect(("127.0.0.1", port)).ok(),
    );
    peer
}

/// The 2026-07-28 fixture server; returns once it printed its READY line.
pub fn start_modern_server() -> RunningPeer {
    start_ready_server(python_mcp2(), &modern_server_script(), &["0"])
}

/// A file under `tests/fixtures/` (`servers/NAME.py`, `clients/NAME.py`), which must exist.
pub fn fixture(path: &str) -> std::path::PathBuf {
    let file = workspace_root().join("tests/fixtures").join(path);
    assert!(file.exists(), "{} is missing", file.display());
    file
}

/// A fixture server that prints `READY URL` as its first line on stdout once it listens
/// (`program script args...`); returns once that line came.
pub fn start_ready_server(
    program: impl AsRef<std::ffi::OsStr>,
    script: &std::path::Path,
    args: &[&str],
) -> RunningPeer {
    let mut child = Command::new(program)
        .arg(script)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let Some(url) = line.trim().strip_prefix("READY ").map(str::to_owned) else {
        let _ = child.kill();
        let _ = child.wait();
        panic!(
            "{} did not get ready: first line {line:?}",
            script.display()
        );
    };
    RunningPeer { child, url }
}
