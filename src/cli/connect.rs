//! `mcpproxy connect CLIENT|--all`, `mcpproxy disconnect CLIENT|--all` and `connect --list`:
//! the reverse of `config import`. Adds (or removes) one `mcpproxy` entry in an AI client's
//! own config file at its standard location, keeping everything else in the file as it was
//! (comments too), after copying the file to `FILE.mcpproxy-backup`. The entry runs
//! `mcpproxy stdio` (the control socket is trusted, so no key is needed), or with `--http`
//! names the `/mcp` URL; it never holds the API key. Disconnecting a file nobody touched since
//! gives back the original, byte for byte.

mod entry;
mod file;

use std::path::{Path, PathBuf};

use clap::Args;
use serde::Serialize;

use self::entry::Target;
use self::file::{ClientFile, Edit};
use super::clients::AiClient;
use super::{Failure, Global};

/// The name of the entry mcpproxy adds to a client's config.
pub const ENTRY_NAME: &str = "mcpproxy";

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    mcpproxy connect cursor\n  \
    mcpproxy connect --all --dry-run\n  \
    mcpproxy connect gemini --http\n  \
    mcpproxy connect --list --json")]
pub struct ConnectArgs {
    /// The client: claude-code, claude-desktop, cursor, vscode, windsurf, codex, gemini, opencode
    #[arg(
        value_parser = parse_client,
        required_unless_present_any = ["all", "list"],
        conflicts_with_all = ["all", "list"]
    )]
    client: Option<AiClient>,
    /// Every client whose config file or directory exists
    #[arg(long)]
    all: bool,
    /// Show each client's config file and whether it points at mcpproxy
    #[arg(long, conflicts_with_all = ["dry_run", "http"])]
    list: bool,
    /// Show what would change without writing
    #[arg(long)]
    dry_run: bool,
    /// Point the client at the daemon's `/mcp` URL instead of running `mcpproxy stdio`
    #[arg(long)]
    http: bool,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    mcpproxy disconnect cursor\n  \
    mcpproxy disconnect --all --json")]
pub struct DisconnectArgs {
    /// The client: claude-code, claude-desktop, cursor, vscode, windsurf, codex, gemini, opencode
    #[arg(value_parser = parse_client, required_unless_present = "all", conflicts_with = "all")]
    client: Option<AiClient>,
    /// Every client whose config has an mcpproxy entry
    #[arg(long)]
    all: bool,
    /// Show what would change without writing
    #[arg(long)]
    dry_run: bool,
}

fn parse_client(value: &str) -> Result<AiClient, String> {
    value.parse()
}

/// What happened to one client's file.
#[derive(Debug, Serialize)]
pub struct Change {
    pub client: AiClient,
    pub label: &'static str,
    pub path: PathBuf,
    /// `added`, `replaced`, `unchanged`, `removed`, `restored` (the backup, byte for byte),
    /// `deleted` (a file mcpproxy created) or `absent` (there was no entry).
    pub action: &'static str,
    /// Where the file was copied before it changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup: Option<PathBuf>,
    /// The entry as written into the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<serde_json::Value>,
}

#[derive(Debug, Serialize)]
pub struct Changes {
    pub dry_run: bool,
    pub changes: Vec<Change>,
}

