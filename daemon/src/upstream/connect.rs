//! Opening one MCP session to one upstream, over whichever transport its config names.
//!
//! - stdio: the child is spawned in its own process group, its stderr goes to the server
//!   log, and the session speaks MCP over its stdin/stdout.
//! - streamable HTTP: rmcp's client, with the configured headers; it re-initialises an
//!   expired session and retries the request once by itself. A session counts as expired
//!   on HTTP 404, and also on an error without an id to a request that carried one
//!   (servers that answer 400 there; see [`super::http_client`]).
//! - legacy SSE: our own transport ([`super::sse`]), chosen explicitly or as the fallback
//!   when `transport = "auto"` and streamable HTTP is refused.
//!
//! Both MCP eras are tried where the server may offer them: `server/discover` for
//! 2026-07-28, falling back to `initialize` for 2025-11-25 and older.
//!
//! Every transport is wrapped in [`super::routes::Ordered`], which numbers the server's
//! progress and log messages as they arrive, so a call's result never overtakes them on the
//! way to the client.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderName, HeaderValue};
use rmcp::RoleClient;
use rmcp::model::ProtocolVersion;
use rmcp::service::{
    ClientInitializeError, ClientLifecycleMode, ClientServiceExt as _, RunningService,
};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::async_rw::AsyncRwTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use tokio::io::AsyncReadExt as _;

use super::guard::Guard;
use super::handler::UpstreamHandler;
use super::process::ChildProcess;
use super::server_log::{self, ServerLog};
use super::sse::SseClientTransport;
use crate::config::{Builtin, ServerConfig, TransportSetting};
use crate::oauth::OAuthSession;
use crate::protocol::{LogLevel, LogOrigin, TransportKind};

mod cause;
pub use cause::sentence;

pub type Service = RunningService<RoleClient, UpstreamHandler>;

/// An open MCP session and what keeps it alive.
pub struct Session {
    pub service: Service,
    /// The child of a stdio server.
    pub process: Option<ChildProcess>,
    /// The transport in use (for `auto`, the one that worked).
    pub transport: TransportKind,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("transport", &self.transport)
            .field("pid", &self.process.as_ref().map(ChildProcess::pid))
            .finish_non_exhaustive()
    }
}

/// Why no session came about. Its `Display` is one sentence for a person (the server's
/// `last_error`); [`ConnectError::detail`] is the whole story for the server's log.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("cannot start `{command}`: {}", spawn_advice(source))]
    Spawn {
        command: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the working directory {} does not exist (or is not a directory); fix the server's `cwd`", .0.display())]
    NoWorkingDir(PathBuf),
    #[error("the server needs authorization{}", challenge.as_deref().map(|c| format!(" ({c})")).unwrap_or_default())]
    NeedsAuth { challenge: Option<String> },
    /// The transport or the MCP handshake failed: `summary` says why in one sentence,
    /// `detail` has every link of the error chain.
    #[error("{summary}")]
    Handshake { summary: String, detail: String },
    #[error("no MCP session within {0:?}: is it an MCP server, and does it start that fast?")]
    Timeout(Duration),
    #[error("the process exited before answering ({0}); its stderr is in the server log")]
    Exited(String),
}

impl ConnectError {
    /// A failure that is the same for people and the log.
    fn handshake(summary: impl Into<String>) -> Self {
        let summary = summary.into();
        Self::Handshake {
            detail: summary.clone(),
            summary: sentence(&summary),
        }
    }

    /// A failure caused by `error` while connecting to `url` (`None` for a command).
    fn caused_by(error: &(dyn std::error::Error + 'static), url: Option<&str>) -> Self {
        Self::Handshake {
            summary: cause::explain(error, url),
            detail: cause::chain(error),
        }
    }

    /// Everything known about the failure, for the server's log.
    pub fn detail(&self) -> String {
        match self {
            Self::Handshake { detail, .. } => detail.clone(),
            Self::Spawn { command, source } => format!("cannot start `{command}`: {source}"),
            other => other.to_string(),
        }
    }
}

fn spawn_advice(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => {
            "no such program; check `command` in the config (is it installed and on PATH?)"
                .to_owned()
        }
        std::io::ErrorKind::PermissionDenied => {
            "permission denied; is the program executable?".to_owned()
        }
        _ => error.to_string(),
    }
}

/// Where the daemon's own executable is, for built-in servers.
#[derive(Debug, Clone)]
pub struct Launcher {
    pub exe: PathBuf,
    pub guard: Option<Guard>,
}

