//! The daemon handle: a cheap-to-clone view of the running engine that the API, the
//! supervisors and the proxy share, with the event bus every state change goes through.

mod components;
mod config_watch;
mod search;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use jiff::Timestamp;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

pub use self::components::Components;
pub use self::config_watch::watch as watch_config;
use self::search::IndexStage;
pub use self::search::SearchSetup;
use crate::config::LoadedConfig;
use crate::events::{DaemonEvent, EventBus};
use crate::gate::{CatalogGate, GateStage, ToolSwitches};
use crate::http::ApiKey;
use crate::index::{IndexError, ToolIndex};
use crate::paths::Paths;
use crate::protocol::{
    ConfigProblem, Goodbye, GoodbyeReason, HeldItem, PROTOCOL_VERSION, SearchStatus, ServerCounts,
    ServerState, ServerView, State, Status, ToolMatch, ToolSearch, ToolView,
};
use crate::review::ReviewStage;
use crate::store::ActivityLog;
use crate::sync::lock;
use crate::upstream::{Launcher, Upstreams};

#[derive(Clone)]
pub struct Daemon {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Daemon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Daemon")
            .field("data_dir", &self.inner.paths.data_dir)
            .finish_non_exhaustive()
    }
}

struct Inner {
    paths: Paths,
    started_at: Timestamp,
    started: Instant,
    listen: Option<SocketAddr>,
    api_key: ApiKey,
    config: RwLock<Arc<LoadedConfig>>,
    /// Why the file on disk is not the running config, while it is broken.
    config_problems: Mutex<Vec<ConfigProblem>>,
    /// The broken text last refused, so the same text is refused (and reported) once.
    refused_text: Mutex<Option<String>>,
    /// Serialises config edits and reloads, so each applies to the one before it.
    config_edits: tokio::sync::Mutex<()>,
    bus: EventBus,
    upstreams: Upstreams,
    /// The gate's first stage: the tools people switched off in the config.
    switches: Arc<ToolSwitches>,
    /// Tool search over what agents may see; fed by the gate's last stage.
    index: ToolIndex,
    shutdown: CancellationToken,
    /// What attached clients are told when the daemon goes away.
    goodbye: Mutex<Option<Goodbye>>,
    /// Tool review (pins in the store); absent only in a daemon built without a store.
    review: Option<Arc<ReviewStage>>,
    activity_log: Option<ActivityLog>,
}

/// Everything a [`Daemon`] is made of, before it runs.
pub struct DaemonBuilder {
    paths: Paths,
    config: LoadedConfig,
    listen: Option<SocketAddr>,
    api_key: ApiKey,
    launcher: Launcher,
    stages: Vec<Arc<dyn GateStage>>,
    review: Option<Arc<ReviewStage>>,
    activity_log: Option<ActivityLog>,
    search: SearchSetup,
}

impl DaemonBuilder {
    /// Records finished calls in the store.
    pub fn activity_log(mut self, log: ActivityLog) -> Self {
        self.activity_log = Some(log);
        self
    }

    /// Makes `review` the first of the added stages (after the per-tool switches: a tool a
    /// person switched off is reviewed when it is switched on), and the one approvals and
    /// inspections use.
    pub fn review_stage(mut self, review: Arc<ReviewStage>) -> Self {
        self.stages
            .insert(0, Arc::clone(&review) as Arc<dyn GateStage>);
        self.review = Some(review);
        self
    }

    /// Adds a stage at the end of the catalog gate.
    pub fn gate_stage(mut self, stage: Arc<dyn GateStage>) -> Self {
        self.stages.push(stage);
        self
    }

    /// Where tool search finds its model and keeps vectors (words only, in memory, unless
    /// set).
    pub fn search(mut self, setup: SearchSetup) -> Self {
        self.search = setup;
        self
    }

