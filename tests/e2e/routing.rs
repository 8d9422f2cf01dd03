//! Messages that belong to one client reach that client, with several clients on one
//! upstream (the daemon holds one session with each): server-to-client questions and log
//! messages go to the caller whose call raised them, and resource subscriptions are counted
//! per client session, survive the upstream reconnecting, and deliver updates to exactly the
//! sessions that subscribed. Real Python SDK 2.x clients (`support::python`) against real
//! upstreams: server-everything over stdio, streamable HTTP and legacy SSE (2025-11-25), and
//! the demo server over stdio and HTTP (2026-07-28).

use std::time::Duration;

use mcpproxy_daemon::protocol::{ServerState, ServerView};
use serde_json::{Value, json};

use crate::support::python::{
    Era, PyRun, PySession, call, call_write, is_error, is_update_of, run_all, text,
};
use crate::support::{TestDaemon, peers, wait_until};

const READY: Duration = Duration::from_secs(60);

/// A daemon with `servers` (TOML tables), listening on TCP; returns once every server in
/// `ready` is ready, with the daemon's base URL.
async fn daemon_with(servers: &str, ready: &[&str]) -> (TestDaemon, String) {
    let daemon = TestDaemon::start(&format!("listen = \"127.0.0.1:0\"\n{servers}")).await;
    for name in ready {
        daemon.wait_state(name, ServerState::Ready, READY).await;
    }
    let listen = daemon.status().await.listen.unwrap();
    (daemon, format!("http://{listen}"))
}

/// server-everything over stdio, as a config table named `name`.
fn everything_stdio(name: &str) -> String {
    format!(
        "[servers.{name}]\ncommand = \"node\"\nargs = [\"{}\", \"stdio\"]\n",
        peers::server_everything().display()
    )
}

