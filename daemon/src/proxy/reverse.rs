//! `/mcp/server/NAME` for a streamable-HTTP upstream: a reverse proxy. Requests and
//! responses pass through as bytes (sessions, SSE streams, both protocol eras, fields no
//! model knows, `_meta`, tasks), with the server's configured headers added and mcpproxy's
//! own credentials removed. Each client gets its own session with the upstream, exactly
//! as if it talked to the server directly.

use std::sync::OnceLock;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse as _, Response};
use futures_util::TryStreamExt as _;

use super::activity::CallRecord;
use crate::api::ApiFailure;
use crate::config::ServerConfig;
use crate::daemon::Daemon;
use crate::protocol::{CallOutcome, CallVariant, ErrorCode};

/// Largest request body forwarded (JSON-RPC requests are small; uploads are not MCP).
const MAX_REQUEST_BODY: usize = 16 * 1024 * 1024;

/// Headers that belong to one hop, never forwarded (RFC 9110 §7.6.1), plus the ones the
/// HTTP client sets itself.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
];

fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(10))
            .no_proxy()
            .build()
            .unwrap_or_default()
    })
}

/// Forwards one request to `server`'s URL and streams the answer back.
pub async fn forward(
    daemon: &Daemon,
    name: &str,
    server: &ServerConfig,
    request: Request,
) -> Response {
    let Some(url) = server.url.as_deref() else {
        return ApiFailure::internal(format!("server {name} has no url")).into_response();
    };
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, MAX_REQUEST_BODY).await {
        Ok(body) => body,
        Err(e) => {
            return ApiFailure::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::BadRequest,
                format!("cannot read the request: {e}"),
            )
            .into_response();
        }
    };
    let target = match parts.uri.query() {
        Some(query) => format!("{url}{}{query}", if url.contains('?') { '&' } else { '?' }),
        None => url.to_owned(),
    };
    let mut headers = forwardable(&parts.headers, daemon.api_key().expose());
    for (key, value) in &server.headers {
        if let (Ok(key), Ok(value)) = (
            HeaderName::try_from(key.as_str()),
            HeaderValue::try_from(value.as_str()),
        ) {
            headers.insert(key, value);
        }
    }
    let record = tool_call(&body).map(|(tool, arguments)| {
        let client = None;
        CallRecord::start(
            daemon,
            client,
            name,
            &tool,
            CallVariant::Passthrough,
            arguments.as_ref(),
        )
    });
    let sent = client()
        .request(parts.method, &target)
        .headers(headers)
        .body(body)
        .send()
        .await;
    let upstream = match sent {
        Ok(upstream) => upstream,
        Err(e) => {
            if let Some(record) = record {
                record.ended(CallOutcome::Failed, Some(e.to_string()));
            }
            return ApiFailure::new(
                StatusCode::BAD_GATEWAY,
                ErrorCode::UpstreamUnavailable,
                format!("server {name} at {url} did not answer: {e}"),
            )
            .hint(format!(
                "`mcpproxy upstream logs {name}` shows its recent errors"
            ))
            .into_response();
        }
    };
    if let Some(record) = record {
        let outcome = if upstream.status().is_success() {
            CallOutcome::Ok
        } else {
            CallOutcome::Failed
        };
        record.ended(outcome, None);
    }
    let mut response = Response::builder().status(upstream.status());
    if let Some(response_headers) = response.headers_mut() {
        *response_headers = forwardable(upstream.headers(), "");
    }
    let stream = upstream.bytes_stream().map_err(std::io::Error::other);
    response
        .body(Body::from_stream(stream))
        .unwrap_or_else(|e| ApiFailure::internal(e.to_string()).into_response())
}

/// The headers worth passing on: not hop-by-hop, not mcpproxy's own API key, not the
/// `Origin` that only mcpproxy had to check.
fn forwardable(headers: &HeaderMap, api_key: &str) -> HeaderMap {
    let our_bearer = format!("Bearer {api_key}");
    headers
        .iter()
        .filter(|(name, value)| {
            let name = name.as_str();
            !HOP_BY_HOP.contains(&name)
                && name != "x-api-key"
                && name != "origin"
                && !(name == header::AUTHORIZATION.as_str()
                    && !api_key.is_empty()
                    && *value == our_bearer.as_str())
        })
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect()
}

/// The tool and arguments of a `tools/call` request body, for the activity feed.
fn tool_call(body: &[u8]) -> Option<(String, Option<serde_json::Map<String, serde_json::Value>>)> {
    let message: serde_json::Value = serde_json::from_slice(body).ok()?;
    if message.get("method")?.as_str()? != "tools/call" {
        return None;
    }
    let params = message.get("params")?;
    let tool = params.get("name")?.as_str()?.to_owned();
    Some((
        tool,
        params.get("arguments").and_then(|a| a.as_object()).cloned(),
    ))
}
