//! Bytes nobody would send, for a bounded time each: POSTed to every MCP endpoint (with and
//! without a session), and as the bodies of the control API's POST routes. The daemon must
//! answer every one (with an error where the input is bad: a 4xx, or a JSON-RPC error),
//! never fail inside (no 5xx), never panic, and still answer afterwards.

use std::time::Duration;

use mcpproxy_daemon::protocol::ServerState;

use crate::support::TestDaemon;
use crate::support::mutate::{self, Rng};
use crate::support::raw_http::{Connection, MCP_POST, Response, initialize};

/// How long each target is fuzzed.
const BUDGET: Duration = Duration::from_secs(10);

async fn daemon_with_demo() -> (TestDaemon, String, String) {
    let daemon = TestDaemon::start(&format!(
        "listen = \"127.0.0.1:0\"\n{}",
        TestDaemon::demo_server("demo", "")
    ))
    .await;
    daemon
        .wait_state("demo", ServerState::Ready, Duration::from_secs(60))
        .await;
    let listen = daemon.status().await.listen.unwrap();
    let key = std::fs::read_to_string(daemon.data_dir().join("api_key")).unwrap();
    (daemon, listen, key.trim().to_owned())
}

/// After a fuzz run: the daemon still answers and logged no panic.
async fn still_well(daemon: &TestDaemon) {
    assert!(daemon.status().await.pid > 0);
    let log = std::fs::read_to_string(daemon.data_dir().join("logs/mcpproxy.log")).unwrap();
    assert!(!log.contains("panicked at"), "the daemon panicked:\n{log}");
}

/// One fuzz input: where it goes, its headers, its body.
type Input = (&'static str, Vec<(&'static str, Vec<u8>)>, Vec<u8>);

/// POSTs what `next` makes, for [`BUDGET`], over one keep-alive connection (a new one when
/// the daemon closes it); every answer must be proper, and `check` may look closer.
/// Returns how many inputs were sent.
fn post_for_a_while(
    address: &str,
    mut next: impl FnMut() -> Input,
    check: impl Fn(&Response),
) -> usize {
    let mut connection = Connection::open(address);
    mutate::for_a_while(BUDGET, 20_000, |_| {
        let (path, headers, body) = next();
        let headers: Vec<(&str, &[u8])> = headers
            .iter()
            .map(|(name, value)| (*name, value.as_slice()))
            .collect();
        let answer = connection.send("POST", path, &headers, &body);
        answered_properly(&answer, &body);
        check(&answer);
        if answer
            .header("connection")
            .is_some_and(|c| c.eq_ignore_ascii_case("close"))
        {
            connection = Connection::open(address);
        }
    })
}

/// A bad input must get an error, and nothing may fail inside the daemon.
fn answered_properly(answer: &Response, input: &[u8]) {
    let shown = String::from_utf8_lossy(&input[..input.len().min(300)]).into_owned();
    assert!(
        !(500..600).contains(&answer.status) || answer.status == 503,
        "{} for {shown:?}: {}",
        answer.status,
        answer.text()
    );
}

const MCP_SAMPLES: &[&str] = &[
    r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"f","version":"1"}}}"#,
    r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
    r#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#,
    r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"retrieve_tools","arguments":{"query":"time"}}}"#,
    r#"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"demo__echo","arguments":{"message":"hi"}}}"#,
    r#"{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"call_tool_read","arguments":{"name":"demo:echo","args_json":"{}"}}}"#,
    r#"{"jsonrpc":"2.0","id":6,"method":"resources/read","params":{"uri":"demo://x"}}"#,
    r#"{"jsonrpc":"2.0","id":7,"method":"prompts/get","params":{"name":"greet","arguments":{}}}"#,
    r#"{"jsonrpc":"2.0","id":8,"result":{}}"#,
    r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":4}}"#,
    r#"{"jsonrpc":"2.0","id":9,"method":"server/discover","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}"#,
    r#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#,
];

const MCP_FRAGMENTS: &[&[u8]] = &[
    b"\"method\":\"initialize\"",
    b"\"id\":null",
    b"\"params\":",
    b"\"_meta\":{\"progressToken\":1}",
    b"\"arguments\":",
    b"\"name\":\"upstream_servers\"",
];

/// Every MCP surface.
const PATHS: [&str; 4] = ["/mcp", "/mcp/call", "/mcp/all", "/mcp/server/demo"];

