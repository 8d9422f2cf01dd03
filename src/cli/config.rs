//! `mcpproxy config path|show|check|init|import`.

use std::path::PathBuf;

use clap::Subcommand;
use mcpproxy_daemon::config::import::{self, ImportFormat, ImportReport};
use mcpproxy_daemon::config::{self, Config, ConfigError, EditError};
use mcpproxy_daemon::exit_code::ExitCode;
use mcpproxy_daemon::protocol::ErrorCode;
use mcpproxy_daemon::secrets;
use serde::Serialize;

use super::{Failure, Global};

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the config file's path
    #[command(
        after_help = "Examples:\n  mcpproxy config path\n  $EDITOR \"$(mcpproxy config path)\""
    )]
    Path,
    /// Print the config file (with --json, the parsed settings; ${env:...} stays unexpanded)
    #[command(
        after_help = "Examples:\n  mcpproxy config show\n  mcpproxy config show --json | jq '.servers | keys'"
    )]
    Show,
    /// Check a config file without starting anything (exit code 4 when invalid)
    #[command(
        after_help = "Examples:\n  mcpproxy config check\n  mcpproxy config check ~/new-config.toml"
    )]
    Check {
        /// The file to check [default: the config file in use]
        file: Option<PathBuf>,
    },
    /// Write the default config file
    #[command(after_help = "Examples:\n  mcpproxy config init\n  mcpproxy config init --force")]
    Init {
        /// Replace an existing file
        #[arg(long)]
        force: bool,
    },
    /// Import servers from other MCP clients' config files (they arrive quarantined)
    #[command(
        after_help = "Examples:\n  mcpproxy config import cursor\n  mcpproxy config import ~/Library/Application\\ Support/Claude/claude_desktop_config.json --dry-run\n  mcpproxy config import codex --overwrite"
    )]
    Import {
        /// Claude Desktop, Claude Code, Cursor, VS Code, Codex, Gemini or MCPProxy config
        /// files, or a client's name (claude-code, cursor, ...) for its file at its standard place
        #[arg(required = true, value_name = "FILE|CLIENT")]
        files: Vec<PathBuf>,
        /// Format of the files [default: detected from name and content]
        #[arg(long, value_parser = parse_format, value_name = "FORMAT")]
        format: Option<ImportFormat>,
        /// Show what would change without writing
        #[arg(long)]
        dry_run: bool,
        /// Replace servers whose names already exist
        #[arg(long)]
        overwrite: bool,
    },
}

/// A file to import, or for a client's name that is no file here, that client's file.
fn source_file(
    file: &std::path::Path,
    format: Option<ImportFormat>,
) -> Result<(PathBuf, Option<ImportFormat>), Failure> {
    let client = (!file.exists() && file.components().count() == 1)
        .then(|| file.to_str()?.parse::<super::clients::AiClient>().ok())
        .flatten();
    let Some(client) = client else {
        return Ok((file.to_path_buf(), format));
    };
    let home = mcpproxy_daemon::paths::home_dir()
        .ok_or_else(|| Failure::error("HOME is not set, so the client's file cannot be found"))?;
    let Some(client_format) = client.import_format() else {
        return Err(Failure::usage(format!(
            "{}'s config cannot be imported yet",
            client.label()
        ))
        .hint("add its servers with `mcpproxy upstream add`"));
    };
    Ok((
        client.config_path(&home),
        Some(format.unwrap_or(client_format)),
    ))
}

fn parse_format(value: &str) -> Result<ImportFormat, String> {
    value
        .parse()
        .map_err(|e: <ImportFormat as std::str::FromStr>::Err| e.to_string())
}

pub async fn run(global: &Global, command: ConfigCommand) -> Result<(), Failure> {
    let paths = global.paths()?;
    let output = global.output();
    match command {
        ConfigCommand::Path => {
            #[derive(Serialize)]
            struct Where {
                config: PathBuf,
                data_dir: PathBuf,
                exists: bool,
            }
            let here = Where {
                exists: paths.config.exists(),
                config: paths.config.clone(),
                data_dir: paths.data_dir.clone(),
            };
            output.print(&here, |w| w.config.display().to_string())
        }
        ConfigCommand::Show => {
            let text = read(&paths.config)?;
            if output.json {
                let raw: Config = config::parse_unexpanded(&paths.config, &text)
                    .map_err(|e| config_failure(Some(ConfigError::Invalid(e))))?;
                output.print(&raw, |_| String::new())
            } else {
                print!("{text}");
                Ok(())
            }
        }
        ConfigCommand::Check { file } => {
            let path = file
                .map(|f| std::path::absolute(&f).unwrap_or(f))
                .unwrap_or(paths.config);
            let loaded = config::load(&path).map_err(|e| {
                let failure = config_failure(Some(e));
                match client_config(&path) {
                    Some(hint) => failure.hint(hint),
                    None => failure,
                }
            })?;
            #[derive(Serialize)]
            struct Checked {
                file: PathBuf,
                valid: bool,
                servers: usize,
            }
            let checked = Checked {
                file: path,
                valid: true,
                servers: loaded.config.servers.len(),
            };
            output.print(&checked, |c| {
                format!("{}: ok ({} servers)", c.file.display(), c.servers)
            })
        }
        ConfigCommand::Init { force } => {
            if paths.config.exists() && !force {
                return Err(
                    Failure::error(format!("{} already exists", paths.config.display()))
                        .coded(ErrorCode::Conflict)
                        .hint("pass --force to replace it with the default config"),
                );
            }
            config::write_atomically(&paths.config, config::DEFAULT_CONFIG).map_err(|e| {
                Failure::new(
                    io_code(&e),
                    format!("cannot write {}: {e}", paths.config.display()),
                )
            })?;
            #[derive(Serialize)]
            struct Written {
                config: PathBuf,
            }
            output.print(
                &Written {
                    config: paths.config.clone(),
                },
                |w| format!("wrote the default config to {}", w.config.display()),
            )
        }
        ConfigCommand::Import {
            files,
            format,
            dry_run,
            overwrite,
        } => {
            let mut sources = files
                .iter()
                .map(|file| source_file(file, format))
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .map(|(file, format)| import::read_source(&file, format))
                .collect::<Result<Vec<_>, _>>()
                .map_err(import_failure)?;
            // Literal tokens in the imported servers go to the secrets store, not the file.
            let store = super::secret::store(global)?;
            let secrets = secrets::migrate::take_from_import(&mut sources, &store, dry_run)
                .map_err(|e| Failure::error(e.to_string()).maybe_hint(e.hint()))?;
            let report =
                import::import_into(&paths.config, &sources, overwrite, dry_run).map_err(|e| {
                    match e {
                        import::ImportError::Edit(edit) => edit_failure(edit),
                        other => import_failure(other),
                    }
                })?;
            let imported = Imported {
                config: paths.config.clone(),
                dry_run,
                report: &report,
                secrets,
                secrets_store: store.backend().as_str(),
            };
            output.print(&imported, render_import)
        }
    }
}

