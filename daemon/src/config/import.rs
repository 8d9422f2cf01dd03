//! Import of servers from other MCP clients' config files: Claude Desktop, Claude Code,
//! Cursor, VS Code, Codex, Gemini CLI and MCPProxy (the Go original).
//!
//! [`read_source`] reads one file into servers in our model, each with where it came from,
//! plus the ones that cannot be expressed here and why. [`merge`] adds them to a
//! [`ConfigFile`] in memory; the caller decides whether to save. Every imported server
//! arrives with `quarantined = true`: its command is someone else's code until a person
//! approves it.

mod claude;
mod codex;
mod cursor;
mod detect;
mod entry;
mod gemini;
pub mod json_edit;
mod json_scan;
mod mcpproxy;
mod source;
mod vscode;

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use self::source::{Found, SourceDoc, Syntax};
use super::edit::{ConfigFile, EditError};
use super::load::check_server_name;
use super::locate::nearest;
use super::model::ServerConfig;

/// The client config formats `import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ImportFormat {
    ClaudeDesktop,
    ClaudeCode,
    Cursor,
    Vscode,
    Codex,
    Gemini,
    Mcpproxy,
}

impl ImportFormat {
    pub const ALL: &'static [ImportFormat] = &[
        Self::ClaudeDesktop,
        Self::ClaudeCode,
        Self::Cursor,
        Self::Vscode,
        Self::Codex,
        Self::Gemini,
        Self::Mcpproxy,
    ];

    /// The name `--format` takes.
    pub fn name(self) -> &'static str {
        match self {
            Self::ClaudeDesktop => "claude-desktop",
            Self::ClaudeCode => "claude-code",
            Self::Cursor => "cursor",
            Self::Vscode => "vscode",
            Self::Codex => "codex",
            Self::Gemini => "gemini",
            Self::Mcpproxy => "mcpproxy",
        }
    }

    /// The client, as people call it.
    pub fn client(self) -> &'static str {
        match self {
            Self::ClaudeDesktop => "Claude Desktop",
            Self::ClaudeCode => "Claude Code",
            Self::Cursor => "Cursor",
            Self::Vscode => "VS Code",
            Self::Codex => "Codex",
            Self::Gemini => "Gemini CLI",
            Self::Mcpproxy => "MCPProxy",
        }
    }

    /// Codex writes TOML; the others JSON (VS Code's with comments).
    fn syntax(self) -> Syntax {
        match self {
            Self::Codex => Syntax::Toml,
            _ => Syntax::Json,
        }
    }

    fn names() -> String {
        Self::ALL
            .iter()
            .map(|format| format.name())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for ImportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ImportFormat {
    type Err = ImportError;

    fn from_str(given: &str) -> Result<Self, Self::Err> {
        let wanted = given.trim().to_ascii_lowercase().replace('_', "-");
        Self::ALL
            .iter()
            .copied()
            .find(|format| format.name() == wanted)
            .ok_or_else(|| ImportError::UnknownFormatName {
                given: given.to_owned(),
            })
    }
}

/// A server read from a source file, in our model.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ImportedServer {
    /// A valid server name (the source's, made valid if it was not).
    pub name: String,
    pub server: ServerConfig,
    /// Where it was: `FILE:LINE:COL (mcpServers.github)`.
    pub origin: String,
}

/// A server that was not imported, and why.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Skipped {
    pub name: String,
    pub reason: String,
}

/// What one source file holds.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ImportSource {
    pub path: PathBuf,
    pub format: ImportFormat,
    /// In file order; a definition repeated identically in the file appears once.
    pub servers: Vec<ImportedServer>,
    pub skipped: Vec<Skipped>,
    /// `(name in the source, name here)` for names that had to be made valid.
    pub renamed: Vec<(String, String)>,
}

/// What [`merge`] did.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ImportReport {
    pub added: Vec<String>,
    pub replaced: Vec<String>,
    /// Servers the sources could not express, and names that already exist.
    pub skipped: Vec<Skipped>,
    pub renamed: Vec<(String, String)>,
}

