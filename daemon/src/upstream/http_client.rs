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
//!
//! Log messages on a POST's response stream are marked with the POSTed request's id
//! ([`super::routes::related`]), so each reaches the client whose call raised it.
//!
//! For a server behind OAuth it also carries the token: every request asks the server's
//! [`OAuthSession`] for it, and a 401 or a 403 `insufficient_scope` goes back to the session,
//! which may hand out a new token to retry with once (see [`crate::oauth::session`]).

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use reqwest::header::{HeaderName, HeaderValue};
use rmcp::model::{ClientJsonRpcMessage, ServerJsonRpcMessage};
use rmcp::transport::auth::AuthError;
use rmcp::transport::common::client_side_sse::BoxedSseResponse;
use rmcp::transport::streamable_http_client::{
    AuthRequiredError, StreamableHttpClient, StreamableHttpError, StreamableHttpPostResponse,
    StreamableHttpResponseLimits,
};

use super::routes::related;
use crate::oauth::{AuthState, OAuthError, OAuthSession};

type PostResult = Result<StreamableHttpPostResponse, StreamableHttpError<reqwest::Error>>;

type HttpError = StreamableHttpError<reqwest::Error>;

/// Requests one call may make: the first, a retry after a 401, and retries after step-ups.
const MAX_AUTH_ROUNDS: usize = 4;

/// `reqwest::Client` as rmcp's streamable-HTTP client, treating an id-less JSON-RPC error
/// to a POST on a session as an expired session, and carrying OAuth tokens.
#[derive(Debug, Clone)]
pub struct UpstreamHttpClient {
    client: reqwest::Client,
    oauth: Option<Arc<OAuthSession>>,
}

impl UpstreamHttpClient {
    pub fn new(client: reqwest::Client, oauth: Option<Arc<OAuthSession>>) -> Self {
        Self { client, oauth }
    }

    /// Runs `call` with the session's token, and again (with a new token) after a 401 or a
    /// 403 the session could answer. Without OAuth, `call` gets the configured header.
    async fn with_auth<T, F, Fut>(
        &self,
        configured: Option<String>,
        call: F,
    ) -> Result<T, HttpError>
    where
        F: Fn(Option<String>) -> Fut,
        Fut: Future<Output = Result<T, HttpError>>,
    {
        let Some(oauth) = &self.oauth else {
            return call(configured).await;
        };
        let mut token = oauth.token().await.map_err(|e| auth_error(oauth, e))?;
        let mut rounds = 1;
        loop {
            let result = call(token.clone()).await;
            let renewed = match &result {
                Err(StreamableHttpError::AuthRequired(refused)) if rounds < MAX_AUTH_ROUNDS => {
                    oauth
                        .unauthorized(token.as_deref(), &refused.www_authenticate_header)
                        .await
                }
                Err(StreamableHttpError::InsufficientScope(refused))
                    if rounds < MAX_AUTH_ROUNDS =>
                {
                    oauth
                        .insufficient_scope(&refused.www_authenticate_header)
                        .await
                }
                _ => return result,
            };
            match renewed {
                Ok(Some(fresh)) => token = Some(fresh),
                Ok(None) => return result,
                Err(e) => {
                    tracing::warn!(server = %oauth.server_url(), error = %e, "authorization failed");
                    return match result {
                        Err(refused @ StreamableHttpError::AuthRequired(_)) if e.needs_login() => {
                            Err(refused)
                        }
                        _ => Err(auth_error(oauth, e)),
                    };
                }
            }
            rounds += 1;
        }
    }

    /// Sends a POST through `send` (with the token), then reads the answer: an id-less error
    /// on a session is an expired session, and log messages on its stream are marked.
    async fn post<F, Fut>(
        &self,
        message: &ClientJsonRpcMessage,
        session_id: Option<&Arc<str>>,
        auth_header: Option<String>,
        send: F,
    ) -> PostResult
    where
        F: Fn(Option<String>) -> Fut,
        Fut: Future<Output = PostResult>,
    {
        let id = related::request_id(message);
        let response = self.with_auth(auth_header, send).await;
        related::mark(
            id,
            session_rejection_as_expiry(session_id.is_some(), response),
        )
    }
}

/// An authorization failure as rmcp's transport error: one that needs a login as the
/// server's challenge (so the handshake reports `needs_auth`), others as they are.
fn auth_error(oauth: &OAuthSession, error: OAuthError) -> HttpError {
    if error.needs_login() {
        let challenge = match oauth.state() {
            AuthState::NeedsLogin {
                challenge: Some(challenge),
                ..
            } => challenge,
            _ => "Bearer".to_owned(),
        };
        return StreamableHttpError::AuthRequired(AuthRequiredError::new(challenge));
    }
    match error {
        OAuthError::Protocol(e) => StreamableHttpError::Auth(e),
        other => StreamableHttpError::Auth(AuthError::InternalError(other.to_string())),
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
        self.post(&message, session_id.as_ref(), auth_header, |token| {
            self.client.post_message(
                uri.clone(),
                message.clone(),
                session_id.clone(),
                token,
                custom_headers.clone(),
            )
        })
        .await
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
        self.post(&message, session_id.as_ref(), auth_header, |token| {
            self.client.post_message_with_max_sse_event_size(
                uri.clone(),
                message.clone(),
                session_id.clone(),
                token,
                custom_headers.clone(),
                max_sse_event_size,
            )
        })
        .await
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
        self.post(&message, session_id.as_ref(), auth_header, |token| {
            self.client.post_message_with_response_limits(
                uri.clone(),
                message.clone(),
                session_id.clone(),
                token,
                custom_headers.clone(),
                limits,
            )
        })
        .await
    }

    async fn delete_session(
        &self,
        uri: Arc<str>,
        session_id: Arc<str>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<(), StreamableHttpError<Self::Error>> {
        self.with_auth(auth_header, |token| {
            self.client.delete_session(
                uri.clone(),
                session_id.clone(),
                token,
                custom_headers.clone(),
            )
        })
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
        self.with_auth(auth_header, |token| {
            self.client.get_stream(
                uri.clone(),
                session_id.clone(),
                last_event_id.clone(),
                token,
                custom_headers.clone(),
            )
        })
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
        self.with_auth(auth_header, |token| {
            self.client.get_stream_with_max_sse_event_size(
                uri.clone(),
                session_id.clone(),
                last_event_id.clone(),
                token,
                custom_headers.clone(),
                max_sse_event_size,
            )
        })
        .await
    }
}
