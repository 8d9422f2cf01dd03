//! `mcpproxy serve`: the start-up sequence, the run, and a bounded graceful stop.
//!
//! Order matters. The data dir is checked first, then the single-instance lock is taken
//! before anything is bound, so a second daemon never disturbs the first one's socket. The
//! config is read before any listener exists, so a broken config refuses the start without
//! side effects (and the file is never written, except to create a missing default one).

mod lock;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tracing::{info, warn};

use self::lock::{InstanceLock, LockError};
use crate::config::{self, ConfigError, LoadedConfig};
use crate::daemon::{Components, Daemon, SearchSetup};
use crate::exit_code::ExitCode;
use crate::gate::GateStage;
use crate::http::listeners::{self, BindError};
use crate::http::{self, Door, api_key};
use crate::logs;
use crate::paths::{Paths, PathsError};
use crate::protocol::GoodbyeReason;
use crate::proxy::Proxy;
use crate::review::ReviewStage;
use crate::upstream::Launcher;
use crate::upstream::guard::{self, Guard};

/// How long the listeners get to finish in-flight requests at shutdown.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(2);
/// At shutdown each stop phase of an upstream (stdin close, SIGTERM) gets at most this, so
/// the whole stop stays within about 11 s whatever the servers' own graces say.
const SHUTDOWN_GRACE_CAP: Duration = Duration::from_secs(3);
/// Beyond its two capped phases, how long stopping the upstreams may take before the rest
/// is aborted (which kills their process groups).
const UPSTREAMS_MARGIN: Duration = Duration::from_secs(3);
/// Tasks that only wait for their token: they stop at once.
const QUICK_STOP: Duration = Duration::from_secs(1);

#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub paths: Paths,
    /// Overrides the config's `listen` (`--listen`, `MCPPROXY_LISTEN`).
    pub listen: Option<String>,
    /// Default log filter when `RUST_LOG` is unset.
    pub log_level: String,
    /// Also log to stderr (a foreground `serve`).
    pub log_to_stderr: bool,
    /// Started by `daemon start`: leave the caller's session so its terminal closing does
    /// not take the daemon down.
    pub detached: bool,
    /// The mcpproxy executable: runs built-in servers (`demo-server`) and the process guard.
    pub exe: PathBuf,
}

/// Why the daemon did not start. Each maps to one CLI exit code.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Locked(LockError),
    #[error(transparent)]
    Bind(#[from] BindError),
    #[error(transparent)]
    Config(ConfigError),
    #[error("invalid listen address: {0}")]
    ListenValue(String),
    #[error(transparent)]
    Paths(#[from] PathsError),
    #[error(transparent)]
    NotPrivate(crate::paths::NotPrivate),
    #[error("permission denied: cannot {what} {}: {source}", path.display())]
    Permission {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(crate::store::StoreError),
    #[error("cannot start tool search: {0}")]
    Search(String),
    #[error("cannot {what} {}: {source}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl StartError {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Self::Bind(BindError::PortInUse { .. }) => ExitCode::PortInUse,
            Self::Locked(LockError::Held { .. }) | Self::Bind(BindError::SocketInUse { .. }) => {
                ExitCode::Locked
            }
            Self::Config(e) if e.is_permission_denied() => ExitCode::PermissionDenied,
            Self::Config(_) | Self::ListenValue(_) => ExitCode::ConfigInvalid,
            Self::Permission { .. } | Self::NotPrivate(_) => ExitCode::PermissionDenied,
            Self::Bind(BindError::Listen { source, .. } | BindError::Socket { source, .. })
                if source.kind() == std::io::ErrorKind::PermissionDenied =>
            {
                ExitCode::PermissionDenied
            }
            _ => ExitCode::Error,
        }
    }

    pub fn hint(&self) -> Option<String> {
        match self {
            Self::Locked(LockError::Held { .. }) => Some(
                "use `mcpproxy status` to talk to it, or `mcpproxy daemon stop` to stop it".into(),
            ),
            Self::Bind(BindError::PortInUse { .. }) => Some(
                "stop the other program, or pick another address with --listen 127.0.0.1:PORT (port 0 picks a free one)".into(),
            ),
            Self::Bind(BindError::SocketInUse { .. }) => {
                Some("another daemon uses this socket path; set MCPPROXY_SOCKET to another path".into())
            }
            Self::Config(e) => e.hint(),
            Self::ListenValue(_) => Some("write host:port, such as 127.0.0.1:8080".into()),
            Self::Paths(e) => Some(e.hint().into()),
            Self::NotPrivate(e) => Some(e.hint()),
            Self::Store(e) => e.hint(),
            Self::Permission { .. } => Some(
                "the data dir must belong to you; fix its owner or mode, or pass another --data-dir".into(),
            ),
            _ => None,
        }
    }
}

