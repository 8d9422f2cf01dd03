//! Server-sent events: [`SseParser`] turns bytes into complete messages whatever the
//! chunking, and [`SseMessages`] runs it over an HTTP body. Every SSE reader in the crate
//! (the control client's event stream, the stdio bridge, the legacy SSE upstream) goes
//! through `SseMessages`.
//!
//! Lines end with `\n` or `\r\n` (a lone `\r` is not a line end here).

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Buf as _;
use futures_util::Stream;
use hyper::body::Body;

use crate::protocol::SseMessage;

/// Above this, the buffer of a finished long line is let go rather than kept for reuse.
const KEPT_BUFFER_BYTES: usize = 64 * 1024;

/// An event (or a line, comment lines included) grew past the parser's limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an event exceeded {limit} bytes")]
pub struct EventTooLarge {
    pub limit: usize,
}

/// An incremental SSE parser.
///
/// Each byte is looked at once: complete lines are parsed where they lie in the chunk,
/// and only an unfinished line is copied, to be completed by the next chunk (so whatever
/// is buffered never holds a line end, and a search never starts over). The data of the
/// event being read is built up directly, joined by `\n` as its lines come.
///
/// With [`SseParser::with_limit`], the bytes it holds (the unfinished line, whatever it
/// is, plus the data of the event being read) may not exceed the limit: a server sending
/// a line without end, even a comment, cannot grow memory without bound.
#[derive(Debug)]
pub struct SseParser {
    /// The unfinished line: the bytes after the last line end seen.
    line: Vec<u8>,
    /// `event:` of the event being read.
    event: Option<String>,
    /// The `data:` lines of the event being read, joined by `\n`.
    data: String,
    /// A `data:` line came (an empty one still makes an event, with empty data).
    has_data: bool,
    limit: usize,
    /// The limit was exceeded: the stream is out of step, every later `feed` fails too.
    failed: bool,
    /// Bytes searched for a line end, to show each is searched once.
    #[cfg(test)]
    scanned: usize,
}

impl Default for SseParser {
    fn default() -> Self {
        Self::with_limit(usize::MAX)
    }
}

impl SseParser {
    /// A parser that holds at most `max_event_bytes` (see [`SseParser`]).
    pub fn with_limit(max_event_bytes: usize) -> Self {
        Self {
            line: Vec::new(),
            event: None,
            data: String::new(),
            has_data: false,
            limit: max_event_bytes,
            failed: false,
            #[cfg(test)]
            scanned: 0,
        }
    }

    /// Feeds a chunk; the messages it completes are added to `out`, in order. On
    /// [`EventTooLarge`] the messages completed before the event that grew too large have
    /// been added; the parser lets go of what it held and fails from then on.
    pub fn feed(
        &mut self,
        chunk: &[u8],
        out: &mut impl Extend<SseMessage>,
    ) -> Result<(), EventTooLarge> {
        let result = self.feed_lines(chunk, out);
        if result.is_err() {
            self.failed = true;
            self.line = Vec::new();
            self.data = String::new();
            self.event = None;
        }
        result
    }

    fn feed_lines(
        &mut self,
        chunk: &[u8],
        out: &mut impl Extend<SseMessage>,
    ) -> Result<(), EventTooLarge> {
        if self.failed {
            return Err(self.too_large());
        }
        let mut rest = chunk;
        if !self.line.is_empty() {
            // Complete the unfinished line first; it holds no line end, so only the new
            // bytes are searched.
            let Some(end) = self.line_end(rest) else {
                return self.keep_unfinished(rest);
            };
            let mut line = std::mem::take(&mut self.line);
            line.extend_from_slice(&rest[..end]);
            let handled = self.handle_line(&line, out);
            if line.capacity() <= KEPT_BUFFER_BYTES {
                line.clear();
                self.line = line;
            }
            handled?;
            rest = &rest[end + 1..];
        }
        while let Some(end) = self.line_end(rest) {
            self.handle_line(&rest[..end], out)?;
            rest = &rest[end + 1..];
        }
        self.keep_unfinished(rest)
    }

