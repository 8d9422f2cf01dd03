//! One supervisor task per configured server: it connects, serves, notices failures, backs
//! off, and stops the server's processes when asked. Every state change updates the
//! server's view, which is published as a `server` event and written to its log.

use std::sync::Arc;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use rmcp::model::{ClientRequest, PingRequest};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::connect::{self, ConnectError, Launcher, Session};
use super::handler::UpstreamHandler;
use super::process::StopOutcome;
use super::{Connection, ServerShared};
use crate::catalog::{Catalog, ListChanged};
use crate::config::ServerConfig;
use crate::oauth::{AuthState, OAuthSession};
use crate::protocol::{LogLevel, ServerState, TransportKind};

/// A ping that takes longer than this counts as a dead connection.
const PING_TIMEOUT: Duration = Duration::from_secs(10);
/// After a working connection is lost for the first time, the next attempt comes this soon.
const FIRST_RETRY_AFTER_LOSS: Duration = Duration::from_millis(100);
/// How long a closing MCP session may take to shut its transport down.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// What the registry asks of a supervisor.
#[derive(Debug)]
pub enum Control {
    /// Reconnect now (and forget past failures).
    Restart,
    /// Stop for good; `grace_cap` bounds both stop phases (used at daemon shutdown).
    Stop { grace_cap: Option<Duration> },
}

/// What to do after a phase of the supervisor's life.
enum Next {
    Connect,
    Exit,
}

/// How a served connection ended.
enum Ended {
    Closed,
    Failed(String),
    /// The OAuth tokens are gone (refresh refused, logout): only a login helps.
    NeedsAuth,
    /// A stdio server's leader process exited (and was reaped), whatever its children do.
    LeaderExited(String),
    Restart,
    Stop(Option<Duration>),
}

pub struct Supervisor {
    shared: Arc<ServerShared>,
    config: ServerConfig,
    control: mpsc::UnboundedReceiver<Control>,
    launcher: Launcher,
    backoff: super::backoff::Backoff,
    /// The supervisor this one replaces; it must have stopped its process first.
    predecessor: Option<JoinHandle<()>>,
}

impl Supervisor {
    pub fn new(
        shared: Arc<ServerShared>,
        config: ServerConfig,
        control: mpsc::UnboundedReceiver<Control>,
        launcher: Launcher,
        predecessor: Option<JoinHandle<()>>,
    ) -> Self {
        Self {
            shared,
            config,
            control,
            launcher,
            backoff: super::backoff::Backoff::default(),
            predecessor,
        }
    }

    pub async fn run(mut self) {
        if let Some(predecessor) = self.predecessor.take() {
            let _ = predecessor.await;
        }
        loop {
            let next = match ServerState::held(self.config.enabled, self.config.quarantined) {
                Some(held) => self.idle(held).await,
                None => self.connect_and_serve().await,
            };
            if let Next::Exit = next {
                break;
            }
        }
        self.shared.update(|view| {
            view.state = ServerState::Stopped;
            view.pid = None;
            view.retry_at = None;
        });
    }

    /// Disabled or quarantined: nothing runs; wait to be stopped.
    async fn idle(&mut self, state: ServerState) -> Next {
        let why = match state {
            ServerState::Quarantined => "quarantined: not started until approved",
            _ => "disabled: not started",
        };
        self.shared.log.daemon(LogLevel::Info, why);
        self.shared.update(|view| {
            view.state = state;
            view.attempt = None;
            view.retry_at = None;
            view.last_error = None;
        });
        loop {
            match self.control.recv().await {
                None | Some(Control::Stop { .. }) => return Next::Exit,
                Some(Control::Restart) => {}
            }
        }
    }

