//! Why a connection failed, said once for a person and once for the log.
//!
//! A failed connect is a chain of errors: rmcp's handshake error around its transport's error
//! around reqwest's around hyper's around the resolver's. Its `Display` is long and names Rust
//! types. A server's `last_error` gets one sentence with the root cause and what to do
//! ([`explain`]); the server's log gets every link ([`chain`]).

use std::error::Error;

use rmcp::service::ClientInitializeError;
use rmcp::transport::streamable_http_client::StreamableHttpError;

/// The longest `last_error` a person is shown.
pub const MAX_SENTENCE: usize = 200;

type Link<'a> = &'a (dyn Error + 'static);

/// The links of `error`'s chain, outermost first. rmcp keeps two of its inner errors out of
/// `source()` (the transport error of a failed handshake, the HTTP client's own error); they
/// are followed here.
fn links(error: Link<'_>) -> Vec<Link<'_>> {
    let mut links = Vec::new();
    let mut next = Some(error);
    while let Some(link) = next {
        links.push(link);
        next = if let Some(init) = link.downcast_ref::<ClientInitializeError>() {
            match init {
                ClientInitializeError::TransportError { error, .. } => Some(error as Link<'_>),
                // Both attempts failed; the first one (discovery) names the cause.
                ClientInitializeError::LegacyFallbackFailed { discover, .. } => {
                    Some(discover.as_ref() as Link<'_>)
                }
                _ => link.source(),
            }
        } else if let Some(StreamableHttpError::Client(inner)) =
            link.downcast_ref::<StreamableHttpError<reqwest::Error>>()
        {
            Some(inner as Link<'_>)
        } else {
            link.source()
        };
        if links.len() > 32 {
            break;
        }
    }
    links
}

/// Every link of `error`, for the log: `outer: inner: innermost`, each said once.
pub fn chain(error: Link<'_>) -> String {
    let mut said: Vec<String> = Vec::new();
    for link in links(error) {
        let text = link.to_string();
        // Outer errors often repeat their source in their own text.
        if !said.iter().any(|s| s.contains(&text)) {
            said.push(text);
        }
    }
    said.join(": ")
}

/// What the chain comes down to.
#[derive(Debug, PartialEq, Eq)]
enum Root {
    /// The host name does not resolve.
    Dns,
    /// Nothing listens at the address.
    Refused,
    /// No answer in time.
    TimedOut,
    /// The TLS handshake failed, and why.
    Tls(String),
    /// An HTTP status instead of MCP.
    Status(u16),
    /// Something else: the innermost message.
    Other(String),
}

fn root(error: Link<'_>) -> Root {
    let links = links(error);
    for link in &links {
        if let Some(io) = link.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return Root::Refused,
                std::io::ErrorKind::TimedOut => return Root::TimedOut,
                _ => {}
            }
        }
        if let Some(http) = link.downcast_ref::<reqwest::Error>() {
            if http.is_timeout() {
                return Root::TimedOut;
            }
            if let Some(status) = http.status() {
                return Root::Status(status.as_u16());
            }
        }
        if let Some(status) =
            link.downcast_ref::<rmcp::transport::streamable_http_client::HttpStatusError>()
        {
            return Root::Status(status.status);
        }
        // hyper's resolver error is private; its text is all there is to go on.
        let text = link.to_string().to_ascii_lowercase();
        if text == "dns error"
            || text.contains("failed to lookup address")
            || text.contains("name or service not known")
        {
            return Root::Dns;
        }
        if text.contains("certificate") || text.contains("tls") || text.contains("ssl") {
            return Root::Tls(link.to_string());
        }
    }
    let innermost = links
        .iter()
        .rev()
        .map(ToString::to_string)
        .find(|text| !text.trim().is_empty())
        .unwrap_or_default();
    Root::Other(innermost)
}

/// One sentence, at most [`MAX_SENTENCE`] characters, saying why connecting to `url` (`None`
/// for a command) failed and what to do.
pub fn explain(error: Link<'_>, url: Option<&str>) -> String {
    let parsed = url.and_then(|u| reqwest::Url::parse(u).ok());
    let host = parsed
        .as_ref()
        .and_then(|u| u.host_str())
        .unwrap_or("the server")
        .to_owned();
    let address = parsed
        .as_ref()
        .and_then(|u| Some(format!("{}:{}", u.host_str()?, u.port_or_known_default()?)))
        .unwrap_or_else(|| host.clone());
    let said = match root(error) {
        Root::Dns => format!("cannot resolve {host}: check the URL"),
        Root::Refused => format!(
            "nothing accepts connections at {address}: is the server running, and is the port right?"
        ),
        Root::TimedOut => format!("{host} did not answer in time: check the URL and the network"),
        Root::Tls(why) => format!("the TLS handshake with {host} failed ({why})"),
        Root::Status(code) => format!(
            "{} answered HTTP {code} instead of MCP: check the URL",
            url.unwrap_or("the server")
        ),
        Root::Other(innermost) => format!("MCP handshake failed: {innermost}"),
    };
    sentence(&said)
}

/// `text` as a person may be shown it: no Rust type names (rmcp puts the transport's type in
/// brackets), one line, at most [`MAX_SENTENCE`] characters.
pub fn sentence(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_SENTENCE + 4));
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        let (before, bracketed) = rest.split_at(open);
        out.push_str(before);
        match matching_bracket(bracketed) {
            Some(end) if bracketed[..end].contains("::") => rest = &bracketed[end + 1..],
            Some(end) => {
                out.push_str(&bracketed[..=end]);
                rest = &bracketed[end + 1..];
            }
            None => {
                out.push_str(bracketed);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    let words: Vec<&str> = out.split_whitespace().collect();
    let one_line = words.join(" ");
    if one_line.chars().count() <= MAX_SENTENCE {
        return one_line;
    }
    let mut cut: String = one_line.chars().take(MAX_SENTENCE - 1).collect();
    cut.push('…');
    cut
}

/// Where the `[` that starts `text` is closed.
fn matching_bracket(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in text.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_go_and_long_text_is_cut() {
        let rmcp = "Send message error Transport [mcpproxy_daemon::upstream::routes::Ordered<rmcp::transport::worker::WorkerTransport<X>>] error: Client error: boom";
        assert_eq!(
            sentence(rmcp),
            "Send message error Transport error: Client error: boom"
        );
        assert_eq!(sentence("keep [this] one"), "keep [this] one");
        let long = "word ".repeat(100);
        let cut = sentence(&long);
        assert_eq!(cut.chars().count(), MAX_SENTENCE);
        assert!(cut.ends_with('…'));
    }

    #[derive(Debug, thiserror::Error)]
    #[error("outer: {inner}")]
    struct Outer {
        #[source]
        inner: std::io::Error,
    }

    #[test]
    fn a_refused_connection_names_the_address() {
        let error = Outer {
            inner: std::io::Error::from(std::io::ErrorKind::ConnectionRefused),
        };
        let said = explain(&error, Some("http://127.0.0.1:9/mcp"));
        assert!(
            said.starts_with("nothing accepts connections at 127.0.0.1:9"),
            "{said}"
        );
        assert_eq!(chain(&error), "outer: connection refused");
    }

    #[tokio::test]
    async fn an_unresolvable_host_is_said_in_one_sentence() {
        let error = reqwest::Client::new()
            .get("http://no-such-host.invalid/mcp")
            .send()
            .await
            .expect_err("the .invalid TLD never resolves");
        let said = explain(&error, Some("http://no-such-host.invalid/mcp"));
        assert_eq!(said, "cannot resolve no-such-host.invalid: check the URL");
        assert!(chain(&error).contains("no-such-host.invalid"));
    }
}
