//! `mcpproxy tray`: the daemon's health as a tray icon (StatusNotifierItem), with a menu of
//! the few actions people need without a terminal. It attaches like the TUI and never
//! starts a daemon by itself (its menu does, when asked); it logs to
//! `DATA_DIR/logs/tray.log`.

use clap::Args;
use mcpproxy_tray::Options;

use super::{Failure, Global};

#[derive(Debug, Args)]
pub struct TrayArgs {}

pub fn run(global: &Global, _args: TrayArgs) -> Result<(), Failure> {
    let paths = global.paths()?;
    let exe = std::env::current_exe()
        .map_err(|e| Failure::error(format!("cannot find the mcpproxy executable: {e}")))?;
    super::init_file_logging(global, &paths.logs, "tray.log");
    // One thread: the tray waits on events and clicks, nothing in it is CPU-bound.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| Failure::error(format!("cannot start the async runtime: {e}")))?;
    let result = runtime.block_on(mcpproxy_tray::run(Options { paths, exe }));
    // A request to the daemon may still be under way; it has nobody left to tell.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    // Each of the tray's errors is one line that says what to do: no hint line.
    result.map_err(|e| Failure::error(e.to_string()))
}