/// Opens the store (`data.redb`), the review stage on it and the activity log (replaying
/// its journal). A damaged store stops the start: serving without the pins would take every
/// changed tool for a new one.
async fn open_store(
    paths: &Paths,
    activity: config::ActivityConfig,
) -> Result<(Arc<ReviewStage>, crate::store::ActivityLog), StartError> {
    let path = paths.store();
    let journal = paths.activity_journal();
    let opening = tokio::task::spawn_blocking(move || {
        let store = Arc::new(crate::store::Store::open(&path)?);
        let log = crate::store::ActivityLog::open(Arc::clone(&store), &journal, activity)?;
        let last = store.last_activity_id()?;
        Ok::<_, crate::store::StoreError>((store, log, last))
    });
    let (store, log, last) = match opening.await {
        Ok(opened) => opened.map_err(StartError::Store)?,
        Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
        Err(_) => {
            return Err(io_error(
                "open the database",
                &paths.store(),
                std::io::Error::other("the runtime is shutting down"),
            ));
        }
    };
    crate::activity::continue_ids_after(last);
    Ok((Arc::new(ReviewStage::new(store)), log))
}

/// Runs the daemon until SIGTERM, SIGINT or `POST /api/v1/shutdown`, then stops it within a
/// bounded time.
pub async fn serve(options: ServeOptions) -> Result<(), StartError> {
    run(options, Vec::new(), Orphans::Reap).await
}

/// [`serve`] with extra catalog-gate stages after the built-in ones, for programs that embed
/// the daemon. The embedded daemon does not become the reaper of the process's orphans:
/// reaping would take the exits of the host program's own children.
pub async fn serve_with_stages(
    options: ServeOptions,
    stages: Vec<Arc<dyn GateStage>>,
) -> Result<(), StartError> {
    run(options, stages, Orphans::LeaveToInit).await
}

/// Whether the daemon adopts and reaps the orphans of its upstreams' processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Orphans {
    Reap,
    LeaveToInit,
}

