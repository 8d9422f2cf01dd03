//! The config as users meet it: invalid files refused with their location, the default file,
//! `config path|show|check|init`.

use std::path::Path;
use std::time::Duration;

use rustix::process::Signal;

use crate::support::TestDaemon;
use crate::support::daemon::{mcpproxy, temp_data_dir};

fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Every fixture in `tests/fixtures/configs/invalid/` stops `serve` with exit code 4, the
/// message and location in its snapshot, and the file untouched; `config check` agrees.
#[test]
fn invalid_configs_are_refused_with_their_location() {
    insta::glob!("../fixtures/configs/invalid", "*.toml", |fixture| {
        let text = std::fs::read_to_string(fixture).unwrap();
        let dir = temp_data_dir();
        let config = dir.path().join("config.toml");
        std::fs::write(&config, &text).unwrap();

        let serve = mcpproxy(dir.path())
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path())
            .output()
            .unwrap();
        assert_eq!(
            serve.status.code(),
            Some(4),
            "{}: {}",
            fixture.display(),
            stderr_of(&serve)
        );
        assert_eq!(
            std::fs::read_to_string(&config).unwrap(),
            text,
            "a failed start changed the config"
        );
        assert!(
            !dir.path().join("mcpproxy.sock").exists(),
            "a failed start left a socket"
        );

        let check = mcpproxy(dir.path())
            .args(["config", "check"])
            .arg(&config)
            .output()
            .unwrap();
        assert_eq!(check.status.code(), Some(4));
        assert_eq!(
            stderr_of(&check),
            stderr_of(&serve),
            "check and serve disagree"
        );

        let report = stderr_of(&serve).replace(&dir.path().display().to_string(), "[DATA_DIR]");
        insta::assert_snapshot!(report);
    });
}

/// The first `serve` on an empty data dir writes the commented default config; `config init`
/// writes the same file, and will not overwrite it without `--force`.
#[tokio::test]
async fn the_first_start_writes_the_commented_default_config() {
    let empty = temp_data_dir();
    let mut daemon = TestDaemon::start_in(empty, &[]).await;
    let exit = daemon.signal_and_wait(Signal::TERM, Duration::from_secs(5));
    assert_eq!(exit.code(), Some(0));
    let written_by_serve = std::fs::read_to_string(daemon.data_dir().join("config.toml"))
        .expect("the first start writes config.toml");
    insta::assert_snapshot!("default_config", written_by_serve);

    let dir = temp_data_dir();
    let path = mcpproxy(dir.path())
        .args(["config", "path", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&path.stdout).trim(),
        dir.path().join("config.toml").display().to_string()
    );
    let init = mcpproxy(dir.path())
        .args(["--data-dir"])
        .arg(dir.path())
        .args(["config", "init"])
        .output()
        .unwrap();
    assert!(init.status.success(), "{}", stderr_of(&init));
    let written = std::fs::read_to_string(dir.path().join("config.toml")).unwrap();
    insta::assert_snapshot!("default_config", written);
    assert_eq!(written, written_by_serve, "serve and config init disagree");

    let again = mcpproxy(dir.path())
        .args(["config", "init", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        again.status.code(),
        Some(1),
        "init must not overwrite without --force"
    );
    assert!(stderr_of(&again).contains("--force"));

    let check = mcpproxy(dir.path())
        .args(["config", "check", "--json", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(check.status.success(), "{}", stderr_of(&check));
    let checked: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
    assert_eq!(checked["valid"], true);
    assert_eq!(checked["servers"], 1);
}

#[test]
fn show_prints_the_file_and_json_keeps_env_references() {
    let dir = temp_data_dir();
    let text = "# mine\n[servers.remote]\nurl = \"https://example.com/mcp\"\nheaders = { Authorization = \"Bearer ${env:SHOW_TEST_TOKEN}\" }\n";
    std::fs::write(dir.path().join("config.toml"), text).unwrap();
    let show = mcpproxy(dir.path())
        .args(["config", "show", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&show.stdout), text);
    let json = mcpproxy(dir.path())
        .args(["config", "show", "--json", "--data-dir"])
        .arg(dir.path())
        .env("SHOW_TEST_TOKEN", "secret-value")
        .output()
        .unwrap();
    assert!(json.status.success(), "{}", stderr_of(&json));
    let shown = String::from_utf8_lossy(&json.stdout);
    assert!(shown.contains("${env:SHOW_TEST_TOKEN}"), "{shown}");
    assert!(
        !shown.contains("secret-value"),
        "show must not reveal expanded values"
    );
}

#[test]
fn a_missing_explicit_config_is_an_error_not_created() {
    let dir = temp_data_dir();
    let missing = dir.path().join("nope.toml");
    let serve = mcpproxy(dir.path())
        .args(["serve", "--data-dir"])
        .arg(dir.path())
        .arg("-c")
        .arg(&missing)
        .output()
        .unwrap();
    assert_eq!(serve.status.code(), Some(4));
    assert!(
        stderr_of(&serve).contains("does not exist"),
        "{}",
        stderr_of(&serve)
    );
    assert!(!Path::new(&missing).exists());
}
