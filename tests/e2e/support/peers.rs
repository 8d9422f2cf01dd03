//! Real peer servers for the tests, installed on first use into `target/peers/` and reused
//! afterwards. Installing needs `npm` and `python3` and the registries; when it cannot
//! happen the test fails with the reason, never skips.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// `@modelcontextprotocol/server-everything` from npm.
pub const SERVER_EVERYTHING: &str = "@modelcontextprotocol/server-everything@2026.8.31";
/// `mcp-server-time` from PyPI.
pub const MCP_SERVER_TIME: &str = "mcp-server-time==2026.10.19";
/// The MCP Python SDK 2.x from PyPI, which runs `modern_server.py`.
pub const MCP_PYTHON_SDK2: &str = "mcp==2.3.0";

/// The folder that holds installed peers.
pub fn peers_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let dir = target.join("peers");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Path of server-everything's entry script (`node PATH [stdio|sse|streamableHttp]`).
pub fn server_everything() -> PathBuf {
    let dir = peers_dir().join("npm");
    install_once(&dir, SERVER_EVERYTHING, |dir| {
        run(Command::new("npm")
            .args([
                "install",
                "--no-audit",
                "--no-fund",
                "--no-save",
                "--prefix",
            ])
            .arg(dir)
            .arg(SERVER_EVERYTHING));
    });
    let script = dir.join("node_modules/@modelcontextprotocol/server-everything/dist/index.js");
    assert!(
        script.exists(),
        "server-everything installed, but {} is missing",
        script.display()
    );
    script
}

/// Path of the `mcp-server-time` executable (stdio), in its own venv.
pub fn mcp_server_time() -> PathBuf {
    python_venv("venv-time", MCP_SERVER_TIME).join("bin/mcp-server-time")
}

/// Path of the `python` in a venv that has the MCP Python SDK 2.x (`mcp==2.3.0`).
pub fn python_mcp2() -> PathBuf {
    python_venv("venv-mcp2", MCP_PYTHON_SDK2).join("bin/python")
}

/// Path of the fixture server that speaks MCP 2026-07-28 (and 2025-11-25) over streamable
/// HTTP. Run it as `python_mcp2() SCRIPT [PORT]` (no PORT, or 0, picks a free port); once it
/// listens it prints one line on stdout, `READY http://127.0.0.1:PORT/mcp`. It exits 0 on
/// SIGTERM.
pub fn modern_server_script() -> PathBuf {
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/servers/modern_server.py");
    assert!(script.exists(), "{} is missing", script.display());
    script
}

/// A venv under `peers_dir()/NAME` with the pip requirement `spec` installed.
fn python_venv(name: &str, spec: &str) -> PathBuf {
    let dir = peers_dir().join(name);
    install_once(&dir, spec, |dir| {
        run(Command::new("python3").args(["-m", "venv"]).arg(dir));
        run(Command::new(dir.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .arg(spec));
    });
    dir
}

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
    let mut child = Command::new(python_mcp2())
        .arg(modern_server_script())
        .arg("0")
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
    let url = line
        .trim()
        .strip_prefix("READY ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    RunningPeer { child, url }
}

/// Runs `install` into `dir` unless a stamp says `version` is there already. A lock keeps
/// parallel tests from installing twice; a failed install leaves no stamp.
fn install_once(dir: &Path, version: &str, install: impl FnOnce(&Path)) {
    let lock = File::create(peers_dir().join(".install.lock")).unwrap();
    lock.lock().unwrap();
    let stamp = dir.join(".installed");
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(version) {
        return;
    }
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    eprintln!("installing {version} into {} (first use)", dir.display());
    install(dir);
    std::fs::write(&stamp, version).unwrap();
}

fn run(command: &mut Command) {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e} (is it installed?)"));
    assert!(
        output.status.success(),
        "{command:?} failed ({}); the peer servers these tests need could not be installed:\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
