//! The one place a running daemon's servers are added, removed, enabled, disabled, approved
//! and restarted. The REST API, the CLI and the TUI (through the API) and the MCP
//! `upstream_servers` tool all come here, so the rules (names, quarantine, comment-keeping atomic edits) hold
//! whichever door a change comes through.
//!
//! A change edits `config.toml` (checked, atomic, comments kept) and is then applied to the
//! running supervisors at once; the config watcher sees the same text and does nothing.

pub mod review;

use crate::config::{Config, ConfigFile, EditError, LoadedConfig, ServerConfig, ServerFlag};
use crate::daemon::Daemon;
use crate::protocol::{ServerView, ToolSwitch, ToolSwitches};

#[derive(Debug, thiserror::Error)]
pub enum ManageError {
    #[error("no server named \"{0}\"")]
    NotFound(String),
    #[error("a server named \"{0}\" already exists")]
    Exists(String),
    #[error("{0}")]
    InvalidName(String),
    #[error("server \"{server}\" has no tool named \"{tool}\"")]
    NoSuchTool { server: String, tool: String },
    #[error("name the tools to switch, or pass --all")]
    NoTools,
    #[error("server \"{0}\" is not connected, so which tools it has is not known")]
    ToolsUnknown(String),
    #[error(transparent)]
    Edit(#[from] EditError),
    #[error(transparent)]
    Review(#[from] crate::review::DecisionError),
    #[error("\"{0}\" is not waiting for approval")]
    NotPending(String),
    #[error(
        "\"{0}\" is a quarantined stdio server: inspecting it starts its command, which runs its code"
    )]
    NeedsRun(String),
    #[error("{0}")]
    Inspect(String),
    #[error("this daemon runs without tool review")]
    NoReview,
    #[error("the daemon stopped before the decision was recorded: {0}")]
    Interrupted(String),
}

impl ManageError {
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::NotFound(_) => {
                Some("`mcpproxy upstream list` shows the configured servers".to_owned())
            }
            Self::Exists(name) => Some(format!(
                "pick another name, or remove it first with `mcpproxy upstream remove {name}`"
            )),
            Self::InvalidName(_) => {
                Some("use letters, digits, '-', '_' and '.', e.g. \"my-server\"".to_owned())
            }
            Self::NoSuchTool { server, .. } => Some(format!(
                "`mcpproxy tools list --server {server}` shows its tools; names are as the server gives them, without \"{server}:\""
            )),
            Self::ToolsUnknown(_) => Some(
                "name the tools to disable, or wait until it is ready (`mcpproxy upstream list`)"
                    .to_owned(),
            ),
            Self::NoTools => Some(
                "e.g. `mcpproxy upstream tools disable SERVER TOOL`, or `--all` for every tool"
                    .to_owned(),
            ),
            Self::Edit(EditError::NoSuchServer { .. }) => {
                Some("`mcpproxy upstream list` shows the configured servers".to_owned())
            }
            Self::Edit(EditError::Syntax { .. } | EditError::ServersNotATable { .. }) => Some(
                "fix the config file first; `mcpproxy config check` shows where it is broken"
                    .to_owned(),
            ),
            Self::Edit(error) if error.is_permission_denied() => {
                Some("check the config file's owner and permissions".to_owned())
            }
            Self::Edit(_) => None,
            Self::Review(error) => error.hint(),
            Self::NotPending(name) => Some(format!(
                "only a server added and not yet approved can be rejected; \
                 `mcpproxy upstream remove {name}` removes any server"
            )),
            Self::NeedsRun(name) => Some(format!(
                "start it once to list its items with `mcpproxy upstream inspect {name} --run` \
                 (it is stopped again at once, and nothing of it is served)"
            )),
            Self::Inspect(_) => Some(
                "check the server's command or URL; `mcpproxy upstream probe` tries a connection by hand"
                    .to_owned(),
            ),
            Self::NoReview | Self::Interrupted(_) => None,
        }
    }
}

/// Adds a server. Unless `quarantine` is false it waits for approval before it runs.
pub async fn add(
    daemon: &Daemon,
    name: &str,
    mut server: ServerConfig,
    quarantine: bool,
) -> Result<ServerView, ManageError> {
    crate::config::check_server_name(name).map_err(ManageError::InvalidName)?;
    server.quarantined = quarantine;
    edit(daemon, |file| {
        if file.contains(name) {
            return Err(ManageError::Exists(name.to_owned()));
        }
        file.set_server(name, &server)?;
        Ok(())
    })
    .await?;
    view(daemon, name)
}

pub async fn remove(daemon: &Daemon, name: &str) -> Result<(), ManageError> {
    edit(daemon, |file| {
        require(file, name)?;
        file.remove_server(name)?;
        Ok(())
    })
    .await
}

