//! HTTP/1.1 to the daemon's MCP endpoint over its control socket. Every exchange gets a
//! connection of its own: a unix connect costs microseconds, and closing the connection is
//! how a stream is given up (and, for a 2026-07-28 request, how it is cancelled).

use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures_util::StreamExt as _;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::header::{self, HeaderName, HeaderValue};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio_util::task::AbortOnDropHandle;

use super::message::MCP_SESSION_ID;
use crate::client::{ClientError, connect_socket};
use crate::sse::{SseMessages, SseReadError, sse_messages};

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// Connecting to the socket failed, as the control client's connect reports it:
    /// `NotRunning` (nothing listens) or `Connect`.
    #[error(transparent)]
    Socket(ClientError),
    #[error("the connection to the daemon failed: {0}")]
    Connection(#[from] hyper::Error),
    #[error("cannot build the HTTP request: {0}")]
    Request(#[from] hyper::http::Error),
}

impl HttpError {
    /// Nothing listens on the socket any more: the daemon has gone away.
    pub fn daemon_gone(&self) -> bool {
        matches!(self, Self::Socket(ClientError::NotRunning { .. }))
    }
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
        let stream = connect_socket(&self.socket)
            .await
            .map_err(HttpError::Socket)?;
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
                messages: sse_messages(body),
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
}

/// An SSE response: yields the data of each event that carries any (priming events and
/// keep-alive comments carry none).
pub struct EventStream {
    messages: SseMessages<Incoming>,
    _connection: AbortOnDropHandle<()>,
}

impl EventStream {
    /// The next event's data; `None` when the stream has ended.
    pub async fn next(&mut self) -> Option<Result<String, SseReadError<hyper::Error>>> {
        loop {
            match self.messages.next().await? {
                Ok(message) if message.data.trim().is_empty() => {}
                Ok(message) => return Some(Ok(message.data)),
                Err(e) => return Some(Err(e)),
            }
        }
    }
}
