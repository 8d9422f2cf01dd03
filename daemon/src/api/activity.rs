//! `GET /api/v1/activity`: finished calls from the activity log, newest first, filtered.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use crate::daemon::Daemon;
use crate::http::{ApiFailure, Params};
use crate::protocol::{Activity, ActivityList, CallOutcome};

/// Calls answered when the query names no limit, and the most a query gets.
const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 10_000;

#[derive(Debug, Default, Deserialize)]
pub struct ActivityQuery {
    server: Option<String>,
    tool: Option<String>,
    outcome: Option<CallOutcome>,
    client: Option<String>,
    /// Calls that ended at or after this time.
    since: Option<jiff::Timestamp>,
    /// Calls that ended before this time.
    until: Option<jiff::Timestamp>,
    limit: Option<usize>,
}

impl ActivityQuery {
    fn keeps(&self, call: &Activity) -> bool {
        self.server.as_ref().is_none_or(|s| *s == call.server)
            && self.tool.as_ref().is_none_or(|t| *t == call.tool)
            && self.outcome.is_none_or(|o| o == call.outcome)
            && self
                .client
                .as_ref()
                .is_none_or(|c| call.client.as_ref() == Some(c))
            && self.since.is_none_or(|since| call.at >= since)
            && self.until.is_none_or(|until| call.at < until)
    }
}

pub async fn list(
    State(daemon): State<Daemon>,
    Params(query): Params<ActivityQuery>,
) -> Result<Json<ActivityList>, ApiFailure> {
    let Some(log) = daemon.activity_log() else {
        return Ok(Json(ActivityList {
            activity: Vec::new(),
        }));
    };
    let store = std::sync::Arc::clone(log.store());
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT);
    // Reads a database file: off the runtime.
    let read = tokio::task::spawn_blocking(move || store.activity(limit, |call| query.keeps(call)))
        .await
        .map_err(|e| ApiFailure::internal(format!("reading the activity log failed: {e}")))?;
    let activity = read.map_err(|e| {
        let hint = e.hint();
        let mut failure = ApiFailure::internal(e.to_string());
        failure.error.hint = hint;
        failure
    })?;
    Ok(Json(ActivityList { activity }))
}
