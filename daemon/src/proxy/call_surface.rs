//! `/mcp/call` (and `/mcp` in the default routing): a small, searchable surface. Agents find
//! tools with `retrieve_tools`, read one whole with `describe_tool`, and call it with the
//! `call_tool_*` variant its annotations ask for. `upstream_servers` manages servers; the
//! ones an agent adds wait in quarantine for a person.

use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    JsonObject, ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
    ToolAnnotations,
};
use rmcp::service::{NotificationContext, RequestContext, RoleServer};
use rmcp::{ErrorData, ServerHandler};
use serde::Deserialize;
use serde_json::{Value, json};

use super::forward::{self, Downstream, error_result};
use super::intent::Intent;
use super::parked::ParkedCalls;
use super::sessions::{Sessions, Surface};
use crate::config::ServerConfig as UpstreamConfig;
use crate::daemon::Daemon;
use crate::manage;
use crate::protocol::ToolView;

const DEFAULT_LIMIT: usize = 15;
const MAX_LIMIT: usize = 100;

const INSTRUCTIONS: &str = "mcpproxy gives you the tools of many MCP servers through a few tools. \
Find tools with retrieve_tools (a natural-language query), then call one by its id \
(`server:tool`) with the call_tool_* variant that retrieve_tools names in `call_with`: \
call_tool_read for read-only tools, call_tool_write for tools that change state, \
call_tool_destructive for tools that may delete or overwrite. describe_tool shows one tool whole.";

#[derive(Clone)]
pub struct CallSurface {
    daemon: Daemon,
    sessions: Arc<Sessions>,
    session: u64,
    parked: Arc<ParkedCalls>,
}

impl CallSurface {
    pub fn new(daemon: Daemon, sessions: Arc<Sessions>, parked: Arc<ParkedCalls>) -> Self {
        let session = sessions.next_id();
        Self {
            daemon,
            sessions,
            session,
            parked,
        }
    }

    async fn retrieve_tools(&self, arguments: &JsonObject) -> Result<CallToolResult, String> {
        #[derive(Deserialize)]
        struct Query {
            query: String,
            limit: Option<usize>,
        }
        let query: Query = parse(arguments)?;
        let limit = query.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
        let found = self.daemon.search_tools(&query.query, limit).await;
        let entries: Vec<Value> = found
            .results
            .iter()
            .map(|found| entry(&found.tool, Some(found.score)))
            .collect();
        let mut body = json!({
            "tools": entries,
            "query": query.query,
            "total_tools": found.total_tools,
        });
        if let Some(note) = found.search.note {
            body["note"] = json!(note);
        }
        Ok(structured(body))
    }

    fn describe_tool(&self, arguments: &JsonObject) -> Result<CallToolResult, String> {
        #[derive(Deserialize)]
        struct Describe {
            name: String,
        }
        let describe: Describe = parse(arguments)?;
        let tools = self.daemon.callable_tools();
        match tools.iter().find(|t| t.id == describe.name) {
            Some(tool) => Ok(structured(entry(tool, None))),
            None => {
                let near = tools
                    .iter()
                    .find(|t| t.id.eq_ignore_ascii_case(&describe.name))
                    .map(|t| format!(" Did you mean {}?", t.id))
                    .unwrap_or_default();
                Err(format!(
                    "no callable tool {} (ids are server:tool; find them with retrieve_tools).{near}",
                    describe.name
                ))
            }
        }
    }

    /// `outer` is the client's call of the `call_tool_*` tool itself: a 2026-07-28 client
    /// answers an `input_required` round by repeating it with `inputResponses` and
    /// `requestState`, which belong to the inner call.
    async fn call_with_intent(
        &self,
        intent: Intent,
        outer: CallToolRequestParams,
        context: &RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let arguments = outer.arguments.unwrap_or_default();
        #[derive(Deserialize)]
        struct Call {
            name: String,
            #[serde(default)]
            args: Option<JsonObject>,
        }
        let call: Call = match parse(&arguments) {
            Ok(call) => call,
            Err(message) => return Ok(error_result(message)),
        };
        let Some((server, tool)) = call.name.split_once(':') else {
            return Ok(error_result(format!(
                "\"{}\" is not a tool id: write it as server:tool (retrieve_tools lists them)",
                call.name
            )));
        };
        if let Some(hints) = self
            .daemon
            .upstreams()
            .server(server)
            .and_then(|s| s.tool_hints(tool))
            && let Err(refusal) = intent.allows(&call.name, &hints)
        {
            return Ok(error_result(refusal));
        }
        let mut request = CallToolRequestParams::new(tool.to_owned());
        request.arguments = call.args;
        request.input_responses = outer.input_responses;
        request.request_state = outer.request_state;
        let downstream = Downstream {
            context,
            session: self.session,
            // This surface offers no logging, so its clients set no level.
            log_level: None,
            parked: &self.parked,
        };
        forward::call_tool(&self.daemon, server, request, intent.variant(), downstream).await
    }

