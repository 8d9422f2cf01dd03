//! The legacy HTTP+SSE client transport against a tiny in-test server (every edge the
//! supervisor depends on) and against the reference `server-everything` in its `sse` mode.

#![cfg(feature = "server")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures_util::StreamExt;
use futures_util::stream;
use mcpproxy_daemon::upstream::sse::{SseClientTransport, SseError};
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, ClientJsonRpcMessage};
use rmcp::service::QuitReason;
use rmcp::transport::Transport;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

const TIMEOUT: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------------------------------
// A tiny legacy SSE MCP server.

/// What the test server's GET /sse does.
#[derive(Clone)]
enum GetAnswer {
    /// Streams `endpoint` (this data, or the real relative endpoint if `None`), then messages.
    Stream { endpoint: Option<String> },
    /// Answers this status with a short body (and a challenge on 401).
    Status(StatusCode),
    /// Answers 200 with JSON, like an endpoint that is not SSE at all.
    Json,
    /// An event stream that only ever sends comments.
    NoEndpoint,
    /// An event stream that ends at once.
    EmptyStream,
    /// The endpoint event, then a comment line that never ends: 32 MiB of it, after which
    /// the stream stalls (so a reader without a limit hangs instead of running out of
    /// memory).
    EndlessComment,
}

struct ServerState {
    get_answer: GetAnswer,
    /// When set, every POST is refused with this status.
    post_status: Option<StatusCode>,
    next_session: AtomicU64,
    sessions: Mutex<HashMap<String, mpsc::Sender<Event>>>,
    /// Method and headers of every request, in arrival order.
    requests: Mutex<Vec<(Method, HeaderMap)>>,
    /// JSON-RPC methods the server received.
    methods: Mutex<Vec<String>>,
    /// The path and query of every POST.
    posted_to: Mutex<Vec<String>>,
}

struct TestServer {
    addr: SocketAddr,
    state: Arc<ServerState>,
    task: tokio::task::JoinHandle<()>,
}

impl TestServer {
    async fn start(get_answer: GetAnswer) -> Self {
        Self::start_with(get_answer, None).await
    }

    async fn start_with(get_answer: GetAnswer, post_status: Option<StatusCode>) -> Self {
        let state = Arc::new(ServerState {
            get_answer,
            post_status,
            next_session: AtomicU64::new(1),
            sessions: Mutex::new(HashMap::new()),
            requests: Mutex::new(Vec::new()),
            methods: Mutex::new(Vec::new()),
            posted_to: Mutex::new(Vec::new()),
        });
        let router = Router::new()
            .route("/sse", get(open_stream))
            .route("/messages", post(accept_message))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        Self { addr, state, task }
    }

    fn sse_url(&self) -> String {
        format!("http://{}/sse", self.addr)
    }

    /// Ends every open stream, as a server going away would.
    fn hang_up(&self) {
        self.state.sessions.lock().unwrap().clear();
    }

    fn methods(&self) -> Vec<String> {
        self.state.methods.lock().unwrap().clone()
    }

    fn posted_to(&self) -> Vec<String> {
        self.state.posted_to.lock().unwrap().clone()
    }

