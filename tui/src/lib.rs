//! `mcpproxy tui`: the terminal control center. It attaches to the daemon over its control
//! socket (through [`link`], the one module that talks to it) and never reaches into the
//! engine.
//!
//! Elm-style: [`app::App`] is plain data; [`update::update`] turns an [`action::Action`] into
//! a change of the model and maybe an [`effect::Effect`], without I/O; [`run::run_loop`]
//! (generic over the ratatui backend) feeds it terminal input, the daemon's events and the
//! clock, performs the effects as tasks, and draws with [`ui::draw`] when the model changed.
//! Screens are data ([`screen::SCREENS`]); themes are data ([`theme`], `themes/*.toml`).

pub mod action;
pub mod app;
pub mod effect;
pub mod keymap;
pub mod link;
pub mod run;
pub mod screen;
pub mod terminal;
pub mod theme;
pub mod ui;
pub mod update;

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use futures_util::FutureExt as _;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use mcpproxy_daemon::config::TuiConfig;
use mcpproxy_daemon::paths::Paths;

use crate::app::{App, ToastLevel};
use crate::effect::Effect;
use crate::link::Link;
use crate::terminal::TerminalGuard;
use crate::theme::{DEFAULT_THEME, Theme, ThemeError};

/// The control-API protocol version this TUI speaks; checked against the daemon's status.
pub const SPEAKS_PROTOCOL: u32 = mcpproxy_daemon::protocol::PROTOCOL_VERSION;

/// How `mcpproxy tui` was asked to run.
#[derive(Debug, Clone)]
pub struct Options {
    pub paths: Paths,
    /// The mcpproxy executable, to start a daemon with.
    pub exe: PathBuf,
    /// The screen to open on (`servers`, `logs`, `tools`, `activity`).
    pub screen: Option<String>,
    /// A theme that overrides the config's.
    pub theme: Option<String>,
    /// Where a daemon the TUI starts listens, over the config's `listen`.
    pub listen: Option<String>,
    /// `NO_COLOR`: modifiers only.
    pub no_color: bool,
}

/// How the TUI ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exit {
    /// Pid of the daemon still running, if one was attached at the end.
    pub daemon_pid: Option<u32>,
    /// Whether this TUI started that daemon.
    pub started_it: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum TuiError {
    #[error("no screen named \"{name}\"")]
    UnknownScreen { name: String },
    #[error(transparent)]
    Theme(#[from] ThemeError),
    #[error("cannot use this terminal: {0}")]
    Terminal(#[from] std::io::Error),
    #[error(transparent)]
    Keymap(#[from] keymap::BadDefault),
    #[error("cannot start the TUI's async runtime: {0}")]
    Runtime(std::io::Error),
}

impl TuiError {
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::UnknownScreen { .. } => Some(format!("screens: {}", screen::names().join(", "))),
            Self::Theme(e) => e.hint(),
            Self::Terminal(_) => Some("run it in an interactive terminal".to_owned()),
            Self::Keymap(_) | Self::Runtime(_) => None,
        }
    }
}

/// The `[tui]` table of the config file, read without expanding `${env:...}`; a missing or
/// broken file gives the defaults (the daemon reports what is wrong with it).
fn tui_settings(paths: &Paths) -> (TuiConfig, Option<String>) {
    let Ok(text) = std::fs::read_to_string(&paths.config) else {
        return (TuiConfig::default(), None);
    };
    match mcpproxy_daemon::config::parse_unexpanded(&paths.config, &text) {
        Ok(config) => (config.tui, None),
        Err(invalid) => (
            TuiConfig::default(),
            Some(format!(
                "{} has problems, so the TUI uses its default keys and theme: {}",
                paths.config.display(),
                invalid
                    .problems()
                    .first()
                    .map(ToString::to_string)
                    .unwrap_or_default()
            )),
        ),
    }
}

/// Builds the app for `options`: screen, keys, theme. Fails before the terminal is touched
/// when the command line asks for something that does not exist.
pub fn prepare(options: &Options) -> Result<(App, Theme), TuiError> {
    let screen = match &options.screen {
        Some(name) => {
            screen::by_name(name).ok_or_else(|| TuiError::UnknownScreen { name: name.clone() })?
        }
        None => 0,
    };
    let (settings, config_note) = tui_settings(&options.paths);
    let keymap = screen::keymap(&settings.keys)?;
    let mut app = App::new(keymap, screen, TimeZone::system(), Timestamp::now());
    let data_dir = &options.paths.data_dir;
    let theme = match (&options.theme, &settings.theme) {
        (Some(name), _) => theme::load_for(data_dir, name, options.no_color)?,
        (None, Some(name)) => match theme::load_for(data_dir, name.as_str(), options.no_color) {
            Ok(theme) => theme,
            Err(e) => {
                app.toast(ToastLevel::Error, e.to_string(), e.hint());
                theme::load_for(data_dir, DEFAULT_THEME, options.no_color)?
            }
        },
        (None, None) => theme::load_for(data_dir, DEFAULT_THEME, options.no_color)?,
    };
    if let Some(note) = config_note {
        app.toast(ToastLevel::Error, note, None);
    }
    Ok((app, theme))
}

/// [`run`] on a runtime of its own, for `mcpproxy tui` and the `mcpproxy-tui` executable;
/// then says so when the daemon keeps running.
pub fn run_blocking(options: Options) -> Result<Exit, TuiError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("mcpproxy-tui")
        .build()
        .map_err(TuiError::Runtime)?;
    let exit = runtime.block_on(run(options));
    // The attach tasks may still wait on the socket; they have nothing left to do.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    let exit = exit?;
    if let Some(pid) = exit.daemon_pid {
        // The terminal may be gone (SIGHUP): then there is nobody to tell.
        let _ = writeln!(
            std::io::stdout(),
            "The mcpproxy daemon (pid {pid}) keeps running in the background; `mcpproxy daemon stop` stops it."
        );
    }
    Ok(exit)
}

/// Runs the TUI in this terminal until the person quits or a signal ends it.
pub async fn run(options: Options) -> Result<Exit, TuiError> {
    let (mut app, theme) = prepare(&options)?;
    let link = Arc::new(
        Link::new(options.paths.clone(), options.exe.clone()).listen(options.listen.clone()),
    );
    let shutdown = shutdown_signal()?;
    let (mut terminal, guard) = TerminalGuard::enter()?;
    let input = terminal::Input::start();
    let result = run::run_loop(
        &mut terminal,
        &mut app,
        &theme,
        input,
        link,
        Some(Effect::Attach {
            start_if_absent: true,
        }),
        shutdown,
        |_| {},
    )
    .await;
    drop(terminal);
    drop(guard);
    result?;
    let attached = app.connection.is_attached();
    let daemon_pid = attached
        .then(|| app.daemon.status.as_ref().map(|s| s.pid))
        .flatten();
    Ok(Exit {
        daemon_pid,
        started_it: daemon_pid.is_some() && daemon_pid == app.started_daemon,
    })
}

/// Completes on SIGTERM, SIGHUP or SIGINT, so the loop can restore the terminal.
fn shutdown_signal() -> std::io::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut hup = signal(SignalKind::hangup())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = hup.recv() => {}
            _ = int.recv() => {}
        }
    }
    .boxed())
}
