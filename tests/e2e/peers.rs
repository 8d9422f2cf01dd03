//! The peer servers later tests rely on install on first use and speak MCP on stdio.

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::pipes::{LineReader, NextLine};
use crate::support::{kill_and_reap, peers};

/// How long a server may take to answer `initialize` (once installed).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

/// Sends `initialize` on stdin and returns the server's answer.
fn initialize(command: &mut Command) -> serde_json::Value {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let request = serde_json::json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                   "clientInfo": {"name": "mcpproxy-tests", "version": "0"}}
    });
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{request}").unwrap();
    let stdout = LineReader::new(child.stdout.take().unwrap());
    let deadline = Instant::now() + ANSWER_TIMEOUT;
    // Servers may log to stdout before answering; read until the response to id 1.
    let response = loop {
        let line = match stdout.next_line(deadline.saturating_duration_since(Instant::now())) {
            NextLine::Line(line) => line,
            failed @ (NextLine::End | NextLine::TimedOut) => break Err(failed),
        };
        if let Ok(value) = serde_json::from_str::<serde_json::Value>(&line)
            && value["id"] == 1
        {
            break Ok(value);
        }
    };
    drop(stdin);
    kill_and_reap(&mut child);
    match response {
        Ok(response) => response,
        Err(NextLine::End) => panic!("the server closed stdout without answering"),
        Err(_) => panic!("the server did not answer initialize within {ANSWER_TIMEOUT:?}"),
    }
}

#[test]
fn server_everything_installs_and_answers() {
    let script = peers::server_everything();
    let response = initialize(Command::new("node").arg(script).arg("stdio"));
    assert!(
        response["result"]["serverInfo"]["name"].is_string(),
        "{response}"
    );
    assert!(
        response["result"]["capabilities"]["tools"].is_object(),
        "{response}"
    );
}

#[test]
fn mcp_server_time_installs_and_answers() {
    let exe = peers::mcp_server_time();
    let response = initialize(&mut Command::new(exe));
    assert_eq!(
        response["result"]["serverInfo"]["name"], "mcp-time",
        "{response}"
    );
}
