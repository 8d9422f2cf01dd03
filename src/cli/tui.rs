//! `mcpproxy tui`: the terminal control center. It attaches to the daemon (starting one
//! when none answers) and owns the terminal until the person quits; it logs to
//! `DATA_DIR/logs/tui.log`, never to the terminal.

use std::io::Write as _;

use clap::Args;
use mcpproxy_tui::{Options, TuiError};

use super::{Failure, Global};

#[derive(Debug, Args)]
pub struct TuiArgs {
    /// Open on this screen: servers, logs, tools or activity
    #[arg(long, value_name = "NAME")]
    pub screen: Option<String>,
    /// Colour theme: dark, light, high-contrast, or NAME for DATA_DIR/themes/NAME.toml
    /// (overrides `[tui] theme` in the config)
    #[arg(long, value_name = "NAME")]
    pub theme: Option<String>,
    /// Where a daemon the TUI starts listens for TCP clients (overrides `listen` in the config)
    #[arg(long, env = "MCPPROXY_LISTEN", value_name = "ADDR")]
    pub listen: Option<String>,
}

pub fn run(global: &Global, args: TuiArgs) -> Result<(), Failure> {
    let paths = global.paths()?;
    let exe = std::env::current_exe()
        .map_err(|e| Failure::error(format!("cannot find the mcpproxy executable: {e}")))?;
    super::init_file_logging(global, &paths.logs, "tui.log");
    let options = Options {
        paths,
        exe,
        screen: args.screen,
        theme: args.theme,
        listen: args.listen,
        no_color: mcpproxy_tui::theme::no_color_requested(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("mcpproxy-tui")
        .build()
        .map_err(|e| Failure::error(format!("cannot start the async runtime: {e}")))?;
    let exit = runtime
        .block_on(mcpproxy_tui::run(options))
        .map_err(|e: TuiError| Failure::error(e.to_string()).maybe_hint(e.hint()))?;
    // The attach tasks may still wait on the socket; they have nothing left to do.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    if let Some(pid) = exit.daemon_pid {
        // The terminal may be gone (SIGHUP): then there is nobody to tell.
        let _ = writeln!(
            std::io::stdout(),
            "The mcpproxy daemon (pid {pid}) keeps running in the background; `mcpproxy daemon stop` stops it."
        );
    }
    Ok(())
}
