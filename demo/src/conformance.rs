//! The fixtures of the official MCP conformance suite (`--test-tools`): the tools, resources,
//! prompts and completion its 32 server scenarios call, named and shaped as the suite's
//! reference server (python-sdk's `everything_server.py`) has them, plus
//! `json_schema_2020_12_tool`, which that server lacks.
//!
//! Tools that take no part in a scenario's checks still behave usefully, so the proxy's own
//! tests can use them: `test_tool_with_logging` honours the session's log level,
//! `test_reconnection` really closes its HTTP response stream mid-call, and
//! `update_watched_resource` (an addition of ours) changes `test://watched-resource` so
//! subscribers hear `notifications/resources/updated`.

// Logging is deprecated by SEP-2577 but still part of every protocol version this server
// speaks, and the suite checks it.
#![allow(deprecated)]

mod client_requests;
pub(crate) mod prompts;
pub(crate) mod resources;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use rmcp::model::{
    CallToolResult, ContentBlock, JsonObject, LoggingLevel, ProgressNotificationParam,
    ResourceContents, Tool, ToolAnnotations,
};
use rmcp::schemars::JsonSchema;
use rmcp::service::{RequestContext, RoleServer};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;

use super::registry::{
    DemoTool, ToolCall, ToolFailure, ToolOutcome, input_schema, no_input_schema, parse_arguments,
    read_only, text_result,
};

pub(crate) use self::resources::{INITIAL_WATCHED_RESOURCE_TEXT, WATCHED_RESOURCE_URI};

/// A 1×1 PNG, the suite's test image (as base64).
pub(crate) const TEST_IMAGE_BASE64: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
/// A WAV file with one silent sample, the suite's test audio (as base64).
pub(crate) const TEST_AUDIO_BASE64: &str =
    "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=";

/// The logger name on the fixtures' log messages.
const LOGGER: &str = "conformance";
/// The pause between the steps of the logging and progress tools: long enough that a client
/// sees the notifications arrive one by one during the call, as the suite intends.
const STEP_DELAY: Duration = Duration::from_millis(50);
/// The `retry` that `test_reconnection`'s last event on the closed stream asks for.
const RECONNECT_RETRY: Duration = Duration::from_millis(100);
/// How long `test_reconnection` waits for the client to resume its stream before answering
/// anyway. That answer is lost: rmcp forgets a request's stream once it has answered, so a
/// resume after it finds nothing.
const RESUME_WAIT: Duration = Duration::from_secs(10);
/// How long `test_reconnection` pauses where there is no stream to close (stdio), like the
/// reference server's pause for the client to reconnect.
const RECONNECT_PAUSE: Duration = Duration::from_millis(200);
/// The header that names the HTTP session a request belongs to.
const SESSION_ID_HEADER: &str = "mcp-session-id";

pub(crate) fn tools() -> Vec<DemoTool> {
    let mut tools = vec![
        content_tool(
            "test_simple_text",
            "Simple text",
            "Return one text item: \"This is a simple text response for testing.\" \
             (conformance scenario tools-call-simple-text).",
            || {
                vec![ContentBlock::text(
                    "This is a simple text response for testing.",
                )]
            },
        ),
        content_tool(
            "test_image_content",
            "Image content",
            "Return one image item: a 1x1 PNG, base64 with mimeType image/png (conformance \
             scenario tools-call-image).",
            || vec![ContentBlock::image(TEST_IMAGE_BASE64, "image/png")],
        ),
        content_tool(
            "test_audio_content",
            "Audio content",
            "Return one audio item: a tiny WAV file, base64 with mimeType audio/wav \
             (conformance scenario tools-call-audio).",
            || vec![ContentBlock::audio(TEST_AUDIO_BASE64, "audio/wav")],
        ),
        content_tool(
            "test_embedded_resource",
            "Embedded resource",
            "Return one embedded text resource, test://embedded-resource (conformance \
             scenario tools-call-embedded-resource).",
            || {
                vec![ContentBlock::resource(
                    ResourceContents::text(
                        "This is an embedded resource content.",
                        "test://embedded-resource",
                    )
                    .with_mime_type("text/plain"),
                )]
            },
        ),
        content_tool(
            "test_multiple_content_types",
            "Mixed content",
            "Return three items of different types: text, a PNG image and an embedded JSON \
             resource (conformance scenario tools-call-mixed-content).",
            || {
                vec![
                    ContentBlock::text("Multiple content types test:"),
                    ContentBlock::image(TEST_IMAGE_BASE64, "image/png"),
                    ContentBlock::resource(
                        ResourceContents::text(
                            r#"{"test": "data", "value": 123}"#,
                            "test://mixed-content-resource",
                        )
                        .with_mime_type("application/json"),
                    ),
                ]
            },
        ),
        fixture_tool(
            "test_tool_with_logging",
            "Logging during a call",
            "Send log messages (notifications/message) while running, 50 ms apart: three at \
             info level and one at debug level, each only if the session's log level \
             (logging/setLevel, default info) lets it through; then answer (conformance \
             scenario tools-call-with-logging).",
            no_input_schema(),
            tool_with_logging,
        ),
        fixture_tool(
            "test_tool_with_progress",
            "Progress during a call",
            "Report progress 0, 50 and 100 of 100, 50 ms apart, when the call carries a \
             progress token, then answer with the token (conformance scenario \
             tools-call-with-progress).",
            no_input_schema(),
            tool_with_progress,
        ),
        error_tool(),
    ];
    tools.extend(client_requests::tools());
    tools.extend([
        fixture_tool(
            "test_reconnection",
            "Close the stream mid-call",
            "Over HTTP: close this call's SSE response stream mid-call (after an event with \
             retry 100 ms), wait for the client to resume it with GET and Last-Event-ID, then \
             answer on the resumed stream (SEP-1699; conformance scenario \
             server-sse-polling). Elsewhere it just pauses 200 ms. Logs before and after.",
            no_input_schema(),
            reconnection,
        ),
        json_schema_2020_12_tool(),
        update_watched_resource_tool(),
    ]);
    tools
}

