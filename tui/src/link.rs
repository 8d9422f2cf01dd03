//! The TUI's one door to the daemon: every connection goes through [`Link`].
//!
//! Today it is built on [`Client`] (`status`, `events`, the API calls) and starts a daemon by
//! running `mcpproxy daemon start`; when the daemon crate's attach module lands
//! (`mcpproxy_daemon::client::attach`: find or start, protocol handshake, an event stream
//! ending in `goodbye`), [`Link::attach`] is where it plugs in, and nothing else changes.
//!
//! API:
//! - [`Link::new`]`(paths, exe)`: `exe` is the mcpproxy executable (the binary passes its
//!   own path), run as `exe daemon start --data-dir DIR [--config FILE]` to start a daemon.
//! - [`Link::attach`]`(start_if_absent, tx)`: probe the socket (start a daemon first when
//!   asked and none answers), check the protocol version, open the event stream, and send
//!   [`LinkEvent`]s and batches of events into `tx` until the stream ends.
//! - [`Link::request`]`(effect)`: one control-API call, its result as an [`Action`].

use std::path::PathBuf;
use std::pin::pin;
use std::process::Stdio;

use futures_util::{FutureExt as _, StreamExt as _};
use mcpproxy_daemon::client::{Client, ClientError};
use mcpproxy_daemon::paths::Paths;
use mcpproxy_daemon::protocol::{Event, LogTail, PROTOCOL_VERSION};
use tokio::sync::mpsc;

use crate::action::{Action, Failure, LinkEvent, LinkFailure, Outcome};
use crate::app::logs::LogSource;
use crate::effect::Effect;

/// Events sent to the app in one batch at most; a flood is cut into batches this size.
const BATCH: usize = 512;

#[derive(Debug, Clone)]
pub struct Link {
    paths: Paths,
    exe: PathBuf,
    client: Client,
}

impl Link {
    pub fn new(paths: Paths, exe: PathBuf) -> Self {
        Self {
            client: Client::socket(&paths.socket),
            paths,
            exe,
        }
    }

    pub fn paths(&self) -> &Paths {
        &self.paths
    }

    /// Attaches and forwards the event stream into `tx` until it ends. Only with
    /// `start_if_absent` does it start a daemon (at launch, or when a person asks).
    pub async fn attach(&self, start_if_absent: bool, tx: mpsc::Sender<Action>) {
        let send = |event: LinkEvent| {
            let tx = tx.clone();
            async move { tx.send(Action::Link(event)).await.is_ok() }
        };
        let mut started = false;
        let status = match self.client.status().await {
            Ok(status) => status,
            Err(ClientError::NotRunning { .. }) if start_if_absent => {
                send(LinkEvent::Starting).await;
                if let Err(failure) = self.start_daemon().await {
                    send(LinkEvent::Failed(LinkFailure::StartFailed(failure))).await;
                    return;
                }
                started = true;
                match self.client.status().await {
                    Ok(status) => status,
                    Err(e) => {
                        send(LinkEvent::Failed(failure_of(e))).await;
                        return;
                    }
                }
            }
            Err(e) => {
                send(LinkEvent::Failed(failure_of(e))).await;
                return;
            }
        };
        if status.protocol_version != PROTOCOL_VERSION {
            send(LinkEvent::Failed(LinkFailure::Mismatch {
                daemon_version: status.version,
                daemon_protocol: status.protocol_version,
                client_protocol: PROTOCOL_VERSION,
            }))
            .await;
            return;
        }
        let stream = match self.client.events().await {
            Ok(stream) => stream,
            Err(e) => {
                send(LinkEvent::Failed(failure_of(e))).await;
                return;
            }
        };
        let pid = status.pid;
        let attached = LinkEvent::Attached {
            status: Box::new(status),
            started: started.then_some(pid),
        };
        if !send(attached).await {
            return;
        }
        let error = forward(stream, &tx).await;
        send(LinkEvent::Ended { error }).await;
    }

    /// Starts a daemon in the background with `mcpproxy daemon start`, which returns once
    /// the daemon answers on its socket (or fails, saying why).
    pub async fn start_daemon(&self) -> Result<(), Failure> {
        let mut command = tokio::process::Command::new(&self.exe);
        command
            .arg("daemon")
            .arg("start")
            .arg("--data-dir")
            .arg(&self.paths.data_dir)
            // The TUI owns the terminal: nothing the child prints may reach it.
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if !self.paths.config_is_default {
            command.arg("--config").arg(&self.paths.config);
        }
        if self.paths.socket != self.paths.data_dir.join("mcpproxy.sock") {
            command.arg("--socket").arg(&self.paths.socket);
        }
        let output = command.output().await.map_err(|e| Failure {
            message: format!("cannot run {}: {e}", self.exe.display()),
            hint: None,
        })?;
        if output.status.success() {
            return Ok(());
        }
        Err(start_failure(&String::from_utf8_lossy(&output.stderr)))
    }

