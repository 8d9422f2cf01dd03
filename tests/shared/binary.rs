//! The `mcpproxy` executable for test crates that cannot name it with `CARGO_BIN_EXE_*`
//! (only the root package's own tests can): built with the cargo that runs the tests, in the
//! same target dir, so under `cargo test --workspace` it is the binary already built.
//! Shared by the workspace's test crates (included with `#[path]`), so it uses std only.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// Path of the `mcpproxy` binary, built on first use; a failed build fails the test.
pub fn mcpproxy_binary() -> PathBuf {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY
        .get_or_init(|| {
            let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
            let root = super::provision::workspace_root();
            let output = Command::new(cargo)
                .current_dir(&root)
                .args([
                    "build",
                    "--package",
                    "mcpproxy",
                    "--bin",
                    "mcpproxy",
                    "--message-format=json-render-diagnostics",
                ])
                .output()
                .expect("run cargo build for the mcpproxy binary");
            assert!(
                output.status.success(),
                "building mcpproxy failed:\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
            String::from_utf8_lossy(&output.stdout)
                .lines()
                .filter(|line| line.contains("\"compiler-artifact\""))
                .filter(|line| line.contains("\"name\":\"mcpproxy\""))
                .find_map(|line| {
                    let start = line.find("\"executable\":\"")? + "\"executable\":\"".len();
                    let end = start + line[start..].find('"')?;
                    Some(PathBuf::from(&line[start..end]))
                })
                .expect("cargo reported no mcpproxy executable")
        })
        .clone()
}
