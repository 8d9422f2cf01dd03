//! `mcpproxy stdio`: an rmcp client launches it as its MCP server and reaches the daemon's
//! endpoints through it over the control socket, in both protocol eras (2025-11-25
//! `initialize`, 2026-07-28 `server/discover`). It starts a daemon when none runs, ends when
//! stdin closes, and fails when the daemon goes away.

use std::io::Write as _;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Duration;

use mcpproxy_daemon::client::Client;
use mcpproxy_daemon::protocol::{ServerState, ToolCall};
use rmcp::model::{
    CallToolRequestParams, CallToolResult, ProtocolVersion, ServerNotification, SubscriptionFilter,
};
use rmcp::service::{
    ClientLifecycleMode, ClientServiceExt as _, NotificationContext, RoleClient, RunningService,
};
use rmcp::transport::TokioChildProcess;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::support::daemon::{mcpproxy, temp_data_dir};
use crate::support::pipes::{LineReader, NextLine, output_within};
use crate::support::{TestDaemon, kill_and_reap, wait_until};

const READY_TIMEOUT: Duration = Duration::from_secs(60);
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

/// Both lifecycles of the rmcp client, named by the protocol version each negotiates.
fn lifecycles() -> [(ProtocolVersion, ClientLifecycleMode); 2] {
    [
        (
            ProtocolVersion::V_2025_11_25,
            ClientLifecycleMode::Initialize,
        ),
        (
            ProtocolVersion::V_2026_07_28,
            ClientLifecycleMode::Discover {
                preferred_versions: vec![ProtocolVersion::V_2026_07_28],
            },
        ),
    ]
}

/// A client that reports the tool-list changes the server sends outside of a subscription.
#[derive(Clone)]
struct ListChangeClient {
    changes: mpsc::UnboundedSender<()>,
}

impl rmcp::ClientHandler for ListChangeClient {
    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        let _ = self.changes.send(());
    }
}

/// `mcpproxy --data-dir DIR stdio [--endpoint ENDPOINT]` as the child process of an rmcp
/// client using `lifecycle`.
async fn connect<H: rmcp::ClientHandler>(
    handler: H,
    data_dir: &Path,
    endpoint: Option<&str>,
    lifecycle: ClientLifecycleMode,
) -> RunningService<RoleClient, H> {
    let transport = TokioChildProcess::new(stdio_command(data_dir, endpoint)).unwrap();
    tokio::time::timeout(
        READY_TIMEOUT,
        handler.serve_with_lifecycle(transport, lifecycle),
    )
    .await
    .expect("the handshake through mcpproxy stdio timed out")
    .expect("the handshake through mcpproxy stdio failed")
}

fn stdio_command(data_dir: &Path, endpoint: Option<&str>) -> tokio::process::Command {
    let mut command = tokio::process::Command::from(mcpproxy(data_dir));
    command.arg("--data-dir").arg(data_dir).arg("stdio");
    if let Some(endpoint) = endpoint {
        command.args(["--endpoint", endpoint]);
    }
    command
}

async fn call<H: rmcp::ClientHandler>(
    client: &RunningService<RoleClient, H>,
    tool: &str,
    arguments: Value,
) -> CallToolResult {
    let params = CallToolRequestParams::new(tool.to_owned())
        .with_arguments(arguments.as_object().unwrap().clone());
    let result = tokio::time::timeout(ANSWER_TIMEOUT, client.call_tool(params))
        .await
        .unwrap_or_else(|_| panic!("calling {tool} timed out"))
        .unwrap_or_else(|e| panic!("calling {tool}: {e}"));
    assert_ne!(result.is_error, Some(true), "{tool}: {}", text(&result));
    result
}

