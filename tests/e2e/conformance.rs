//! The official MCP conformance suite, server side (`../shared/tools/conformance/run.sh`:
//! `@modelcontextprotocol/conformance` 0.1.16, 32 scenarios), against mcpproxy's MCP
//! endpoints:
//!
//! - the suite's Python reference server behind `/mcp/server/NAME` (an HTTP upstream, so the
//!   reverse proxy) scores exactly what it scores when the suite talks to it directly;
//! - the demo server behind `/mcp/server/demo` (a stdio upstream, so the typed passthrough)
//!   passes every scenario;
//! - `/mcp` and `/mcp/all` pass `dns-rebinding-protection`.
//!
//! And the client side (26 scenarios: OAuth discovery, registration, scopes and step-up,
//! token endpoint authentication, client credentials, enterprise-managed authorization,
//! back-compat, and initialize, tools_call, elicitation defaults, SSE retry) against
//! `mcpproxy upstream probe`, the daemon's own upstream client, through
//! `tests/conformance/client.sh`: every scenario passes.
//!
//! The suite (Node 22 and the npm package) installs into `target/peers/conformance` on first
//! use, which needs the npm registry; the reference server's venv needs PyPI. Each run keeps
//! its logs in `target/tmp/conformance/LABEL/`, so a failure can be read up afterwards.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use mcpproxy_daemon::protocol::ServerState;
use serde::Deserialize;

use crate::support::wait::wait_until_blocking;
use crate::support::{TestDaemon, kill_and_reap, peers};

/// How long an upstream may take to become ready.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// A whole run of the 32 scenarios takes 20–30 s on an idle machine; this leaves room for a
/// loaded CI machine and the first-use install.
const FULL_RUN_TIMEOUT: Duration = Duration::from_secs(15 * 60);
/// A run of one scenario.
const SINGLE_RUN_TIMEOUT: Duration = Duration::from_secs(5 * 60);
/// The runner's own limit per scenario (its default is 180 s); a hung scenario then fails
/// with its log instead of using up the whole run's time.
const SCENARIO_TIMEOUT_SECS: &str = "120";
/// Installing Node 22 and the suite (about 15 s when the registry answers).
const INSTALL_TIMEOUT: Duration = Duration::from_secs(10 * 60);

#[tokio::test]
async fn the_reference_server_scores_the_same_through_the_proxy_as_directly() {
    let reference = ReferenceServer::start();
    let direct = run_suite("pyref-direct", &reference.url, &[], FULL_RUN_TIMEOUT).await;
    // A reference that fails everything would compare equal to a proxy that fails
    // everything: the handshake must work directly.
    assert_eq!(
        direct.verdict("server-initialize"),
        Some(Verdict::Pass),
        "the reference server does not work even directly:\n{}",
        direct.failures()
    );

    let config = format!("[servers.pyref]\nurl = \"{}\"\n", reference.url);
    let daemon = TestDaemon::start(&config).await;
    daemon
        .wait_state("pyref", ServerState::Ready, READY_TIMEOUT)
        .await;
    let url = format!("http://{}/mcp/server/pyref", listen_address(&daemon).await);
    let proxied = run_suite("pyref-proxied", &url, &[], FULL_RUN_TIMEOUT).await;

    assert_eq!(
        proxied.verdicts(),
        direct.verdicts(),
        "the reference server scores differently through the proxy.\n\
         failing directly:\n{}\nfailing through the proxy:\n{}",
        direct.failures(),
        proxied.failures()
    );
}

#[tokio::test]
async fn the_demo_server_passes_every_scenario_through_the_passthrough() {
    let daemon = TestDaemon::start(&TestDaemon::demo_server("demo", "")).await;
    daemon
        .wait_state("demo", ServerState::Ready, READY_TIMEOUT)
        .await;
    let url = format!("http://{}/mcp/server/demo", listen_address(&daemon).await);
    let report = run_suite("demo-passthrough", &url, &[], FULL_RUN_TIMEOUT).await;

    assert!(!report.scenarios.is_empty(), "the suite ran no scenario");
    assert!(
        report.scenarios.iter().all(|s| s.result == Verdict::Pass),
        "scenarios failed through /mcp/server/demo:\n{}",
        report.failures()
    );
}

