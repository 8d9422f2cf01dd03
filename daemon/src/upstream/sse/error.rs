//! What can go wrong talking to a legacy SSE server. The supervisor tells one case apart:
//! refused credentials ([`SseError::is_unauthorized`], with the server's challenge from
//! [`SseError::www_authenticate`]) mean waiting for a login; anything else is retried later.

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

    /// The `WWW-Authenticate` challenge the server sent with a refusal, if it sent one (an
    /// OAuth flow reads the resource metadata off it).
    pub fn www_authenticate(&self) -> Option<&str> {
        match self {
            Self::OpenStatus {
                www_authenticate, ..
            }
            | Self::PostStatus {
                www_authenticate, ..
            } => www_authenticate.as_deref().filter(|c| !c.is_empty()),
            _ => None,
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
        assert_eq!(
            open_status(StatusCode::NOT_FOUND).status(),
            Some(StatusCode::NOT_FOUND)
        );
        assert!(!open_status(StatusCode::NOT_FOUND).is_unauthorized());
        assert!(!open_status(StatusCode::INTERNAL_SERVER_ERROR).is_unauthorized());
        let post = SseError::PostStatus {
            url: "http://h/messages".into(),
            status: StatusCode::UNAUTHORIZED,
            www_authenticate: Some("Bearer realm=\"x\"".into()),
            body: "nope".into(),
        };
        assert!(post.is_unauthorized());
        assert_eq!(post.www_authenticate(), Some("Bearer realm=\"x\""));
        assert_eq!(
            post.to_string(),
            "POST http://h/messages answered 401 Unauthorized: nope"
        );
        let not_stream = SseError::NotEventStream {
            url: "http://h/sse".into(),
            content_type: "application/json".into(),
        };
        assert_eq!(not_stream.status(), None);
        assert_eq!(not_stream.www_authenticate(), None);
    }

    #[test]
    fn an_empty_challenge_is_none() {
        let mut error = open_status(StatusCode::UNAUTHORIZED);
        assert_eq!(error.www_authenticate(), None);
        if let SseError::OpenStatus {
            www_authenticate, ..
        } = &mut error
        {
            *www_authenticate = Some(String::new());
        }
        assert_eq!(error.www_authenticate(), None);
    }
}
