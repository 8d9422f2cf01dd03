//! Forwarding one `tools/call` from a downstream MCP client to an upstream server, the same
//! way for every surface (`call_tool_*`, `server__tool`, passthrough):
//!
//! - the server must be enabled, approved and (after a short wait while reconnecting) ready;
//! - the call is registered with the server's [`CallRoutes`], so the upstream's progress,
//!   log messages and, on older revisions, sampling/elicitation requests reach this client;
//! - cancelling the downstream request cancels the upstream one;
//! - a 2026-07-28 upstream's `input_required` result goes to a 2026-07-28 client as it is;
//!   for an older client mcpproxy asks it the questions itself (elicitation, sampling,
//!   roots as ordinary requests) and calls the upstream again with the answers;
//! - every call emits activity events.
//!
//! Problems the model can act on (a server not ready, an unknown tool, a refused intent, a
//! timeout) come back as tool results with `isError: true`; protocol errors from the
//! upstream pass through as JSON-RPC errors.

// The log level a call asks for is deprecated with the rest of logging from 2026-07-28
// (SEP-2577), but clients and servers of both eras still send and honour it.
#![allow(deprecated)]

use std::time::{Duration, Instant};

use rmcp::ErrorData;
use rmcp::model::{
    CallToolRequest, CallToolRequestParams, CallToolResponse, CallToolResult, ClientRequest,
    ClientResult, ContentBlock, InputRequest, InputRequiredResult, InputResponses, LoggingLevel,
    ProtocolVersion, RequestMetaObject, ServerRequest, ServerResult,
};
use rmcp::service::{PeerRequestOptions, RequestContext, RoleServer, ServiceError};

use super::activity::CallRecord;
use super::upstream_request;
use crate::daemon::Daemon;
use crate::protocol::{CallOutcome, CallVariant, ServerState};
use crate::upstream::call::{self, CallError};
use crate::upstream::routes::Caller;

/// How many `input_required` rounds one call may take.
const MAX_INPUT_ROUNDS: usize = 10;
/// How long a call waits for a reconnecting server.
const RECONNECT_WAIT: Duration = Duration::from_secs(10);
/// Prefix of the protocol's own `_meta` keys; the upstream session sets its own.
const PROTOCOL_META_PREFIX: &str = "io.modelcontextprotocol/";

/// The downstream side of a call.
pub struct Downstream<'a> {
    pub context: &'a RequestContext<RoleServer>,
    /// The downstream MCP session, for telling clients apart.
    pub session: u64,
    /// The level this client chose for its session with `logging/setLevel` (revisions
    /// before 2026-07-28), for upstreams that take the level with each request instead.
    pub log_level: Option<LoggingLevel>,
}

/// A tool result that tells the model what went wrong.
pub fn error_result(message: impl Into<String>) -> CallToolResponse {
    CallToolResponse::Complete(CallToolResult::error(vec![ContentBlock::text(
        message.into(),
    )]))
}

/// Forwards `request` (with `name` already the upstream's own tool name) to `server_name`.
pub async fn call_tool(
    daemon: &Daemon,
    server_name: &str,
    request: CallToolRequestParams,
    variant: CallVariant,
    downstream: Downstream<'_>,
) -> Result<CallToolResponse, ErrorData> {
    let context = downstream.context;
    let tool = request.name.to_string();
    let client = context.client_info().map(|info| info.name);
    let record = CallRecord::start(
        daemon,
        client,
        server_name,
        &tool,
        variant,
        request.arguments.as_ref(),
    );
    let outcome = forward(daemon, server_name, request, &downstream).await;
    match &outcome {
        Ok(Forwarded::Done(response)) => {
            let failed =
                matches!(response, CallToolResponse::Complete(r) if r.is_error == Some(true));
            let outcome = if failed {
                CallOutcome::ToolError
            } else {
                CallOutcome::Ok
            };
            record.finish(outcome, Some(&response_json(response)), None);
        }
        Ok(Forwarded::Refused(message)) => {
            record.finish(CallOutcome::Refused, None::<&()>, Some(message.clone()))
        }
        Ok(Forwarded::Failed(error)) => {
            let outcome = match error {
                CallError::Timeout { .. } => CallOutcome::Timeout,
                _ => CallOutcome::Failed,
            };
            record.finish(outcome, None::<&()>, Some(error.to_string()));
        }
        Err(Aborted::Cancelled) => record.finish(CallOutcome::Cancelled, None::<&()>, None),
        Err(Aborted::Protocol(error)) => record.finish(
            CallOutcome::Failed,
            None::<&()>,
            Some(error.message.to_string()),
        ),
    }
    match outcome {
        Ok(Forwarded::Done(response)) => Ok(response),
        Ok(Forwarded::Refused(message)) => Ok(error_result(message)),
        Ok(Forwarded::Failed(error)) => Ok(error_result(match error.hint() {
            Some(hint) => format!("{error}. {hint}"),
            None => error.to_string(),
        })),
        Err(Aborted::Cancelled) => Err(ErrorData::internal_error("the call was cancelled", None)),
        Err(Aborted::Protocol(error)) => Err(error),
    }
}

