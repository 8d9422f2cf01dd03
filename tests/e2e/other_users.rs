//! Other people on the same machine: another user's process may not call tools or change
//! servers through `/mcp*` over TCP, while the owner's clients need no setup there; the
//! control API on TCP keeps asking everyone for the key; a data dir or config that another
//! user could write is refused with the `chmod` that fixes it (exit 5), at start and when the
//! config is reloaded.

use std::os::unix::fs::PermissionsExt as _;
use std::time::Duration;

use mcpproxy_daemon::protocol::ServerState;

use crate::support::daemon::{mcpproxy, temp_data_dir};
use crate::support::other_user::{OTHER_UID, can_switch_user, curl_as_other_user};
use crate::support::pipes::output_within;
use crate::support::raw_http::{Connection, MCP_POST, initialize};
use crate::support::{TestDaemon, wait_until};

const READY: Duration = Duration::from_secs(60);

/// Tells why a test that needs root did nothing; CI and the reference machine run as root.
fn needs_root(test: &str) -> bool {
    if can_switch_user() {
        return false;
    }
    eprintln!("{test}: not run: switching to another user (setpriv) needs root");
    true
}

const JSON_MCP: [&str; 2] = [
    "Content-Type: application/json",
    "Accept: application/json, text/event-stream",
];

#[tokio::test]
async fn another_user_is_refused_on_mcp_over_tcp_while_the_owner_is_served() {
    if needs_root("another_user_is_refused_on_mcp_over_tcp_while_the_owner_is_served") {
        return;
    }
    let daemon = TestDaemon::start(&format!(
        "listen = \"127.0.0.1:0\"\n{}",
        TestDaemon::demo_server("demo", "")
    ))
    .await;
    daemon.wait_state("demo", ServerState::Ready, READY).await;
    let listen = daemon.status().await.listen.unwrap();
    let key = std::fs::read_to_string(daemon.data_dir().join("api_key")).unwrap();
    let key = key.trim();

    // The owner: no key, no setup, on every MCP endpoint.
    for path in ["/mcp", "/mcp/call", "/mcp/all", "/mcp/server/demo"] {
        let mut owner = Connection::open(&listen);
        let answer = owner.send("POST", path, MCP_POST, &initialize(1));
        assert_eq!(answer.status, 200, "owner on {path}: {}", answer.text());
        assert!(
            answer.json()["result"]["serverInfo"].is_object(),
            "{}",
            answer.text()
        );
    }

    // Another user: refused with a JSON error that says why and what to do, on every MCP
    // endpoint, whatever it asks for.
    let remove = serde_json::json!({
        "jsonrpc": "2.0", "id": 2, "method": "tools/call",
        "params": {"name": "upstream_servers", "arguments": {"operation": "remove", "name": "demo"}},
    })
    .to_string();
    for path in ["/mcp", "/mcp/call", "/mcp/all", "/mcp/server/demo"] {
        for body in [String::from_utf8(initialize(1)).unwrap(), remove.clone()] {
            let (status, answer) =
                curl_as_other_user("POST", &format!("http://{listen}{path}"), &JSON_MCP, &body);
            assert_eq!(status, 403, "uid {OTHER_UID} on {path}: {answer}");
            let error: serde_json::Value = serde_json::from_str(&answer).unwrap();
            assert_eq!(error["error"]["code"], "forbidden", "{answer}");
            let message = error["error"]["message"].as_str().unwrap();
            assert!(message.contains(&format!("uid {OTHER_UID}")), "{answer}");
            assert!(
                error["error"]["hint"].as_str().unwrap().contains("API key"),
                "{answer}"
            );
        }
    }
    let view = daemon
        .wait_state("demo", ServerState::Ready, Duration::from_secs(5))
        .await;
    assert!(view.enabled, "another user changed the server: {view:?}");

    // With the key, another user's client is let in (the owner handed it over).
    let with_key = format!("X-API-Key: {key}");
    let headers = [JSON_MCP[0], JSON_MCP[1], with_key.as_str()];
    let body = String::from_utf8(initialize(1)).unwrap();
    let (status, answer) =
        curl_as_other_user("POST", &format!("http://{listen}/mcp"), &headers, &body);
    assert_eq!(status, 200, "{answer}");

    // The control API on TCP asks everyone for the key, the owner too.
    let (status, answer) =
        curl_as_other_user("GET", &format!("http://{listen}/api/v1/servers"), &[], "");
    assert_eq!(status, 401, "{answer}");
    let owner = Connection::open(&listen).send("GET", "/api/v1/servers", &[], b"");
    assert_eq!(owner.status, 401, "{}", owner.text());
    let (status, answer) = curl_as_other_user(
        "GET",
        &format!("http://{listen}/api/v1/servers"),
        &[&with_key],
        "",
    );
    assert_eq!(status, 200, "{answer}");
}

