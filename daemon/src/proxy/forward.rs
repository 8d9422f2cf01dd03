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
//! - the other way round, an older upstream's sampling/elicitation/roots request during a
//!   2026-07-28 client's call comes to the call (through its [`Questions`] channel) and goes
//!   to the client as an `input_required` result; the upstream call waits in
//!   [`ParkedCalls`] until the client calls again with the answer (`requestState` names the
//!   parked call), and the same upstream call goes on, perhaps to ask again;
//! - every call emits activity events.
//!
//! Problems the model can act on (a server not ready, an unknown tool, a refused intent, a
//! timeout) come back as tool results with `isError: true`; protocol errors from the
//! upstream pass through as JSON-RPC errors.

// The log level a call asks for is deprecated with the rest of logging from 2026-07-28
// (SEP-2577), but clients and servers of both eras still send and honour it.
#![allow(deprecated)]

use std::sync::Arc;
use std::time::Instant;

use rmcp::ErrorData;
use rmcp::model::{
    CallToolRequest, CallToolRequestParams, CallToolResponse, CallToolResult, ClientRequest,
    ClientResult, ContentBlock, InputRequest, InputRequests, InputRequiredResult, InputResponses,
    LoggingLevel, ProtocolVersion, RequestMetaObject, ServerRequest, ServerResult,
};
use rmcp::service::{
    PeerRequestOptions, RequestContext, RequestHandle, RoleClient, RoleServer, ServiceError,
};

use super::parked::{Asked, ParkedCall, ParkedCalls, UpstreamCall};
use super::upstream_request;
use crate::activity::CallRecord;
use crate::daemon::Daemon;
use crate::protocol::{CallOutcome, CallVariant};
use crate::upstream::Connection;
use crate::upstream::call::{CallError, Prepared};
use crate::upstream::routes::{Caller, Question, Questions};

