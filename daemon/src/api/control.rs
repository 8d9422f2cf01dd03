//! The control routes under `/api/v1`.

use axum::extract::{Query, State};
use axum::{Extension, Json};
use serde::Deserialize;

use super::Door;
use crate::daemon::Daemon;
use crate::protocol::{Ack, Status};

#[derive(Debug, Deserialize)]
pub struct StatusQuery {
    #[serde(default)]
    show_key: bool,
}

/// `GET /api/v1/status`. The API key is only revealed over the socket.
pub async fn status(
    State(daemon): State<Daemon>,
    Extension(door): Extension<Door>,
    Query(query): Query<StatusQuery>,
) -> Json<Status> {
    Json(daemon.status(query.show_key && door == Door::Socket))
}

/// `POST /api/v1/shutdown`: stops the daemon gracefully, after answering.
pub async fn shutdown(State(daemon): State<Daemon>) -> Json<Ack> {
    tracing::info!("shutdown requested through the control API");
    daemon.shutdown();
    Json(Ack {
        message: format!("daemon {} is stopping", std::process::id()),
    })
}