#[derive(Debug, Serialize)]
struct Imported<'a> {
    config: PathBuf,
    dry_run: bool,
    #[serde(flatten)]
    report: &'a ImportReport,
    /// Literal secrets moved to the secrets store on the way in.
    secrets: Vec<secrets::migrate::Moved>,
    secrets_store: &'static str,
}

fn render_import(imported: &Imported<'_>) -> String {
    let report = imported.report;
    let (add, replace) = if imported.dry_run {
        ("would add", "would replace")
    } else {
        ("added", "replaced")
    };
    let mut lines = Vec::new();
    if !report.added.is_empty() {
        lines.push(format!("{add} (quarantined): {}", report.added.join(", ")));
    }
    if !report.replaced.is_empty() {
        lines.push(format!(
            "{replace} (quarantined): {}",
            report.replaced.join(", ")
        ));
    }
    for (from, to) in &report.renamed {
        lines.push(format!("renamed \"{from}\" to \"{to}\""));
    }
    for skipped in &report.skipped {
        lines.push(format!("skipped {}: {}", skipped.name, skipped.reason));
    }
    if !imported.secrets.is_empty() {
        lines.push(super::secret::render_moved(
            &imported.secrets,
            imported.dry_run,
            imported.secrets_store,
        ));
    }
    if report.added.is_empty() && report.replaced.is_empty() {
        lines.push("nothing to import".to_owned());
    } else if !imported.dry_run {
        lines.push(format!(
            "{} updated; approve servers with `mcpproxy upstream approve NAME`",
            imported.config.display()
        ));
    }
    lines.join("\n")
}

fn read(path: &std::path::Path) -> Result<String, Failure> {
    std::fs::read_to_string(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Failure::new(
            ExitCode::ConfigInvalid,
            format!("config file {} does not exist", path.display()),
        )
        .hint("create it with `mcpproxy config init`, or start the daemon once"),
        _ => Failure::new(io_code(&e), format!("cannot read {}: {e}", path.display())),
    })
}

/// When `path` is another MCP client's config (Claude Desktop, Cursor, VS Code, ...), what
/// to do with it instead: it is no mcpproxy config, but `config import` reads it.
fn client_config(path: &std::path::Path) -> Option<String> {
    let source = import::read_source(path, None).ok()?;
    Some(format!(
        "this is a {} config, not mcpproxy's; bring its servers in with `mcpproxy config import {}`",
        source.format.client(),
        path.display()
    ))
}

fn config_failure(error: Option<ConfigError>) -> Failure {
    match error {
        Some(e) => {
            let code = if e.is_permission_denied() {
                ExitCode::PermissionDenied
            } else {
                ExitCode::ConfigInvalid
            };
            Failure::new(code, e.to_string()).maybe_hint(e.hint())
        }
        None => Failure::new(ExitCode::ConfigInvalid, "the config is invalid"),
    }
}

/// A file `config import` could not take, with the code that says why under `--json`.
fn import_failure(error: import::ImportError) -> Failure {
    use import::ImportError;
    let code = match &error {
        ImportError::Read { source, .. } => match source.kind() {
            std::io::ErrorKind::NotFound => ErrorCode::NotFound,
            std::io::ErrorKind::PermissionDenied => ErrorCode::Forbidden,
            _ => ErrorCode::Internal,
        },
        ImportError::Duplicate { .. } => ErrorCode::Conflict,
        ImportError::Edit(_) => ErrorCode::ConfigInvalid,
        _ => ErrorCode::BadRequest,
    };
    Failure::error(error.to_string())
        .maybe_hint(error.hint())
        .coded(code)
}

fn edit_failure(error: EditError) -> Failure {
    let code = match &error {
        e if e.is_permission_denied() => ExitCode::PermissionDenied,
        EditError::Refused { .. } | EditError::Syntax { .. } => ExitCode::ConfigInvalid,
        _ => ExitCode::Error,
    };
    Failure::new(code, error.to_string())
}

fn io_code(error: &std::io::Error) -> ExitCode {
    if error.kind() == std::io::ErrorKind::PermissionDenied {
        ExitCode::PermissionDenied
    } else {
        ExitCode::Error
    }
}
