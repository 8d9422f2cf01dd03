//! `mcpproxy config import` through the binary: every supported format, comments kept,
//! everything quarantined, existing names skipped unless `--overwrite`, dry runs write nothing.

use std::path::{Path, PathBuf};

use mcpproxy_daemon::config;

use crate::support::daemon::{mcpproxy, temp_data_dir};
use crate::support::peers;

/// A file in `tests/fixtures/import/`.
fn fixture(name: &str) -> PathBuf {
    peers::fixture(&format!("import/{name}"))
}

/// A data dir whose config is the commented user config fixture.
fn user_dir() -> tempfile::TempDir {
    let dir = temp_data_dir();
    std::fs::copy(fixture("user-config.toml"), dir.path().join("config.toml")).unwrap();
    dir
}

fn import(dir: &Path, args: &[&str]) -> (std::process::Output, serde_json::Value) {
    let output = mcpproxy(dir)
        .args(["config", "import", "--json", "--data-dir"])
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    let json = serde_json::from_slice(&output.stdout).unwrap_or(serde_json::Value::Null);
    (output, json)
}

/// Every fixture, as (file, expected format, servers it must bring).
const FORMATS: &[(&str, &str, &[&str])] = &[
    (
        "claude_desktop_config.json",
        "claude-desktop",
        &["memory", "puppeteer"],
    ),
    (".mcp.json", "claude-code", &[]),
    ("claude.json", "claude-code", &[]),
    ("cursor-mcp.json", "cursor", &[]),
    ("vscode-mcp.json", "vscode", &[]),
    ("vscode-settings.json", "vscode", &[]),
    ("codex-config.toml", "codex", &[]),
    ("gemini-settings.json", "gemini", &[]),
    (
        "mcp_config.json",
        "mcpproxy",
        &["filesystem", "memory", "git"],
    ),
];

#[test]
fn each_format_imports_quarantined_servers_and_keeps_comments() {
    let user_config = std::fs::read_to_string(fixture("user-config.toml")).unwrap();
    for (file, format, must_have) in FORMATS {
        for explicit in [false, true] {
            let dir = user_dir();
            let path = fixture(file);
            let mut args = vec![path.to_str().unwrap()];
            if explicit {
                args.extend(["--format", format]);
            }
            let (output, report) = import(dir.path(), &args);
            assert!(
                output.status.success(),
                "{file}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            let added: Vec<&str> = report["added"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            assert!(!added.is_empty(), "{file} imported nothing: {report}");
            for name in *must_have {
                assert!(
                    added.contains(name),
                    "{file}: {name} missing from {added:?}"
                );
            }

            let text = std::fs::read_to_string(dir.path().join("config.toml")).unwrap();
            for line in user_config.lines().filter(|l| l.starts_with('#')) {
                assert!(text.contains(line), "{file}: lost the comment {line:?}");
            }
            let loaded = config::load(&dir.path().join("config.toml")).unwrap();
            for name in &added {
                let server = &loaded.config.servers[*name];
                assert!(server.quarantined, "{file}: {name} is not quarantined");
            }
            assert!(
                !loaded.config.servers["demo"].quarantined,
                "an existing server was touched"
            );
        }
    }
}

#[test]
fn existing_names_are_skipped_unless_overwrite() {
    let dir = user_dir();
    let source = temp_data_dir();
    let file = source.path().join("claude_desktop_config.json");
    std::fs::write(
        &file,
        r#"{"mcpServers": {"demo": {"command": "my-demo"}, "fresh": {"command": "x"}}}"#,
    )
    .unwrap();

    let (output, report) = import(dir.path(), &[file.to_str().unwrap()]);
    assert!(output.status.success());
    assert_eq!(report["added"], serde_json::json!(["fresh"]));
    assert_eq!(report["skipped"][0]["name"], "demo");
    let loaded = config::load(&dir.path().join("config.toml")).unwrap();
    assert_eq!(
        loaded.config.servers["demo"].builtin,
        Some(config::Builtin::Demo)
    );

    let (output, report) = import(dir.path(), &[file.to_str().unwrap(), "--overwrite"]);
    assert!(output.status.success());
    assert_eq!(report["replaced"], serde_json::json!(["demo", "fresh"]));
    let text = std::fs::read_to_string(dir.path().join("config.toml")).unwrap();
    assert!(text.contains("# Offline time, arithmetic and text tools.\n[servers.demo]\ncommand = \"my-demo\"\nquarantined = true\n"), "{text}");
}

#[test]
fn a_dry_run_writes_nothing_and_a_bad_file_changes_nothing() {
    let dir = user_dir();
    let before = std::fs::read(dir.path().join("config.toml")).unwrap();
    let (output, report) = import(
        dir.path(),
        &[fixture("cursor-mcp.json").to_str().unwrap(), "--dry-run"],
    );
    assert!(output.status.success());
    assert_eq!(report["dry_run"], true);
    assert!(!report["added"].as_array().unwrap().is_empty());
    assert_eq!(
        std::fs::read(dir.path().join("config.toml")).unwrap(),
        before
    );

    let source = temp_data_dir();
    let broken = source.path().join("mcp.json");
    std::fs::write(&broken, "{\"mcpServers\": {\"a\": {\"command\": \"x\",}}").unwrap();
    let output = mcpproxy(dir.path())
        .args(["config", "import", "--data-dir"])
        .arg(dir.path())
        .arg(&broken)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("mcp.json:1:"), "{stderr}");
    assert_eq!(
        std::fs::read(dir.path().join("config.toml")).unwrap(),
        before
    );
}
