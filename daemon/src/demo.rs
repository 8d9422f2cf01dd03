//! The built-in demo MCP server, `mcpproxy demo-server`: what `builtin = "demo"` runs.
//!
//! It offers offline everyday tools (time, arithmetic, text), two prompts and two resources,
//! so a new user has something real to call through the proxy. With `--test-tools` it adds
//! tools that misbehave on purpose (slow, failing, crashing, changing the tool list, asking
//! the client questions) for the proxy's own tests.
//!
//! [`ServerHandler`] is implemented by hand rather than with rmcp's `#[tool_router]` because
//! the tool list changes while the server runs (`mutate_tools`). Each group of tools is one
//! file whose `tools()` returns its [`registry::DemoTool`]s; adding a group is adding a file
//! and a line in [`DemoServer::new`].

mod calc;
mod client_requests;
mod prompts;
mod registry;
mod resources;
mod stdio;
mod test_tools;
mod text_tools;
mod time_tools;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, GetPromptRequestParams, GetPromptResponse,
    Implementation, ListPromptsResult, ListResourcesResult, ListToolsResult,
    PaginatedRequestParams, ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult,
    ServerCapabilities, ServerConfig, SubscriptionFilter, Tool,
};
use rmcp::service::{RequestContext, RoleServer, SubscriptionContext};
use rmcp::{ErrorData, ServerHandler};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use self::registry::{DemoTool, ToolCall, ToolRegistry, is_stateless_era};
pub use self::stdio::{CRASH_EXIT_CODE, DemoError, StdioOutcome, serve_stdio};

/// The name the demo server gives in `initialize` (`serverInfo.name`).
pub const SERVER_NAME: &str = "mcpproxy-demo";

/// How the demo server runs: `mcpproxy demo-server`'s flags.
#[derive(Debug, Clone, Default)]
pub struct DemoOptions {
    /// Also offer the test tools (`--test-tools`).
    pub test_tools: bool,
    /// Wait this long before serving stdio, so benchmarks can see connects overlap.
    pub startup_delay: Duration,
    /// Ignore SIGTERM and keep running after stdin closes, so only SIGKILL ends the process.
    pub ignore_shutdown: bool,
}

/// The demo MCP server. Cheap to clone: clones share the tool list.
#[derive(Clone)]
pub struct DemoServer {
    shared: Arc<Shared>,
}

struct Shared {
    tools: Mutex<ToolRegistry>,
    /// Cancelled by the `crash` tool; whoever runs the server ends the process.
    crash: CancellationToken,
    /// Bumped on every tool list change, for `subscriptions/listen` streams (2026-07-28).
    tool_list_version: watch::Sender<u64>,
}

impl DemoServer {
    pub fn new(options: &DemoOptions) -> Self {
        let mut tools: Vec<DemoTool> = Vec::new();
        tools.extend(time_tools::tools());
        tools.extend(calc::tools());
        tools.extend(text_tools::tools());
        if options.test_tools {
            tools.extend(test_tools::tools());
            tools.extend(client_requests::tools());
        }
        Self {
            shared: Arc::new(Shared {
                tools: Mutex::new(ToolRegistry::new(tools)),
                crash: CancellationToken::new(),
                tool_list_version: watch::Sender::new(0),
            }),
        }
    }

    /// Resolves once a `crash` call has asked for the process to end.
    pub async fn crash_requested(&self) {
        self.shared.crash.cancelled().await;
    }

    /// The tools offered right now, in `tools/list` order.
    pub fn tool_definitions(&self) -> Vec<Tool> {
        self.tools().definitions()
    }

    fn tools(&self) -> MutexGuard<'_, ToolRegistry> {
        // A panic while the lock was held cannot leave the list half-changed (a push is the
        // only change), so a poisoned lock is still a good list.
        self.shared
            .tools
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn request_crash(&self) {
        self.shared.crash.cancel();
    }

    /// Adds the next `generated_<n>` tool and returns its name.
    pub(crate) fn add_generated_tool(&self) -> String {
        let mut tools = self.tools();
        let tool = test_tools::generated_tool(tools.next_generated_number());
        let name = tool.name().to_owned();
        tools.add(tool);
        name
    }

    /// Tells the client the tool list changed: a notification on the session up to
    /// 2025-11-25, through its `subscriptions/listen` streams from 2026-07-28.
    pub(crate) async fn announce_tool_list_change(&self, context: &RequestContext<RoleServer>) {
        self.shared
            .tool_list_version
            .send_modify(|version| *version += 1);
        // Unsolicited notifications are gone from 2026-07-28: the watch above reaches the
        // listeners.
        if is_stateless_era(context) {
            return;
        }
        if let Err(error) = context.peer.notify_tool_list_changed().await {
            tracing::warn!(%error, "cannot send notifications/tools/list_changed");
        }
    }
}

