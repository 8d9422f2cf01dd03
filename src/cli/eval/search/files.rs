//! Reading the shared evaluation files: tools in either corpus format, and query sets.

use std::collections::BTreeMap;
use std::path::Path;

use mcpproxy_daemon::protocol::{ToolHints, ToolView};
use serde::Deserialize;

use crate::cli::Failure;

/// A tool of `corpus_v1.tools.json` (`tool_id`, optional `schema`) or of
/// `livemcptool/tools.json` (`inputSchema`).
#[derive(Debug, Deserialize)]
struct FileTool {
    server: String,
    tool: String,
    #[serde(default)]
    tool_id: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default, alias = "inputSchema")]
    schema: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct ToolsFile {
    tools: Vec<FileTool>,
}

/// One query of a query set; its labels are read by the metrics.
#[derive(Debug, Deserialize)]
pub struct Query {
    pub id: String,
    pub query: String,
    #[serde(default)]
    pub labels: Vec<Label>,
}

#[derive(Debug, Deserialize)]
pub struct Label {
    pub tool_id: String,
    pub relevance: u8,
}

#[derive(Debug, Deserialize)]
struct QueriesFile {
    queries: Vec<Query>,
}

fn read<T: serde::de::DeserializeOwned>(path: &Path, what: &str) -> Result<T, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::error(format!("cannot read {what} {}: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| {
        Failure::error(format!("{} is not a {what}: {e}", path.display()))
            .hint("see ../shared/eval/README.md for the formats")
    })
}

/// The tools of a tools file, by server.
pub fn read_tools(path: &Path) -> Result<BTreeMap<String, Vec<ToolView>>, Failure> {
    let file: ToolsFile = read(path, "tools file")?;
    let mut servers: BTreeMap<String, Vec<ToolView>> = BTreeMap::new();
    for tool in file.tools {
        let id = tool
            .tool_id
            .unwrap_or_else(|| format!("{}:{}", tool.server, tool.tool));
        servers
            .entry(tool.server.clone())
            .or_default()
            .push(ToolView {
                id,
                server: tool.server,
                name: tool.tool,
                title: tool.title,
                description: tool.description.unwrap_or_default(),
                input_schema: tool.schema.unwrap_or_else(|| serde_json::json!({})),
                output_schema: None,
                annotations: ToolHints::default(),
            });
    }
    Ok(servers)
}

pub fn read_queries(path: &Path) -> Result<Vec<Query>, Failure> {
    Ok(read::<QueriesFile>(path, "query set")?.queries)
}
