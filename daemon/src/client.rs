//! A typed client for the control API, over the control socket (or TCP with the API key),
//! and [`attach`]: finding or starting the daemon and checking that both speak the same
//! contract. The CLI, the stdio bridge, the TUI and the tray all reach the daemon this way.

pub mod attach;
pub mod browser;
pub mod handoff;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt as _};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::protocol::{
    API_PREFIX, Ack, Activity, ActivityList, ActivitySummary, AddServer, ApiError, AuthList,
    ErrorBody, Event, GoodbyeReason, HeldList, Inspection, LogTail, Quarantine, ReviewDecided,
    ReviewDecision, ServerAuth, ServerList, ServerView, ShutdownRequest, Status, ToolCall,
    ToolCallResult, ToolList, ToolSearch, ToolSwitch, ToolSwitches,
};
use crate::sse::{SseReadError, sse_messages};

/// The per-server actions of the control API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerAction {
    Enable,
    Disable,
    Restart,
    Approve,
}

impl ServerAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enable => "enable",
            Self::Disable => "disable",
            Self::Restart => "restart",
            Self::Approve => "approve",
        }
    }
}

/// The daemon's events as they arrive; see [`Client::events`].
pub type EventStream = Pin<Box<dyn Stream<Item = Result<Event, ClientError>> + Send + 'static>>;

