//! Legacy HTTP+SSE client transport (MCP 2024-11-05).
//!
//! rmcp dropped its SSE client, so this is ours. The client holds one `GET` open as an event
//! stream; the server's first event, `endpoint`, names the URL the client `POST`s each
//! JSON-RPC message to, and every message from the server (responses included) comes back
//! as a `message` event on the stream. A background task reads the stream into a bounded
//! channel, which keeps `receive` cancel-safe (rmcp polls it in a `select!`) and lets a slow
//! consumer push back on the server instead of growing a queue.

mod error;
mod events;

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::Url;
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use rmcp::RoleClient;
use rmcp::model::{ClientJsonRpcMessage, ServerJsonRpcMessage};
use rmcp::transport::Transport;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

pub use self::error::SseError;
use self::events::{EventReader, forward_messages};

/// Messages read off the stream and not yet taken by `receive`. Small: the channel only
/// smooths bursts, the stream itself is the buffer.
const INCOMING_CAPACITY: usize = 32;

/// How much of an error response's body we keep for the error message (and how much of a
/// success's body we read to reuse its connection).
const ERROR_BODY_BYTES: usize = 512;

#[derive(Debug)]
pub struct SseClientTransport {
    /// Carries the configured headers, so the GET and every POST send them.
    http: reqwest::Client,
    endpoint: Url,
    /// Servers answer a POST at once (the reply comes on the stream), so the connect
    /// timeout bounds it too: a POST that hangs longer means a wedged server.
    post_timeout: Duration,
    incoming: mpsc::Receiver<ServerJsonRpcMessage>,
    reader_task: JoinHandle<()>,
    closed: bool,
}

impl SseClientTransport {
    /// Opens the SSE stream and waits (up to `timeout`) for the `endpoint` event.
    ///
    /// `headers` (e.g. `Authorization`) go on the GET and on every POST. The endpoint must
    /// be on the same origin as `url`, since it receives those headers.
    pub async fn connect(
        url: &str,
        headers: &BTreeMap<String, String>,
        timeout: Duration,
    ) -> Result<Self, SseError> {
        let sse_url = parse_sse_url(url)?;
        let http = build_http_client(headers)?;
        let handshake = async {
            let mut reader = open_stream(&http, &sse_url).await?;
            let endpoint = wait_for_endpoint(&mut reader, &sse_url).await?;
            Ok::<_, SseError>((reader, endpoint))
        };
        let (reader, endpoint) =
            tokio::time::timeout(timeout, handshake)
                .await
                .map_err(|_| SseError::EndpointTimeout {
                    url: sse_url.to_string(),
                    timeout,
                })??;
        tracing::debug!(url = %sse_url, %endpoint, "SSE stream open");

        let (sink, incoming) = mpsc::channel(INCOMING_CAPACITY);
        let reader_task = tokio::spawn(forward_messages(reader, sink, sse_url.to_string()));
        Ok(Self {
            http,
            endpoint,
            post_timeout: timeout,
            incoming,
            reader_task,
            closed: false,
        })
    }
}

impl Transport<RoleClient> for SseClientTransport {
    type Error = SseError;

    fn send(
        &mut self,
        item: ClientJsonRpcMessage,
    ) -> impl Future<Output = Result<(), SseError>> + Send + 'static {
        let http = self.http.clone();
        let endpoint = self.endpoint.clone();
        let post_timeout = self.post_timeout;
        let closed = self.closed;
        async move {
            if closed {
                return Err(SseError::Closed);
            }
            post_message(&http, endpoint, &item, post_timeout).await
        }
    }

    fn receive(&mut self) -> impl Future<Output = Option<ServerJsonRpcMessage>> + Send {
        self.incoming.recv()
    }

    async fn close(&mut self) -> Result<(), SseError> {
        // Dropping the response (with the task) closes the GET, which is how a legacy
        // server learns the session is over.
        self.closed = true;
        self.reader_task.abort();
        self.incoming.close();
        Ok(())
    }
}

