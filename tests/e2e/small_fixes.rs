//! Smaller holes: a credential in a server's URL never shows in `last_error`, logs or
//! events; an Origin that is not text is refused on the reverse-proxied route; a header
//! value with a line break is refused in the config, located and without its value; a
//! missing working directory is reported as such, not as a missing command.

use std::time::Duration;

use futures_util::StreamExt as _;
use mcpproxy_daemon::protocol::{Event, ServerState};

use crate::support::cli::config_check;
use crate::support::raw_http::{Connection, MCP_POST, initialize};
use crate::support::{TestDaemon, peers, wait_until};

const SECRET: &str = "s3cret-in-the-url";

#[tokio::test]
async fn a_credential_in_a_server_url_is_masked_in_errors_logs_and_events() {
    let port = peers::free_port();
    let daemon = TestDaemon::start(&format!(
        "listen = \"127.0.0.1:0\"\n[servers.remote]\nurl = \"http://127.0.0.1:{port}/mcp?token={SECRET}&api_key={SECRET}&page=2\"\ntransport = \"http\"\n"
    ))
    .await;
    let mut events = Box::pin(daemon.client.events().await.unwrap());
    let view = daemon
        .wait_state("remote", ServerState::Backoff, Duration::from_secs(30))
        .await;
    let error = view.last_error.unwrap_or_default();
    assert!(!error.contains(SECRET), "last_error: {error}");
    // `last_error` names the cause in one sentence; the full chain, URL included (masked),
    // is in the server log, checked below.
    assert!(
        error.contains(&format!("127.0.0.1:{port}")),
        "last_error does not say where: {error}"
    );

    let seen = tokio::time::timeout(Duration::from_secs(10), async {
        let mut seen = String::new();
        while let Some(Ok(event)) = events.next().await {
            seen.push_str(&serde_json::to_string(&event).unwrap());
            if let Event::Server(view) = &event
                && view.state == ServerState::Backoff
            {
                return seen;
            }
        }
        seen
    })
    .await
    .unwrap_or_default();
    assert!(!seen.contains(SECRET), "an event showed the secret: {seen}");

    let logs = daemon.data_dir().join("logs");
    for log in [logs.join("servers/remote.log"), logs.join("mcpproxy.log")] {
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(
            !text.contains(SECRET),
            "{} shows the secret:\n{text}",
            log.display()
        );
    }
    let server_log = std::fs::read_to_string(logs.join("servers/remote.log")).unwrap();
    assert!(server_log.contains("token=***"), "{server_log}");
}

#[tokio::test]
async fn an_origin_that_is_not_text_is_refused_on_the_reverse_proxied_route() {
    let upstream = peers::start_demo_http();
    let daemon = TestDaemon::start(&format!(
        "listen = \"127.0.0.1:0\"\n[servers.web]\nurl = \"{}\"\ntransport = \"http\"\n",
        upstream.url
    ))
    .await;
    daemon
        .wait_state("web", ServerState::Ready, Duration::from_secs(60))
        .await;
    let listen = daemon.status().await.listen.unwrap();
    let post = |origin: &[u8]| {
        let mut headers = MCP_POST.to_vec();
        headers.push(("Origin", origin));
        Connection::open(&listen).send("POST", "/mcp/server/web", &headers, &initialize(1))
    };
    let local = post(b"http://localhost:3000");
    assert_eq!(local.status, 200, "{}", local.text());
    for origin in [
        b"\xff\xfe".as_slice(),
        b"http://evil.example\xff",
        b"http://evil.example",
    ] {
        let refused = post(origin);
        assert_eq!(refused.status, 403, "Origin {origin:?}: {}", refused.text());
        assert_eq!(refused.json()["error"]["code"], "forbidden");
    }
}

#[test]
fn a_header_value_with_a_line_break_is_refused_where_it_is_written() {
    let (_dir, config, code, stderr) = config_check(
        "[servers.remote]\nurl = \"https://example.com/mcp\"\nheaders = { Authorization = \"Bearer tok3n\\r\\nX-Injected: 1\" }\n",
    );
    assert_eq!(code, Some(4), "{stderr}");
    assert!(
        stderr.contains(&format!("{}:3:", config.display())),
        "{stderr}"
    );
    assert!(
        stderr.contains("servers.remote.headers.Authorization"),
        "{stderr}"
    );
    assert!(stderr.contains("line break"), "{stderr}");
    assert!(!stderr.contains("tok3n"), "the value was shown: {stderr}");
}

#[tokio::test]
async fn a_missing_working_directory_is_reported_as_such() {
    let daemon = TestDaemon::start(
        "listen = \"127.0.0.1:0\"\n[servers.lost]\ncommand = \"sh\"\ncwd = \"/nonexistent/mcpproxy-test-dir\"\n",
    )
    .await;
    let client = daemon.client.clone();
    let error = wait_until(Duration::from_secs(30), "the server to fail", || {
        let client = client.clone();
        async move {
            let view = client.servers().await.ok()?.servers.into_iter().next()?;
            view.last_error
        }
    })
    .await;
    assert!(error.contains("working directory"), "{error}");
    assert!(error.contains("/nonexistent/mcpproxy-test-dir"), "{error}");
    assert!(!error.contains("cannot start"), "{error}");
}
