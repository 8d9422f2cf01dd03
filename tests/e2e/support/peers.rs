//! Real peer servers for the tests, installed on first use into `target/peers/` and reused
//! afterwards. Installing needs `npm` and `python3` and the registries; when it cannot
//! happen the test fails with the reason, never skips.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;

/// `@modelcontextprotocol/server-everything` from npm.
pub const SERVER_EVERYTHING: &str = "@modelcontextprotocol/server-everything@2026.8.31";
/// `mcp-server-time` from PyPI.
pub const MCP_SERVER_TIME: &str = "mcp-server-time==2026.10.19";

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
    let dir = peers_dir().join("venv-time");
    install_once(&dir, MCP_SERVER_TIME, |dir| {
        run(Command::new("python3").args(["-m", "venv"]).arg(dir));
        run(Command::new(dir.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .arg(MCP_SERVER_TIME));
    });
    dir.join("bin/mcp-server-time")
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