    /// Where the first line end in `bytes` is.
    fn line_end(&mut self, bytes: &[u8]) -> Option<usize> {
        let end = bytes.iter().position(|b| *b == b'\n');
        #[cfg(test)]
        {
            self.scanned += end.map_or(bytes.len(), |end| end + 1);
        }
        end
    }

    /// Keeps the bytes of a line whose end has not come yet, within the limit.
    fn keep_unfinished(&mut self, bytes: &[u8]) -> Result<(), EventTooLarge> {
        if self.held().saturating_add(bytes.len()) > self.limit {
            return Err(self.too_large());
        }
        self.line.extend_from_slice(bytes);
        Ok(())
    }

    /// What the parser holds for the event being read.
    fn held(&self) -> usize {
        self.line.len() + self.data.len()
    }

    fn too_large(&self) -> EventTooLarge {
        EventTooLarge { limit: self.limit }
    }

    /// One line, without its `\n`.
    fn handle_line(
        &mut self,
        line: &[u8],
        out: &mut impl Extend<SseMessage>,
    ) -> Result<(), EventTooLarge> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            // A blank line ends the event; one without data is no message.
            if std::mem::take(&mut self.has_data) {
                out.extend(Some(SseMessage {
                    event: self.event.take().unwrap_or_else(|| "message".to_owned()),
                    data: std::mem::take(&mut self.data),
                }));
            }
            self.event = None;
            return Ok(());
        }
        if line[0] == b':' {
            // A comment.
            return Ok(());
        }
        let (field, value) = match line.iter().position(|b| *b == b':') {
            Some(colon) => (&line[..colon], &line[colon + 1..]),
            None => (line, &[][..]),
        };
        let value = value.strip_prefix(b" ").unwrap_or(value);
        match field {
            b"event" => self.event = Some(String::from_utf8_lossy(value).into_owned()),
            b"data" => {
                let joiner = usize::from(self.has_data);
                if self.data.len() + joiner + value.len() > self.limit {
                    return Err(self.too_large());
                }
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(&String::from_utf8_lossy(value));
                self.has_data = true;
            }
            _ => {}
        }
        Ok(())
    }
}

/// Reading an SSE body failed.
#[derive(Debug, thiserror::Error)]
pub enum SseReadError<E> {
    /// The body itself (the connection broke, say).
    #[error(transparent)]
    Body(E),
    /// An event grew past the parser's limit.
    #[error(transparent)]
    TooLarge(#[from] EventTooLarge),
}

/// The messages of an SSE body (a [`hyper::body::Incoming`], a `reqwest::Body`, any
/// [`Body`]), one at a time. Ends after the body ends or after the first error.
#[derive(Debug)]
pub struct SseMessages<B> {
    body: B,
    parser: SseParser,
    /// Messages completed by the last chunk and not yet handed out.
    ready: VecDeque<SseMessage>,
    /// Handed out once the messages before it have been.
    failure: Option<EventTooLarge>,
    done: bool,
}

/// The messages of `body`, with no limit on their size (for the daemon's own streams).
pub fn sse_messages<B>(body: B) -> SseMessages<B> {
    SseMessages::new(body, SseParser::default())
}

impl<B> SseMessages<B> {
    pub fn new(body: B, parser: SseParser) -> Self {
        Self {
            body,
            parser,
            ready: VecDeque::new(),
            failure: None,
            done: false,
        }
    }

