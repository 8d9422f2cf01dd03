//! The doors: the control socket and the TCP address, and what every request through them
//! shares — who may come in (the socket's peer-uid check, the API key on TCP) and how errors
//! look (`{"error": {"code", "message", "hint"}}`). The control API (`api`) and the MCP
//! surfaces (`proxy`) both build on this module; it knows neither of them.

pub mod api_key;
mod auth;
mod error;
pub mod listeners;

use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use self::api_key::ApiKey;
pub use self::auth::{API_KEY_HEADER, require_api_key};
pub use self::error::{ApiFailure, Body, Params, no_such_route, wrong_method};
use self::listeners::TrustedUnixListener;

/// Which listener a request came through (an `Extension` on every request).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Door {
    Socket,
    Tcp,
}

/// Serves `router` on the control socket until `stop` is cancelled, then lets in-flight
/// requests finish.
pub async fn serve_socket(
    listener: TrustedUnixListener,
    router: Router,
    stop: CancellationToken,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(stop.cancelled_owned())
        .await
}

/// Serves `router` on TCP until `stop` is cancelled, then lets in-flight requests finish.
pub async fn serve_tcp(
    listener: TcpListener,
    router: Router,
    stop: CancellationToken,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt as _;
    // Small request/response pairs: Nagle's delay would dominate their latency.
    let listener = listener.tap_io(|stream| {
        let _ = stream.set_nodelay(true);
    });
    axum::serve(listener, router)
        .with_graceful_shutdown(stop.cancelled_owned())
        .await
}
