//! What can go wrong talking to a legacy SSE server, sorted so the supervisor can decide
//! between "ask for credentials", "try another transport" and "retry later".

use std::time::Duration;

use reqwest::StatusCode;

#[derive(Debug, thiserror::Error)]
pub enum SseError {
    #[error("invalid SSE URL {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("invalid header {name:?}: {reason}")]
    InvalidHeader { name: String, reason: String },
    #[error("cannot build the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
    /// The GET never got an HTTP answer (refused, DNS, TLS, reset).
    #[error("cannot open the SSE stream at {url}: {source}")]
    Connect {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    /// The GET was answered with a non-success status.
    #[error("GET {url} answered {status}{}", detail(body))]
    OpenStatus {
        url: String,
        status: StatusCode,
        /// Kept so an OAuth flow can read the challenge off a 401.
        www_authenticate: Option<String>,
        body: String,
    },
    /// The GET succeeded but is not an event stream: most likely not an SSE server.
    #[error("GET {url} answered Content-Type {content_type:?}, not text/event-stream")]
    NotEventStream { url: String, content_type: String },
    /// No `endpoint` event (nor even an HTTP answer) within the connect timeout.
    #[error("no endpoint event from {url} within {timeout:?}")]
    EndpointTimeout { url: String, timeout: Duration },
    /// The server closed the stream before sending the `endpoint` event.
    #[error("the SSE stream from {url} ended before the endpoint event")]
    StreamEnded { url: String },
    /// Reading the stream failed midway.
    #[error("reading the SSE stream failed: {source}")]
    Stream {
        #[source]
        source: reqwest::Error,
    },
    /// The server sent something we cannot use: an unparsable endpoint, an oversized event.
    #[error("bad message from the SSE server: {reason}")]
    BadMessage { reason: String },
    /// Posting to another origin would hand our headers (credentials) to a third party.
    #[error("the endpoint {endpoint} is not on the SSE URL's origin ({sse_url})")]
    ForeignEndpoint { endpoint: String, sse_url: String },
    /// A POST never got an HTTP answer.
    #[error("POST {url} failed: {source}")]
    Post {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    /// A POST was answered with a non-success status.
    #[error("POST {url} answered {status}{}", detail(body))]
    PostStatus {
        url: String,
        status: StatusCode,
        www_authenticate: Option<String>,
        body: String,
    },
    #[error("cannot encode a JSON-RPC message: {0}")]
    Encode(#[source] serde_json::Error),
    #[error("the SSE transport is closed")]
    Closed,
}

fn detail(body: &str) -> String {
    if body.is_empty() {
        String::new()
    } else {
        format!(": {body}")
    }
}

impl SseError {
    /// The HTTP status the server answered, for the variants that have one.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::OpenStatus { status, .. } | Self::PostStatus { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// 401 or 403 on the GET or a POST: credentials are missing, wrong or insufficient.
    pub fn is_unauthorized(&self) -> bool {
        matches!(
            self.status(),
            Some(StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN)
        )
    }

    /// The URL does not serve a legacy SSE stream (404/405 on the GET, or a response that is
    /// not `text/event-stream`), so retrying as SSE is pointless.
    pub fn is_not_sse(&self) -> bool {
        match self {
            Self::OpenStatus { status, .. } => {
                matches!(
                    *status,
                    StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED
                )
            }
            Self::NotEventStream { .. } => true,
            _ => false,
        }
    }

    /// The server was too slow: no endpoint in time, or a request timed out.
    pub fn is_timeout(&self) -> bool {
        match self {
            Self::EndpointTimeout { .. } => true,
            Self::Connect { source, .. } | Self::Post { source, .. } | Self::Stream { source } => {
                source.is_timeout()
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open_status(status: StatusCode) -> SseError {
        SseError::OpenStatus {
            url: "http://h/sse".into(),
            status,
            www_authenticate: None,
            body: String::new(),
        }
    }

    #[test]
    fn classifies_statuses() {
        assert!(open_status(StatusCode::UNAUTHORIZED).is_unauthorized());
        assert!(open_status(StatusCode::FORBIDDEN).is_unauthorized());
        assert!(!open_status(StatusCode::FORBIDDEN).is_not_sse());
        assert!(open_status(StatusCode::NOT_FOUND).is_not_sse());
        assert!(open_status(StatusCode::METHOD_NOT_ALLOWED).is_not_sse());
        assert!(!open_status(StatusCode::INTERNAL_SERVER_ERROR).is_not_sse());
        assert!(!open_status(StatusCode::INTERNAL_SERVER_ERROR).is_unauthorized());
        let post = SseError::PostStatus {
            url: "http://h/messages".into(),
            status: StatusCode::UNAUTHORIZED,
            www_authenticate: None,
            body: "nope".into(),
        };
        assert!(post.is_unauthorized());
        assert!(
            !post.is_not_sse(),
            "a failing POST says nothing about the GET"
        );
        assert_eq!(
            post.to_string(),
            "POST http://h/messages answered 401 Unauthorized: nope"
        );
        let not_stream = SseError::NotEventStream {
            url: "http://h/sse".into(),
            content_type: "application/json".into(),
        };
        assert!(not_stream.is_not_sse());
        assert!(
            SseError::EndpointTimeout {
                url: "http://h/sse".into(),
                timeout: Duration::from_secs(1)
            }
            .is_timeout()
        );
    }
}