enum Forwarded {
    Done(CallToolResponse),
    Refused(String),
    Failed(CallError),
}

enum Aborted {
    Cancelled,
    Protocol(ErrorData),
}

async fn forward(
    daemon: &Daemon,
    server_name: &str,
    request: CallToolRequestParams,
    downstream: &Downstream<'_>,
) -> Result<Forwarded, Aborted> {
    let tool = request.name.to_string();
    let Some(server) = daemon.upstreams().server(server_name) else {
        return Ok(Forwarded::Failed(CallError::NoServer(
            server_name.to_owned(),
        )));
    };
    let view = server.view();
    if view.quarantined || !view.enabled {
        let state = if view.quarantined {
            ServerState::Quarantined
        } else {
            ServerState::Disabled
        };
        let refusal = CallError::NotReady {
            server: server_name.to_owned(),
            state,
        };
        return Ok(Forwarded::Refused(format!(
            "{refusal}; a person must {} it first",
            if view.quarantined {
                "approve"
            } else {
                "enable"
            }
        )));
    }
    let timeout = daemon
        .upstreams()
        .call_timeout(server_name)
        .unwrap_or(Duration::from_secs(120));
    let deadline = Instant::now() + timeout;
    let connection =
        match call::connected(&server, deadline.min(Instant::now() + RECONNECT_WAIT)).await {
            Ok(connection) => connection,
            Err(error) => return Ok(Forwarded::Failed(error)),
        };
    if !server.has_tool(&tool) {
        return Ok(Forwarded::Failed(CallError::NoTool {
            server: server_name.to_owned(),
            tool,
        }));
    }

    let context = downstream.context;
    let mut ticket = server.routes.begin(Caller {
        session: downstream.session,
        peer: context.peer.clone(),
    });
    let client_token = context.meta.get_progress_token().or_else(|| {
        request
            .meta
            .as_ref()
            .and_then(RequestMetaObject::get_progress_token)
    });
    let forwarded_meta = forwarded_meta(
        context,
        &request,
        downstream.log_level,
        upstream_request::is_stateless(&connection),
    );
    let client_is_modern = context
        .protocol_version()
        .is_some_and(|v| v >= ProtocolVersion::V_2026_07_28);
    let mut params = CallToolRequestParams::new(tool.clone());
    params.arguments = request.arguments;
    params.input_responses = request.input_responses;
    params.request_state = request.request_state;

    for _round in 0..MAX_INPUT_ROUNDS {
        let options = match &forwarded_meta {
            Some(meta) => PeerRequestOptions::no_options().with_meta(meta.clone()),
            None => PeerRequestOptions::no_options(),
        };
        let call = ClientRequest::CallToolRequest(CallToolRequest::new(params.clone()));
        let mut handle = match connection
            .peer
            .send_cancellable_request(call, options)
            .await
        {
            Ok(handle) => handle,
            Err(e) => return Ok(Forwarded::Failed(upstream_error(server_name, &tool, e))),
        };
        if let Some(client_token) = &client_token {
            ticket.forward_progress(&handle.progress_token, client_token.clone());
        }
        let answer = tokio::select! {
            answer = &mut handle.rx => answer.map_err(|_| ServiceError::TransportClosed),
            () = context.ct.cancelled() => {
                let _ = handle.cancel(Some("cancelled by the client".to_owned())).await;
                return Err(Aborted::Cancelled);
            }
            () = tokio::time::sleep_until(deadline.into()) => {
                let _ = handle.cancel(Some("mcpproxy call timeout".to_owned())).await;
                return Ok(Forwarded::Failed(CallError::Timeout { id: format!("{server_name}:{tool}"), timeout }));
            }
        };
        // The progress and log messages the server sent before its answer reach the
        // client before the answer does: once answered, a client drops them.
        server.routes.caught_up().await;
        let result = match answer.and_then(|r| r) {
            Ok(result) => result,
            Err(ServiceError::McpError(error)) => return Err(Aborted::Protocol(error)),
            Err(e) => return Ok(Forwarded::Failed(upstream_error(server_name, &tool, e))),
        };
        match result {
            ServerResult::CallToolResult(mut result) => {
                upstream_request::complete(&mut result.result_type);
                return Ok(Forwarded::Done(CallToolResponse::Complete(result)));
            }
            ServerResult::CreateTaskResult(task) => {
                return Ok(Forwarded::Done(CallToolResponse::Task(task)));
            }
            ServerResult::InputRequiredResult(input) if client_is_modern => {
                return Ok(Forwarded::Done(CallToolResponse::InputRequired(input)));
            }
            ServerResult::InputRequiredResult(input) => {
                let answers = ask_legacy_client(context, &input).await?;
                params.input_responses = Some(answers);
                params.request_state = input.request_state;
            }
            other => {
                return Err(Aborted::Protocol(ErrorData::internal_error(
                    format!(
                        "{server_name} answered tools/call with an unexpected result: {other:?}"
                    ),
                    None,
                )));
            }
        }
    }
    Ok(Forwarded::Refused(format!(
        "{server_name}:{tool} kept asking for input after {MAX_INPUT_ROUNDS} rounds"
    )))
}

