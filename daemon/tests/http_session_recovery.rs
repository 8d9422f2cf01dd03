//! Session recovery over streamable HTTP: after an upstream restarts and forgets the
//! client's session, the next call re-initialises and succeeds at once, whether the server
//! rejects the stale session with 404 (the spec; rmcp's own server) or with 400 and an
//! id-less JSON-RPC error (`server-everything`).

#![cfg(feature = "server")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

// The client is private to the daemon; this compiles the very file the daemon uses.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use mcpproxy_daemon::upstream::http_client;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolRequestParams, ClientJsonRpcMessage, ErrorData, InitializeRequestParams,
    InitializeResult, ProtocolVersion, ServerCapabilities, ServerConfig, ServerJsonRpcMessage,
};
use rmcp::service::{ClientLifecycleMode, ClientServiceExt as _, RequestContext, RunningService};
use rmcp::transport::common::http_header::HEADER_SESSION_ID;
use rmcp::transport::streamable_http_client::{
    StreamableHttpClient, StreamableHttpClientTransportConfig, StreamableHttpError,
    StreamableHttpPostResponse, StreamableHttpResponseLimits,
};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::{
    StreamableHttpClientTransport, StreamableHttpServerConfig, StreamableHttpService,
};
use rmcp::{RoleClient, RoleServer, ServerHandler, schemars, tool, tool_handler, tool_router};
use serde_json::json;

use self::helpers::{ServerEverything, free_port, wait_until_blocking};
use self::http_client::UpstreamHttpClient;

#[path = "../../tests/shared/helpers.rs"]
mod helpers;
#[path = "../../tests/shared/provision.rs"]
mod provision;

/// Bound on every echo call, far above what a working recovery takes.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// What "right away" means for the first call after a restart.
const PROMPT_RECOVERY: Duration = Duration::from_secs(3);
/// How long a server may take to start listening.
const STARTUP_DEADLINE: Duration = Duration::from_secs(30);

type Client = RunningService<RoleClient, ()>;

/// A client built the way `connect_http` builds one, but without keeping idle connections:
/// a request on a kept connection that the stopped server has just closed fails before any
/// server sees it (the daemon sends such a call once more, `upstream/call.rs`), which is not
/// what these tests are about.
async fn connect(url: &str, lifecycle: ClientLifecycleMode) -> Client {
    let reqwest_client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let transport = StreamableHttpClientTransport::with_client(
        UpstreamHttpClient::new(reqwest_client, None),
        StreamableHttpClientTransportConfig::with_uri(url.to_owned()),
    );
    ().serve_with_lifecycle(transport, lifecycle).await.unwrap()
}

/// The daemon's lifecycle: `server/discover` first, `initialize` for older servers.
fn daemon_lifecycle() -> ClientLifecycleMode {
    ClientLifecycleMode::Auto {
        preferred_versions: vec![ProtocolVersion::V_2026_07_28],
        legacy_version: Some(ProtocolVersion::V_2025_11_25),
    }
}

/// Calls `echo` with `arguments`; returns its text and how long the call took.
async fn call_echo(client: &Client, arguments: serde_json::Value) -> (String, Duration) {
    let started = Instant::now();
    let result = tokio::time::timeout(
        CALL_TIMEOUT,
        client.call_tool(
            CallToolRequestParams::new("echo")
                .with_arguments(arguments.as_object().unwrap().clone()),
        ),
    )
    .await
    .unwrap_or_else(|_| panic!("echo did not answer within {CALL_TIMEOUT:?}"))
    .unwrap();
    let text = result.content[0].as_text().unwrap().text.clone();
    (text, started.elapsed())
}

/// Runs blocking `work` (a shared wait) on a blocking thread, so that this runtime keeps
/// serving the client meanwhile; its panic is the caller's.
async fn off_runtime<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::task::spawn_blocking(work).await {
        Ok(value) => value,
        Err(error) => std::panic::resume_unwind(error.into_panic()),
    }
}

// ---------------------------------------------------------------------------------------
// A spec-compliant upstream: rmcp's own server, which answers an unknown session with 404.

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
struct EchoArguments {
    /// Text to echo.
    text: String,
}

#[derive(Clone)]
struct EchoServer {
    tool_router: ToolRouter<Self>,
    /// Sessions begun, across every instance of the server.
    initializations: Arc<AtomicUsize>,
}

#[tool_router]
impl EchoServer {
    fn new(initializations: Arc<AtomicUsize>) -> Self {
        Self {
            tool_router: Self::tool_router(),
            initializations,
        }
    }

    #[tool(description = "Echo text back")]
    fn echo(&self, Parameters(EchoArguments { text }): Parameters<EchoArguments>) -> String {
        format!("echo: {text}")
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for EchoServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
    }

