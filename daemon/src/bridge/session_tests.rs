//! The bridge against a scripted MCP endpoint on a unix socket: the session from the
//! client's `initialize`, the GET stream, sessions the daemon ended (found by a POST: renewed
//! and the message sent again; found by the GET stream: renewed by the bridge on its own),
//! and the end of the session when stdin closes; and a daemon that goes away while it
//! holds the client's `initialize` unanswered.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse as _, Response};
use futures_util::StreamExt as _;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{BridgeError, Endpoint, run_with};

/// What the endpoint saw of one request.
#[derive(Debug, Clone)]
struct Seen {
    method: Method,
    session: Option<String>,
    version: Option<String>,
    body: String,
}

#[derive(Debug, Default)]
struct Script {
    sessions_opened: u32,
    live: HashSet<String>,
    /// Ends each session's GET stream.
    streams: HashMap<String, CancellationToken>,
    seen: Vec<Seen>,
}

type Shared = Arc<Mutex<Script>>;

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn events(messages: &[Value]) -> Response {
    // A priming event (an id and a retry, no data) first, as rmcp's server sends one.
    let mut body = "id: 0\nretry: 3000\ndata:\n\n".to_owned();
    for message in messages {
        body.push_str(&format!("event: message\ndata: {message}\n\n"));
    }
    ([(header::CONTENT_TYPE, "text/event-stream")], body).into_response()
}

