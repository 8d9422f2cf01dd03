//! The daemon handle: a cheap-to-clone view of the running engine that the API, the
//! supervisors and the proxy share, with the event bus every state change goes through.

pub mod api_key;
pub mod lock;
mod start;

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use jiff::Timestamp;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

pub use self::api_key::ApiKey;
pub use self::start::{ServeOptions, StartError, serve};
use crate::config::{LoadedConfig, ServerConfig};
use crate::paths::Paths;
use crate::protocol::{
    Event, MCP_PROTOCOL_VERSIONS, PROTOCOL_VERSION, ServerCounts, ServerState, ServerView, State,
    Status,
};

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
    bus: broadcast::Sender<Event>,
    shutdown: CancellationToken,
}

impl Daemon {
    pub(crate) fn new(
        paths: Paths,
        config: LoadedConfig,
        listen: Option<SocketAddr>,
        api_key: ApiKey,
    ) -> Self {
        let (bus, _) = broadcast::channel(BUS_CAPACITY);
        Self {
            inner: Arc::new(Inner {
                paths,
                started_at: Timestamp::now(),
                started: Instant::now(),
                listen,
                api_key,
                config: RwLock::new(Arc::new(config)),
                bus,
                shutdown: CancellationToken::new(),
            }),
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
        self.config()
            .config
            .servers
            .iter()
            .map(|(name, server)| configured_view(name, server))
            .collect()
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
            api_key: show_key.then(|| self.inner.api_key.expose().to_owned()),
        }
    }
}

/// A server's view from its config alone, before any supervisor reports on it.
fn configured_view(name: &str, server: &ServerConfig) -> ServerView {
    let state = if server.quarantined {
        ServerState::Quarantined
    } else if !server.enabled {
        ServerState::Disabled
    } else {
        ServerState::Stopped
    };
    ServerView {
        name: name.to_owned(),
        transport: server.transport_kind(),
        state,
        enabled: server.enabled,
        quarantined: server.quarantined,
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
