//! The built-in demo MCP server, `mcpproxy demo-server`: what `builtin = "demo"` runs.
//!
//! A crate of its own: the `mcpproxy` binary links it for `demo-server`, and the daemon,
//! which starts built-in servers as child processes of its own executable, never needs it.
//!
//! It offers offline everyday tools (time, arithmetic, text), two prompts and two resources,
//! so a new user has something real to call through the proxy. With `--test-tools` it adds
//! tools that misbehave on purpose (slow, failing, crashing, changing the tool list, asking
//! the client questions) for the proxy's own tests, and the fixtures of the official MCP
//! conformance suite ([`conformance`]: its tools, resources, prompts, completion, logging and
//! resource subscriptions). It runs on stdio ([`serve_stdio`]) or streamable HTTP
//! ([`serve_http`]).
//!
//! [`ServerHandler`] is implemented by hand rather than with rmcp's `#[tool_router]` because
//! the tool list changes while the server runs (`mutate_tools`). Each group of tools is one
//! file whose `tools()` returns its [`registry::DemoTool`]s; adding a group is adding a file
//! and a line in [`DemoServer::new`].

// Logging is deprecated by SEP-2577 but still part of every protocol version this server
// speaks, and the conformance suite checks it.
#![allow(deprecated)]

mod calc;
mod client_requests;
mod conformance;
mod http;
mod prompts;
mod registry;
mod resources;
mod session;
mod stdio;
mod test_tools;
mod text_tools;
mod time_tools;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CompleteRequestMethod, CompleteRequestParams,
    CompleteResult, ConstString, GetPromptRequestParams, GetPromptResponse, Implementation,
    JsonObject, ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult,
    ListToolsResult, LoggingLevel, LoggingMessageNotificationParam, PaginatedRequestParams,
    ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult, ServerCapabilities,
    ServerConfig, SetLevelRequestMethod, SetLevelRequestParams, SubscribeRequestMethod,
    SubscribeRequestParams, SubscriptionFilter, Tool, UnsubscribeRequestMethod,
    UnsubscribeRequestParams,
};
use rmcp::service::{RequestContext, RoleServer, SubscriptionContext};
use rmcp::{ErrorData, ServerHandler};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use self::conformance::WATCHED_RESOURCE_URI;
use self::http::DemoSessions;
pub use self::http::{HttpOutcome, MCP_PATH, serve_http, termination_signal};
use self::registry::{DemoTool, ToolCall, ToolRegistry, is_stateless_era};
use self::session::Session;
pub use self::stdio::{CRASH_EXIT_CODE, DemoError, StdioOutcome, serve_stdio};

/// Locks `mutex`, recovering it if a holder panicked: every holder of the demo's mutexes
/// replaces or updates a plain table in one step, so a panic cannot leave one half-written.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The name the demo server gives in `initialize` (`serverInfo.name`).
pub const SERVER_NAME: &str = "mcpproxy-demo";

/// How the demo server runs: `mcpproxy demo-server`'s flags.
#[derive(Debug, Clone, Default)]
pub struct DemoOptions {
    /// Also offer the test tools and the conformance fixtures (`--test-tools`).
    pub test_tools: bool,
    /// Wait this long before serving, so benchmarks can see connects overlap.
    pub startup_delay: Duration,
    /// Ignore SIGTERM and keep running after stdin closes, so only SIGKILL ends the process.
    pub ignore_shutdown: bool,
}

/// The demo MCP server. Cheap to clone: clones share the tool list and the session.
#[derive(Clone)]
pub struct DemoServer {
    shared: Arc<Shared>,
    session: Arc<Session>,
}

