//! HTTP: one axum router for the control API (and, with the proxy, MCP), served on the
//! control socket and on TCP. The only difference between the two doors is trust: TCP
//! requests must carry the API key.

mod auth;
mod control;
mod error;
mod events;
pub mod listeners;
mod oauth;
mod servers;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use tokio::net::TcpListener;

pub use self::auth::{API_KEY_HEADER, require_api_key};
pub use self::error::{ApiFailure, Body};
use self::listeners::TrustedUnixListener;
use crate::daemon::Daemon;
use crate::proxy::Proxy;

/// Which listener a request came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Door {
    Socket,
    Tcp,
}

fn control_routes() -> Router<Daemon> {
    Router::new()
        .route("/status", get(control::status))
        .route("/servers", get(servers::list).post(servers::add))
        .route("/servers/{name}", get(servers::one).delete(servers::remove))
        .route("/servers/{name}/enable", post(servers::enable))
        .route("/servers/{name}/disable", post(servers::disable))
        .route("/servers/{name}/restart", post(servers::restart))
        .route("/servers/{name}/approve", post(servers::approve))
        .route("/servers/{name}/logs", get(servers::logs))
        .route("/tools", get(servers::tools))
        .route("/tools/call", post(servers::call))
        .route("/events", get(events::events))
        .route("/shutdown", post(control::shutdown))
        .merge(oauth::routes())
}

/// The whole router for one door: the control API and the MCP endpoints.
pub fn router(daemon: Daemon, door: Door, proxy: &Arc<Proxy>) -> Router {
    let mut control = control_routes();
    if door == Door::Tcp {
        control = control.layer(axum::middleware::from_fn_with_state(
            daemon.clone(),
            require_api_key,
        ));
    }
    let mcp_needs_key = door == Door::Tcp && daemon.config().config.require_mcp_auth;
    Router::new()
        .nest(crate::protocol::API_PREFIX, control)
        .merge(crate::proxy::routes(proxy, mcp_needs_key))
        .fallback(error::no_such_route)
        .method_not_allowed_fallback(error::wrong_method)
        .layer(axum::Extension(door))
        .with_state(daemon)
}

pub async fn serve_socket(
    daemon: Daemon,
    proxy: Arc<Proxy>,
    listener: TrustedUnixListener,
) -> std::io::Result<()> {
    let shutdown = daemon.shutdown_token().clone().cancelled_owned();
    axum::serve(listener, router(daemon, Door::Socket, &proxy))
        .with_graceful_shutdown(shutdown)
        .await
}

pub async fn serve_tcp(
    daemon: Daemon,
    proxy: Arc<Proxy>,
    listener: TcpListener,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt as _;
    let shutdown = daemon.shutdown_token().clone().cancelled_owned();
    // Small request/response pairs: Nagle's delay would dominate their latency.
    let listener = listener.tap_io(|stream| {
        let _ = stream.set_nodelay(true);
    });
    axum::serve(listener, router(daemon, Door::Tcp, &proxy))
        .with_graceful_shutdown(shutdown)
        .await
}
