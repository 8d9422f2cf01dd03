//! `mcpproxy tui` and `mcpproxy tray` hand over to executables of their own,
//! `mcpproxy-tui` and `mcpproxy-tray`, installed beside `mcpproxy`.
//!
//! An attach client lives as long as a desktop session, and what it keeps resident is
//! mostly pages of the executable it runs: the kernel maps code around every page touched,
//! and in the one `mcpproxy` executable (46 MB: the engine, the search model's runtime, the
//! store, every command) the tray's code sits between the daemon's. Its own executable
//! links only the client side. The main executable execs the sibling when it is there and
//! runs the client in process when it is not (`cargo run -- tui`, a copied binary).
//!
//! The handover is a few `--name value` options, resolved by `mcpproxy` (its global
//! options and environment already read), so the sibling needs no command-line parser of
//! its own and cannot read them differently.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::paths::{self, Paths};

/// The tray's own executable.
pub const TRAY_EXE: &str = "mcpproxy-tray";
/// The TUI's own executable.
pub const TUI_EXE: &str = "mcpproxy-tui";
/// The executable that runs the daemon and every other command.
pub const MAIN_EXE: &str = "mcpproxy";

/// What an attach client's executable is told by `mcpproxy`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handoff {
    pub data_dir: PathBuf,
    /// `--config`, when given.
    pub config: Option<PathBuf>,
    /// `--socket`, when given.
    pub socket: Option<PathBuf>,
    pub log_level: Option<String>,
    /// The `mcpproxy` executable: it starts the daemon.
    pub exe: PathBuf,
    /// The command's own options, in order.
    pub options: Vec<(String, String)>,
}

/// The arguments an attach client's executable cannot read.
#[derive(Debug, thiserror::Error)]
pub enum HandoffError {
    #[error("`{0}` is not an option of this executable")]
    Unknown(String),
    #[error("`{0}` needs a value")]
    MissingValue(String),
    #[error("`{0}` is not valid UTF-8")]
    NotUtf8(String),
    #[error("{0}")]
    NoDataDir(String),
    #[error("cannot find the mcpproxy executable beside this one")]
    NoMainExe,
}

impl HandoffError {
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            Self::NoDataDir(_) => {
                "pass --data-dir DIR, or start it as `mcpproxy tui` / `mcpproxy tray`".into()
            }
            _ => {
                "this executable is started by `mcpproxy tui` or `mcpproxy tray`; run that instead"
                    .into()
            }
        })
    }
}

impl Handoff {
    pub fn paths(&self) -> Paths {
        Paths::new(
            self.data_dir.clone(),
            self.config.clone(),
            self.socket.clone(),
        )
    }

    /// The value of the command's option `name` (without the dashes).
    pub fn option(&self, name: &str) -> Option<&str> {
        self.options
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// As command-line arguments for the sibling executable.
    pub fn to_args(&self) -> Vec<OsString> {
        let mut args: Vec<OsString> = vec![
            "--data-dir".into(),
            self.data_dir.clone().into(),
            "--exe".into(),
            self.exe.clone().into(),
        ];
        let mut push = |name: &str, value: OsString| {
            args.push(format!("--{name}").into());
            args.push(value);
        };
        if let Some(config) = &self.config {
            push("config", config.clone().into());
        }
        if let Some(socket) = &self.socket {
            push("socket", socket.clone().into());
        }
        if let Some(level) = &self.log_level {
            push("log-level", level.into());
        }
        for (name, value) in &self.options {
            push(name, value.into());
        }
        args
    }

    /// Reads what [`Handoff::to_args`] wrote (after the program name). `command_options`
    /// are the option names the command takes besides the common ones. Without
    /// `--data-dir` the default data dir is used, without `--exe` the `mcpproxy` beside this
    /// executable.
    pub fn from_args(
        args: impl IntoIterator<Item = OsString>,
        command_options: &[&str],
    ) -> Result<Self, HandoffError> {
        let mut data_dir = None;
        let mut exe = None;
        let mut handoff = Self {
            data_dir: PathBuf::new(),
            config: None,
            socket: None,
            log_level: None,
            exe: PathBuf::new(),
            options: Vec::new(),
        };
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let arg = arg
                .into_string()
                .map_err(|arg| HandoffError::NotUtf8(arg.to_string_lossy().into_owned()))?;
            let Some(name) = arg.strip_prefix("--") else {
                return Err(HandoffError::Unknown(arg));
            };
            let value = args
                .next()
                .ok_or_else(|| HandoffError::MissingValue(arg.clone()))?;
            match name {
                "data-dir" => data_dir = Some(PathBuf::from(value)),
                "exe" => exe = Some(PathBuf::from(value)),
                "config" => handoff.config = Some(PathBuf::from(value)),
                "socket" => handoff.socket = Some(PathBuf::from(value)),
                "log-level" => handoff.log_level = Some(utf8(value, &arg)?),
                _ if command_options.contains(&name) => {
                    handoff.options.push((name.to_owned(), utf8(value, &arg)?));
                }
                _ => return Err(HandoffError::Unknown(arg)),
            }
        }
        handoff.data_dir = match data_dir {
            Some(dir) => dir,
            None => {
                paths::default_data_dir().map_err(|e| HandoffError::NoDataDir(e.to_string()))?
            }
        };
        handoff.exe = match exe {
            Some(exe) => exe,
            None => sibling(MAIN_EXE).ok_or(HandoffError::NoMainExe)?,
        };
        Ok(handoff)
    }
}

