//! What a new user meets first, tried as one would: an unreachable server says why in one
//! sentence; CLI errors carry the right code under `--json` and their hint once; a command
//! that starts the daemon waits for its servers; `serve` in the foreground prints mcpproxy's
//! own lines only; the MCP endpoints answer bad JSON, session ends and bad query strings the
//! way clients expect; `tools call` shows results a person can read; `config check` on another
//! client's config points at `config import`.

use std::process::{Output, Stdio};
use std::time::Duration;

use mcpproxy_daemon::protocol::ServerState;
use rustix::process::Signal;
use serde_json::{Value, json};

use crate::support::daemon::{StopOnDrop, mcpproxy, temp_data_dir};
use crate::support::{TestDaemon, peers};

const READY: Duration = Duration::from_secs(60);

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The `{"error": {...}}` a command printed under `--json`.
fn json_error(output: &Output) -> Value {
    let value: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(output), stderr(output)));
    value["error"].clone()
}

/// A daemon with the demo server, ready; returns it with its TCP base URL.
async fn daemon_with_demo(extra: &str) -> (TestDaemon, String) {
    let daemon = TestDaemon::start(&format!(
        "listen = \"127.0.0.1:0\"\n{}{extra}",
        TestDaemon::demo_server("demo", "")
    ))
    .await;
    daemon.wait_state("demo", ServerState::Ready, READY).await;
    let listen = daemon.status().await.listen.unwrap();
    (daemon, format!("http://{listen}"))
}

#[tokio::test]
async fn an_unresolvable_host_says_why_in_one_short_sentence() {
    let daemon = TestDaemon::start(
        "listen = \"\"\n[servers.remote]\nurl = \"http://no-such-host.invalid/mcp\"\n",
    )
    .await;
    let view = daemon
        .wait_state("remote", ServerState::Backoff, READY)
        .await;
    let said = view.last_error.expect("a server in backoff says why");
    assert!(
        said.chars().count() <= 200,
        "{} characters: {said}",
        said.len()
    );
    assert!(
        said.contains("cannot resolve no-such-host.invalid"),
        "the cause is not named: {said}"
    );
    assert!(said.contains("check the URL"), "no advice: {said}");
    assert!(
        !said.contains("::") && !said.contains('<'),
        "Rust type names in: {said}"
    );
    // The whole chain is in the server's log.
    let log = std::fs::read_to_string(daemon.data_dir().join("logs/servers/remote.log")).unwrap();
    assert!(
        log.contains("failed to lookup address") || log.contains("dns error"),
        "the log lacks the resolver's error:\n{log}"
    );
}

#[tokio::test]
async fn cli_errors_carry_their_code_and_say_their_hint_once() {
    let (daemon, _) = daemon_with_demo("").await;

    let missing = daemon.cli(&["upstream", "remove", "no-such", "--json"]);
    assert_eq!(missing.status.code(), Some(1));
    let error = json_error(&missing);
    assert_eq!(error["code"], "not_found", "{error}");
    assert!(
        error["message"].as_str().unwrap().contains("no-such"),
        "{error}"
    );

    let taken = daemon.cli(&["upstream", "add", "demo", "--url", "http://x/mcp", "--json"]);
    assert_eq!(taken.status.code(), Some(1));
    assert_eq!(json_error(&taken)["code"], "conflict");

    for args in [
        &["upstream", "enable", "no-such"][..],
        &["tools", "call", "no-such:tool"],
        &["tools", "list", "--server", "no-such"],
    ] {
        let json_args: Vec<&str> = args.iter().copied().chain(["--json"]).collect();
        let output = daemon.cli(&json_args);
        assert_eq!(json_error(&output)["code"], "not_found", "{args:?}");
    }

    let text = daemon.cli(&["upstream", "remove", "no-such"]);
    let said = stderr(&text);
    assert_eq!(said.matches("hint:").count(), 1, "{said}");
    assert_eq!(
        said.matches("mcpproxy upstream list").count(),
        1,
        "the hint is said twice: {said}"
    );
}

