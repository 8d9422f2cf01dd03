//! Cursor's `~/.cursor/mcp.json` (and a project's `.cursor/mcp.json`).

use super::claude::entries;
use super::entry::{Variables, finish, read_common};
use super::source::{Found, PathSeg, SourceDoc};
use super::{ImportError, ImportFormat};

/// `{"mcpServers": {NAME: {command, args, env, envFile} | {url, headers}}}`, with VS Code's
/// `${env:NAME}`, `${userHome}`, `${workspaceFolder}` interpolation.
pub(super) fn servers(doc: &SourceDoc<'_>) -> Result<Vec<Found>, ImportError> {
    let format = ImportFormat::Cursor;
    let servers = doc.object_at(format, &["mcpServers"])?.ok_or_else(|| {
        doc.shape_error(format, &[], "there is no `mcpServers` object".to_owned())
    })?;
    Ok(entries(servers, &[PathSeg::key("mcpServers")], |entry| {
        if entry.has("envFile") {
            return Err("it reads variables from an `envFile`, which mcpproxy does not".to_owned());
        }
        finish(read_common(entry)?, Variables::Editor("Cursor"))
    }))
}