impl Drop for SseClientTransport {
    fn drop(&mut self) {
        self.reader_task.abort();
    }
}

fn parse_sse_url(url: &str) -> Result<Url, SseError> {
    let parsed = Url::parse(url).map_err(|e| SseError::InvalidUrl {
        url: url.to_owned(),
        reason: e.to_string(),
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(SseError::InvalidUrl {
            url: url.to_owned(),
            reason: "the scheme must be http or https".into(),
        });
    }
    Ok(parsed)
}

fn build_http_client(headers: &BTreeMap<String, String>) -> Result<reqwest::Client, SseError> {
    let mut default_headers = HeaderMap::new();
    for (name, value) in headers {
        let invalid = |reason: String| SseError::InvalidHeader {
            name: name.clone(),
            reason,
        };
        let header_name =
            HeaderName::from_bytes(name.as_bytes()).map_err(|e| invalid(e.to_string()))?;
        let mut header_value = HeaderValue::from_str(value).map_err(|e| invalid(e.to_string()))?;
        // Keeps tokens out of debug output.
        header_value.set_sensitive(true);
        default_headers.insert(header_name, header_value);
    }
    // No overall request timeout on the client: it would cut the long-lived GET.
    reqwest::Client::builder()
        .default_headers(default_headers)
        .build()
        .map_err(SseError::Client)
}

async fn open_stream(http: &reqwest::Client, sse_url: &Url) -> Result<EventReader, SseError> {
    let response = http
        .get(sse_url.clone())
        .header(header::ACCEPT, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .send()
        .await
        .map_err(|source| SseError::Connect {
            url: sse_url.to_string(),
            source,
        })?;
    let status = response.status();
    if !status.is_success() {
        let www_authenticate = header_text(&response, header::WWW_AUTHENTICATE);
        return Err(SseError::OpenStatus {
            url: sse_url.to_string(),
            status,
            www_authenticate,
            body: body_prefix(response).await,
        });
    }
    // A missing Content-Type is tolerated; a different one means something else answered.
    if let Some(content_type) = header_text(&response, header::CONTENT_TYPE) {
        let media_type = content_type.split(';').next().unwrap_or_default().trim();
        if !media_type.eq_ignore_ascii_case("text/event-stream") {
            return Err(SseError::NotEventStream {
                url: sse_url.to_string(),
                content_type,
            });
        }
    }
    Ok(EventReader::new(response))
}

async fn wait_for_endpoint(reader: &mut EventReader, sse_url: &Url) -> Result<Url, SseError> {
    loop {
        let Some(event) = reader.next_event().await? else {
            return Err(SseError::StreamEnded {
                url: sse_url.to_string(),
            });
        };
        if event.event == "endpoint" {
            return resolve_endpoint(sse_url, &event.data);
        }
        // Nothing was posted yet, so there is nothing this could answer.
        tracing::warn!(url = %sse_url, event = %event.event, "ignoring an SSE event before the endpoint");
    }
}

/// The endpoint is usually relative (`/messages?sessionId=…`); it must stay on the SSE
/// URL's origin because it receives our headers.
fn resolve_endpoint(sse_url: &Url, data: &str) -> Result<Url, SseError> {
    let endpoint = sse_url
        .join(data.trim())
        .map_err(|e| SseError::BadMessage {
            reason: format!("the endpoint event's data {data:?} is not a URL: {e}"),
        })?;
    if endpoint.origin() != sse_url.origin() {
        return Err(SseError::ForeignEndpoint {
            endpoint: endpoint.to_string(),
            sse_url: sse_url.to_string(),
        });
    }
    Ok(endpoint)
}

async fn post_message(
    http: &reqwest::Client,
    endpoint: Url,
    message: &ClientJsonRpcMessage,
    post_timeout: Duration,
) -> Result<(), SseError> {
    let body = serde_json::to_vec(message).map_err(SseError::Encode)?;
    let response = http
        .post(endpoint)
        .header(header::CONTENT_TYPE, "application/json")
        .timeout(post_timeout)
        .body(body)
        .send()
        .await
        .map_err(|source| SseError::Post {
            // reqwest names the URL on the errors of a request it sent.
            url: source
                .url()
                .map_or_else(|| "the endpoint".to_owned(), Url::to_string),
            source,
        })?;
    let status = response.status();
    if status.is_success() {
        // Read the (tiny) body so the connection can go back to the pool; nothing in it
        // is needed, so nothing is kept.
        discard_body(response).await;
        return Ok(());
    }
    // Only a failure needs the details.
    Err(SseError::PostStatus {
        url: response.url().to_string(),
        status,
        www_authenticate: header_text(&response, header::WWW_AUTHENTICATE),
        body: body_prefix(response).await,
    })
}

fn header_text(response: &reqwest::Response, name: HeaderName) -> Option<String> {
    let value = response.headers().get(name)?;
    Some(String::from_utf8_lossy(value.as_bytes()).into_owned())
}

/// The start of a response body, for error messages; best effort, never unbounded.
async fn body_prefix(mut response: reqwest::Response) -> String {
    let mut body = Vec::new();
    while body.len() < ERROR_BODY_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            Ok(None) | Err(_) => break,
        }
    }
    body.truncate(ERROR_BODY_BYTES);
    String::from_utf8_lossy(&body).trim().to_owned()
}