#[tokio::test]
async fn tools_list_right_after_an_autostart_shows_the_demo_tools() {
    let dir = temp_data_dir();
    std::fs::write(
        dir.path().join("config.toml"),
        "listen = \"\"\n[servers.demo]\nbuiltin = \"demo\"\n",
    )
    .unwrap();
    let _stop = StopOnDrop(dir.path());
    let listed = tokio::task::spawn_blocking({
        let dir = dir.path().to_path_buf();
        move || {
            mcpproxy(&dir)
                .arg("--data-dir")
                .arg(&dir)
                .args(["tools", "list"])
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    assert!(listed.status.success(), "{}", stderr(&listed));
    assert!(
        stderr(&listed).contains("started the mcpproxy daemon"),
        "it did not say it started a daemon: {}",
        stderr(&listed)
    );
    let tools = stdout(&listed);
    assert!(tools.contains("demo:calculate"), "no demo tools:\n{tools}");
    assert!(tools.contains("demo:current_time"), "{tools}");
}

#[tokio::test]
async fn serve_in_the_foreground_prints_mcpproxys_lines_and_no_library_chatter() {
    let (mut daemon, base) = daemon_with_demo("").await;
    // An MCP session (rmcp's server side) and a call through the upstream (its client side).
    let client = rmcp::service::ServiceExt::serve(
        (),
        rmcp::transport::StreamableHttpClientTransport::from_uri(format!("{base}/mcp/all")),
    )
    .await
    .unwrap();
    let params = rmcp::model::CallToolRequestParams::new("demo__calculate")
        .with_arguments(json!({"expression": "6*7"}).as_object().unwrap().clone());
    client.call_tool(params).await.unwrap();
    client.cancel().await.unwrap();
    let status = daemon.signal_and_wait(Signal::TERM, Duration::from_secs(10));
    assert!(status.success(), "{status}");

    let printed = std::fs::read_to_string(daemon.data_dir().join("serve.stderr")).unwrap();
    assert!(printed.contains("mcpproxy daemon ready"), "{printed}");
    for line in printed.lines() {
        assert!(
            !line.contains(" rmcp") && !line.contains("hyper") && !line.contains("reqwest"),
            "a library's line in the foreground: {line}"
        );
        assert!(
            !line.contains(" { ") && !line.contains("Some("),
            "a Rust debug struct in the foreground: {line}"
        );
    }
}

#[tokio::test]
async fn mcp_endpoints_answer_bad_json_session_ends_and_bad_queries_as_clients_expect() {
    let (daemon, base) = daemon_with_demo("").await;
    let http = reqwest::Client::new();
    for surface in ["/mcp", "/mcp/all", "/mcp/call", "/mcp/server/demo"] {
        let response = http
            .post(format!("{base}{surface}"))
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body("{not json")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 400, "{surface}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], -32700, "{surface}: {body}");
        assert_eq!(body["jsonrpc"], "2.0", "{surface}: {body}");
    }

    // Ending a session: 204, then 404 for the session that is gone.
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {},
        "clientInfo": {"name": "first-use", "version": "1"}}});
    let opened = http
        .post(format!("{base}/mcp/all"))
        .header("accept", "application/json, text/event-stream")
        .json(&initialize)
        .send()
        .await
        .unwrap();
    let session = opened.headers()["mcp-session-id"]
        .to_str()
        .unwrap()
        .to_owned();
    for expected in [204, 404] {
        let ended = http
            .delete(format!("{base}/mcp/all"))
            .header("mcp-session-id", &session)
            .header("mcp-protocol-version", "2025-11-25")
            .send()
            .await
            .unwrap();
        assert_eq!(ended.status().as_u16(), expected);
    }

    // The Python SDK ends its session on leaving and warns unless that succeeded.
    let python = peers::python_mcp2();
    let run = tokio::process::Command::new(python)
        .arg(peers::fixture("clients/py_client.py"))
        .arg(format!("{base}/mcp/all"))
        .arg("legacy")
        .arg(json!({"op": "list"}).to_string())
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let run = tokio::time::timeout(Duration::from_secs(90), run)
        .await
        .unwrap()
        .unwrap();
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(
        !stderr(&run).contains("Session termination failed"),
        "{}",
        stderr(&run)
    );

    // Query strings of the control API are checked like bodies: a JSON error.
    let response = daemon
        .client
        .get::<Value>("/events?heartbeat_s=abc")
        .await
        .expect_err("a bad query string is refused");
    let said = response.to_string();
    assert!(said.contains("heartbeat_s"), "{said}");
    let mcpproxy_daemon::client::ClientError::Api { status, error } = response else {
        panic!("not an API error: {said}");
    };
    assert_eq!(status.as_u16(), 400);
    assert_eq!(error.code, mcpproxy_daemon::protocol::ErrorCode::BadRequest);
}

