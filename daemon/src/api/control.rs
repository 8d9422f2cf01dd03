//! Who the daemon is, its own log, and stopping it.

use axum::extract::State;
use axum::{Extension, Json};
use serde::Deserialize;

use crate::daemon::Daemon;
use crate::http::{ApiFailure, Door, Params};
use crate::protocol::{Ack, GoodbyeReason, LogTail, ShutdownRequest, Status};

#[derive(Debug, Deserialize)]
pub struct StatusQuery {
    #[serde(default)]
    show_key: bool,
}

/// `GET /api/v1/status`. The API key is only revealed over the socket.
pub async fn status(
    State(daemon): State<Daemon>,
    Extension(door): Extension<Door>,
    Params(query): Params<StatusQuery>,
) -> Json<Status> {
    Json(daemon.status(query.show_key && door == Door::Socket))
}

/// `POST /api/v1/shutdown` (an empty body is a plain stop): stops the daemon gracefully,
/// after answering.
pub async fn shutdown(
    State(daemon): State<Daemon>,
    body: axum::body::Bytes,
) -> Result<Json<Ack>, ApiFailure> {
    let reason = if body.iter().all(u8::is_ascii_whitespace) {
        GoodbyeReason::Shutdown
    } else {
        serde_json::from_slice::<ShutdownRequest>(&body)
            .map_err(|e| {
                ApiFailure::bad_request(format!("not a shutdown request: {e}"))
                    .hint(r#"send no body, or {"reason": "shutdown" | "restart" | "replaced"}"#)
            })?
            .reason
    };
    tracing::info!(?reason, "shutdown requested through the control API");
    let message = match reason {
        GoodbyeReason::Restart => "the daemon is restarting (`mcpproxy daemon restart`)",
        GoodbyeReason::Replaced => "the daemon is being replaced by a newer mcpproxy",
        _ => "the daemon was stopped (`mcpproxy daemon stop`)",
    };
    daemon.shutdown(reason, message);
    Ok(Json(Ack {
        message: format!("daemon {} is stopping", std::process::id()),
    }))
}

#[derive(Debug, Deserialize)]
pub struct TailQuery {
    tail: Option<usize>,
}

/// `GET /api/v1/logs?tail=N` (default 100, at most 10 000): the daemon's own log.
pub async fn daemon_logs(
    State(daemon): State<Daemon>,
    Params(query): Params<TailQuery>,
) -> Result<Json<LogTail>, ApiFailure> {
    let count = query.tail.unwrap_or(100).min(10_000);
    let path = daemon.paths().daemon_log();
    let file = path.clone();
    let lines = tokio::task::spawn_blocking(move || crate::logs::tail(&file, count))
        .await
        .map_err(|e| ApiFailure::internal(format!("reading the log failed: {e}")))?
        .map_err(|e| ApiFailure::internal(format!("cannot read {}: {e}", path.display())))?;
    Ok(Json(LogTail {
        server: None,
        lines,
    }))
}
