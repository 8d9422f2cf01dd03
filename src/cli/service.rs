//! `mcpproxy service install|uninstall|status`: start the daemon at login, through the
//! user's own service manager (a systemd user unit on Linux, a launchd agent on macOS).
//!
//! The file names this executable by its absolute path and the data dir it runs on, so the
//! service runs the same mcpproxy on the same data as the command that installed it. Writing
//! the file needs no running service manager; enabling it does, and when that is not possible
//! here the command says so and prints the line to run.

mod autostart;
mod launchd;
mod systemd;

use std::path::{Path, PathBuf};
use std::process::Command;

use clap::Subcommand;
use serde::Serialize;

use super::{Failure, Global};

#[derive(Debug, Subcommand)]
pub enum ServiceCommand {
    /// Write the service file and enable it, so the daemon starts at login
    #[command(after_help = "Examples:\n  \
        mcpproxy service install\n  \
        mcpproxy service install --no-enable --data-dir ~/.mcpproxy-work\n  \
        mcpproxy service install --tray")]
    Install {
        /// Only write the file; print the command that enables it
        #[arg(long)]
        no_enable: bool,
        /// Also show the tray icon at login (an XDG autostart entry running `mcpproxy tray`)
        #[arg(long)]
        tray: bool,
    },
    /// Disable the service and remove its file (a running daemon is stopped by the manager),
    /// and the tray's autostart entry
    #[command(after_help = "Example:\n  mcpproxy service uninstall")]
    Uninstall,
    /// Show whether the service is installed, what it runs, and whether it runs now
    #[command(
        after_help = "Examples:\n  mcpproxy service status\n  mcpproxy service status --json"
    )]
    Status,
}

/// What every `service` command reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceReport {
    /// `install`, `uninstall` or `status`.
    pub action: &'static str,
    /// `systemd` or `launchd`.
    pub manager: &'static str,
    /// The unit or agent file.
    pub path: PathBuf,
    /// Whether the file exists after the command.
    pub installed: bool,
    /// Whether the file runs this executable on this data dir (`None` when not installed).
    pub current: Option<bool>,
    /// What the service runs: the executable and its arguments.
    pub exec: Vec<String>,
    /// The service manager command that goes with the action (enable, disable, or ask).
    pub command: String,
    /// Whether `command` was run here and succeeded.
    pub ran: bool,
    /// Why `command` was not run or failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manager_error: Option<String>,
    /// What the manager says of the service (`active`, `inactive`, `failed`...), when it
    /// can be asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// The tray's XDG autostart entry, when it exists after the command.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tray_autostart: Option<PathBuf>,
}

/// A user service manager mcpproxy knows how to write for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Manager {
    Systemd,
    Launchd,
}

/// The daemon the service runs.
struct Service {
    exe: PathBuf,
    data_dir: PathBuf,
    /// An explicit `--config`, kept so the service reads the same file.
    config: Option<PathBuf>,
}

impl Service {
    /// The daemon's command line.
    fn args(&self) -> Vec<String> {
        self.command("serve")
    }

    /// `mcpproxy COMMAND` on the service's data dir (and config).
    fn command(&self, command: &str) -> Vec<String> {
        let mut args = vec![
            self.exe.display().to_string(),
            command.to_owned(),
            "--data-dir".to_owned(),
            self.data_dir.display().to_string(),
        ];
        if let Some(config) = &self.config {
            args.extend(["--config".to_owned(), config.display().to_string()]);
        }
        args
    }
}

impl Manager {
    /// The manager of this OS; `None` where autostart is not covered yet.
    fn here() -> Option<Self> {
        if cfg!(target_os = "macos") {
            Some(Self::Launchd)
        } else if cfg!(unix) {
            Some(Self::Systemd)
        } else {
            None
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Systemd => "systemd",
            Self::Launchd => "launchd",
        }
    }

    fn path(self) -> Result<PathBuf, Failure> {
        Ok(match self {
            Self::Systemd => config_home()?.join("systemd/user").join(systemd::UNIT),
            Self::Launchd => home()?
                .join("Library/LaunchAgents")
                .join(format!("{}.plist", launchd::LABEL)),
        })
    }

    fn render(self, service: &Service) -> String {
        match self {
            Self::Systemd => systemd::unit(service),
            Self::Launchd => launchd::plist(service),
        }
    }