/// What every session of one server sees.
struct Shared {
    tools: Mutex<ToolRegistry>,
    /// Whether the test tools and the conformance fixtures are on (`--test-tools`).
    test_tools: bool,
    /// Cancelled by the `crash` tool; whoever runs the server ends the process.
    crash: CancellationToken,
    /// Bumped on every tool list change, for `subscriptions/listen` streams (2026-07-28).
    tool_list_version: watch::Sender<u64>,
    /// The text of `test://watched-resource`; `update_watched_resource` replaces it and
    /// every subscriber hears of it.
    watched_resource: watch::Sender<String>,
    /// The HTTP sessions, when serving over HTTP: `test_reconnection` closes its own response
    /// stream through them.
    http_sessions: Option<Arc<DemoSessions>>,
    /// How many `chatter` calls run now, so calls can wait for each other.
    chatter_calls: watch::Sender<usize>,
    /// Prompt descriptions `rewrite_description` replaced, by prompt name.
    prompt_descriptions: Mutex<std::collections::BTreeMap<String, String>>,
    /// Bumped on every prompt list change, for `subscriptions/listen` streams (2026-07-28).
    prompt_list_version: watch::Sender<u64>,
}

impl DemoServer {
    pub fn new(options: &DemoOptions) -> Self {
        Self::with_http_sessions(options, None)
    }

    /// A server whose sessions live in `http_sessions` (see [`serve_http`]).
    fn with_http_sessions(options: &DemoOptions, http_sessions: Option<Arc<DemoSessions>>) -> Self {
        let mut tools: Vec<DemoTool> = Vec::new();
        tools.extend(time_tools::tools());
        tools.extend(calc::tools());
        tools.extend(text_tools::tools());
        if options.test_tools {
            tools.extend(test_tools::tools());
            tools.extend(client_requests::tools());
            tools.extend(conformance::tools());
        }
        Self {
            shared: Arc::new(Shared {
                tools: Mutex::new(ToolRegistry::new(tools)),
                test_tools: options.test_tools,
                crash: CancellationToken::new(),
                tool_list_version: watch::Sender::new(0),
                watched_resource: watch::Sender::new(
                    conformance::INITIAL_WATCHED_RESOURCE_TEXT.to_owned(),
                ),
                http_sessions,
                chatter_calls: watch::Sender::new(0),
                prompt_descriptions: Mutex::default(),
                prompt_list_version: watch::Sender::new(0),
            }),
            session: Arc::new(Session::new()),
        }
    }

    /// The same server for another session: it shares the tools and the watched resource,
    /// but has its own log level and subscriptions.
    pub fn new_session(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
            session: Arc::new(Session::new()),
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
        lock(&self.shared.tools)
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

    /// Replaces the description of tool or prompt `name`; false when there is none.
    pub(crate) fn rewrite_description(
        &self,
        kind: test_tools::ItemKind,
        name: &str,
        text: &str,
    ) -> bool {
        match kind {
            test_tools::ItemKind::Tool => self.tools().set_description(name, text),
            test_tools::ItemKind::Prompt => {
                let known = self.prompt_list().iter().any(|p| p.name == name);
                if known {
                    lock(&self.shared.prompt_descriptions).insert(name.to_owned(), text.to_owned());
                }
                known
            }
        }
    }

    /// The prompts offered right now.
    fn prompt_list(&self) -> Vec<rmcp::model::Prompt> {
        let mut list = prompts::list();
        if self.shared.test_tools {
            list.extend(conformance::prompts::list());
        }
        let replaced = lock(&self.shared.prompt_descriptions);
        for prompt in &mut list {
            if let Some(text) = replaced.get(&prompt.name) {
                prompt.description = Some(text.clone());
            }
        }
        list
    }

    /// Tells the client the prompt list changed, as [`Self::announce_tool_list_change`]
    /// does for tools.
    pub(crate) async fn announce_prompt_list_change(&self, context: &RequestContext<RoleServer>) {
        self.shared
            .prompt_list_version
            .send_modify(|version| *version += 1);
        if is_stateless_era(context) {
            return;
        }
        if let Err(error) = context.peer.notify_prompt_list_changed().await {
            tracing::warn!(%error, "cannot send notifications/prompts/list_changed");
        }
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

    /// Sends `notifications/message` to the client of `context` when `level` is at least
    /// the level it asked for (see [`Session::lets_through`]).
    pub(crate) async fn log(
        &self,
        context: &RequestContext<RoleServer>,
        level: LoggingLevel,
        logger: &str,
        message: &str,
    ) {
        if !self.session.lets_through(level, context) {
            return;
        }
        let params = LoggingMessageNotificationParam::new(level, message.into())
            .with_logger(logger.to_owned());
        // A lost log line costs nothing but the line.
        if let Err(error) = context.peer.notify_logging_message(params).await {
            tracing::debug!(%error, "cannot send notifications/message");
        }
    }

    /// The text `test://watched-resource` has now.
    pub(crate) fn watched_resource_text(&self) -> String {
        self.shared.watched_resource.borrow().clone()
    }

    /// Replaces the text of `test://watched-resource`; every session subscribed to it hears
    /// `notifications/resources/updated` (or, from 2026-07-28, its listen stream does).
    pub(crate) fn update_watched_resource(&self, text: String) {
        self.shared.watched_resource.send_replace(text);
    }

    /// Counts one running `chatter` call until the guard is dropped; the counter is what
    /// the calls wait on.
    pub(crate) fn chatter_calls(&self) -> ChatterCall {
        self.shared.chatter_calls.send_modify(|n| *n += 1);
        ChatterCall(self.shared.chatter_calls.clone())
    }

    /// The HTTP sessions, when this server runs over HTTP.
    pub(crate) fn http_sessions(&self) -> Option<&Arc<DemoSessions>> {
        self.shared.http_sessions.as_ref()
    }

    /// Fails with "method not found" when the conformance fixtures are off: without them the
    /// server advertises no logging, completion or subscriptions.
    fn require_test_tools<Method: ConstString>(&self) -> Result<(), ErrorData> {
        if self.shared.test_tools {
            Ok(())
        } else {
            Err(ErrorData::method_not_found::<Method>())
        }
    }
}

/// One running `chatter` call, counted until it is dropped.
pub(crate) struct ChatterCall(watch::Sender<usize>);

impl ChatterCall {
    pub(crate) fn subscribe(&self) -> watch::Receiver<usize> {
        self.0.subscribe()
    }
}

impl Drop for ChatterCall {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n = n.saturating_sub(1));
    }
}

