//! `mcpproxy doctor`: a data dir with problems gets every one reported with a code, a
//! location where it has one and a fix hint, and exit 1; a healthy one exits 0; `doctor fix`
//! shows fixes and applies the safe ones only with `--execute`.

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use mcpproxy_daemon::exit_code::ExitCode;
use mcpproxy_daemon::protocol::ServerState;
use serde_json::Value;

use crate::support::TestDaemon;
use crate::support::daemon::{StopOnDrop, mcpproxy, temp_data_dir};
use crate::support::sandbox;

const READY: Duration = Duration::from_secs(20);
const UNSET_VAR: &str = "MCPPROXY_DOCTOR_TEST_UNSET";

/// A config with three kinds of problem: a located mistake (`both` is local and remote), a
/// command that is nowhere, and a variable that is not set.
const BROKEN: &str = r#"listen = "127.0.0.1:0"

[servers.ghost]
command = "mcpproxy-doctor-no-such-program"

[servers.needs-token]
builtin = "demo"
env = { TOKEN = "${env:MCPPROXY_DOCTOR_TEST_UNSET}" }

[servers.both]
command = "sh"
url = "https://example.com/mcp"
"#;

fn doctor(dir: &Path, args: &[&str]) -> Output {
    mcpproxy(dir)
        .arg("--data-dir")
        .arg(dir)
        .arg("doctor")
        .args(args)
        .env_remove(UNSET_VAR)
        .output()
        .unwrap()
}

fn exit(output: &Output) -> ExitCode {
    ExitCode::from_status(output.status.code())
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

fn codes(report: &Value) -> Vec<&str> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect()
}

fn finding<'a>(report: &'a Value, code: &str) -> &'a Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {report:#}"))
}

/// A report with what varies between runs named: the temp dir, the daemon's pid and port.
fn stable(mut report: Value, dir: &Path) -> String {
    if let Some(daemon) = report.get_mut("daemon").filter(|d| d.is_object()) {
        daemon["pid"] = "[PID]".into();
        daemon["endpoint"] = "[ENDPOINT]".into();
        daemon["version"] = "[VERSION]".into();
    }
    serde_json::to_string_pretty(&report)
        .unwrap()
        .replace(&dir.display().to_string(), "[DIR]")
}

#[test]
fn a_broken_data_dir_gets_all_three_problems_with_fix_hints_and_exit_1() {
    let dir = temp_data_dir();
    std::fs::write(dir.path().join("config.toml"), BROKEN).unwrap();

    let output = doctor(dir.path(), &["--json"]);
    assert_eq!(exit(&output), ExitCode::Error);
    let report = json(&output);
    assert_eq!(report["ok"], false);
    let config = dir.path().join("config.toml").display().to_string();

    let invalid = finding(&report, "config.invalid");
    assert_eq!(invalid["location"], format!("{config}:12:7"));
    assert!(
        invalid["hint"]
            .as_str()
            .unwrap()
            .contains("remove one of them")
    );

    let missing = finding(&report, "server.command_missing");
    assert_eq!(missing["server"], "ghost");
    assert_eq!(missing["location"], format!("{config}:4:1"));
    assert!(
        missing["hint"]
            .as_str()
            .unwrap()
            .starts_with("install mcpproxy-doctor-no-such-program")
    );

    let unset = finding(&report, "env.unresolved");
    assert_eq!(unset["server"], "needs-token");
    assert_eq!(unset["location"], format!("{config}:8:18"));
    assert!(
        unset["hint"]
            .as_str()
            .unwrap()
            .starts_with(&format!("export {UNSET_VAR}"))
    );

    insta::assert_snapshot!("doctor_broken_data_dir", stable(report, dir.path()));

    // The text says the same, with the fixes.
    let text = doctor(dir.path(), &[]);
    assert_eq!(exit(&text), ExitCode::Error);
    let text = String::from_utf8_lossy(&text.stdout);
    for expected in [
        "error   config.invalid  server \"both\" has both `command` and `url`",
        "error   server.command_missing  server \"ghost\"",
        "error   env.unresolved  server \"needs-token\"",
        &format!("        at {config}:4:1"),
        "        fix: install mcpproxy-doctor-no-such-program",
        "4 problem(s) found",
    ] {
        assert!(text.contains(expected), "no {expected:?} in:\n{text}");
    }

    // Setting the variable and fixing the file leaves only the missing command.
    std::fs::write(
        dir.path().join("config.toml"),
        BROKEN.replace("command = \"sh\"\n", ""),
    )
    .unwrap();
    let output = mcpproxy(dir.path())
        .arg("--data-dir")
        .arg(dir.path())
        .args(["doctor", "--json"])
        .env(UNSET_VAR, "set")
        .output()
        .unwrap();
    let report = json(&output);
    assert_eq!(
        codes(&report),
        [
            "server.command_missing",
            "daemon.not_running",
            "clients.none"
        ]
    );
}