    async fn connect_and_serve(&mut self) -> Next {
        let attempt = self.backoff.failures() + 1;
        self.shared.update(|view| {
            view.state = ServerState::Connecting;
            view.attempt = Some(attempt);
            view.retry_at = None;
        });
        self.shared
            .log
            .daemon(LogLevel::Info, format!("connecting (attempt {attempt})"));
        let (changes_tx, changes) = mpsc::unbounded_channel();
        let handler = UpstreamHandler::new(
            Arc::clone(&self.shared.log),
            changes_tx.clone(),
            Arc::clone(&self.shared.routes),
            Arc::clone(&self.shared.subscriptions),
        );
        let connecting = connect::connect(
            &self.shared.name,
            &self.config,
            handler,
            &self.shared.log,
            &self.launcher,
            self.shared.oauth.as_ref(),
        );
        let result = tokio::select! {
            result = connecting => result,
            control = self.control.recv() => return match control {
                Some(Control::Restart) => Next::Connect,
                None | Some(Control::Stop { .. }) => Next::Exit,
            },
        };
        match result {
            Ok(session) => self.serve(session, changes, changes_tx).await,
            Err(ConnectError::NeedsAuth { challenge }) => self.needs_auth(challenge).await,
            Err(error) => {
                // The whole chain goes to the log; the view gets the one sentence.
                let summary = error.to_string();
                let detail = error.detail();
                if detail != summary {
                    self.shared
                        .log
                        .daemon(LogLevel::Warn, format!("connecting failed: {detail}"));
                }
                self.back_off(summary).await
            }
        }
    }

    async fn needs_auth(&mut self, challenge: Option<String>) -> Next {
        let detail = challenge.map(|c| format!(": {c}")).unwrap_or_default();
        self.shared.log.daemon(
            LogLevel::Warn,
            format!("the server needs authorization{detail}; waiting for a login (no retries)"),
        );
        // With OAuth a login is started at once, so the state comes with the URL every
        // client can show; the supervisor reconnects when the login has finished.
        let oauth = self.shared.oauth.clone();
        let login_url = match &oauth {
            Some(oauth) => match oauth.start_login().await {
                Ok(url) if url.is_empty() => return Next::Connect,
                Ok(url) => Some(url),
                Err(e) => {
                    self.shared.log.daemon(
                        LogLevel::Warn,
                        format!("cannot start a login: {e}{}", hint_suffix(e.hint())),
                    );
                    None
                }
            },
            None => None,
        };
        self.shared.update(|view| {
            view.state = ServerState::NeedsAuth;
            view.last_error = Some(connect::sentence(&format!(
                "authorization required{detail}"
            )));
            view.retry_at = None;
            view.login_url = login_url;
        });
        let Some(oauth) = oauth else {
            return match self.control.recv().await {
                Some(Control::Restart) => {
                    self.backoff.reset();
                    Next::Connect
                }
                None | Some(Control::Stop { .. }) => Next::Exit,
            };
        };
        let mut state = oauth.watch();
        loop {
            let login_url = oauth.login_url();
            self.shared.update(|view| {
                if view.login_url != login_url {
                    view.login_url = login_url;
                }
            });
            tokio::select! {
                control = self.control.recv() => return match control {
                    Some(Control::Restart) => {
                        self.backoff.reset();
                        Next::Connect
                    }
                    None | Some(Control::Stop { .. }) => Next::Exit,
                },
                changed = state.changed() => {
                    if changed.is_err() {
                        return Next::Exit;
                    }
                    if matches!(*state.borrow(), AuthState::Authorized { .. }) {
                        self.shared.log.daemon(LogLevel::Info, "logged in; connecting");
                        self.shared.update(|view| view.login_url = None);
                        self.backoff.reset();
                        return Next::Connect;
                    }
                }
            }
        }
    }

    /// A working connection was lost. The first loss retries after a moment (a restarted
    /// server is back before anyone notices); it still counts as a failure, so a server
    /// that keeps dying backs off properly from the second loss on.
    async fn lost(&mut self, error: String) -> Next {
        let first_loss = self.backoff.failures() == 0;
        let delay = self.backoff.fail();
        let delay = if first_loss {
            FIRST_RETRY_AFTER_LOSS
        } else {
            delay
        };
        self.wait_before_retry(error, delay).await
    }

    async fn back_off(&mut self, error: String) -> Next {
        let delay = self.backoff.fail();
        self.wait_before_retry(error, delay).await
    }

    async fn wait_before_retry(&mut self, error: String, delay: Duration) -> Next {
        let retry_at = Timestamp::now()
            .checked_add(jiff::SignedDuration::try_from(delay).unwrap_or_default())
            .ok();
        self.shared.log.daemon(
            LogLevel::Warn,
            format!("{error}; retrying in {:.1}s", delay.as_secs_f64()),
        );
        let failures = self.backoff.failures();
        self.shared.update(|view| {
            view.state = ServerState::Backoff;
            view.attempt = Some(failures);
            view.retry_at = retry_at;
            view.last_error = Some(connect::sentence(&error));
            view.pid = None;
        });
        tokio::select! {
            () = tokio::time::sleep(delay) => Next::Connect,
            control = self.control.recv() => match control {
                Some(Control::Restart) => {
                    self.backoff.reset();
                    Next::Connect
                }
                None | Some(Control::Stop { .. }) => Next::Exit,
            },
        }
    }