    /// Performs one control-API call.
    pub async fn request(&self, effect: Effect) -> Option<Action> {
        let client = &self.client;
        let outcome = match effect {
            Effect::Server { name, action } => Outcome::ServerAction {
                result: client
                    .server_action(&name, action)
                    .await
                    .map_err(Failure::from),
                name,
                action,
            },
            Effect::Remove { name } => Outcome::Removed {
                result: client
                    .remove_server(&name)
                    .await
                    .map(|ack| ack.message)
                    .map_err(Failure::from),
                name,
            },
            Effect::Add(request) => Outcome::Added {
                result: client.add_server(&request).await.map_err(Failure::from),
                name: request.name,
            },
            Effect::Call(call) => Outcome::Called {
                result: client.call_tool(&call).await.map_err(Failure::from),
                tool: call.tool,
            },
            Effect::FetchLog { source, tail } => {
                let result = match &source {
                    LogSource::Server(name) => client.server_logs(name, tail).await,
                    LogSource::Daemon => client.get::<LogTail>(&format!("/logs?tail={tail}")).await,
                };
                Outcome::LogTail {
                    result: result.map(|t| t.lines).map_err(|e| log_failure(&source, e)),
                    source,
                }
            }
            Effect::Attach { .. } | Effect::AttachAfter { .. } | Effect::Batch(_) => return None,
        };
        Some(Action::Done(outcome))
    }
}

fn failure_of(error: ClientError) -> LinkFailure {
    match error {
        ClientError::NotRunning { .. } => LinkFailure::NotRunning,
        other => LinkFailure::Other(other.into()),
    }
}

fn log_failure(source: &LogSource, error: ClientError) -> Failure {
    match (&source, &error) {
        (
            LogSource::Daemon,
            ClientError::Decode { status, .. } | ClientError::Api { status, .. },
        ) if *status == 404u16 => Failure {
            message: "this daemon does not serve its own log".to_owned(),
            hint: Some("it is older than this mcpproxy: `mcpproxy daemon restart`".to_owned()),
        },
        _ => error.into(),
    }
}

/// What `mcpproxy daemon start` printed as it failed: `error: ...` and `hint: ...`.
fn start_failure(stderr: &str) -> Failure {
    let mut message = Vec::new();
    let mut hint = None;
    for line in stderr.lines() {
        if let Some(rest) = line.strip_prefix("hint: ") {
            hint = Some(rest.to_owned());
        } else {
            message.push(line.strip_prefix("error: ").unwrap_or(line));
        }
    }
    let message = message.join("\n").trim().to_owned();
    Failure {
        message: if message.is_empty() {
            "the daemon did not start".to_owned()
        } else {
            message
        },
        hint,
    }
}

/// Sends the stream's events in batches (all that are ready at once, up to [`BATCH`]) until
/// it ends; returns the error that ended it, if one did.
async fn forward(
    stream: impl futures_util::Stream<Item = Result<Event, ClientError>>,
    tx: &mpsc::Sender<Action>,
) -> Option<String> {
    let mut stream = pin!(stream);
    loop {
        let first = match stream.next().await {
            None => return None,
            Some(Err(e)) => return Some(e.to_string()),
            Some(Ok(event)) => event,
        };
        let mut batch = vec![first];
        let mut ended = None;
        while batch.len() < BATCH {
            match stream.next().now_or_never() {
                Some(Some(Ok(event))) => batch.push(event),
                Some(Some(Err(e))) => {
                    ended = Some(Some(e.to_string()));
                    break;
                }
                Some(None) => {
                    ended = Some(None);
                    break;
                }
                None => break,
            }
        }
        if tx.send(Action::Daemon(batch)).await.is_err() {
            return None;
        }
        if let Some(error) = ended {
            return error;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_start_reads_as_message_and_hint() {
        let failure = start_failure("error: config.toml:1:10: bad listen\nhint: fix it\n");
        assert_eq!(failure.message, "config.toml:1:10: bad listen");
        assert_eq!(failure.hint.as_deref(), Some("fix it"));
        assert_eq!(start_failure("").message, "the daemon did not start");
    }
}