/// Two clients call a tool of server-everything over streamable HTTP that asks them a
/// question (elicitation), at the same time; each is asked only once the other is being
/// asked too. The daemon's one session carries both calls, and each question arrives on its
/// call's response stream, so each reaches its own caller: both calls complete with their
/// own client's answer, none is refused. Pairs: two 2025-11-25 clients on `/mcp/all`, two
/// 2026-07-28 clients on `/mcp/call` (asked through `input_required` rounds), one of each.
#[tokio::test]
async fn two_callers_of_one_http_upstream_each_answer_their_own_question() {
    peers::python_mcp2();
    let everything = peers::start_server_everything("streamableHttp", None);
    let (daemon, base) = daemon_with(
        &format!("[servers.everything]\nurl = \"{}\"\n", everything.url),
        &["everything"],
    )
    .await;
    let pairs = [
        [(Era::Legacy, "all"), (Era::Legacy, "all")],
        [(Era::Modern, "call"), (Era::Modern, "call")],
        [(Era::Legacy, "call"), (Era::Modern, "all")],
    ];
    for (index, pair) in pairs.iter().enumerate() {
        let barrier = daemon.data_dir().join(format!("barrier-{index}"));
        let runs: Vec<PyRun> = pair
            .iter()
            .enumerate()
            .map(|(client, (era, surface))| {
                let step = if *surface == "call" {
                    call_write("everything:trigger-elicitation-request", json!({}))
                } else {
                    call("everything__trigger-elicitation-request", json!({}))
                };
                PyRun::new(format!("{base}/mcp/{surface}"), *era, vec![step])
                    .answering_together(&format!("client-{client}"), &barrier)
            })
            .collect();
        let results = run_all(&runs).await;
        for (client, (run, steps)) in runs.iter().zip(&results).enumerate() {
            let (label, step) = (run.label(), &steps[0]);
            let result = &step["result"];
            assert!(!is_error(result), "{label} was refused: {result}");
            let said = text(result);
            assert!(
                said.contains(&format!(r#""answer": "answer-of-client-{client}""#)),
                "{label} did not get its own answer back: {said}"
            );
            assert!(
                !said.contains(&format!("answer-of-client-{}", 1 - client)),
                "{label} got the other client's answer: {said}"
            );
            assert_eq!(
                step["asked"][0]["together"], true,
                "{label}: the two questions were not open at the same time: {results:?}"
            );
        }
    }
}

/// The log messages a session printed, in order.
fn logs(lines: &[Value]) -> Vec<String> {
    lines
        .iter()
        .filter(|line| line["event"] == "log")
        .map(|line| line["data"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Two 2026-07-28 clients call `chatter` of the demo server at the same time (each call waits
/// for the other before it logs, and says so): over streamable HTTP each call's log messages
/// come on its own response stream, so each client hears exactly its own ten, in order. Over
/// stdio nothing ties a log message to a call: with two callers the messages stay in the
/// server log and neither client hears the other's; with one caller, it hears them.
#[tokio::test]
async fn each_call_hears_only_its_own_log_messages() {
    peers::python_mcp2();
    let demo_http = peers::start_demo_http();
    let (daemon, base) = daemon_with(
        &format!(
            "{}[servers.remote]\nurl = \"{}\"\n",
            TestDaemon::demo_server("demo", ""),
            demo_http.url
        ),
        &["demo", "remote"],
    )
    .await;
    let url = format!("{base}/mcp/all");
    let mut first = PySession::open(&url, Era::Modern, "client-0").await;
    let mut second = PySession::open(&url, Era::Modern, "client-1").await;
    let chatter = |server: &str, client: usize| {
        json!({"op": "call", "tool": format!("{server}__chatter"),
            "args": {"text": format!("{server} client-{client}"), "count": 10, "together": 2}})
    };

    // Streamable HTTP: each call's own messages, all of them.
    let ((answer_0, heard_0), (answer_1, heard_1)) = tokio::join!(
        first.send(chatter("remote", 0)),
        second.send(chatter("remote", 1))
    );
    for (client, answer, heard) in [(0, &answer_0, &heard_0), (1, &answer_1, &heard_1)] {
        assert!(
            text(&answer["result"]).contains("alongside the other calls"),
            "the calls did not overlap: {answer}"
        );
        let expected: Vec<String> = (1..=10)
            .map(|n| format!("remote client-{client} #{n}"))
            .collect();
        assert_eq!(logs(heard), expected, "client-{client} heard: {heard:?}");
    }

    // stdio, two callers: nobody can tell whose a message is, so nobody hears it.
    let ((answer_0, heard_0), (answer_1, heard_1)) = tokio::join!(
        first.send(chatter("demo", 0)),
        second.send(chatter("demo", 1))
    );
    for (client, answer, heard) in [(0, &answer_0, &heard_0), (1, &answer_1, &heard_1)] {
        assert!(
            text(&answer["result"]).contains("alongside the other calls"),
            "{answer}"
        );
        let other = format!("demo client-{}", 1 - client);
        assert!(
            logs(heard).iter().all(|line| !line.starts_with(&other)),
            "client-{client} heard the other call's messages: {heard:?}"
        );
    }
    let server_log =
        std::fs::read_to_string(daemon.data_dir().join("logs/servers/demo.log")).unwrap();
    for client in 0..2 {
        assert!(
            server_log.contains(&format!("chatter: demo client-{client} #10")),
            "the server log lacks client-{client}'s messages"
        );
    }

    // stdio, one caller: its messages are its own.
    let (answer, heard) = first
        .send(json!({"op": "call", "tool": "demo__chatter",
            "args": {"text": "alone", "count": 3}}))
        .await;
    assert!(!is_error(&answer["result"]), "{answer}");
    assert_eq!(
        logs(&heard),
        ["alone #1", "alone #2", "alone #3"],
        "{heard:?}"
    );
    first.close().await;
    second.close().await;
}

/// How updates of a resource are made to happen on one upstream.
enum Updates {
    /// The demo server: each `update_watched_resource` call is one update.
    Demo,
    /// server-everything: once a session asked with `toggle-subscriber-updates`, every 5 s
    /// for each subscribed URI.
    Everything,
}

/// Waits until `server` is ready on a connection newer than `before`.
async fn reconnected(daemon: &TestDaemon, server: &str, before: &ServerView) {
    let client = daemon.client.clone();
    wait_until(READY, &format!("{server} to reconnect"), || {
        let client = client.clone();
        async move {
            let list = client.servers().await.ok()?;
            list.servers.into_iter().find(|view| {
                view.name == server
                    && view.state == ServerState::Ready
                    && view.connected_since != before.connected_since
            })
        }
    })
    .await;
}

/// The scenario every upstream kind goes through: sessions `a` and `b` subscribe to `uri` of
/// `server`; both hear its updates; `a` unsubscribes and `b` still hears them (and `a`
/// nothing); after `upstream restart` the daemon subscribes again and `b` hears them still.
async fn subscriptions_are_counted_and_survive_a_restart(
    daemon: &TestDaemon,
    server: &str,
    uri: &str,
    updates: Updates,
    mut a: PySession,
    mut b: PySession,
) {
    let update = |n: u32| {
        let tool = match updates {
            Updates::Demo => format!("{server}:update_watched_resource"),
            Updates::Everything => format!("{server}:toggle-subscriber-updates"),
        };
        let args = json!({"text": format!("version {n}")}).to_string();
        let output = match updates {
            Updates::Demo => daemon.cli(&["tools", "call", &tool, "--args", &args]),
            Updates::Everything if n == 1 => daemon.cli(&["tools", "call", &tool]),
            // server-everything goes on by itself.
            Updates::Everything => return,
        };
        assert!(output.status.success(), "{output:?}");
    };
    let updated = |line: &Value| is_update_of(line, uri);
    // server-everything logs each subscribe and unsubscribe it gets: the daemon's one
    // session must subscribe once for both clients, and unsubscribe only when both left.
    let server_log = daemon.data_dir().join(format!("logs/servers/{server}.log"));
    let upstream_heard = |what: &str| {
        let said = format!("Received {what} Resource request");
        std::fs::read_to_string(&server_log)
            .unwrap_or_default()
            .lines()
            .filter(|line| line.contains(&said) && line.contains(uri))
            .count()
    };
    let counts_upstream = matches!(updates, Updates::Everything);
    a.subscribe(uri).await;
    b.subscribe(uri).await;
    update(1);
    a.wait_for("the first update", updated).await;
    b.wait_for("the first update", updated).await;

    // One session leaves; the other one's subscription goes on.
    a.send(json!({"op": "unsubscribe", "uri": uri})).await;
    a.received().await;
    update(2);
    b.wait_for("an update after the other session unsubscribed", updated)
        .await;
    update(3);
    b.wait_for(
        "a second update after the other session unsubscribed",
        updated,
    )
    .await;
    let heard = a.received().await;
    assert!(
        !heard.iter().any(updated),
        "{}: an update after unsubscribing: {heard:?}",
        a.label
    );
    if counts_upstream {
        assert_eq!(
            upstream_heard("Subscribe"),
            1,
            "one upstream subscription for both"
        );
        assert_eq!(
            upstream_heard("Unsubscribe"),
            0,
            "unsubscribed while b listens"
        );
    }

    // The upstream reconnects; the remaining subscription is made again.
    let before: ServerView = daemon
        .client
        .get(&format!("/servers/{server}"))
        .await
        .unwrap();
    let restarted = daemon.cli(&["upstream", "restart", server]);
    assert!(restarted.status.success(), "{restarted:?}");
    reconnected(daemon, server, &before).await;
    if matches!(updates, Updates::Everything) {
        // A new session (or process) of server-everything: ask for its updates again.
        let output = daemon.cli(&[
            "tools",
            "call",
            &format!("{server}:toggle-subscriber-updates"),
        ]);
        assert!(output.status.success(), "{output:?}");
    } else {
        update(4);
    }
    b.wait_for("an update after the upstream restarted", updated)
        .await;
    let heard = a.received().await;
    assert!(!heard.iter().any(updated), "{}: {heard:?}", a.label);
    a.close().await;
    b.close().await;
    if counts_upstream {
        // The last subscriber's session ended without unsubscribing: the daemon does.
        wait_until(
            Duration::from_secs(10),
            "the upstream unsubscription after the last session ended",
            || std::future::ready((upstream_heard("Unsubscribe") == 1).then_some(())),
        )
        .await;
    }
}

const EVERYTHING_RESOURCE: &str = "demo://resource/static/document/architecture.md";
const WATCHED_RESOURCE: &str = "test://watched-resource";

/// The demo server over stdio speaks 2026-07-28, so the daemon subscribes upstream with a
/// `subscriptions/listen` stream. One session subscribes on `/mcp/server/demo`, the other on
/// `/mcp/all` with a 2026-07-28 client's own listen stream.
#[tokio::test]
async fn subscriptions_on_a_2026_stdio_upstream() {
    peers::python_mcp2();
    let (daemon, base) = daemon_with(&TestDaemon::demo_server("demo", ""), &["demo"]).await;
    let a = PySession::open(&format!("{base}/mcp/server/demo"), Era::Legacy, "a").await;
    let b = PySession::open(&format!("{base}/mcp/all"), Era::Modern, "b").await;
    subscriptions_are_counted_and_survive_a_restart(
        &daemon,
        "demo",
        WATCHED_RESOURCE,
        Updates::Demo,
        a,
        b,
    )
    .await;
}

/// The scenario on server-everything (a 2025-11-25 server: `resources/subscribe` upstream,
/// updates as notifications on the daemon's one session) configured as `server`, with
/// session `a` on `a_path` and `b` on `b_path` of the daemon.
async fn subscriptions_on_server_everything(server: &str, a_path: &str, b_path: &str) {
    peers::python_mcp2();
    let (daemon, base) = daemon_with(server, &["everything"]).await;
    let a = PySession::open(&format!("{base}{a_path}"), Era::Legacy, "a").await;
    let b = PySession::open(&format!("{base}{b_path}"), Era::Legacy, "b").await;
    subscriptions_are_counted_and_survive_a_restart(
        &daemon,
        "everything",
        EVERYTHING_RESOURCE,
        Updates::Everything,
        a,
        b,
    )
    .await;
}

/// server-everything over stdio, on the passthrough and on `/mcp/all`.
#[tokio::test]
async fn subscriptions_on_a_legacy_stdio_upstream() {
    let server = everything_stdio("everything");
    subscriptions_on_server_everything(&server, "/mcp/server/everything", "/mcp/all").await;
}

/// server-everything over streamable HTTP: its updates come on the daemon's session stream.
#[tokio::test]
async fn subscriptions_on_a_streamable_http_upstream() {
    let everything = peers::start_server_everything("streamableHttp", None);
    let server = format!("[servers.everything]\nurl = \"{}\"\n", everything.url);
    subscriptions_on_server_everything(&server, "/mcp/all", "/mcp/all").await;
}

/// server-everything over the legacy SSE transport (2024-11-05).
#[tokio::test]
async fn subscriptions_on_a_legacy_sse_upstream() {
    let everything = peers::start_server_everything("sse", None);
    let server = format!(
        "[servers.everything]\nurl = \"{}\"\ntransport = \"sse\"\n",
        everything.url
    );
    subscriptions_on_server_everything(&server, "/mcp/all", "/mcp/server/everything").await;
}
