//! `mcpproxy stdio`: MCP on stdin/stdout for clients that can only launch a command, bridged
//! to the daemon's streamable HTTP endpoint (`/mcp`, `/mcp/call`, `/mcp/all` or
//! `/mcp/server/NAME`) over the control socket, which needs no API key and works with TCP
//! off.
//!
//! ## A byte-level bridge
//!
//! Each line from stdin is POSTed as it is; each JSON message the daemon sends back (a JSON
//! body, or the events of an SSE body) is written to stdout as it is, one per line. The
//! bridge does no MCP handshake of its own: the client's `initialize` (2025-11-25 and
//! earlier) or `server/discover` (2026-07-28) goes through like any other message.
//!
//! rmcp could be assembled into a bridge too (its stdio transport facing the client, its
//! streamable HTTP client over `UnixSocketHttpClient` facing the daemon, pumping typed
//! messages between them), and its client transport does derive the right headers from the
//! messages that pass through it. It is not used because both ends decode into rmcp's typed
//! model, which drops what it does not know (unknown fields of params and results, vendor
//! extensions) while DESIGN §5 asks the proxy to keep them; and because its worker is built
//! to drive a lifecycle rather than relay one: it takes the first message for the handshake
//! and the second for `notifications/initialized`, swallows whatever the daemon sends before
//! the initialize answer, and removes tools whose `x-mcp-header` annotations it finds
//! invalid from `tools/list` answers.
//!
//! ## The transport's part, done here as rmcp's client does it
//!
//! - Eras. A request naming its version in `_meta` (2026-07-28) goes out with that
//!   `MCP-Protocol-Version`, without a session, and with the SEP-2243 headers (`Mcp-Method`,
//!   `Mcp-Name`, and `Mcp-Param-*` from the `x-mcp-header` annotations of the tools the
//!   last `tools/list` answer listed, forgotten on `notifications/tools/list_changed`).
//!   Other messages get the version the `initialize` answer negotiated and the session's
//!   `Mcp-Session-Id`.
//! - Sessions. The session id comes with the answer to the client's `initialize`. Once
//!   `notifications/initialized` is through, the bridge holds the session's GET stream open
//!   for server-initiated messages. The daemon ends idle sessions (rmcp's session manager
//!   does after 5 minutes): when a POST or the GET stream finds the session gone (404), the
//!   bridge replays the client's `initialize` and a `notifications/initialized` to open a
//!   new one (`bridge/session.rs`), and sends again. The session is deleted on exit.
//! - Cancellation. A legacy `notifications/cancelled` is posted; a 2026-07-28 request is
//!   cancelled by closing its HTTP exchange, and the notification is not sent.
//! - Concurrency. Each message is an HTTP exchange of its own, so a slow call holds nothing
//!   up; only `initialize` is answered before the next line is read, since what follows
//!   needs the session it opens (failures are still watched for meanwhile).
//! - Failures. A request the daemon does not answer (refused, stream broken off) gets a
//!   JSON-RPC error answer, so the client is never left waiting, and stdout only ever
//!   carries JSON-RPC. Diagnostics go to stderr through `tracing`.
//!
//! ## Lifetime
//!
//! The bridge ends when stdin closes: every message read is passed on, and requests in
//! flight get up to a minute for their answers (`subscriptions/listen` streams, which only
//! end when cancelled, are closed at once). It fails when the daemon goes away: it follows
//! the daemon's event stream, and when that ends and the daemon no longer answers, it stops
//! with an error.

mod http;
mod message;
mod relay;
mod session;
#[cfg(test)]
mod session_tests;
mod stdio;

use self::relay::Bridge;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::OptionFuture;
use hyper::StatusCode;
use hyper::header::{HeaderName, HeaderValue};
use serde_json::Value;
use tokio::sync::{mpsc, watch};
use tokio::task::{AbortHandle, JoinSet};
use tokio_util::task::AbortOnDropHandle;

use self::http::{HttpError, Reply, Response, SocketHttp};
use self::message::{
    ClientMessage, HeaderParam, INTERNAL_ERROR, INVALID_REQUEST, MCP_SESSION_ID, PARSE_ERROR,
    ServerPeek, error_answer, id_key, is_stateless, listed_header_params, one_line,
};
use self::session::Session;
use crate::protocol::ErrorBody;

/// How long requests in flight may take to be answered once stdin has closed.
const DRAIN_LIMIT: Duration = Duration::from_secs(60);
/// How long the last answers may take to be written once everything else is done.
const WRITE_LIMIT: Duration = Duration::from_secs(5);