/// A read-only fixture tool with the given input schema.
fn fixture_tool<F, Fut>(
    name: &str,
    title: &str,
    description: &str,
    schema: Arc<JsonObject>,
    run: F,
) -> DemoTool
where
    F: Fn(ToolCall) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ToolOutcome> + Send + 'static,
{
    DemoTool::new(
        Tool::new(name.to_owned(), description.to_owned(), schema)
            .with_title(title)
            .with_annotations(read_only(title)),
        run,
    )
}

/// A tool without arguments that always returns the same content.
fn content_tool(
    name: &str,
    title: &str,
    description: &str,
    content: fn() -> Vec<ContentBlock>,
) -> DemoTool {
    DemoTool::new(
        Tool::new(name.to_owned(), description.to_owned(), no_input_schema())
            .with_title(title)
            .with_annotations(read_only(title)),
        move |_call: ToolCall| std::future::ready(Ok(CallToolResult::success(content()).into())),
    )
}

fn error_tool() -> DemoTool {
    DemoTool::pure(
        Tool::new(
            "test_error_handling",
            "Always fail: return a result with isError set and the text \"This tool \
             intentionally returns an error for testing\" (conformance scenario \
             tools-call-error).",
            no_input_schema(),
        )
        .with_title("Error result")
        .with_annotations(read_only("Error result")),
        |_arguments| {
            Err(ToolFailure::new(
                "This tool intentionally returns an error for testing",
            ))
        },
    )
}

async fn tool_with_logging(call: ToolCall) -> ToolOutcome {
    let steps = [
        (LoggingLevel::Info, "Tool execution started"),
        (LoggingLevel::Debug, "Tool is about to process data"),
        (LoggingLevel::Info, "Tool processing data"),
        (LoggingLevel::Info, "Tool execution completed"),
    ];
    for (index, (level, message)) in steps.into_iter().enumerate() {
        if index > 0 {
            tokio::time::sleep(STEP_DELAY).await;
        }
        call.server.log(&call.context, level, LOGGER, message).await;
    }
    Ok(text_result("Tool with logging executed successfully").into())
}

async fn tool_with_progress(call: ToolCall) -> ToolOutcome {
    const TOTAL: f64 = 100.0;
    let token = call.context.meta.get_progress_token();
    for (index, progress) in [0.0, 50.0, TOTAL].into_iter().enumerate() {
        if index > 0 {
            tokio::time::sleep(STEP_DELAY).await;
        }
        let Some(token) = &token else { continue };
        let report = ProgressNotificationParam::new(token.clone(), progress)
            .with_total(TOTAL)
            .with_message(format!("Completed step {progress} of {TOTAL}"));
        // A lost notification only costs a progress report.
        if let Err(error) = call.context.peer.notify_progress(report).await {
            tracing::debug!(%error, "cannot send progress");
        }
    }
    let answer = match &token {
        Some(token) => format!(
            "Reported progress 0, 50 and 100 of 100 to token {}",
            token.0
        ),
        None => "Done; no progress reported (the call carried no progress token)".to_owned(),
    };
    Ok(text_result(answer).into())
}

