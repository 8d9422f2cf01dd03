//! Tool calls as the event stream reports them: each call's `started` event, then its
//! outcome under the same id. The newest calls are kept, in a ring of bounded size.

use std::collections::VecDeque;

use jiff::{SignedDuration, Timestamp};
use mcpproxy_daemon::protocol::{Activity, CallOutcome};

/// Calls kept.
pub const ACTIVITY_CAPACITY: usize = 2_000;

#[derive(Debug, Clone, PartialEq)]
pub struct ActivityLog {
    pub calls: VecDeque<Activity>,
    pub capacity: usize,
}

impl Default for ActivityLog {
    fn default() -> Self {
        Self {
            calls: VecDeque::new(),
            capacity: ACTIVITY_CAPACITY,
        }
    }
}

impl ActivityLog {
    /// A call started or ended: a known id is updated in place (the start time stays).
    pub fn record(&mut self, call: Activity) {
        // The outcome follows the start closely: look from the newest end.
        if let Some(known) = self.calls.iter_mut().rev().find(|c| c.id == call.id) {
            let started = known.at;
            *known = call;
            known.at = started.min(known.at);
            return;
        }
        if self.calls.len() == self.capacity {
            self.calls.pop_front();
        }
        self.calls.push_back(call);
    }

    /// Merges calls read from the activity log (all finished): a call the stream reported
    /// as running takes its recorded end; the ring stays in id order, newest kept.
    pub fn history(&mut self, calls: Vec<Activity>) {
        let mut stored: std::collections::HashMap<u64, Activity> =
            calls.into_iter().map(|c| (c.id, c)).collect();
        let mut merged: Vec<Activity> = self
            .calls
            .drain(..)
            .map(|live| match stored.remove(&live.id) {
                Some(ended) if live.outcome == CallOutcome::Started => ended,
                _ => live,
            })
            .collect();
        merged.extend(stored.into_values());
        merged.sort_by_key(|c| c.id);
        let skip = merged.len().saturating_sub(self.capacity);
        self.calls = merged.into_iter().skip(skip).collect();
    }

    /// Calls that ended in the minute before `now`.
    pub fn per_minute(&self, now: Timestamp) -> usize {
        let since = now - SignedDuration::from_secs(60);
        self.calls
            .iter()
            .rev()
            .take_while(|c| c.at >= since)
            .filter(|c| c.outcome != CallOutcome::Started)
            .count()
    }

    pub fn get(&self, id: u64) -> Option<&Activity> {
        self.calls.iter().rev().find(|c| c.id == id)
    }
}

#[cfg(test)]
mod tests {
    use mcpproxy_daemon::protocol::CallVariant;

    use super::*;

    fn call(id: u64, second: i64, outcome: CallOutcome) -> Activity {
        Activity {
            id,
            at: Timestamp::from_second(second).unwrap(),
            client: None,
            server: "demo".into(),
            tool: "calculate".into(),
            variant: CallVariant::Api,
            outcome,
            duration_ms: None,
            bytes_in: 10,
            bytes_out: 0,
            error: None,
            arguments: None,
            result: None,
        }
    }

    #[test]
    fn an_outcome_updates_its_call_and_counts_per_minute() {
        let mut log = ActivityLog::default();
        log.record(call(1, 100, CallOutcome::Started));
        log.record(call(2, 130, CallOutcome::Started));
        log.record(call(1, 101, CallOutcome::Ok));
        assert_eq!(log.calls.len(), 2);
        assert_eq!(
            log.get(1).map(|c| (c.outcome, c.at.as_second())),
            Some((CallOutcome::Ok, 100))
        );
        assert_eq!(log.per_minute(Timestamp::from_second(150).unwrap()), 1);
        assert_eq!(log.per_minute(Timestamp::from_second(200).unwrap()), 0);
    }

    #[test]
    fn history_fills_in_behind_the_live_calls() {
        let mut log = ActivityLog {
            capacity: 3,
            ..ActivityLog::default()
        };
        log.record(call(5, 100, CallOutcome::Started));
        log.history(vec![
            call(5, 90, CallOutcome::Cancelled),
            call(4, 90, CallOutcome::Ok),
            call(3, 80, CallOutcome::Ok),
            call(2, 70, CallOutcome::Ok),
        ]);
        let ids: Vec<(u64, CallOutcome)> = log.calls.iter().map(|c| (c.id, c.outcome)).collect();
        assert_eq!(
            ids,
            [
                (3, CallOutcome::Ok),
                (4, CallOutcome::Ok),
                (5, CallOutcome::Cancelled)
            ]
        );
    }
}
