//! The catalog gate, end to end: a daemon run in this process with one extra gate stage that
//! holds the demo server's `echo` tool, on a stdio upstream and on a streamable-HTTP one.
//! The held tool must be absent from every MCP surface (the reverse proxy included) and
//! refused when called there, while the control API lists it as held with the stage's
//! reason.

use std::sync::Arc;
use std::time::Duration;

use mcpproxy_daemon::client::Client;
use mcpproxy_daemon::gate::{GateItem, GateStage, Hold};
use mcpproxy_daemon::paths::Paths;
use mcpproxy_daemon::protocol::{HeldList, ItemKind, ServerState, ToolList};
use mcpproxy_daemon::serve::{ServeOptions, serve_with_stages};
use rmcp::RoleClient;
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::{RunningService, ServiceExt as _};
use rmcp::transport::StreamableHttpClientTransport;
use serde_json::{Value, json};

use crate::support::daemon::temp_data_dir;
use crate::support::peers;
use crate::support::wait_until;

const READY: Duration = Duration::from_secs(60);
const REASON: &str = "echo repeats whatever it is told; not for agents";

/// Holds every tool named `echo`.
struct HoldEcho;

impl GateStage for HoldEcho {
    fn name(&self) -> &'static str {
        "test"
    }

    fn pass(&self, _server: &str, items: &[GateItem]) -> Vec<Hold> {
        items
            .iter()
            .filter(|item| item.kind == ItemKind::Tool && item.name == "echo")
            .map(|item| Hold {
                kind: item.kind,
                name: item.name.clone(),
                reason: REASON.to_owned(),
            })
            .collect()
    }
}

pub async fn mcp_client(url: String) -> RunningService<RoleClient, ()> {
    ().serve(StreamableHttpClientTransport::from_uri(url))
        .await
        .unwrap()
}

pub async fn tool_names(client: &RunningService<RoleClient, ()>) -> Vec<String> {
    client
        .list_all_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name.to_string())
        .collect()
}

/// The error a call ends with, whether the surface answers with a JSON-RPC error or an
/// error result.
pub async fn call_error(
    client: &RunningService<RoleClient, ()>,
    tool: &str,
    arguments: Value,
) -> String {
    let params = CallToolRequestParams::new(tool.to_owned())
        .with_arguments(arguments.as_object().unwrap().clone());
    match client.call_tool(params).await {
        Err(e) => e.to_string(),
        Ok(result) => {
            assert_eq!(
                result.is_error,
                Some(true),
                "{tool} must be refused: {result:?}"
            );
            text(&result)
        }
    }
}

/// What `retrieve_tools` finds for `query`: its `tools` array.
pub(crate) async fn retrieve(client: &RunningService<RoleClient, ()>, query: &str) -> Value {
    let params = CallToolRequestParams::new("retrieve_tools")
        .with_arguments(json!({"query": query}).as_object().unwrap().clone());
    let retrieved = client.call_tool(params).await.unwrap();
    retrieved.structured_content.unwrap()["tools"].clone()
}

/// `/mcp/server/NAME` lists `calculate` but not `echo`, and refuses a call of `echo`.
pub(crate) async fn assert_echo_held_on_its_own_surface(base: &str, server: &str) {
    let one = mcp_client(format!("{base}/mcp/server/{server}")).await;
    let listed = tool_names(&one).await;
    assert!(
        listed.contains(&"calculate".to_owned()),
        "{server}: {listed:?}"
    );
    assert!(!listed.contains(&"echo".to_owned()), "{server}: {listed:?}");
    let error = call_error(&one, "echo", json!({"message": "hi"})).await;
    assert!(error.contains("held back"), "{server}: {error}");
    let _ = one.cancel().await;
}