async fn run(
    options: ServeOptions,
    stages: Vec<Arc<dyn GateStage>>,
    orphans: Orphans,
) -> Result<(), StartError> {
    if options.detached {
        // Fails only when already a session leader, which is fine.
        let _ = rustix::process::setsid();
    }
    let mut signals = ShutdownSignals::listen();
    let paths = options.paths.clone();
    paths.check_socket_path()?;
    prepare_data_dir(&paths.data_dir)?;
    let lock = InstanceLock::acquire(&paths.lock).map_err(|e| match e {
        LockError::Io { path, source } if source.kind() == std::io::ErrorKind::PermissionDenied => {
            StartError::Permission {
                what: "create the lock file",
                path,
                source,
            }
        }
        other => StartError::Locked(other),
    })?;
    let loaded = load_or_create_config(&paths)?;
    let (review, activity_log) = open_store(&paths, loaded.config.activity).await?;
    let listen = options
        .listen
        .clone()
        .unwrap_or_else(|| loaded.config.listen.clone());
    config::check_listen(&listen).map_err(StartError::ListenValue)?;

    let log_guard = logs::init_daemon_logging(
        &paths.daemon_log(),
        &options.log_level,
        options.log_to_stderr,
    )
    .map_err(|source| io_error("open the log file", &paths.daemon_log(), source))?;
    logs::install_panic_hook();
    let api_key = api_key::load_or_create(&paths.api_key)
        .map_err(|source| io_error("read or create the API key file", &paths.api_key, source))?;

    // TCP first: when its port is taken, no socket file is left behind.
    let tcp = match listen.as_str() {
        "" => None,
        addr => Some(listeners::bind_tcp(addr).await?),
    };
    let socket = listeners::bind_socket(&paths.socket).await?;
    let tcp_addr: Option<SocketAddr> = tcp.as_ref().and_then(|l| l.local_addr().ok());

    // Orphans of upstream servers become ours to reap (see `upstream::reaper`).
    if orphans == Orphans::Reap {
        crate::upstream::reaper::become_subreaper();
    }
    // Usually nothing to do; when there is, it waits for SIGTERM to work: off the runtime.
    let record = paths.upstream_pids();
    let _ = tokio::task::spawn_blocking(move || guard::reap_leftovers(&record)).await;
    let guard = match Guard::spawn(&options.exe, paths.upstream_pids()) {
        Ok(guard) => Some(guard),
        Err(e) => {
            warn!(error = %e, "cannot start the process guard; upstreams may outlive a crashed daemon");
            None
        }
    };
    let launcher = Launcher {
        exe: options.exe.clone(),
        guard,
    };
    let daemon = stages
        .into_iter()
        .fold(
            Daemon::builder(paths.clone(), loaded, tcp_addr, api_key, launcher)
                .activity_log(activity_log)
                .review_stage(review),
            |builder, stage| builder.gate_stage(stage),
        )
        .search(SearchSetup {
            model_dir: Some(crate::index::model_dir(&paths.data_dir)),
            vectors: Some(paths.data_dir.join("cache").join("tool-vectors.bin")),
        })
        .build()
        .map_err(|e| StartError::Search(e.to_string()))?;
    log_guard.feed(daemon.bus());

    // The parts, in start order; they stop in reverse (the doors first).
    let mut parts = Components::default();
    if orphans == Orphans::Reap {
        parts.start("orphan reaper", QUICK_STOP, crate::upstream::reaper::run);
    }
    {
        let daemon = daemon.clone();
        daemon.start_servers();
        parts.start(
            "upstreams",
            SHUTDOWN_GRACE_CAP * 2 + UPSTREAMS_MARGIN,
            |stop| async move {
                stop.cancelled().await;
                daemon.upstreams().shutdown(SHUTDOWN_GRACE_CAP).await;
            },
        );
    }
    parts.start("config watcher", QUICK_STOP, {
        let daemon = daemon.clone();
        |stop| crate::daemon::watch_config(daemon, stop)
    });
    let proxy = Proxy::new(&daemon);
    parts.start("mcp sessions", QUICK_STOP, {
        let proxy = Arc::clone(&proxy);
        |stop| async move { proxy.forward_changes(stop).await }
    });
    parts.start("mcp session expiry", QUICK_STOP, {
        let proxy = Arc::clone(&proxy);
        |stop| async move { proxy.expire_idle_sessions(stop).await }
    });
    // The doors last, and only once everything behind them runs: the listeners are bound
    // already, so connections wait in the kernel until they accept.
    let socket_router = door_router(&daemon, Door::Socket, &proxy);
    let tcp_router = tcp
        .as_ref()
        .map(|_| door_router(&daemon, Door::Tcp, &proxy));
    info!(
        pid = std::process::id(),
        socket = %paths.socket.display(),
        listen = tcp_addr.map(|a| a.to_string()).unwrap_or_default(),
        config = %paths.config.display(),
        "mcpproxy daemon ready"
    );
    parts.start("socket listener", DRAIN_TIMEOUT, |stop| {
        http::serve_socket(socket, socket_router, stop)
    });
    if let (Some(tcp), Some(router)) = (tcp, tcp_router) {
        parts.start("tcp listener", DRAIN_TIMEOUT, |stop| {
            http::serve_tcp(tcp, router, stop)
        });
    }

    tokio::select! {
        signal = signals.recv() => {
            info!(signal, "shutting down");
            daemon.shutdown(GoodbyeReason::Shutdown, format!("the daemon was stopped ({signal})"));
        }
        () = daemon.shutdown_token().cancelled() => info!("shutting down on request"),
        ended = parts.first_ended() => {
            warn!(part = ended, "a part of the daemon stopped; shutting down");
            daemon.shutdown(GoodbyeReason::Shutdown, format!("the daemon stopped: its {ended} failed"));
        }
    }
    parts.stop().await;
    remove_socket(&paths.socket);
    info!("stopped");
    drop(log_guard);
    drop(lock);
    Ok(())
}