    async fn upstream_servers(&self, arguments: &JsonObject) -> Result<CallToolResult, String> {
        #[derive(Deserialize)]
        #[serde(rename_all = "snake_case")]
        enum Operation {
            List,
            Add,
            Remove,
            Enable,
            Disable,
        }
        #[derive(Deserialize)]
        struct Request {
            operation: Operation,
            name: Option<String>,
            command: Option<String>,
            #[serde(default)]
            args: Vec<String>,
            #[serde(default)]
            env: std::collections::BTreeMap<String, String>,
            url: Option<String>,
            #[serde(default)]
            headers: std::collections::BTreeMap<String, String>,
        }
        let request: Request = parse(arguments)?;
        let name = || {
            request
                .name
                .clone()
                .ok_or_else(|| "`name` is required for this operation".to_owned())
        };
        let daemon = &self.daemon;
        let view = match request.operation {
            Operation::List => {
                let servers = serde_json::to_value(daemon.servers()).map_err(|e| e.to_string())?;
                return Ok(structured(json!({ "servers": servers })));
            }
            Operation::Add => {
                let server = UpstreamConfig {
                    command: request.command.clone(),
                    args: request.args.clone(),
                    env: request.env.clone(),
                    url: request.url.clone(),
                    headers: request.headers.clone(),
                    ..UpstreamConfig::default()
                };
                // An agent never starts code on its own say-so: a person approves it.
                manage::add(daemon, &name()?, server, true).await
            }
            Operation::Remove => {
                let name = name()?;
                manage::remove(daemon, &name)
                    .await
                    .map_err(|e| manage_message(&e))?;
                return Ok(structured(json!({ "removed": name })));
            }
            Operation::Enable => manage::set_enabled(daemon, &name()?, true).await,
            Operation::Disable => manage::set_enabled(daemon, &name()?, false).await,
        }
        .map_err(|e| manage_message(&e))?;
        Ok(structured(
            serde_json::to_value(view).map_err(|e| e.to_string())?,
        ))
    }
}

fn manage_message(error: &manage::ManageError) -> String {
    match error.hint() {
        Some(hint) => format!("{error}. {hint}"),
        None => error.to_string(),
    }
}

/// One tool as `retrieve_tools` and `describe_tool` show it.
fn entry(tool: &ToolView, score: Option<f64>) -> Value {
    let mut entry = json!({
        "id": tool.id,
        "server": tool.server,
        "name": tool.name,
        "description": tool.description,
        "input_schema": tool.input_schema,
        "annotations": tool.annotations,
        "call_with": Intent::required_by(&tool.annotations).call_tool(),
    });
    if let Some(title) = &tool.title {
        entry["title"] = json!(title);
    }
    if let Some(score) = score {
        entry["score"] = json!((score * 1000.0).round() / 1000.0);
    }
    entry
}

fn structured(value: Value) -> CallToolResult {
    let text = serde_json::to_string_pretty(&value).unwrap_or_default();
    let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
    result.structured_content = Some(value);
    result
}

fn parse<T: serde::de::DeserializeOwned>(arguments: &JsonObject) -> Result<T, String> {
    serde_json::from_value(Value::Object(arguments.clone()))
        .map_err(|e| format!("invalid arguments: {e}"))
}

fn schema(value: Value) -> Arc<JsonObject> {
    match value {
        Value::Object(map) => Arc::new(map),
        _ => Arc::new(JsonObject::new()),
    }
}