#[tokio::test]
async fn tools_call_shows_text_structured_content_and_images_readably() {
    let everything = peers::server_everything();
    let (daemon, _) = daemon_with_demo(&format!(
        "\n[servers.everything]\ncommand = \"node\"\nargs = [\"{}\", \"stdio\"]\n",
        everything.display()
    ))
    .await;
    daemon
        .wait_state("everything", ServerState::Ready, READY)
        .await;

    let image = daemon.cli(&["tools", "call", "everything:get-tiny-image"]);
    assert!(image.status.success(), "{}", stderr(&image));
    let shown = stdout(&image);
    assert!(shown.contains("[image: image/png, "), "{shown}");
    assert!(
        shown.lines().all(|line| line.len() < 200),
        "base64 on the terminal:\n{shown}"
    );
    let whole = daemon.cli(&["tools", "call", "everything:get-tiny-image", "--json"]);
    let whole: Value = serde_json::from_slice(&whole.stdout).unwrap();
    let data = whole["content"]
        .as_array()
        .unwrap()
        .iter()
        .find(|block| block["type"] == "image")
        .and_then(|block| block["data"].as_str())
        .expect("--json keeps the image");
    assert!(data.len() > 100);

    let structured = daemon.cli(&[
        "tools",
        "call",
        "demo:calculate",
        "--args",
        r#"{"expression": "6*7"}"#,
    ]);
    let shown = stdout(&structured);
    let parsed: Value = serde_json::from_str(&shown).unwrap_or_else(|e| panic!("{e}: {shown}"));
    assert_eq!(parsed["result"], 42.0, "{shown}");
    assert!(shown.contains("\n  \"result\""), "not indented:\n{shown}");

    let text = daemon.cli(&[
        "tools",
        "call",
        "demo:echo",
        "--args",
        r#"{"message": "hi"}"#,
    ]);
    assert_eq!(stdout(&text).trim_end(), "Echo: hi");

    // A result that is an error: exit code 1, and under --json the result is the one answer.
    let failed = daemon.cli(&["tools", "call", "demo:fail", "--json"]);
    assert_eq!(failed.status.code(), Some(1));
    let result: Value = serde_json::from_slice(&failed.stdout)
        .unwrap_or_else(|e| panic!("not one JSON document ({e}): {}", stdout(&failed)));
    assert_eq!(result["is_error"], true, "{result}");
}

#[tokio::test]
async fn config_check_on_a_clients_json_config_points_at_config_import() {
    let dir = temp_data_dir();
    let claude = dir.path().join("claude_desktop_config.json");
    std::fs::write(
        &claude,
        r#"{"mcpServers": {"time": {"command": "uvx", "args": ["mcp-server-time"]}}}"#,
    )
    .unwrap();
    let checked = mcpproxy(dir.path())
        .arg("--data-dir")
        .arg(dir.path())
        .args(["config", "check"])
        .arg(&claude)
        .output()
        .unwrap();
    assert_eq!(checked.status.code(), Some(4));
    let said = stderr(&checked);
    assert!(
        said.contains(&format!("mcpproxy config import {}", claude.display())),
        "{said}"
    );
    assert!(said.contains("Claude Desktop"), "{said}");
}