/// How long connecting may take before the daemon counts as not answering.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("no mcpproxy daemon is running (nothing answers on {})", socket.display())]
    NotRunning { socket: PathBuf },
    #[error("cannot reach the daemon at {endpoint}: {source}")]
    Connect {
        endpoint: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{error}")]
    Api { status: StatusCode, error: ApiError },
    #[error("the daemon's connection failed: {0}")]
    Http(#[from] hyper::Error),
    #[error("unexpected answer from the daemon ({status}): {detail}")]
    Decode { status: StatusCode, detail: String },
    #[error("cannot send the request: {0}")]
    Encode(String),
}

impl ClientError {
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::NotRunning { .. } => Some(
                "start one with `mcpproxy daemon start` (or `mcpproxy serve` in the foreground)"
                    .to_owned(),
            ),
            Self::Api { error, .. } => error.hint.clone(),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
enum Endpoint {
    Socket(PathBuf),
    Tcp { addr: SocketAddr, api_key: String },
}

/// A handle to one daemon. Cheap to clone; each request opens its own connection.
#[derive(Debug, Clone)]
pub struct Client {
    endpoint: Endpoint,
}

/// An open connection to the daemon, through either door.
enum DaemonStream {
    Unix(tokio::net::UnixStream),
    Tcp(tokio::net::TcpStream),
}

impl Client {
    /// Talks to the daemon through its control socket.
    pub fn socket(path: impl AsRef<Path>) -> Self {
        Self {
            endpoint: Endpoint::Socket(path.as_ref().to_path_buf()),
        }
    }

    /// Talks to the daemon over TCP, presenting the API key.
    pub fn tcp(addr: SocketAddr, api_key: impl Into<String>) -> Self {
        Self {
            endpoint: Endpoint::Tcp {
                addr,
                api_key: api_key.into(),
            },
        }
    }

    pub async fn status(&self) -> Result<Status, ClientError> {
        self.get("/status").await
    }

    /// Status including the TCP API key (honoured over the socket only).
    pub async fn status_with_key(&self) -> Result<Status, ClientError> {
        self.get("/status?show_key=true").await
    }

    pub async fn servers(&self) -> Result<ServerList, ClientError> {
        self.get("/servers").await
    }

    pub async fn add_server(&self, request: &AddServer) -> Result<ServerView, ClientError> {
        self.post("/servers", request).await
    }

    pub async fn remove_server(&self, name: &str) -> Result<Ack, ClientError> {
        self.delete(&format!("/servers/{name}")).await
    }

    /// `POST /servers/NAME/ACTION` for enable, disable, restart and approve.
    pub async fn server_action(
        &self,
        name: &str,
        action: ServerAction,
    ) -> Result<ServerView, ClientError> {
        self.post(&format!("/servers/{name}/{}", action.as_str()), &())
            .await
    }

    /// `POST /servers/NAME/tools/enable|disable`: switches tools of a server on or off.
    pub async fn switch_tools(
        &self,
        name: &str,
        request: &ToolSwitch,
        enabled: bool,
    ) -> Result<ToolSwitches, ClientError> {
        let action = if enabled { "enable" } else { "disable" };
        self.post(&format!("/servers/{name}/tools/{action}"), request)
            .await
    }

    pub async fn server_logs(&self, name: &str, tail: usize) -> Result<LogTail, ClientError> {
        self.get(&format!("/servers/{name}/logs?tail={tail}")).await
    }

    /// The last lines of the daemon's own log.
    pub async fn daemon_logs(&self, tail: usize) -> Result<LogTail, ClientError> {
        self.get(&format!("/logs?tail={tail}")).await
    }

    /// Items the catalog gate holds back from agents.
    pub async fn held(&self) -> Result<HeldList, ClientError> {
        self.get("/held").await
    }

    /// `GET /activity`: finished calls, newest first; `filters` are the query's pairs
    /// (`server`, `tool`, `outcome`, `client`, `since`, `until`, `limit`, `before`).
    pub async fn activity(&self, filters: &[(&str, String)]) -> Result<ActivityList, ClientError> {
        self.get(&with_query("/activity", filters)).await
    }

    /// `GET /activity/{id}`: one finished call with its previews.
    pub async fn activity_call(&self, id: u64) -> Result<Activity, ClientError> {
        self.get(&format!("/activity/{id}")).await
    }

    /// `GET /activity/summary`: counts and durations by `by` (`server`, `tool`, `outcome`),
    /// over the calls the other pairs of `filters` keep.
    pub async fn activity_summary(
        &self,
        filters: &[(&str, String)],
    ) -> Result<ActivitySummary, ClientError> {
        self.get(&with_query("/activity/summary", filters)).await
    }

    /// `GET /quarantine`: pending servers and held items with their diffs and findings.
    pub async fn quarantine(&self) -> Result<Quarantine, ClientError> {
        self.get("/quarantine").await
    }

    /// `POST /servers/NAME/approve` with items: pins their content now and serves them
    /// (with `hashes`, only if it is still the content the person was shown).
    pub async fn approve_items(
        &self,
        name: &str,
        decision: &ReviewDecision,
    ) -> Result<ReviewDecided, ClientError> {
        self.post(&format!("/servers/{name}/approve"), decision)
            .await
    }

    /// `POST /servers/NAME/reject` with items: keeps them off until they change.
    pub async fn reject_items(
        &self,
        name: &str,
        decision: &ReviewDecision,
    ) -> Result<ReviewDecided, ClientError> {
        self.post(&format!("/servers/{name}/reject"), decision)
            .await
    }

    /// `POST /servers/NAME/reject` without items: removes a server waiting for approval.
    pub async fn reject_server(&self, name: &str) -> Result<Ack, ClientError> {
        self.post(&format!("/servers/{name}/reject"), &()).await
    }

    /// `GET /servers/NAME/inspect`: its items with review status and findings; `run` lets
    /// a quarantined stdio server be started for it.
    pub async fn inspect(&self, name: &str, run: bool) -> Result<Inspection, ClientError> {
        self.get(&format!("/servers/{name}/inspect?run={run}"))
            .await
    }

    /// Asks the daemon to stop; `reason` is what its event streams tell attached clients.
    pub async fn shutdown(&self, reason: GoodbyeReason) -> Result<Ack, ClientError> {
        self.post("/shutdown", &ShutdownRequest { reason }).await
    }

    /// `GET /auth`: the servers that log in with OAuth and where each stands.
    pub async fn auth(&self) -> Result<AuthList, ClientError> {
        self.get("/auth").await
    }

    /// `POST /servers/NAME/login`: starts a login; the answer carries its URL.
    pub async fn login(&self, name: &str) -> Result<ServerAuth, ClientError> {
        self.post(&format!("/servers/{name}/login"), &()).await
    }

    /// `POST /servers/NAME/logout`: revokes and forgets the server's tokens.
    pub async fn logout(&self, name: &str) -> Result<ServerAuth, ClientError> {
        self.post(&format!("/servers/{name}/logout"), &()).await
    }

    pub async fn call_tool(&self, call: &ToolCall) -> Result<ToolCallResult, ClientError> {
        self.post("/tools/call", call).await
    }

    /// Tools of every server, or of one.
    pub async fn tools(&self, server: Option<&str>) -> Result<ToolList, ClientError> {
        match server {
            Some(server) => self.get(&format!("/tools?server={server}")).await,
            None => self.get("/tools").await,
        }
    }

    /// `GET /tools/search`: the callable tools that best match `query`, best first.
    pub async fn search_tools(&self, query: &str, limit: usize) -> Result<ToolSearch, ClientError> {
        self.get(&format!(
            "/tools/search?q={}&limit={limit}",
            query_value(query)
        ))
        .await
    }

    /// `GET /api/v1{path}`.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        self.call(Method::GET, path, None::<&()>).await
    }

    /// `POST /api/v1{path}` with a JSON body.
    pub async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        self.call(Method::POST, path, Some(body)).await
    }

    /// `DELETE /api/v1{path}`.
    pub async fn delete<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        self.call(Method::DELETE, path, None::<&()>).await
    }

    async fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, ClientError> {
        let body = match body {
            Some(body) => Bytes::from(
                serde_json::to_vec(body).map_err(|e| ClientError::Encode(e.to_string()))?,
            ),
            None => Bytes::new(),
        };
        let response = self.send(method, path, body).await?;
        let status = response.status();
        let bytes = response.into_body().collect().await?.to_bytes();
        if !status.is_success() {
            return Err(match serde_json::from_slice::<ErrorBody>(&bytes) {
                Ok(body) => ClientError::Api {
                    status,
                    error: body.error,
                },
                Err(_) => ClientError::Decode {
                    status,
                    detail: String::from_utf8_lossy(&bytes).into_owned(),
                },
            });
        }
        serde_json::from_slice(&bytes).map_err(|e| ClientError::Decode {
            status,
            detail: e.to_string(),
        })
    }

    /// Subscribes to `GET /api/v1/events`: a `snapshot` first, then deltas, and `goodbye`
    /// last when the daemon goes away.
    pub async fn events(&self) -> Result<EventStream, ClientError> {
        self.events_with_heartbeat(None).await
    }

    /// [`Self::events`] with the heartbeat interval chosen by the client.
    pub async fn events_with_heartbeat(
        &self,
        heartbeat: Option<Duration>,
    ) -> Result<EventStream, ClientError> {
        let path = match heartbeat {
            Some(every) => format!("/events?heartbeat_s={}", every.as_secs().max(1)),
            None => "/events".to_owned(),
        };
        let response = self.send(Method::GET, &path, Bytes::new()).await?;
        let status = response.status();
        if !status.is_success() {
            let bytes = response.into_body().collect().await?.to_bytes();
            return Err(ClientError::Decode {
                status,
                detail: String::from_utf8_lossy(&bytes).into_owned(),
            });
        }
        Ok(Box::pin(
            // Kinds a newer daemon added are skipped: this client has nothing to draw them with.
            sse_messages(response.into_body()).filter_map(move |message| {
                std::future::ready(match message {
                    Ok(message) => Event::from_sse(&message)
                        .map_err(|e| ClientError::Decode {
                            status,
                            detail: format!("event {}: {e}", message.event),
                        })
                        .transpose(),
                    Err(SseReadError::Body(e)) => Some(Err(ClientError::Http(e))),
                    // Not reached: the daemon's own stream is read without a limit.
                    Err(SseReadError::TooLarge(e)) => Some(Err(ClientError::Decode {
                        status,
                        detail: e.to_string(),
                    })),
                })
            }),
        ))
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Bytes,
    ) -> Result<Response<Incoming>, ClientError> {
        let stream = self.connect().await?;
        let mut request = Request::builder()
            .method(method)
            .uri(format!("{API_PREFIX}{path}"))
            .header(hyper::header::HOST, "localhost")
            .header(hyper::header::ACCEPT, "application/json");
        if !body.is_empty() {
            request = request.header(hyper::header::CONTENT_TYPE, "application/json");
        }
        if let Endpoint::Tcp { api_key, .. } = &self.endpoint {
            request = request.header("x-api-key", api_key);
        }
        let request = request
            .body(Full::new(body))
            .map_err(|e| ClientError::Encode(e.to_string()))?;
        match stream {
            DaemonStream::Unix(s) => send_on(s, request).await,
            DaemonStream::Tcp(s) => send_on(s, request).await,
        }
    }

    async fn connect(&self) -> Result<DaemonStream, ClientError> {
        match &self.endpoint {
            Endpoint::Socket(path) => connect_socket(path).await.map(DaemonStream::Unix),
            Endpoint::Tcp { addr, .. } => {
                let connect = tokio::net::TcpStream::connect(addr);
                match tokio::time::timeout(CONNECT_TIMEOUT, connect).await {
                    Ok(Ok(stream)) => {
                        let _ = stream.set_nodelay(true);
                        Ok(DaemonStream::Tcp(stream))
                    }
                    Ok(Err(source)) => Err(ClientError::Connect {
                        endpoint: addr.to_string(),
                        source,
                    }),
                    Err(_) => Err(ClientError::Connect {
                        endpoint: addr.to_string(),
                        source: std::io::ErrorKind::TimedOut.into(),
                    }),
                }
            }
        }
    }
}