fn text(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|block| block.as_text().map(|text| text.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

async fn tool_names<H: rmcp::ClientHandler>(client: &RunningService<RoleClient, H>) -> Vec<String> {
    tokio::time::timeout(ANSWER_TIMEOUT, client.list_all_tools())
        .await
        .expect("listing tools timed out")
        .unwrap()
        .into_iter()
        .map(|tool| tool.name.to_string())
        .collect()
}

/// Lists the default endpoint's tools, finds the calculator, and calls it through
/// `call_tool_read`.
async fn retrieve_and_calculate<H: rmcp::ClientHandler>(client: &RunningService<RoleClient, H>) {
    let names = tool_names(client).await;
    for expected in [
        "retrieve_tools",
        "describe_tool",
        "call_tool_read",
        "call_tool_write",
        "call_tool_destructive",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
    let found = call(
        client,
        "retrieve_tools",
        json!({"query": "calculate an arithmetic expression"}),
    )
    .await;
    let found = found
        .structured_content
        .expect("retrieve_tools is structured");
    let ids: Vec<&str> = found["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|tool| tool["id"].as_str())
        .collect();
    assert!(ids.contains(&"demo:calculate"), "{ids:?}");

    let result = call(
        client,
        "call_tool_read",
        json!({"name": "demo:calculate", "args": {"expression": "6*7"}}),
    )
    .await;
    let structured = result.structured_content.clone().unwrap_or_default();
    assert_eq!(
        structured["result"].as_f64(),
        Some(42.0),
        "{structured} / {}",
        text(&result)
    );
}

async fn start_demo_daemon(extra_args: &[&str]) -> TestDaemon {
    let dir = temp_data_dir();
    std::fs::write(
        dir.path().join("config.toml"),
        TestDaemon::demo_server("demo", ""),
    )
    .unwrap();
    let daemon = TestDaemon::start_in(dir, extra_args).await;
    daemon
        .wait_state("demo", ServerState::Ready, READY_TIMEOUT)
        .await;
    daemon
}

#[tokio::test]
async fn the_default_endpoint_finds_and_calls_tools_in_both_eras_over_the_socket_alone() {
    // TCP off: the bridge needs nothing but the control socket.
    let daemon = start_demo_daemon(&["--listen="]).await;
    assert_eq!(daemon.status().await.listen, None);
    for (version, lifecycle) in lifecycles() {
        let client = connect((), daemon.data_dir(), None, lifecycle).await;
        let info = client.peer_info().expect("the server's info");
        assert_eq!(info.protocol_version, version);
        assert_eq!(info.server_info.as_ref().unwrap().name, "mcpproxy");
        retrieve_and_calculate(&client).await;
        client.cancel().await.unwrap();
    }
}

#[tokio::test]
async fn the_all_endpoint_serves_every_tool_directly_in_both_eras() {
    let daemon = start_demo_daemon(&[]).await;
    for (version, lifecycle) in lifecycles() {
        let client = connect((), daemon.data_dir(), Some("all"), lifecycle).await;
        assert_eq!(client.peer_info().unwrap().protocol_version, version);
        let names = tool_names(&client).await;
        assert!(names.iter().any(|n| n == "demo__echo"), "{names:?}");
        assert!(!names.iter().any(|n| n == "retrieve_tools"), "{names:?}");
        let echoed = call(&client, "demo__echo", json!({"message": "through stdio"})).await;
        assert!(text(&echoed).contains("through stdio"), "{}", text(&echoed));
        client.cancel().await.unwrap();
    }
}

#[tokio::test]
async fn tool_list_changes_reach_the_client_in_both_eras() {
    let daemon = start_demo_daemon(&[]).await;
    let mutate = ToolCall {
        tool: "demo:mutate_tools".into(),
        arguments: Default::default(),
    };

    // 2025-11-25: on the session's GET stream, which the bridge holds open.
    let (changes, mut changed) = mpsc::unbounded_channel();
    let client = connect(
        ListChangeClient { changes },
        daemon.data_dir(),
        Some("all"),
        ClientLifecycleMode::Initialize,
    )
    .await;
    let before = tool_names(&client).await.len();
    // The GET stream opens after the handshake; a change before it would not be seen, so
    // change again until one arrives.
    let deadline = std::time::Instant::now() + ANSWER_TIMEOUT;
    loop {
        daemon.client.call_tool(&mutate).await.unwrap();
        let wait = tokio::time::timeout(Duration::from_millis(500), changed.recv());
        if let Ok(Some(())) = wait.await {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no tool list change reached the client"
        );
    }
    assert!(tool_names(&client).await.len() > before);
    client.cancel().await.unwrap();

    // 2026-07-28: on a `subscriptions/listen` stream, an exchange of its own.
    let client = connect(
        (),
        daemon.data_dir(),
        Some("all"),
        ClientLifecycleMode::Discover {
            preferred_versions: vec![ProtocolVersion::V_2026_07_28],
        },
    )
    .await;
    let mut subscription = tokio::time::timeout(
        ANSWER_TIMEOUT,
        client.listen(SubscriptionFilter::builder().tools_list_changed().build()),
    )
    .await
    .expect("subscribing timed out")
    .unwrap();
    daemon.client.call_tool(&mutate).await.unwrap();
    let notification = tokio::time::timeout(ANSWER_TIMEOUT, subscription.next())
        .await
        .expect("no tool list change on the subscription")
        .unwrap()
        .unwrap();
    assert!(
        matches!(
            notification,
            ServerNotification::ToolListChangedNotification(_)
        ),
        "{notification:?}"
    );
    // With the subscription still open, closing stdin ends the bridge at once.
    let closing = std::time::Instant::now();
    client.cancel().await.unwrap();
    assert!(
        closing.elapsed() < Duration::from_secs(5),
        "{:?}",
        closing.elapsed()
    );
}

#[tokio::test]
async fn stdio_starts_a_daemon_when_none_runs() {
    let dir = temp_data_dir();
    std::fs::write(
        dir.path().join("config.toml"),
        format!(
            "listen = \"127.0.0.1:0\"\n{}",
            TestDaemon::demo_server("demo", "")
        ),
    )
    .unwrap();
    let socket_client = Client::socket(dir.path().join("mcpproxy.sock"));
    assert!(socket_client.status().await.is_err(), "no daemon yet");
    // Stops the daemon the bridge starts, even when an assertion fails.
    let _stop = StopDaemonOnDrop(dir.path());

    let client = connect(
        (),
        dir.path(),
        None,
        ClientLifecycleMode::Discover {
            preferred_versions: vec![ProtocolVersion::V_2026_07_28],
        },
    )
    .await;
    let status = socket_client.status().await.expect("a daemon was started");
    wait_until(READY_TIMEOUT, "the demo server to be ready", || {
        let socket_client = socket_client.clone();
        async move {
            let servers = socket_client.servers().await.ok()?;
            servers
                .servers
                .iter()
                .any(|s| s.name == "demo" && s.state == ServerState::Ready)
                .then_some(())
        }
    })
    .await;
    retrieve_and_calculate(&client).await;
    client.cancel().await.unwrap();

    // The daemon outlives the bridge that started it.
    assert_eq!(socket_client.status().await.unwrap().pid, status.pid);
}

/// `mcpproxy --data-dir DIR daemon stop` when dropped.
struct StopDaemonOnDrop<'a>(&'a Path);

impl Drop for StopDaemonOnDrop<'_> {
    fn drop(&mut self) {
        let output = mcpproxy(self.0)
            .arg("--data-dir")
            .arg(self.0)
            .args(["daemon", "stop"])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "daemon stop: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// The bridge as a plain child process, for what the rmcp client does not show: stdout
/// line by line, stderr, the exit status.
fn spawn_bridge(data_dir: &Path) -> Child {
    mcpproxy(data_dir)
        .arg("--data-dir")
        .arg(data_dir)
        .arg("stdio")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

const INITIALIZE: &str = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"e2e","version":"1"}}}"#;
const INITIALIZED: &str = r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;

#[tokio::test]
async fn closing_stdin_ends_the_bridge_after_the_last_answers() {
    let daemon = start_demo_daemon(&[]).await;
    let mut bridge = spawn_bridge(daemon.data_dir());
    // Everything at once, then end of input: nothing may be lost on the way out.
    let lines = [
        INITIALIZE,
        INITIALIZED,
        r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"call_tool_read","arguments":{"name":"demo:calculate","args":{"expression":"6*7"}}}}"#,
        "not json",
        r#"{"jsonrpc":"2.0","id":3,"method":"tools/list"}"#,
    ];
    let mut stdin = bridge.stdin.take().unwrap();
    stdin
        .write_all(format!("{}\n", lines.join("\n")).as_bytes())
        .unwrap();
    drop(stdin);

    let output = tokio::task::spawn_blocking(move || {
        output_within(
            bridge,
            ANSWER_TIMEOUT,
            "the bridge to answer and exit after its input ended",
        )
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{:?}: {stderr}", output.status);
    let messages: Vec<Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    let answer = |id: Value| {
        messages
            .iter()
            .find(|m| m["id"] == id)
            .unwrap_or_else(|| panic!("no answer to {id} in {messages:?}"))
    };
    assert!(answer(json!(1))["result"]["protocolVersion"].is_string());
    assert_eq!(
        answer(json!(2))["result"]["structuredContent"]["result"].as_f64(),
        Some(42.0)
    );
    assert!(answer(json!(3))["result"]["tools"].is_array());
    let parse_error = answer(Value::Null);
    assert_eq!(parse_error["error"]["code"], -32700);
    assert_eq!(messages.len(), 4, "{messages:?}");
}

#[tokio::test]
async fn the_bridge_fails_when_the_daemon_goes_away() {
    let mut daemon = start_demo_daemon(&[]).await;
    let mut bridge = spawn_bridge(daemon.data_dir());
    let mut stdin = bridge.stdin.take().unwrap();
    writeln!(stdin, "{INITIALIZE}\n{INITIALIZED}").unwrap();
    let stdout = LineReader::new(bridge.stdout.take().unwrap());
    let line = match stdout.next_line(ANSWER_TIMEOUT) {
        NextLine::Line(line) => line,
        other => {
            kill_and_reap(&mut bridge);
            panic!("no answer to initialize from the bridge within {ANSWER_TIMEOUT:?}: {other:?}");
        }
    };
    let answer: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(answer["id"], 1, "{line}");

    daemon.signal_and_wait(rustix::process::Signal::TERM, Duration::from_secs(30));
    // stdin stays open: only the daemon's going away ends the bridge.
    let status = crate::support::wait::wait_until_blocking(
        Duration::from_secs(10),
        "the bridge to exit",
        || bridge.try_wait().unwrap(),
    );
    drop(stdin);
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut bridge.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("the daemon went away"), "{stderr}");
    let rest = stdout.rest(ANSWER_TIMEOUT, "the end of the bridge's stdout");
    assert!(rest.trim().is_empty(), "stdout is for MCP only: {rest}");
}