/// One client in `connect --list`.
#[derive(Debug, Serialize)]
pub struct ClientStatus {
    pub client: AiClient,
    pub label: &'static str,
    pub path: PathBuf,
    pub exists: bool,
    /// It has an `mcpproxy` entry.
    pub connected: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ClientList {
    pub clients: Vec<ClientStatus>,
}

fn home() -> Result<PathBuf, Failure> {
    mcpproxy_daemon::paths::home_dir().ok_or_else(|| {
        Failure::error("HOME is not set, so the clients' config files cannot be found")
            .hint("set HOME to your home directory")
    })
}

pub fn run_connect(global: &Global, args: ConnectArgs) -> Result<(), Failure> {
    let home = home()?;
    if args.list {
        let clients = AiClient::ALL.map(|client| status(client, &home)).into();
        return global.output().print(&ClientList { clients }, render_list);
    }
    let target = if args.http {
        Target::http(global)?
    } else {
        Target::stdio(global)?
    };
    let clients = match args.client {
        Some(client) => vec![client],
        None => AiClient::ALL
            .into_iter()
            .filter(|client| installed(*client, &home))
            .collect(),
    };
    // Every file is read and every edit made before anything is written: one broken file
    // stops the run with nothing changed.
    let mut planned = Vec::new();
    for client in clients {
        let entry = target.entry(client)?;
        let path = client.config_path(&home);
        let file = ClientFile::open(client, &path)?;
        let edit = file.connect(&entry)?;
        planned.push(Planned {
            client,
            path,
            file,
            edit,
            entry: Some(entry.json()),
        });
    }
    let changes = Changes {
        dry_run: args.dry_run,
        changes: apply_all(planned, args.dry_run)?,
    };
    global.output().print(&changes, render_changes)
}

pub fn run_disconnect(global: &Global, args: DisconnectArgs) -> Result<(), Failure> {
    let home = home()?;
    let clients = match args.client {
        Some(client) => vec![client],
        None => AiClient::ALL
            .into_iter()
            .filter(|client| status(*client, &home).connected)
            .collect(),
    };
    let mut planned = Vec::new();
    for client in clients {
        let path = client.config_path(&home);
        let file = ClientFile::open(client, &path)?;
        let edit = file.disconnect()?;
        planned.push(Planned {
            client,
            path,
            file,
            edit,
            entry: None,
        });
    }
    let changes = Changes {
        dry_run: args.dry_run,
        changes: apply_all(planned, args.dry_run)?,
    };
    global.output().print(&changes, render_changes)
}

/// One client's file with the edit worked out for it, before anything is written.
struct Planned {
    client: AiClient,
    path: PathBuf,
    file: ClientFile,
    edit: Edit,
    entry: Option<serde_json::Value>,
}

fn apply_all(planned: Vec<Planned>, dry_run: bool) -> Result<Vec<Change>, Failure> {
    planned
        .into_iter()
        .map(|p| apply(p.client, &p.path, &p.file, p.edit, p.entry, dry_run))
        .collect()
}

/// A client counts as installed when its config file exists, or the directory it lives in
/// (the home directory itself does not count).
fn installed(client: AiClient, home: &Path) -> bool {
    let path = client.config_path(home);
    path.exists() || path.parent().is_some_and(|dir| dir != home && dir.is_dir())
}

fn status(client: AiClient, home: &Path) -> ClientStatus {
    let path = client.config_path(home);
    let (exists, connected, error) = match ClientFile::open(client, &path) {
        Ok(file) => (file.exists(), file.has_entry(), None),
        Err(failure) => (true, false, Some(failure.message)),
    };
    ClientStatus {
        client,
        label: client.label(),
        path,
        exists,
        connected,
        error,
    }
}

fn apply(
    client: AiClient,
    path: &Path,
    file: &ClientFile,
    edit: Edit,
    entry: Option<serde_json::Value>,
    dry_run: bool,
) -> Result<Change, Failure> {
    let backup = file::backup_path(path);
    let change = |action: &'static str, backup: Option<PathBuf>| Change {
        client,
        label: client.label(),
        path: path.to_path_buf(),
        action,
        backup,
        entry: entry.clone(),
    };
    let write_failure = |what: &str, e: std::io::Error| {
        Failure::error(format!("cannot {what} {}: {e}", path.display()))
            .hint("check the file's owner and permissions")
    };
    match edit {
        Edit::Unchanged => Ok(change("unchanged", None)),
        Edit::Absent => Ok(change("absent", None)),
        Edit::Write { action, text } => {
            let saved = file.exists().then(|| backup.clone());
            if !dry_run {
                if let Some(backup) = &saved {
                    std::fs::copy(path, backup).map_err(|e| write_failure("back up", e))?;
                }
                file::write(path, &text).map_err(|e| write_failure("write", e))?;
            }
            Ok(change(action, saved))
        }
        Edit::Restore => {
            if !dry_run {
                std::fs::rename(&backup, path).map_err(|e| write_failure("restore", e))?;
            }
            Ok(change("restored", None))
        }
        Edit::Delete => {
            if !dry_run {
                std::fs::remove_file(path).map_err(|e| write_failure("remove", e))?;
            }
            Ok(change("deleted", None))
        }
    }
}

fn render_changes(changes: &Changes) -> String {
    if changes.changes.is_empty() {
        return "no client to change".to_owned();
    }
    let would = if changes.dry_run { "would be " } else { "" };
    changes
        .changes
        .iter()
        .map(|c| {
            let what = match c.action {
                "unchanged" => "already points at mcpproxy".to_owned(),
                "absent" => "has no mcpproxy entry".to_owned(),
                "restored" => format!("{would}restored from its backup"),
                "deleted" => format!("{would}removed (mcpproxy had created it)"),
                action => format!("{would}{action}"),
            };
            let backup = c
                .backup
                .as_ref()
                .map(|b| format!(" (backup: {})", b.display()))
                .unwrap_or_default();
            format!("{}: {} {what}{backup}", c.label, c.path.display())
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn render_list(list: &ClientList) -> String {
    list.clients
        .iter()
        .map(|c| {
            let state = match (&c.error, c.exists, c.connected) {
                (Some(error), _, _) => format!("unreadable: {error}"),
                (None, false, _) => "no config file".to_owned(),
                (None, true, true) => "connected".to_owned(),
                (None, true, false) => "not connected".to_owned(),
            };
            format!("{:<15} {:<14} {}", c.label, state, c.path.display())
        })
        .collect::<Vec<_>>()
        .join("\n")
}