/// Opens a session; the whole attempt is bounded by the server's `connect_timeout`.
/// `oauth` carries the tokens of a server behind OAuth (streamable HTTP only).
pub async fn connect(
    name: &str,
    server: &ServerConfig,
    handler: UpstreamHandler,
    log: &Arc<ServerLog>,
    launcher: &Launcher,
    oauth: Option<&Arc<OAuthSession>>,
) -> Result<Session, ConnectError> {
    let timeout = server.connect_timeout;
    let attempt = async {
        match (&server.url, server.transport) {
            (Some(url), TransportSetting::Sse) => connect_sse(url, server, handler, timeout).await,
            (Some(url), TransportSetting::Http) => connect_http(url, server, handler, oauth).await,
            (Some(url), _) => match connect_http(url, server, handler.clone(), oauth).await {
                Err(ConnectError::Handshake {
                    summary: http_summary,
                    detail: http_detail,
                }) => {
                    log.daemon(
                        LogLevel::Info,
                        format!("streamable HTTP failed ({http_detail}); trying legacy SSE"),
                    );
                    connect_sse(url, server, handler, timeout)
                        .await
                        .map_err(|sse| match sse {
                            ConnectError::Handshake { summary, detail } => {
                                // The same cause (a host that does not resolve) is said once.
                                let summary = if summary == http_summary {
                                    summary
                                } else {
                                    sentence(&format!(
                                        "streamable HTTP: {http_summary}; legacy SSE: {summary}"
                                    ))
                                };
                                ConnectError::Handshake {
                                    summary,
                                    detail: format!(
                                        "{http_detail}; legacy SSE failed too: {detail}"
                                    ),
                                }
                            }
                            other => other,
                        })
                }
                other => other,
            },
            (None, _) => connect_stdio(name, server, handler, log, launcher).await,
        }
    };
    tokio::time::timeout(timeout, attempt)
        .await
        .map_err(|_| ConnectError::Timeout(timeout))?
}

/// Both eras: `server/discover` first, then `initialize`.
fn lifecycle() -> ClientLifecycleMode {
    ClientLifecycleMode::Auto {
        preferred_versions: vec![ProtocolVersion::V_2026_07_28],
        legacy_version: Some(ProtocolVersion::V_2025_11_25),
    }
}

/// A failed handshake with the server at `url` (`None` for a command).
fn handshake_error(error: &ClientInitializeError, url: Option<&str>) -> ConnectError {
    match error.auth_challenge() {
        Some(challenge) => ConnectError::NeedsAuth {
            challenge: (!challenge.is_empty()).then(|| challenge.to_owned()),
        },
        None => ConnectError::caused_by(error, url),
    }
}

async fn connect_stdio(
    name: &str,
    server: &ServerConfig,
    handler: UpstreamHandler,
    log: &Arc<ServerLog>,
    launcher: &Launcher,
) -> Result<Session, ConnectError> {
    let (program, mut args) = match (server.builtin, &server.command) {
        (Some(Builtin::Demo), _) => (
            launcher.exe.display().to_string(),
            vec!["demo-server".to_owned()],
        ),
        (None, Some(command)) => (command.clone(), Vec::new()),
        (None, None) => {
            return Err(ConnectError::handshake(format!(
                "server \"{name}\" has neither a command nor a url"
            )));
        }
    };
    args.extend(server.args.iter().cloned());
    let mut command = tokio::process::Command::new(&program);
    command.args(&args).envs(&server.env);
    if let Some(cwd) = &server.cwd {
        // Spawning in a missing directory fails with "not found", which reads as if the
        // command were missing.
        if !tokio::fs::metadata(cwd).await.is_ok_and(|m| m.is_dir()) {
            return Err(ConnectError::NoWorkingDir(cwd.clone()));
        }
        command.current_dir(cwd);
    }
    let (process, pipes) =
        ChildProcess::spawn(command, launcher.guard.clone()).map_err(|source| {
            ConnectError::Spawn {
                command: program.clone(),
                source,
            }
        })?;
    log.daemon(
        LogLevel::Info,
        format!(
            "started `{}` (pid {})",
            shell_words(&program, &args),
            process.pid()
        ),
    );
    // Ends by itself when the pipe closes, after the last line the child wrote.
    tokio::spawn(pump_stderr(pipes.stderr, Arc::clone(log)));
    let mut process = process;
    let stdio = AsyncRwTransport::new_client(pipes.stdout, pipes.stdin);
    let transport = handler.routes().ordered(stdio);
    let service = match handler.serve_with_lifecycle(transport, lifecycle()).await {
        Ok(service) => service,
        Err(error) => {
            // A child that died explains the failure better than the broken pipe it left.
            let exited = tokio::time::timeout(Duration::from_millis(200), process.wait()).await;
            process.kill().await;
            return Err(match exited {
                Ok(Ok(status)) => ConnectError::Exited(status.to_string()),
                _ => handshake_error(&error, None),
            });
        }
    };
    Ok(Session {
        service,
        process: Some(process),
        transport: TransportKind::Stdio,
    })
}

