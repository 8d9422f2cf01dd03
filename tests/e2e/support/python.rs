//! Python SDK 2.x clients (`mcp==2.3.0`) driven by the tests: one run of
//! `tests/fixtures/clients/py_client.py` ([`PyRun`], steps in, one JSON line per step out),
//! or a session kept open and driven line by line (`py_session.py`, [`PySession`]).
//!
//! Eras: "legacy" is 2025-11-25 (`initialize`, a session, server-to-client requests on the
//! open call); "2026-07-28" is the stateless era (`server/discover`, `input_required` rounds).

use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::process::Command;

use super::peers;

/// The longest one client run may take (installs happen before it starts).
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(90);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Era {
    /// 2025-11-25: the `initialize` handshake and a session.
    Legacy,
    /// 2026-07-28, adopted without a probe.
    Modern,
    /// The SDK's default: probe `server/discover`, fall back to `initialize`.
    Auto,
}

impl Era {
    /// `py_client.py`'s MODE argument.
    pub fn mode(self) -> &'static str {
        match self {
            Self::Legacy => "legacy",
            Self::Modern => "2026-07-28",
            Self::Auto => "auto",
        }
    }

    /// The version a client in this mode negotiates with mcpproxy, which speaks both eras.
    pub fn version(self) -> &'static str {
        match self {
            Self::Legacy => "2025-11-25",
            Self::Modern | Self::Auto => "2026-07-28",
        }
    }
}

/// One run of `py_client.py`.
pub struct PyRun {
    pub url: String,
    pub era: Era,
    options: Vec<String>,
    steps: Vec<Value>,
}

impl PyRun {
    pub fn new(url: String, era: Era, steps: Vec<Value>) -> Self {
        Self {
            url,
            era,
            options: Vec::new(),
            steps,
        }
    }

    pub fn option(mut self, name: &str, value: impl Into<String>) -> Self {
        self.options.push(name.to_owned());
        self.options.push(value.into());
        self
    }

    /// A client named `name` that answers every question with `answer-of-NAME`, and only
    /// once another client is being asked too (they meet in the folder `barrier`).
    pub fn answering_together(self, name: &str, barrier: &std::path::Path) -> Self {
        self.option("--answer", format!("answer-of-{name}"))
            .option("--barrier", barrier.to_str().unwrap())
            .option("--name", name)
    }

    pub fn command(&self) -> Command {
        let mut command = Command::new(peers::python_mcp2());
        command
            .arg(peers::fixture("clients/py_client.py"))
            .arg(&self.url)
            .arg(self.era.mode())
            .args(&self.options)
            .args(self.steps.iter().map(Value::to_string))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        command
    }

    pub fn label(&self) -> String {
        format!("py_client {} ({})", self.url, self.era.mode())
    }

    /// Runs the client to its end; returns one JSON value per step, none of which raised.
    pub async fn run(&self) -> Vec<Value> {
        let stdout = stdout_of(self.command(), &self.label()).await;
        let mut lines: Vec<Value> = stdout
            .lines()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
            .collect();
        assert!(!lines.is_empty(), "{}: no output", self.label());
        assert_eq!(
            lines.remove(0)["protocol_version"],
            self.era.version(),
            "{}: negotiated era",
            self.label()
        );
        assert_eq!(lines.len(), self.steps.len(), "{}: {stdout}", self.label());
        for line in &lines {
            assert!(
                line.get("exception").is_none(),
                "{}: a step raised: {line}",
                self.label()
            );
        }
        lines
    }
}

/// Runs `command` to its end (within `CLIENT_TIMEOUT`) and returns its stdout; fails the
/// test, showing both streams, when it does not succeed.
pub async fn stdout_of(mut command: Command, what: &str) -> String {
    let output = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(CLIENT_TIMEOUT, output)
        .await
        .unwrap_or_else(|_| panic!("{what} did not finish in {CLIENT_TIMEOUT:?}"))
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    stdout
}

/// Runs the clients at the same time.
pub async fn run_all(runs: &[PyRun]) -> Vec<Vec<Value>> {
    futures_util::future::join_all(runs.iter().map(PyRun::run)).await
}

pub fn call(tool: &str, args: Value) -> Value {
    json!({"op": "call", "tool": tool, "args": args})
}

/// `call_tool_read` on `/mcp/call` for the upstream tool `id` (`server:tool`).
pub fn call_read(id: &str, args: Value) -> Value {
    call("call_tool_read", json!({"name": id, "args": args}))
}

/// `call_tool_write` on `/mcp/call` for the upstream tool `id` (`server:tool`).
pub fn call_write(id: &str, args: Value) -> Value {
    call("call_tool_write", json!({"name": id, "args": args}))
}

