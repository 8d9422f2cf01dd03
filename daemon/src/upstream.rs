//! Upstream servers: the registry of supervisors, one per configured server, and the state
//! each one shares with the API and the proxy.
//!
//! [`Upstreams::apply`] turns a config into running supervisors: new servers start,
//! removed ones stop, changed ones are replaced (the new supervisor waits until the old one
//! has stopped its process). Every view change is published on the event bus.

mod backoff;
pub mod call;
mod connect;
pub mod guard;
mod handler;
pub mod http_client;
pub mod probe;
mod process;
pub mod procfs;
pub mod reaper;
pub mod review_mode;
pub mod routes;
pub mod server_log;
pub mod sse;
mod subscriptions;
mod supervisor;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use rmcp::model::ServerCapabilities;
use rmcp::service::{Peer, RoleClient};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

pub use self::connect::Launcher;
use self::server_log::ServerLog;
pub use self::subscriptions::{Subscriptions, UpdateSink};
use self::supervisor::{Control, Supervisor};
use crate::catalog::Catalog;
use crate::config::ServerConfig;
use crate::events::{DaemonEvent, EventBus};
use crate::gate::{CatalogChange, CatalogGate, Gated, Passed};
use crate::paths::Paths;
use crate::protocol::{HeldItem, ItemKind, ServerState, ServerView, ToolView};
use crate::sync::lock;

/// Beyond the two stop phases, how long a stopping supervisor may take before it is aborted.
const SHUTDOWN_MARGIN: Duration = Duration::from_secs(3);

/// A live MCP session with an upstream, for making calls.
#[derive(Debug, Clone)]
pub struct Connection {
    pub peer: Peer<RoleClient>,
    pub protocol_version: String,
    pub capabilities: ServerCapabilities,
    pub transport: crate::protocol::TransportKind,
    pub server_info: Option<rmcp::model::Implementation>,
    pub instructions: Option<String>,
}

/// What one supervisor shares with everyone else.
#[derive(Debug)]
pub struct ServerShared {
    pub name: String,
    pub log: Arc<ServerLog>,
    /// Calls in flight through this server, for routing its messages back.
    pub routes: Arc<routes::CallRoutes>,
    /// Its OAuth tokens and logins (remote streamable-HTTP servers).
    pub oauth: Option<Arc<crate::oauth::OAuthSession>>,
    /// The client sessions subscribed to its resources; kept across reconnects.
    pub subscriptions: Arc<Subscriptions>,
    view: Mutex<ServerView>,
    /// The state in `view`, for waiting on a change without polling.
    state: watch::Sender<ServerState>,
    live: RwLock<Live>,
    /// Serialises gate passes, so a catalog never overtakes the one after it.
    gating: tokio::sync::Mutex<()>,
    gate: Arc<CatalogGate>,
    bus: EventBus,
    /// Set when a config change replaced or removed this server: its supervisor may still
    /// be winding down, but what it says of itself is no longer the server's state, so its
    /// views are no longer published (set under the view's lock).
    retired: std::sync::atomic::AtomicBool,
}

#[derive(Debug, Default)]
struct Live {
    connection: Option<Connection>,
    /// The catalog as the server delivered it.
    delivered: Catalog,
    /// The catalog after the gate: what agents may see and use.
    gated: Gated,
}

impl ServerShared {
    fn new(
        name: &str,
        config: &ServerConfig,
        log: Arc<ServerLog>,
        subscriptions: Arc<Subscriptions>,
        bus: EventBus,
        gate: Arc<CatalogGate>,
    ) -> Self {
        let view = initial_view(name, config);
        Self {
            name: name.to_owned(),
            log,
            routes: Arc::default(),
            oauth: None,
            subscriptions,
            state: watch::Sender::new(view.state),
            view: Mutex::new(view),
            live: RwLock::new(Live::default()),
            gating: tokio::sync::Mutex::new(()),
            gate,
            bus,
            retired: std::sync::atomic::AtomicBool::new(false),
        }
    }

    pub fn view(&self) -> ServerView {
        lock(&self.view).clone()
    }