    /// The messages of `body`, each at most `max_event_bytes` (see [`SseParser`]).
    pub fn with_limit(body: B, max_event_bytes: usize) -> Self {
        Self::new(body, SseParser::with_limit(max_event_bytes))
    }
}

impl<B> Stream for SseMessages<B>
where
    B: Body + Unpin,
{
    type Item = Result<SseMessage, SseReadError<B::Error>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(message) = this.ready.pop_front() {
                return Poll::Ready(Some(Ok(message)));
            }
            if let Some(failure) = this.failure.take() {
                this.done = true;
                return Poll::Ready(Some(Err(failure.into())));
            }
            if this.done {
                return Poll::Ready(None);
            }
            match ready!(Pin::new(&mut this.body).poll_frame(cx)) {
                None => this.done = true,
                Some(Err(e)) => {
                    this.done = true;
                    return Poll::Ready(Some(Err(SseReadError::Body(e))));
                }
                Some(Ok(frame)) => {
                    // Trailers and other frames carry no events.
                    let Ok(mut data) = frame.into_data() else {
                        continue;
                    };
                    while data.has_remaining() {
                        let chunk = data.chunk();
                        let len = chunk.len();
                        if let Err(e) = this.parser.feed(chunk, &mut this.ready) {
                            this.failure = Some(e);
                            break;
                        }
                        data.advance(len);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::time::{Duration, Instant};

    use bytes::Bytes;
    use futures_util::StreamExt as _;
    use http_body_util::StreamBody;
    use hyper::body::Frame;

    use super::*;

    fn feed_all(
        parser: &mut SseParser,
        chunks: &[&[u8]],
    ) -> Result<Vec<SseMessage>, EventTooLarge> {
        let mut got = Vec::new();
        for chunk in chunks {
            parser.feed(chunk, &mut got)?;
        }
        Ok(got)
    }

    #[test]
    fn splits_messages_across_any_chunking() {
        let stream = b"event: server\ndata: {\"a\":1}\n\n: comment\r\nevent: log\r\ndata: x\r\ndata: y\r\n\r\n";
        for split in 0..stream.len() {
            let mut parser = SseParser::default();
            let mut got = Vec::new();
            parser.feed(&stream[..split], &mut got).unwrap();
            parser.feed(&stream[split..], &mut got).unwrap();
            assert_eq!(
                got,
                vec![
                    SseMessage {
                        event: "server".into(),
                        data: "{\"a\":1}".into()
                    },
                    SseMessage {
                        event: "log".into(),
                        data: "x\ny".into()
                    },
                ],
                "split at {split}"
            );
        }
    }

    #[test]
    fn byte_by_byte_and_edge_cases() {
        // Events without data are no messages (and forget their name); an empty `data:`
        // is data; a field without a colon has an empty value; unknown fields are skipped.
        let stream = b"event: lost\nid: 1\n\ndata:\n\ndata\ndata:  two spaces\nretry: 5\n\n";
        let mut parser = SseParser::default();
        let mut got = Vec::new();
        for byte in stream {
            parser.feed(std::slice::from_ref(byte), &mut got).unwrap();
        }
        let data: Vec<(&str, &str)> = got
            .iter()
            .map(|m| (m.event.as_str(), m.data.as_str()))
            .collect();
        assert_eq!(data, [("message", ""), ("message", "\n two spaces")]);
        assert_eq!(parser.scanned, stream.len());
    }

    /// 16 MiB of data in one event, fed in 16 KiB chunks: each byte is searched for a line
    /// end once (the old parser searched its whole buffer again for every chunk, about
    /// 8 GiB of searching here, and took seconds).
    #[test]
    fn a_large_event_is_parsed_in_linear_time() {
        const EVENT: usize = 16 * 1024 * 1024;
        const CHUNK: usize = 16 * 1024;
        let mut stream = b"event: big\ndata: ".to_vec();
        stream.resize(stream.len() + EVENT, b'x');
        stream.extend_from_slice(b"\ndata: y\n\n");
        let mut parser = SseParser::with_limit(EVENT + 16);
        let mut got = Vec::new();
        let started = Instant::now();
        for chunk in stream.chunks(CHUNK) {
            parser.feed(chunk, &mut got).unwrap();
        }
        let took = started.elapsed();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].event, "big");
        assert_eq!(got[0].data.len(), EVENT + 2);
        assert!(got[0].data.ends_with("x\ny"));
        assert_eq!(parser.scanned, stream.len(), "each byte searched once");
        // Generous: this is well under a second even unoptimised on a busy machine.
        assert!(took < Duration::from_secs(5), "took {took:?}");
    }

    #[test]
    fn the_limit_counts_the_unfinished_line_and_the_data() {
        let limit = 100;
        // Events of most of the limit, one after another: each is let go when dispatched.
        let event = format!("data: {}\n\n", "x".repeat(limit - 10));
        let mut parser = SseParser::with_limit(limit);
        for _ in 0..4 {
            assert_eq!(feed_all(&mut parser, &[event.as_bytes()]).unwrap().len(), 1);
        }
        let event = format!("data: {}\r\n\r\n", "x".repeat(limit - 10));
        for _ in 0..4 {
            assert_eq!(feed_all(&mut parser, &[event.as_bytes()]).unwrap().len(), 1);
        }
        // Data lines add up across lines and chunks.
        let half = format!("data: {}\n", "x".repeat(limit / 2));
        let mut parser = SseParser::with_limit(limit);
        let error = feed_all(&mut parser, &[half.as_bytes(), half.as_bytes()]).unwrap_err();
        assert_eq!(error, EventTooLarge { limit });
        // After that it stays failed: the stream is out of step.
        assert!(parser.feed(b"\n", &mut Vec::new()).is_err());
        // Within one chunk too, and what came before the big event is still handed out.
        let mut parser = SseParser::with_limit(limit);
        let mut got = Vec::new();
        let chunk = format!("data: small\n\n{half}{half}\n");
        assert!(parser.feed(chunk.as_bytes(), &mut got).is_err());
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].data, "small");
    }