fn text(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_tool_is_invisible_and_refused_on_every_surface_and_listed_with_its_reason() {
    let web = peers::start_demo_http();
    let dir = temp_data_dir();
    std::fs::write(
        dir.path().join("config.toml"),
        format!(
            "listen = \"127.0.0.1:0\"\n\
             [servers.local]\nbuiltin = \"demo\"\nargs = [\"--test-tools\"]\n\n\
             [servers.web]\nurl = \"{}\"\ntransport = \"http\"\n",
            web.url
        ),
    )
    .unwrap();
    let paths = Paths::new(dir.path().to_path_buf(), None, None);
    let options = ServeOptions {
        paths: paths.clone(),
        listen: None,
        log_level: "warn".to_owned(),
        log_to_stderr: false,
        detached: false,
        exe: env!("CARGO_BIN_EXE_mcpproxy").into(),
    };
    let daemon = tokio::spawn(serve_with_stages(options, vec![Arc::new(HoldEcho)]));
    let control = Client::socket(&paths.socket);
    for server in ["local", "web"] {
        let what = format!("{server} to be ready");
        wait_until(READY, &what, || {
            let control = control.clone();
            async move {
                let servers = control.servers().await.ok()?;
                servers
                    .servers
                    .into_iter()
                    .find(|s| s.name == server && s.state == ServerState::Ready)
            }
        })
        .await;
    }

    // The control API: held with the stage's reason, and not among the tools.
    let held: HeldList = control.get("/held").await.unwrap();
    for server in ["local", "web"] {
        let item = held
            .held
            .iter()
            .find(|h| h.server == server && h.name == "echo")
            .unwrap_or_else(|| panic!("{server}:echo must be held: {held:?}"));
        assert_eq!(item.stage, "test");
        assert_eq!(item.reason, REASON);
    }
    let tools: ToolList = control.tools(None).await.unwrap();
    assert!(tools.tools.iter().all(|t| t.name != "echo"));
    assert!(tools.tools.iter().any(|t| t.id == "local:calculate"));
    let servers = control.servers().await.unwrap();
    assert!(servers.servers.iter().all(|s| s.pending_review == 1));
    let refused = control
        .call_tool(&mcpproxy_daemon::protocol::ToolCall {
            tool: "local:echo".into(),
            arguments: serde_json::Map::new(),
        })
        .await
        .unwrap_err();
    assert!(refused.to_string().contains(REASON), "{refused}");

    let base = format!("http://{}", control.status().await.unwrap().listen.unwrap());

    // /mcp/all: every tool directly, but not the held ones.
    let all = mcp_client(format!("{base}/mcp/all")).await;
    let listed = tool_names(&all).await;
    assert!(
        listed.contains(&"local__calculate".to_owned()),
        "{listed:?}"
    );
    assert!(listed.contains(&"web__calculate".to_owned()), "{listed:?}");
    assert!(!listed.iter().any(|n| n.ends_with("__echo")), "{listed:?}");
    let error = call_error(&all, "local__echo", json!({"message": "hi"})).await;
    assert!(error.contains("echo"), "{error}");

    // /mcp/call: retrieve_tools does not find it, call_tool_* refuses it with the reason.
    let call = mcp_client(format!("{base}/mcp/call")).await;
    let found = retrieve(&call, "echo the message back").await;
    assert!(
        found
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["name"] != "echo"),
        "{found}"
    );
    for id in ["local:echo", "web:echo"] {
        let error = call_error(
            &call,
            "call_tool_destructive",
            json!({"name": id, "args": {"message": "hi"}}),
        )
        .await;
        assert!(error.contains(REASON), "{id}: {error}");
    }

    // /mcp/server/NAME: the typed passthrough (stdio) and the reverse proxy (HTTP).
    for server in ["local", "web"] {
        assert_echo_held_on_its_own_surface(&base, server).await;
    }
    let _ = all.cancel().await;
    let _ = call.cancel().await;

    control
        .shutdown(mcpproxy_daemon::protocol::GoodbyeReason::Shutdown)
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(20), daemon)
        .await
        .expect("the daemon stops")
        .unwrap()
        .unwrap();
}
