//! `mcpproxy version`: this program's versions, and the daemon's when one runs.

use mcpproxy_daemon::exit_code::ExitCode;

use crate::support::TestDaemon;
use crate::support::daemon::{mcpproxy, temp_data_dir};

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn version_json(output: &std::process::Output) -> String {
    assert_eq!(
        output.status.code(),
        Some(i32::from(ExitCode::Success.code())),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .replace(&format!("\"{VERSION}\""), "\"[VERSION]\"")
}

#[test]
fn without_a_daemon_version_names_only_this_program() {
    let dir = temp_data_dir();
    let run = |json: bool| {
        let mut command = mcpproxy(dir.path());
        command.arg("--data-dir").arg(dir.path()).arg("version");
        if json {
            command.arg("--json");
        }
        command.output().unwrap()
    };

    insta::assert_snapshot!("version_without_daemon", version_json(&run(true)));

    let text = run(false);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.starts_with(&format!("mcpproxy {VERSION} (control protocol 1, MCP ")),
        "{text}"
    );
    assert!(text.contains("daemon   not running"), "{text}");
    assert!(
        !dir.path().join("mcpproxy.sock").exists(),
        "version started a daemon"
    );
}

#[tokio::test]
async fn with_a_daemon_version_names_both() {
    let daemon = TestDaemon::start("").await;
    let output = daemon.cli(&["version", "--json"]);
    insta::assert_snapshot!("version_with_daemon", version_json(&output));

    let text = daemon.cli(&["version"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.lines()
            .any(|l| l.starts_with(&format!("daemon   {VERSION} (control protocol 1"))),
        "{text}"
    );
}

#[test]
fn version_help_shows_an_example() {
    let dir = temp_data_dir();
    let help = mcpproxy(dir.path())
        .args(["version", "--help"])
        .output()
        .unwrap();
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("Examples:\n  mcpproxy version"));
}