    async fn initialize(
        &self,
        request: InitializeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<InitializeResult, ErrorData> {
        self.initializations.fetch_add(1, Ordering::SeqCst);
        // What the default `initialize` does.
        context.peer.set_peer_info(request.clone());
        self.negotiate_initialize(&request)
    }
}

/// One HTTP exchange as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Exchange {
    method: Method,
    carried_session: bool,
    status: StatusCode,
}

/// One run of the echo server, on its own thread and runtime, so that stopping it drops
/// every connection and session at once, as a process exit would.
struct EchoServerRun {
    addr: SocketAddr,
    exchanges: Arc<Mutex<Vec<Exchange>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Middleware: notes each exchange for the test to inspect.
async fn record_exchange(
    State(exchanges): State<Arc<Mutex<Vec<Exchange>>>>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().clone();
    let carried_session = request.headers().contains_key(HEADER_SESSION_ID);
    let response = next.run(request).await;
    exchanges.lock().unwrap().push(Exchange {
        method,
        carried_session,
        status: response.status(),
    });
    response
}

impl EchoServerRun {
    /// Serves on `port` (0: any), with a fresh session manager.
    async fn start(port: u16, initializations: Arc<AtomicUsize>) -> Self {
        // The previous run's socket may take a moment to be released.
        let listener = off_runtime(move || {
            wait_until_blocking(
                STARTUP_DEADLINE,
                format!("127.0.0.1:{port} to be free to bind"),
                || std::net::TcpListener::bind(("127.0.0.1", port)).ok(),
            )
        })
        .await;
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let exchanges = Arc::new(Mutex::new(Vec::new()));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn({
            let exchanges = Arc::clone(&exchanges);
            move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(async move {
                    let service: StreamableHttpService<EchoServer, LocalSessionManager> =
                        StreamableHttpService::new(
                            move || Ok(EchoServer::new(Arc::clone(&initializations))),
                            Arc::default(),
                            StreamableHttpServerConfig::default(),
                        );
                    let app = Router::new()
                        .nest_service("/mcp", service)
                        .layer(middleware::from_fn_with_state(exchanges, record_exchange));
                    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                    tokio::spawn(async move { axum::serve(listener, app).await });
                    let _ = stopped.await;
                });
                // Dropping the runtime drops the listener, every connection and every
                // session task.
                drop(runtime);
            }
        });
        Self {
            addr,
            exchanges,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    fn url(&self) -> String {
        format!("http://{}/mcp", self.addr)
    }

    fn exchanges(&self) -> Vec<Exchange> {
        self.exchanges.lock().unwrap().clone()
    }

    /// Stops the server and waits until its sockets are closed.
    async fn stop(mut self) {
        drop(self.stop.take());
        let thread = self.thread.take().unwrap();
        tokio::task::spawn_blocking(move || thread.join())
            .await
            .unwrap()
            .unwrap();
    }
}

impl Drop for EchoServerRun {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[tokio::test]
async fn restarted_server_answering_404_gets_a_new_session() {
    let initializations = Arc::new(AtomicUsize::new(0));
    let first_run = EchoServerRun::start(0, Arc::clone(&initializations)).await;
    let url = first_run.url();
    // In `Auto` mode rmcp negotiates 2026-07-28 with its own server, which has no sessions;
    // `initialize` keeps this test on the 2025-11-25 session path it is about.
    let client = connect(&url, ClientLifecycleMode::Initialize).await;
    let (text, _) = call_echo(&client, json!({"text": "before"})).await;
    assert_eq!(text, "echo: before");
    assert_eq!(initializations.load(Ordering::SeqCst), 1);
    assert!(
        first_run
            .exchanges()
            .iter()
            .any(|exchange| exchange.method == Method::POST && exchange.carried_session),
        "the client never used a session: {:?}",
        first_run.exchanges()
    );

    let port = first_run.addr.port();
    first_run.stop().await;
    let second_run = EchoServerRun::start(port, Arc::clone(&initializations)).await;

    let (text, elapsed) = call_echo(&client, json!({"text": "after"})).await;
    assert_eq!(text, "echo: after");
    assert!(elapsed < PROMPT_RECOVERY, "recovery took {elapsed:?}");
    assert_eq!(
        initializations.load(Ordering::SeqCst),
        2,
        "expected one session per server run"
    );
    let exchanges = second_run.exchanges();
    assert!(
        exchanges.contains(&Exchange {
            method: Method::POST,
            carried_session: true,
            status: StatusCode::NOT_FOUND,
        }),
        "the restarted server never rejected the old session: {exchanges:?}"
    );

    client.cancel().await.unwrap();
    second_run.stop().await;
}

// ---------------------------------------------------------------------------------------
// A server that answers an unknown session with 400 and an id-less error: server-everything.

/// `server-everything streamableHttp` on `port`, its output in `log_path`; returns once the
/// port accepts connections (installing it on first use, and failing loudly when it cannot).
async fn start_everything(port: u16, log_path: std::path::PathBuf) -> ServerEverything {
    off_runtime(move || {
        let script = provision::server_everything();
        ServerEverything::start(&script, "streamableHttp", port, Some(&log_path))
    })
    .await
}

/// Sessions a run began (it logs each one).
fn sessions_initialized(run: &ServerEverything) -> usize {
    run.log().matches("Session initialized with ID").count()
}

#[tokio::test]
async fn restarted_server_everything_answering_400_gets_a_new_session() {
    let port = free_port();
    let log_dir = tempfile::tempdir().unwrap();
    let first_run = start_everything(port, log_dir.path().join("first.log")).await;
    let client = connect(&first_run.url, daemon_lifecycle()).await;
    let (text, _) = call_echo(&client, json!({"message": "before"})).await;
    assert_eq!(text, "Echo: before");
    assert_eq!(sessions_initialized(&first_run), 1, "{}", first_run.log());

    first_run.kill();
    let second_run = start_everything(port, log_dir.path().join("second.log")).await;

    let (text, elapsed) = call_echo(&client, json!({"message": "after"})).await;
    assert_eq!(text, "Echo: after");
    assert!(elapsed < PROMPT_RECOVERY, "recovery took {elapsed:?}");
    assert_eq!(sessions_initialized(&second_run), 1, "{}", second_run.log());

    client.cancel().await.unwrap();
}

// ---------------------------------------------------------------------------------------
// The rule itself, per POST method of the client.

const IDLESS_SESSION_ERROR: &str = r#"{"jsonrpc":"2.0","error":{"code":-32000,"message":"Bad Request: No valid session ID provided"}}"#;
const ERROR_WITH_ID: &str =
    r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"Invalid params"}}"#;

/// Answers POST /idless and POST /with-id with HTTP 400 and the matching error body.
async fn start_rejecting_server() -> (SocketAddr, tokio::task::JoinHandle<()>) {
    fn reject(body: &'static str) -> impl IntoResponse {
        (
            StatusCode::BAD_REQUEST,
            [(header::CONTENT_TYPE, "application/json")],
            body,
        )
    }
    let app = Router::new()
        .route("/idless", post(|| async { reject(IDLESS_SESSION_ERROR) }))
        .route("/with-id", post(|| async { reject(ERROR_WITH_ID) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (addr, task)
}

fn ping() -> ClientJsonRpcMessage {
    serde_json::from_value(json!({"jsonrpc": "2.0", "id": 1, "method": "ping"})).unwrap()
}

/// The answer to a ping POSTed to `url`, through each of the three POST methods.
async fn post_ping_every_way(
    client: &UpstreamHttpClient,
    url: &str,
    session_id: Option<&str>,
) -> Vec<Result<StreamableHttpPostResponse, StreamableHttpError<reqwest::Error>>> {
    let uri: Arc<str> = Arc::from(url);
    let session_id: Option<Arc<str>> = session_id.map(Arc::from);
    vec![
        client
            .post_message(
                uri.clone(),
                ping(),
                session_id.clone(),
                None,
                HashMap::new(),
            )
            .await,
        client
            .post_message_with_max_sse_event_size(
                uri.clone(),
                ping(),
                session_id.clone(),
                None,
                HashMap::new(),
                1024,
            )
            .await,
        client
            .post_message_with_response_limits(
                uri,
                ping(),
                session_id,
                None,
                HashMap::new(),
                StreamableHttpResponseLimits::default(),
            )
            .await,
    ]
}

#[tokio::test]
async fn only_an_idless_error_on_a_session_counts_as_an_expired_session() {
    let (addr, server) = start_rejecting_server().await;
    let client = UpstreamHttpClient::new(reqwest::Client::new(), None);
    let idless_url = format!("http://{addr}/idless");
    let with_id_url = format!("http://{addr}/with-id");

    for result in post_ping_every_way(&client, &idless_url, Some("stale")).await {
        assert!(
            matches!(result, Err(StreamableHttpError::SessionExpired)),
            "{result:?}"
        );
    }
    // Without a session there is nothing to renew: the error is passed on.
    for result in post_ping_every_way(&client, &idless_url, None).await {
        assert!(
            matches!(
                &result,
                Ok(StreamableHttpPostResponse::Json(ServerJsonRpcMessage::Error(error), _))
                    if error.id.is_none()
            ),
            "{result:?}"
        );
    }
    // An error with an id answers the request itself.
    for result in post_ping_every_way(&client, &with_id_url, Some("live")).await {
        assert!(
            matches!(
                &result,
                Ok(StreamableHttpPostResponse::Json(ServerJsonRpcMessage::Error(error), _))
                    if error.id.is_some()
            ),
            "{result:?}"
        );
    }
    server.abort();
}