    async fn serve(
        &mut self,
        session: Session,
        mut changes: mpsc::UnboundedReceiver<ListChanged>,
        changes_tx: mpsc::UnboundedSender<ListChanged>,
    ) -> Next {
        let Session {
            service,
            mut process,
            transport,
        } = session;
        let peer = service.peer().clone();
        let Some(info) = peer.peer_info() else {
            return self
                .back_off("the server sent no capabilities".to_owned())
                .await;
        };
        let capabilities = info.capabilities.clone();
        let protocol_version = info.protocol_version.to_string();
        // Listing is part of connecting: bounded by `connect_timeout`, and a stop or restart
        // asked for meanwhile is heard (a server that never answers must not hold them up).
        let timeout = self.config.connect_timeout;
        let fetched = tokio::select! {
            fetched = tokio::time::timeout(timeout, Catalog::fetch(&peer, &capabilities)) => Some(fetched),
            control = self.control.recv() => {
                service.cancellation_token().cancel();
                if let Some(process) = process.take() {
                    process.kill().await;
                }
                return match control {
                    Some(Control::Restart) => Next::Connect,
                    None | Some(Control::Stop { .. }) => Next::Exit,
                };
            }
        };
        let failure = match fetched {
            Some(Ok(Ok(catalog))) => Ok(catalog),
            Some(Ok(Err(e))) => Err(format!("listing the server's tools failed: {e}")),
            _ => Err(format!(
                "the server did not list its tools within {timeout:?}"
            )),
        };
        let catalog = match failure {
            Ok(catalog) => catalog,
            Err(error) => {
                service.cancellation_token().cancel();
                if let Some(process) = process.take() {
                    process.kill().await;
                }
                return self.back_off(error).await;
            }
        };
        let pid = process.as_ref().map(super::process::ChildProcess::pid);
        let tool_count = catalog.tools.len();
        let connection = Connection {
            peer: peer.clone(),
            protocol_version: protocol_version.clone(),
            capabilities: capabilities.clone(),
            transport,
            server_info: info.server_info.clone(),
            instructions: info.instructions.clone(),
        };
        self.restore_subscriptions(&connection).await;
        self.shared.set_connection(Some(connection));
        self.shared.deliver(catalog).await;
        let held = self.shared.held().len();
        let held = if held == 0 {
            String::new()
        } else {
            format!(" ({held} items held by the catalog gate)")
        };
        self.shared.log.daemon(
            LogLevel::Info,
            format!(
                "ready: {tool_count} tools{held}, MCP {protocol_version} over {}",
                transport.as_str()
            ),
        );
        self.shared.update(|view| {
            view.state = ServerState::Ready;
            view.transport = transport;
            view.protocol_version = Some(protocol_version.clone());
            view.pid = pid;
            view.connected_since = Some(Timestamp::now());
            view.attempt = None;
            view.retry_at = None;
            view.last_error = None;
        });
        let listener = crate::protocol::is_stateless_mcp_version(&protocol_version).then(|| {
            tokio::spawn(super::handler::listen_for_changes(
                peer.clone(),
                capabilities.clone(),
                changes_tx,
                Arc::clone(&self.shared.log),
            ))
        });

        let ready_at = Instant::now();
        let cancel = service.cancellation_token();
        let mut waiting = std::pin::pin!(service.waiting());
        let oauth = self.shared.oauth.clone();
        let mut login_lost = std::pin::pin!(login_lost(oauth.as_ref().map(|o| o.watch())));
        let mut refresh = std::pin::pin!(refresh_when_due(
            oauth.clone(),
            Arc::clone(&self.shared.log)
        ));
        let pings = transport != TransportKind::Stdio && !self.config.ping_interval.is_zero();
        let mut ping = tokio::time::interval(
            self.config
                .ping_interval
                .clamp(Duration::from_millis(100), crate::config::MAX_DURATION),
        );
        ping.tick().await;
        let ended = loop {
            tokio::select! {
                _ = &mut waiting => break Ended::Closed,
                () = &mut login_lost => break Ended::NeedsAuth,
                () = &mut refresh => break Ended::NeedsAuth,
                why = leader_exit(&mut process) => break Ended::LeaderExited(why),
                Some(list) = changes.recv() => self.refresh(&peer, &capabilities, list).await,
                _ = ping.tick(), if pings => {
                    let request = ClientRequest::PingRequest(PingRequest::default());
                    match tokio::time::timeout(PING_TIMEOUT, peer.send_request(request)).await {
                        Ok(Ok(_)) => {}
                        Ok(Err(e)) => break Ended::Failed(format!("ping failed: {e}")),
                        Err(_) => break Ended::Failed(format!("no answer to a ping within {PING_TIMEOUT:?}")),
                    }
                }
                control = self.control.recv() => match control {
                    Some(Control::Restart) => break Ended::Restart,
                    Some(Control::Stop { grace_cap }) => break Ended::Stop(grace_cap),
                    None => break Ended::Stop(None),
                },
            }
        };
        self.shared.set_connection(None);
        self.shared.withdraw().await;
        if let Some(listener) = listener {
            listener.abort();
        }
        if !matches!(ended, Ended::Closed) {
            // Phase one: closing the session closes a stdio child's stdin.
            cancel.cancel();
            let _ = tokio::time::timeout(CLOSE_TIMEOUT, &mut waiting).await;
        }
        let grace_cap = match ended {
            Ended::Stop(cap) => cap,
            _ => None,
        };
        let exit = match (process, &ended) {
            (Some(process), Ended::LeaderExited(_)) => {
                self.stop_orphans(process).await;
                None
            }
            (Some(process), _) => Some(self.stop_process(process, grace_cap).await),
            (None, _) => None,
        };
        self.backoff.connection_ended(ready_at.elapsed());
        match ended {
            Ended::Stop(_) => Next::Exit,
            Ended::Restart => {
                self.shared
                    .log
                    .daemon(LogLevel::Info, "restarting on request");
                self.backoff.reset();
                Next::Connect
            }
            Ended::Failed(error) | Ended::LeaderExited(error) => self.lost(error).await,
            Ended::NeedsAuth => self.needs_auth(None).await,
            Ended::Closed => {
                let why = exit
                    .flatten()
                    .unwrap_or_else(|| "the connection closed".to_owned());
                self.lost(why).await
            }
        }
    }