/// `serve` on `dir` must refuse to start with exit code 5; returns its stderr.
fn refused_start(dir: &std::path::Path) -> String {
    let child = mcpproxy(dir)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let output = output_within(
        child,
        Duration::from_secs(20),
        "serve to refuse the data dir",
    );
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(5), "{stderr}");
    stderr
}

fn chmod(path: &std::path::Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[tokio::test]
async fn a_data_dir_or_config_others_can_write_is_refused_with_the_chmod() {
    let dir = temp_data_dir();
    let path = dir.path();
    std::fs::write(path.join("config.toml"), "listen = \"127.0.0.1:0\"\n").unwrap();

    chmod(path, 0o777);
    let stderr = refused_start(path);
    assert!(
        stderr.contains("writable by every user (mode 0777)"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("chmod 700 {}", path.display())),
        "{stderr}"
    );
    assert!(
        !path.join("mcpproxy.sock").exists(),
        "a refused start left a socket"
    );

    chmod(path, 0o700);
    chmod(&path.join("config.toml"), 0o666);
    let stderr = refused_start(path);
    assert!(stderr.contains("config file"), "{stderr}");
    assert!(
        stderr.contains(&format!("chmod 600 {}", path.join("config.toml").display())),
        "{stderr}"
    );
    chmod(&path.join("config.toml"), 0o644);

    if needs_root("a_data_dir_or_config_others_can_write_is_refused_with_the_chmod (groups)") {
        return;
    }
    // Group-writable through a group another user is in (nobody's primary group): refused.
    let nogroup = rustix::fs::Gid::from_raw(OTHER_UID);
    rustix::fs::chown(path, None, Some(nogroup)).unwrap();
    chmod(path, 0o770);
    let stderr = refused_start(path);
    assert!(stderr.contains("writable by group"), "{stderr}");
    assert!(
        stderr.contains(&format!("chmod g-w {}", path.display())),
        "{stderr}"
    );
    // Group-writable through root's own group, which has no other member (a user-private
    // group): the daemon starts.
    rustix::fs::chown(path, None, Some(rustix::fs::Gid::ROOT)).unwrap();
    let daemon = TestDaemon::start_in(dir, &[]).await;
    assert!(daemon.status().await.config_problems.is_empty());
}

#[tokio::test]
async fn a_config_that_became_writable_by_others_is_not_reloaded() {
    let daemon = TestDaemon::start("listen = \"127.0.0.1:0\"\n").await;
    let config = daemon.data_dir().join("config.toml");
    chmod(&config, 0o666);
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\n{}",
            TestDaemon::demo_server("planted", "")
        ),
    )
    .unwrap();
    let client = daemon.client.clone();
    let problems = wait_until(Duration::from_secs(10), "the reload to be refused", || {
        let client = client.clone();
        async move {
            let status = client.status().await.ok()?;
            (!status.config_problems.is_empty()).then_some(status.config_problems)
        }
    })
    .await;
    assert!(
        problems[0].message.contains("writable by every user"),
        "{problems:?}"
    );
    let servers = daemon.client.servers().await.unwrap().servers;
    assert!(
        servers.is_empty(),
        "a config others could write was applied: {servers:?}"
    );
}
