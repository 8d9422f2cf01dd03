//! Which call a streamable-HTTP upstream's log message belongs to.
//!
//! A streamable-HTTP server sends what belongs to a request on that request's own response
//! stream (the POST's SSE answer). rmcp's client marks the server-to-client *requests* that
//! arrive there with the id of the request whose stream carried them
//! ([`rmcp::service::InboundStreamOrigin`]), but not the notifications: by the time a log
//! message reaches the handler, where it came from is lost. This module keeps it:
//! each `notifications/message` on a POST's stream gets the POSTed request's id in its
//! `_meta` under [`RELATED_REQUEST_KEY`] ([`mark`], applied by the upstream HTTP client to
//! every POST's answer), which the handler reads, and removes before the message goes on to
//! a client.
//!
//! A response stream resumed with a GET after it broke (`Last-Event-ID`) is not marked, so
//! messages that arrive on it fall back to the rules for messages without a call.

use futures_util::StreamExt as _;
use rmcp::model::{ClientJsonRpcMessage, NotificationMetaObject, RequestId};
use rmcp::transport::common::client_side_sse::BoxedSseResponse;
use rmcp::transport::streamable_http_client::{StreamableHttpError, StreamableHttpPostResponse};
use serde_json::Value;

/// The `_meta` key that carries the id of the request whose response stream carried a
/// notification. mcpproxy's own: it never leaves the daemon.
pub const RELATED_REQUEST_KEY: &str = "dev.mcpproxy/relatedRequestId";

/// The id a notification was marked with, removed from its `_meta`.
pub fn take_related_request(meta: &mut NotificationMetaObject) -> Option<RequestId> {
    serde_json::from_value(meta.remove(RELATED_REQUEST_KEY)?).ok()
}

type PostResult<E> = Result<StreamableHttpPostResponse, StreamableHttpError<E>>;

/// The id of a request; notifications and responses get no stream of their own.
pub(in crate::upstream) fn request_id(message: &ClientJsonRpcMessage) -> Option<RequestId> {
    match message {
        ClientJsonRpcMessage::Request(request) => Some(request.id.clone()),
        _ => None,
    }
}

/// `response` with every log message on its stream (if it is one) marked as related to
/// request `id`.
pub(in crate::upstream) fn mark<E: std::error::Error + Send + Sync + 'static>(
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
