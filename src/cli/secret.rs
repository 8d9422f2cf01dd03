//! `mcpproxy secret set|list|rm|migrate`: the secrets store, directly (no daemon needed).

use std::io::{BufRead as _, IsTerminal as _, Write as _};

use clap::Subcommand;
use mcpproxy_daemon::secrets::migrate::{self, Moved};
use mcpproxy_daemon::secrets::{SecretEntry, SecretError, SecretStore, mask};
use serde::Serialize;

use super::{Failure, Global};

#[derive(Debug, Subcommand)]
pub enum SecretCommand {
    /// Store a secret; the value is read from stdin (typed without echo on a terminal)
    #[command(
        after_help = "Examples:\n  mcpproxy secret set GITHUB_TOKEN\n  mcpproxy secret set GITHUB_TOKEN --from-env GITHUB_TOKEN"
    )]
    Set {
        /// Its name, as config refers to it: ${secret:NAME}
        name: String,
        /// Take the value from this environment variable instead of stdin
        #[arg(long, value_name = "VAR")]
        from_env: Option<String>,
    },
    /// List the stored secrets, masked
    #[command(after_help = "Examples:\n  mcpproxy secret list\n  mcpproxy secret list --json")]
    List,
    /// Remove a secret
    #[command(alias = "remove")]
    #[command(after_help = "Example:\n  mcpproxy secret rm GITHUB_TOKEN")]
    Rm { name: String },
    /// Move literal secrets in config.toml (Authorization headers, *_TOKEN/*_KEY/*_SECRET
    /// env values) to the secrets store, leaving ${secret:NAME} references
    #[command(
        after_help = "Examples:\n  mcpproxy secret migrate --dry-run\n  mcpproxy secret migrate"
    )]
    Migrate {
        /// Show what would move, change nothing
        #[arg(long)]
        dry_run: bool,
    },
}

/// The store of the data dir.
pub fn store(global: &Global) -> Result<SecretStore, Failure> {
    Ok(SecretStore::open(&global.paths()?.data_dir))
}

fn failure(error: SecretError) -> Failure {
    let hint = error.hint();
    Failure::error(error.to_string()).maybe_hint(hint)
}

pub async fn run(global: &Global, command: SecretCommand) -> Result<(), Failure> {
    let store = store(global)?;
    let output = global.output();
    match command {
        SecretCommand::Set { name, from_env } => {
            mcpproxy_daemon::secrets::check_name(&name).map_err(failure)?;
            let value = match from_env {
                Some(var) => std::env::var(&var).map_err(|_| {
                    Failure::error(format!("environment variable {var} is not set"))
                })?,
                None => read_value(&name)?,
            };
            if value.is_empty() {
                return Err(Failure::error("the value is empty; nothing stored"));
            }
            let backend = store.set(&name, &value).map_err(failure)?;
            let entry = SecretEntry {
                name,
                backend,
                masked: mask(&value),
            };
            output.print(&entry, |e| {
                format!(
                    "stored {} ({}) in the {}; use it as ${{secret:{}}}",
                    e.name,
                    e.masked,
                    e.backend.as_str(),
                    e.name
                )
            })
        }
        SecretCommand::List => {
            #[derive(Serialize)]
            struct Listed {
                store: &'static str,
                secrets: Vec<SecretEntry>,
            }
            let listed = Listed {
                store: store.backend().as_str(),
                secrets: store.list().map_err(failure)?,
            };
            output.print(&listed, |l| {
                if l.secrets.is_empty() {
                    return format!("no secrets (new ones go to the {})", l.store);
                }
                l.secrets
                    .iter()
                    .map(|s| format!("{:<32} {:<8} {}", s.name, s.masked, s.backend.as_str()))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        SecretCommand::Rm { name } => {
            if !store.remove(&name).map_err(failure)? {
                return Err(Failure::error(format!("there is no secret {name}"))
                    .hint("`mcpproxy secret list` shows the stored ones"));
            }
            output.print(&serde_json::json!({"removed": name}), |_| {
                format!("removed {name}")
            })
        }
        SecretCommand::Migrate { dry_run } => {
            let paths = global.paths()?;
            let moved = migrate::migrate_config(&paths.config, &store, dry_run)
                .map_err(|e| Failure::error(e.to_string()).maybe_hint(e.hint()))?;
            output.print(&moved, |m| {
                render_moved(m, dry_run, store.backend().as_str())
            })
        }
    }
}

/// How moved secrets are reported (shared with `config import`).
pub fn render_moved(moved: &[Moved], dry_run: bool, backend: &str) -> String {
    if moved.is_empty() {
        return "no literal secrets found".to_owned();
    }
    let verb = if dry_run { "would move" } else { "moved" };
    let mut lines = vec![format!(
        "{verb} {} secret(s) to the {backend}:",
        moved.len()
    )];
    for m in moved {
        lines.push(format!(
            "  {}: {} {} -> ${{secret:{}}}",
            m.server, m.place, m.masked, m.secret
        ));
    }
    lines.join("\n")
}

/// The value from stdin: a line typed without echo on a terminal, else all of stdin.
fn read_value(name: &str) -> Result<String, Failure> {
    let stdin = std::io::stdin();
    let read_failed = |e: std::io::Error| Failure::error(format!("cannot read the value: {e}"));
    if !stdin.is_terminal() {
        let mut value = String::new();
        std::io::Read::read_to_string(&mut stdin.lock(), &mut value).map_err(read_failed)?;
        return Ok(value.trim_end_matches(['\n', '\r']).to_owned());
    }
    eprint!("value for {name}: ");
    let _ = std::io::stderr().flush();
    let fd = std::io::stdin();
    let saved = rustix::termios::tcgetattr(&fd).ok();
    if let Some(saved) = &saved {
        let mut quiet = saved.clone();
        quiet.local_modes.remove(rustix::termios::LocalModes::ECHO);
        let _ = rustix::termios::tcsetattr(&fd, rustix::termios::OptionalActions::Now, &quiet);
    }
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line);
    if let Some(saved) = &saved {
        let _ = rustix::termios::tcsetattr(&fd, rustix::termios::OptionalActions::Now, saved);
    }
    eprintln!();
    read.map_err(read_failed)?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}