    /// The daemon, its servers not started yet (see [`Daemon::start_servers`]). The gate
    /// starts with the per-tool switches, then the stages added, and ends with the index.
    pub fn build(self) -> Result<Daemon, IndexError> {
        let bus = EventBus::default();
        let progress_bus = bus.clone();
        let index = self.search.open(Arc::new(move |progress| {
            progress_bus.emit(DaemonEvent::ToolsIndexed(progress));
        }))?;
        let switches = Arc::new(ToolSwitches::default());
        switches.apply(&self.config.config.servers);
        let stages = std::iter::once(Arc::clone(&switches) as Arc<dyn GateStage>)
            .chain(self.stages)
            // Last, so it indexes only what every other stage let through.
            .chain(std::iter::once(Arc::new(IndexStage {
                index: index.clone(),
            }) as Arc<dyn GateStage>))
            .collect();
        let gate = Arc::new(CatalogGate::new(stages));
        let upstreams = Upstreams::new(self.launcher, self.paths.clone(), bus.clone(), gate);
        Ok(Daemon {
            inner: Arc::new(Inner {
                paths: self.paths,
                started_at: Timestamp::now(),
                started: Instant::now(),
                listen: self.listen,
                api_key: self.api_key,
                config: RwLock::new(Arc::new(self.config)),
                config_problems: Mutex::new(Vec::new()),
                refused_text: Mutex::new(None),
                config_edits: tokio::sync::Mutex::new(()),
                bus,
                upstreams,
                switches,
                index,
                shutdown: CancellationToken::new(),
                goodbye: Mutex::new(None),
                review: self.review,
                activity_log: self.activity_log,
            }),
        })
    }
}

impl Daemon {
    pub fn builder(
        paths: Paths,
        config: LoadedConfig,
        listen: Option<SocketAddr>,
        api_key: ApiKey,
        launcher: Launcher,
    ) -> DaemonBuilder {
        DaemonBuilder {
            paths,
            config,
            listen,
            api_key,
            launcher,
            stages: Vec::new(),
            review: None,
            activity_log: None,
            search: SearchSetup::lexical_only(),
        }
    }

    /// Where finished calls are recorded, when the daemon keeps them.
    pub fn activity_log(&self) -> Option<&ActivityLog> {
        self.inner.activity_log.as_ref()
    }

    /// The review stage: pins, held items with their findings, approvals.
    pub fn review(&self) -> Option<&Arc<ReviewStage>> {
        self.inner.review.as_ref()
    }

    /// Starts a supervisor for every configured server.
    pub fn start_servers(&self) {
        // Nothing ran before, so nothing is retired.
        let _ = self.inner.upstreams.apply(&self.config().config.servers);
    }

    pub fn upstreams(&self) -> &Upstreams {
        &self.inner.upstreams
    }

    /// Held while editing the config file, so edits and reloads never interleave.
    pub async fn lock_config_edits(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.inner.config_edits.lock().await
    }

    /// Makes `loaded` the running config and brings the servers in line with it; servers
    /// whose tool switches changed pass the gate again before this returns.
    pub async fn apply_config(&self, loaded: LoadedConfig) {
        let previous = self.config();
        if previous.config.listen != loaded.config.listen
            || previous.config.require_mcp_auth != loaded.config.require_mcp_auth
            || previous.config.limits != loaded.config.limits
        {
            tracing::warn!(
                "`listen`, `require_mcp_auth` and `[limits]` changes take effect when the daemon restarts"
            );
        }
        if let Some(log) = self.activity_log() {
            log.configure(loaded.config.activity);
        }
        let switched = self.inner.switches.apply(&loaded.config.servers);
        let retired = self.inner.upstreams.apply(&loaded.config.servers);
        self.inner.upstreams.forget(&retired).await;
        self.inner.upstreams.regate(&switched).await;
        let path = loaded.path.clone();
        match self.inner.config.write() {
            Ok(mut config) => *config = Arc::new(loaded),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(loaded),
        }
        lock(&self.inner.config_problems).clear();
        *lock(&self.inner.refused_text) = None;
        self.emit(DaemonEvent::ConfigApplied { path });
    }

