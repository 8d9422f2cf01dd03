//! The mcpproxy tray icon: a light attach client beside the TUI.
//!
//! It attaches to the daemon exactly as the TUI does (`mcpproxy_daemon::client::attach`,
//! then the event stream), holds no engine code (the daemon crate without its `server`
//! feature), and shows the daemon's health as an icon with a menu of the few actions people
//! need without a terminal.
//!
//! - [`state`]: the daemon as the event stream describes it ([`state::TrayState::apply`]).
//! - [`view`]: what is shown (icon health, title, tooltip, menu), a pure function of the
//!   state, tested without D-Bus.
//! - [`link`]: attach, follow the stream, re-attach when a daemon comes back (woken by the
//!   socket appearing, never by polling).
//! - [`actions`]: what menu entries do.
//! - `sni` (feature `sni`, Linux): the StatusNotifierItem over D-Bus, with `ksni`.
//!
//! `mcpproxy tray` and the `mcpproxy-tray` executable call [`run_blocking`]`(`[`Options`]`)`.

pub mod actions;
pub mod icon;
pub mod link;
pub mod state;
pub mod terminal;
pub mod view;

#[cfg(all(feature = "sni", target_os = "linux"))]
mod run;
#[cfg(all(feature = "sni", target_os = "linux"))]
mod sni;

use std::path::PathBuf;

use mcpproxy_daemon::paths::Paths;

/// What `mcpproxy tray` runs with.
#[derive(Debug, Clone)]
pub struct Options {
    pub paths: Paths,
    /// The mcpproxy executable: it starts the daemon and runs the TUI in a terminal.
    pub exe: PathBuf,
}

/// Why the tray could not show itself. Each message is one line that says what to do.
#[derive(Debug, thiserror::Error)]
pub enum TrayError {
    #[error(
        "cannot show the tray icon: no D-Bus session bus ({0}); run it inside a desktop session, or use `mcpproxy tui`"
    )]
    NoSessionBus(String),
    #[error(
        "cannot show the tray icon: no tray host on the session bus ({0}); the desktop must show StatusNotifierItem icons (on GNOME, the AppIndicator extension)"
    )]
    NoHost(String),
    #[error(
        "this mcpproxy has no tray icon: it is built on Linux with the `sni` feature; use `mcpproxy tui`"
    )]
    NotBuilt,
    #[error("cannot start the tray's async runtime: {0}")]
    Runtime(std::io::Error),
}

/// [`run`] on a runtime of its own, for `mcpproxy tray` and the `mcpproxy-tray` executable.
pub fn run_blocking(options: Options) -> Result<(), TrayError> {
    // One thread: the tray waits on events and clicks, nothing in it is CPU-bound.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(TrayError::Runtime)?;
    let result = runtime.block_on(run(options));
    // A request to the daemon may still be under way; it has nobody left to tell.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    result
}

/// Shows the tray icon until the person quits it (or SIGINT, SIGTERM).
pub async fn run(options: Options) -> Result<(), TrayError> {
    #[cfg(all(feature = "sni", target_os = "linux"))]
    {
        run::run(options).await
    }
    #[cfg(not(all(feature = "sni", target_os = "linux")))]
    {
        let _ = options;
        Err(TrayError::NotBuilt)
    }
}