    /// Follows the server's state (`connecting`, `ready`, ...).
    pub fn watch_state(&self) -> watch::Receiver<ServerState> {
        self.state.subscribe()
    }

    /// Changes the view and publishes it.
    pub fn update(&self, change: impl FnOnce(&mut ServerView)) {
        let (tools, held) = {
            let live = self.read_live();
            // A tool a person switched off is not waiting for anyone's review.
            let in_review = live
                .gated
                .held
                .iter()
                .filter(|item| item.stage != crate::gate::SWITCHES_STAGE)
                .count();
            (live.gated.served.tools.len(), in_review)
        };
        let mut view = lock(&self.view);
        change(&mut view);
        // Library errors quote the URL they failed on, credentials included, and an
        // upstream's error may quote the arguments of a call.
        view.last_error = view.last_error.take().map(crate::redact::masked);
        view.tool_count = u32::try_from(tools).unwrap_or(u32::MAX);
        view.pending_review = u32::try_from(held).unwrap_or(u32::MAX);
        self.state.send_if_modified(|state| {
            let changed = *state != view.state;
            *state = view.state;
            changed
        });
        // Published under the lock, so updates reach subscribers in the order they were
        // made and none follows [`Self::retire`].
        if !self.is_retired() {
            self.bus.emit(DaemonEvent::Server(view.clone()));
        }
    }

