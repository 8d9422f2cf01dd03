//! Activity events for tool calls: one `started` event, then one with the outcome, sharing
//! an id. (The security-store issue persists them; today they feed the live event stream.)

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use jiff::Timestamp;

use crate::daemon::Daemon;
use crate::protocol::{Activity, CallOutcome, CallVariant, Event};

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A call in progress; [`CallRecord::finish`] emits its end.
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
        daemon.emit(Event::Activity(activity.clone()));
        Self {
            daemon: daemon.clone(),
            activity,
            started: Instant::now(),
        }
    }

    pub fn finish(
        mut self,
        outcome: CallOutcome,
        result: Option<&impl serde::Serialize>,
        error: Option<String>,
    ) {
        self.activity.at = Timestamp::now();
        self.activity.outcome = outcome;
        self.activity.duration_ms =
            Some(u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX));
        self.activity.bytes_out = result.map_or(0, json_size);
        self.activity.error = error;
        self.daemon.emit(Event::Activity(self.activity));
    }
}

fn json_size(value: &impl serde::Serialize) -> u64 {
    serde_json::to_vec(value).map_or(0, |bytes| bytes.len() as u64)
}
