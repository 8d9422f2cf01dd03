//! The peer servers later tests rely on install on first use and speak MCP on stdio.

use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Command, Stdio};

use crate::support::peers;

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
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    // Servers may log to stdout before answering; read until the response to id 1.
    let response = loop {
        line.clear();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "the server closed stdout without answering"
        );
        if let Ok(value) = serde_json::from_str::<serde_json::Value>(&line)
            && value["id"] == 1
        {
            break value;
        }
    };
    drop(stdin);
    let _ = child.kill();
    let _ = child.wait();
    response
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