    /// Whether [`Self::retire`] was called: this supervisor no longer speaks for the server.
    fn is_retired(&self) -> bool {
        self.retired.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Stops publishing this server's views: a successor (or its removal) speaks for it
    /// now. Without this, a supervisor still connecting when a person disables the server
    /// could announce `ready` after the successor announced `disabled`.
    fn retire(&self) {
        let _view = lock(&self.view);
        self.retired
            .store(true, std::sync::atomic::Ordering::Release);
    }

    pub fn connection(&self) -> Option<Connection> {
        self.read_live().connection.clone()
    }

    /// The server's own usage instructions, from its last handshake.
    pub fn instructions(&self) -> Option<String> {
        self.read_live()
            .connection
            .as_ref()
            .and_then(|c| c.instructions.clone())
    }

    /// What agents may see of the server now (a copy).
    pub fn catalog(&self) -> Catalog {
        self.read_live().gated.served.clone()
    }

    /// Reads what agents may see in place (no copy: calls look tools up on their hot path).
    pub fn with_catalog<R>(&self, read: impl FnOnce(&Catalog) -> R) -> R {
        read(&self.read_live().gated.served)
    }

    /// The hashes of the items the gate let through.
    pub fn passed(&self) -> Passed {
        self.read_live().gated.passed.clone()
    }

    /// The annotations of one tool, read in place (intent checks run on every call).
    pub fn tool_hints(&self, name: &str) -> Option<crate::protocol::ToolHints> {
        self.with_catalog(|catalog| {
            catalog
                .tools
                .iter()
                .find(|t| t.name == name)
                .map(crate::catalog::tool_hints)
        })
    }

    /// One tool as clients see it, built from the served catalog in place.
    pub fn tool(&self, name: &str) -> Option<ToolView> {
        self.with_catalog(|catalog| {
            catalog
                .tools
                .iter()
                .find(|t| t.name == name)
                .map(|t| crate::catalog::tool_view(&self.name, t))
        })
    }

    pub fn has_tool(&self, name: &str) -> bool {
        self.with_catalog(|catalog| catalog.tools.iter().any(|t| t.name == name))
    }

    /// Why the gate holds an item of this server, if it does.
    pub fn held_item(&self, kind: ItemKind, name: &str) -> Option<HeldItem> {
        self.read_live()
            .gated
            .held
            .iter()
            .find(|item| item.kind == kind && item.name == name)
            .cloned()
    }

    pub fn tools(&self) -> Vec<ToolView> {
        self.read_live().gated.served.tool_views(&self.name)
    }

    pub fn held(&self) -> Vec<HeldItem> {
        self.read_live().gated.held.clone()
    }

    /// The names of the tools the server offers, held ones too; None until it connects.
    pub fn delivered_tool_names(&self) -> Option<Vec<String>> {
        let live = self.read_live();
        live.connection.as_ref()?;
        Some(
            live.delivered
                .tools
                .iter()
                .map(|tool| tool.name.to_string())
                .collect(),
        )
    }

    /// The catalog as the server delivered it, before the gate.
    pub fn delivered(&self) -> Catalog {
        self.read_live().delivered.clone()
    }

    fn set_connection(&self, connection: Option<Connection>) {
        self.write_live().connection = connection;
    }

    /// Passes a catalog the server delivered through the gate, then serves what passed.
    async fn deliver(&self, delivered: Catalog) {
        let _gating = self.gating.lock().await;
        // A retired supervisor's catalog is no longer the server's: its tools were
        // forgotten, and must not come back.
        if self.is_retired() {
            return;
        }
        // Stages may read files or a database: off the async workers, on the gate's thread.
        let passed = self
            .gate
            .pass_off_runtime(self.name.clone(), delivered)
            .await;
        match passed {
            Ok((delivered, gated)) => self.serve(delivered, gated),
            Err(e) => self.log.daemon(
                crate::protocol::LogLevel::Error,
                format!("the catalog gate failed; keeping what was served: {e}"),
            ),
        }
    }

    /// Passes the last delivered catalog through the gate again (a stage changed its mind:
    /// an approval, a switch).
    pub async fn regate(&self) {
        let delivered = self.read_live().delivered.clone();
        if self.connection().is_some() {
            self.deliver(delivered).await;
        }
    }

    /// Serves nothing (the connection ended) and tells the stages to forget the server;
    /// returns once they have, so a server that is down is also gone from search.
    async fn withdraw(&self) {
        let _gating = self.gating.lock().await;
        self.serve(Catalog::default(), Gated::default());
        self.gate.forget_off_runtime(&self.name).await;
    }

    fn serve(&self, delivered: Catalog, gated: Gated) {
        let change = {
            let mut live = self.write_live();
            let change = CatalogChange::between(&live.gated, &gated);
            live.delivered = delivered;
            live.gated = gated;
            change
        };
        if change.any() {
            self.update(|_| {});
            self.bus.emit(DaemonEvent::Catalog {
                server: self.name.clone(),
                change,
            });
        }
    }

    fn read_live(&self) -> std::sync::RwLockReadGuard<'_, Live> {
        self.live
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write_live(&self) -> std::sync::RwLockWriteGuard<'_, Live> {
        self.live
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Publishes a server's OAuth changes as `oauth` events.
fn oauth_events(
    name: &str,
    session: crate::oauth::OAuthSession,
    bus: &EventBus,
) -> crate::oauth::OAuthSession {
    let bus = bus.clone();
    session.with_notifier(
        name,
        Box::new(move |change, auth| {
            bus.emit(DaemonEvent::OAuth(crate::protocol::OAuthEvent {
                change,
                auth,
            }));
        }),
    )
}

fn initial_view(name: &str, config: &ServerConfig) -> ServerView {
    let state =
        ServerState::held(config.enabled, config.quarantined).unwrap_or(ServerState::Connecting);
    ServerView {
        name: name.to_owned(),
        transport: config.transport_kind(),
        state,
        enabled: config.enabled,
        quarantined: config.quarantined,
        block_secrets: config.block_secrets,
        tool_count: 0,
        pending_review: 0,
        last_error: None,
        attempt: None,
        retry_at: None,
        login_url: None,
        connected_since: None,
        pid: None,
        protocol_version: None,
    }
}

struct Entry {
    config: ServerConfig,
    shared: Arc<ServerShared>,
    control: mpsc::UnboundedSender<Control>,
    task: JoinHandle<()>,
}

/// A replaced server's stopping supervisor, and the log and resource subscriptions its
/// successor keeps using.
struct Predecessor {
    task: JoinHandle<()>,
    log: Arc<ServerLog>,
    subscriptions: Arc<Subscriptions>,
}

/// Every configured server's supervisor.
pub struct Upstreams {
    servers: Mutex<BTreeMap<String, Entry>>,
    /// Supervisors of removed servers, still stopping their processes.
    stopping: Mutex<Vec<JoinHandle<()>>>,
    launcher: Launcher,
    paths: Paths,
    bus: EventBus,
    gate: Arc<CatalogGate>,
}

impl std::fmt::Debug for Upstreams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstreams").finish_non_exhaustive()
    }
}

