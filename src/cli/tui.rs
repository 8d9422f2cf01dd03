//! `mcpproxy tui`: the terminal control center. It attaches to the daemon (starting one
//! when none answers) and owns the terminal until the person quits; it logs to
//! `DATA_DIR/logs/tui.log`, never to the terminal. It runs as `mcpproxy-tui` when that
//! executable is installed beside this one (see `mcpproxy_daemon::client::handoff`).

use clap::Args;
use mcpproxy_daemon::client::handoff::TUI_EXE;
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
    let exe = super::current_exe()?;
    let options = [
        ("screen", &args.screen),
        ("theme", &args.theme),
        ("listen", &args.listen),
    ]
    .into_iter()
    .filter_map(|(name, value)| Some((name.to_owned(), value.clone()?)))
    .collect();
    super::hand_over(global, TUI_EXE, &paths, &exe, options)?;
    super::init_file_logging(global, &paths.logs, "tui.log");
    let options = Options {
        paths,
        exe,
        screen: args.screen,
        theme: args.theme,
        listen: args.listen,
        no_color: mcpproxy_tui::theme::no_color_requested(),
    };
    mcpproxy_tui::run_blocking(options)
        .map_err(|e: TuiError| Failure::error(e.to_string()).maybe_hint(e.hint()))?;
    Ok(())
}