#[test]
fn a_config_that_is_not_toml_is_located_and_nothing_is_guessed_from_it() {
    let dir = temp_data_dir();
    std::fs::write(
        dir.path().join("config.toml"),
        "[servers.a\ncommand = \"mcpproxy-doctor-no-such-program\"\n",
    )
    .unwrap();
    let output = doctor(dir.path(), &["--json"]);
    assert_eq!(exit(&output), ExitCode::Error);
    let report = json(&output);
    let invalid = finding(&report, "config.invalid");
    assert_eq!(
        invalid["location"],
        format!("{}:1:11", dir.path().join("config.toml").display())
    );
    // Neither the servers nor the port (8080 by default) can be read from it.
    assert_eq!(
        codes(&report),
        ["config.invalid", "daemon.not_running", "clients.none"]
    );
}

#[test]
fn a_secret_missing_from_the_store_is_reported_until_it_is_stored() {
    let dir = temp_data_dir();
    std::fs::write(
        dir.path().join("config.toml"),
        "listen = \"127.0.0.1:0\"\n[servers.demo]\nbuiltin = \"demo\"\nenv = { KEY = \"${secret:doctor_key}\" }\n",
    )
    .unwrap();
    let report = json(&doctor(dir.path(), &["--json"]));
    let missing = finding(&report, "secret.unresolved");
    assert_eq!(missing["server"], "demo");
    assert!(
        missing["hint"]
            .as_str()
            .unwrap()
            .contains("mcpproxy secret set doctor_key"),
        "{missing}"
    );

    let stored = mcpproxy(dir.path())
        .arg("--data-dir")
        .arg(dir.path())
        .args([
            "secret",
            "set",
            "doctor_key",
            "--from-env",
            "DOCTOR_KEY_VALUE",
        ])
        .env("DOCTOR_KEY_VALUE", "s3cret")
        .output()
        .unwrap();
    assert!(
        stored.status.success(),
        "{}",
        String::from_utf8_lossy(&stored.stderr)
    );
    let report = json(&doctor(dir.path(), &["--json"]));
    assert!(!codes(&report).contains(&"secret.unresolved"), "{report:#}");
}

#[tokio::test]
async fn a_healthy_data_dir_exits_0_and_names_the_clients_that_point_at_mcpproxy() {
    let daemon = TestDaemon::start(&TestDaemon::demo_server("demo", "")).await;
    daemon.wait_state("demo", ServerState::Ready, READY).await;
    let home = sandbox::home(daemon.data_dir());
    std::fs::create_dir_all(home.join(".cursor")).unwrap();
    std::fs::write(
        home.join(".cursor/mcp.json"),
        r#"{"mcpServers": {"proxy": {"command": "mcpproxy", "args": ["stdio"]}, "other": {"command": "npx"}}}"#,
    )
    .unwrap();

    let output = daemon.cli(&["doctor", "--json"]);
    assert_eq!(
        exit(&output),
        ExitCode::Success,
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let report = json(&output);
    assert_eq!(report["ok"], true);
    assert_eq!(report["daemon"]["pid"], daemon.pid());
    insta::assert_snapshot!("doctor_healthy", stable(report, daemon.data_dir()));

    let text = daemon.cli(&["doctor"]);
    assert_eq!(exit(&text), ExitCode::Success);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.trim_end().ends_with("all is well"), "{text}");
    assert!(text.contains("client     Cursor: "), "{text}");
    assert!(text.contains("points at mcpproxy (proxy)"), "{text}");
}