    /// The leader of a stdio server exited while processes it started live on (holding the
    /// pipes, so the session looked alive): the server is over. What is left of its process
    /// group gets SIGTERM at once and SIGKILL after `kill_grace`.
    async fn stop_orphans(&self, process: super::process::ChildProcess) {
        let outcome = process.stop(Duration::ZERO, self.config.kill_grace).await;
        if outcome != StopOutcome::Exited {
            self.shared.log.daemon(
                LogLevel::Warn,
                "stopped the processes the server's leader left behind",
            );
        }
        self.shared.update(|view| view.pid = None);
    }

    /// Subscribes the new connection to every resource a client session still watches, so
    /// updates go on after a reconnect. Bounded by `connect_timeout`, like the rest of
    /// connecting.
    async fn restore_subscriptions(&self, connection: &Connection) {
        let timeout = self.config.connect_timeout;
        let restoring = self.shared.subscriptions.restore(connection);
        match tokio::time::timeout(timeout, restoring).await {
            Ok(refused) => {
                for (uri, why) in refused {
                    self.shared.log.daemon(
                        LogLevel::Warn,
                        format!("cannot subscribe to {uri} again after reconnecting: {why}"),
                    );
                }
            }
            Err(_) => self.shared.log.daemon(
                LogLevel::Warn,
                format!("subscribing to resources again took longer than {timeout:?}; gave up"),
            ),
        }
    }

