//! `mcpproxy tray`: the daemon's health as a tray icon (StatusNotifierItem), with a menu of
//! the few actions people need without a terminal. It attaches like the TUI and never
//! starts a daemon by itself (its menu does, when asked); it logs to
//! `DATA_DIR/logs/tray.log`. It runs as `mcpproxy-tray` when that executable is installed
//! beside this one (see `mcpproxy_daemon::client::handoff`).

use clap::Args;
use mcpproxy_daemon::client::handoff::TRAY_EXE;
use mcpproxy_tray::Options;

use super::{Failure, Global};

#[derive(Debug, Args)]
pub struct TrayArgs {}

pub fn run(global: &Global, _args: TrayArgs) -> Result<(), Failure> {
    let paths = global.paths()?;
    let exe = super::current_exe()?;
    super::hand_over(global, TRAY_EXE, &paths, &exe, Vec::new())?;
    super::init_file_logging(global, &paths.logs, "tray.log");
    // Each of the tray's errors is one line that says what to do: no hint line.
    mcpproxy_tray::run_blocking(Options { paths, exe }).map_err(|e| Failure::error(e.to_string()))
}