fn utf8(value: OsString, option: &str) -> Result<String, HandoffError> {
    value
        .into_string()
        .map_err(|_| HandoffError::NotUtf8(option.to_owned()))
}

/// The executable `name` in the directory of the running one, when it is there.
pub fn sibling(name: &str) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    sibling_of(&exe, name)
}

fn sibling_of(exe: &Path, name: &str) -> Option<PathBuf> {
    let path = exe
        .parent()?
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    path.is_file().then_some(path)
}

/// Warnings and worse (or `level`, `RUST_LOG`) to `logs/file`, for the commands that own
/// no terminal output (the TUI draws on it, the tray has none); nowhere when that file
/// cannot be opened.
pub fn log_to_file(logs: &Path, file: &str, level: Option<&str>) {
    let file = std::fs::create_dir_all(logs).and_then(|()| {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(logs.join(file))
    });
    let Ok(file) = file else {
        return;
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level.unwrap_or("warn")));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(crate::redact::Masked(file)))
        .try_init();
}

/// Says what failed (and what to do) on stderr, as `mcpproxy` does, for an attach client's
/// executable to exit with.
pub fn fail(message: &str, hint: Option<String>) -> std::process::ExitCode {
    eprintln!("error: {message}");
    if let Some(hint) = hint {
        eprintln!("hint: {hint}");
    }
    std::process::ExitCode::FAILURE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sibling_reads_what_mcpproxy_wrote() {
        let handoff = Handoff {
            data_dir: "/home/ada/.mcpproxy".into(),
            config: Some("conf/other.toml".into()),
            socket: None,
            log_level: Some("debug".into()),
            exe: "/opt/mcpproxy/bin/mcpproxy".into(),
            options: vec![
                ("screen".into(), "logs".into()),
                ("theme".into(), "my theme".into()),
            ],
        };
        let read = Handoff::from_args(handoff.to_args(), &["screen", "theme", "listen"]).unwrap();
        assert_eq!(read, handoff);
        assert_eq!(read.option("theme"), Some("my theme"));
        assert_eq!(read.option("listen"), None);
        assert!(!read.paths().config_is_default);
    }

    #[test]
    fn an_option_the_command_does_not_take_is_refused() {
        let args = ["--data-dir", "/d", "--exe", "/e", "--screen", "logs"].map(OsString::from);
        let error = Handoff::from_args(args, &[]).unwrap_err();
        assert!(matches!(error, HandoffError::Unknown(ref name) if name == "--screen"));
        let args = ["--data-dir"].map(OsString::from);
        assert!(matches!(
            Handoff::from_args(args, &[]).unwrap_err(),
            HandoffError::MissingValue(_)
        ));
    }

    #[test]
    fn a_sibling_is_found_only_when_it_exists() {
        let dir = tempfile::tempdir().unwrap();
        let exe = dir.path().join("mcpproxy");
        std::fs::write(&exe, b"").unwrap();
        assert_eq!(sibling_of(&exe, TRAY_EXE), None);
        std::fs::write(dir.path().join(TRAY_EXE), b"").unwrap();
        assert_eq!(sibling_of(&exe, TRAY_EXE), Some(dir.path().join(TRAY_EXE)));
    }
}