    /// Stops a stdio child in two phases; returns how it exited when it did so on its own.
    async fn stop_process(
        &self,
        mut process: super::process::ChildProcess,
        grace_cap: Option<Duration>,
    ) -> Option<String> {
        let cap = |grace: Duration| grace_cap.map_or(grace, |cap| grace.min(cap));
        let already = match tokio::time::timeout(Duration::from_millis(50), process.wait()).await {
            Ok(Ok(status)) => Some(format!("the process exited ({status})")),
            _ => None,
        };
        let outcome = process
            .stop(cap(self.config.shutdown_grace), cap(self.config.kill_grace))
            .await;
        let message = match outcome {
            StopOutcome::Exited => "process stopped",
            StopOutcome::Terminated => {
                "process stopped with SIGTERM after its stdin closed and the grace ran out"
            }
            StopOutcome::Killed => {
                "process killed with SIGKILL: it ignored stdin close and SIGTERM"
            }
        };
        let level = if outcome == StopOutcome::Exited {
            LogLevel::Info
        } else {
            LogLevel::Warn
        };
        self.shared.log.daemon(level, message);
        self.shared.update(|view| view.pid = None);
        already
    }

    async fn refresh(
        &self,
        peer: &rmcp::service::Peer<rmcp::RoleClient>,
        capabilities: &rmcp::model::ServerCapabilities,
        list: ListChanged,
    ) {
        let mut catalog = self.shared.delivered();
        // The supervisor hears no stop while it waits here: keep the wait bounded.
        let timeout = self.config.connect_timeout;
        let refreshed = tokio::time::timeout(timeout, catalog.refresh(peer, capabilities, list))
            .await
            .map_err(|_| format!("no answer within {timeout:?}"))
            .and_then(|r| r.map_err(|e| e.to_string()));
        match refreshed {
            Ok(()) => {
                let tool_count = catalog.tools.len();
                self.shared.deliver(catalog).await;
                let what = match list {
                    ListChanged::Tools => "tool",
                    ListChanged::Prompts => "prompt",
                    ListChanged::Resources => "resource",
                };
                self.shared.log.daemon(
                    LogLevel::Info,
                    format!("the {what} list changed; {tool_count} tools now"),
                );
            }
            Err(e) => self.shared.log.daemon(
                LogLevel::Warn,
                format!("re-listing after a change failed: {e}"),
            ),
        }
    }
}

fn hint_suffix(hint: Option<String>) -> String {
    hint.map(|h| format!(" ({h})")).unwrap_or_default()
}

/// Resolves when the server's OAuth session needs a login (never without OAuth).
async fn login_lost(state: Option<tokio::sync::watch::Receiver<AuthState>>) {
    let Some(mut state) = state else {
        return std::future::pending().await;
    };
    loop {
        if matches!(*state.borrow_and_update(), AuthState::NeedsLogin { .. }) {
            return;
        }
        if state.changed().await.is_err() {
            return std::future::pending().await;
        }
    }
}

/// Refreshes the OAuth tokens ahead of expiry, in the background, for as long as the
/// connection lives; resolves only when a refresh was refused (a login is needed). A
/// refresh that fails for another reason (network) is tried again 30 s later; a refused
/// one is never retried.
async fn refresh_when_due(
    oauth: Option<Arc<OAuthSession>>,
    log: Arc<super::server_log::ServerLog>,
) {
    let Some(oauth) = oauth else {
        return std::future::pending().await;
    };
    loop {
        let Some(expires_at) = oauth.expires_at().await else {
            return std::future::pending().await;
        };
        let now = Timestamp::now().as_second().max(0).unsigned_abs();
        let remaining = expires_at.saturating_sub(now);
        // Refresh with a fifth of the lifetime left (5 s to 5 min before expiry).
        let margin = (remaining / 5).clamp(5, 300);
        tokio::time::sleep(Duration::from_secs(remaining.saturating_sub(margin))).await;
        match oauth.refresh().await {
            Ok(()) => log.daemon(LogLevel::Info, "OAuth tokens refreshed"),
            Err(e) if e.needs_login() => {
                log.daemon(
                    LogLevel::Warn,
                    format!("the OAuth refresh was refused ({e}); a login is needed"),
                );
                return;
            }
            Err(e) => {
                log.daemon(
                    LogLevel::Warn,
                    format!("refreshing the OAuth tokens failed: {e}; trying again in 30s"),
                );
                tokio::time::sleep(Duration::from_secs(30)).await;
            }
        }
    }
}

/// Resolves when a stdio server's leader process has exited and been reaped, with what to
/// say about it; never for a server without a process.
async fn leader_exit(process: &mut Option<super::process::ChildProcess>) -> String {
    match process {
        Some(process) => match process.wait().await {
            Ok(status) => format!("the server's process exited ({status})"),
            Err(e) => format!("waiting for the server's process failed: {e}"),
        },
        None => std::future::pending().await,
    }
}
