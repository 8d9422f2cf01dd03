//! Per-tool switches: `mcpproxy upstream tools disable|enable SERVER TOOL...` keeps the
//! switch in `config.toml` (comments kept), and a disabled tool is gone at once from every
//! MCP surface (`/mcp/all`, `retrieve_tools`, `call_tool_*`, `/mcp/server/NAME` for a stdio
//! server and through the reverse proxy for an HTTP one), stays gone after a restart, and
//! is listed as held by the `switches` stage. A hand edit of the file switches too.

use std::process::Output;
use std::time::Duration;

use mcpproxy_daemon::exit_code::ExitCode;
use mcpproxy_daemon::protocol::{HeldList, ServerState, ToolCall};
use serde_json::{Value, json};

use crate::gate::{
    assert_echo_held_on_its_own_surface, call_error, mcp_client, retrieve, tool_names,
};
use crate::support::TestDaemon;
use crate::support::peers;
use crate::support::wait_until;

const READY: Duration = Duration::from_secs(60);
const REASON: &str = "disabled by a person: `mcpproxy upstream tools enable local echo`";

fn exit(output: &Output) -> ExitCode {
    ExitCode::from_status(output.status.code())
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

async fn wait_ready(daemon: &TestDaemon) {
    for server in ["local", "web"] {
        daemon.wait_state(server, ServerState::Ready, READY).await;
    }
}

/// Whether `server:echo` is held by the switches; waits up to a deadline for `held`.
async fn wait_echo_held(daemon: &TestDaemon, server: &str, held: bool) {
    let what = format!("{server}:echo to be held={held}");
    let client = daemon.client.clone();
    wait_until(READY, &what, || {
        let client = client.clone();
        async move {
            let list: HeldList = client.get("/held").await.ok()?;
            let is_held = list
                .held
                .iter()
                .any(|h| h.server == server && h.name == "echo" && h.stage == "switches");
            (is_held == held).then_some(())
        }
    })
    .await;
}

/// Every surface agents use: `echo` of the servers in `disabled` is absent and refused,
/// that of the others is listed and found.
async fn check_surfaces(daemon: &TestDaemon, disabled: &[&str]) {
    let base = format!("http://{}", daemon.status().await.listen.unwrap());
    let all = mcp_client(format!("{base}/mcp/all")).await;
    let listed = tool_names(&all).await;
    assert!(
        listed.contains(&"local__calculate".to_owned()),
        "{listed:?}"
    );
    for server in ["local", "web"] {
        let shown = listed.contains(&format!("{server}__echo"));
        assert_eq!(shown, !disabled.contains(&server), "{server}: {listed:?}");
    }
    let call = mcp_client(format!("{base}/mcp/call")).await;
    let found = retrieve(&call, "echo the message back").await;
    for server in ["local", "web"] {
        let id = format!("{server}:echo");
        let hit = found
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == id.as_str());
        assert_eq!(hit, !disabled.contains(&server), "{id}: {found}");
        if disabled.contains(&server) {
            let error = call_error(
                &call,
                "call_tool_destructive",
                json!({"name": id, "args": {"message": "hi"}}),
            )
            .await;
            assert!(error.contains("disabled by a person"), "{id}: {error}");
            assert_echo_held_on_its_own_surface(&base, server).await;
        }
    }
    let _ = all.cancel().await;
    let _ = call.cancel().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_tool_is_gone_everywhere_and_stays_disabled_after_a_restart() {
    let web = peers::start_demo_http();
    let config = format!(
        "listen = \"127.0.0.1:0\"\n\n\
         # the demo, with its test tools\n\
         [servers.local]\nbuiltin = \"demo\"\nargs = [\"--test-tools\"] # echo is one\n\n\
         [servers.web]\nurl = \"{}\"\ntransport = \"http\"\n",
        web.url
    );
    let daemon = TestDaemon::start(&config).await;
    wait_ready(&daemon).await;
    check_surfaces(&daemon, &[]).await;

    let disabled = daemon.cli(&["upstream", "tools", "disable", "local", "echo", "--json"]);
    assert_eq!(exit(&disabled), ExitCode::Success, "{disabled:?}");
    insta::assert_json_snapshot!("tool_switches_disable", json(&disabled));
    // Applied before the command returned: no waiting.
    let held: HeldList = daemon.client.get("/held").await.unwrap();
    let item = held.held.iter().find(|h| h.name == "echo").unwrap();
    assert_eq!(
        (item.server.as_str(), item.stage.as_str()),
        ("local", "switches")
    );
    assert_eq!(item.reason, REASON);
    let tools = daemon.client.tools(None).await.unwrap();
    assert!(tools.tools.iter().all(|t| t.id != "local:echo"));
    let refused = daemon
        .client
        .call_tool(&ToolCall {
            tool: "local:echo".into(),
            arguments: serde_json::Map::new(),
        })
        .await
        .unwrap_err();
    assert!(refused.to_string().contains(REASON), "{refused}");
    // A switched-off tool waits for nobody's review.
    let servers = daemon.client.servers().await.unwrap();
    assert!(
        servers.servers.iter().all(|s| s.pending_review == 0),
        "{servers:?}"
    );

    let text = std::fs::read_to_string(daemon.data_dir().join("config.toml")).unwrap();
    assert!(
        text.contains("# the demo, with its test tools\n[servers.local]\nbuiltin = \"demo\"\nargs = [\"--test-tools\"] # echo is one\ndisabled_tools = [\"echo\"]\n"),
        "{text}"
    );

    // A hand edit of the file is applied by the config watcher through the same gate.
    let edited = text.replace(
        "transport = \"http\"\n",
        "transport = \"http\"\ndisabled_tools = [\"echo\"]\n",
    );
    std::fs::write(daemon.data_dir().join("config.toml"), edited).unwrap();
    wait_echo_held(&daemon, "web", true).await;
    check_surfaces(&daemon, &["local", "web"]).await;

    // Across a restart.
    let mut daemon = daemon;
    daemon.signal_and_wait(rustix::process::Signal::TERM, Duration::from_secs(30));
    let daemon = TestDaemon::start_in(daemon.into_dir(), &[]).await;
    wait_ready(&daemon).await;
    wait_echo_held(&daemon, "local", true).await;
    wait_echo_held(&daemon, "web", true).await;
    check_surfaces(&daemon, &["local", "web"]).await;

    let enabled = daemon.cli(&["upstream", "tools", "enable", "local", "echo"]);
    assert_eq!(exit(&enabled), ExitCode::Success, "{enabled:?}");
    assert_eq!(
        String::from_utf8_lossy(&enabled.stdout),
        "local: enabled echo\nno tool of local is disabled\n"
    );
    check_surfaces(&daemon, &["web"]).await;
    let text = std::fs::read_to_string(daemon.data_dir().join("config.toml")).unwrap();
    assert!(
        text.contains("args = [\"--test-tools\"] # echo is one\n\n[servers.web]"),
        "{text}"
    );

    let all = daemon.cli(&["upstream", "tools", "enable", "web", "--all", "--json"]);
    assert_eq!(exit(&all), ExitCode::Success, "{all:?}");
    assert_eq!(json(&all)["changed"], json!(["echo"]));
    wait_echo_held(&daemon, "web", false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switching_an_unknown_server_or_tool_fails_and_changes_nothing() {
    let config = format!(
        "{}\n[servers.later]\nbuiltin = \"demo\"\nquarantined = true\n",
        TestDaemon::demo_server("local", "")
    );
    let daemon = TestDaemon::start(&config).await;
    daemon.wait_state("local", ServerState::Ready, READY).await;
    let before = std::fs::read_to_string(daemon.data_dir().join("config.toml")).unwrap();

    let no_tool = daemon.cli(&["upstream", "tools", "disable", "local", "nope", "--json"]);
    assert_eq!(exit(&no_tool), ExitCode::Error);
    insta::assert_json_snapshot!("tool_switches_unknown_tool", json(&no_tool));

    let no_server = daemon.cli(&["upstream", "tools", "disable", "ghost", "echo"]);
    assert_eq!(exit(&no_server), ExitCode::Error);
    let stderr = String::from_utf8_lossy(&no_server.stderr);
    assert!(stderr.contains("no server named \"ghost\""), "{stderr}");

    let nothing = daemon.cli(&["upstream", "tools", "disable", "local"]);
    assert_ne!(exit(&nothing), ExitCode::Success);
    let stderr = String::from_utf8_lossy(&nothing.stderr);
    assert!(stderr.contains("<TOOLS>"), "{stderr}");

    // A server that never connected: its tools are unknown, so `--all` cannot say which.
    let unknown = daemon.cli(&["upstream", "tools", "disable", "later", "--all"]);
    assert_eq!(exit(&unknown), ExitCode::Error);
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(stderr.contains("is not connected"), "{stderr}");

    let after = std::fs::read_to_string(daemon.data_dir().join("config.toml")).unwrap();
    assert_eq!(before, after);

    // Named tools may be switched off before it runs.
    let named = daemon.cli(&["upstream", "tools", "disable", "later", "echo"]);
    assert_eq!(exit(&named), ExitCode::Success, "{named:?}");
    let text = std::fs::read_to_string(daemon.data_dir().join("config.toml")).unwrap();
    assert!(
        text.ends_with("quarantined = true\ndisabled_tools = [\"echo\"]\n"),
        "{text}"
    );
}