/// Connects to the daemon's control socket, giving up after [`CONNECT_TIMEOUT`]. Nothing
/// listening (no socket file, or one a daemon that died left behind) is
/// [`ClientError::NotRunning`]; any other failure is [`ClientError::Connect`]. The stdio
/// bridge connects through this too.
pub async fn connect_socket(path: &Path) -> Result<tokio::net::UnixStream, ClientError> {
    let connect = tokio::net::UnixStream::connect(path);
    match tokio::time::timeout(CONNECT_TIMEOUT, connect).await {
        Ok(Ok(stream)) => Ok(stream),
        Ok(Err(e))
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
            ) =>
        {
            Err(ClientError::NotRunning {
                socket: path.to_path_buf(),
            })
        }
        Ok(Err(source)) => Err(ClientError::Connect {
            endpoint: path.display().to_string(),
            source,
        }),
        Err(_) => Err(ClientError::Connect {
            endpoint: path.display().to_string(),
            source: std::io::ErrorKind::TimedOut.into(),
        }),
    }
}

async fn send_on<S>(
    stream: S,
    request: Request<Full<Bytes>>,
) -> Result<Response<Incoming>, ClientError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    // The connection task ends when the response body has been read or dropped.
    tokio::spawn(connection);
    Ok(sender.send_request(request).await?)
}

/// `path` with `pairs` as its query string.
fn with_query(path: &str, pairs: &[(&str, String)]) -> String {
    if pairs.is_empty() {
        return path.to_owned();
    }
    let query: Vec<String> = pairs
        .iter()
        .map(|(key, value)| format!("{key}={}", query_value(value)))
        .collect();
    format!("{path}?{}", query.join("&"))
}

/// A query-string value, percent-encoded (all but RFC 3986's unreserved characters).
fn query_value(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