impl Upstreams {
    pub fn new(launcher: Launcher, paths: Paths, bus: EventBus, gate: Arc<CatalogGate>) -> Self {
        Self {
            servers: Mutex::new(BTreeMap::new()),
            stopping: Mutex::new(Vec::new()),
            launcher,
            paths,
            bus,
            gate,
        }
    }

    /// Brings the running supervisors in line with `servers`. Returns the servers whose
    /// supervisor was retired (removed, or restarted with new settings): their tools must
    /// leave the gate's stages, see [`Upstreams::forget`].
    #[must_use = "the retired servers' tools stay in the gate's stages until forgotten"]
    pub fn apply(&self, servers: &BTreeMap<String, ServerConfig>) -> Vec<String> {
        let mut retired = Vec::new();
        let mut running = lock(&self.servers);
        let removed: Vec<String> = running
            .keys()
            .filter(|name| !servers.contains_key(*name))
            .cloned()
            .collect();
        for name in removed {
            if let Some(entry) = running.remove(&name) {
                entry.shared.retire();
                entry.shared.log.daemon(
                    crate::protocol::LogLevel::Info,
                    "removed from the config; stopping",
                );
                let _ = entry.control.send(Control::Stop { grace_cap: None });
                let mut stopping = lock(&self.stopping);
                stopping.retain(|task| !task.is_finished());
                stopping.push(entry.task);
                self.bus
                    .emit(DaemonEvent::ServerRemoved { name: name.clone() });
                retired.push(name);
            }
        }
        for (name, config) in servers {
            let predecessor = match running.get_mut(name) {
                Some(entry) if entry.config == *config => continue,
                // Only switches changed: the gate applies them (see `Daemon::apply_config`).
                Some(entry) if entry.config.runs_like(config) => {
                    if entry.config.block_secrets != config.block_secrets {
                        let block = config.block_secrets;
                        entry.shared.update(|view| view.block_secrets = block);
                    }
                    entry.config = config.clone();
                    continue;
                }
                Some(_) => running.remove(name).map(|old| {
                    old.shared.retire();
                    retired.push(name.clone());
                    old.shared.log.daemon(
                        crate::protocol::LogLevel::Info,
                        "config changed; restarting with the new settings",
                    );
                    let _ = old.control.send(Control::Stop { grace_cap: None });
                    Predecessor {
                        task: old.task,
                        log: Arc::clone(&old.shared.log),
                        subscriptions: Arc::clone(&old.shared.subscriptions),
                    }
                }),
                None => None,
            };
            let entry = self.start(name, config, predecessor);
            running.insert(name.clone(), entry);
        }
        retired
    }

    /// Takes the tools of `servers` out of the gate's stages (the search index), on the
    /// gate's thread: at once, not when their old supervisors have wound down, so a server
    /// disabled or removed is gone from search when the change returns.
    pub async fn forget(&self, servers: &[String]) {
        for server in servers {
            self.gate.forget_off_runtime(server).await;
        }
    }

    fn start(&self, name: &str, config: &ServerConfig, predecessor: Option<Predecessor>) -> Entry {
        // A restarted server keeps writing to the log file its predecessor opened, and its
        // clients keep their resource subscriptions.
        let (log, subscriptions, predecessor) = match predecessor {
            Some(Predecessor {
                task,
                log,
                subscriptions,
            }) => (log, subscriptions, Some(task)),
            None => (
                Arc::new(ServerLog::open(
                    name,
                    self.paths.server_log(name),
                    self.bus.clone(),
                )),
                Arc::default(),
                None,
            ),
        };
        let mut shared = ServerShared::new(
            name,
            config,
            log,
            subscriptions,
            self.bus.clone(),
            Arc::clone(&self.gate),
        );
        shared.oauth = crate::oauth::session_for(name, config, &self.paths.data_dir)
            .map(|session| Arc::new(oauth_events(name, session, &self.bus)));
        let shared = Arc::new(shared);
        let (control, receiver) = mpsc::unbounded_channel();
        let supervisor = Supervisor::new(
            Arc::clone(&shared),
            config.clone(),
            receiver,
            self.launcher.clone(),
            predecessor,
        );
        self.bus.emit(DaemonEvent::Server(shared.view()));
        Entry {
            config: config.clone(),
            shared,
            control,
            task: tokio::spawn(supervisor.run()),
        }
    }

