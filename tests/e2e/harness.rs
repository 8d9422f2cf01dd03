//! The harness's own guard against the real data dir (`tests/shared/sandbox.rs`): a command
//! a test runs without `--data-dir` fails, naming the data dir it could not have, and
//! neither the real `~/.mcpproxy` nor the test's home gains a data dir.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use crate::support::daemon::{mcpproxy, temp_data_dir};
use crate::support::pipes::output_within;
use crate::support::sandbox::{self, FORGOTTEN_DATA_DIR};

/// Far above the moment these commands take to fail, which is before they do anything.
const FAIL_WITHIN: Duration = Duration::from_secs(20);

/// What a command that forgot `--data-dir` could have done to a data dir: created it, or
/// written its config or API key. Compared, never printed in full (no key material).
#[derive(Debug, PartialEq, Eq)]
struct DataDirFingerprint {
    exists: bool,
    entries: Vec<String>,
    config: Option<(u64, SystemTime)>,
    api_key: Option<(u64, SystemTime)>,
}

impl DataDirFingerprint {
    fn of(dir: &Path) -> Self {
        let file = |name: &str| {
            let meta = std::fs::metadata(dir.join(name)).ok()?;
            Some((meta.len(), meta.modified().ok()?))
        };
        let mut entries: Vec<String> = std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|entry| entry.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        entries.sort();
        Self {
            exists: dir.exists(),
            entries,
            config: file("config.toml"),
            api_key: file("api_key"),
        }
    }
}

/// The data dir of the person running the tests, where a command that escaped the sandbox
/// would land.
fn real_data_dir() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|home| !home.is_empty())
        .map(|home| PathBuf::from(home).join(".mcpproxy"))
}

/// Runs `command` (which must fail) to its end; returns its stderr.
fn failure_of(mut command: Command, what: &str) -> String {
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let output = output_within(child, FAIL_WITHIN, what);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        !output.status.success(),
        "{what} succeeded without --data-dir:\n{stderr}"
    );
    stderr
}

#[test]
fn a_command_that_forgets_the_data_dir_fails_and_the_real_home_is_untouched() {
    let real = real_data_dir();
    let real_before = real.as_deref().map(DataDirFingerprint::of);
    let dir = temp_data_dir();

    // First what touches nothing: the data dir a forgetful command gets is the sandbox's
    // impossible one, not one under the real home. (Were it not, the commands below would
    // not be run.)
    let path = mcpproxy(dir.path())
        .args(["config", "path"])
        .output()
        .unwrap();
    let printed = PathBuf::from(String::from_utf8_lossy(&path.stdout).trim());
    assert_eq!(
        printed,
        sandbox::forgotten_data_dir(dir.path()).join("config.toml"),
        "a command without --data-dir would not stay in the sandbox"
    );

    // Every kind of command fails at once, with an error that names the data dir it lacked.
    for args in [
        &["serve", "--listen", "127.0.0.1:0"][..],
        &["daemon", "start"],
        &["status"],
        &["upstream", "list"],
        &["config", "init"],
        &["config", "show"],
        &["stdio"],
    ] {
        let what = format!("mcpproxy {}", args.join(" "));
        let mut command = mcpproxy(dir.path());
        command.args(args);
        let stderr = failure_of(command, &what);
        assert!(
            stderr.contains(FORGOTTEN_DATA_DIR),
            "{what} failed for another reason:\n{stderr}"
        );
    }

    // A launcher that drops MCPPROXY_HOME (MCP SDKs start stdio servers with a filtered
    // environment) leaves the default, `~/.mcpproxy` in the test's home, which the harness's
    // file occupies.
    let home_default = sandbox::home(dir.path()).join(".mcpproxy");
    let mut serve = mcpproxy(dir.path());
    serve
        .env_remove("MCPPROXY_HOME")
        .args(["serve", "--listen", "127.0.0.1:0"]);
    let stderr = failure_of(serve, "mcpproxy serve without MCPPROXY_HOME");
    assert!(
        stderr.contains(&home_default.display().to_string()),
        "{stderr}"
    );
    assert!(
        home_default.is_file(),
        "the file standing in for the test home's data dir was replaced"
    );

    let real_after = real.as_deref().map(DataDirFingerprint::of);
    assert!(
        real_after == real_before,
        "the real data dir {} changed while commands without --data-dir ran",
        real.unwrap_or_default().display()
    );
}
