//! The proxy's own rules, seen by an MCP client over HTTP: intents on `/mcp/call`,
//! quarantine for what agents add, the API key on TCP when asked for, activity events.
//! (Real third-party clients are in `clients.rs`; the conformance suite in `conformance.rs`.)

use std::time::Duration;

use futures_util::StreamExt as _;
use mcpproxy_daemon::protocol::{CallOutcome, CallVariant, Event, ServerState};
use rmcp::RoleClient;
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::{RunningService, ServiceExt as _};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::{Value, json};

use crate::support::TestDaemon;

const READY: Duration = Duration::from_secs(60);

async fn daemon_with_demo(extra_config: &str) -> (TestDaemon, String) {
    let daemon = TestDaemon::start(&format!(
        "listen = \"127.0.0.1:0\"\n{extra_config}\n{}",
        TestDaemon::demo_server("demo", "")
    ))
    .await;
    daemon.wait_state("demo", ServerState::Ready, READY).await;
    let listen = daemon.status().await.listen.unwrap();
    (daemon, format!("http://{listen}"))
}

/// A 2025-11-25 MCP client on `url`, optionally with a bearer token.
pub(crate) async fn client(
    url: &str,
    bearer: Option<String>,
) -> Result<RunningService<RoleClient, ()>, String> {
    let mut config = StreamableHttpClientTransportConfig::with_uri(url.to_owned());
    config.auth_header = bearer;
    let transport = StreamableHttpClientTransport::from_config(config);
    ().serve(transport).await.map_err(|e| e.to_string())
}

pub(crate) async fn call(
    client: &RunningService<RoleClient, ()>,
    tool: &str,
    arguments: Value,
) -> CallToolResult {
    let params = CallToolRequestParams::new(tool.to_owned())
        .with_arguments(arguments.as_object().unwrap().clone());
    client.call_tool(params).await.unwrap()
}

pub(crate) fn text(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn a_weaker_intent_is_refused_with_the_right_variant() {
    let (_daemon, base) = daemon_with_demo("").await;
    let client = client(&format!("{base}/mcp/call"), None).await.unwrap();
    let refused = call(
        &client,
        "call_tool_read",
        json!({"name": "demo:mutate_tools"}),
    )
    .await;
    assert_eq!(refused.is_error, Some(true));
    assert!(
        text(&refused).contains("call_tool_write"),
        "{}",
        text(&refused)
    );

    let allowed = call(
        &client,
        "call_tool_write",
        json!({"name": "demo:mutate_tools"}),
    )
    .await;
    assert_ne!(allowed.is_error, Some(true), "{}", text(&allowed));
    // A stronger intent than needed is fine.
    let stronger = call(
        &client,
        "call_tool_destructive",
        json!({"name": "demo:calculate", "args": {"expression": "2+2"}}),
    )
    .await;
    assert!(text(&stronger).contains('4'), "{}", text(&stronger));

    let retrieved = call(&client, "retrieve_tools", json!({"query": "mutate tools"})).await;
    let tools = retrieved.structured_content.unwrap()["tools"].clone();
    let mutate = tools
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "demo:mutate_tools")
        .unwrap();
    assert_eq!(mutate["call_with"], "call_tool_write");
    let described = call(&client, "describe_tool", json!({"name": "demo:crash"})).await;
    assert_eq!(
        described.structured_content.unwrap()["call_with"],
        "call_tool_destructive"
    );
}

