//! Keeps every `mcpproxy` a test runs away from the real user's data (`~/.mcpproxy`), and
//! makes a test that forgets `--data-dir` fail loudly. Shared with the benches (included with
//! `#[path]`, so std only).
//!
//! [`isolate`] gives the command an environment of its own:
//! - no `MCPPROXY_*` variable from the environment the tests run in;
//! - `HOME` and the XDG dirs inside the test's temp dir, so nothing the command or anything
//!   it starts resolves (`~`, the default data dir) can land in the real home;
//! - in that home, `.mcpproxy` is a regular file, and `MCPPROXY_HOME` names a path below it.
//!   Nothing can be created below a file (ENOTDIR), whoever asks, root included (permission
//!   bits would not stop root), so a command that falls back to the default data dir fails
//!   at once with an error naming `…/.mcpproxy/tests-must-pass--data-dir`. The file itself
//!   covers a launcher that drops `MCPPROXY_HOME` (MCP SDKs start stdio servers with a
//!   filtered environment): `~/.mcpproxy` cannot be a data dir either.
//!
//! Why the environment and not a check of the command line before it runs: the environment
//! reaches every process the command starts (the daemon `upstream list` starts in the
//! background, the stdio bridge an MCP client launches, the upstreams the daemon spawns),
//! whatever builds the command (std, tokio, rmcp's `TokioChildProcess`), and it needs no list
//! of which subcommands and flag spellings take a data dir. The one command that still
//! succeeds without `--data-dir` is `config path`, which prints the path and touches nothing.

#![allow(dead_code)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The last part of the data dir a command gets when it was not given `--data-dir`: every
/// error of such a command names it.
pub const FORGOTTEN_DATA_DIR: &str = "tests-must-pass--data-dir";

/// What the file standing in for the default data dir says to whoever finds it.
const TRIPWIRE_NOTE: &str = "Put here by mcpproxy's test harness instead of a data dir: every \
mcpproxy command a test runs must pass --data-dir.\n";

/// The home directory commands isolated in `sandbox` get.
pub fn home(sandbox: &Path) -> PathBuf {
    sandbox.join("test-home")
}

/// The data dir a command isolated in `sandbox` falls back to without `--data-dir`: one that
/// cannot exist.
pub fn forgotten_data_dir(sandbox: &Path) -> PathBuf {
    home(sandbox).join(".mcpproxy").join(FORGOTTEN_DATA_DIR)
}

/// Runs `command` in an environment of its own inside `sandbox` (the test's temp dir), as
/// the module describes. Variables set on `command` after this call still apply.
pub fn isolate(command: &mut Command, sandbox: &Path) {
    let home = prepare_home(sandbox);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("MCPPROXY_") {
            command.env_remove(name);
        }
    }
    command
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_CACHE_HOME", home.join(".cache"))
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env("XDG_STATE_HOME", home.join(".local/state"))
        .env("XDG_RUNTIME_DIR", home.join(".run"))
        .env("MCPPROXY_HOME", forgotten_data_dir(sandbox));
}

/// Creates the sandbox's home, its XDG dirs and the tripwire file where `~/.mcpproxy` would
/// be; safe to call again, also from several threads at once.
fn prepare_home(sandbox: &Path) -> PathBuf {
    let home = home(sandbox);
    let mut private = std::fs::DirBuilder::new();
    private.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut private, 0o700);
    for dir in [".config", ".cache", ".local/share", ".local/state", ".run"] {
        let path = home.join(dir);
        private
            .create(&path)
            .unwrap_or_else(|e| panic!("cannot create the test home {}: {e}", path.display()));
    }
    let tripwire = home.join(".mcpproxy");
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tripwire)
    {
        Ok(mut file) => file
            .write_all(TRIPWIRE_NOTE.as_bytes())
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", tripwire.display())),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => assert!(
            tripwire.is_file(),
            "{} must be the harness's file, not a data dir",
            tripwire.display()
        ),
        Err(e) => panic!("cannot create {}: {e}", tripwire.display()),
    }
    home
}
