//! Server and tool routes: list, add, remove, enable, disable, restart, approve, logs; the
//! tools agents see, calling one, and the items the catalog gate holds.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse as _, Response};
use serde::Deserialize;

use crate::activity::CallRecord;
use crate::config::EditError;
use crate::daemon::Daemon;
use crate::http::{ApiFailure, Body, Params};
use crate::manage::{self, ManageError};
use crate::protocol::CallVariant;
use crate::protocol::{
    Ack, AddServer, ErrorCode, HeldList, Inspection, LogTail, Quarantine, ReviewDecision,
    ServerList, ServerView, ToolCall, ToolCallResult, ToolList, ToolSearch, ToolSwitch,
    ToolSwitches,
};
use crate::review::DecisionError;
use crate::upstream::call::CallError;
use crate::upstream::server_log;

impl From<ManageError> for ApiFailure {
    fn from(error: ManageError) -> Self {
        let (status, code) = match &error {
            ManageError::NotFound(_) => (StatusCode::NOT_FOUND, ErrorCode::NotFound),
            ManageError::Exists(_) => (StatusCode::CONFLICT, ErrorCode::Conflict),
            ManageError::InvalidName(_) | ManageError::NoTools => {
                (StatusCode::BAD_REQUEST, ErrorCode::BadRequest)
            }
            ManageError::NoSuchTool { .. } => (StatusCode::NOT_FOUND, ErrorCode::NotFound),
            ManageError::ToolsUnknown(_) => (StatusCode::CONFLICT, ErrorCode::Conflict),
            ManageError::Edit(EditError::NoSuchServer { .. }) => {
                (StatusCode::NOT_FOUND, ErrorCode::NotFound)
            }
            ManageError::Edit(
                EditError::Refused { .. }
                | EditError::Syntax { .. }
                | EditError::ServersNotATable { .. },
            ) => (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ConfigInvalid),
            ManageError::Edit(error) if error.is_permission_denied() => {
                (StatusCode::FORBIDDEN, ErrorCode::Forbidden)
            }
            ManageError::Edit(EditError::Read { .. } | EditError::Write { .. })
            | ManageError::Review(DecisionError::Store(_))
            | ManageError::NoReview
            | ManageError::Interrupted(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal)
            }
            ManageError::Review(DecisionError::NotHeld { .. }) => {
                (StatusCode::NOT_FOUND, ErrorCode::NotFound)
            }
            ManageError::Review(DecisionError::ChangedSince { .. }) => {
                (StatusCode::CONFLICT, ErrorCode::Conflict)
            }
            ManageError::Review(DecisionError::ShortHash { .. }) => {
                (StatusCode::BAD_REQUEST, ErrorCode::BadRequest)
            }
            ManageError::NotPending(_) | ManageError::NeedsRun(_) => {
                (StatusCode::CONFLICT, ErrorCode::Conflict)
            }
            ManageError::Inspect(_) => (StatusCode::BAD_GATEWAY, ErrorCode::UpstreamError),
        };
        let hint = error.hint();
        let mut failure = ApiFailure::new(status, code, error.to_string());
        failure.error.hint = hint;
        failure
    }
}

/// `GET /api/v1/servers`.
pub async fn list(State(daemon): State<Daemon>) -> Json<ServerList> {
    Json(ServerList {
        servers: daemon.servers(),
    })
}

/// `GET /api/v1/servers/NAME`.
pub async fn one(
    State(daemon): State<Daemon>,
    Path(name): Path<String>,
) -> Result<Json<ServerView>, ApiFailure> {
    daemon
        .upstreams()
        .server(&name)
        .map(|server| Json(server.view()))
        .ok_or_else(|| ManageError::NotFound(name).into())
}