/// A running daemon that refused the file's last change: its problem is reported even where
/// the doctor's own environment would resolve it, with the location.
#[tokio::test]
async fn the_daemons_standing_config_error_is_reported_with_its_location() {
    let daemon = TestDaemon::start(&TestDaemon::demo_server("demo", "")).await;
    let config = daemon.data_dir().join("config.toml");
    let var = "MCPPROXY_DOCTOR_TEST_DAEMON_LACKS";
    std::fs::write(
        &config,
        format!(
            "{}env = {{ TOKEN = \"${{env:{var}}}\" }}\n",
            TestDaemon::demo_server("demo", "")
        ),
    )
    .unwrap();
    let client = daemon.client.clone();
    crate::support::wait_until(READY, "the daemon to refuse the change", || {
        let client = client.clone();
        async move {
            let status = client.status().await.ok()?;
            (!status.config_problems.is_empty()).then_some(())
        }
    })
    .await;

    let output = mcpproxy(daemon.data_dir())
        .arg("--data-dir")
        .arg(daemon.data_dir())
        .args(["doctor", "--json"])
        .env(var, "set here, not in the daemon")
        .output()
        .unwrap();
    assert_eq!(exit(&output), ExitCode::Error);
    let report = json(&output);
    let standing = finding(&report, "config.invalid");
    assert_eq!(standing["location"], format!("{}:5:17", config.display()));
    let message = standing["message"].as_str().unwrap();
    assert!(
        message.contains(var)
            && message.ends_with("(the daemon keeps running its last good config)"),
        "{message}"
    );
}

#[tokio::test]
async fn a_failing_server_is_reported_and_fix_restarts_it_only_with_execute() {
    let config = format!(
        "{}\n[servers.crashy]\ncommand = \"false\"\nconnect_timeout = \"2s\"\n",
        TestDaemon::demo_server("demo", "")
    );
    let daemon = TestDaemon::start(&config).await;
    daemon
        .wait_state("crashy", ServerState::Backoff, READY)
        .await;

    let output = daemon.cli(&["doctor", "--server", "crashy", "--json"]);
    assert_eq!(exit(&output), ExitCode::Error);
    let report = json(&output);
    let failing = finding(&report, "server.failing");
    assert_eq!(failing["server"], "crashy");
    assert!(
        failing["message"].as_str().unwrap().contains("exited"),
        "{failing}"
    );
    assert_eq!(failing["automatic_fix"], "mcpproxy upstream restart crashy");

    // --server keeps to that server: the healthy one alone is well.
    let demo_only = json(&daemon.cli(&["doctor", "--server", "demo", "--json"]));
    assert_eq!(demo_only["ok"], true, "{demo_only:#}");

    let shown = daemon.cli(&["doctor", "fix", "server.failing", "--server", "crashy"]);
    assert_eq!(exit(&shown), ExitCode::Success);
    let shown = String::from_utf8_lossy(&shown.stdout);
    assert!(
        shown.contains("would run: mcpproxy upstream restart crashy (run again with --execute"),
        "{shown}"
    );

    let applied = daemon.cli(&["doctor", "fix", "server.failing", "--execute", "--json"]);
    assert_eq!(exit(&applied), ExitCode::Success);
    let applied = json(&applied);
    assert_eq!(applied["fixes"][0]["applied"], true, "{applied:#}");
    assert!(
        applied["fixes"][0]["result"]
            .as_str()
            .unwrap()
            .starts_with("restarting server \"crashy\""),
        "{applied:#}"
    );
}