/// The surface's own tools.
pub fn tool_definitions() -> Vec<Tool> {
    let call_schema = |what: &str| {
        schema(json!({
            "type": "object",
            "properties": {
                "name": {"type": "string", "description": format!("Tool id, server:tool, of a {what} tool (from retrieve_tools)")},
                "args": {"type": "object", "description": "The tool's arguments, as its input_schema describes"}
            },
            "required": ["name"]
        }))
    };
    vec![
        Tool::new(
            "retrieve_tools",
            "Search the tools of every connected MCP server. Returns the best matches with their ids (server:tool), input schemas, annotations, and which call_tool_* variant to use.",
            schema(json!({
                "type": "object",
                "properties": {
                    "query": {"type": "string", "description": "What you want to do, in plain words"},
                    "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}
                },
                "required": ["query"]
            })),
        )
        .with_annotations(ToolAnnotations::with_title("Find tools").read_only(true).open_world(false)),
        Tool::new(
            "describe_tool",
            "Show one tool whole: description, input schema, annotations and the call_tool_* variant to use.",
            schema(json!({
                "type": "object",
                "properties": {"name": {"type": "string", "description": "Tool id, server:tool"}},
                "required": ["name"]
            })),
        )
        .with_annotations(ToolAnnotations::with_title("Describe a tool").read_only(true).open_world(false)),
        Tool::new(
            "call_tool_read",
            "Call a read-only tool (retrieve_tools says call_with: call_tool_read). Tools that change anything are refused here.",
            call_schema("read-only"),
        )
        .with_annotations(ToolAnnotations::with_title("Call a read-only tool").read_only(true)),
        Tool::new(
            "call_tool_write",
            "Call a tool that changes state but destroys nothing (call_with: call_tool_write); read-only tools work too.",
            call_schema("state-changing"),
        )
        .with_annotations(ToolAnnotations::with_title("Call a tool that writes").read_only(false).destructive(false)),
        Tool::new(
            "call_tool_destructive",
            "Call a tool that may delete or overwrite data, or whose server does not say (call_with: call_tool_destructive); any tool works here.",
            call_schema("possibly destructive"),
        )
        .with_annotations(ToolAnnotations::with_title("Call a destructive tool").read_only(false).destructive(true)),
        Tool::new(
            "upstream_servers",
            "List, add, remove, enable or disable the MCP servers behind this proxy. Servers you add wait in quarantine until a person approves them.",
            schema(json!({
                "type": "object",
                "properties": {
                    "operation": {"type": "string", "enum": ["list", "add", "remove", "enable", "disable"]},
                    "name": {"type": "string", "description": "Server name (letters, digits, '-', '_', '.')"},
                    "command": {"type": "string", "description": "add: program of a local (stdio) server"},
                    "args": {"type": "array", "items": {"type": "string"}},
                    "env": {"type": "object", "additionalProperties": {"type": "string"}},
                    "url": {"type": "string", "description": "add: URL of a remote server"},
                    "headers": {"type": "object", "additionalProperties": {"type": "string"}}
                },
                "required": ["operation"]
            })),
        )
        .with_annotations(ToolAnnotations::with_title("Manage servers").read_only(false).destructive(true)),
    ]
}

impl ServerHandler for CallSurface {
    fn get_info(&self) -> ServerConfig {
        let mut info = ServerConfig::new(ServerCapabilities::builder().enable_tools().build());
        info.server_info = Implementation::new("mcpproxy", env!("CARGO_PKG_VERSION"));
        info.instructions = Some(INSTRUCTIONS.to_owned());
        info
    }

    async fn on_initialized(&self, context: NotificationContext<RoleServer>) {
        self.sessions.register(Surface::Call, context.peer);
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(tool_definitions()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        if let Some(intent) = Intent::from_tool_name(&request.name) {
            return self.call_with_intent(intent, request, &context).await;
        }
        let arguments = request.arguments.clone().unwrap_or_default();
        let name = request.name.as_ref();
        let result = match name {
            "retrieve_tools" => self.retrieve_tools(&arguments).await,
            "describe_tool" => self.describe_tool(&arguments),
            "upstream_servers" => self.upstream_servers(&arguments).await,
            other => {
                return Err(ErrorData::invalid_params(
                    format!(
                        "no tool named {other} here; this endpoint has retrieve_tools, describe_tool, call_tool_read/write/destructive and upstream_servers"
                    ),
                    None,
                ));
            }
        };
        Ok(CallToolResponse::Complete(result.unwrap_or_else(
            |message| CallToolResult::error(vec![ContentBlock::text(message)]),
        )))
    }
}
