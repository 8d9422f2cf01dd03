//! Who may come in over TCP. The socket needs no check here: only our own user can open it.
//!
//! - The control API (`/api/v1`) needs the API key from everyone.
//! - MCP (`/mcp*`) serves the user running the daemon: on Linux a loopback peer's user is
//!   read from the kernel's socket table (see [`super::peer`]), so the owner's clients need
//!   no setup and other users are refused (403) unless they present the key. Where a peer's
//!   user cannot be told (macOS), and with `require_mcp_auth`, the key is needed from
//!   everyone; clients that cannot send it use `mcpproxy stdio`, which goes through the socket.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};

use super::error::ApiFailure;
use super::peer::{CAN_TELL_TCP_PEER, Peer};
use super::{ApiKey, Door};
use crate::protocol::ErrorCode;

/// The header carrying the API key (`Authorization: Bearer KEY` works too).
pub const API_KEY_HEADER: &str = "x-api-key";

/// Middleware: lets a request through only with the daemon's API key.
pub async fn require_api_key(State(key): State<ApiKey>, request: Request, next: Next) -> Response {
    match presented_key(request.headers()) {
        Some(presented) if key.matches(presented) => next.run(request).await,
        presented => ApiFailure::unauthorized(if presented.is_some() {
            "wrong API key"
        } else {
            "this endpoint needs the API key over TCP"
        })
        .hint("send `X-API-Key: KEY` or `Authorization: Bearer KEY`; `mcpproxy status --show-key` prints the key")
        .into_response(),
    }
}

/// Who may use the MCP endpoints over TCP.
#[derive(Debug, Clone)]
pub struct McpDoorPolicy {
    key: ApiKey,
    owner: u32,
    key_always: bool,
}

impl McpDoorPolicy {
    /// With `require_key` (the config's `require_mcp_auth`), or where a TCP peer's user cannot
    /// be told, every request needs the key; otherwise the daemon's own user needs none.
    pub fn new(key: ApiKey, require_key: bool) -> Self {
        Self {
            key,
            owner: rustix::process::getuid().as_raw(),
            key_always: require_key || !CAN_TELL_TCP_PEER,
        }
    }
}

/// Middleware for `/mcp*`: lets in the socket, a request with the API key, and (unless the
/// key is always needed) a loopback peer of the daemon's own user.
pub async fn require_owner_or_key(
    State(policy): State<McpDoorPolicy>,
    request: Request,
    next: Next,
) -> Response {
    let peer = request.extensions().get::<Peer>().cloned();
    if peer.as_ref().is_some_and(|p| p.door() == Door::Socket) {
        return next.run(request).await;
    }
    match presented_key(request.headers()) {
        Some(presented) if policy.key.matches(presented) => return next.run(request).await,
        Some(_) => {
            return ApiFailure::unauthorized("wrong API key")
                .hint("`mcpproxy status --show-key` prints the key")
                .into_response();
        }
        None => {}
    }
    if policy.key_always {
        let why = if CAN_TELL_TCP_PEER {
            "require_mcp_auth is on"
        } else {
            "on this system the daemon cannot tell which user a TCP client runs as"
        };
        return ApiFailure::unauthorized(format!("this MCP endpoint needs the API key over TCP ({why})"))
            .hint("connect with `mcpproxy stdio` (it goes through the local socket, no key needed), or send `X-API-Key: KEY`; `mcpproxy status --show-key` prints the key")
            .into_response();
    }
    let uid = match &peer {
        Some(peer) => peer.uid().await,
        None => None,
    };
    if uid == Some(policy.owner) {
        return next.run(request).await;
    }
    let who = uid.map_or_else(
        || "a client whose user cannot be told (not on this machine, or already gone)".to_owned(),
        |uid| format!("a client of another user (uid {uid})"),
    );
    ApiFailure::new(
        StatusCode::FORBIDDEN,
        ErrorCode::Forbidden,
        format!(
            "this MCP endpoint serves only the user running mcpproxy (uid {}); this is {who}",
            policy.owner
        ),
    )
    .hint("run the client as that user, or give it the API key (`X-API-Key: KEY`, printed by `mcpproxy status --show-key`)")
    .into_response()
}

fn presented_key(headers: &HeaderMap) -> Option<&str> {
    if let Some(key) = headers.get(API_KEY_HEADER).and_then(|v| v.to_str().ok()) {
        return Some(key.trim());
    }
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}
