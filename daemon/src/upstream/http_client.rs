//! The HTTP client behind streamable-HTTP upstreams: rmcp's reqwest client, except that it
//! also recognises a server that rejects an unknown session with something other than 404.
//!
//! rmcp re-initialises a session and retries the request once when a POST that carried a
//! session id gets HTTP 404, the answer the spec prescribes. Some servers answer 400 with an
//! id-less JSON-RPC error instead (the TypeScript SDK's examples, and so `server-everything`:
//! `{"jsonrpc":"2.0","error":{"code":-32000,"message":"Bad Request: No valid session ID
//! provided"}}`). rmcp hands that error on as a response, nothing can correlate it with the
//! request, and the call hangs until its timeout: every call after such a server restarts.
//!
//! Every method delegates to the same method of `reqwest::Client`, so the response limits
//! and SSE event-size limits rmcp passes in are still enforced by the reqwest client.

use std::collections::HashMap;
use std::sync::Arc;

use reqwest::header::{HeaderName, HeaderValue};
use rmcp::model::{ClientJsonRpcMessage, ServerJsonRpcMessage};
use rmcp::transport::common::client_side_sse::BoxedSseResponse;
use rmcp::transport::streamable_http_client::{
    StreamableHttpClient, StreamableHttpError, StreamableHttpPostResponse,
    StreamableHttpResponseLimits,
};

type PostResult = Result<StreamableHttpPostResponse, StreamableHttpError<reqwest::Error>>;

/// `reqwest::Client` as rmcp's streamable-HTTP client, treating an id-less JSON-RPC error
/// to a POST on a session as an expired session.
#[derive(Debug, Clone)]
pub struct UpstreamHttpClient(reqwest::Client);

impl UpstreamHttpClient {
    pub fn new(client: reqwest::Client) -> Self {
        Self(client)
    }
}

/// Turns an id-less JSON-RPC error to a POST that carried a session id into
/// [`StreamableHttpError::SessionExpired`], so rmcp re-initialises and retries the request
/// once. Such an error cannot be correlated with the request anyway (the request is left
/// waiting for an answer that never comes); a server that gives no id to an error about a
/// request it could read is rejecting the session, not the request. Without a session
/// (initialize, `server/discover`) the error is passed on: there is nothing to renew, and
/// rmcp classifies discovery rejections itself.
fn session_rejection_as_expiry(session_was_attached: bool, response: PostResult) -> PostResult {
    match response {
        Ok(StreamableHttpPostResponse::Json(ServerJsonRpcMessage::Error(error), _))
            if session_was_attached && error.id.is_none() =>
        {
            tracing::debug!(
                code = error.error.code.0,
                message = %error.error.message,
                "id-less JSON-RPC error to a POST on a session; treating the session as expired"
            );
            Err(StreamableHttpError::SessionExpired)
        }
        other => other,
    }
}

impl StreamableHttpClient for UpstreamHttpClient {
    type Error = reqwest::Error;

    async fn post_message(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> PostResult {
        let session_was_attached = session_id.is_some();
        let response = self
            .0
            .post_message(uri, message, session_id, auth_header, custom_headers)
            .await;
        session_rejection_as_expiry(session_was_attached, response)
    }

    async fn post_message_with_max_sse_event_size(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        max_sse_event_size: usize,
    ) -> PostResult {
        let session_was_attached = session_id.is_some();
        let response = self
            .0
            .post_message_with_max_sse_event_size(
                uri,
                message,
                session_id,
                auth_header,
                custom_headers,
                max_sse_event_size,
            )
            .await;
        session_rejection_as_expiry(session_was_attached, response)
    }

    async fn post_message_with_response_limits(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        limits: StreamableHttpResponseLimits,
    ) -> PostResult {
        let session_was_attached = session_id.is_some();
        let response = self
            .0
            .post_message_with_response_limits(
                uri,
                message,
                session_id,
                auth_header,
                custom_headers,
                limits,
            )
            .await;
        session_rejection_as_expiry(session_was_attached, response)
    }

    async fn delete_session(
        &self,
        uri: Arc<str>,
        session_id: Arc<str>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<(), StreamableHttpError<Self::Error>> {
        self.0
            .delete_session(uri, session_id, auth_header, custom_headers)
            .await
    }

    async fn get_stream(
        &self,
        uri: Arc<str>,
        session_id: Option<Arc<str>>,
        last_event_id: Option<String>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<BoxedSseResponse, StreamableHttpError<Self::Error>> {
        self.0
            .get_stream(uri, session_id, last_event_id, auth_header, custom_headers)
            .await
    }

    async fn get_stream_with_max_sse_event_size(
        &self,
        uri: Arc<str>,
        session_id: Option<Arc<str>>,
        last_event_id: Option<String>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        max_sse_event_size: usize,
    ) -> Result<BoxedSseResponse, StreamableHttpError<Self::Error>> {
        self.0
            .get_stream_with_max_sse_event_size(
                uri,
                session_id,
                last_event_id,
                auth_header,
                custom_headers,
                max_sse_event_size,
            )
            .await
    }
}