#[tokio::test]
async fn the_aggregate_endpoints_refuse_dns_rebinding() {
    let daemon = TestDaemon::start(&TestDaemon::demo_server("demo", "")).await;
    daemon
        .wait_state("demo", ServerState::Ready, READY_TIMEOUT)
        .await;
    let listen = listen_address(&daemon).await;
    for (label, path) in [
        ("dns-rebinding-mcp", "mcp"),
        ("dns-rebinding-all", "mcp/all"),
    ] {
        let url = format!("http://{listen}/{path}");
        let report = run_suite(
            label,
            &url,
            &["dns-rebinding-protection"],
            SINGLE_RUN_TIMEOUT,
        )
        .await;
        assert_eq!(
            report.verdict("dns-rebinding-protection"),
            Some(Verdict::Pass),
            "/{path} failed dns-rebinding-protection:\n{}",
            report.failures()
        );
    }
}

#[tokio::test]
async fn the_upstream_client_passes_every_client_scenario() {
    let script = peers::workspace_root().join("tests/conformance/client.sh");
    let command = format!(
        "MCPPROXY_BIN='{}' '{}'",
        env!("CARGO_BIN_EXE_mcpproxy"),
        script.display()
    );
    let report = run_side("client", "upstream-client", &command, &[], FULL_RUN_TIMEOUT).await;

    assert_eq!(
        report.scenarios.len(),
        26,
        "the suite ran {} client scenarios, not the 26 of 0.1.16",
        report.scenarios.len()
    );
    assert!(
        report.scenarios.iter().all(|s| s.result == Verdict::Pass),
        "client scenarios failed through `mcpproxy upstream probe`:\n{}",
        report.failures()
    );
}

/// The daemon's TCP address, `127.0.0.1:PORT`.
async fn listen_address(daemon: &TestDaemon) -> String {
    daemon
        .status()
        .await
        .listen
        .expect("the daemon listens on TCP")
}

/// What `run.sh --json FILE` writes (the fields these tests read).
#[derive(Debug, Deserialize)]
struct Report {
    scenarios: Vec<Scenario>,
}

#[derive(Debug, Deserialize)]
struct Scenario {
    name: String,
    result: Verdict,
    #[serde(default)]
    problems: Vec<Problem>,
    /// The suite's full output for this scenario.
    log_file: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Verdict {
    Pass,
    Fail,
}

/// A FAILURE or WARNING check of a scenario.
#[derive(Debug, Deserialize)]
struct Problem {
    id: String,
    status: String,
    message: String,
}

impl Report {
    /// Scenario name → pass or fail.
    fn verdicts(&self) -> BTreeMap<&str, Verdict> {
        self.scenarios
            .iter()
            .map(|s| (s.name.as_str(), s.result))
            .collect()
    }

    fn verdict(&self, scenario: &str) -> Option<Verdict> {
        self.verdicts().get(scenario).copied()
    }

