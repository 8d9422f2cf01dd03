//! The daemon handle: a cheap-to-clone view of the running engine that the API, the
//! supervisors and the proxy share, with the event bus every state change goes through.

pub mod api_key;
mod config_watch;
pub mod lock;
mod start;

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use jiff::Timestamp;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

pub use self::api_key::ApiKey;
pub(crate) use self::start::io_error;
pub use self::start::{ServeOptions, StartError, serve};
use crate::config::LoadedConfig;
use crate::paths::Paths;
use crate::protocol::{
    Event, MCP_PROTOCOL_VERSIONS, PROTOCOL_VERSION, ServerCounts, ServerState, ServerView, State,
    Status,
};
use crate::upstream::{Launcher, Upstreams};

/// How many events a slow subscriber may fall behind before it is told it lagged.
const BUS_CAPACITY: usize = 4096;

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
    /// Serialises config edits and reloads, so each applies to the one before it.
    config_edits: tokio::sync::Mutex<()>,
    bus: broadcast::Sender<Event>,
    upstreams: Upstreams,
    shutdown: CancellationToken,
}

impl Daemon {
    /// A daemon with its servers not started yet (see [`Self::start_servers`]).
    pub fn new(
        paths: Paths,
        config: LoadedConfig,
        listen: Option<SocketAddr>,
        api_key: ApiKey,
        launcher: Launcher,
    ) -> Self {
        let (bus, _) = broadcast::channel(BUS_CAPACITY);
        let upstreams = Upstreams::new(launcher, paths.clone(), bus.clone());
        Self {
            inner: Arc::new(Inner {
                paths,
                started_at: Timestamp::now(),
                started: Instant::now(),
                listen,
                api_key,
                config: RwLock::new(Arc::new(config)),
                config_edits: tokio::sync::Mutex::new(()),
                bus,
                upstreams,
                shutdown: CancellationToken::new(),
            }),
        }
    }

    /// Starts a supervisor for every configured server.
    pub fn start_servers(&self) {
        self.inner.upstreams.apply(&self.config().config.servers);
    }

    pub fn upstreams(&self) -> &Upstreams {
        &self.inner.upstreams
    }

    /// Held while editing the config file, so edits and reloads never interleave.
    pub async fn lock_config_edits(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.inner.config_edits.lock().await
    }

    /// Makes `loaded` the running config and brings the servers in line with it.
    pub fn apply_config(&self, loaded: LoadedConfig) {
        let previous = self.config();
        if previous.config.listen != loaded.config.listen
            || previous.config.require_mcp_auth != loaded.config.require_mcp_auth
        {
            tracing::warn!(
                "`listen` and `require_mcp_auth` changes take effect when the daemon restarts"
            );
        }
        self.inner.upstreams.apply(&loaded.config.servers);
        let path = loaded.path.clone();
        match self.inner.config.write() {
            Ok(mut config) => *config = Arc::new(loaded),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(loaded),
        }
        self.emit(Event::ConfigReloaded { path });
    }

    /// Re-reads the config file and applies it when it changed. A broken file is refused
    /// (the running config stays) and reported as a `config_error` event.
    pub async fn reload_config(&self) -> Result<bool, crate::config::ConfigError> {
        let _edits = self.lock_config_edits().await;
        let path = self.config().path.clone();
        match crate::config::load(&path) {
            Ok(loaded) if loaded.text == self.config().text => Ok(false),
            Ok(loaded) => {
                tracing::info!(path = %path.display(), "config changed on disk; applying it");
                self.apply_config(loaded);
                Ok(true)
            }
            Err(error) => {
                tracing::warn!(
                    "the changed config was refused; still running the previous one:\n{error}"
                );
                self.emit(Event::ConfigError {
                    problems: error.problems(),
                });
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

    pub fn shutdown(&self) {
        self.inner.shutdown.cancel();
    }

    /// Publishes an event to every subscriber (a bus with no subscribers drops it).
    pub fn emit(&self, event: Event) {
        let _ = self.inner.bus.send(event);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.inner.bus.subscribe()
    }

    pub fn servers(&self) -> Vec<ServerView> {
        self.inner.upstreams.views()
    }

    pub fn status(&self, show_key: bool) -> Status {
        self.status_with(&self.servers(), show_key)
    }

    /// Status and servers, consistent with each other.
    pub fn state(&self) -> State {
        let servers = self.servers();
        State {
            status: self.status_with(&servers, false),
            servers,
            tools: self.inner.upstreams.tools(None),
            held: Vec::new(),
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
            mcp_protocol_versions: MCP_PROTOCOL_VERSIONS
                .iter()
                .map(|v| (*v).to_owned())
                .collect(),
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
            config_problems: Vec::new(),
            api_key: show_key.then(|| self.inner.api_key.expose().to_owned()),
        }
    }
}
