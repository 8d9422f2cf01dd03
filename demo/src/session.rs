//! What belongs to one MCP session of the demo server (one stdio connection, one HTTP
//! session): the log level the client chose and the resources it subscribed to, with the
//! task that tells it about updates of the watched resource.

// Logging is deprecated by SEP-2577 but still part of every protocol version this server
// speaks, and the conformance suite checks it.
#![allow(deprecated)]

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};

use rmcp::Peer;
use rmcp::model::{LoggingLevel, ResourceUpdatedNotificationParam};
use rmcp::service::{RequestContext, RoleServer};
use tokio::sync::watch;
use tokio_util::sync::{CancellationToken, DropGuard};

use super::lock;
use super::registry::is_stateless_era;

/// The level a session logs at until the client sends `logging/setLevel`: what a tool
/// reports as it goes, without its debug detail.
const DEFAULT_LOG_LEVEL: LoggingLevel = LoggingLevel::Info;

pub(crate) struct Session {
    /// The level the client chose with `logging/setLevel`.
    log_level: Mutex<LoggingLevel>,
    /// The resource URIs the client subscribed to (`resources/subscribe`).
    subscriptions: Mutex<BTreeSet<String>>,
    /// Whether a task already forwards resource updates to this session.
    forwarding_updates: AtomicBool,
    /// Cancelled when the session ends (its last server clone is dropped), which stops the
    /// forwarding task.
    ended: CancellationToken,
    _end_on_drop: DropGuard,
}

impl Session {
    pub fn new() -> Self {
        let ended = CancellationToken::new();
        Self {
            log_level: Mutex::new(DEFAULT_LOG_LEVEL),
            subscriptions: Mutex::new(BTreeSet::new()),
            forwarding_updates: AtomicBool::new(false),
            _end_on_drop: ended.clone().drop_guard(),
            ended,
        }
    }

    pub fn set_log_level(&self, level: LoggingLevel) {
        *lock(&self.log_level) = level;
    }

    /// Whether a message at `level` should reach the client of `context`: at least the
    /// session's `logging/setLevel` up to 2025-11-25, at least the request's `logLevel` from
    /// 2026-07-28 (no `logLevel`, no messages, as SEP-2575 has it).
    pub fn lets_through(&self, level: LoggingLevel, context: &RequestContext<RoleServer>) -> bool {
        let threshold = if is_stateless_era(context) {
            context.meta.log_level()
        } else {
            Some(*lock(&self.log_level))
        };
        threshold.is_some_and(|threshold| severity(level) >= severity(threshold))
    }

    pub fn subscribe(&self, uri: String) {
        lock(&self.subscriptions).insert(uri);
    }

    pub fn unsubscribe(&self, uri: &str) {
        lock(&self.subscriptions).remove(uri);
    }

    fn is_subscribed(&self, uri: &str) -> bool {
        lock(&self.subscriptions).contains(uri)
    }

    /// Starts the task that sends this session's client `notifications/resources/updated`
    /// for `uri` on every change seen on `changes`, while the client is subscribed to it;
    /// once per session, ending with the session.
    pub fn forward_updates<T: Send + Sync + 'static>(
        self: &Arc<Self>,
        uri: &'static str,
        mut changes: watch::Receiver<T>,
        peer: Peer<RoleServer>,
    ) {
        if self.forwarding_updates.swap(true, Ordering::SeqCst) {
            return;
        }
        changes.mark_unchanged();
        // Weak, so the task does not keep the session alive: the session ending (its last
        // clone dropped) cancels `ended` and stops the task.
        let session: Weak<Session> = Arc::downgrade(self);
        let ended = self.ended.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = ended.cancelled() => return,
                    changed = changes.changed() => if changed.is_err() { return },
                }
                let Some(session) = session.upgrade() else {
                    return;
                };
                if !session.is_subscribed(uri) {
                    continue;
                }
                let update = ResourceUpdatedNotificationParam::new(uri);
                if let Err(error) = peer.notify_resource_updated(update).await {
                    tracing::debug!(%error, "cannot send notifications/resources/updated");
                    return;
                }
            }
        });
    }
}

/// Orders log levels from `debug` (0) to `emergency` (7), as RFC 5424 does in reverse.
fn severity(level: LoggingLevel) -> u8 {
    match level {
        LoggingLevel::Debug => 0,
        LoggingLevel::Info => 1,
        LoggingLevel::Notice => 2,
        LoggingLevel::Warning => 3,
        LoggingLevel::Error => 4,
        LoggingLevel::Critical => 5,
        LoggingLevel::Alert => 6,
        LoggingLevel::Emergency => 7,
    }
}
