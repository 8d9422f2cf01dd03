//! The TUI's one door to the daemon: every connection goes through [`Link`].
//!
//! It attaches as every client does, through the daemon crate's attach module
//! (`mcpproxy_daemon::client::attach`: find or start, protocol handshake, an event stream
//! ending in `goodbye`), and makes its API calls with [`Client`].
//!
//! API:
//! - [`Link::new`]`(paths, exe)`: `exe` is the mcpproxy executable (the binary passes its
//!   own path), which starts a daemon as `exe serve --detached`.
//! - [`Link::attach`]`(start_if_absent, tx)`: probe the socket (start a daemon first when
//!   asked and none answers), check the protocol version, open the event stream, and send
//!   [`LinkEvent`]s and batches of events into `tx` until the stream ends.
//! - [`Link::request`]`(effect)`: one control-API call, its result as an [`Action`].

use std::path::PathBuf;
use std::pin::pin;

use futures_util::{FutureExt as _, StreamExt as _};
use mcpproxy_daemon::client::attach::{Attach, AttachError, StartDaemon};
use mcpproxy_daemon::client::{Client, ClientError};
use mcpproxy_daemon::paths::Paths;
use mcpproxy_daemon::protocol::{Event, LogTail};
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
    /// The address a daemon this link starts listens on, over the config's `listen`.
    listen: Option<String>,
    client: Client,
}

impl Link {
    pub fn new(paths: Paths, exe: PathBuf) -> Self {
        Self {
            client: Client::socket(&paths.socket),
            paths,
            exe,
            listen: None,
        }
    }

    /// A daemon this link starts listens on `listen` (`--listen`, `MCPPROXY_LISTEN`).
    #[must_use]
    pub fn listen(mut self, listen: Option<String>) -> Self {
        self.listen = listen;
        self
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
        let attached = match Attach::new(self.paths.clone()).connect().await {
            Ok(attached) => attached,
            Err(AttachError::NotRunning { .. }) if start_if_absent => {
                send(LinkEvent::Starting).await;
                let start = StartDaemon {
                    exe: self.exe.clone(),
                    listen: self.listen.clone(),
                    log_level: None,
                };
                match Attach::new(self.paths.clone())
                    .starting(start)
                    .connect()
                    .await
                {
                    Ok(attached) => attached,
                    Err(e) => {
                        send(LinkEvent::Failed(attach_failure(e))).await;
                        return;
                    }
                }
            }
            Err(e) => {
                send(LinkEvent::Failed(attach_failure(e))).await;
                return;
            }
        };
        let stream = match attached.events().await {
            Ok(stream) => stream,
            Err(e) => {
                send(LinkEvent::Failed(failure_of(e))).await;
                return;
            }
        };
        let pid = attached.status.pid;
        let started = attached.started.then_some(pid);
        let event = LinkEvent::Attached {
            status: Box::new(attached.status),
            started,
        };
        if !send(event).await {
            return;
        }
        let error = forward(stream, &tx).await;
        send(LinkEvent::Ended { error }).await;
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
            Effect::Login { name } => Outcome::LoginStarted {
                result: client.login(&name).await.map_err(Failure::from),
                server: name,
            },
            Effect::Logout { name } => Outcome::LoggedOut {
                result: client.logout(&name).await.map_err(Failure::from),
                server: name,
            },
            Effect::Call(call) => Outcome::Called {
                result: client.call_tool(&call).await.map_err(Failure::from),
                tool: call.tool,
            },
            Effect::SwitchTool {
                server,
                tool,
                enabled,
            } => {
                let request = mcpproxy_daemon::protocol::ToolSwitch {
                    tools: vec![tool.clone()],
                    all: false,
                };
                Outcome::ToolSwitched {
                    result: client
                        .switch_tools(&server, &request, enabled)
                        .await
                        .map_err(Failure::from),
                    tool: format!("{server}:{tool}"),
                    enabled,
                }
            }
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
            Effect::FetchActivity => {
                let limit = [("limit", crate::app::activity::ACTIVITY_CAPACITY.to_string())];
                Outcome::ActivityHistory(client.activity(&limit).await.map_err(Failure::from))
            }
            Effect::FetchQuarantine => {
                Outcome::Quarantine(client.quarantine().await.map_err(Failure::from))
            }
            Effect::Review {
                server,
                decision,
                approve,
            } => {
                let result = if approve {
                    client.approve_items(&server, &decision).await
                } else {
                    client.reject_items(&server, &decision).await
                };
                Outcome::Reviewed {
                    approve,
                    result: result.map_err(Failure::from),
                }
            }
            Effect::SearchTools { query, limit, .. } => Outcome::Searched {
                result: client
                    .search_tools(&query, limit)
                    .await
                    .map_err(Failure::from),
                query,
            },
            Effect::Attach { .. }
            | Effect::AttachAfter { .. }
            | Effect::OpenBrowser { .. }
            | Effect::Batch(_) => return None,
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

/// Why attaching failed, as the TUI shows it.
fn attach_failure(error: AttachError) -> LinkFailure {
    match error {
        AttachError::NotRunning { .. } => LinkFailure::NotRunning,
        AttachError::ProtocolMismatch {
            daemon,
            client,
            daemon_version,
        } => LinkFailure::Mismatch {
            daemon_version,
            daemon_protocol: daemon,
            client_protocol: client,
        },
        AttachError::Client(error) => failure_of(error),
        AttachError::NoExecutable(_)
        | AttachError::Spawn(_)
        | AttachError::StderrFile { .. }
        | AttachError::StartFailed { .. }
        | AttachError::StartTimeout { .. } => LinkFailure::StartFailed(Failure {
            hint: error.hint(),
            message: error.to_string(),
        }),
        other => LinkFailure::Other(Failure {
            hint: other.hint(),
            message: other.to_string(),
        }),
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