    /// The command that enables and starts the installed file.
    fn enable(self, path: &Path) -> Vec<String> {
        match self {
            Self::Systemd => systemd::enable(),
            Self::Launchd => launchd::enable(path),
        }
    }

    fn disable(self, path: &Path) -> Vec<String> {
        match self {
            Self::Systemd => systemd::disable(),
            Self::Launchd => launchd::disable(path),
        }
    }

    /// Asks the manager whether the service runs; `Err` when it cannot be asked.
    fn state(self) -> Result<String, String> {
        match self {
            Self::Systemd => systemd::state(),
            Self::Launchd => launchd::state(),
        }
    }

    /// Makes the manager read the changed file, where it needs that.
    fn reload(self) -> Result<(), String> {
        match self {
            Self::Systemd => run_manager(&systemd::reload()),
            Self::Launchd => Ok(()),
        }
    }
}

fn home() -> Result<PathBuf, Failure> {
    mcpproxy_daemon::paths::home_dir().ok_or_else(|| {
        Failure::error("cannot tell where the service file goes: HOME is not set")
            .hint("set HOME to your home directory")
    })
}

/// `$XDG_CONFIG_HOME` when it is absolute, else `~/.config`.
fn config_home() -> Result<PathBuf, Failure> {
    match std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
    {
        Some(dir) => Ok(dir),
        None => Ok(home()?.join(".config")),
    }
}

pub fn run(global: &Global, command: ServiceCommand) -> Result<(), Failure> {
    let Some(manager) = Manager::here() else {
        return Err(Failure::error(
            "starting mcpproxy at login is not covered on this OS yet (only Linux with systemd and macOS)",
        )
        .hint("run `mcpproxy daemon start` from a Task Scheduler task that runs at log-on"));
    };
    let paths = global.paths()?;
    let exe = std::env::current_exe()
        .and_then(|exe| exe.canonicalize())
        .map_err(|e| Failure::error(format!("cannot find the mcpproxy executable: {e}")))?;
    let service = Service {
        exe,
        data_dir: paths.data_dir.clone(),
        config: (!paths.config_is_default).then(|| paths.config.clone()),
    };
    if matches!(command, ServiceCommand::Install { tray: true, .. }) && manager != Manager::Systemd
    {
        return Err(Failure::error(
            "the tray icon is not built for macOS yet, so it cannot start at login",
        )
        .hint("run `mcpproxy service install` without --tray; `mcpproxy tui` shows the daemon"));
    }
    let path = manager.path()?;
    let wanted = manager.render(&service);
    let tray_entry = match manager {
        Manager::Systemd => Some(autostart::path(&config_home()?)),
        Manager::Launchd => None,
    };
    let report = match command {
        ServiceCommand::Install { no_enable, tray } => {
            let report = install(manager, &path, &wanted, no_enable)?;
            if let (true, Some(entry)) = (tray, &tray_entry) {
                write_file(entry, &autostart::entry(&service))?;
            }
            report
        }
        ServiceCommand::Uninstall => {
            if let Some(entry) = &tray_entry {
                remove_file(entry)?;
            }
            uninstall(manager, &path)?
        }
        ServiceCommand::Status => ServiceReport {
            action: "status",
            command: shell_line(&manager.enable(&path)),
            ..observe(manager, &path, &wanted)
        },
    };
    let report = ServiceReport {
        exec: service.args(),
        tray_autostart: tray_entry.filter(|entry| entry.exists()),
        ..report
    };
    global.output().print(&report, render)
}

fn install(
    manager: Manager,
    path: &Path,
    wanted: &str,
    no_enable: bool,
) -> Result<ServiceReport, Failure> {
    write_file(path, wanted)?;
    let enable = manager.enable(path);
    let (ran, manager_error) = if no_enable {
        (false, Some("not run: --no-enable".to_owned()))
    } else {
        match manager.reload().and_then(|()| run_manager(&enable)) {
            Ok(()) => (true, None),
            Err(e) => (false, Some(e)),
        }
    };
    Ok(ServiceReport {
        action: "install",
        command: shell_line(&enable),
        ran,
        manager_error,
        ..observe(manager, path, wanted)
    })
}