/// Which MCP endpoint of the daemon to bridge to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// `/mcp`: the configured routing mode.
    Configured,
    /// `/mcp/call`: `retrieve_tools` and the `call_tool_*` variants.
    Call,
    /// `/mcp/all`: every tool as `server__tool`.
    All,
    /// `/mcp/server/NAME`: one upstream as it is.
    Server(String),
}

impl Endpoint {
    pub fn path(&self) -> String {
        match self {
            Self::Configured => "/mcp".to_owned(),
            Self::Call => "/mcp/call".to_owned(),
            Self::All => "/mcp/all".to_owned(),
            Self::Server(name) => format!("/mcp/server/{name}"),
        }
    }
}

impl FromStr for Endpoint {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "mcp" => Ok(Self::Configured),
            "call" => Ok(Self::Call),
            "all" => Ok(Self::All),
            other => match other.strip_prefix("server/") {
                Some(name) => {
                    crate::config::check_server_name(name)?;
                    Ok(Self::Server(name.to_owned()))
                }
                None => Err(format!(
                    "no endpoint \"{other}\": use mcp, call, all or server/NAME"
                )),
            },
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Configured => f.write_str("mcp"),
            Self::Call => f.write_str("call"),
            Self::All => f.write_str("all"),
            Self::Server(name) => write!(f, "server/{name}"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    #[error("the daemon went away (nothing answers on {}); this MCP session is over", socket.display())]
    DaemonGone { socket: PathBuf },
    #[error("cannot read MCP messages from stdin: {0}")]
    Stdin(#[source] std::io::Error),
    #[error("cannot write MCP messages to stdout: {0}")]
    Stdout(#[source] std::io::Error),
    #[error("cannot start the thread that serves {what}: {source}")]
    Thread {
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
}

impl BridgeError {
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::DaemonGone { .. } => Some(
                "start it again (`mcpproxy daemon start`), then restart this server in your MCP client"
                    .to_owned(),
            ),
            _ => None,
        }
    }
}

/// Bridges this process's stdin and stdout to `endpoint` of the daemon behind `socket`.
pub async fn run(socket: &Path, endpoint: &Endpoint) -> Result<(), BridgeError> {
    run_with(socket, endpoint, std::io::stdin(), std::io::stdout()).await
}

/// [`run`] with any byte streams in place of stdin and stdout.
pub async fn run_with<R, W>(
    socket: &Path,
    endpoint: &Endpoint,
    input: R,
    output: W,
) -> Result<(), BridgeError>
where
    R: std::io::Read + Send + 'static,
    W: std::io::Write + Send + 'static,
{
    let mut lines = stdio::spawn_reader(input).map_err(|source| BridgeError::Thread {
        what: "stdin",
        source,
    })?;
    let (out, mut written) = stdio::spawn_writer(output).map_err(|source| BridgeError::Thread {
        what: "stdout",
        source,
    })?;
    let (fatal, mut failures) = mpsc::unbounded_channel();
    let bridge = Arc::new(Bridge {
        http: SocketHttp::new(socket, endpoint.path()),
        state: Mutex::default(),
        session: watch::Sender::new(None),
        renewal: tokio::sync::Mutex::new(()),
        out,
        fatal: fatal.clone(),
    });
    let _watcher = AbortOnDropHandle::new(tokio::spawn(session::watch_daemon(
        socket.to_path_buf(),
        fatal,
    )));
    let keeper = AbortOnDropHandle::new(tokio::spawn(Arc::clone(&bridge).keep_listening()));
    tracing::debug!(socket = %socket.display(), path = %endpoint.path(), "bridging stdio");

    let mut exchanges = JoinSet::new();
    let mut streams = JoinSet::new();
    // The client's `initialize` while it is being answered. No other line is taken until
    // it is (they need the session it opens), but it is one branch among the others: a
    // daemon that takes it and never answers still ends the bridge when it goes away.
    let mut handshake: Option<AbortOnDropHandle<()>> = None;
    loop {
        tokio::select! {
            Some(error) = failures.recv() => return Err(error),
            ended = &mut written => return Err(writer_ended(ended)),
            _ = OptionFuture::from(handshake.as_mut()), if handshake.is_some() => handshake = None,
            line = lines.recv(), if handshake.is_none() => match line {
                None => break,
                Some(Err(e)) => return Err(BridgeError::Stdin(e)),
                Some(Ok(line)) => handshake = bridge.take(line, &mut exchanges, &mut streams).await,
            },
            Some(_) = exchanges.join_next(), if !exchanges.is_empty() => {}
            Some(_) = streams.join_next(), if !streams.is_empty() => {}
        }
    }

    tracing::debug!("stdin closed");
    streams.shutdown().await;
    let drained = tokio::time::timeout(DRAIN_LIMIT, async {
        while exchanges.join_next().await.is_some() {}
    });
    tokio::select! {
        Some(error) = failures.recv() => return Err(error),
        drained = drained => if drained.is_err() {
            tracing::warn!(
                "stdin closed and {} requests were still unanswered after {}s; leaving them",
                exchanges.len(),
                DRAIN_LIMIT.as_secs()
            );
        },
    }
    exchanges.shutdown().await;
    keeper.abort();
    let _ = keeper.await;
    bridge.end_session().await;
    // The last reference to the output queue: the writer finishes once it is written out.
    drop(bridge);
    match tokio::time::timeout(WRITE_LIMIT, written).await {
        Ok(Ok(Err(e))) => Err(BridgeError::Stdout(e)),
        _ => Ok(()),
    }
}

fn writer_ended(
    ended: Result<std::io::Result<()>, tokio::sync::oneshot::error::RecvError>,
) -> BridgeError {
    match ended {
        Ok(Err(e)) => BridgeError::Stdout(e),
        _ => BridgeError::Stdout(std::io::Error::other("the output thread ended")),
    }
}

/// The answer to a request the daemon refused at the HTTP level. A JSON-RPC error from the
/// MCP layer (a header or version mismatch, say) is passed on under the request's id;
/// anything else (the daemon's own refusal, like an unknown server) becomes one.
fn refusal_answer(id: &Value, status: StatusCode, body: &[u8]) -> Vec<u8> {
    if let Ok(mut error) = serde_json::from_slice::<Value>(body)
        && error.get("jsonrpc").is_some()
        && error.get("error").is_some_and(Value::is_object)
    {
        error["id"] = id.clone();
        return error.to_string().into_bytes();
    }
    let code = if status.is_client_error() {
        INVALID_REQUEST
    } else {
        INTERNAL_ERROR
    };
    error_answer(Some(id), code, &refusal_text(status, body))
}

/// A refusal in words: the daemon's message and hint when it sent its error body.
fn refusal_text(status: StatusCode, body: &[u8]) -> String {
    if let Ok(ErrorBody { error }) = serde_json::from_slice::<ErrorBody>(body) {
        return match error.hint {
            Some(hint) => format!("{} (hint: {hint})", error.message),
            None => error.message,
        };
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        format!("the daemon answered HTTP {status}")
    } else {
        let text: String = text.chars().take(500).collect();
        format!("the daemon answered HTTP {status}: {text}")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde_json::json;

    use super::*;

    #[test]
    fn endpoints_parse_and_name_their_paths() {
        let cases = [
            ("mcp", "/mcp"),
            ("call", "/mcp/call"),
            ("all", "/mcp/all"),
            ("server/demo", "/mcp/server/demo"),
        ];
        for (text, path) in cases {
            let endpoint: Endpoint = text.parse().unwrap();
            assert_eq!(endpoint.path(), path);
            assert_eq!(endpoint.to_string(), text);
        }
        assert!("server/".parse::<Endpoint>().is_err());
        assert!("server/a b".parse::<Endpoint>().is_err());
        assert!(
            "tools"
                .parse::<Endpoint>()
                .unwrap_err()
                .contains("server/NAME")
        );
    }

    #[test]
    fn refusals_become_answers_to_the_request() {
        let mismatch = json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32020, "message": "header mismatch"}});
        let answer: Value = serde_json::from_slice(&refusal_answer(
            &json!(4),
            StatusCode::BAD_REQUEST,
            mismatch.to_string().as_bytes(),
        ))
        .unwrap();
        assert_eq!(answer["id"], 4);
        assert_eq!(answer["error"]["code"], -32020);

        let daemon = json!({"error": {"code": "not_found", "message": "no server named \"x\"", "hint": "list them"}});
        let answer: Value = serde_json::from_slice(&refusal_answer(
            &json!("a"),
            StatusCode::NOT_FOUND,
            daemon.to_string().as_bytes(),
        ))
        .unwrap();
        assert_eq!(answer["id"], "a");
        assert_eq!(answer["error"]["code"], INVALID_REQUEST);
        assert_eq!(
            answer["error"]["message"],
            "no server named \"x\" (hint: list them)"
        );

        let answer: Value = serde_json::from_slice(&refusal_answer(
            &json!(1),
            StatusCode::BAD_GATEWAY,
            b"upstream down",
        ))
        .unwrap();
        assert_eq!(answer["error"]["code"], INTERNAL_ERROR);
        assert!(
            answer["error"]["message"]
                .as_str()
                .unwrap()
                .ends_with("502 Bad Gateway: upstream down")
        );
    }
}