    pub fn views(&self) -> Vec<ServerView> {
        lock(&self.servers)
            .values()
            .map(|e| e.shared.view())
            .collect()
    }

    pub fn server(&self, name: &str) -> Option<Arc<ServerShared>> {
        lock(&self.servers).get(name).map(|e| Arc::clone(&e.shared))
    }

    /// The config of a server, as the supervisor runs it.
    pub fn config_of(&self, name: &str) -> Option<ServerConfig> {
        lock(&self.servers).get(name).map(|e| e.config.clone())
    }

    /// A server and the settings each call reads.
    fn server_with_settings(&self, name: &str) -> Option<(Arc<ServerShared>, CallSettings)> {
        lock(&self.servers).get(name).map(|e| {
            (
                Arc::clone(&e.shared),
                CallSettings {
                    call_timeout: e.config.call_timeout,
                    block_secrets: e.config.block_secrets,
                },
            )
        })
    }

    /// Tools of every server, or of one.
    pub fn tools(&self, server: Option<&str>) -> Vec<ToolView> {
        // Views are built outside the registry lock: schemas can be large.
        self.selected(server)
            .iter()
            .flat_map(|shared| shared.tools())
            .collect()
    }

    /// Held items of every server, or of one.
    pub fn held(&self, server: Option<&str>) -> Vec<HeldItem> {
        self.selected(server)
            .iter()
            .flat_map(|shared| shared.held())
            .collect()
    }

    /// Passes every server's last catalog through the gate again.
    pub async fn regate_all(&self) {
        for server in self.selected(None) {
            server.regate().await;
        }
    }

    /// Passes the last catalogs of `names` through the gate again.
    pub async fn regate(&self, names: &[String]) {
        for name in names {
            for server in self.selected(Some(name)) {
                server.regate().await;
            }
        }
    }

    fn selected(&self, server: Option<&str>) -> Vec<Arc<ServerShared>> {
        lock(&self.servers)
            .iter()
            .filter(|(name, _)| server.is_none_or(|s| s == name.as_str()))
            .map(|(_, e)| Arc::clone(&e.shared))
            .collect()
    }

    /// Reconnects a server now. False when there is no such server.
    pub fn restart(&self, name: &str) -> bool {
        lock(&self.servers)
            .get(name)
            .is_some_and(|e| e.control.send(Control::Restart).is_ok())
    }

    /// Stops every supervisor, each server within `grace_cap` per stop phase, and waits.
    /// A supervisor still busy after both phases and a margin is aborted; dropping its child
    /// process kills that process group at once.
    pub async fn shutdown(&self, grace_cap: Duration) {
        let mut tasks: Vec<JoinHandle<()>> = std::mem::take(&mut *lock(&self.stopping));
        for (_, entry) in std::mem::take(&mut *lock(&self.servers)) {
            let _ = entry.control.send(Control::Stop {
                grace_cap: Some(grace_cap),
            });
            tasks.push(entry.task);
        }
        let limit = grace_cap * 2 + SHUTDOWN_MARGIN;
        let aborts: Vec<_> = tasks.iter().map(JoinHandle::abort_handle).collect();
        let all = futures_util::future::join_all(tasks);
        if tokio::time::timeout(limit, all).await.is_err() {
            tracing::warn!("some servers did not stop within {limit:?}; killing them");
            for abort in aborts {
                abort.abort();
            }
        }
        if let Some(guard) = self.launcher.guard.clone() {
            // Waits for the guard process to exit: blocking, so off the runtime.
            let _ = tokio::task::spawn_blocking(move || guard.shut_down()).await;
        }
    }
}

/// A server's settings that each call reads (they change without a restart).
struct CallSettings {
    call_timeout: Duration,
    block_secrets: bool,
}
