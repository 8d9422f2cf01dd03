//! Reading the SSE stream: response bytes to bounded events (the parser's limit), and
//! `message` events to JSON-RPC messages on a bounded channel.

use futures_util::StreamExt as _;
use rmcp::model::ServerJsonRpcMessage;
use tokio::sync::mpsc;

use super::SseError;
use crate::protocol::SseMessage;
use crate::sse::{SseMessages, SseReadError};

/// The largest event we hold in memory. Big enough for tool results carrying images, small
/// enough that a misbehaving server cannot grow the daemon without bound. The parser
/// enforces it as it reads, and counts any unfinished line (a comment without end too).
pub(super) const MAX_EVENT_BYTES: usize = 16 * 1024 * 1024;

/// How much of a rejected message goes into the log.
const LOGGED_DATA_CHARS: usize = 200;

/// Events off the GET response, one at a time.
pub(super) struct EventReader {
    messages: SseMessages<reqwest::Body>,
}

impl EventReader {
    pub(super) fn new(response: reqwest::Response) -> Self {
        Self {
            messages: SseMessages::with_limit(response.into(), MAX_EVENT_BYTES),
        }
    }

    /// The next complete event; `Ok(None)` once the server ends the stream. Cancel-safe.
    pub(super) async fn next_event(&mut self) -> Result<Option<SseMessage>, SseError> {
        match self.messages.next().await {
            None => Ok(None),
            Some(Ok(event)) => Ok(Some(event)),
            Some(Err(SseReadError::Body(source))) => Err(SseError::Stream { source }),
            Some(Err(SseReadError::TooLarge(e))) => Err(SseError::BadMessage {
                reason: e.to_string(),
            }),
        }
    }
}

/// Forwards each `message` event as a JSON-RPC message until the stream ends, fails, or the
/// transport stops listening. Dropping `sink` on return is what makes `receive` yield `None`.
pub(super) async fn forward_messages(
    mut reader: EventReader,
    sink: mpsc::Sender<ServerJsonRpcMessage>,
    sse_url: String,
) {
    loop {
        let event = tokio::select! {
            event = reader.next_event() => event,
            () = sink.closed() => return,
        };
        let event = match event {
            Ok(Some(event)) => event,
            Ok(None) => {
                tracing::info!(url = %sse_url, "the server ended the SSE stream");
                return;
            }
            Err(error) => {
                tracing::warn!(url = %sse_url, %error, "the SSE stream failed");
                return;
            }
        };
        match event.event.as_str() {
            "message" => match serde_json::from_str::<ServerJsonRpcMessage>(&event.data) {
                // Awaiting here is the backpressure: a slow consumer stalls the stream
                // rather than growing a queue.
                Ok(message) => {
                    if sink.send(message).await.is_err() {
                        return;
                    }
                }
                Err(error) => tracing::warn!(
                    url = %sse_url,
                    %error,
                    data = %truncated(&event.data),
                    "skipping an SSE message that is not a JSON-RPC message"
                ),
            },
            "endpoint" => {
                tracing::debug!(url = %sse_url, "ignoring a repeated endpoint event");
            }
            other => tracing::debug!(url = %sse_url, event = other, "ignoring an SSE event"),
        }
    }
}

fn truncated(data: &str) -> String {
    match data.char_indices().nth(LOGGED_DATA_CHARS) {
        Some((cut, _)) => format!("{}…", &data[..cut]),
        None => data.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_logged_data_on_char_boundaries() {
        assert_eq!(truncated("short"), "short");
        let long = "é".repeat(LOGGED_DATA_CHARS + 5);
        assert_eq!(truncated(&long).chars().count(), LOGGED_DATA_CHARS + 1);
    }
}