async fn connect_http(
    url: &str,
    server: &ServerConfig,
    handler: UpstreamHandler,
    oauth: Option<&Arc<OAuthSession>>,
) -> Result<Session, ConnectError> {
    let mut config = StreamableHttpClientTransportConfig::with_uri(url.to_owned());
    config.custom_headers = header_map(&server.headers)?;
    let client = reqwest::Client::builder()
        .connect_timeout(server.connect_timeout)
        .build()
        .map_err(|e| ConnectError::handshake(format!("cannot build the HTTP client: {e}")))?;
    // Also renews the session when a restarted server rejects it with 400 instead of 404;
    // and marks which call each log message on a response stream belongs to.
    let client = super::http_client::UpstreamHttpClient::new(client, oauth.cloned());
    let routes = Arc::clone(handler.routes());
    let transport = || {
        routes.ordered(StreamableHttpClientTransport::with_client(
            client.clone(),
            config.clone(),
        ))
    };
    let service = match handler
        .clone()
        .serve_with_lifecycle(transport(), lifecycle())
        .await
    {
        Ok(service) => service,
        // A server that answers `server/discover` with something other than a discover
        // result (some answer every unknown method with `{}`) is of the older era: start
        // again with `initialize`.
        Err(
            ClientInitializeError::ExpectedInitResult(_)
            | ClientInitializeError::ExpectedInitResponse(_),
        ) => handler
            .for_initialize()
            .serve_with_lifecycle(transport(), ClientLifecycleMode::Initialize)
            .await
            .map_err(|e| handshake_error(&e, Some(url)))?,
        Err(error) => return Err(handshake_error(&error, Some(url))),
    };
    Ok(Session {
        service,
        process: None,
        transport: TransportKind::Http,
    })
}

async fn connect_sse(
    url: &str,
    server: &ServerConfig,
    handler: UpstreamHandler,
    timeout: Duration,
) -> Result<Session, ConnectError> {
    let transport = SseClientTransport::connect(url, &server.headers, timeout)
        .await
        .map_err(|e| {
            if e.is_unauthorized() {
                // The challenge names where to log in (OAuth resource metadata).
                ConnectError::NeedsAuth {
                    challenge: e.www_authenticate().map(str::to_owned),
                }
            } else {
                ConnectError::caused_by(&e, Some(url))
            }
        })?;
    let transport = handler.routes().ordered(transport);
    // Legacy SSE servers predate `server/discover`.
    let service = handler
        .serve_with_lifecycle(transport, ClientLifecycleMode::Initialize)
        .await
        .map_err(|e| handshake_error(&e, Some(url)))?;
    Ok(Session {
        service,
        process: None,
        transport: TransportKind::Sse,
    })
}

fn header_map(
    headers: &BTreeMap<String, String>,
) -> Result<std::collections::HashMap<HeaderName, HeaderValue>, ConnectError> {
    headers
        .iter()
        .map(|(name, value)| {
            let name = HeaderName::try_from(name.as_str())
                .map_err(|e| ConnectError::handshake(format!("bad header name `{name}`: {e}")))?;
            let value = HeaderValue::try_from(value.as_str()).map_err(|e| {
                ConnectError::handshake(format!("bad value for header `{name}`: {e}"))
            })?;
            Ok((name, value))
        })
        .collect()
}

/// How much of a child's stderr is read at once.
const STDERR_CHUNK: usize = 64 * 1024;

/// Copies a child's stderr into its log, line by line, until the pipe closes. It is read in
/// chunks of [`STDERR_CHUNK`] and at most one line of [`server_log::MAX_LINE`] (plus a byte,
/// so the log marks it cut) is held: a server that writes without a newline costs no more
/// memory than one that writes short lines.
async fn pump_stderr(mut stderr: tokio::process::ChildStderr, log: Arc<ServerLog>) {
    let mut chunk = vec![0u8; STDERR_CHUNK];
    let mut line = StderrLine::default();
    loop {
        let read = match stderr.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        let mut rest = &chunk[..read];
        // `contains` is a memchr; most chunks of a flood have no newline at all.
        while rest.contains(&b'\n') {
            let end = rest.iter().position(|b| *b == b'\n').unwrap_or(rest.len());
            line.take(&rest[..end]);
            line.write_to(&log);
            rest = rest.get(end + 1..).unwrap_or_default();
        }
        line.take(rest);
    }
    line.write_to(&log);
}

/// The line of stderr being read, kept to at most one byte past the longest line logged.
#[derive(Default)]
struct StderrLine {
    bytes: Vec<u8>,
}

impl StderrLine {
    fn take(&mut self, more: &[u8]) {
        let room = (server_log::MAX_LINE + 1).saturating_sub(self.bytes.len());
        self.bytes.extend_from_slice(&more[..more.len().min(room)]);
    }

    /// Logs the line (a line longer than the limit is cut, with a marker) and starts anew.
    fn write_to(&mut self, log: &ServerLog) {
        let text = String::from_utf8_lossy(&self.bytes);
        let text = text.trim_end_matches('\r');
        if !text.is_empty() {
            log.write(LogLevel::Info, LogOrigin::Stderr, text.to_owned());
        }
        self.bytes.clear();
    }
}

/// A command line as a person would type it, for the log.
fn shell_words(program: &str, args: &[String]) -> String {
    std::iter::once(program)
        .chain(args.iter().map(String::as_str))
        .map(crate::paths::shell_word)
        .collect::<Vec<_>>()
        .join(" ")
}