pub async fn set_enabled(
    daemon: &Daemon,
    name: &str,
    enabled: bool,
) -> Result<ServerView, ManageError> {
    set_flag(daemon, name, ServerFlag::Enabled, enabled).await
}

/// Lets a quarantined server run.
pub async fn approve(daemon: &Daemon, name: &str) -> Result<ServerView, ManageError> {
    set_flag(daemon, name, ServerFlag::Quarantined, false).await
}

/// Switches tools of a server off (`enabled` false) or back on, in `config.toml`; the gate
/// holds or releases them before this returns. While the server is connected, only its
/// tools (or, to enable, those switched off) may be named.
pub async fn switch_tools(
    daemon: &Daemon,
    name: &str,
    request: &ToolSwitch,
    enabled: bool,
) -> Result<ToolSwitches, ManageError> {
    if request.tools.is_empty() && !request.all {
        return Err(ManageError::NoTools);
    }
    let offered = daemon
        .upstreams()
        .server(name)
        .and_then(|server| server.delivered_tool_names());
    let mut changed = Vec::new();
    let mut disabled = Vec::new();
    edit(daemon, |file| {
        require(file, name)?;
        let before = file
            .check()?
            .servers
            .get(name)
            .map(|server| server.disabled_tools.clone())
            .unwrap_or_default();
        let named: Vec<String> = match (request.all, enabled) {
            (true, true) => before.clone(),
            (true, false) => offered
                .clone()
                .ok_or_else(|| ManageError::ToolsUnknown(name.to_owned()))?,
            (false, _) => request.tools.clone(),
        };
        if let Some(offered) = &offered
            && let Some(unknown) = named
                .iter()
                .find(|tool| !offered.contains(tool) && !before.contains(tool))
        {
            return Err(ManageError::NoSuchTool {
                server: name.to_owned(),
                tool: unknown.clone(),
            });
        }
        disabled = before.clone();
        for tool in named {
            let was_disabled = disabled.contains(&tool);
            if enabled && was_disabled {
                disabled.retain(|t| *t != tool);
            } else if !enabled && !was_disabled {
                disabled.push(tool.clone());
            } else {
                continue;
            }
            changed.push(tool);
        }
        file.set_disabled_tools(name, &disabled)?;
        Ok(())
    })
    .await?;
    Ok(ToolSwitches {
        server: name.to_owned(),
        disabled_tools: disabled,
        changed,
    })
}

/// Reconnects a server now, forgetting its backoff.
pub fn restart(daemon: &Daemon, name: &str) -> Result<ServerView, ManageError> {
    if !daemon.upstreams().restart(name) {
        return Err(ManageError::NotFound(name.to_owned()));
    }
    view(daemon, name)
}

async fn set_flag(
    daemon: &Daemon,
    name: &str,
    flag: ServerFlag,
    on: bool,
) -> Result<ServerView, ManageError> {
    edit(daemon, |file| {
        require(file, name)?;
        file.set_flag(name, flag, on)?;
        Ok(())
    })
    .await?;
    view(daemon, name)
}

/// Edits the config file, saves it, and applies it to the running daemon.
async fn edit(
    daemon: &Daemon,
    change: impl FnOnce(&mut ConfigFile) -> Result<(), ManageError>,
) -> Result<(), ManageError> {
    let _edits = daemon.lock_config_edits().await;
    let path = daemon.config().path.clone();
    let mut file = ConfigFile::open(&path)?;
    change(&mut file)?;
    let (file, config) = save_off_runtime(file).await?;
    daemon
        .apply_config(LoadedConfig {
            path,
            config,
            text: file.text(),
        })
        .await;
    Ok(())
}

/// Saves `file` on a blocking thread: the write ends with an fsync, which must not hold up
/// the runtime's one worker (and with it every request and upstream) while the disk works.
/// Gives the file back for its text.
async fn save_off_runtime(file: ConfigFile) -> Result<(ConfigFile, Config), ManageError> {
    let path = file.path().to_path_buf();
    let saving = tokio::task::spawn_blocking(move || {
        let saved = file.save();
        saved.map(|config| (file, config))
    });
    match saving.await {
        Ok(saved) => Ok(saved?),
        Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
        // Only when the runtime shuts down before the save started: nothing was written.
        Err(_) => Err(EditError::Write {
            path,
            source: std::io::Error::other("the daemon is shutting down"),
        }
        .into()),
    }
}

fn require(file: &ConfigFile, name: &str) -> Result<(), ManageError> {
    if file.contains(name) {
        Ok(())
    } else {
        Err(ManageError::NotFound(name.to_owned()))
    }
}

fn view(daemon: &Daemon, name: &str) -> Result<ServerView, ManageError> {
    daemon
        .upstreams()
        .server(name)
        .map(|server| server.view())
        .ok_or_else(|| ManageError::NotFound(name.to_owned()))
}
