//! Secrets in tool calls, on the real binary with the real demo server: an AWS key pair and
//! a PEM private key sent through every door and echoed back (in the result and on the
//! server's stderr) reach the agent as they are, and nowhere else: no file of the data dir
//! (logs, server logs, the store), no live event, no activity record holds them. A server
//! with `block_secrets = true` never receives them: every door refuses the call, naming the
//! kind found and the setting.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt as _;
use mcpproxy_daemon::protocol::{ServerState, ToolCall};
use serde_json::{Value, json};

use crate::proxy_surfaces::{call, client, text};
use crate::support::{TestDaemon, peers, wait_until};

const READY: Duration = Duration::from_secs(60);

/// AWS's documented example key pair.
const KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
/// The body of a PEM private key (made up, shaped like a real one).
const PEM_BODY: [&str; 4] = [
    "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun",
    "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK",
    "LxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo",
    "9z+40RQzuVaE8AkAFmxZzow3x+VJYKdjykkJ0iT9wCS0DRTXu269V264Vf/3jvre",
];

/// A message carrying all three secrets; the PEM block spans lines, as keys do.
fn secret_message(door: &str) -> String {
    let mut text = format!(
        "via {door}: aws_access_key_id={KEY_ID} aws_secret_access_key={SECRET_KEY}\n\
         -----BEGIN RSA PRIVATE KEY-----\n"
    );
    for line in PEM_BODY {
        text.push_str(line);
        text.push('\n');
    }
    text.push_str("-----END RSA PRIVATE KEY-----\nend of message");
    text
}

/// The pieces none of which may be written or published anywhere.
fn secrets() -> Vec<&'static str> {
    let mut all = vec![KEY_ID, SECRET_KEY];
    all.extend(PEM_BODY);
    all
}

/// A REST call of `tool` (`server:tool`) with `message`.
fn rest_call(tool: &str, message: String) -> ToolCall {
    ToolCall {
        tool: tool.to_owned(),
        arguments: json!({ "message": message }).as_object().unwrap().clone(),
    }
}

/// Which secrets `haystack` holds.
fn leaked(haystack: &str) -> Vec<&'static str> {
    secrets()
        .into_iter()
        .filter(|s| haystack.contains(s))
        .collect()
}

