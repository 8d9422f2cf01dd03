//! The activity log over HTTP: `GET /api/v1/activity` (finished calls, newest first,
//! filtered, paged with `before`), `GET /api/v1/activity/{id}` (one call) and
//! `GET /api/v1/activity/summary` (counts and durations by server, tool or outcome).

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;

use crate::daemon::Daemon;
use crate::http::{ApiFailure, Params};
use crate::protocol::{
    Activity, ActivityList, ActivitySummary, CallOutcome, SummaryGroup, SummaryRow,
};
use crate::store::{Store, StoreError};

/// Calls answered when the query names no limit, and the most a query gets.
const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 10_000;

/// The filters of a listing or a summary.
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
    /// Only calls with a lower id: the next page after the last call of the previous one.
    before: Option<u64>,
    /// What a summary groups by.
    by: Option<SummaryGroup>,
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
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT);
    let activity = read(&daemon, move |store| {
        store.activity(limit, query.before, |call| query.keeps(call))
    })
    .await?;
    Ok(Json(ActivityList {
        activity: activity.unwrap_or_default(),
    }))
}

pub async fn show(
    State(daemon): State<Daemon>,
    Path(id): Path<u64>,
) -> Result<Json<Activity>, ApiFailure> {
    read(&daemon, move |store| store.activity_call(id))
        .await?
        .flatten()
        .map(Json)
        .ok_or_else(|| {
            ApiFailure::not_found(format!("no call #{id} in the activity log")).hint(
                "`mcpproxy activity list` shows the calls on record; a call still running \
                 is recorded when it ends",
            )
        })
}

pub async fn summary(
    State(daemon): State<Daemon>,
    Params(query): Params<ActivityQuery>,
) -> Result<Json<ActivitySummary>, ApiFailure> {
    let by = query.by.unwrap_or_default();
    if by == SummaryGroup::Unknown {
        return Err(ApiFailure::bad_request(
            "a summary groups by server, tool or outcome",
        ));
    }
    let (since, until) = (query.since, query.until);
    let durations = read(&daemon, move |store| {
        let mut groups: HashMap<String, Group> = HashMap::new();
        store.scan_activity(None, |call| {
            if query.keeps(&call) {
                let group = groups.entry(group_key(by, &call)).or_default();
                group.errors += u64::from(call.outcome != CallOutcome::Ok);
                group.durations.push(call.duration_ms);
            }
            true
        })?;
        Ok(groups)
    })
    .await?
    .unwrap_or_default();
    let mut groups: Vec<SummaryRow> = durations
        .into_iter()
        .map(|(key, group)| group.row(key))
        .collect();
    groups.sort_by(|a, b| b.calls.cmp(&a.calls).then_with(|| a.key.cmp(&b.key)));
    Ok(Json(ActivitySummary {
        by,
        since,
        until,
        groups,
    }))
}

#[derive(Debug, Default)]
struct Group {
    errors: u64,
    durations: Vec<Option<u64>>,
}

impl Group {
    fn row(self, key: String) -> SummaryRow {
        let calls = self.durations.len() as u64;
        let mut durations: Vec<u64> = self.durations.into_iter().flatten().collect();
        durations.sort_unstable();
        SummaryRow {
            key,
            calls,
            errors: self.errors,
            p50_ms: percentile(&durations, 50),
            p95_ms: percentile(&durations, 95),
        }
    }
}

/// The nearest-rank percentile of sorted `values`.
fn percentile(values: &[u64], percent: usize) -> Option<u64> {
    let rank = (values.len() * percent).div_ceil(100).max(1);
    values.get(rank - 1).copied()
}

fn group_key(by: SummaryGroup, call: &Activity) -> String {
    match by {
        SummaryGroup::Server | SummaryGroup::Unknown => call.server.clone(),
        SummaryGroup::Tool => format!("{}:{}", call.server, call.tool),
        SummaryGroup::Outcome => serde_json::to_value(call.outcome)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
    }
}

/// The longest a read waits for the calls recorded before it to be committed.
const COMMIT_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Runs `read` on the store off the runtime (it reads a database file); `None` for a daemon
/// without an activity log.
async fn read<T: Send + 'static>(
    daemon: &Daemon,
    read: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
) -> Result<Option<T>, ApiFailure> {
    let Some(log) = daemon.activity_log() else {
        return Ok(None);
    };
    let log = log.clone();
    let read = tokio::task::spawn_blocking(move || {
        // Calls that ended just before this request are shown too; a writer stuck on the
        // disk delays the answer by this much at most, and it then shows what is there.
        log.wait_committed(COMMIT_WAIT);
        read(log.store())
    })
    .await
    .map_err(|e| ApiFailure::internal(format!("reading the activity log failed: {e}")))?;
    read.map(Some).map_err(|e| {
        let hint = e.hint();
        let mut failure = ApiFailure::internal(e.to_string());
        failure.error.hint = hint;
        failure
    })
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn percentiles_take_the_nearest_rank() {
        let values: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&values, 50), Some(50));
        assert_eq!(percentile(&values, 95), Some(95));
        assert_eq!(percentile(&[7], 95), Some(7));
        assert_eq!(percentile(&[1, 9], 50), Some(1));
        assert_eq!(percentile(&[], 50), None);
    }
}