#[tokio::test]
async fn mcp_endpoints_answer_any_bytes_with_an_error_and_never_fail() {
    let (daemon, listen, _key) = daemon_with_demo().await;
    let address = listen.clone();
    let tried = tokio::task::spawn_blocking(move || {
        let mut rng = Rng::from_env("MCP inbound fuzz", 0x5eed_0001);
        // One session per surface, for inputs that go to a session.
        let sessions: Vec<String> = PATHS
            .iter()
            .map(|path| {
                let answer =
                    Connection::open(&address).send("POST", path, MCP_POST, &initialize(1));
                answer.header("mcp-session-id").unwrap().to_owned()
            })
            .collect();
        let next = || {
            let surface = rng.below(PATHS.len());
            let sample = *rng.pick(MCP_SAMPLES);
            let body = mutate::mutate(&mut rng, sample.as_bytes(), MCP_FRAGMENTS);
            let mut headers: Vec<(&'static str, Vec<u8>)> = MCP_POST
                .iter()
                .map(|(name, value)| (*name, value.to_vec()))
                .collect();
            if rng.one_in(2) {
                headers.push(("Mcp-Session-Id", sessions[surface].clone().into_bytes()));
                headers.push(("Mcp-Protocol-Version", b"2025-11-25".to_vec()));
            } else if rng.one_in(3) {
                let version = *rng.pick(&[b"2026-07-28".as_slice(), b"1999-01-01", b"\xff"]);
                headers.push(("Mcp-Protocol-Version", version.to_vec()));
            }
            (PATHS[surface], headers, body)
        };
        post_for_a_while(&address, next, |_| {})
    })
    .await
    .unwrap();
    eprintln!("{tried} MCP inputs");
    still_well(&daemon).await;
    let answer = Connection::open(&listen).send("POST", "/mcp/all", MCP_POST, &initialize(1));
    assert_eq!(answer.status, 200, "{}", answer.text());
}

const API_SAMPLES: &[(&str, &str)] = &[
    (
        "/api/v1/servers",
        r#"{"name":"added","server":{"command":"sh","args":["-c","exit 0"],"call_timeout":"30s","env":{"A":"b"}},"quarantine":true}"#,
    ),
    (
        "/api/v1/servers",
        r#"{"name":"remote","server":{"url":"https://example.com/mcp","headers":{"X":"y"},"transport":"http"}}"#,
    ),
    (
        "/api/v1/tools/call",
        r#"{"tool":"demo:echo","arguments":{"message":"hi"}}"#,
    ),
    (
        "/api/v1/tools/call",
        r#"{"tool":"nope:nothing","arguments":{}}"#,
    ),
    ("/api/v1/servers/added/enable", ""),
];

const API_FRAGMENTS: &[&[u8]] = &[
    b"\"name\":",
    b"\"server\":{}",
    b"\"builtin\":\"demo\"",
    b"\"ping_interval\":\"200000000000000d\"",
    b"\"headers\":{\"X\":\"a\\nb\"}",
    b"\"tool\":\"demo:",
];

#[tokio::test]
async fn control_api_bodies_are_refused_with_errors_and_never_fail() {
    let (daemon, listen, key) = daemon_with_demo().await;
    let address = listen.clone();
    let tried = tokio::task::spawn_blocking(move || {
        let mut rng = Rng::from_env("control API fuzz", 0x5eed_0002);
        let next = || {
            let (path, sample) = *rng.pick(API_SAMPLES);
            let body = mutate::mutate(&mut rng, sample.as_bytes(), API_FRAGMENTS);
            let headers = vec![
                ("X-API-Key", key.clone().into_bytes()),
                ("Content-Type", b"application/json".to_vec()),
            ];
            (path, headers, body)
        };
        post_for_a_while(&address, next, |answer| {
            if !(200..300).contains(&answer.status) {
                let body: serde_json::Value =
                    serde_json::from_slice(&answer.body).unwrap_or_else(|e| {
                        panic!(
                            "{} without a JSON error ({e}): {}",
                            answer.status,
                            answer.text()
                        )
                    });
                assert!(body["error"]["message"].is_string(), "{body}");
            }
        })
    })
    .await
    .unwrap();
    eprintln!("{tried} control API inputs");
    still_well(&daemon).await;
}
