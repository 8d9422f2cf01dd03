//! Running the demo server over streamable HTTP (`mcpproxy demo-server --http ADDR`), at
//! `http://ADDR/mcp`: rmcp's streamable HTTP service in session mode, with its default
//! settings (Host checked against loopback names) plus an Origin check that admits only
//! loopback origins, so a web page cannot reach it through DNS rebinding.
//!
//! Sessions are rmcp's in-memory ones, wrapped ([`DemoSessions`]) so that a tool can close
//! its own response stream mid-call and learn when the client resumed it: what
//! `test_reconnection` does to exercise SSE resumption (SEP-1699).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use futures_util::Stream;
use rmcp::model::{ClientJsonRpcMessage, RequestId, ServerJsonRpcMessage};
use rmcp::transport::streamable_http_server::session::local::{
    LocalSessionManager, LocalSessionManagerError,
};
use rmcp::transport::streamable_http_server::session::{
    RestoreOutcome, ServerSseMessage, SessionId, SessionManager,
};
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tokio::sync::broadcast;
use tokio_stream::wrappers::ReceiverStream;

use super::stdio::ignore_sigterm;
use super::{DemoError, DemoOptions, DemoServer, lock};

/// The path the MCP endpoint is served at.
pub const MCP_PATH: &str = "/mcp";

/// Browser origins allowed to call the server: pages served from this machine only.
const LOOPBACK_ORIGINS: [&str; 6] = [
    "http://localhost:*",
    "http://127.0.0.1:*",
    "http://[::1]:*",
    "https://localhost:*",
    "https://127.0.0.1:*",
    "https://[::1]:*",
];

/// How many stream resumptions a `test_reconnection` call may fall behind on before it
/// misses one (it then keeps waiting for the next).
const RESUMPTION_BACKLOG: usize = 64;

/// How an HTTP server run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpOutcome {
    /// The shutdown future resolved (in the CLI: SIGINT, or SIGTERM without
    /// `--ignore-shutdown`): the server stopped.
    Stopped,
    /// A `crash` call asked for the process to end with
    /// [`CRASH_EXIT_CODE`](super::CRASH_EXIT_CODE), at once.
    Crashed,
}

/// Serves MCP over streamable HTTP at `http://{addr}/mcp` until `shutdown` resolves or a
/// `crash` call asks for the end. Must run inside a Tokio runtime with IO and time enabled.
///
/// `on_ready` gets the endpoint's URL once the listener is bound (with the real port when
/// `addr` has port 0). With `ignore_shutdown` SIGTERM is logged and ignored; a process
/// passes [`termination_signal`] as `shutdown` to stop on SIGINT or SIGTERM.
pub async fn serve_http(
    options: DemoOptions,
    addr: SocketAddr,
    on_ready: impl FnOnce(&str),
    shutdown: impl Future<Output = ()>,
) -> Result<HttpOutcome, DemoError> {
    if options.ignore_shutdown {
        ignore_sigterm()?;
    }
    if !options.startup_delay.is_zero() {
        tokio::time::sleep(options.startup_delay).await;
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| DemoError::Listen(addr, e))?;
    let bound = listener
        .local_addr()
        .map_err(|e| DemoError::Listen(addr, e))?;

    let sessions = Arc::new(DemoSessions::default());
    let server = DemoServer::with_http_sessions(&options, Some(Arc::clone(&sessions)));
    let crash = server.clone();
    let config = StreamableHttpServerConfig::default().with_allowed_origins(LOOPBACK_ORIGINS);
    // Every session gets its own log level and subscriptions; the tools are shared.
    let service: StreamableHttpService<DemoServer, DemoSessions> =
        StreamableHttpService::new(move || Ok(server.new_session()), sessions, config);
    let app = Router::new().nest_service(MCP_PATH, service);

    on_ready(&format!("http://{bound}{MCP_PATH}"));
    tokio::select! {
        served = axum::serve(listener, app) => {
            served.map_err(|e| DemoError::Listen(bound, e))?;
            Ok(HttpOutcome::Stopped)
        }
        () = crash.crash_requested() => Ok(HttpOutcome::Crashed),
        () = shutdown => Ok(HttpOutcome::Stopped),
    }
}

/// Resolves on SIGINT, or on SIGTERM unless `ignore_sigterm`. Installing it changes what
/// the signals do for the whole process, so only a process's `main` side should call it.
pub async fn termination_signal(ignore_sigterm: bool) {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            // No handler means no way to be interrupted: wait for the other ends.
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminations) if !ignore_sigterm => {
                terminations.recv().await;
            }
            _ => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = {
        let _ = ignore_sigterm;
        std::future::pending::<()>()
    };
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}

