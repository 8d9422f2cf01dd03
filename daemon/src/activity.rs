//! Activity of tool calls, whichever door they came through (the MCP surfaces, the REST
//! call): one `started` event, then one with the outcome, sharing an id.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use jiff::Timestamp;

use crate::daemon::Daemon;
use crate::events::DaemonEvent;
use crate::protocol::{Activity, CallOutcome, CallVariant};
use crate::upstream::call::CallError;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Makes new call ids follow `last` (the highest in the activity log), so ids stay unique
/// across restarts.
pub fn continue_ids_after(last: u64) {
    NEXT_ID.fetch_max(last.saturating_add(1), Ordering::Relaxed);
}

/// A call in progress; [`CallRecord::answered`], [`CallRecord::failed`] or
/// [`CallRecord::ended`] emits its end.
#[derive(Debug)]
pub struct CallRecord {
    daemon: Daemon,
    activity: Activity,
    started: Instant,
}

impl CallRecord {
    pub fn start(
        daemon: &Daemon,
        client: Option<String>,
        server: &str,
        tool: &str,
        variant: CallVariant,
        arguments: Option<&serde_json::Map<String, serde_json::Value>>,
    ) -> Self {
        let activity = Activity {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            at: Timestamp::now(),
            client,
            server: server.to_owned(),
            tool: tool.to_owned(),
            variant,
            outcome: CallOutcome::Started,
            duration_ms: None,
            bytes_in: arguments.map_or(0, json_size),
            bytes_out: 0,
            error: None,
        };
        daemon.emit(DaemonEvent::Activity(activity.clone()));
        Self {
            daemon: daemon.clone(),
            activity,
            started: Instant::now(),
        }
    }

    /// Ends a call the tool answered; `is_error` is the tool's own verdict on its result.
    pub fn answered(self, result: &impl serde::Serialize, is_error: bool) {
        let outcome = if is_error {
            CallOutcome::ToolError
        } else {
            CallOutcome::Ok
        };
        self.finish(outcome, json_size(result), None);
    }

    /// Ends a call that never reached the tool, or whose upstream failed it.
    pub fn failed(self, error: &CallError) {
        self.finish(error.outcome(), 0, Some(error.to_string()));
    }

    /// Ends a call with no result to measure.
    pub fn ended(self, outcome: CallOutcome, error: Option<String>) {
        self.finish(outcome, 0, error);
    }

    fn finish(mut self, outcome: CallOutcome, bytes_out: u64, error: Option<String>) {
        self.activity.at = Timestamp::now();
        self.activity.outcome = outcome;
        self.activity.duration_ms =
            Some(u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX));
        self.activity.bytes_out = bytes_out;
        self.activity.error = error.map(crate::redact::masked);
        if let Some(log) = self.daemon.activity_log() {
            log.record(self.activity.clone());
        }
        self.daemon.emit(DaemonEvent::Activity(self.activity));
    }
}

/// The size of `value` as JSON, counted without building the text.
fn json_size(value: &impl serde::Serialize) -> u64 {
    struct Counter(u64);
    impl std::io::Write for Counter {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len() as u64;
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    match serde_json::to_writer(&mut counter, value) {
        Ok(()) => counter.0,
        Err(_) => 0,
    }
}