#[tokio::test]
async fn servers_an_agent_adds_wait_for_a_person() {
    let (daemon, base) = daemon_with_demo("").await;
    let client = client(&format!("{base}/mcp/call"), None).await.unwrap();
    let exe = env!("CARGO_BIN_EXE_mcpproxy");
    let added = call(
        &client,
        "upstream_servers",
        json!({"operation": "add", "name": "sneaky", "command": exe, "args": ["demo-server", "--test-tools"]}),
    )
    .await;
    assert_ne!(added.is_error, Some(true), "{}", text(&added));
    assert_eq!(added.structured_content.unwrap()["state"], "quarantined");
    let config = std::fs::read_to_string(daemon.data_dir().join("config.toml")).unwrap();
    assert!(
        config.contains("[servers.sneaky]") && config.contains("quarantined = true"),
        "{config}"
    );

    // Not callable, not searchable, not reachable directly.
    let blocked = call(
        &client,
        "call_tool_destructive",
        json!({"name": "sneaky:echo", "args": {"message": "x"}}),
    )
    .await;
    assert_eq!(blocked.is_error, Some(true));
    assert!(text(&blocked).contains("quarantined"), "{}", text(&blocked));
    let found = call(&client, "retrieve_tools", json!({"query": "echo"})).await;
    assert!(
        found.structured_content.unwrap()["tools"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["server"] != "sneaky")
    );
    let direct = client_error(&format!("{base}/mcp/server/sneaky")).await;
    assert!(
        direct.contains("403") || direct.contains("quarantined"),
        "{direct}"
    );

    // A person approves it; then it serves.
    let approve = daemon.cli(&["upstream", "approve", "sneaky"]);
    assert!(approve.status.success());
    daemon.wait_state("sneaky", ServerState::Ready, READY).await;
    let echoed = call(
        &client,
        "call_tool_read",
        json!({"name": "sneaky:echo", "args": {"message": "now"}}),
    )
    .await;
    assert!(text(&echoed).contains("now"), "{}", text(&echoed));
}

async fn client_error(url: &str) -> String {
    match client(url, None).await {
        Ok(_) => "connected".to_owned(),
        Err(e) => e,
    }
}

#[tokio::test]
async fn require_mcp_auth_asks_tcp_clients_for_the_key() {
    let (daemon, base) = daemon_with_demo("require_mcp_auth = true").await;
    let refused = client_error(&format!("{base}/mcp/all")).await;
    assert!(
        refused.contains("401") || refused.to_lowercase().contains("auth"),
        "{refused}"
    );
    let key = daemon
        .client
        .status_with_key()
        .await
        .unwrap()
        .api_key
        .unwrap();
    let client = client(&format!("{base}/mcp/all"), Some(key)).await.unwrap();
    let tools = client.list_all_tools().await.unwrap();
    assert!(tools.iter().any(|t| t.name == "demo__echo"));
}

#[tokio::test]
async fn every_call_emits_started_and_finished_activity() {
    let (daemon, base) = daemon_with_demo("").await;
    let mut events = Box::pin(daemon.client.events().await.unwrap());
    let client = client(&format!("{base}/mcp/all"), None).await.unwrap();
    let result = call(&client, "demo__echo", json!({"message": "tracked"})).await;
    assert_ne!(result.is_error, Some(true));
    let mut started = None;
    let finished = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(event)) = events.next().await {
            let Event::Activity(activity) = event else {
                continue;
            };
            match activity.outcome {
                CallOutcome::Started => started = Some(activity),
                _ => return activity,
            }
        }
        panic!("the event stream ended")
    })
    .await
    .expect("no activity within 5 s");
    let started = started.expect("a started event comes first");
    assert_eq!(started.id, finished.id);
    assert_eq!(
        (finished.server.as_str(), finished.tool.as_str()),
        ("demo", "echo")
    );
    assert_eq!(finished.variant, CallVariant::Direct);
    assert_eq!(finished.outcome, CallOutcome::Ok);
    assert!(
        finished.duration_ms.is_some() && finished.bytes_in > 0 && finished.bytes_out > 0,
        "{finished:?}"
    );
    // The activity log's previews of what was sent and what came back.
    assert_eq!(
        finished.arguments.as_deref(),
        Some(r#"{"message":"tracked"}"#)
    );
    assert!(
        finished
            .result
            .as_deref()
            .is_some_and(|r| r.contains("Echo: tracked")),
        "{finished:?}"
    );
}
