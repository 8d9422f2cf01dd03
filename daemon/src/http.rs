//! The doors: the control socket and the TCP address, and what every request through them
//! shares — how connections are served and bounded (`connections`), who is at the other end
//! (`peer`), who may come in (the socket's peer-uid check, the API key on TCP, the owner
//! check for MCP on TCP) and how errors look (`{"error": {"code", "message", "hint"}}`). The control API (`api`) and the MCP
//! surfaces (`proxy`) both build on this module; it knows neither of them.

pub mod api_key;
mod auth;
pub mod connections;
mod error;
pub mod listeners;
pub mod peer;

use axum::Router;
use tokio_util::sync::CancellationToken;

pub use self::api_key::ApiKey;
pub use self::auth::{API_KEY_HEADER, McpDoorPolicy, require_api_key, require_owner_or_key};
pub use self::error::{ApiFailure, Body, Params, no_such_route, wrong_method};
use self::listeners::{TcpDoor, TrustedUnixListener};
pub use self::peer::Peer;

/// Which listener a request came through (an `Extension` on every request).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Door {
    Socket,
    Tcp,
}

/// Serves `router` on the control socket until `stop` is cancelled, then lets in-flight
/// requests finish.
pub async fn serve_socket(listener: TrustedUnixListener, router: Router, stop: CancellationToken) {
    connections::serve(listener, router, stop).await;
}

/// Serves `router` on TCP until `stop` is cancelled, then lets in-flight requests finish.
pub async fn serve_tcp(listener: TcpDoor, router: Router, stop: CancellationToken) {
    connections::serve(listener, router, stop).await;
}
