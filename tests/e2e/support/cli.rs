//! The CLI on a config file of the test's own.

use std::path::PathBuf;

use tempfile::TempDir;

use super::daemon::{mcpproxy, temp_data_dir};

/// `mcpproxy config check` on a fresh file holding `text`: the dir (keep it while the path is
/// used), the file, the exit code and what went to stderr.
pub fn config_check(text: &str) -> (TempDir, PathBuf, Option<i32>, String) {
    let dir = temp_data_dir();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, text).unwrap();
    let check = mcpproxy(dir.path())
        .args(["config", "check"])
        .arg(&config)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&check.stderr).into_owned();
    (dir, config, check.status.code(), stderr)
}