async fn endpoint(
    State(script): State<Shared>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let session = header_text(&headers, "mcp-session-id");
    let message: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut script = script.lock().unwrap();
    script.seen.push(Seen {
        method: method.clone(),
        session: session.clone(),
        version: header_text(&headers, "mcp-protocol-version"),
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    let live = session.as_ref().is_some_and(|s| script.live.contains(s));
    if method == Method::GET {
        if !live {
            return StatusCode::NOT_FOUND.into_response();
        }
        let ended = CancellationToken::new();
        if let Some(session) = &session {
            script.streams.insert(session.clone(), ended.clone());
        }
        let changed = json!({"jsonrpc": "2.0", "method": "notifications/tools/list_changed"});
        let stream = futures_util::stream::once(async move {
            Ok::<_, Infallible>(Event::default().data(changed.to_string()))
        })
        .chain(
            futures_util::stream::once(async move { ended.cancelled().await })
                .filter_map(|()| async { None }),
        );
        return Sse::new(stream).into_response();
    }
    if method == Method::DELETE {
        if let Some(session) = &session {
            script.live.remove(session);
        }
        return StatusCode::OK.into_response();
    }
    let id = message.get("id").cloned();
    match message["method"].as_str() {
        Some("initialize") => {
            script.sessions_opened += 1;
            let session = format!("s{}", script.sessions_opened);
            script.live.insert(session.clone());
            let answer = json!({"jsonrpc": "2.0", "id": id, "result": {
                "protocolVersion": "2025-11-25", "capabilities": {}, "serverInfo": {"name": "script", "version": "1"}
            }});
            ([("mcp-session-id", session)], axum::Json(answer)).into_response()
        }
        _ if session.is_some() && !live => StatusCode::NOT_FOUND.into_response(),
        Some("test/expire") => {
            if let Some(session) = &session {
                script.live.remove(session);
                if message["params"]["end_stream"] == true
                    && let Some(stream) = script.streams.get(session)
                {
                    stream.cancel();
                }
            }
            events(&[json!({"jsonrpc": "2.0", "id": id, "result": {}})])
        }
        Some(method) if id.is_some() => events(&[
            json!({"jsonrpc": "2.0", "method": "notifications/progress", "params": {"progressToken": 1, "progress": 1}}),
            json!({"jsonrpc": "2.0", "id": id, "result": {"method": method, "session": session}}),
        ]),
        _ => StatusCode::ACCEPTED.into_response(),
    }
}

/// stdin fed line by line by the test; closing the sender is end of input.
struct LinesIn {
    lines: mpsc::UnboundedReceiver<Vec<u8>>,
    buffer: Vec<u8>,
}

impl Read for LinesIn {
    fn read(&mut self, into: &mut [u8]) -> std::io::Result<usize> {
        if self.buffer.is_empty() {
            match self.lines.blocking_recv() {
                Some(mut line) => {
                    line.push(b'\n');
                    self.buffer = line;
                }
                None => return Ok(0),
            }
        }
        let n = into.len().min(self.buffer.len());
        into[..n].copy_from_slice(&self.buffer[..n]);
        self.buffer.drain(..n);
        Ok(n)
    }
}

/// stdout as messages for the test.
struct LinesOut {
    lines: mpsc::UnboundedSender<Value>,
    partial: Vec<u8>,
}

impl Write for LinesOut {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.partial.extend_from_slice(bytes);
        while let Some(end) = self.partial.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=end).collect();
            let message = serde_json::from_slice(&line).expect("stdout carries JSON lines");
            let _ = self.lines.send(message);
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn next(out: &mut mpsc::UnboundedReceiver<Value>) -> Value {
    tokio::time::timeout(Duration::from_secs(5), out.recv())
        .await
        .expect("a message on stdout in time")
        .expect("stdout still open")
}

/// Reads stdout until the answer to `id`; returns it and the notifications before it.
async fn answer_to(out: &mut mpsc::UnboundedReceiver<Value>, id: i64) -> (Value, Vec<Value>) {
    let mut notifications = Vec::new();
    loop {
        let message = next(out).await;
        if message["id"] == id {
            return (message, notifications);
        }
        assert!(message.get("method").is_some(), "unexpected {message}");
        notifications.push(message);
    }
}

/// Reads stdout until a `tools/list_changed` notification has come, counting `seen` too.
async fn wait_for_list_change(out: &mut mpsc::UnboundedReceiver<Value>, seen: &mut Vec<Value>) {
    let is_change = |n: &Value| n["method"] == "notifications/tools/list_changed";
    while !seen.iter().any(is_change) {
        seen.push(next(out).await);
    }
}

/// A bridge running on a test socket.
struct Running {
    /// Lines for its stdin; dropping it closes stdin.
    input: mpsc::UnboundedSender<Vec<u8>>,
    /// The messages it writes to stdout.
    out: mpsc::UnboundedReceiver<Value>,
    /// How it ended.
    bridge: tokio::task::JoinHandle<Result<(), BridgeError>>,
}

/// Runs the bridge on `socket`.
fn start_bridge(socket: &std::path::Path) -> Running {
    let (input, lines) = mpsc::unbounded_channel();
    let (output, out) = mpsc::unbounded_channel();
    let socket = socket.to_path_buf();
    let bridge = tokio::spawn(async move {
        let stdin = LinesIn {
            lines,
            buffer: Vec::new(),
        };
        let stdout = LinesOut {
            lines: output,
            partial: Vec::new(),
        };
        run_with(&socket, &Endpoint::Configured, stdin, stdout).await
    });
    Running { input, out, bridge }
}

#[tokio::test]
async fn sessions_the_daemon_ends_are_renewed() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("mcp.sock");
    let script = Shared::default();
    let listener = tokio::net::UnixListener::bind(&socket).unwrap();
    let router = Router::new()
        .route("/mcp", axum::routing::any(endpoint))
        .with_state(Arc::clone(&script));
    tokio::spawn(async move { axum::serve(listener, router).await });

    let Running {
        input,
        mut out,
        bridge,
    } = start_bridge(&socket);
    let send = |line: &str| input.send(line.as_bytes().to_vec()).unwrap();

    send(
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#,
    );
    let (answer, _) = answer_to(&mut out, 1).await;
    assert_eq!(answer["result"]["protocolVersion"], "2025-11-25");
    send(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#);
    // The session's GET stream opens and its message comes through.
    let changed = next(&mut out).await;
    assert_eq!(changed["method"], "notifications/tools/list_changed");

    send(r#"{"jsonrpc":"2.0","id":2,"method":"test/expire"}"#);
    answer_to(&mut out, 2).await;
    let list =
        r#"{"jsonrpc":"2.0","id":3,"method":"tools/list","params":{"x-vendor":{"b":1,"a":2}}}"#;
    send(list);
    let (answer, mut notifications) = answer_to(&mut out, 3).await;
    assert_eq!(
        answer["result"]["session"], "s2",
        "sent again on the new session"
    );
    assert!(
        notifications
            .iter()
            .any(|n| n["method"] == "notifications/progress"),
        "{notifications:?}"
    );
    // s2's GET stream opens too.
    wait_for_list_change(&mut out, &mut notifications).await;

    // The daemon ends s2 and its GET stream: the bridge opens s3 on its own, and its GET
    // stream's message comes through without the client sending anything.
    send(r#"{"jsonrpc":"2.0","id":4,"method":"test/expire","params":{"end_stream":true}}"#);
    let (_, mut notifications) = answer_to(&mut out, 4).await;
    wait_for_list_change(&mut out, &mut notifications).await;
    assert_eq!(
        script.lock().unwrap().sessions_opened,
        3,
        "renewed before the client sent anything"
    );
    send(r#"{"jsonrpc":"2.0","id":5,"method":"ping"}"#);
    let (answer, _) = answer_to(&mut out, 5).await;
    assert_eq!(answer["result"]["session"], "s3");

    drop(input);
    tokio::time::timeout(Duration::from_secs(10), bridge)
        .await
        .expect("the bridge ends when stdin closes")
        .unwrap()
        .unwrap();

    let seen = script.lock().unwrap().seen.clone();
    let posts = |method: &str| -> Vec<Seen> {
        seen.iter()
            .filter(|s| s.method == Method::POST && s.body.contains(method))
            .cloned()
            .collect()
    };
    let initializes = posts("\"initialize\"");
    assert_eq!(initializes.len(), 3, "{seen:#?}");
    assert!(
        initializes
            .iter()
            .all(|s| s.session.is_none() && s.version.is_none())
    );
    assert!(
        initializes.iter().all(|s| s.body == initializes[0].body),
        "the client's own initialize, replayed"
    );
    let initialized = posts("notifications/initialized");
    assert_eq!(
        initialized
            .iter()
            .map(|s| (s.session.as_deref(), s.version.as_deref()))
            .collect::<Vec<_>>(),
        [
            (Some("s1"), Some("2025-11-25")),
            (Some("s2"), Some("2025-11-25")),
            (Some("s3"), Some("2025-11-25"))
        ]
    );
    let lists = posts("tools/list");
    assert_eq!(
        lists
            .iter()
            .map(|s| s.session.as_deref())
            .collect::<Vec<_>>(),
        [Some("s1"), Some("s2")]
    );
    assert!(lists.iter().all(|s| s.body == list), "sent byte for byte");
    let gets: Vec<Option<&str>> = seen
        .iter()
        .filter(|s| s.method == Method::GET)
        .map(|s| s.session.as_deref())
        .collect();
    assert_eq!(gets.first(), Some(&Some("s1")), "{gets:?}");
    assert!(
        gets.contains(&Some("s2")) && gets.contains(&Some("s3")),
        "{gets:?}"
    );
    let deletes: Vec<Option<&str>> = seen
        .iter()
        .filter(|s| s.method == Method::DELETE)
        .map(|s| s.session.as_deref())
        .collect();
    assert_eq!(deletes, [Some("s3")]);
}

/// The daemon takes the client's `initialize` and never answers it, then goes away. The
/// bridge takes no other line meanwhile, but it still hears that the daemon is gone, and
/// ends with that error instead of waiting for the answer forever.
#[tokio::test]
async fn a_daemon_gone_during_the_handshake_ends_the_bridge() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("mcp.sock");
    let posted: Arc<Mutex<Vec<String>>> = Arc::default();
    // The bridge's requests to anything but /mcp: its watch on the daemon.
    let watch_requests: Arc<Mutex<usize>> = Arc::default();
    let listener = tokio::net::UnixListener::bind(&socket).unwrap();
    let router = Router::new()
        .route(
            "/mcp",
            axum::routing::any({
                let posted = Arc::clone(&posted);
                move |body: Bytes| async move {
                    posted
                        .lock()
                        .unwrap()
                        .push(String::from_utf8_lossy(&body).into_owned());
                    std::future::pending::<Response>().await
                }
            }),
        )
        .fallback({
            let watch_requests = Arc::clone(&watch_requests);
            move || async move {
                *watch_requests.lock().unwrap() += 1;
                StatusCode::NOT_FOUND
            }
        });
    // The daemon's event stream is not there (404): the bridge's watch polls its status.
    let daemon = tokio::spawn(async move { axum::serve(listener, router).await });

    let Running {
        input,
        mut out,
        bridge,
    } = start_bridge(&socket);
    let send = |line: &str| input.send(line.as_bytes().to_vec()).unwrap();
    send(
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#,
    );
    send(r#"{"jsonrpc":"2.0","id":2,"method":"ping"}"#);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while posted.lock().unwrap().is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "initialize never posted"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // The bridge's own clock as the bound: two more rounds of its watch (each an event
    // stream and a status request, 250 ms apart) while the ping waited on its stdin. A ping
    // it had taken would have gone out at once, long before.
    let watched = *watch_requests.lock().unwrap();
    while *watch_requests.lock().unwrap() < watched + 4 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the bridge stopped watching the daemon"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let seen = posted.lock().unwrap().clone();
    assert_eq!(
        seen.len(),
        1,
        "nothing goes out before initialize is answered: {seen:?}"
    );
    assert!(seen[0].contains("\"initialize\""), "{seen:?}");

    // The daemon goes away: nothing listens on the socket any more. (The connection
    // holding the initialize stays open, its answer never coming.)
    daemon.abort();
    let _ = daemon.await;
    std::fs::remove_file(&socket).unwrap();

    let ended = tokio::time::timeout(Duration::from_secs(10), bridge)
        .await
        .expect("the bridge ends while the handshake is unanswered")
        .unwrap();
    assert!(
        matches!(ended, Err(BridgeError::DaemonGone { .. })),
        "{ended:?}"
    );
    assert!(out.try_recv().is_err(), "nothing was answered");
    assert_eq!(posted.lock().unwrap().len(), 1);
    drop(input);
}