/// The `skipped` reason for a name the config already has.
pub const ALREADY_EXISTS: &str = "already exists; use --overwrite to replace it";

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}:{line}:{column}: not valid {syntax}: {message}", path.display())]
    Syntax {
        path: PathBuf,
        line: u32,
        column: u32,
        syntax: &'static str,
        /// The format it was read as, when one was named.
        format: Option<ImportFormat>,
        message: String,
    },
    #[error("cannot tell which client's config {} is: {reason}", path.display())]
    UnknownFormat { path: PathBuf, reason: String },
    #[error("{place}: not a {} config as expected: {message}", format.client())]
    Shape {
        /// `FILE:LINE:COL`, or `FILE` when the problem has no one place.
        place: String,
        format: ImportFormat,
        message: String,
    },
    #[error("server \"{name}\" is defined twice, differently: at {first} and at {second}")]
    Duplicate {
        name: String,
        first: String,
        second: String,
    },
    #[error(
        "unknown import format \"{given}\"; the formats are: {}",
        ImportFormat::names()
    )]
    UnknownFormatName { given: String },
    #[error(transparent)]
    Edit(#[from] EditError),
}

impl ImportError {
    pub fn hint(&self) -> Option<String> {
        let formats = ImportFormat::names();
        match self {
            Self::Read { source, .. } => match source.kind() {
                std::io::ErrorKind::NotFound => Some("check the path".to_owned()),
                std::io::ErrorKind::PermissionDenied => {
                    Some("check the file's owner and mode".to_owned())
                }
                _ => None,
            },
            Self::Syntax {
                format: Some(format),
                ..
            } => Some(format!(
                "fix the file, or if it is not a {} config, name its format with `--format` (one of: {formats})",
                format.client(),
            )),
            Self::Syntax { syntax, .. } => Some(format!(
                "fix the file; it was read as {syntax} from its name and first character, so if it is something else name its format with `--format` (one of: {formats})"
            )),
            Self::UnknownFormat { .. } => Some(format!(
                "name its format with `--format` (one of: {formats})"
            )),
            Self::Shape { format, .. } => Some(format!(
                "check that this is a {} config, or name the right format with `--format` (one of: {formats})",
                format.client()
            )),
            Self::Duplicate { .. } => Some(
                "make the two definitions the same or remove one, or import the files one at a time"
                    .to_owned(),
            ),
            Self::UnknownFormatName { given } => Some(
                match nearest(given, ImportFormat::ALL.iter().map(|f| f.name())) {
                    Some(near) => format!("did you mean \"{near}\"?"),
                    None => format!("use one of: {formats}"),
                },
            ),
            Self::Edit(_) => None,
        }
    }
}

/// Reads one client config file. `format: None` detects it from the file's name and content.
pub fn read_source(path: &Path, format: Option<ImportFormat>) -> Result<ImportSource, ImportError> {
    let text = std::fs::read_to_string(path).map_err(|source| ImportError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_source(path, &text, format)
}

/// [`read_source`] for text already read; `path` names it in messages and helps detection.
pub fn parse_source(
    path: &Path,
    text: &str,
    format: Option<ImportFormat>,
) -> Result<ImportSource, ImportError> {
    let syntax = format.map_or_else(|| detect::syntax(path, text), ImportFormat::syntax);
    let doc = SourceDoc::parse(path, text, syntax, format)?;
    let format = match format {
        Some(format) => format,
        None => detect::format(path, &doc)?,
    };
    let mut found = match format {
        ImportFormat::ClaudeDesktop => claude::desktop(&doc)?,
        ImportFormat::ClaudeCode => claude::code(&doc)?,
        ImportFormat::Cursor => cursor::servers(&doc)?,
        ImportFormat::Vscode => vscode::servers(&doc)?,
        ImportFormat::Codex => codex::servers(&doc)?,
        ImportFormat::Gemini => gemini::servers(&doc)?,
        ImportFormat::Mcpproxy => mcpproxy::servers(&doc)?,
    };
    // Parsed objects come back sorted by key; people expect the file's order.
    found.sort_by_key(|item| doc.offset(item));
    collect(&doc, format, found)
}

/// Names made valid, loader-checked, and repeats within the file merged or refused.
fn collect(
    doc: &SourceDoc<'_>,
    format: ImportFormat,
    found: Vec<Found>,
) -> Result<ImportSource, ImportError> {
    let mut source = ImportSource {
        path: doc.path.to_path_buf(),
        format,
        servers: Vec::new(),
        skipped: Vec::new(),
        renamed: Vec::new(),
    };
    for item in found {
        let origin = doc.origin(&item);
        let name = valid_name(&item.name);
        let checked = item
            .server
            .and_then(|server| loader_check(doc.path, &name, server));
        let server = match checked {
            Ok(server) => server,
            Err(reason) => {
                let skipped = Skipped {
                    name: item.name,
                    reason,
                };
                if !source.skipped.contains(&skipped) {
                    source.skipped.push(skipped);
                }
                continue;
            }
        };
        let imported = ImportedServer {
            name,
            server,
            origin,
        };
        if let Some(earlier) = source.servers.iter().find(|s| s.name == imported.name) {
            if earlier.server == imported.server {
                continue;
            }
            return Err(duplicate(earlier, &imported));
        }
        let rename = (item.name, imported.name.clone());
        if rename.0 != rename.1 && !source.renamed.contains(&rename) {
            source.renamed.push(rename);
        }
        source.servers.push(imported);
    }
    Ok(source)
}

fn duplicate(first: &ImportedServer, second: &ImportedServer) -> ImportError {
    ImportError::Duplicate {
        name: second.name.clone(),
        first: first.origin.clone(),
        second: second.origin.clone(),
    }
}

/// The server as the daemon's loader would take it: whatever slipped past the conversion
/// (a URL that is not http(s), a zero timeout) becomes a skip reason here rather than a
/// config that refuses to load after the import.
fn loader_check(path: &Path, name: &str, server: ServerConfig) -> Result<ServerConfig, String> {
    let refused = |error: EditError| match error {
        EditError::Refused { invalid, .. } => invalid
            .problems()
            .into_iter()
            .map(|problem| problem.message)
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    };
    let mut alone = ConfigFile::from_text(path, "").map_err(refused)?;
    alone.set_server(name, &server).map_err(refused)?;
    alone.check().map_err(refused)?;
    Ok(server)
}

/// A valid server name for `name`: characters other than letters, digits, '-', '_' and '.'
/// become '-', runs of '-' and of '_' shrink to one, and it starts with a letter or digit and
/// is at most 48 characters long.
fn valid_name(name: &str) -> String {
    if check_server_name(name).is_ok() {
        return name.to_owned();
    }
    let mut out = String::with_capacity(name.len());
    for c in name.trim().chars() {
        let c = if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
            c
        } else {
            '-'
        };
        // "__" separates server and tool in tool names; "--" is merely ugly.
        if matches!(c, '-' | '_') && out.ends_with(c) {
            continue;
        }
        out.push(c);
    }
    let trimmed = out.trim_start_matches(|c: char| !c.is_ascii_alphanumeric());
    let mut valid: String = trimmed.chars().take(48).collect();
    while valid.ends_with(['-', '_', '.']) {
        valid.pop();
    }
    if valid.is_empty() {
        "server".to_owned()
    } else {
        valid
    }
}