/// `POST /api/v1/servers`.
pub async fn add(
    State(daemon): State<Daemon>,
    Body(request): Body<AddServer>,
) -> Result<(StatusCode, Json<ServerView>), ApiFailure> {
    let server = crate::config::ServerConfig::try_from(&request.server).map_err(|e| {
        ApiFailure::bad_request(e.to_string())
            .hint("the keys and values are those of a [servers.NAME] table in config.toml")
    })?;
    let view = manage::add(&daemon, &request.name, server, request.quarantine).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// `DELETE /api/v1/servers/NAME`.
pub async fn remove(
    State(daemon): State<Daemon>,
    Path(name): Path<String>,
) -> Result<Json<Ack>, ApiFailure> {
    manage::remove(&daemon, &name).await?;
    Ok(Json(Ack {
        message: format!("removed server \"{name}\""),
    }))
}

pub async fn enable(
    State(daemon): State<Daemon>,
    Path(name): Path<String>,
) -> Result<Json<ServerView>, ApiFailure> {
    Ok(Json(manage::set_enabled(&daemon, &name, true).await?))
}

pub async fn disable(
    State(daemon): State<Daemon>,
    Path(name): Path<String>,
) -> Result<Json<ServerView>, ApiFailure> {
    Ok(Json(manage::set_enabled(&daemon, &name, false).await?))
}

/// `POST /api/v1/servers/NAME/approve`: with no body (or no items) the server leaves
/// quarantine and its view is answered; with items, those held items are approved
/// (pinned) and answered.
pub async fn approve(
    State(daemon): State<Daemon>,
    Path(name): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, ApiFailure> {
    let decision = decision(&body)?;
    if decision.items.is_empty() {
        return Ok(Json(manage::approve(&daemon, &name).await?).into_response());
    }
    Ok(Json(manage::review::approve_items(&daemon, &name, decision).await?).into_response())
}

/// `POST /api/v1/servers/NAME/reject`: with no items a pending server is removed from the
/// config; with items, those held items are rejected (kept off until they change).
pub async fn reject(
    State(daemon): State<Daemon>,
    Path(name): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, ApiFailure> {
    let decision = decision(&body)?;
    if decision.items.is_empty() {
        manage::review::reject_server(&daemon, &name).await?;
        return Ok(Json(Ack {
            message: format!("rejected server \"{name}\"; it was removed from the config"),
        })
        .into_response());
    }
    Ok(Json(manage::review::reject_items(&daemon, &name, decision).await?).into_response())
}

/// An optional [`ReviewDecision`] body (older clients send none).
fn decision(body: &[u8]) -> Result<ReviewDecision, ApiFailure> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(ReviewDecision::default());
    }
    // `null` is what clients that send no decision post.
    serde_json::from_slice::<Option<ReviewDecision>>(body)
        .map(Option::unwrap_or_default)
        .map_err(|e| {
            ApiFailure::bad_request(format!("the body is not a review decision: {e}")).hint(
                "send {\"items\": [\"NAME\", ...], \"hashes\": {\"NAME\": \"HASH\"}}, or no \
                 body for the server itself",
            )
        })
}

#[derive(Debug, Deserialize)]
pub struct InspectQuery {
    #[serde(default)]
    run: bool,
}

/// `GET /api/v1/servers/NAME/inspect?run=BOOL`.
pub async fn inspect(
    State(daemon): State<Daemon>,
    Path(name): Path<String>,
    Params(query): Params<InspectQuery>,
) -> Result<Json<Inspection>, ApiFailure> {
    Ok(Json(
        manage::review::inspect(&daemon, &name, query.run).await?,
    ))
}

/// `GET /api/v1/quarantine`: pending servers and held items with diffs and findings.
pub async fn quarantine(State(daemon): State<Daemon>) -> Json<Quarantine> {
    Json(manage::review::quarantine(&daemon))
}

/// `POST /api/v1/servers/NAME/tools/disable`.
pub async fn disable_tools(
    State(daemon): State<Daemon>,
    Path(name): Path<String>,
    Body(request): Body<ToolSwitch>,
) -> Result<Json<ToolSwitches>, ApiFailure> {
    Ok(Json(
        manage::switch_tools(&daemon, &name, &request, false).await?,
    ))
}

/// `POST /api/v1/servers/NAME/tools/enable`.
pub async fn enable_tools(
    State(daemon): State<Daemon>,
    Path(name): Path<String>,
    Body(request): Body<ToolSwitch>,
) -> Result<Json<ToolSwitches>, ApiFailure> {
    Ok(Json(
        manage::switch_tools(&daemon, &name, &request, true).await?,
    ))
}

pub async fn restart(
    State(daemon): State<Daemon>,
    Path(name): Path<String>,
) -> Result<Json<ServerView>, ApiFailure> {
    Ok(Json(manage::restart(&daemon, &name)?))
}

#[derive(Debug, Deserialize)]
pub struct TailQuery {
    tail: Option<usize>,
}

/// `GET /api/v1/servers/NAME/logs?tail=N` (default 100, at most 10 000).
pub async fn logs(
    State(daemon): State<Daemon>,
    Path(name): Path<String>,
    Params(query): Params<TailQuery>,
) -> Result<Json<LogTail>, ApiFailure> {
    let server = daemon
        .upstreams()
        .server(&name)
        .ok_or_else(|| ManageError::NotFound(name.clone()))?;
    let count = query.tail.unwrap_or(100).min(10_000);
    let path = server.log.path().to_path_buf();
    // Reading up to two rotated files is blocking work: keep it off the runtime.
    let (server_name, file) = (name.clone(), path.clone());
    let lines = tokio::task::spawn_blocking(move || server_log::tail(&server_name, &file, count))
        .await
        .map_err(|e| ApiFailure::internal(format!("reading the log failed: {e}")))?
        .map_err(|e| ApiFailure::internal(format!("cannot read {}: {e}", path.display())))?;
    Ok(Json(LogTail {
        server: Some(name),
        lines,
    }))
}

/// `?server=NAME`: one server's part of a list.
#[derive(Debug, Deserialize)]
pub struct ServerFilter {
    server: Option<String>,
}

impl ServerFilter {
    /// The server asked for, once it is known to exist.
    fn known(&self, daemon: &Daemon) -> Result<Option<&str>, ApiFailure> {
        match &self.server {
            Some(name) if daemon.upstreams().server(name).is_none() => {
                Err(ManageError::NotFound(name.clone()).into())
            }
            server => Ok(server.as_deref()),
        }
    }
}

/// `GET /api/v1/tools?server=NAME`.
pub async fn tools(
    State(daemon): State<Daemon>,
    Params(query): Params<ServerFilter>,
) -> Result<Json<ToolList>, ApiFailure> {
    Ok(Json(ToolList {
        tools: daemon.upstreams().tools(query.known(&daemon)?),
    }))
}

#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    q: String,
    limit: Option<usize>,
}