    #[test]
    fn complete_comment_lines_are_dropped_but_an_endless_one_is_refused() {
        let limit = 100;
        let comment = format!(": {}\n", "x".repeat(limit - 10));
        let mut parser = SseParser::with_limit(limit);
        for _ in 0..10 {
            feed_all(&mut parser, &[comment.as_bytes()]).unwrap();
        }
        // `:` and then bytes without end, in small chunks: refused once past the limit,
        // with no more than the limit held.
        let mut parser = SseParser::with_limit(limit);
        parser.feed(b":", &mut Vec::new()).unwrap();
        let mut fed = 1;
        let error = loop {
            match parser.feed(&[b'x'; 7], &mut Vec::new()) {
                Ok(()) => fed += 7,
                Err(e) => break e,
            }
            assert!(parser.held() <= limit);
        };
        assert_eq!(error, EventTooLarge { limit });
        assert!(fed <= limit && fed + 7 > limit, "refused at {fed}");
    }

    fn body(
        chunks: Vec<Result<&'static [u8], std::io::Error>>,
    ) -> StreamBody<impl Stream<Item = Result<Frame<Bytes>, std::io::Error>> + Unpin> {
        StreamBody::new(futures_util::stream::iter(
            chunks
                .into_iter()
                .map(|chunk| chunk.map(|c| Frame::data(Bytes::from_static(c)))),
        ))
    }

    #[tokio::test]
    async fn messages_of_a_body() {
        let messages: Vec<_> = sse_messages(body(vec![
            Ok(b"data: 1\n\nda"),
            Ok(b"ta: 2\n\n"),
            Err(std::io::Error::other("broken")),
            Ok(b"data: never\n\n"),
        ]))
        .collect()
        .await;
        assert_eq!(messages.len(), 3, "{messages:?}");
        assert_eq!(messages[0].as_ref().unwrap().data, "1");
        assert_eq!(messages[1].as_ref().unwrap().data, "2");
        assert!(matches!(messages[2], Err(SseReadError::Body(_))));

        // Messages before an oversized event come first, then the error, then the end.
        let messages: Vec<_> =
            SseMessages::with_limit(body(vec![Ok(b"data: ok\n\n: endless comment")]), 12)
                .collect()
                .await;
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert_eq!(messages[0].as_ref().unwrap().data, "ok");
        assert!(matches!(
            messages[1],
            Err(SseReadError::TooLarge(EventTooLarge { limit: 12 }))
        ));
    }
}
