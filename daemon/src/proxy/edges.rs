//! The HTTP edges of the MCP surfaces rmcp serves, where its answers are not what clients
//! expect:
//!
//! - a POST whose body is not JSON gets 415 and a plain-text body from rmcp; clients expect
//!   400 with a JSON-RPC error (-32700 parse error, or -32600 when it is JSON but not a
//!   JSON-RPC message);
//! - a DELETE that ends a session gets 202 from rmcp, which the Python SDK reports as
//!   "Session termination failed: 202"; it gets 204 here, and a session that does not
//!   exist gets 404, as the spec has it.
//!
//! Everything else passes to rmcp as it is.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse as _, Response};
use rmcp::transport::StreamableHttpService;
use rmcp::transport::streamable_http_server::session::{SessionId, SessionManager};
use serde_json::json;
use tower::ServiceExt as _;

/// JSON-RPC: the body is not JSON.
const PARSE_ERROR: i32 = -32700;
/// JSON-RPC: the body is JSON but no valid request, notification or response.
const INVALID_REQUEST: i32 = -32600;
/// What the MCP SDKs answer for a session they do not know.
const SESSION_NOT_FOUND: i32 = -32001;

/// One rmcp-served MCP endpoint and the session manager behind it.
pub struct Endpoint<S, M> {
    service: StreamableHttpService<S, M>,
    sessions: Arc<M>,
}

impl<S, M> Clone for Endpoint<S, M> {
    fn clone(&self) -> Self {
        Self {
            service: self.service.clone(),
            sessions: Arc::clone(&self.sessions),
        }
    }
}

impl<S, M> Endpoint<S, M>
where
    S: rmcp::ServerHandler + Send + 'static,
    M: SessionManager,
{
    pub fn new(service: StreamableHttpService<S, M>, sessions: Arc<M>) -> Self {
        Self { service, sessions }
    }

    /// Serves one request to this endpoint.
    pub async fn handle(self, request: Request) -> Response {
        match *request.method() {
            Method::POST => self.post(request).await,
            Method::DELETE => self.delete(request).await,
            _ => self.pass(request).await,
        }
    }

    async fn pass(&self, request: Request) -> Response {
        match self.service.clone().oneshot(request).await {
            Ok(response) => response.map(Body::new),
            Err(never) => match never {},
        }
    }

    /// rmcp checks the content type before it parses, so a 415 for a request that declared
    /// JSON means the body did not parse; the body says which error that is.
    async fn post(&self, request: Request) -> Response {
        let declares_json = is_json(request.headers());
        let (parts, body) = request.into_parts();
        let limit = self.service.config.max_request_body_bytes;
        let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
            return rpc_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                INVALID_REQUEST,
                format!("the request body is larger than {limit} bytes"),
            );
        };
        let response = self
            .pass(Request::from_parts(parts, Body::from(bytes.clone())))
            .await;
        if declares_json && response.status() == StatusCode::UNSUPPORTED_MEDIA_TYPE {
            return unparsable(&bytes);
        }
        response
    }

    async fn delete(&self, request: Request) -> Response {
        let session = request
            .headers()
            .get("mcp-session-id")
            .and_then(|v| v.to_str().ok())
            .map(|id| SessionId::from(id.to_owned()));
        if let Some(session) = &session
            && !self.sessions.has_session(session).await.unwrap_or(true)
        {
            return rpc_error(
                StatusCode::NOT_FOUND,
                SESSION_NOT_FOUND,
                format!("no MCP session {session}: it ended already, or never began"),
            );
        }
        let response = self.pass(request).await;
        if response.status() == StatusCode::ACCEPTED {
            return StatusCode::NO_CONTENT.into_response();
        }
        response
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

/// The 400 for a body rmcp could not read as a JSON-RPC message.
fn unparsable(body: &Bytes) -> Response {
    match serde_json::from_slice::<serde::de::IgnoredAny>(body) {
        Err(error) => rpc_error(
            StatusCode::BAD_REQUEST,
            PARSE_ERROR,
            format!("Parse error: the request body is not JSON ({error})"),
        ),
        Ok(_) => rpc_error(
            StatusCode::BAD_REQUEST,
            INVALID_REQUEST,
            "Invalid Request: the body is JSON but not a JSON-RPC request, notification or \
             response",
        ),
    }
}

fn rpc_error(status: StatusCode, code: i32, message: impl Into<String>) -> Response {
    let body = json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": {"code": code, "message": message.into()},
    });
    (status, axum::Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_of(response: Response) -> serde_json::Value {
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[tokio::test]
    async fn a_body_that_is_not_json_is_a_parse_error() {
        let response = unparsable(&Bytes::from_static(b"{bad json"));
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let body = body_of(response).await;
        assert_eq!(body["error"]["code"], PARSE_ERROR);
        assert_eq!(body["id"], serde_json::Value::Null);
    }

    #[tokio::test]
    async fn json_that_is_no_message_is_an_invalid_request() {
        let body = body_of(unparsable(&Bytes::from_static(b"{\"hello\": 1}"))).await;
        assert_eq!(body["error"]["code"], INVALID_REQUEST);
    }
}