/// The most `limit` asks for, and what it is when not given.
const SEARCH_LIMITS: (usize, usize) = (100, 15);

/// `GET /api/v1/tools/search?q=QUERY&limit=N`: the callable tools that best match, ranked as
/// `retrieve_tools` ranks them.
pub async fn search(
    State(daemon): State<Daemon>,
    Params(query): Params<SearchQuery>,
) -> Result<Json<ToolSearch>, ApiFailure> {
    let (max, default) = SEARCH_LIMITS;
    let limit = query.limit.unwrap_or(default);
    if limit == 0 || limit > max {
        return Err(ApiFailure::bad_request(format!(
            "limit must be between 1 and {max}, not {limit}"
        )));
    }
    Ok(Json(daemon.search_tools(&query.q, limit).await))
}

/// `GET /api/v1/held?server=NAME`: what the catalog gate keeps from agents, and why.
pub async fn held(
    State(daemon): State<Daemon>,
    Params(query): Params<ServerFilter>,
) -> Result<Json<HeldList>, ApiFailure> {
    Ok(Json(HeldList {
        held: daemon.upstreams().held(query.known(&daemon)?),
    }))
}

impl From<CallError> for ApiFailure {
    fn from(error: CallError) -> Self {
        let (status, code) = match &error {
            CallError::BadId(_) => (StatusCode::BAD_REQUEST, ErrorCode::BadRequest),
            CallError::NoServer(_) | CallError::NoTool { .. } => {
                (StatusCode::NOT_FOUND, ErrorCode::NotFound)
            }
            CallError::NotReady { .. } => (
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::UpstreamUnavailable,
            ),
            CallError::Held { .. } | CallError::SecretInArguments { .. } => {
                (StatusCode::FORBIDDEN, ErrorCode::Forbidden)
            }
            CallError::Timeout { .. } => (StatusCode::GATEWAY_TIMEOUT, ErrorCode::Timeout),
            CallError::Upstream { .. } => (StatusCode::BAD_GATEWAY, ErrorCode::UpstreamError),
        };
        let hint = error.hint();
        let mut failure = ApiFailure::new(status, code, error.to_string());
        failure.error.hint = hint;
        failure
    }
}

/// `POST /api/v1/tools/call`.
pub async fn call(
    State(daemon): State<Daemon>,
    Body(call): Body<ToolCall>,
) -> Result<Json<ToolCallResult>, ApiFailure> {
    let started = std::time::Instant::now();
    let (server, tool) = crate::upstream::call::split_id(&call.tool).unwrap_or((&call.tool, ""));
    let record = CallRecord::start(
        &daemon,
        Some("mcpproxy-api".to_owned()),
        server,
        tool,
        CallVariant::Api,
        Some(&call.arguments),
    );
    let result = match daemon
        .upstreams()
        .call_tool(&call.tool, call.arguments.clone())
        .await
    {
        Ok(result) => {
            record.answered(&result, result.is_error == Some(true));
            result
        }
        Err(error) => {
            record.failed(&error);
            return Err(error.into());
        }
    };
    let content = result
        .content
        .iter()
        .map(|block| serde_json::to_value(block).unwrap_or(serde_json::Value::Null))
        .collect();
    Ok(Json(ToolCallResult {
        tool: call.tool,
        is_error: result.is_error.unwrap_or(false),
        content,
        structured_content: result.structured_content,
        duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    }))
}