/// What one door serves: the control API under `/api/v1` and the MCP endpoints.
fn door_router(daemon: &Daemon, door: Door, proxy: &Arc<Proxy>) -> Router {
    let mcp_policy = (door == Door::Tcp).then(|| {
        http::McpDoorPolicy::new(
            daemon.api_key().clone(),
            daemon.config().config.require_mcp_auth,
        )
    });
    Router::new()
        .nest(
            crate::protocol::API_PREFIX,
            crate::api::routes(daemon, door),
        )
        .merge(crate::proxy::routes(proxy, mcp_policy))
        .fallback(http::no_such_route)
        .method_not_allowed_fallback(http::wrong_method)
        .layer(axum::Extension(door))
        .with_state(daemon.clone())
}

/// Creates the data dir private to its owner, and refuses one that belongs to someone else
/// or that others could write.
fn prepare_data_dir(dir: &Path) -> Result<(), StartError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|e| io_error("create the data dir", dir, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        let meta = std::fs::metadata(dir).map_err(|e| io_error("read the data dir", dir, e))?;
        let uid = rustix::process::getuid().as_raw();
        if meta.uid() != uid {
            return Err(StartError::Permission {
                what: "use the data dir (it belongs to another user)",
                path: dir.to_path_buf(),
                source: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
            });
        }
        // Another user who can write the dir can replace config.toml, and the daemon would
        // run their commands.
        crate::paths::check_private(dir, "data dir").map_err(StartError::NotPrivate)?;
    }
    for sub in ["logs", "logs/servers"] {
        let path = dir.join(sub);
        builder
            .create(&path)
            .map_err(|e| io_error("create the logs dir", dir, e))?;
    }
    Ok(())
}

/// Loads the config; a missing default config is created from the embedded one first.
fn load_or_create_config(paths: &Paths) -> Result<LoadedConfig, StartError> {
    if paths.config_is_default && !paths.config.exists() {
        config::write_atomically(&paths.config, config::DEFAULT_CONFIG)
            .map_err(|source| io_error("write the default config", &paths.config, source))?;
    }
    if paths.config_is_default {
        config::load_private(&paths.config).map_err(StartError::Config)
    } else {
        config::load(&paths.config).map_err(StartError::Config)
    }
}

/// An I/O failure during start-up; "permission denied" gets its own exit code.
fn io_error(what: &'static str, path: &Path, source: std::io::Error) -> StartError {
    if source.kind() == std::io::ErrorKind::PermissionDenied {
        StartError::Permission {
            what,
            path: path.to_path_buf(),
            source,
        }
    } else {
        StartError::Io {
            what,
            path: path.to_path_buf(),
            source,
        }
    }
}

fn remove_socket(path: &Path) {
    if let Err(e) = std::fs::remove_file(path)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        warn!(path = %path.display(), error = %e, "could not remove the control socket");
    }
}

/// SIGTERM and SIGINT, listened for from the start, so one that comes while the daemon is
/// still starting (its socket may already answer) stops it gracefully too.
struct ShutdownSignals {
    #[cfg(unix)]
    unix: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl ShutdownSignals {
    fn listen() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Self {
                unix: signal(SignalKind::terminate())
                    .ok()
                    .zip(signal(SignalKind::interrupt()).ok()),
            }
        }
        #[cfg(not(unix))]
        Self {}
    }

    /// The name of the first signal that comes.
    async fn recv(&mut self) -> &'static str {
        #[cfg(unix)]
        if let Some((term, int)) = &mut self.unix {
            return tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = int.recv() => "SIGINT",
            };
        }
        let _ = tokio::signal::ctrl_c().await;
        "ctrl-c"
    }
}
