//! VS Code's `.vscode/mcp.json` (`servers`) and user `settings.json` (`"mcp": {"servers"}`).

use super::claude::entries;
use super::entry::{Variables, finish, read_common};
use super::source::{Found, PathSeg, SourceDoc};
use super::{ImportError, ImportFormat};

/// Each server is `{type, command, args, env, cwd, envFile}` or `{type, url, headers}`.
pub(super) fn servers(doc: &SourceDoc<'_>) -> Result<Vec<Found>, ImportError> {
    let format = ImportFormat::Vscode;
    // `mcp.json` holds `servers` (older files and other editors' `mcpServers`); the user's
    // settings.json nests them in `mcp`, or, written flat, under an `mcp.servers` key.
    let sections: [&[&str]; 4] = [
        &["servers"],
        &["mcpServers"],
        &["mcp", "servers"],
        &["mcp.servers"],
    ];
    let mut found = Vec::new();
    let mut any = false;
    for section in sections {
        let Some(servers) = doc.object_at(format, section)? else {
            continue;
        };
        any = true;
        let path: Vec<PathSeg> = section.iter().map(|key| PathSeg::key(key)).collect();
        found.extend(entries(servers, &path, |entry| {
            if entry.has("envFile") {
                return Err(
                    "it reads variables from an `envFile`, which mcpproxy does not".to_owned(),
                );
            }
            let mut server = read_common(entry)?;
            server.cwd = entry.path("cwd")?;
            finish(server, Variables::Editor("VS Code"))
        }));
    }
    if !any {
        return Err(doc.shape_error(
            format,
            &[],
            "there is no `servers`, `mcpServers` or `mcp.servers` object".to_owned(),
        ));
    }
    Ok(found)
}
