//! Which call a streamable-HTTP upstream's log message belongs to.
//!
//! A streamable-HTTP server sends what belongs to a request on that request's own response
//! stream (the POST's SSE answer). rmcp's client marks the server-to-client *requests* that
//! arrive there with the id of the request whose stream carried them
//! ([`rmcp::service::InboundStreamOrigin`]), but not the notifications: by the time a log
//! message reaches the handler, where it came from is lost. This client wrapper keeps it:
//! each `notifications/message` on a POST's stream gets the POSTed request's id in its
//! `_meta` under [`RELATED_REQUEST_KEY`], which the handler reads, and removes before the
//! message goes on to a client.
//!
//! A response stream resumed with a GET after it broke (`Last-Event-ID`) is not marked, so
//! messages that arrive on it fall back to the rules for messages without a call.

use std::collections::HashMap;
use std::sync::Arc;

use futures_util::StreamExt as _;
use reqwest::header::{HeaderName, HeaderValue};
use rmcp::model::{ClientJsonRpcMessage, NotificationMetaObject, RequestId};
use rmcp::transport::common::client_side_sse::BoxedSseResponse;
use rmcp::transport::streamable_http_client::{
    StreamableHttpClient, StreamableHttpError, StreamableHttpPostResponse,
    StreamableHttpResponseLimits,
};
use serde_json::Value;

/// The `_meta` key that carries the id of the request whose response stream carried a
/// notification. mcpproxy's own: it never leaves the daemon.
pub const RELATED_REQUEST_KEY: &str = "dev.mcpproxy/relatedRequestId";

/// The id a notification was marked with, removed from its `_meta`.
pub fn take_related_request(meta: &mut NotificationMetaObject) -> Option<RequestId> {
    serde_json::from_value(meta.remove(RELATED_REQUEST_KEY)?).ok()
}

type PostResult<E> = Result<StreamableHttpPostResponse, StreamableHttpError<E>>;

/// A streamable-HTTP client that marks log messages on a request's response stream with
/// that request's id; everything else is `C`'s.
#[derive(Debug, Clone)]
pub struct Related<C>(C);

impl<C> Related<C> {
    pub fn new(client: C) -> Self {
        Self(client)
    }
}

/// The id of a request; notifications and responses get no stream of their own.
fn request_id(message: &ClientJsonRpcMessage) -> Option<RequestId> {
    match message {
        ClientJsonRpcMessage::Request(request) => Some(request.id.clone()),
        _ => None,
    }
}

fn mark<E: std::error::Error + Send + Sync + 'static>(
    id: Option<RequestId>,
    response: PostResult<E>,
) -> PostResult<E> {
    match (id, response) {
        (Some(id), Ok(StreamableHttpPostResponse::Sse(stream, session))) => {
            Ok(StreamableHttpPostResponse::Sse(marked(stream, id), session))
        }
        (_, other) => other,
    }
}

/// `stream` with every log message marked as related to request `id`.
fn marked(stream: BoxedSseResponse, id: RequestId) -> BoxedSseResponse {
    let id = serde_json::to_value(&id).unwrap_or(Value::Null);
    stream
        .map(move |event| {
            event.map(|mut event| {
                if let Some(data) = &mut event.data
                    && let Some(marked) = mark_log_message(data, &id)
                {
                    *data = marked;
                }
                event
            })
        })
        .boxed()
}

/// `data` with the related request in `params._meta`, when it is a log message.
fn mark_log_message(data: &str, id: &Value) -> Option<String> {
    // Most events are responses and progress: a cheap look before parsing.
    if !data.contains("notifications/message") {
        return None;
    }
    let mut message: Value = serde_json::from_str(data).ok()?;
    if message.get("method")? != "notifications/message" || message.get("id").is_some() {
        return None;
    }
    let params = message.get_mut("params")?.as_object_mut()?;
    let meta = params
        .entry("_meta")
        .or_insert_with(|| Value::Object(serde_json::Map::new()))
        .as_object_mut()?;
    meta.insert(RELATED_REQUEST_KEY.to_owned(), id.clone());
    serde_json::to_string(&message).ok()
}

impl<C: StreamableHttpClient + Sync> StreamableHttpClient for Related<C> {
    type Error = C::Error;

    async fn post_message(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> PostResult<Self::Error> {
        let id = request_id(&message);
        let response = self
            .0
            .post_message(uri, message, session_id, auth_header, custom_headers)
            .await;
        mark(id, response)
    }

    async fn post_message_with_max_sse_event_size(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        max_sse_event_size: usize,
    ) -> PostResult<Self::Error> {
        let id = request_id(&message);
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
        mark(id, response)
    }

    async fn post_message_with_response_limits(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        limits: StreamableHttpResponseLimits,
    ) -> PostResult<Self::Error> {
        let id = request_id(&message);
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
        mark(id, response)
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn log_messages_are_marked_and_the_mark_is_taken_off_again() {
        let log = json!({"jsonrpc": "2.0", "method": "notifications/message",
            "params": {"level": "info", "data": "step 1", "_meta": {"trace": "t"}}});
        let marked: Value =
            serde_json::from_str(&mark_log_message(&log.to_string(), &json!(7)).unwrap()).unwrap();
        let mut meta: NotificationMetaObject =
            serde_json::from_value(marked["params"]["_meta"].clone()).unwrap();
        assert_eq!(take_related_request(&mut meta), Some(RequestId::Number(7)));
        assert_eq!(
            serde_json::to_value(&meta).unwrap(),
            json!({"trace": "t"}),
            "the mark leaves the rest as it was"
        );
        assert_eq!(marked["params"]["data"], "step 1");
    }

    #[test]
    fn other_messages_pass_unmarked() {
        for message in [
            json!({"jsonrpc": "2.0", "id": 1, "result": {"content": [{"type": "text",
                "text": "notifications/message"}]}}),
            json!({"jsonrpc": "2.0", "method": "notifications/progress",
                "params": {"progressToken": 1, "progress": 1}}),
        ] {
            assert_eq!(mark_log_message(&message.to_string(), &json!(1)), None);
        }
    }
}