    /// The failing scenarios with their problems and where their logs are, one block each.
    fn failures(&self) -> String {
        let mut text = String::new();
        for scenario in self.scenarios.iter().filter(|s| s.result == Verdict::Fail) {
            text.push_str(&format!("  {}\n", scenario.name));
            for problem in &scenario.problems {
                text.push_str(&format!(
                    "    {} {}: {}\n",
                    problem.status, problem.id, problem.message
                ));
            }
            if let Some(log) = &scenario.log_file {
                text.push_str(&format!("    log: {log}\n"));
            }
        }
        if text.is_empty() {
            text.push_str("  (none)\n");
        }
        text
    }
}

/// The conformance runner's folder, beside the workspace.
fn conformance_dir() -> PathBuf {
    peers::workspace_root().join("../shared/tools/conformance")
}

/// Runs the suite's server side against `url` (every scenario, or the ones named) and returns
/// its `--json` report. The runner's summary table goes to the test output.
async fn run_suite(label: &str, url: &str, scenarios: &[&str], timeout: Duration) -> Report {
    run_side("server", label, url, scenarios, timeout).await
}

/// Runs one side of the suite: `server` against a URL, `client` with a command (to which the
/// suite appends each scenario's server URL).
async fn run_side(
    side: &str,
    label: &str,
    target: &str,
    scenarios: &[&str],
    timeout: Duration,
) -> Report {
    install_suite().await;
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("conformance")
        .join(label);
    // The runner empties each scenario's folder, not the folders of an earlier, longer run.
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    let json = out.join("report.json");
    let mut command = runner();
    command
        .arg("--out")
        .arg(out.join("scenarios"))
        .arg("--json")
        .arg(&json)
        .args(["--scenario-timeout", SCENARIO_TIMEOUT_SECS, side, target])
        .args(scenarios);
    let output = run_bounded(command, timeout, &format!("the conformance run {label}")).await;
    eprintln!(
        "conformance run {label} ({side} side) with {target}:\n{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let text = std::fs::read_to_string(&json).unwrap_or_else(|e| {
        panic!(
            "the conformance run {label} wrote no report ({e}); it exited with {}:\n{}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("unreadable report {}: {e}", json.display()))
}

/// Installs Node 22 and the suite on first use (later calls return at once); fails loudly.
async fn install_suite() {
    let mut command = runner();
    command.arg("--install-only");
    let output = run_bounded(command, INSTALL_TIMEOUT, "the conformance suite's install").await;
    assert!(
        output.status.success(),
        "cannot install the MCP conformance suite (needs npm and the npm registry); \
         `run.sh --install-only` exited with {}:\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `run.sh`, installing into `target/peers/conformance`.
fn runner() -> tokio::process::Command {
    let mut command = tokio::process::Command::new(conformance_dir().join("run.sh"));
    command
        .env(
            "MCP_CONFORMANCE_CACHE",
            peers::peers_dir().join("conformance"),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so a run that overstays can be ended with every scenario
        // process it started.
        .process_group(0);
    command
}

/// Runs `command` to its end; past `timeout` its whole process group is killed and the test
/// fails naming `what`.
async fn run_bounded(
    mut command: tokio::process::Command,
    timeout: Duration,
    what: &str,
) -> std::process::Output {
    let child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    let group = child.id().expect("a freshly started child has a pid");
    match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Ok(output) => output.unwrap(),
        Err(_) => {
            let pid = rustix::process::Pid::from_raw(group.try_into().unwrap()).unwrap();
            let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
            panic!("{what} did not finish within {timeout:?}");
        }
    }
}

/// The suite's Python reference server (`fixtures/python/everything_server.py`) on a free
/// loopback port; killed when dropped.
struct ReferenceServer {
    child: Child,
    url: String,
}

impl ReferenceServer {
    fn start() -> Self {
        let python = peers::conformance_python();
        let port = peers::free_port();
        let log_path = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join("conformance")
            .join("pyref-server.log");
        std::fs::create_dir_all(log_path.parent().unwrap()).unwrap();
        let log = std::fs::File::create(&log_path).unwrap();
        let child = Command::new(python)
            .arg(conformance_dir().join("fixtures/python/everything_server.py"))
            .args(["--port", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut server = Self {
            child,
            url: format!("http://127.0.0.1:{port}/mcp"),
        };
        wait_until_blocking(
            Duration::from_secs(30),
            "the conformance reference server to listen",
            || {
                if let Ok(Some(status)) = server.child.try_wait() {
                    panic!(
                        "the reference server exited with {status}; see {}",
                        log_path.display()
                    );
                }
                std::net::TcpStream::connect(("127.0.0.1", port)).ok()
            },
        );
        server
    }
}

impl Drop for ReferenceServer {
    fn drop(&mut self) {
        kill_and_reap(&mut self.child);
    }
}