/// The text blocks of a tool result, joined.
pub fn text(result: &Value) -> String {
    result["content"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|block| block["text"].as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn is_error(result: &Value) -> bool {
    result["isError"] == true
}

/// A Python SDK session kept open (`py_session.py`), driven one command at a time; what it
/// prints (answers and notifications, in the order they came) is read back in order.
pub struct PySession {
    pub label: String,
    pub era: Era,
    child: tokio::process::Child,
    stdin: tokio::process::ChildStdin,
    lines: tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
}

/// How long one answer or notification may take to show.
pub const SESSION_WAIT: Duration = Duration::from_secs(30);

impl PySession {
    /// Opens a session on `url` in `era`; returns once it is established.
    pub async fn open(url: &str, era: Era, name: &str) -> Self {
        use tokio::io::AsyncBufReadExt as _;
        let mut child = Command::new(peers::python_mcp2())
            .arg(peers::fixture("clients/py_session.py"))
            .arg(url)
            .arg(era.mode())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let mut session = Self {
            label: format!("{name} ({} on {url})", era.mode()),
            era,
            child,
            stdin,
            lines,
        };
        let first = session.next_line().await;
        assert_eq!(
            first["protocol_version"],
            era.version(),
            "{}: {first}",
            session.label
        );
        session
    }

    /// The next line it printed.
    async fn next_line(&mut self) -> Value {
        let line = tokio::time::timeout(SESSION_WAIT, self.lines.next_line())
            .await
            .unwrap_or_else(|_| panic!("{}: nothing within {SESSION_WAIT:?}", self.label))
            .unwrap()
            .unwrap_or_else(|| panic!("{}: the session ended", self.label));
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{}: {e}: {line}", self.label))
    }

    /// Sends `command` and returns its answer, with every notification that came before it.
    pub async fn send(&mut self, command: Value) -> (Value, Vec<Value>) {
        use tokio::io::AsyncWriteExt as _;
        let op = command["op"].clone();
        self.stdin
            .write_all(format!("{command}\n").as_bytes())
            .await
            .unwrap();
        let mut before = Vec::new();
        loop {
            let line = self.next_line().await;
            if line.get("event").is_some() {
                before.push(line);
                continue;
            }
            assert_eq!(line["op"], op, "{}: {line}", self.label);
            assert!(
                line.get("exception").is_none(),
                "{}: {command} raised: {line}",
                self.label
            );
            return (line, before);
        }
    }

    /// Subscribes to updates of `uri`: with `resources/subscribe` on a 2025-11-25 session,
    /// with a `subscriptions/listen` stream from 2026-07-28.
    pub async fn subscribe(&mut self, uri: &str) {
        if self.era == Era::Legacy {
            let (answer, _) = self.send(json!({"op": "subscribe", "uri": uri})).await;
            assert_eq!(answer["ok"], true, "{}: {answer}", self.label);
        } else {
            let (answer, _) = self.send(json!({"op": "listen", "uris": [uri]})).await;
            assert_eq!(answer["honored"], json!([uri]), "{}: {answer}", self.label);
        }
    }

    /// The notifications that arrived before a marker sent now: everything the session
    /// received up to this moment.
    pub async fn received(&mut self) -> Vec<Value> {
        self.send(json!({"op": "mark", "text": "now"})).await.1
    }

    /// Reads notifications until one `pick` accepts; returns it with the ones before it.
    pub async fn wait_for(
        &mut self,
        what: &str,
        mut pick: impl FnMut(&Value) -> bool,
    ) -> (Value, Vec<Value>) {
        let label = self.label.clone();
        let waiting = async {
            let mut before = Vec::new();
            loop {
                let line = self.next_line().await;
                if pick(&line) {
                    return (line, before);
                }
                before.push(line);
            }
        };
        tokio::time::timeout(SESSION_WAIT, waiting)
            .await
            .unwrap_or_else(|_| panic!("{label}: no {what} within {SESSION_WAIT:?}"))
    }

    /// Ends the session (stdin closes) and waits for the client to exit.
    pub async fn close(mut self) {
        drop(self.stdin);
        let status = tokio::time::timeout(CLIENT_TIMEOUT, self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("{} did not exit", self.label))
            .unwrap();
        assert!(status.success(), "{}: {status}", self.label);
    }
}

/// A `notifications/resources/updated` of `uri`, as a session prints it.
pub fn is_update_of(line: &Value, uri: &str) -> bool {
    line["event"] == "updated" && line["uri"] == uri
}