fn uninstall(manager: Manager, path: &Path) -> Result<ServiceReport, Failure> {
    let disable = manager.disable(path);
    let existed = path.exists();
    let (ran, manager_error) = if existed {
        match run_manager(&disable) {
            Ok(()) => (true, None),
            Err(e) => (false, Some(e)),
        }
    } else {
        (
            false,
            Some("not run: the service is not installed".to_owned()),
        )
    };
    remove_file(path)?;
    if existed && ran {
        // The unit is gone; a failed reload only leaves systemd listing it until next login.
        let _ = manager.reload();
    }
    Ok(ServiceReport {
        action: "uninstall",
        command: shell_line(&disable),
        ran,
        manager_error,
        ..observe(manager, path, "")
    })
}

/// Writes a file mcpproxy owns, creating its directory.
fn write_file(path: &Path, text: &str) -> Result<(), Failure> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| {
            Failure::error(format!("cannot create {}: {e}", dir.display()))
                .hint("check that your home directory is writable")
        })?;
    }
    mcpproxy_daemon::config::write_atomically(path, text).map_err(|e| {
        Failure::error(format!("cannot write {}: {e}", path.display()))
            .hint("check that the directory is yours and writable")
    })
}

/// Removes a file mcpproxy wrote; one that is not there is fine.
fn remove_file(path: &Path) -> Result<(), Failure> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(
            Failure::error(format!("cannot remove {}: {e}", path.display()))
                .hint("check that the file is yours"),
        ),
    }
}

/// The file as it is now, and what the manager says of it.
fn observe(manager: Manager, path: &Path, wanted: &str) -> ServiceReport {
    let written = std::fs::read_to_string(path).ok();
    let (state, manager_error) = match manager.state() {
        Ok(state) => (Some(state), None),
        Err(e) => (None, Some(e)),
    };
    ServiceReport {
        action: "status",
        manager: manager.name(),
        path: path.to_path_buf(),
        installed: written.is_some(),
        current: written.map(|w| w == wanted),
        exec: Vec::new(),
        command: String::new(),
        ran: false,
        manager_error,
        state,
        tray_autostart: None,
    }
}

/// Runs a service manager command; `Err` says why it did not work.
fn run_manager(argv: &[String]) -> Result<(), String> {
    let Some((program, args)) = argv.split_first() else {
        return Ok(());
    };
    let output = Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let why = stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        Err(format!("`{}` failed: {}", shell_line(argv), why.trim()))
    }
}

/// An argument list as one line a person can paste (quoted where it needs it).
fn shell_line(argv: &[String]) -> String {
    argv.iter()
        .map(|arg| {
            if !arg.is_empty()
                && arg
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:@%+,".contains(c))
            {
                arg.clone()
            } else {
                format!("'{}'", arg.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn render(report: &ServiceReport) -> String {
    let file = report.path.display();
    let mut lines = Vec::new();
    match report.action {
        "install" => {
            lines.push(format!("wrote {} ({})", file, report.manager));
            lines.push(format!("  runs {}", shell_line(&report.exec)));
            if report.ran {
                lines.push(format!("enabled and started: `{}`", report.command));
            } else {
                if let Some(why) = &report.manager_error {
                    lines.push(format!("not enabled here ({why})"));
                }
                lines.push(format!(
                    "to start it now and at every login, run: {}",
                    report.command
                ));
            }
        }
        "uninstall" => {
            if report.ran {
                lines.push(format!("disabled: `{}`", report.command));
            }
            lines.push(match report.manager_error.as_deref() {
                Some(why) if why.contains("not installed") => {
                    format!("no service was installed ({file} does not exist)")
                }
                _ => format!("removed {file}"),
            });
        }
        _ => {
            if report.installed {
                lines.push(format!("installed: {file} ({})", report.manager));
                if report.current == Some(false) {
                    lines.push(
                        "  it runs another executable, data dir or config than this command: \
                         `mcpproxy service install` rewrites it"
                            .to_owned(),
                    );
                }
            } else {
                lines.push(format!("not installed ({file} does not exist)"));
                lines.push("  `mcpproxy service install` starts mcpproxy at login".to_owned());
            }
        }
    }
    if let Some(entry) = &report.tray_autostart {
        lines.push(match report.action {
            "install" => format!("wrote {} (the tray icon starts at login)", entry.display()),
            _ => format!("tray icon at login: {}", entry.display()),
        });
    }
    match (&report.state, report.action) {
        (Some(state), _) => lines.push(format!("service state: {state}")),
        (None, "status") => {
            if let Some(why) = &report.manager_error {
                lines.push(format!("service state unknown: {why}"));
            }
        }
        _ => {}
    }
    lines.join("\n")
}