#[test]
fn fix_makes_a_data_dir_others_can_write_private_only_with_execute() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = temp_data_dir();
    std::fs::write(dir.path().join("config.toml"), "listen = \"127.0.0.1:0\"\n").unwrap();
    let mode = || std::fs::metadata(dir.path()).unwrap().permissions().mode() & 0o777;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();

    let report = json(&doctor(dir.path(), &["--json"]));
    let open = finding(&report, "paths.data_dir_not_private");
    assert_eq!(
        open["automatic_fix"],
        format!("chmod 700 {}", dir.path().display())
    );

    let shown = doctor(dir.path(), &["fix", "paths.data_dir_not_private"]);
    assert_eq!(exit(&shown), ExitCode::Success);
    assert_eq!(mode(), 0o777, "fix without --execute changed the mode");

    let applied = doctor(
        dir.path(),
        &["fix", "paths.data_dir_not_private", "--execute"],
    );
    assert_eq!(exit(&applied), ExitCode::Success);
    assert_eq!(mode(), 0o700);
    let report = json(&doctor(dir.path(), &["--json"]));
    assert!(
        !codes(&report).contains(&"paths.data_dir_not_private"),
        "{report:#}"
    );
}

#[test]
fn fix_creates_a_missing_config_and_the_port_taken_by_another_program_is_named() {
    let dir = temp_data_dir();
    let report = json(&doctor(dir.path(), &["--json"]));
    assert_eq!(finding(&report, "config.missing")["severity"], "warning");
    let applied = doctor(dir.path(), &["fix", "config.missing", "--execute"]);
    assert_eq!(exit(&applied), ExitCode::Success);
    let config = dir.path().join("config.toml");
    assert_eq!(
        std::fs::read_to_string(&config).unwrap(),
        mcpproxy_daemon::config::DEFAULT_CONFIG
    );

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap();
    std::fs::write(&config, format!("listen = \"{address}\"\n")).unwrap();
    let report = json(&doctor(dir.path(), &["--json"]));
    let port = finding(&report, "port.in_use");
    assert!(
        port["message"]
            .as_str()
            .unwrap()
            .starts_with(&address.to_string())
    );
    drop(taken);
    let report = json(&doctor(dir.path(), &["--json"]));
    assert!(!codes(&report).contains(&"port.in_use"), "{report:#}");
}

#[tokio::test]
async fn fix_starts_a_daemon_that_is_not_running() {
    let dir = temp_data_dir();
    std::fs::write(dir.path().join("config.toml"), "listen = \"127.0.0.1:0\"\n").unwrap();
    let _stop = StopOnDrop(dir.path());

    let shown = doctor(dir.path(), &["fix", "daemon.not_running"]);
    assert_eq!(exit(&shown), ExitCode::Success);
    assert!(
        !dir.path().join("mcpproxy.sock").exists(),
        "fix without --execute started a daemon"
    );

    let applied = doctor(
        dir.path(),
        &["fix", "daemon.not_running", "--execute", "--json"],
    );
    assert_eq!(exit(&applied), ExitCode::Success);
    let applied = json(&applied);
    assert_eq!(applied["fixes"][0]["applied"], true, "{applied:#}");

    let report = json(&doctor(dir.path(), &["--json"]));
    assert_eq!(report["ok"], true, "{report:#}");
    let pid = report["daemon"]["pid"].as_u64().unwrap();
    let status = mcpproxy_daemon::client::Client::socket(dir.path().join("mcpproxy.sock"))
        .status()
        .await
        .unwrap();
    assert_eq!(u64::from(status.pid), pid);
}

#[test]
fn codes_are_listed_and_bad_input_is_refused() {
    let dir = temp_data_dir();
    let listed = doctor(dir.path(), &["codes", "--json"]);
    assert_eq!(exit(&listed), ExitCode::Success);
    insta::assert_snapshot!(
        "doctor_codes",
        String::from_utf8_lossy(&listed.stdout).into_owned()
    );

    let unknown_code = doctor(dir.path(), &["fix", "no.such_code", "--json"]);
    assert_eq!(exit(&unknown_code), ExitCode::Error);
    assert_eq!(json(&unknown_code)["error"]["code"], "bad_request");

    std::fs::write(dir.path().join("config.toml"), BROKEN).unwrap();
    let unknown_server = doctor(dir.path(), &["--server", "nobody", "--json"]);
    assert_eq!(exit(&unknown_server), ExitCode::Error);
    let error = json(&unknown_server);
    assert_eq!(error["error"]["code"], "not_found");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("\"nobody\"")
    );

    let help = doctor(dir.path(), &["--help"]);
    assert!(String::from_utf8_lossy(&help.stdout).contains("Examples:\n  mcpproxy doctor\n"));
}
