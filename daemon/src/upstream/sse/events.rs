//! Reading the SSE stream: response bytes to bounded events, and `message` events to
//! JSON-RPC messages on a bounded channel.

use std::collections::VecDeque;

use rmcp::model::ServerJsonRpcMessage;
use tokio::sync::mpsc;

use super::SseError;
use crate::client::SseParser;
use crate::protocol::SseMessage;

/// The largest event we hold in memory. Big enough for tool results carrying images, small
/// enough that a misbehaving server cannot grow the daemon without bound.
pub(super) const MAX_EVENT_BYTES: usize = 16 * 1024 * 1024;

/// How much of a rejected message goes into the log.
const LOGGED_DATA_CHARS: usize = 200;

/// Events off the GET response, one at a time.
pub(super) struct EventReader {
    response: reqwest::Response,
    parser: SseParser,
    size: EventSizeGuard,
    /// Events completed by the last chunk and not yet handed out.
    ready: VecDeque<SseMessage>,
}

impl EventReader {
    pub(super) fn new(response: reqwest::Response) -> Self {
        Self {
            response,
            parser: SseParser::default(),
            size: EventSizeGuard::default(),
            ready: VecDeque::new(),
        }
    }

    /// The next complete event; `Ok(None)` once the server ends the stream.
    pub(super) async fn next_event(&mut self) -> Result<Option<SseMessage>, SseError> {
        loop {
            if let Some(event) = self.ready.pop_front() {
                return Ok(Some(event));
            }
            let Some(chunk) = self
                .response
                .chunk()
                .await
                .map_err(|source| SseError::Stream { source })?
            else {
                return Ok(None);
            };
            self.size.check(&chunk)?;
            self.ready.extend(self.parser.feed(&chunk));
        }
    }
}

/// Counts the bytes the parser is holding for the event being read (everything since the
/// last blank line, except comment lines, which it discards), since `SseParser` itself
/// buffers whatever it is given.
#[derive(Debug)]
struct EventSizeGuard {
    pending_bytes: usize,
    at_line_start: bool,
    in_comment: bool,
}

impl Default for EventSizeGuard {
    fn default() -> Self {
        Self {
            pending_bytes: 0,
            at_line_start: true,
            in_comment: false,
        }
    }
}

impl EventSizeGuard {
    fn check(&mut self, chunk: &[u8]) -> Result<(), SseError> {
        for &byte in chunk {
            match byte {
                b'\n' => {
                    if self.at_line_start {
                        // A blank line dispatches the event: the parser lets go of it.
                        self.pending_bytes = 0;
                    }
                    self.at_line_start = true;
                    self.in_comment = false;
                }
                b'\r' => {}
                b':' if self.at_line_start => {
                    self.at_line_start = false;
                    self.in_comment = true;
                }
                _ => {
                    self.at_line_start = false;
                    if !self.in_comment {
                        self.pending_bytes += 1;
                    }
                }
            }
        }
        if self.pending_bytes > MAX_EVENT_BYTES {
            return Err(SseError::BadMessage {
                reason: format!("an event exceeded {MAX_EVENT_BYTES} bytes"),
            });
        }
        Ok(())
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
    fn size_guard_resets_on_blank_lines() {
        let mut guard = EventSizeGuard::default();
        let event = format!("data: {}\n\n", "x".repeat(MAX_EVENT_BYTES / 2));
        for _ in 0..4 {
            guard.check(event.as_bytes()).unwrap();
        }
        // CRLF line ends dispatch too.
        let event = format!("data: {}\r\n\r\n", "x".repeat(MAX_EVENT_BYTES / 2));
        for _ in 0..4 {
            guard.check(event.as_bytes()).unwrap();
        }
    }

    #[test]
    fn size_guard_refuses_an_oversized_event_across_chunks() {
        let mut guard = EventSizeGuard::default();
        let half = format!("data: {}\n", "x".repeat(MAX_EVENT_BYTES / 2));
        guard.check(half.as_bytes()).unwrap();
        let error = guard.check(half.as_bytes()).unwrap_err();
        assert!(matches!(error, SseError::BadMessage { .. }), "{error}");
    }

    #[test]
    fn size_guard_ignores_comment_lines() {
        let mut guard = EventSizeGuard::default();
        let comment = format!(": {}\n", "x".repeat(MAX_EVENT_BYTES / 2));
        for _ in 0..4 {
            guard.check(comment.as_bytes()).unwrap();
        }
    }

    #[test]
    fn truncates_logged_data_on_char_boundaries() {
        assert_eq!(truncated("short"), "short");
        let long = "é".repeat(LOGGED_DATA_CHARS + 5);
        assert_eq!(truncated(&long).chars().count(), LOGGED_DATA_CHARS + 1);
    }
}
