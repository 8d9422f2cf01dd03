//! The scanner on real catalogs: every tool, prompt and resource template of the built-in
//! demo server, `@modelcontextprotocol/server-everything`, `mcp-server-time` and the MCP
//! conformance suite's reference server, listed with an MCP client and scanned as one
//! session (so each server's items are the others' peers). None may be held.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use mcpproxy_daemon::protocol::ItemKind;
use mcpproxy_daemon::security::{self, Peers, ScanItem};
use rmcp::RoleClient;
use rmcp::service::{RunningService, ServiceExt as _};
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use serde_json::Value;

use crate::support::daemon::mcpproxy;
use crate::support::peers;
use crate::support::wait::wait_until_blocking;

/// How long a server may take to start and list its catalog (first use installs it first).
const LIST_TIMEOUT: Duration = Duration::from_secs(60);

/// One item as the catalog gate will see it.
struct Item {
    server: &'static str,
    kind: ItemKind,
    name: String,
    title: Option<String>,
    description: String,
    fields: Vec<(&'static str, Value)>,
}

async fn stdio_client(command: Command) -> RunningService<RoleClient, ()> {
    let mut command = tokio::process::Command::from(command);
    command.stderr(Stdio::null());
    let transport = TokioChildProcess::new(command).unwrap();
    tokio::time::timeout(LIST_TIMEOUT, ().serve(transport))
        .await
        .expect("the MCP handshake timed out")
        .expect("the MCP handshake failed")
}

/// Lists every tool, prompt and resource template the server declares.
async fn catalog(server: &'static str, client: RunningService<RoleClient, ()>) -> Vec<Item> {
    let capabilities = client.peer_info().unwrap().capabilities.clone();
    let mut items = Vec::new();
    let tools = tokio::time::timeout(LIST_TIMEOUT, client.list_all_tools())
        .await
        .unwrap()
        .unwrap();
    for tool in tools {
        let mut fields = vec![("input_schema", Value::Object((*tool.input_schema).clone()))];
        if let Some(output) = &tool.output_schema {
            fields.push(("output_schema", Value::Object((**output).clone())));
        }
        if let Some(annotations) = &tool.annotations {
            fields.push(("annotations", serde_json::to_value(annotations).unwrap()));
        }
        items.push(Item {
            server,
            kind: ItemKind::Tool,
            name: tool.name.to_string(),
            title: tool.title.clone(),
            description: tool.description.as_deref().unwrap_or_default().to_owned(),
            fields,
        });
    }
    if capabilities.prompts.is_some() {
        for prompt in client.list_all_prompts().await.unwrap() {
            items.push(Item {
                server,
                kind: ItemKind::Prompt,
                name: prompt.name.clone(),
                title: prompt.title.clone(),
                description: prompt.description.clone().unwrap_or_default(),
                fields: vec![(
                    "arguments",
                    serde_json::to_value(&prompt.arguments).unwrap(),
                )],
            });
        }
    }
    if capabilities.resources.is_some() {
        for template in client.list_all_resource_templates().await.unwrap() {
            items.push(Item {
                server,
                kind: ItemKind::ResourceTemplate,
                name: template.name.clone(),
                title: template.title.clone(),
                description: template.description.clone().unwrap_or_default(),
                fields: vec![
                    ("uri_template", Value::String(template.uri_template.clone())),
                    (
                        "mime_type",
                        template
                            .mime_type
                            .clone()
                            .map_or(Value::Null, Value::String),
                    ),
                ],
            });
        }
    }
    let _ = client.cancel().await;
    assert!(
        items.iter().any(|i| i.kind == ItemKind::Tool),
        "{server} listed no tool"
    );
    items
}

/// The conformance suite's reference server over streamable HTTP; killed when dropped.
struct ReferenceServer(Child);

impl Drop for ReferenceServer {
    fn drop(&mut self) {
        crate::support::kill_and_reap(&mut self.0);
    }
}

async fn reference_server_catalog() -> Vec<Item> {
    let python = peers::conformance_python();
    let script = peers::workspace_root()
        .join("../shared/tools/conformance/fixtures/python/everything_server.py");
    let port = peers::free_port();
    let mut server = ReferenceServer(
        Command::new(python)
            .arg(script)
            .args(["--port", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_until_blocking(
        LIST_TIMEOUT,
        "the conformance reference server to listen",
        || {
            if let Ok(Some(status)) = server.0.try_wait() {
                panic!("the reference server exited with {status}");
            }
            std::net::TcpStream::connect(("127.0.0.1", port)).ok()
        },
    );
    let transport = StreamableHttpClientTransport::from_uri(format!("http://127.0.0.1:{port}/mcp"));
    let client = ().serve(transport).await.unwrap();
    catalog("conformance", client).await
}

#[tokio::test]
async fn no_item_of_the_real_servers_is_held() {
    let sandbox = tempfile::tempdir().unwrap();
    let mut demo = mcpproxy(sandbox.path());
    demo.args(["demo-server", "--test-tools"]);
    let mut everything = Command::new("node");
    everything.arg(peers::server_everything()).arg("stdio");
    let time = Command::new(peers::mcp_server_time());

    let mut items = catalog("demo", stdio_client(demo).await).await;
    items.extend(catalog("everything", stdio_client(everything).await).await);
    items.extend(catalog("time", stdio_client(time).await).await);
    items.extend(reference_server_catalog().await);

    let session = Peers::new(
        items
            .iter()
            .filter(|i| i.kind == ItemKind::Tool)
            .map(|i| (i.server, i.name.as_str(), i.description.as_str())),
    );
    let mut held = Vec::new();
    for item in &items {
        let fields: Vec<(&str, &Value)> = item.fields.iter().map(|(k, v)| (*k, v)).collect();
        let findings = security::scan(&ScanItem {
            server: item.server,
            name: &item.name,
            title: item.title.as_deref(),
            description: &item.description,
            fields: &fields,
            peers: &session,
        });
        if security::holds(&findings) {
            held.push(format!(
                "{}:{} ({}): {findings:#?}",
                item.server, item.name, item.kind
            ));
        }
    }
    for server in ["demo", "everything", "time", "conformance"] {
        let count = items.iter().filter(|i| i.server == server).count();
        eprintln!("{server}: {count} items scanned");
    }
    assert!(held.is_empty(), "real items held:\n{}", held.join("\n"));
}