async fn reconnection(call: ToolCall) -> ToolOutcome {
    call.server
        .log(
            &call.context,
            LoggingLevel::Info,
            LOGGER,
            "Before disconnect",
        )
        .await;
    let outcome = match (call.server.http_sessions(), http_session_id(&call.context)) {
        (Some(sessions), Some(session)) => {
            // Subscribe before closing, so a client that comes back at once is not missed.
            let mut resumptions = sessions.resumptions();
            sessions
                .close_response_stream(&session, &call.context.id, RECONNECT_RETRY)
                .await
                .map_err(|e| ToolFailure::new(format!("cannot close the response stream: {e}")))?;
            let resumed = tokio::time::timeout(RESUME_WAIT, async {
                loop {
                    match resumptions.recv().await {
                        Ok(resumed) if resumed == session => return true,
                        Ok(_) | Err(RecvError::Lagged(_)) => {}
                        Err(RecvError::Closed) => return false,
                    }
                }
            })
            .await
            .unwrap_or(false);
            if resumed {
                "the client resumed the closed stream".to_owned()
            } else {
                format!(
                    "the client did not resume the closed stream within {} s",
                    RESUME_WAIT.as_secs()
                )
            }
        }
        _ => {
            tokio::time::sleep(RECONNECT_PAUSE).await;
            "no resumable stream to close here (stdio, or HTTP without a session)".to_owned()
        }
    };
    call.server
        .log(&call.context, LoggingLevel::Info, LOGGER, "After reconnect")
        .await;
    Ok(text_result(format!("Reconnection test completed: {outcome}")).into())
}

/// The HTTP session the request came in on, when it came over HTTP in session mode.
fn http_session_id(context: &RequestContext<RoleServer>) -> Option<Arc<str>> {
    let parts = context.extensions.get::<axum::http::request::Parts>()?;
    let id = parts.headers.get(SESSION_ID_HEADER)?.to_str().ok()?;
    Some(id.into())
}

/// A tool whose input schema uses JSON Schema 2020-12 keywords (`$schema`, `$defs`, `$ref`,
/// `additionalProperties`), which must reach the client unchanged (SEP-1613).
fn json_schema_2020_12_tool() -> DemoTool {
    let schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "$defs": {
            "address": {
                "type": "object",
                "properties": {
                    "street": { "type": "string" },
                    "city": { "type": "string" }
                }
            }
        },
        "properties": {
            "name": { "type": "string" },
            "address": { "$ref": "#/$defs/address" }
        },
        "additionalProperties": false
    });
    let schema = match schema {
        serde_json::Value::Object(schema) => schema,
        // `json!` of an object literal is always an object.
        _ => JsonObject::new(),
    };
    DemoTool::pure(
        Tool::new(
            "json_schema_2020_12_tool",
            "Tool with JSON Schema 2020-12 features: its input schema has $schema, $defs with \
             $ref and additionalProperties false. Returns the arguments it got, as JSON \
             (conformance scenario json-schema-2020-12).",
            Arc::new(schema),
        )
        .with_title("JSON Schema 2020-12 input")
        .with_annotations(read_only("JSON Schema 2020-12 input")),
        |arguments| {
            let text = serde_json::to_string(&arguments)?;
            Ok(text_result(format!("Received arguments: {text}")))
        },
    )
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
struct UpdateWatchedResourceArgs {
    /// The new text of test://watched-resource
    text: String,
}

/// Not a conformance fixture: the way to make `test://watched-resource` change, so tests can
/// see `notifications/resources/updated` reach a subscriber.
fn update_watched_resource_tool() -> DemoTool {
    const TITLE: &str = "Update the watched resource";
    DemoTool::new(
        Tool::new(
            "update_watched_resource",
            "Replace the text of test://watched-resource and send \
             notifications/resources/updated to every session subscribed to it (over \
             subscriptions/listen from 2026-07-28). Not part of the conformance suite: it \
             exists to test resource subscriptions.",
            input_schema::<UpdateWatchedResourceArgs>(),
        )
        .with_title(TITLE)
        // It replaces the previous text, which a client could read back, and every call
        // notifies the subscribers again.
        .with_annotations(
            ToolAnnotations::with_title(TITLE)
                .read_only(false)
                .destructive(false)
                .idempotent(false)
                .open_world(false),
        ),
        |call: ToolCall| {
            let outcome =
                parse_arguments(call.arguments).map(|UpdateWatchedResourceArgs { text }| {
                    call.server.update_watched_resource(text);
                    text_result(format!("{WATCHED_RESOURCE_URI} updated")).into()
                });
            std::future::ready(outcome)
        },
    )
}
