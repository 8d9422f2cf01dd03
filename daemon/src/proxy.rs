//! The MCP side: what AI clients see.
//!
//! | path | serves |
//! |---|---|
//! | `/mcp` | the configured routing mode (`retrieve_tools` or `direct`) |
//! | `/mcp/call` | `retrieve_tools`, `describe_tool`, `call_tool_*`, `upstream_servers` ([`call_surface`]) |
//! | `/mcp/all` | every tool as `server__tool`, prompts and resources aggregated ([`direct_surface`]) |
//! | `/mcp/server/NAME` | one upstream as it is ([`reverse`] for HTTP upstreams, [`passthrough`] otherwise) |
//!
//! The surfaces are rmcp `ServerHandler`s behind rmcp's streamable HTTP service, which
//! speaks both eras to clients: 2025-11-25 (`initialize`, sessions, SSE) and 2026-07-28
//! (stateless, `server/discover`). At the door: Host and Origin checks against DNS
//! rebinding, and with `require_mcp_auth` the API key on TCP.

mod call_surface;
mod direct_surface;
mod edges;
mod forward;
mod intent;
mod names;
mod parked;
mod passthrough;
mod reverse;
mod session_limits;
mod sessions;
mod subscribed;
mod upstream_request;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};

use self::call_surface::CallSurface;
use self::direct_surface::DirectSurface;
pub use self::names::direct_name;
use self::parked::ParkedCalls;
use self::passthrough::Passthrough;
use self::session_limits::{BoundedSessions, SessionTable};
use self::sessions::Sessions;
use crate::config::Routing;
use crate::daemon::Daemon;
use crate::http::ApiFailure;
use crate::protocol::{ErrorCode, ServerState, TransportKind};

type Service<S> = edges::Endpoint<S, BoundedSessions>;

/// The MCP endpoints' shared state: one set of sessions for both doors.
pub struct Proxy {
    daemon: Daemon,
    sessions: Arc<Sessions>,
    /// Upstream calls waiting for a 2026-07-28 client's answers, whichever surface began them.
    parked: Arc<ParkedCalls>,
    /// Every surface's live sessions, bounded together.
    table: Arc<SessionTable>,
    call: Service<CallSurface>,
    all: Service<DirectSurface>,
    servers: Mutex<HashMap<String, Service<Passthrough>>>,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy").finish_non_exhaustive()
    }
}

impl Proxy {
    pub fn new(daemon: &Daemon) -> Arc<Self> {
        let sessions = Arc::new(Sessions::default());
        let parked = Arc::new(ParkedCalls::default());
        let limits = daemon.config().config.limits;
        let table = SessionTable::new(
            usize::try_from(limits.mcp_sessions).unwrap_or(usize::MAX),
            limits.mcp_session_idle,
        );
        let call = {
            let (daemon, sessions, parked) =
                (daemon.clone(), Arc::clone(&sessions), Arc::clone(&parked));
            service(daemon.clone(), &table, move || {
                CallSurface::new(daemon.clone(), Arc::clone(&sessions), Arc::clone(&parked))
            })
        };
        let all = {
            let (daemon, sessions, parked) =
                (daemon.clone(), Arc::clone(&sessions), Arc::clone(&parked));
            service(daemon.clone(), &table, move || {
                DirectSurface::new(daemon.clone(), Arc::clone(&sessions), Arc::clone(&parked))
            })
        };
        Arc::new(Self {
            daemon: daemon.clone(),
            sessions,
            parked,
            table,
            call,
            all,
            servers: Mutex::new(HashMap::new()),
        })
    }

    /// Tells MCP sessions about tool list changes until `stop`.
    pub async fn forward_changes(&self, stop: tokio_util::sync::CancellationToken) {
        sessions::forward_list_changes(self.daemon.clone(), Arc::clone(&self.sessions), stop).await;
    }

    /// Closes MCP sessions left idle too long, until `stop`.
    pub async fn expire_idle_sessions(&self, stop: tokio_util::sync::CancellationToken) {
        self.table.expire_idle_until(stop).await;
    }

    /// The passthrough service of one server, made on first use.
    fn passthrough(&self, name: &str) -> Service<Passthrough> {
        let mut servers = crate::sync::lock(&self.servers);
        servers
            .entry(name.to_owned())
            .or_insert_with(|| {
                let (daemon, sessions, parked, name) = (
                    self.daemon.clone(),
                    Arc::clone(&self.sessions),
                    Arc::clone(&self.parked),
                    name.to_owned(),
                );
                service(self.daemon.clone(), &self.table, move || {
                    Passthrough::new(
                        daemon.clone(),
                        &name,
                        Arc::clone(&sessions),
                        Arc::clone(&parked),
                    )
                })
            })
            .clone()
    }
}