impl ServerHandler for DemoServer {
    fn get_info(&self) -> ServerConfig {
        let capabilities = ServerCapabilities::builder()
            .enable_prompts()
            .enable_resources()
            .enable_tools()
            .enable_tool_list_changed()
            .build();
        ServerConfig::new(capabilities)
            .with_server_info(
                Implementation::new(SERVER_NAME, env!("CARGO_PKG_VERSION"))
                    .with_title("mcpproxy demo server")
                    .with_description(
                        "Offline time, arithmetic and text tools, built into mcpproxy",
                    ),
            )
            .with_instructions(
                "Offline helpers: current_time / convert_time / time_until for time zones, \
                 calculate for arithmetic, text_stats / change_case / slugify for text. Read \
                 demo://about for more.",
            )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.tool_definitions()))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.tools().get(name).map(|tool| tool.definition.clone())
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let tool = self.tools().get(&request.name).cloned().ok_or_else(|| {
            ErrorData::invalid_params(format!("unknown tool '{}'", request.name), None)
        })?;
        let call = ToolCall {
            arguments: request.arguments.unwrap_or_default(),
            input_responses: request.input_responses,
            context,
            server: self.clone(),
        };
        Ok(tool.call(call).await)
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        Ok(ListPromptsResult::with_all_items(prompts::list()))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        prompts::get(&request.name, request.arguments.as_ref()).map(GetPromptResponse::from)
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        Ok(ListResourcesResult::with_all_items(resources::list()))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let contents = resources::read(&request.uri, &self.tool_definitions())?;
        Ok(ReadResourceResult::new(vec![contents]).into())
    }

    fn accepted_subscription_filter(
        &self,
        _requested: &SubscriptionFilter,
    ) -> Option<SubscriptionFilter> {
        // Only the tool list ever changes; rmcp intersects this with what was asked for.
        Some(SubscriptionFilter::builder().tools_list_changed().build())
    }

    async fn listen(&self, subscription: SubscriptionContext) -> Result<(), ErrorData> {
        let mut changes = self.shared.tool_list_version.subscribe();
        loop {
            tokio::select! {
                () = subscription.cancelled() => return Ok(()),
                changed = changes.changed() => {
                    if changed.is_err() {
                        return Ok(());
                    }
                    if let Err(error) = subscription.sink().notify_tool_list_changed().await {
                        tracing::debug!(%error, "subscription closed");
                        return Ok(());
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_tools() -> Vec<Tool> {
        DemoServer::new(&DemoOptions {
            test_tools: true,
            ..DemoOptions::default()
        })
        .tool_definitions()
    }

    #[test]
    fn test_tools_only_with_the_flag() {
        let names = |server: DemoServer| -> Vec<String> {
            server
                .tool_definitions()
                .iter()
                .map(|tool| tool.name.to_string())
                .collect()
        };
        let everyday = names(DemoServer::new(&DemoOptions::default()));
        assert_eq!(
            everyday,
            [
                "current_time",
                "convert_time",
                "time_until",
                "calculate",
                "text_stats",
                "change_case",
                "slugify"
            ]
        );
        let all = names(DemoServer::new(&DemoOptions {
            test_tools: true,
            ..DemoOptions::default()
        }));
        assert_eq!(
            all[everyday.len()..],
            [
                "echo",
                "slow",
                "fail",
                "crash",
                "mutate_tools",
                "ask_user",
                "ask_model"
            ]
        );
    }

    #[test]
    fn every_tool_is_fully_described() {
        for tool in all_tools() {
            let name = &tool.name;
            assert!(tool.title.is_some(), "{name} has no title");
            assert!(
                tool.description.as_ref().is_some_and(|d| d.len() > 30),
                "{name} needs a real description"
            );
            assert_eq!(
                tool.input_schema.get("type"),
                Some(&"object".into()),
                "{name}"
            );
            assert!(tool.input_schema.contains_key("properties"), "{name}");
            let hints = tool.annotations.as_ref().expect("annotations");
            assert!(
                hints.read_only_hint.is_some()
                    && hints.destructive_hint.is_some()
                    && hints.idempotent_hint.is_some()
                    && hints.open_world_hint.is_some(),
                "{name} leaves a hint to its default"
            );
            if let Some(output) = &tool.output_schema {
                assert_eq!(output.get("type"), Some(&"object".into()), "{name}");
            }
        }
    }

    #[test]
    fn only_crash_and_mutate_tools_change_anything() {
        let writers: Vec<(String, bool)> = all_tools()
            .iter()
            .filter_map(|tool| {
                let hints = tool.annotations.as_ref()?;
                (hints.read_only_hint != Some(true))
                    .then(|| (tool.name.to_string(), hints.is_destructive()))
            })
            .collect();
        assert_eq!(
            writers,
            [
                ("crash".to_owned(), true),
                ("mutate_tools".to_owned(), false)
            ]
        );
    }

    #[test]
    fn generated_tools_are_numbered() {
        let server = DemoServer::new(&DemoOptions::default());
        assert_eq!(server.add_generated_tool(), "generated_1");
        assert_eq!(server.add_generated_tool(), "generated_2");
        assert!(server.get_tool("generated_2").is_some());
    }
}
