//! `/mcp/server/NAME` for a streamable-HTTP upstream: a reverse proxy. Requests and
//! responses pass through as bytes (sessions, SSE streams, both protocol eras, fields no
//! model knows, `_meta`, tasks), with the server's configured headers added and mcpproxy's
//! own credentials removed. Each client gets its own session with the upstream, exactly
//! as if it talked to the server directly.

mod gate_filter;

use std::sync::OnceLock;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse as _, Response};
use futures_util::TryStreamExt as _;

use crate::activity::CallRecord;
use crate::config::ServerConfig;
use crate::daemon::Daemon;
use crate::http::ApiFailure;
use crate::protocol::{CallOutcome, CallVariant, ErrorCode, ItemKind};
use crate::upstream::call::refuse_secrets;

/// Largest request body forwarded (JSON-RPC requests are small; uploads are not MCP).
const MAX_REQUEST_BODY: usize = 16 * 1024 * 1024;
/// Largest list answer read whole to be filtered by the catalog gate.
const MAX_LIST_BODY: usize = 16 * 1024 * 1024;

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
    let gated = gate_filter::Request::of(&body);
    if let gate_filter::Request::Use {
        kind,
        name: item,
        id,
    } = &gated
    {
        let shared = daemon.upstreams().server(name);
        let passed = shared.as_ref().map(|s| s.passed()).unwrap_or_default();
        let held = shared.as_ref().and_then(|s| s.held_item(*kind, item));
        if let Some(refusal) = gate_filter::refusal(*kind, item, id, name, &passed, held.as_ref()) {
            if *kind == ItemKind::Tool {
                let record =
                    CallRecord::start(daemon, None, name, item, CallVariant::Passthrough, None);
                record.ended(
                    CallOutcome::Refused,
                    Some("held back by the catalog gate".to_owned()),
                );
            }
            return (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                refusal,
            )
                .into_response();
        }
    }
    let call = tool_call(&body);
    if let (gate_filter::Request::Use { id, .. }, Some((tool, arguments))) = (&gated, &call)
        && let Err(error) = refuse_secrets(name, tool, server.block_secrets, arguments.as_ref())
    {
        let record = CallRecord::start(
            daemon,
            None,
            name,
            tool,
            CallVariant::Passthrough,
            arguments.as_ref(),
        );
        record.failed(&error);
        let message = match error.hint() {
            Some(hint) => format!("{error}. {hint}"),
            None => error.to_string(),
        };
        return (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            gate_filter::tool_error(id, &message),
        )
            .into_response();
    }
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
    let record = call.map(|(tool, arguments)| {
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
    let body = match gated {
        gate_filter::Request::List(kind) if upstream.status().is_success() => {
            let is_sse = upstream
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("text/event-stream"));
            let listed = match read_limited(upstream, MAX_LIST_BODY).await {
                Ok(listed) => listed,
                Err(e) => {
                    return ApiFailure::new(
                        StatusCode::BAD_GATEWAY,
                        ErrorCode::UpstreamError,
                        format!("server {name} sent a list mcpproxy could not read: {e}"),
                    )
                    .into_response();
                }
            };
            let passed = daemon
                .upstreams()
                .server(name)
                .map(|s| s.passed())
                .unwrap_or_default();
            Body::from(gate_filter::filter_body(&listed, is_sse, kind, &passed))
        }
        _ => Body::from_stream(upstream.bytes_stream().map_err(std::io::Error::other)),
    };
    response
        .body(body)
        .unwrap_or_else(|e| ApiFailure::internal(e.to_string()).into_response())
}

/// Reads a whole answer, refusing one larger than `limit`.
async fn read_limited(
    mut upstream: reqwest::Response,
    limit: usize,
) -> Result<bytes::Bytes, String> {
    let mut body = Vec::new();
    while let Some(chunk) = upstream.chunk().await.map_err(|e| e.to_string())? {
        if body.len() + chunk.len() > limit {
            return Err(format!("it is larger than {limit} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.into())
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
