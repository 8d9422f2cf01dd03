//! Attaching to a daemon that is not this version: a fake daemon on the control socket
//! answers as a newer mcpproxy would. A different protocol version is refused with the
//! versions and what to do; event kinds, fields and values a client does not know are
//! skipped, and the stream goes on.

use std::path::Path;
use std::time::Duration;

use futures_util::StreamExt as _;
use mcpproxy_daemon::client::Client;
use mcpproxy_daemon::protocol::{Event, GoodbyeReason, ServerState};
use serde_json::json;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::UnixListener;

use crate::support::daemon::{mcpproxy, temp_data_dir};

/// A status as a daemon of `protocol_version` sends it, with a field this client lacks.
fn status(socket: &Path, protocol_version: u32) -> serde_json::Value {
    json!({
        "version": "9.9.9",
        "protocol_version": protocol_version,
        "mcp_protocol_versions": ["2026-07-28"],
        "pid": 4242,
        "started_at": "2026-12-01T00:00:00Z",
        "uptime_s": 3,
        "data_dir": socket.parent().unwrap(),
        "config_path": socket.parent().unwrap().join("config.toml"),
        "listen": null,
        "socket": socket,
        "servers": {"total": 1, "ready": 1, "failing": 0, "quarantined": 0},
        "weather": "sunny"
    })
}

/// Serves `routes` (path → status line, content type, body) on a unix socket, one request
/// per connection, until dropped.
fn fake_daemon(
    socket: &Path,
    routes: Vec<(&'static str, &'static str, String)>,
) -> tokio::task::JoinHandle<()> {
    let listener = UnixListener::bind(socket).unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let routes = routes.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let line = String::from_utf8_lossy(&request);
                let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
                let (content_type, body) = routes
                    .iter()
                    .find(|(route, _, _)| path.starts_with(route))
                    .map(|(_, ct, body)| (*ct, body.clone()))
                    .unwrap_or((
                        "application/json",
                        r#"{"error":{"code":"not_found","message":"no"}}"#.to_owned(),
                    ));
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(response.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        }
    })
}

#[tokio::test]
async fn a_daemon_of_another_protocol_version_is_refused_with_what_to_do() {
    let dir = temp_data_dir();
    let socket = dir.path().join("mcpproxy.sock");
    let _daemon = fake_daemon(
        &socket,
        vec![(
            "/api/v1/status",
            "application/json",
            status(&socket, 999).to_string(),
        )],
    );
    let cli = |args: &[&str]| {
        let mut command = mcpproxy(dir.path());
        command.arg("--data-dir").arg(dir.path()).args(args);
        tokio::task::spawn_blocking(move || command.output().unwrap())
    };
    let out = cli(&["upstream", "list"]).await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the daemon speaks protocol 999, this client 1"),
        "{stderr}"
    );
    assert!(stderr.contains("`mcpproxy daemon restart`"), "{stderr}");
    assert_eq!(stderr.matches("hint:").count(), 1, "one hint: {stderr}");

    let out = cli(&["--json", "tools", "list"]).await.unwrap();
    assert_eq!(out.status.code(), Some(1));
    let body: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(body["error"]["code"], "conflict", "{body}");
}

#[tokio::test]
async fn event_kinds_fields_and_values_a_client_does_not_know_are_skipped() {
    let dir = temp_data_dir();
    let socket = dir.path().join("mcpproxy.sock");
    let snapshot = json!({
        "status": status(&socket, 1),
        "servers": [],
        "tools": [],
        "held": [],
        "moon_phase": "full"
    });
    let server = json!({
        "name": "demo", "transport": "stdio", "state": "hibernating", "enabled": true,
        "quarantined": false, "tool_count": 3, "pending_review": 0, "mood": "calm"
    });
    let stream = format!(
        "event: snapshot\ndata: {snapshot}\n\n\
         event: weather_report\ndata: {{\"sunny\": true}}\n\n\
         : a comment line\n\n\
         event: server\ndata: {server}\n\n\
         event: goodbye\ndata: {{\"reason\": \"restart\", \"message\": \"restarting\", \"eta_s\": 1}}\n\n"
    );
    let _daemon = fake_daemon(
        &socket,
        vec![("/api/v1/events", "text/event-stream", stream)],
    );
    let events = Client::socket(&socket).events().await.unwrap();
    let events: Vec<Event> =
        tokio::time::timeout(Duration::from_secs(10), events.collect::<Vec<_>>())
            .await
            .unwrap()
            .into_iter()
            .map(Result::unwrap)
            .collect();
    let kinds: Vec<&str> = events.iter().map(Event::kind).collect();
    assert_eq!(kinds, ["snapshot", "server", "goodbye"]);
    let Event::Server(view) = &events[1] else {
        unreachable!()
    };
    assert_eq!(
        (view.name.as_str(), view.state),
        ("demo", ServerState::Unknown)
    );
    let Event::Goodbye(goodbye) = &events[2] else {
        unreachable!()
    };
    assert_eq!(goodbye.reason, GoodbyeReason::Restart);
}