/// rmcp's in-memory sessions, plus what `test_reconnection` needs: which SSE stream carries
/// each request's answer, and a signal whenever a client resumes a stream.
pub(crate) struct DemoSessions {
    local: LocalSessionManager,
    /// (session, JSON-RPC request id) → the id of the stream that will carry the answer,
    /// while that stream is open.
    response_streams: Arc<Mutex<HashMap<(SessionId, RequestId), u64>>>,
    /// The session of each stream resumed with `Last-Event-ID`.
    resumptions: broadcast::Sender<SessionId>,
}

impl Default for DemoSessions {
    fn default() -> Self {
        Self {
            local: LocalSessionManager::default(),
            response_streams: Arc::default(),
            resumptions: broadcast::Sender::new(RESUMPTION_BACKLOG),
        }
    }
}

impl DemoSessions {
    /// Ends the SSE stream that carries the answer to `request` in `session`, after an event
    /// that asks the client to come back in `retry`. The call goes on; what it sends next
    /// waits in the session for the client to resume the stream (GET with `Last-Event-ID`).
    pub(crate) async fn close_response_stream(
        &self,
        session: &SessionId,
        request: &RequestId,
        retry: Duration,
    ) -> Result<(), String> {
        let stream = lock(&self.response_streams)
            .get(&(session.clone(), request.clone()))
            .copied()
            .ok_or("the request has no open response stream")?;
        let handle = self
            .local
            .sessions
            .read()
            .await
            .get(session)
            .cloned()
            .ok_or("the session is gone")?;
        handle
            .close_sse_stream(stream, Some(retry))
            .await
            .map_err(|e| e.to_string())
    }

    /// The sessions of the streams resumed from now on.
    pub(crate) fn resumptions(&self) -> broadcast::Receiver<SessionId> {
        self.resumptions.subscribe()
    }
}

impl SessionManager for DemoSessions {
    type Error = LocalSessionManagerError;
    type Transport = <LocalSessionManager as SessionManager>::Transport;

    async fn create_session(&self) -> Result<(SessionId, Self::Transport), Self::Error> {
        self.local.create_session().await
    }

    async fn initialize_session(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<ServerJsonRpcMessage, Self::Error> {
        self.local.initialize_session(id, message).await
    }

    async fn has_session(&self, id: &SessionId) -> Result<bool, Self::Error> {
        self.local.has_session(id).await
    }

    async fn close_session(&self, id: &SessionId) -> Result<(), Self::Error> {
        self.local.close_session(id).await
    }

    /// What [`LocalSessionManager`] does, remembering which stream answers which request.
    async fn create_stream(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        let handle = self
            .local
            .sessions
            .read()
            .await
            .get(id)
            .cloned()
            .ok_or_else(|| LocalSessionManagerError::SessionNotFound(id.clone()))?;
        let receiver = handle.establish_request_wise_channel().await?;
        let stream = receiver.http_request_id;
        let registration = match (&message, stream) {
            (ClientJsonRpcMessage::Request(request), Some(stream)) => {
                let key = (id.clone(), request.id.clone());
                lock(&self.response_streams).insert(key.clone(), stream);
                Some(StreamRegistration {
                    streams: Arc::clone(&self.response_streams),
                    key,
                })
            }
            _ => None,
        };
        handle.push_message(message, stream).await?;
        Ok(ResponseStream {
            messages: ReceiverStream::new(receiver.inner),
            _registration: registration,
        })
    }

    async fn accept_message(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<(), Self::Error> {
        self.local.accept_message(id, message).await
    }

    async fn create_standalone_stream(
        &self,
        id: &SessionId,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        self.local.create_standalone_stream(id).await
    }

    /// What [`LocalSessionManager`] does, then tells the waiting tools.
    async fn resume(
        &self,
        id: &SessionId,
        last_event_id: String,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        let stream = self.local.resume(id, last_event_id).await?;
        // No receiver means no tool is waiting, which is fine.
        let _ = self.resumptions.send(id.clone());
        Ok(stream)
    }

    async fn restore_session(
        &self,
        id: SessionId,
    ) -> Result<RestoreOutcome<Self::Transport>, Self::Error> {
        self.local.restore_session(id).await
    }
}

/// A request's SSE stream; while it is open, the request's answer stream is on record.
struct ResponseStream {
    messages: ReceiverStream<ServerSseMessage>,
    _registration: Option<StreamRegistration>,
}

impl Stream for ResponseStream {
    type Item = ServerSseMessage;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.messages).poll_next(cx)
    }
}

/// Takes a stream off the record when the stream is dropped (answered, closed, or the
/// client went away).
struct StreamRegistration {
    streams: Arc<Mutex<HashMap<(SessionId, RequestId), u64>>>,
    key: (SessionId, RequestId),
}

impl Drop for StreamRegistration {
    fn drop(&mut self) {
        lock(&self.streams).remove(&self.key);
    }
}
