//! Activity of tool calls, whichever door they came through (the MCP surfaces, the REST
//! call): one `started` event, then one with the outcome, sharing an id. The finished call
//! goes to the activity log before the door sends its response: every door ends its
//! [`CallRecord`] before it returns. A call whose handler is dropped (its client went away)
//! ends `cancelled`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use jiff::Timestamp;

use crate::daemon::Daemon;
use crate::events::DaemonEvent;
use crate::protocol::{Activity, CallOutcome, CallVariant, PREVIEW_CUT};
use crate::security::secrets::redact_json;
use crate::upstream::call::CallError;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Makes new call ids follow `last` (the highest in the activity log), so ids stay unique
/// across restarts.
pub fn continue_ids_after(last: u64) {
    NEXT_ID.fetch_max(last.saturating_add(1), Ordering::Relaxed);
}

/// How much of the arguments and of the result a record shows, as JSON text.
const PREVIEW_BYTES: usize = 1024;
/// How much of a value is redacted before its preview is cut: far more than the preview
/// shows, so that what redaction shortens never pulls an unredacted piece into view, and
/// little enough that a large result costs no more than a small one.
const PRUNED_BYTES: usize = 16 * 1024;

/// A call in progress; [`CallRecord::answered`], [`CallRecord::failed`] or
/// [`CallRecord::ended`] emits its end, and dropping it unended ends it `cancelled`.
#[derive(Debug)]
pub struct CallRecord {
    daemon: Daemon,
    activity: Activity,
    started: Instant,
    /// Whether the previews are made: only for the activity log.
    previews: bool,
    finished: bool,
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
        let previews = daemon
            .activity_log()
            .is_some_and(crate::store::ActivityLog::is_recording);
        let activity = Activity {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            at: Timestamp::now(),
            client,
            server: server.to_owned(),
            // A tool name is the caller's text: a secret pasted into it is masked like any.
            tool: crate::redact::mask_secrets(tool).into_owned(),
            variant,
            outcome: CallOutcome::Started,
            duration_ms: None,
            bytes_in: arguments.map_or(0, json_size),
            bytes_out: 0,
            error: None,
            arguments: arguments.filter(|_| previews).and_then(preview),
            result: None,
        };
        daemon.emit(DaemonEvent::Activity(activity.clone()));
        Self {
            daemon: daemon.clone(),
            activity,
            started: Instant::now(),
            previews,
            finished: false,
        }
    }

    /// Ends a call the tool answered; `is_error` is the tool's own verdict on its result.
    pub fn answered(mut self, result: &impl serde::Serialize, is_error: bool) {
        let outcome = if is_error {
            CallOutcome::ToolError
        } else {
            CallOutcome::Ok
        };
        if self.previews {
            self.activity.result = preview(result);
        }
        self.finish(outcome, json_size(result), None);
    }

    /// Ends a call that never reached the tool, or whose upstream failed it.
    pub fn failed(mut self, error: &CallError) {
        self.finish(error.outcome(), 0, Some(error.to_string()));
    }

    /// Ends a call with no result to measure.
    pub fn ended(mut self, outcome: CallOutcome, error: Option<String>) {
        self.finish(outcome, 0, error);
    }

    fn finish(&mut self, outcome: CallOutcome, bytes_out: u64, error: Option<String>) {
        self.finished = true;
        self.activity.at = Timestamp::now();
        self.activity.outcome = outcome;
        self.activity.duration_ms =
            Some(u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX));
        self.activity.bytes_out = bytes_out;
        self.activity.error = error.map(crate::redact::masked);
        if let Some(log) = self.daemon.activity_log() {
            log.record(self.activity.clone());
        }
        self.daemon
            .emit(DaemonEvent::Activity(self.activity.clone()));
    }
}

impl Drop for CallRecord {
    /// The handler stopped before the call ended: its client went away.
    fn drop(&mut self) {
        if !self.finished {
            self.finish(CallOutcome::Cancelled, 0, None);
        }
    }
}

/// `value` as JSON text, secrets redacted, cut after [`PREVIEW_BYTES`].
fn preview(value: &impl serde::Serialize) -> Option<String> {
    let mut value = serde_json::to_value(value).ok()?;
    let mut budget = PRUNED_BYTES;
    prune(&mut value, &mut budget);
    redact_json(&mut value);
    let mut text = serde_json::to_string(&value).ok()?;
    if text.len() > PREVIEW_BYTES {
        let mut end = PREVIEW_BYTES;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push_str(PREVIEW_CUT);
    }
    Some(text)
}

/// Cuts `value` down to about `budget` bytes of text, in the order it is written: long
/// strings are shortened, and items past the budget dropped.
fn prune(value: &mut serde_json::Value, budget: &mut usize) {
    use serde_json::Value;
    match value {
        Value::String(text) => {
            if text.len() > *budget {
                let mut end = *budget;
                while !text.is_char_boundary(end) {
                    end -= 1;
                }
                text.truncate(end);
            }
            *budget = budget.saturating_sub(text.len());
        }
        Value::Array(items) => {
            let mut kept = 0;
            for item in items.iter_mut() {
                if *budget == 0 {
                    break;
                }
                prune(item, budget);
                kept += 1;
            }
            items.truncate(kept);
        }
        Value::Object(map) => {
            let mut gone = Vec::new();
            for (key, item) in map.iter_mut() {
                if *budget == 0 {
                    gone.push(key.clone());
                    continue;
                }
                *budget = budget.saturating_sub(key.len());
                prune(item, budget);
            }
            for key in gone {
                map.remove(&key);
            }
        }
        _ => *budget = budget.saturating_sub(8),
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_small_value_is_shown_whole_with_its_secrets_redacted() {
        let key = format!("{}{}", "AKIA", "Z7Q3XW5RTY2UOPL4");
        let shown = preview(&json!({"message": format!("use {key}"), "n": 3})).unwrap();
        assert_eq!(
            shown,
            r#"{"message":"use [redacted aws_access_key]","n":3}"#
        );
    }

    #[test]
    fn a_large_value_is_cut_after_a_kib_and_says_so() {
        let items: Vec<String> = (0..10_000).map(|i| format!("item {i}")).collect();
        let shown = preview(&json!({"items": items, "text": "x".repeat(100_000)})).unwrap();
        assert!(shown.ends_with(PREVIEW_CUT), "{shown}");
        assert!(
            shown.len() <= PREVIEW_BYTES + PREVIEW_CUT.len(),
            "{}",
            shown.len()
        );
        assert!(
            shown.starts_with(r#"{"items":["item 0","item 1""#),
            "{shown}"
        );
    }

    #[test]
    fn a_secret_across_the_cut_is_redacted_whole() {
        // A private key that begins inside the preview and ends well after it.
        let body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQ".repeat(80);
        let pem = format!("-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----");
        let shown = preview(&json!({"before": "a".repeat(900), "key": pem})).unwrap();
        assert!(!shown.contains("MIIEvQ"), "{shown}");
        assert!(shown.contains("[redacted private_key]"), "{shown}");
    }

    #[test]
    fn pruning_keeps_the_start_of_a_value_in_order() {
        let mut value = json!({"a": "x".repeat(20), "b": [1, 2, 3], "c": "late"});
        prune(&mut value, &mut 30);
        assert_eq!(value, json!({"a": "x".repeat(20), "b": [1]}));
    }
}
