//! Upstream servers of every kind reach `ready`; quarantine holds back new servers; tools,
//! list changes and logs flow through the daemon.

use std::io::BufRead as _;
use std::process::Stdio;
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use mcpproxy_daemon::protocol::{Event, ServerList, ServerState, ToolCall, TransportKind};

use crate::support::daemon::mcpproxy;
use crate::support::{TestDaemon, kill_and_reap, peers, wait_until};

const READY_TIMEOUT: Duration = Duration::from_secs(60);

#[tokio::test]
async fn every_kind_of_upstream_reaches_ready_with_its_tools() {
    let everything_http = peers::start_server_everything("streamableHttp", None);
    let everything_sse = peers::start_server_everything("sse", None);
    let modern = peers::start_modern_server();
    let everything = peers::server_everything();
    let time = peers::mcp_server_time();
    let config = format!(
        "listen = \"127.0.0.1:0\"\n{demo}\n\
         [servers.everything]\ncommand = \"node\"\nargs = [\"{everything}\", \"stdio\"]\n\n\
         [servers.everything-http]\nurl = \"{http}\"\n\n\
         [servers.everything-sse]\nurl = \"{sse}\"\ntransport = \"sse\"\n\n\
         [servers.time]\ncommand = \"{time}\"\n\n\
         [servers.modern]\nurl = \"{modern}\"\n",
        demo = TestDaemon::demo_server("demo", ""),
        everything = everything.display(),
        http = everything_http.url,
        sse = everything_sse.url,
        time = time.display(),
        modern = modern.url,
    );
    let daemon = TestDaemon::start(&config).await;
    let expected = [
        ("demo", TransportKind::Stdio, "2025-11-25"),
        ("everything", TransportKind::Stdio, "2025-11-25"),
        ("everything-http", TransportKind::Http, "2025-11-25"),
        ("everything-sse", TransportKind::Sse, "2024-11-05"),
        ("time", TransportKind::Stdio, "2026-07-28"),
        ("modern", TransportKind::Http, "2026-07-28"),
    ];
    for (name, _, _) in expected {
        daemon
            .wait_state(name, ServerState::Ready, READY_TIMEOUT)
            .await;
    }

    let output = daemon.cli(&["upstream", "list", "--json"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let list: ServerList = serde_json::from_slice(&output.stdout).unwrap();
    for (name, transport, era) in expected {
        let view = list.servers.iter().find(|s| s.name == name).unwrap();
        assert_eq!(view.transport, transport, "{name}");
        let version = view.protocol_version.as_deref().unwrap_or_default();
        assert!(
            version >= era,
            "{name} negotiated {version}, expected at least {era}"
        );
        assert!(view.tool_count > 0, "{name} has no tools");
        let tools = daemon.client.tools(Some(name)).await.unwrap().tools;
        assert_eq!(tools.len() as u32, view.tool_count, "{name}");
        assert!(tools.iter().all(|t| t.id == format!("{name}:{}", t.name)));
    }
    let versions: Vec<_> = list
        .servers
        .iter()
        .filter_map(|s| s.protocol_version.clone())
        .collect();
    assert!(
        versions.contains(&"2026-07-28".to_owned()) && versions.contains(&"2025-11-25".to_owned()),
        "{versions:?}"
    );

    // Calls go through, on every transport.
    for (tool, args) in [
        ("demo:echo", serde_json::json!({"message": "hi"})),
        ("everything-http:echo", serde_json::json!({"message": "hi"})),
        ("everything-sse:echo", serde_json::json!({"message": "hi"})),
        ("modern:add", serde_json::json!({"a": 2, "b": 3})),
    ] {
        let result = daemon
            .client
            .call_tool(&ToolCall {
                tool: tool.into(),
                arguments: args.as_object().unwrap().clone(),
            })
            .await
            .unwrap_or_else(|e| panic!("{tool}: {e}"));
        assert!(!result.is_error, "{tool}: {result:?}");
    }
}

#[tokio::test]
async fn an_added_server_waits_in_quarantine_until_approved() {
    let daemon = TestDaemon::start("listen = \"127.0.0.1:0\"\n").await;
    let exe = env!("CARGO_BIN_EXE_mcpproxy");
    let add = daemon.cli(&[
        "upstream",
        "add",
        "later",
        "--json",
        "--",
        exe,
        "demo-server",
    ]);
    assert!(
        add.status.success(),
        "{}",
        String::from_utf8_lossy(&add.stderr)
    );
    let view: mcpproxy_daemon::protocol::ServerView = serde_json::from_slice(&add.stdout).unwrap();
    assert_eq!(
        (view.state, view.quarantined),
        (ServerState::Quarantined, true)
    );
    let config = std::fs::read_to_string(daemon.data_dir().join("config.toml")).unwrap();
    assert!(
        config.contains("[servers.later]") && config.contains("quarantined = true"),
        "{config}"
    );

    // Nothing was started: the daemon's only child is its process guard.
    let children = crate::support::process_tree(daemon.pid());
    assert!(
        children.iter().all(|p| !p.cmd.contains("demo-server")),
        "{children:?}"
    );

    let approve = daemon.cli(&["upstream", "approve", "later"]);
    assert!(
        approve.status.success(),
        "{}",
        String::from_utf8_lossy(&approve.stderr)
    );
    let ready = daemon
        .wait_state("later", ServerState::Ready, READY_TIMEOUT)
        .await;
    assert!(ready.pid.is_some());
    let config = std::fs::read_to_string(daemon.data_dir().join("config.toml")).unwrap();
    assert!(!config.contains("quarantined"), "{config}");

    let remove = daemon.cli(&["upstream", "remove", "later"]);
    assert!(remove.status.success());
    wait_until(
        Duration::from_secs(10),
        "the removed server's process to end",
        || async { (!crate::support::process_alive(ready.pid.unwrap())).then_some(()) },
    )
    .await;
}

#[tokio::test]
async fn a_list_changed_shows_up_within_500ms() {
    let daemon = TestDaemon::start(&format!(
        "listen = \"127.0.0.1:0\"\n{}",
        TestDaemon::demo_server("demo", "")
    ))
    .await;
    let before = daemon
        .wait_state("demo", ServerState::Ready, READY_TIMEOUT)
        .await;
    let mut events = Box::pin(daemon.client.events().await.unwrap());
    let call = ToolCall {
        tool: "demo:mutate_tools".into(),
        arguments: Default::default(),
    };
    let result = daemon.client.call_tool(&call).await.unwrap();
    let called = Instant::now();
    assert!(!result.is_error);
    let tools_event = tokio::time::timeout(Duration::from_millis(500), async {
        while let Some(Ok(event)) = events.next().await {
            if let Event::Tools { server, tools } = event
                && server == "demo"
                && tools.len() as u32 == before.tool_count + 1
            {
                return tools;
            }
        }
        panic!("the event stream ended")
    })
    .await
    .expect("no tools event within 500 ms of the change");
    assert!(tools_event.iter().any(|t| t.name.starts_with("generated_")));
    let view = daemon
        .client
        .get::<mcpproxy_daemon::protocol::ServerView>("/servers/demo")
        .await
        .unwrap();
    assert_eq!(view.tool_count, before.tool_count + 1);
    assert!(
        called.elapsed() < Duration::from_millis(500),
        "{:?}",
        called.elapsed()
    );
}

#[tokio::test]
async fn logs_follow_streams_stderr_as_it_is_written() {
    // A server whose stderr ticks while it runs: a background loop in its process group.
    let exe = env!("CARGO_BIN_EXE_mcpproxy");
    let config = format!(
        "listen = \"127.0.0.1:0\"\n[servers.ticker]\ncommand = \"sh\"\n\
         args = [\"-c\", \"(i=0; while true; do i=$((i+1)); echo tick-$i >&2; sleep 0.2; done) & exec '{exe}' demo-server\"]\n"
    );
    let daemon = TestDaemon::start(&config).await;
    daemon
        .wait_state("ticker", ServerState::Ready, READY_TIMEOUT)
        .await;
    let mut follow = mcpproxy(daemon.data_dir())
        .args(["upstream", "logs", "ticker", "-n", "1", "-f", "--data-dir"])
        .arg(daemon.data_dir())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = follow.stdout.take().unwrap();
    let ticks = tokio::task::spawn_blocking(move || {
        let mut ticks = Vec::new();
        for line in std::io::BufReader::new(stdout).lines() {
            let line = line.unwrap();
            if let Some(n) = line.split("tick-").nth(1) {
                ticks.push(n.trim().parse::<u32>().unwrap());
                if ticks.len() == 4 {
                    break;
                }
            }
        }
        ticks
    });
    let ticks = tokio::time::timeout(Duration::from_secs(10), ticks)
        .await
        .unwrap()
        .unwrap();
    kill_and_reap(&mut follow);
    assert!(
        ticks.windows(2).all(|w| w[1] == w[0] + 1),
        "lines arrive in order, none missing: {ticks:?}"
    );
}

#[tokio::test]
async fn an_http_upstream_restarted_under_the_daemon_keeps_answering() {
    let first = peers::start_server_everything("streamableHttp", None);
    let url = first.url.clone();
    let port = first.port();
    let daemon = TestDaemon::start(&format!(
        "listen = \"127.0.0.1:0\"\n[servers.web]\nurl = \"{url}\"\n"
    ))
    .await;
    daemon
        .wait_state("web", ServerState::Ready, READY_TIMEOUT)
        .await;
    let echo = |message: &str| ToolCall {
        tool: "web:echo".into(),
        arguments: serde_json::json!({ "message": message })
            .as_object()
            .unwrap()
            .clone(),
    };
    assert!(
        !daemon
            .client
            .call_tool(&echo("before"))
            .await
            .unwrap()
            .is_error
    );

    // The server restarts: its sessions are gone, the address is the same.
    drop(first);
    let _second = peers::start_server_everything("streamableHttp", Some(port));
    let result = daemon.client.call_tool(&echo("after")).await.unwrap();
    assert!(!result.is_error, "{result:?}");
    assert!(
        result.content[0]["text"]
            .as_str()
            .unwrap()
            .contains("after")
    );
}

#[tokio::test]
async fn an_upstream_that_wants_authorization_waits_for_a_login() {
    // A server that answers every request with 401 and counts them.
    let dir = crate::support::daemon::temp_data_dir();
    let hits = dir.path().join("hits");
    let port = peers::free_port();
    let script = format!(
        "import http.server\n\
         class H(http.server.BaseHTTPRequestHandler):\n\
         \x20   def refuse(self):\n\
         \x20       open({hits:?}, 'a').write('x\\n')\n\
         \x20       self.send_response(401)\n\
         \x20       self.send_header('WWW-Authenticate', 'Bearer resource_metadata=\"http://127.0.0.1:{port}/.well-known/oauth-protected-resource\"')\n\
         \x20       self.send_header('Content-Length', '0')\n\
         \x20       self.end_headers()\n\
         \x20   do_GET = do_POST = refuse\n\
         \x20   def log_message(self, *a): pass\n\
         http.server.HTTPServer(('127.0.0.1', {port}), H).serve_forever()\n",
        hits = hits.display().to_string(),
    );
    let mut server = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .spawn()
        .unwrap();
    crate::support::wait::wait_until_blocking(Duration::from_secs(10), "the 401 server", || {
        std::net::TcpStream::connect(("127.0.0.1", port)).ok()
    });
    let daemon = TestDaemon::start(&format!(
        "listen = \"127.0.0.1:0\"\n[servers.locked]\nurl = \"http://127.0.0.1:{port}/mcp\"\ntransport = \"http\"\n"
    ))
    .await;
    let view = daemon
        .wait_state("locked", ServerState::NeedsAuth, READY_TIMEOUT)
        .await;
    assert!(view.last_error.unwrap().contains("authorization"));
    let count = || {
        std::fs::read_to_string(&hits)
            .map(|t| t.lines().count())
            .unwrap_or(0)
    };
    let after_first = count();
    // A retry would show on the event stream as a `server` event (connecting, backoff)
    // before the daemon's next heartbeat, which it sends only after a second with no event
    // at all. Three heartbeats in a row are three quiet seconds, longer than any backoff's
    // first delay.
    let mut events = Box::pin(
        daemon
            .client
            .events_with_heartbeat(Some(Duration::from_secs(1)))
            .await
            .unwrap(),
    );
    let quiet = async {
        let mut heartbeats = 0;
        while heartbeats < 3 {
            match events.next().await {
                Some(Ok(Event::Snapshot(state))) => {
                    let locked = state.servers.iter().find(|s| s.name == "locked");
                    assert_eq!(locked.map(|s| s.state), Some(ServerState::NeedsAuth));
                }
                Some(Ok(Event::Server(view))) if view.name == "locked" => {
                    panic!("a server that needs a login was retried: {view:?}")
                }
                Some(Ok(Event::Heartbeat { .. })) => heartbeats += 1,
                Some(Ok(_)) => {}
                other => panic!("the event stream ended: {other:?}"),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), quiet)
        .await
        .expect("three heartbeats within 20 s");
    assert_eq!(
        count(),
        after_first,
        "a server that needs a login must not be retried in a loop"
    );
    kill_and_reap(&mut server);
}