/// The client's `_meta`, minus what belongs to its own session (protocol version, client
/// capabilities, its progress token): the upstream session supplies those.
///
/// The log level is the exception: from 2026-07-28 a client asks for log messages per
/// request (`io.modelcontextprotocol/logLevel`, SEP-2575) and a server sends none without
/// it. So a stateless upstream gets the client's own level, or for a client of an older
/// revision the level it chose with `logging/setLevel`; an older upstream keeps the level
/// set on its session.
fn forwarded_meta(
    context: &RequestContext<RoleServer>,
    request: &CallToolRequestParams,
    session_log_level: Option<LoggingLevel>,
    upstream_is_stateless: bool,
) -> Option<RequestMetaObject> {
    let mut meta = request.meta.clone().unwrap_or_else(|| context.meta.clone());
    let log_level = meta.log_level().or(session_log_level);
    meta.retain(|key, _| key != "progressToken" && !key.starts_with(PROTOCOL_META_PREFIX));
    if upstream_is_stateless && let Some(level) = log_level {
        meta.set_log_level(level);
    }
    (!meta.is_empty()).then_some(meta)
}

/// Puts an `input_required` round's questions to a client of an older revision as the
/// server-to-client requests it understands, and collects its answers.
async fn ask_legacy_client(
    context: &RequestContext<RoleServer>,
    input: &InputRequiredResult,
) -> Result<InputResponses, Aborted> {
    let mut answers = InputResponses::new();
    for (key, question) in input.input_requests.iter().flatten() {
        let request = match question.clone() {
            InputRequest::Elicitation(request) => ServerRequest::ElicitRequest(request),
            InputRequest::CreateMessage(request) => ServerRequest::CreateMessageRequest(request),
            InputRequest::ListRoots(request) => ServerRequest::ListRootsRequest(request),
            other => {
                return Err(Aborted::Protocol(ErrorData::internal_error(
                    format!("the server asked for input mcpproxy cannot pass on: {other:?}"),
                    None,
                )));
            }
        };
        let answer = context
            .peer
            .send_request(request)
            .await
            .map_err(|e| match e {
                ServiceError::McpError(error) => Aborted::Protocol(error),
                other => Aborted::Protocol(ErrorData::internal_error(
                    format!("the client did not answer the server's question: {other}"),
                    None,
                )),
            })?;
        let value = match answer {
            ClientResult::ElicitResult(result) => serde_json::to_value(result),
            ClientResult::CreateMessageResult(result) => serde_json::to_value(result),
            ClientResult::ListRootsResult(result) => serde_json::to_value(result),
            other => serde_json::to_value(other),
        }
        .map_err(|e| Aborted::Protocol(ErrorData::internal_error(e.to_string(), None)))?;
        answers.insert(key.clone(), value);
    }
    Ok(answers)
}

fn upstream_error(server: &str, tool: &str, error: ServiceError) -> CallError {
    CallError::Upstream {
        id: format!("{server}:{tool}"),
        message: error.to_string(),
    }
}

fn response_json(response: &CallToolResponse) -> serde_json::Value {
    match response {
        CallToolResponse::Complete(result) => serde_json::to_value(result),
        CallToolResponse::InputRequired(input) => serde_json::to_value(input),
        CallToolResponse::Task(task) => serde_json::to_value(task),
        _ => Ok(serde_json::Value::Null),
    }
    .unwrap_or(serde_json::Value::Null)
}