/// A streamable HTTP service for one surface. Host checks come from rmcp (loopback only);
/// Origin checks are on too, for browsers on localhost pages. Sessions are counted in
/// `table` and end at shutdown.
fn service<S, F>(daemon: Daemon, table: &Arc<SessionTable>, factory: F) -> Service<S>
where
    S: rmcp::ServerHandler + Send + 'static,
    F: Fn() -> S + Send + Sync + 'static,
{
    let mut config = StreamableHttpServerConfig::default();
    config.cancellation_token = daemon.shutdown_token().child_token();
    config.allowed_origins = ["http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"]
        .map(str::to_owned)
        .to_vec();
    let sessions = BoundedSessions::new(table);
    let service = StreamableHttpService::new(move || Ok(factory()), Arc::clone(&sessions), config);
    edges::Endpoint::new(service, sessions)
}

/// An axum route for an rmcp-served surface.
fn surface<S>(endpoint: &Service<S>) -> axum::routing::MethodRouter<Daemon>
where
    S: rmcp::ServerHandler + Send + 'static,
{
    let endpoint = endpoint.clone();
    axum::routing::any(move |request: Request| endpoint.clone().handle(request))
}

/// The `/mcp*` routes. With a `policy` (the TCP door), a request must come from the daemon's
/// user or carry the API key, as it says.
pub fn routes(proxy: &Arc<Proxy>, policy: Option<crate::http::McpDoorPolicy>) -> Router<Daemon> {
    let admit =
        axum::middleware::from_fn_with_state(Arc::clone(&proxy.table), session_limits::admit);
    let call = surface(&proxy.call).layer(admit.clone());
    let all = surface(&proxy.all).layer(admit);
    let default: Router<Daemon> = match proxy.daemon.config().config.routing {
        Routing::RetrieveTools => Router::new().route("/mcp", call.clone()),
        Routing::Direct => Router::new().route("/mcp", all.clone()),
    };
    let mut router = default
        .route("/mcp/call", call)
        .route("/mcp/all", all)
        .route("/mcp/server/{name}", axum::routing::any(one_server))
        .layer(axum::Extension(Arc::clone(proxy)))
        .layer(axum::middleware::from_fn(check_origin));
    if let Some(policy) = policy {
        router = router.layer(axum::middleware::from_fn_with_state(
            policy,
            crate::http::require_owner_or_key,
        ));
    }
    router
}

/// `/mcp/server/NAME`: a reverse proxy to an HTTP upstream, the typed passthrough otherwise.
async fn one_server(
    State(daemon): State<Daemon>,
    axum::Extension(proxy): axum::Extension<Arc<Proxy>>,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    let Some(server) = daemon.upstreams().config_of(&name) else {
        return ApiFailure::not_found(format!("no server named \"{name}\""))
            .hint("`mcpproxy upstream list` shows the servers")
            .into_response();
    };
    if let Some(held) = ServerState::held(server.enabled, server.quarantined) {
        let (state, action) = if held == ServerState::Quarantined {
            ("quarantined", "approve")
        } else {
            ("disabled", "enable")
        };
        return ApiFailure::new(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            format!("server \"{name}\" is {state}"),
        )
        .hint(format!(
            "a person must {action} it first: `mcpproxy upstream {action} {name}`"
        ))
        .into_response();
    }
    let streamable = server.url.is_some()
        && daemon
            .upstreams()
            .server(&name)
            .and_then(|s| s.connection())
            .is_none_or(|c| c.transport == TransportKind::Http);
    if streamable && server.transport != crate::config::TransportSetting::Sse {
        return reverse::forward(&daemon, &name, &server, request).await;
    }
    let passthrough = proxy.passthrough(&name);
    session_limits::admitted(&proxy.table, request, |request| passthrough.handle(request)).await
}

/// Refuses requests whose `Origin` is not a local page: a web page must not reach the
/// proxy through the user's browser (DNS rebinding). `Host` is checked by rmcp for the
/// surfaces and here for the reverse proxy. Every value of either header counts, and one
/// that is not plain text is refused: it cannot be shown to be local.
async fn check_origin(headers: HeaderMap, request: Request, next: Next) -> Response {
    for (header, what, hint) in [
        (
            "origin",
            "Origin",
            "only pages on localhost may; MCP clients send no Origin",
        ),
        ("host", "Host", "connect to 127.0.0.1 or localhost"),
    ] {
        for value in headers.get_all(header) {
            let refusal = match value.to_str() {
                Ok(text) if is_local(text) => continue,
                Ok(text) if header == "origin" => {
                    format!("Origin {text} may not use this MCP endpoint")
                }
                Ok(text) => format!("Host {text} is not this machine"),
                Err(_) => format!("the {what} header is not plain text"),
            };
            return ApiFailure::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, refusal)
                .hint(hint)
                .into_response();
        }
    }
    next.run(request).await
}

/// Whether an Origin or Host value names this machine: `localhost`, `127.0.0.1` or `[::1]`,
/// with any port and scheme.
fn is_local(value: &str) -> bool {
    let host = value
        .split("://")
        .nth(1)
        .unwrap_or(value)
        .split('/')
        .next()
        .unwrap_or("");
    let host = host.rsplit_once(':').map_or(host, |(h, port)| {
        if port.chars().all(|c| c.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    matches!(host, "localhost" | "127.0.0.1" | "[::1]" | "::1")
}