    fn requests(&self) -> Vec<(Method, HeaderMap)> {
        self.state.requests.lock().unwrap().clone()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn open_stream(State(state): State<Arc<ServerState>>, headers: HeaderMap) -> Response {
    state.requests.lock().unwrap().push((Method::GET, headers));
    let endpoint = match &state.get_answer {
        GetAnswer::Stream { endpoint } => endpoint.clone(),
        GetAnswer::Status(status) => {
            return (
                *status,
                [(header::WWW_AUTHENTICATE, "Bearer realm=\"test\"")],
                "go away",
            )
                .into_response();
        }
        GetAnswer::Json => return axum::Json(json!({"error": "not here"})).into_response(),
        GetAnswer::NoEndpoint => {
            let comments =
                stream::repeat_with(|| Ok::<_, Infallible>(Event::default().comment("tick"))).then(
                    |event| async {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        event
                    },
                );
            return Sse::new(comments).into_response();
        }
        GetAnswer::EmptyStream => {
            return Sse::new(stream::empty::<Result<Event, Infallible>>()).into_response();
        }
        GetAnswer::EndlessComment => {
            let start = stream::once(async {
                Bytes::from_static(b"event: endpoint\ndata: /messages?sessionId=x\n\n: ")
            });
            let comment = stream::repeat(Bytes::from(vec![b'x'; 64 * 1024])).take(512);
            let stall = stream::once(std::future::pending::<Bytes>());
            let body = start.chain(comment).chain(stall).map(Ok::<_, Infallible>);
            return (
                [(header::CONTENT_TYPE, "text/event-stream")],
                axum::body::Body::from_stream(body),
            )
                .into_response();
        }
    };
    let session_id = format!("s{}", state.next_session.fetch_add(1, Ordering::Relaxed));
    let endpoint = endpoint.unwrap_or_else(|| format!("/messages?sessionId={session_id}"));
    let (sender, receiver) = mpsc::channel(16);
    state.sessions.lock().unwrap().insert(session_id, sender);
    let events = stream::once(async move { Event::default().event("endpoint").data(endpoint) })
        .chain(ReceiverStream::new(receiver))
        .map(Ok::<_, Infallible>);
    Sse::new(events).into_response()
}

async fn accept_message(
    State(state): State<Arc<ServerState>>,
    Query(query): Query<HashMap<String, String>>,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> Response {
    state.requests.lock().unwrap().push((Method::POST, headers));
    state.posted_to.lock().unwrap().push(uri.to_string());
    if let Some(status) = state.post_status {
        return (
            status,
            [(header::WWW_AUTHENTICATE, "Bearer realm=\"posts\"")],
            "refused",
        )
            .into_response();
    }
    let sender = query
        .get("sessionId")
        .and_then(|id| state.sessions.lock().unwrap().get(id).cloned());
    let Some(sender) = sender else {
        return (StatusCode::NOT_FOUND, "no such session").into_response();
    };
    let message: Value = serde_json::from_str(&body).unwrap();
    let Some(method) = message["method"].as_str() else {
        return (StatusCode::ACCEPTED, "Accepted").into_response();
    };
    state.methods.lock().unwrap().push(method.to_owned());
    if message.get("id").is_none() {
        return (StatusCode::ACCEPTED, "Accepted").into_response();
    }
    if method == "initialize" {
        // Noise a real server may send: the transport must skip it, not choke on it.
        for noise in [
            Event::default().comment("heartbeat"),
            Event::default()
                .event("message")
                .data("this is not JSON-RPC"),
            Event::default().event("progress").data("{}"),
        ] {
            sender.send(noise).await.unwrap();
        }
    }
    let reply = json!({"jsonrpc": "2.0", "id": message["id"], "result": answer(method, &message["params"])});
    let reply = match reply["result"] {
        Value::Null => json!({"jsonrpc": "2.0", "id": message["id"],
                              "error": {"code": -32601, "message": format!("no method {method}")}}),
        _ => reply,
    };
    sender
        .send(Event::default().event("message").data(reply.to_string()))
        .await
        .unwrap();
    (StatusCode::ACCEPTED, "Accepted").into_response()
}

/// The result for a request, or `Null` for a method the server does not have.
fn answer(method: &str, params: &Value) -> Value {
    match method {
        "initialize" => json!({
            "protocolVersion": "2024-11-05",
            "capabilities": {"tools": {}},
            "serverInfo": {"name": "legacy-sse-test", "version": "1.0.0"},
        }),
        "tools/list" => json!({"tools": [{
            "name": "echo",
            "description": "Echoes its message",
            "inputSchema": {"type": "object", "properties": {"message": {"type": "string"}},
                            "required": ["message"]},
        }]}),
        "tools/call" if params["name"] == "echo" => json!({
            "content": [{"type": "text", "text": format!("Echo: {}", params["arguments"]["message"].as_str().unwrap())}],
        }),
        _ => Value::Null,
    }
}

// ---------------------------------------------------------------------------------------
// Helpers.

async fn connect(url: &str) -> Result<SseClientTransport, SseError> {
    SseClientTransport::connect(url, &BTreeMap::new(), TIMEOUT).await
}

/// Lists the tools and calls `echo` through an rmcp client over `transport`; returns the
/// client so the caller can check how it ends.
async fn list_and_echo(
    transport: SseClientTransport,
) -> rmcp::service::RunningService<rmcp::RoleClient, ()> {
    let client = ().serve(transport).await.unwrap();
    let tools = client.list_all_tools().await.unwrap();
    assert!(tools.iter().any(|tool| tool.name == "echo"), "{tools:?}");
    let arguments = json!({"message": "hello over sse"});
    let result = client
        .call_tool(
            CallToolRequestParams::new("echo")
                .with_arguments(arguments.as_object().unwrap().clone()),
        )
        .await
        .unwrap();
    let text = &result.content[0].as_text().unwrap().text;
    assert_eq!(text, "Echo: hello over sse");
    client
}

fn initialized_notification() -> ClientJsonRpcMessage {
    serde_json::from_value(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        .unwrap()
}

// ---------------------------------------------------------------------------------------
// Against the test server.

#[tokio::test]
async fn rmcp_client_lists_and_calls_a_tool() {
    let server = TestServer::start(GetAnswer::Stream { endpoint: None }).await;
    let transport = connect(&server.sse_url()).await.unwrap();
    let client = list_and_echo(transport).await;
    // Every message went to the endpoint the stream named.
    let posted_to = server.posted_to();
    assert!(
        !posted_to.is_empty() && posted_to.iter().all(|uri| uri == "/messages?sessionId=s1"),
        "{posted_to:?}"
    );
    assert_eq!(
        server.methods(),
        [
            "initialize",
            "notifications/initialized",
            "tools/list",
            "tools/call"
        ]
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn configured_headers_go_on_the_get_and_every_post() {
    let server = TestServer::start(GetAnswer::Stream { endpoint: None }).await;
    let headers = BTreeMap::from([
        ("Authorization".to_owned(), "Bearer secret-token".to_owned()),
        ("X-Tenant".to_owned(), "acme".to_owned()),
    ]);
    let transport = SseClientTransport::connect(&server.sse_url(), &headers, TIMEOUT)
        .await
        .unwrap();
    list_and_echo(transport).await.cancel().await.unwrap();

    let requests = server.requests();
    assert_eq!(requests[0].0, Method::GET);
    assert_eq!(requests[0].1[header::ACCEPT], "text/event-stream");
    assert!(
        requests
            .iter()
            .filter(|(method, _)| method == Method::POST)
            .count()
            >= 4
    );
    for (method, headers) in &requests {
        assert_eq!(
            headers[header::AUTHORIZATION],
            "Bearer secret-token",
            "{method}"
        );
        assert_eq!(headers["x-tenant"], "acme", "{method}");
    }
}

#[tokio::test]
async fn missing_sse_route_is_not_sse() {
    for status in [StatusCode::NOT_FOUND, StatusCode::METHOD_NOT_ALLOWED] {
        let server = TestServer::start(GetAnswer::Status(status)).await;
        let error = connect(&server.sse_url()).await.unwrap_err();
        assert!(matches!(error, SseError::OpenStatus { .. }), "{error}");
        assert!(!error.is_unauthorized(), "{error}");
        assert_eq!(error.status(), Some(status));
    }
}

#[tokio::test]
async fn json_answer_to_the_get_is_not_sse() {
    let server = TestServer::start(GetAnswer::Json).await;
    let error = connect(&server.sse_url()).await.unwrap_err();
    assert!(matches!(error, SseError::NotEventStream { .. }), "{error}");
    assert_eq!(error.status(), None);
}

#[tokio::test]
async fn refused_credentials_are_unauthorized() {
    for status in [StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN] {
        let server = TestServer::start(GetAnswer::Status(status)).await;
        let error = connect(&server.sse_url()).await.unwrap_err();
        assert!(error.is_unauthorized(), "{error}");
        assert_eq!(error.status(), Some(status));
        // What `connect` hands the supervisor as the challenge.
        assert_eq!(error.www_authenticate(), Some("Bearer realm=\"test\""));
        let SseError::OpenStatus {
            www_authenticate,
            body,
            ..
        } = &error
        else {
            panic!("{error:?}");
        };
        assert_eq!(www_authenticate.as_deref(), Some("Bearer realm=\"test\""));
        assert_eq!(body, "go away");
    }
}

#[tokio::test]
async fn endpoint_on_another_origin_is_refused() {
    let server = TestServer::start(GetAnswer::Stream {
        endpoint: Some("http://attacker.invalid/messages?sessionId=x".into()),
    })
    .await;
    let error = connect(&server.sse_url()).await.unwrap_err();
    assert!(matches!(error, SseError::ForeignEndpoint { .. }), "{error}");
}

#[tokio::test]
async fn no_endpoint_event_times_out() {
    let server = TestServer::start(GetAnswer::NoEndpoint).await;
    let timeout = Duration::from_millis(300);
    let started = Instant::now();
    let error = SseClientTransport::connect(&server.sse_url(), &BTreeMap::new(), timeout)
        .await
        .unwrap_err();
    assert!(matches!(error, SseError::EndpointTimeout { .. }), "{error}");
    assert!(started.elapsed() < TIMEOUT, "took {:?}", started.elapsed());
}

#[tokio::test]
async fn stream_ending_before_the_endpoint_is_reported() {
    let server = TestServer::start(GetAnswer::EmptyStream).await;
    let error = connect(&server.sse_url()).await.unwrap_err();
    assert!(matches!(error, SseError::StreamEnded { .. }), "{error}");
}

#[tokio::test]
async fn unreachable_server_is_a_connect_error() {
    // A port that was just free: nothing listens on it.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let error = connect(&format!("http://{addr}/sse")).await.unwrap_err();
    assert!(matches!(error, SseError::Connect { .. }), "{error}");
}

#[tokio::test]
async fn refused_post_is_the_send_error() {
    let server = TestServer::start_with(
        GetAnswer::Stream { endpoint: None },
        Some(StatusCode::UNAUTHORIZED),
    )
    .await;
    let mut transport = connect(&server.sse_url()).await.unwrap();
    let error = transport
        .send(initialized_notification())
        .await
        .unwrap_err();
    assert!(matches!(error, SseError::PostStatus { .. }), "{error}");
    assert!(error.is_unauthorized());
    assert!(error.to_string().contains("refused"), "{error}");
    assert!(
        error.to_string().contains("/messages?sessionId=s1"),
        "names the endpoint: {error}"
    );
    assert_eq!(error.www_authenticate(), Some("Bearer realm=\"posts\""));
    // The failure is the POST's, not the stream's: the transport can still send.
    let error = transport
        .send(initialized_notification())
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::UNAUTHORIZED));
}

#[tokio::test]
async fn stream_end_makes_receive_return_none() {
    let server = TestServer::start(GetAnswer::Stream { endpoint: None }).await;
    let mut transport = connect(&server.sse_url()).await.unwrap();
    server.hang_up();
    let received = tokio::time::timeout(TIMEOUT, transport.receive())
        .await
        .unwrap();
    assert!(received.is_none(), "{received:?}");
}

#[tokio::test]
async fn stream_end_stops_the_rmcp_service() {
    let server = TestServer::start(GetAnswer::Stream { endpoint: None }).await;
    let client = list_and_echo(connect(&server.sse_url()).await.unwrap()).await;
    server.hang_up();
    let quit = tokio::time::timeout(TIMEOUT, client.waiting())
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(quit, QuitReason::Closed), "{quit:?}");
}

#[tokio::test]
async fn an_endless_comment_line_ends_the_stream() {
    // Comment lines count against the event size limit while they are unfinished.
    let server = TestServer::start(GetAnswer::EndlessComment).await;
    let mut transport = connect(&server.sse_url()).await.unwrap();
    let received = tokio::time::timeout(TIMEOUT, transport.receive())
        .await
        .expect("the reader gives up on the line instead of buffering it");
    assert!(received.is_none(), "{received:?}");
}

#[tokio::test]
async fn send_after_close_is_refused() {
    let server = TestServer::start(GetAnswer::Stream { endpoint: None }).await;
    let mut transport = connect(&server.sse_url()).await.unwrap();
    transport.close().await.unwrap();
    let error = transport
        .send(initialized_notification())
        .await
        .unwrap_err();
    assert!(matches!(error, SseError::Closed), "{error}");
    assert!(transport.receive().await.is_none());
}

// ---------------------------------------------------------------------------------------
// Against the reference server.

#[path = "../../tests/shared/helpers.rs"]
mod helpers;
#[path = "../../tests/shared/provision.rs"]
mod provision;

#[tokio::test]
async fn server_everything_over_sse() {
    let log_dir = tempfile::tempdir().unwrap();
    let log_path = log_dir.path().join("server-everything.log");
    // Installs it on first use (and fails loudly when it cannot); returns once it listens.
    let server = tokio::task::spawn_blocking(move || {
        let script = provision::server_everything();
        helpers::ServerEverything::start(&script, "sse", helpers::free_port(), Some(&log_path))
    })
    .await
    .unwrap();
    let transport = SseClientTransport::connect(&server.url, &BTreeMap::new(), TIMEOUT)
        .await
        .unwrap_or_else(|error| panic!("cannot connect: {error}\n{}", server.log()));
    // The calls going through show the endpoint event was followed.
    list_and_echo(transport).await.cancel().await.unwrap();
    server.kill();
}
