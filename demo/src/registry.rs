//! The run-time tool list: each tool's MCP definition next to the code that answers it.
//!
//! The list lives behind a mutex in the server because `mutate_tools` grows it while the
//! server runs; everything else only reads it.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use rmcp::handler::server::common::schema_for_empty_input;
use rmcp::handler::server::tool::{schema_for_input, schema_for_output};
use rmcp::model::{
    CallToolResponse, CallToolResult, ContentBlock, InputResponses, JsonObject, ProtocolVersion,
    Tool, ToolAnnotations,
};
use rmcp::schemars::JsonSchema;
use rmcp::service::{RequestContext, RoleServer};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::DemoServer;

/// Everything a tool may need to answer one `tools/call`.
pub(crate) struct ToolCall {
    pub arguments: JsonObject,
    /// Answers to the input requests of a previous round (2026-07-28 multi-round-trip calls).
    pub input_responses: Option<InputResponses>,
    pub context: RequestContext<RoleServer>,
    pub server: DemoServer,
}

/// A failure the caller should read: it becomes a result with `isError: true` (not a
/// JSON-RPC error, which clients tend to show as an opaque "internal error").
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ToolFailure(pub String);

impl ToolFailure {
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

impl fmt::Display for ToolFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Lets `?` turn any error (a parse error, a time-zone lookup) into the message the caller sees.
impl<E: std::error::Error> From<E> for ToolFailure {
    fn from(error: E) -> Self {
        Self(error.to_string())
    }
}

pub(crate) type ToolOutcome = Result<CallToolResponse, ToolFailure>;
type ToolFn = Arc<dyn Fn(ToolCall) -> BoxFuture<'static, ToolOutcome> + Send + Sync>;

/// One tool: what `tools/list` shows and what `tools/call` runs.
#[derive(Clone)]
pub(crate) struct DemoTool {
    pub definition: Tool,
    run: ToolFn,
}

impl DemoTool {
    /// A tool that needs the call context (the peer, cancellation, the server itself).
    pub fn new<F, Fut>(definition: Tool, run: F) -> Self
    where
        F: Fn(ToolCall) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ToolOutcome> + Send + 'static,
    {
        Self {
            definition,
            run: Arc::new(move |call| Box::pin(run(call))),
        }
    }

    /// A tool that is a plain function of its arguments.
    pub fn pure(
        definition: Tool,
        run: fn(JsonObject) -> Result<CallToolResult, ToolFailure>,
    ) -> Self {
        Self::new(definition, move |call: ToolCall| {
            let outcome = run(call.arguments).map(CallToolResponse::from);
            std::future::ready(outcome)
        })
    }

    pub fn name(&self) -> &str {
        &self.definition.name
    }

    pub async fn call(&self, call: ToolCall) -> CallToolResponse {
        match (self.run)(call).await {
            Ok(response) => response,
            Err(failure) => failure_result(&failure).into(),
        }
    }
}

/// The tools in the order `tools/list` shows them, and a counter for generated names.
#[derive(Default)]
pub(crate) struct ToolRegistry {
    tools: Vec<DemoTool>,
    generated: u32,
}

impl ToolRegistry {
    pub fn new(tools: Vec<DemoTool>) -> Self {
        Self {
            tools,
            generated: 0,
        }
    }

    pub fn definitions(&self) -> Vec<Tool> {
        self.tools
            .iter()
            .map(|tool| tool.definition.clone())
            .collect()
    }

    pub fn get(&self, name: &str) -> Option<&DemoTool> {
        self.tools.iter().find(|tool| tool.name() == name)
    }

    /// The next free number for a generated tool (`generated_1`, `generated_2`, ...).
    pub fn next_generated_number(&mut self) -> u32 {
        self.generated += 1;
        self.generated
    }

    /// Replaces a tool's description; false when there is no such tool.
    pub fn set_description(&mut self, name: &str, text: &str) -> bool {
        match self.tools.iter_mut().find(|tool| tool.name() == name) {
            Some(tool) => {
                tool.definition.description = Some(text.to_owned().into());
                true
            }
            None => false,
        }
    }

    pub fn add(&mut self, tool: DemoTool) {
        self.tools.push(tool);
    }
}

/// Whether the request runs under 2026-07-28 or later, where servers send no requests or
/// unsolicited notifications: questions go back as `input_required` results instead.
pub(crate) fn is_stateless_era(context: &RequestContext<RoleServer>) -> bool {
    context
        .protocol_version()
        .is_some_and(|version| version >= ProtocolVersion::V_2026_07_28)
}

/// Decodes a call's arguments into the tool's argument struct; a mismatch is the caller's to fix.
/// Annotations of a tool that only reads or computes: it changes nothing and reaches
/// nothing outside the process.
pub(crate) fn read_only(title: &str) -> ToolAnnotations {
    ToolAnnotations::with_title(title)
        .read_only(true)
        .destructive(false)
        .idempotent(true)
        .open_world(false)
}

pub(crate) fn parse_arguments<T: DeserializeOwned>(
    arguments: JsonObject,
) -> Result<T, ToolFailure> {
    serde_json::from_value(serde_json::Value::Object(arguments))
        .map_err(|e| ToolFailure::new(format!("invalid arguments: {e}")))
}

/// The input schema derived from an argument struct (its doc comments become descriptions).
pub(crate) fn input_schema<T: JsonSchema + 'static>() -> Arc<JsonObject> {
    // Only a schema whose root is not an object fails here, and every argument type is a
    // struct; the unit tests check each tool's schema, so an empty object is never served.
    schema_for_input::<T>().unwrap_or_else(|error| {
        tracing::error!(%error, "demo tool has an invalid input schema");
        Arc::new(JsonObject::new())
    })
}

/// The input schema of a tool that takes no arguments: an object with no properties (spelled
/// out, since some clients reject an object schema without `properties`).
pub(crate) fn no_input_schema() -> Arc<JsonObject> {
    schema_for_empty_input()
}

pub(crate) fn output_schema<T: JsonSchema + 'static>() -> Arc<JsonObject> {
    schema_for_output::<T>()
}

/// A result with `structuredContent`, and its JSON as text for clients that only read text.
pub(crate) fn structured_result<T: Serialize>(value: &T) -> Result<CallToolResult, ToolFailure> {
    let value = serde_json::to_value(value)
        .map_err(|e| ToolFailure::new(format!("cannot encode the result: {e}")))?;
    Ok(CallToolResult::structured(value))
}

pub(crate) fn text_result(text: impl Into<String>) -> CallToolResult {
    CallToolResult::success(vec![ContentBlock::text(text.into())])
}

pub(crate) fn failure_result(failure: &ToolFailure) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(failure.to_string())])
}