/// Every file under `dir`, with its raw bytes read as text.
fn files(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files(&path));
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push((
                path.display().to_string(),
                String::from_utf8_lossy(&bytes).into_owned(),
            ));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_in_calls_reach_the_agent_and_nothing_else_and_blocking_servers_never_see_them() {
    let web = peers::start_demo_http();
    let config = format!(
        "listen = \"127.0.0.1:0\"\n{}\n{}\n[servers.web]\nurl = \"{}\"\nblock_secrets = true\n",
        TestDaemon::demo_server("demo", ""),
        TestDaemon::demo_server("guarded", "block_secrets = true"),
        web.url,
    );
    let mut daemon = TestDaemon::start(&config).await;
    for server in ["demo", "guarded", "web"] {
        daemon.wait_state(server, ServerState::Ready, READY).await;
    }
    let listen = daemon.status().await.listen.unwrap();
    let base = format!("http://{listen}");

    // Every event from here on, as the wire carries it.
    let captured = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut events = daemon.client.events().await.unwrap();
    let sink = Arc::clone(&captured);
    let capture = tokio::spawn(async move {
        while let Some(Ok(event)) = events.next().await {
            let line = serde_json::to_string(&event).unwrap();
            sink.lock().unwrap().push(line);
        }
    });

    // The agent gets its result whole, through every door.
    let all = client(&format!("{base}/mcp/all"), None).await.unwrap();
    let via_all = call(
        &all,
        "demo__echo",
        json!({"message": secret_message("all")}),
    )
    .await;
    let routed = client(&format!("{base}/mcp/call"), None).await.unwrap();
    let via_call = call(
        &routed,
        "call_tool_read",
        json!({"name": "demo:echo", "args": {"message": secret_message("call")}}),
    )
    .await;
    let own = client(&format!("{base}/mcp/server/demo"), None)
        .await
        .unwrap();
    let via_own = call(&own, "echo", json!({"message": secret_message("own")})).await;
    let via_rest = daemon
        .client
        .call_tool(&rest_call("demo:echo", secret_message("rest")))
        .await
        .unwrap();
    for (door, answer) in [
        ("all", text(&via_all)),
        ("call", text(&via_call)),
        ("own", text(&via_own)),
        (
            "rest",
            via_rest.content[0]["text"].as_str().unwrap().to_owned(),
        ),
    ] {
        assert_eq!(
            answer,
            format!("Echo: {}", secret_message(door)),
            "the agent's result is its own data"
        );
    }

    // A server that blocks secrets refuses them on every door, before they are sent.
    let refusals = [
        text(
            &call(
                &all,
                "guarded__echo",
                json!({"message": secret_message("x")}),
            )
            .await,
        ),
        text(
            &call(
                &routed,
                "call_tool_read",
                json!({"name": "guarded:echo", "args": {"message": secret_message("x")}}),
            )
            .await,
        ),
        {
            let guarded = client(&format!("{base}/mcp/server/guarded"), None)
                .await
                .unwrap();
            text(&call(&guarded, "echo", json!({"message": secret_message("x")})).await)
        },
        {
            let web = client(&format!("{base}/mcp/server/web"), None)
                .await
                .unwrap();
            text(&call(&web, "echo", json!({"message": secret_message("x")})).await)
        },
        daemon
            .client
            .call_tool(&rest_call("guarded:echo", secret_message("x")))
            .await
            .unwrap_err()
            .to_string(),
    ];
    for refusal in &refusals {
        assert!(
            refusal.contains("aws_access_key")
                && refusal.contains("private_key")
                && refusal.contains("block_secrets"),
            "{refusal}"
        );
        assert!(leaked(refusal).is_empty(), "{refusal}");
    }
    // The same server still takes a call without secrets.
    let clean = call(&all, "guarded__echo", json!({"message": "nothing secret"})).await;
    assert_eq!(text(&clean), "Echo: nothing secret");

    // Nine calls and a clean one end in the activity log: four answered, five refused.
    let client_api = daemon.client.clone();
    let activity: Value = wait_until(Duration::from_secs(10), "ten ended calls", || {
        let client = client_api.clone();
        async move {
            let list: Value = client.get("/activity").await.ok()?;
            let ended = list["activity"]
                .as_array()?
                .iter()
                .filter(|a| a["outcome"] != "started")
                .count();
            (ended >= 10).then_some(list)
        }
    })
    .await;
    let records = activity["activity"].as_array().unwrap();
    let refused: Vec<&Value> = records
        .iter()
        .filter(|a| a["outcome"] == "refused")
        .collect();
    assert_eq!(refused.len(), 5, "{activity:#}");
    for record in &refused {
        let error = record["error"].as_str().unwrap_or_default();
        assert!(error.contains("aws_access_key"), "{record:#}");
    }
    let activity_text = activity.to_string();
    assert!(
        leaked(&activity_text).is_empty(),
        "the activity API shows {:?}",
        leaked(&activity_text)
    );

    // The guarded servers never saw the secrets: their logs have the clean echo only.
    let guarded_log = wait_until(Duration::from_secs(10), "the clean echo in the log", || {
        let path = daemon.data_dir().join("logs/servers/guarded.log");
        let log = std::fs::read_to_string(path).unwrap_or_default();
        std::future::ready(log.contains("Echo: nothing secret").then_some(log))
    })
    .await;
    assert!(!guarded_log.contains("via x"), "{guarded_log}");

    // The demo server's log had the secrets on its stderr, four times: masked each time.
    let demo_log = wait_until(Duration::from_secs(10), "four echoes in the log", || {
        let path = daemon.data_dir().join("logs/servers/demo.log");
        let log = std::fs::read_to_string(path).unwrap_or_default();
        std::future::ready((log.matches("end of message").count() >= 4).then_some(log))
    })
    .await;
    assert!(
        demo_log.matches("[redacted aws_access_key]").count() >= 4
            && demo_log.matches("[redacted aws_secret_key]").count() >= 4
            && demo_log.matches("[redacted private_key]").count() >= 4 * 6,
        "{demo_log}"
    );

    // Stopped, so every log is flushed and the store closed; then every byte is read.
    daemon.signal_and_wait(rustix::process::Signal::TERM, Duration::from_secs(20));
    capture.abort();
    let events = captured.lock().unwrap().join("\n");
    assert!(
        events.contains("[redacted aws_access_key]") && events.contains("[redacted private_key]"),
        "the stderr lines were published, masked"
    );
    assert!(
        leaked(&events).is_empty(),
        "the events show {:?}",
        leaked(&events)
    );
    let files = files(daemon.data_dir());
    assert!(
        files.iter().any(|(path, _)| path.ends_with("data.redb")),
        "{:?}",
        files.iter().map(|(p, _)| p).collect::<Vec<_>>()
    );
    for (path, content) in &files {
        assert!(
            leaked(content).is_empty(),
            "{path} holds {:?}",
            leaked(content)
        );
    }
    drop(web);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_secrets_is_set_by_upstream_add_and_changes_without_a_restart() {
    let config = TestDaemon::demo_server("guarded", "block_secrets = true");
    let daemon = TestDaemon::start(&config).await;
    let view = daemon
        .wait_state("guarded", ServerState::Ready, READY)
        .await;
    assert!(view.block_secrets, "{view:?}");
    let carrying = rest_call("guarded:echo", format!("key {KEY_ID}"));
    let refused = daemon.client.call_tool(&carrying).await.unwrap_err();
    assert!(refused.to_string().contains("aws_access_key"), "{refused}");

    // The setting comes off in the file: the same process now gets the call.
    let path = daemon.data_dir().join("config.toml");
    std::fs::write(&path, TestDaemon::demo_server("guarded", "")).unwrap();
    let client = daemon.client.clone();
    let now = wait_until(Duration::from_secs(10), "block_secrets to be off", || {
        let client = client.clone();
        async move {
            let list = client.servers().await.ok()?;
            list.servers
                .into_iter()
                .find(|s| s.name == "guarded" && !s.block_secrets)
        }
    })
    .await;
    assert_eq!(now.pid, view.pid, "not restarted");
    let answered = daemon.client.call_tool(&carrying).await.unwrap();
    assert!(!answered.is_error, "{answered:?}");

    let added = daemon.cli(&[
        "upstream",
        "add",
        "later",
        "--block-secrets",
        "--",
        "later-server",
    ]);
    assert!(added.status.success(), "{added:?}");
    let written = std::fs::read_to_string(&path).unwrap();
    let table = written.split("[servers.later]").nth(1).unwrap_or_default();
    assert!(table.contains("block_secrets = true"), "{written}");
}