    /// Re-reads the config file and applies it when it changed. A broken file is refused
    /// (the running config stays), kept as the standing config error and reported, once:
    /// reading the same broken text again reports nothing new.
    pub async fn reload_config(&self) -> Result<bool, crate::config::ConfigError> {
        let _edits = self.lock_config_edits().await;
        let path = self.config().path.clone();
        let path_for_load = path.clone();
        let private = self.inner.paths.config_is_default;
        // Reads a file (and, for the default config, its access rights): off the runtime.
        let loaded = tokio::task::spawn_blocking(move || {
            if private {
                crate::config::load_private(&path_for_load)
            } else {
                crate::config::load(&path_for_load)
            }
        })
        .await
        .unwrap_or_else(|e| {
            Err(crate::config::ConfigError::Io {
                path: path.clone(),
                source: std::io::Error::other(e.to_string()),
            })
        });
        match loaded {
            Ok(loaded) if loaded.text == self.config().text => {
                // Back to the running text after a broken edit: the error is gone.
                *lock(&self.inner.refused_text) = None;
                if !std::mem::take(&mut *lock(&self.inner.config_problems)).is_empty() {
                    self.emit(DaemonEvent::ConfigApplied { path });
                }
                Ok(false)
            }
            Ok(loaded) => {
                tracing::info!(path = %path.display(), "config changed on disk; applying it");
                self.apply_config(loaded).await;
                Ok(true)
            }
            Err(error) => {
                let problems = error.problems();
                let already_refused = match &error {
                    crate::config::ConfigError::Invalid(invalid) => {
                        let mut refused = lock(&self.inner.refused_text);
                        let same = refused.as_deref() == Some(invalid.text());
                        *refused = Some(invalid.text().to_owned());
                        same
                    }
                    _ => *lock(&self.inner.config_problems) == problems,
                };
                if already_refused {
                    return Err(error);
                }
                tracing::warn!(
                    "the changed config was refused; still running the previous one:\n{error}"
                );
                *lock(&self.inner.config_problems) = problems.clone();
                self.emit(DaemonEvent::ConfigRefused { problems });
                Err(error)
            }
        }
    }

    pub fn paths(&self) -> &Paths {
        &self.inner.paths
    }

    pub fn api_key(&self) -> &ApiKey {
        &self.inner.api_key
    }