impl ServerHandler for DemoServer {
    fn get_info(&self) -> ServerConfig {
        let mut capabilities = ServerCapabilities::builder()
            .enable_prompts()
            .enable_resources()
            .enable_tools()
            .enable_tool_list_changed()
            .build();
        if self.shared.test_tools {
            // What the conformance fixtures use. listChanged is declared like a full-featured
            // server does, though the resource list never changes at run time (so no
            // notifications/resources/list_changed is ever sent).
            capabilities.logging = Some(JsonObject::new());
            // `rewrite_description` changes prompts.
            if let Some(prompts) = capabilities.prompts.as_mut() {
                prompts.list_changed = Some(true);
            }
            capabilities.completions = Some(JsonObject::new());
            if let Some(resources) = capabilities.resources.as_mut() {
                resources.subscribe = Some(true);
                resources.list_changed = Some(true);
            }
        }
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
        Ok(ListPromptsResult::with_all_items(self.prompt_list()))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        let arguments = request.arguments.as_ref();
        let fixture = self
            .shared
            .test_tools
            .then(|| conformance::prompts::get(&request.name, arguments))
            .flatten();
        fixture
            .unwrap_or_else(|| prompts::get(&request.name, arguments))
            .map(GetPromptResponse::from)
    }

    async fn complete(
        &self,
        request: CompleteRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, ErrorData> {
        self.require_test_tools::<CompleteRequestMethod>()?;
        conformance::prompts::complete(&request)
    }

    async fn set_level(
        &self,
        request: SetLevelRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.require_test_tools::<SetLevelRequestMethod>()?;
        self.session.set_log_level(request.level);
        Ok(())
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let mut list = resources::list();
        if self.shared.test_tools {
            list.extend(conformance::resources::list());
        }
        Ok(ListResourcesResult::with_all_items(list))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        let templates = if self.shared.test_tools {
            conformance::resources::templates()
        } else {
            Vec::new()
        };
        Ok(ListResourceTemplatesResult::with_all_items(templates))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let fixture = self
            .shared
            .test_tools
            .then(|| conformance::resources::read(&request.uri, &self.watched_resource_text()))
            .flatten();
        let contents = match fixture {
            Some(contents) => contents,
            None => resources::read(&request.uri, &self.tool_definitions())?,
        };
        Ok(ReadResourceResult::new(vec![contents]).into())
    }

    async fn subscribe(
        &self,
        request: SubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.require_test_tools::<SubscribeRequestMethod>()?;
        // Only existing resources can be watched; only the watched resource ever changes.
        self.read_resource(
            ReadResourceRequestParams::new(request.uri.clone()),
            context.clone(),
        )
        .await?;
        if request.uri == WATCHED_RESOURCE_URI {
            let changes = self.shared.watched_resource.subscribe();
            self.session
                .forward_updates(WATCHED_RESOURCE_URI, changes, context.peer.clone());
        }
        self.session.subscribe(request.uri);
        Ok(())
    }

    async fn unsubscribe(
        &self,
        request: UnsubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.require_test_tools::<UnsubscribeRequestMethod>()?;
        // Unsubscribing from something never subscribed is a no-op, not an error: the end
        // state is what the client asked for.
        self.session.unsubscribe(&request.uri);
        Ok(())
    }

    fn accepted_subscription_filter(
        &self,
        _requested: &SubscriptionFilter,
    ) -> Option<SubscriptionFilter> {
        // The tool list changes, and with the fixtures the watched resource; rmcp intersects
        // this with what was asked for.
        let mut accepted = SubscriptionFilter::builder().tools_list_changed();
        if self.shared.test_tools {
            accepted = accepted
                .resource_subscription(WATCHED_RESOURCE_URI)
                .prompts_list_changed();
        }
        Some(accepted.build())
    }

    async fn listen(&self, subscription: SubscriptionContext) -> Result<(), ErrorData> {
        let mut tool_changes = self.shared.tool_list_version.subscribe();
        let mut resource_changes = self.shared.watched_resource.subscribe();
        let wants_resource_updates = subscription
            .accepted()
            .resource_subscriptions
            .as_ref()
            .is_some_and(|uris| uris.iter().any(|uri| uri == WATCHED_RESOURCE_URI));
        // A stream that only watches a resource must not be sent tool changes: the sink
        // refuses them, and that refusal would end the stream.
        let wants_tool_changes = subscription.accepted().tools_list_changed == Some(true);
        let mut prompt_changes = self.shared.prompt_list_version.subscribe();
        let wants_prompt_changes = subscription.accepted().prompts_list_changed == Some(true);
        loop {
            let sent = tokio::select! {
                () = subscription.cancelled() => return Ok(()),
                changed = tool_changes.changed(), if wants_tool_changes => {
                    if changed.is_err() {
                        return Ok(());
                    }
                    subscription.sink().notify_tool_list_changed().await
                }
                changed = prompt_changes.changed(), if wants_prompt_changes => {
                    if changed.is_err() {
                        return Ok(());
                    }
                    subscription.sink().notify_prompt_list_changed().await
                }
                changed = resource_changes.changed(), if wants_resource_updates => {
                    if changed.is_err() {
                        return Ok(());
                    }
                    subscription.sink().notify_resource_updated(WATCHED_RESOURCE_URI).await
                }
            };
            if let Err(error) = sent {
                tracing::debug!(%error, "subscription closed");
                return Ok(());
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
                "chatter",
                "mutate_tools",
                "rewrite_description",
                "ask_user",
                "ask_model",
                "test_simple_text",
                "test_image_content",
                "test_audio_content",
                "test_embedded_resource",
                "test_multiple_content_types",
                "test_tool_with_logging",
                "test_tool_with_progress",
                "test_error_handling",
                "test_sampling",
                "test_elicitation",
                "test_elicitation_sep1034_defaults",
                "test_elicitation_sep1330_enums",
                "test_reconnection",
                "json_schema_2020_12_tool",
                "update_watched_resource"
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
    fn only_crash_mutate_tools_rewrite_description_and_update_watched_resource_change_anything() {
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
                ("mutate_tools".to_owned(), false),
                ("rewrite_description".to_owned(), false),
                ("update_watched_resource".to_owned(), false)
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