/// Adds the sources' servers to `config` (in memory only: saving is the caller's call).
/// A name the config already has is skipped unless `overwrite`, then replaced in place. A
/// name two sources define differently is an error, and then nothing is changed.
/// Merges servers from other clients' config files into `config_path`; every one arrives
/// quarantined. With `dry_run`, the result is checked but not written. A running daemon
/// picks the written file up through its config watcher.
pub fn import_into(
    config_path: &Path,
    sources: &[ImportSource],
    overwrite: bool,
    dry_run: bool,
) -> Result<ImportReport, ImportError> {
    let mut file = ConfigFile::open(config_path)?;
    let report = merge(&mut file, sources, overwrite)?;
    if dry_run {
        file.check()?;
    } else if !report.added.is_empty() || !report.replaced.is_empty() {
        file.save()?;
    }
    Ok(report)
}

pub fn merge(
    config: &mut ConfigFile,
    sources: &[ImportSource],
    overwrite: bool,
) -> Result<ImportReport, ImportError> {
    let mut chosen: Vec<&ImportedServer> = Vec::new();
    for server in sources.iter().flat_map(|source| &source.servers) {
        match chosen.iter().find(|c| c.name == server.name) {
            Some(earlier) if earlier.server == server.server => {}
            Some(earlier) => return Err(duplicate(earlier, server)),
            None => chosen.push(server),
        }
    }
    let mut report = ImportReport::default();
    for source in sources {
        for skipped in &source.skipped {
            if !report.skipped.contains(skipped) {
                report.skipped.push(skipped.clone());
            }
        }
        for rename in &source.renamed {
            if !report.renamed.contains(rename) {
                report.renamed.push(rename.clone());
            }
        }
    }
    // Edit a copy, so an error half-way leaves the caller's config as it was.
    let mut edited = config.clone();
    for server in chosen {
        if !edited.contains(&server.name) {
            edited.set_server(&server.name, &server.server)?;
            report.added.push(server.name.clone());
        } else if overwrite {
            edited.set_server(&server.name, &server.server)?;
            report.replaced.push(server.name.clone());
        } else {
            report.skipped.push(Skipped {
                name: server.name.clone(),
                reason: ALREADY_EXISTS.to_owned(),
            });
        }
    }
    *config = edited;
    Ok(report)
}

#[cfg(test)]
mod tests;