    pub fn config(&self) -> Arc<LoadedConfig> {
        // A poisoned lock only means a writer panicked mid-swap of an Arc: the value is whole.
        match self.inner.config.read() {
            Ok(config) => Arc::clone(&config),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Cancelled when the daemon starts shutting down.
    pub fn shutdown_token(&self) -> &CancellationToken {
        &self.inner.shutdown
    }

    /// Starts the shutdown; attached clients are told `reason`. The first reason given wins.
    pub fn shutdown(&self, reason: GoodbyeReason, message: impl Into<String>) {
        lock(&self.inner.goodbye).get_or_insert_with(|| Goodbye {
            reason,
            message: message.into(),
        });
        self.inner.shutdown.cancel();
    }

    /// Why the daemon is going away, once it is.
    pub fn goodbye(&self) -> Option<Goodbye> {
        lock(&self.inner.goodbye).clone()
    }

    /// Publishes an event to every subscriber (a bus with no subscribers drops it).
    pub fn emit(&self, event: DaemonEvent) {
        self.inner.bus.emit(event);
    }

    /// The bus itself, for parts that publish on their own (the log feed).
    pub fn bus(&self) -> EventBus {
        self.inner.bus.clone()
    }

    pub fn subscribe(&self) -> broadcast::Receiver<DaemonEvent> {
        self.inner.bus.subscribe()
    }

    pub fn servers(&self) -> Vec<ServerView> {
        self.inner.upstreams.views()
    }

    pub fn tools(&self) -> Vec<ToolView> {
        self.inner.upstreams.tools(None)
    }

    pub fn held(&self) -> Vec<HeldItem> {
        self.inner.upstreams.held(None)
    }

    /// Tools of servers that can be called now (enabled, approved, ready).
    pub fn callable_tools(&self) -> Vec<ToolView> {
        let ready: Vec<String> = self
            .servers()
            .into_iter()
            .filter(|s| s.state == ServerState::Ready && s.enabled && !s.quarantined)
            .map(|s| s.name)
            .collect();
        self.inner
            .upstreams
            .tools(None)
            .into_iter()
            .filter(|t| ready.contains(&t.server))
            .collect()
    }

    /// Where tool search stands.
    pub fn search_status(&self) -> SearchStatus {
        search::search_status(&self.inner.index.status())
    }

    /// The callable tools that best match `query`, at most `limit`, best first: what
    /// `retrieve_tools`, `GET /api/v1/tools/search` and the TUI show.
    pub async fn search_tools(&self, query: &str, limit: usize) -> ToolSearch {
        // Only the hits' views are built: with thousands of tools, cloning every schema
        // would cost more than the search.
        let callable: std::collections::HashMap<String, u64> = self
            .servers()
            .into_iter()
            .filter(|s| s.state == ServerState::Ready && s.enabled && !s.quarantined)
            .map(|s| (s.name, u64::from(s.tool_count)))
            .collect();
        let total_tools: u64 = callable.values().sum();
        let index = self.inner.index.clone();
        // Tools indexed but not callable now (a server between states) are dropped below,
        // so ask for enough to fill `limit` anyway.
        let slack = (index.status().progress.tools as u64).saturating_sub(total_tools);
        let slack = usize::try_from(slack).unwrap_or(usize::MAX);
        let text = query.to_owned();
        // A search by meaning runs the model (~15 ms of CPU): off the runtime.
        let hits =
            tokio::task::spawn_blocking(move || index.search(&text, limit.saturating_add(slack)))
                .await
                .unwrap_or_else(|e| {
                    tracing::warn!("tool search failed: {e}");
                    Vec::new()
                });
        let results = hits
            .iter()
            .filter(|hit| callable.contains_key(&hit.server))
            .filter_map(|hit| {
                let tool = self.inner.upstreams.server(&hit.server)?.tool(&hit.tool)?;
                Some(ToolMatch {
                    tool,
                    score: f64::from(hit.score),
                    ranked_by: search::ranked_by(hit),
                })
            })
            .take(limit)
            .collect();
        ToolSearch {
            query: query.to_owned(),
            results,
            total_tools,
            search: self.search_status(),
        }
    }

    pub fn status(&self, show_key: bool) -> Status {
        self.status_with(&self.servers(), show_key)
    }

    /// Everything a client draws from, consistent with itself.
    pub fn state(&self) -> State {
        let servers = self.servers();
        State {
            status: self.status_with(&servers, false),
            servers,
            tools: self.tools(),
            held: self.held(),
        }
    }

    fn status_with(&self, servers: &[ServerView], show_key: bool) -> Status {
        let count = |pred: &dyn Fn(&ServerView) -> bool| {
            u32::try_from(servers.iter().filter(|s| pred(s)).count()).unwrap_or(u32::MAX)
        };
        let config = self.config();
        Status {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            protocol_version: PROTOCOL_VERSION,
            mcp_protocol_versions: crate::protocol::mcp_protocol_versions(),
            pid: std::process::id(),
            started_at: self.inner.started_at,
            uptime_s: self.inner.started.elapsed().as_secs(),
            data_dir: self.inner.paths.data_dir.clone(),
            config_path: config.path.clone(),
            listen: self.inner.listen.map(|a| a.to_string()),
            socket: self.inner.paths.socket.clone(),
            servers: ServerCounts {
                total: count(&|_| true),
                ready: count(&|s| s.state == ServerState::Ready),
                failing: count(&|s| s.state.is_failing()),
                quarantined: count(&|s| s.quarantined),
            },
            config_problems: lock(&self.inner.config_problems).clone(),
            api_key: show_key.then(|| self.inner.api_key.expose().to_owned()),
            search: Some(self.search_status()),
        }
    }
}
