//! HTTP/1.1 to the daemon's MCP endpoint over its control socket. Every exchange gets a
//! connection of its own: a unix connect costs microseconds, and closing the connection is
//! how a stream is given up (and, for a 2026-07-28 request, how it is cancelled).

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::header::{self, HeaderName, HeaderValue};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio_util::task::AbortOnDropHandle;

use super::message::MCP_SESSION_ID;
use crate::client::SseParser;
use crate::protocol::SseMessage;

/// How long connecting may take before the daemon counts as not answering.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("nothing answers on {}", .0.display())]
    NotRunning(PathBuf),
    #[error("cannot connect to {}: {source}", socket.display())]
    Connect {
        socket: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the connection to the daemon failed: {0}")]
    Connection(#[from] hyper::Error),
    #[error("cannot build the HTTP request: {0}")]
    Request(#[from] hyper::http::Error),
}

/// What the daemon answered to one request.
pub struct Response {
    /// `Mcp-Session-Id` of the answer (the daemon sends one on a session's `initialize`).
    pub session_id: Option<String>,
    pub reply: Reply,
}

pub enum Reply {
    /// 202, 204, or an empty 200: taken, nothing to pass back.
    Accepted,
    /// One JSON message.
    Json(Bytes),
    /// Server-sent events, each carrying a JSON message.
    Stream(EventStream),
    /// Any other status, with its body.
    Refused { status: StatusCode, body: Bytes },
}

/// The daemon's MCP endpoint: the control socket and the path on it.
#[derive(Debug, Clone)]
pub struct SocketHttp {
    socket: PathBuf,
    path: String,
}

impl SocketHttp {
    pub fn new(socket: &Path, path: String) -> Self {
        Self {
            socket: socket.to_path_buf(),
            path,
        }
    }

    pub fn socket(&self) -> &Path {
        &self.socket
    }

    pub async fn post(
        &self,
        body: Bytes,
        headers: &[(HeaderName, HeaderValue)],
    ) -> Result<Response, HttpError> {
        self.send(Method::POST, headers, body).await
    }

    /// Opens the session's stream of server-initiated messages.
    pub async fn get(&self, headers: &[(HeaderName, HeaderValue)]) -> Result<Response, HttpError> {
        self.send(Method::GET, headers, Bytes::new()).await
    }

    /// Ends a session.
    pub async fn delete(
        &self,
        headers: &[(HeaderName, HeaderValue)],
    ) -> Result<StatusCode, HttpError> {
        let response = self.send(Method::DELETE, headers, Bytes::new()).await?;
        Ok(match response.reply {
            Reply::Refused { status, .. } => status,
            _ => StatusCode::OK,
        })
    }

    async fn send(
        &self,
        method: Method,
        headers: &[(HeaderName, HeaderValue)],
        body: Bytes,
    ) -> Result<Response, HttpError> {
        let stream = self.connect().await?;
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        // Dropping the guard closes the connection, whatever state the exchange is in.
        let connection = AbortOnDropHandle::new(tokio::spawn(async move {
            let _ = connection.await;
        }));
        let accept = if method == Method::GET {
            "text/event-stream"
        } else {
            "application/json, text/event-stream"
        };
        let mut request = Request::builder()
            .method(method.clone())
            .uri(&self.path)
            // The endpoint refuses Host values that are not this machine (DNS rebinding).
            .header(header::HOST, "localhost")
            .header(header::ACCEPT, accept);
        if method == Method::POST {
            request = request.header(header::CONTENT_TYPE, "application/json");
        }
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let response = sender.send_request(request.body(Full::new(body))?).await?;
        let status = response.status();
        let session_id = response
            .headers()
            .get(MCP_SESSION_ID)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let is_event_stream = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().starts_with("text/event-stream"));
        let body = response.into_body();
        let reply = if matches!(status, StatusCode::ACCEPTED | StatusCode::NO_CONTENT) {
            Reply::Accepted
        } else if status.is_success() && is_event_stream {
            Reply::Stream(EventStream {
                body,
                parser: SseParser::default(),
                ready: VecDeque::new(),
                _connection: connection,
            })
        } else {
            let bytes = body.collect().await?.to_bytes();
            if !status.is_success() {
                Reply::Refused {
                    status,
                    body: bytes,
                }
            } else if bytes.trim_ascii().is_empty() {
                Reply::Accepted
            } else {
                Reply::Json(bytes)
            }
        };
        Ok(Response { session_id, reply })
    }

    async fn connect(&self) -> Result<tokio::net::UnixStream, HttpError> {
        let connect = tokio::net::UnixStream::connect(&self.socket);
        match tokio::time::timeout(CONNECT_TIMEOUT, connect).await {
            Ok(Ok(stream)) => Ok(stream),
            Ok(Err(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
                ) =>
            {
                Err(HttpError::NotRunning(self.socket.clone()))
            }
            Ok(Err(source)) => Err(HttpError::Connect {
                socket: self.socket.clone(),
                source,
            }),
            Err(_) => Err(HttpError::Connect {
                socket: self.socket.clone(),
                source: std::io::ErrorKind::TimedOut.into(),
            }),
        }
    }
}

/// An SSE response: yields the data of each event that carries any (priming events and
/// keep-alive comments carry none).
pub struct EventStream {
    body: Incoming,
    parser: SseParser,
    ready: VecDeque<SseMessage>,
    _connection: AbortOnDropHandle<()>,
}

impl EventStream {
    /// The next event's data; `None` when the stream has ended.
    pub async fn next(&mut self) -> Option<Result<String, hyper::Error>> {
        loop {
            while let Some(message) = self.ready.pop_front() {
                if !message.data.trim().is_empty() {
                    return Some(Ok(message.data));
                }
            }
            match self.body.frame().await? {
                Ok(frame) => {
                    if let Some(chunk) = frame.data_ref() {
                        self.ready.extend(self.parser.feed(chunk));
                    }
                }
                Err(e) => return Some(Err(e)),
            }
        }
    }
}
