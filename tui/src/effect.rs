//! What `update` asks the outside world to do. The run loop performs each as a task and
//! feeds its result back as an [`crate::action::Action`]; `update` itself does no I/O.

use std::time::Duration;

use mcpproxy_daemon::client::ServerAction;
use mcpproxy_daemon::protocol::{AddServer, ReviewDecision, ToolCall};

use crate::app::logs::LogSource;

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Find the daemon and open its event stream; with `start_if_absent`, start one when
    /// none answers (only at launch, or when a person asks).
    Attach {
        start_if_absent: bool,
    },
    /// Try to attach again after `delay` (never starts a daemon).
    AttachAfter {
        delay: Duration,
    },
    Server {
        name: String,
        action: ServerAction,
    },
    Remove {
        name: String,
    },
    Add(Box<AddServer>),
    /// Start (or show again) an OAuth login to a server.
    Login {
        name: String,
    },
    /// Revoke and forget a server's OAuth tokens.
    Logout {
        name: String,
    },
    /// Open a login's URL in the person's browser, where there is one.
    OpenBrowser {
        server: String,
        url: String,
    },
    Call(ToolCall),
    /// Switch a tool of a server off (`enabled` false) or back on, in the daemon's config.
    SwitchTool {
        server: String,
        tool: String,
        enabled: bool,
    },
    FetchLog {
        source: LogSource,
        tail: usize,
    },
    /// Read what waits for review (pending servers, held items).
    FetchQuarantine,
    /// Read the newest finished calls from the activity log.
    FetchActivity,
    /// Approve (or reject) held items of a server, as long as they still have the content
    /// the person was shown.
    Review {
        server: String,
        decision: ReviewDecision,
        approve: bool,
    },
    /// Rank the tools for `query` with the daemon's tool search, after `delay`; a newer
    /// search replaces one still waiting (so typing sends one request when it pauses).
    SearchTools {
        query: String,
        limit: usize,
        delay: Duration,
    },
    /// Several at once.
    Batch(Vec<Effect>),
}

impl Effect {
    /// Joins two optional effects into one.
    pub fn and(first: Option<Self>, second: Option<Self>) -> Option<Self> {
        match (first, second) {
            (None, other) | (other, None) => other,
            (Some(Self::Batch(mut list)), Some(other)) => {
                list.push(other);
                Some(Self::Batch(list))
            }
            (Some(one), Some(other)) => Some(Self::Batch(vec![one, other])),
        }
    }
}