/// Reads a body to its end and drops it; gives up (the connection is then not reused)
/// after [`ERROR_BODY_BYTES`], since a success carries next to nothing.
async fn discard_body(mut response: reqwest::Response) {
    let mut read = 0;
    while read < ERROR_BODY_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => read += chunk.len(),
            Ok(None) | Err(_) => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[test]
    fn resolves_relative_and_absolute_endpoints_on_the_same_origin() {
        let sse = url("http://127.0.0.1:8080/mcp/sse");
        assert_eq!(
            resolve_endpoint(&sse, "/messages?sessionId=abc")
                .unwrap()
                .as_str(),
            "http://127.0.0.1:8080/messages?sessionId=abc"
        );
        assert_eq!(
            resolve_endpoint(&sse, "messages?sessionId=abc\n")
                .unwrap()
                .as_str(),
            "http://127.0.0.1:8080/mcp/messages?sessionId=abc"
        );
        assert_eq!(
            resolve_endpoint(&sse, "http://127.0.0.1:8080/m?s=1")
                .unwrap()
                .as_str(),
            "http://127.0.0.1:8080/m?s=1"
        );
    }

    #[test]
    fn refuses_endpoints_on_another_origin() {
        let sse = url("http://127.0.0.1:8080/sse");
        for foreign in [
            "http://127.0.0.1:8081/messages",
            "https://127.0.0.1:8080/messages",
            "http://evil.example/messages",
            "//evil.example/messages",
        ] {
            let error = resolve_endpoint(&sse, foreign).unwrap_err();
            assert!(
                matches!(error, SseError::ForeignEndpoint { .. }),
                "{foreign}: {error}"
            );
        }
    }

    #[test]
    fn refuses_non_http_urls_and_bad_headers() {
        assert!(matches!(
            parse_sse_url("ftp://h/sse"),
            Err(SseError::InvalidUrl { .. })
        ));
        assert!(matches!(
            parse_sse_url("not a url"),
            Err(SseError::InvalidUrl { .. })
        ));
        let headers = BTreeMap::from([("Bad Name".to_owned(), "v".to_owned())]);
        assert!(matches!(
            build_http_client(&headers),
            Err(SseError::InvalidHeader { .. })
        ));
        let headers = BTreeMap::from([("X-Ok".to_owned(), "line\nbreak".to_owned())]);
        assert!(matches!(
            build_http_client(&headers),
            Err(SseError::InvalidHeader { .. })
        ));
    }
}