/// How many `input_required` rounds one call may take.
const MAX_INPUT_ROUNDS: usize = 10;
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
    /// Where calls wait between a 2026-07-28 client's rounds (shared by every surface).
    pub parked: &'a Arc<ParkedCalls>,
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
        Ok(Forwarded::Done(CallToolResponse::Complete(result))) => {
            record.answered(result, result.is_error == Some(true));
        }
        Ok(Forwarded::Done(CallToolResponse::InputRequired(input))) => {
            record.answered(input, false);
        }
        Ok(Forwarded::Done(CallToolResponse::Task(task))) => record.answered(task, false),
        Ok(Forwarded::Done(_)) => record.ended(CallOutcome::Ok, None),
        Ok(Forwarded::Refused(message)) => {
            record.ended(CallOutcome::Refused, Some(message.clone()));
        }
        Ok(Forwarded::Failed(error)) => record.failed(error),
        Err(Aborted::Cancelled) => record.ended(CallOutcome::Cancelled, None),
        Err(Aborted::Protocol(error)) => {
            record.ended(CallOutcome::Failed, Some(error.message.to_string()));
        }
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
    let Prepared {
        server,
        connection,
        deadline,
        timeout,
    } = match daemon
        .upstreams()
        .prepare_call(
            server_name,
            &tool,
            request.arguments.as_ref(),
            Instant::now(),
        )
        .await
    {
        Ok(prepared) => prepared,
        Err(error) => return Ok(Forwarded::Failed(error)),
    };

    let context = downstream.context;
    let client_is_modern = context
        .protocol_version()
        .is_some_and(|v| v >= ProtocolVersion::V_2026_07_28);
    // A 2026-07-28 client answering the question of a call that waits for it.
    let parked = match request.request_state.as_deref() {
        Some(state) if ParkedCalls::is_token(state) => {
            match downstream.parked.take(state, server_name, &tool) {
                Some(parked) => Some(parked),
                None => {
                    return Ok(Forwarded::Refused(format!(
                        "no call of {server_name}:{tool} waits for these answers (it timed \
                         out, or was answered already); call the tool again"
                    )));
                }
            }
        }
        _ => None,
    };
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
    let mut params = CallToolRequestParams::new(tool.clone());
    params.arguments = request.arguments;
    params.input_responses = request.input_responses;
    params.request_state = request.request_state;

    let mut call = match parked {
        Some(parked) => {
            let mut call = parked.answer(params.input_responses.as_ref());
            call.ticket.rebind(downstream.session, context.peer.clone());
            call
        }
        None => {
            // A 2026-07-28 client is asked the upstream's questions through this call.
            let (questions, asked) = if client_is_modern {
                let (questions, asked) = Questions::channel(deadline);
                (Some(questions), Some(asked))
            } else {
                (None, None)
            };
            let ticket = server.routes.begin(Caller {
                session: downstream.session,
                peer: context.peer.clone(),
                questions,
            });
            let handle = match send(&connection, &params, &forwarded_meta).await {
                Ok(handle) => handle,
                Err(e) => return Ok(Forwarded::Failed(upstream_error(server_name, &tool, e))),
            };
            UpstreamCall {
                handle,
                ticket,
                questions: asked,
                deadline,
            }
        }
    };
    call.ticket.sent(&call.handle.id);
    if let Some(client_token) = &client_token {
        call.ticket
            .forward_progress(&call.handle.progress_token, client_token.clone());
    }

    let mut rounds = 0;
    loop {
        let answer = match wait(&mut call, context).await {
            Waited::Answered(answer) => answer,
            Waited::Asked(Question { request, answer }) => {
                let Some((asked, input)) = Asked::from_request(request) else {
                    // Not a question for the client (a ping, say): refused; the call goes on.
                    let _ = answer.send(Err(ErrorData::internal_error(
                        "mcpproxy can pass only sampling, elicitation and roots requests \
                         to this client",
                        None,
                    )));
                    continue;
                };
                // Progress the server sent before its question reaches the client first.
                server.routes.caught_up().await;
                let parked = ParkedCall {
                    call,
                    server: server_name.to_owned(),
                    tool,
                    asked,
                    answer,
                };
                return Ok(Forwarded::Done(park(downstream.parked, parked, input)));
            }
            Waited::Cancelled => {
                call.cancel("cancelled by the client").await;
                return Err(Aborted::Cancelled);
            }
            Waited::TimedOut => {
                call.cancel("mcpproxy call timeout").await;
                return Ok(Forwarded::Failed(CallError::Timeout {
                    id: format!("{server_name}:{tool}"),
                    timeout,
                }));
            }
        };
        // The progress and log messages the server sent before its answer reach the
        // client before the answer does: once answered, a client drops them.
        server.routes.caught_up().await;
        let result = match answer {
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
                rounds += 1;
                if rounds == MAX_INPUT_ROUNDS {
                    return Ok(Forwarded::Refused(format!(
                        "{server_name}:{tool} kept asking for input after {MAX_INPUT_ROUNDS} rounds"
                    )));
                }
                let answers = ask_legacy_client(context, &input).await?;
                params.input_responses = Some(answers);
                params.request_state = input.request_state;
                call.handle = match send(&connection, &params, &forwarded_meta).await {
                    Ok(handle) => handle,
                    Err(e) => return Ok(Forwarded::Failed(upstream_error(server_name, &tool, e))),
                };
                call.ticket.sent(&call.handle.id);
                if let Some(client_token) = &client_token {
                    call.ticket
                        .forward_progress(&call.handle.progress_token, client_token.clone());
                }
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
}

/// Sends the `tools/call` to the upstream.
async fn send(
    connection: &Connection,
    params: &CallToolRequestParams,
    meta: &Option<RequestMetaObject>,
) -> Result<RequestHandle<RoleClient>, ServiceError> {
    let options = match meta {
        Some(meta) => PeerRequestOptions::no_options().with_meta(meta.clone()),
        None => PeerRequestOptions::no_options(),
    };
    let call = ClientRequest::CallToolRequest(CallToolRequest::new(params.clone()));
    connection
        .peer
        .send_cancellable_request(call, options)
        .await
}

/// What waiting on an upstream call came to.
enum Waited {
    /// The upstream answered the call.
    Answered(Result<ServerResult, ServiceError>),
    /// The upstream asks a 2026-07-28 client something first.
    Asked(Question),
    /// The client cancelled its request.
    Cancelled,
    /// The call's deadline passed.
    TimedOut,
}

async fn wait(call: &mut UpstreamCall, context: &RequestContext<RoleServer>) -> Waited {
    let UpstreamCall {
        handle,
        questions,
        deadline,
        ..
    } = call;
    let asked = async {
        match questions {
            Some(questions) => match questions.recv().await {
                Some(question) => question,
                // The routes keep the sender while the call is registered, so this does not
                // happen; if it did, there would be nothing more to wait for here.
                None => std::future::pending().await,
            },
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        answer = &mut handle.rx => Waited::Answered(
            answer.map_err(|_| ServiceError::TransportClosed).and_then(|r| r),
        ),
        question = asked => Waited::Asked(question),
        () = context.ct.cancelled() => Waited::Cancelled,
        () = tokio::time::sleep_until((*deadline).into()) => Waited::TimedOut,
    }
}

/// Parks `parked` until the client answers its question (`input`), and returns the
/// `input_required` result that asks it.
fn park(
    parked_calls: &Arc<ParkedCalls>,
    parked: ParkedCall,
    input: InputRequest,
) -> CallToolResponse {
    let key = parked.asked.key().to_owned();
    let token = parked_calls.park(parked);
    let questions = InputRequests::from([(key, input)]);
    CallToolResponse::InputRequired(InputRequiredResult::new(Some(questions), Some(token)))
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
