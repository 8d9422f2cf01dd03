//! The API key check for TCP. The socket needs none: only our own user can open it.

use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};

use super::ApiKey;
use super::error::ApiFailure;

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
