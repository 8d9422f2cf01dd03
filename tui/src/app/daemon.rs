//! What the TUI knows of the daemon: the last snapshot with every delta applied since, and
//! where the connection to it stands.

use std::collections::BTreeMap;

use jiff::Timestamp;
use mcpproxy_daemon::protocol::{
    ConfigProblem, HeldItem, ItemKind, SWITCHES_STAGE, ServerState, ServerView, State, Status,
    ToolView,
};

/// The daemon's state as the event stream told it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DaemonModel {
    pub status: Option<Status>,
    pub servers: BTreeMap<String, ServerView>,
    /// Tools agents can see, by server.
    pub tools: BTreeMap<String, Vec<ToolView>>,
    pub held: BTreeMap<String, Vec<HeldItem>>,
    /// The tools a person switched off, as rows for the tools screen (from `held`).
    pub switched_off: Vec<ToolView>,
    /// Why the config file on disk is not the one running (empty when they agree).
    pub config_problems: Vec<ConfigProblem>,
}

/// Counts for the status line, from the servers as they are now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub total: usize,
    pub ready: usize,
    pub failing: usize,
    pub quarantined: usize,
}

impl DaemonModel {
    /// Rebuilds everything from a snapshot.
    pub fn reset(&mut self, state: State) {
        self.config_problems = state.status.config_problems.clone();
        self.status = Some(state.status);
        self.servers = state
            .servers
            .into_iter()
            .map(|s| (s.name.clone(), s))
            .collect();
        self.tools.clear();
        for tool in state.tools {
            self.tools
                .entry(tool.server.clone())
                .or_default()
                .push(tool);
        }
        self.held.clear();
        for item in state.held {
            self.held.entry(item.server.clone()).or_default().push(item);
        }
        self.list_switched_off();
    }

    pub fn remove_server(&mut self, name: &str) {
        self.servers.remove(name);
        self.tools.remove(name);
        self.held.remove(name);
        self.list_switched_off();
    }

    pub fn set_tools(&mut self, server: String, tools: Vec<ToolView>) {
        if tools.is_empty() {
            self.tools.remove(&server);
        } else {
            self.tools.insert(server, tools);
        }
    }

    pub fn set_held(&mut self, server: String, items: Vec<HeldItem>) {
        if items.is_empty() {
            self.held.remove(&server);
        } else {
            self.held.insert(server, items);
        }
        self.list_switched_off();
    }

    fn list_switched_off(&mut self) {
        self.switched_off = self
            .held
            .values()
            .flatten()
            .filter(|item| item.kind == ItemKind::Tool && item.stage == SWITCHES_STAGE)
            .map(|item| ToolView {
                id: format!("{}:{}", item.server, item.name),
                server: item.server.clone(),
                name: item.name.clone(),
                title: None,
                description: item.reason.clone(),
                input_schema: serde_json::json!({"type": "object"}),
                output_schema: None,
                annotations: mcpproxy_daemon::protocol::ToolHints::default(),
            })
            .collect();
    }

    /// Whether a row of the tools screen is a tool a person switched off.
    pub fn is_switched_off(&self, tool: &ToolView) -> bool {
        self.switched_off.iter().any(|off| off.id == tool.id)
    }

    /// The tools screen's rows: what agents see, then what a person switched off.
    pub fn listed_tools(&self) -> impl Iterator<Item = &ToolView> {
        self.all_tools().chain(&self.switched_off)
    }

    pub fn all_tools(&self) -> impl Iterator<Item = &ToolView> {
        self.tools.values().flatten()
    }

    pub fn tool(&self, id: &str) -> Option<&ToolView> {
        self.all_tools().find(|t| t.id == id)
    }

    pub fn counts(&self) -> Counts {
        let servers = self.servers.values();
        let count =
            |pred: &dyn Fn(&ServerView) -> bool| servers.clone().filter(|s| pred(s)).count();
        Counts {
            total: self.servers.len(),
            ready: count(&|s| s.state == ServerState::Ready),
            failing: count(&|s| s.state.is_failing()),
            quarantined: count(&|s| s.quarantined),
        }
    }
}

/// Where the TUI's link to the daemon stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Connection {
    /// Looking for the daemon (at launch: starting one if none answers).
    Connecting { starting: bool },
    /// Attached: events flow.
    Attached,
    /// The connection ended without a goodbye, or the daemon said it comes back
    /// (restart, replaced): re-attaching by itself.
    Reattaching {
        attempt: u32,
        next_at: Timestamp,
        /// Why the connection ended.
        reason: String,
        /// Why the last attempt failed.
        last_attempt: Option<String>,
        starting: bool,
    },
    /// The daemon was stopped on purpose: nothing comes back by itself, but a person may
    /// start a new one.
    Stopped { message: String, starting: bool },
    /// The daemon speaks another version of the control API.
    Mismatch {
        daemon_version: String,
        daemon_protocol: u32,
        client_protocol: u32,
    },
    /// Starting a daemon failed.
    StartFailed {
        message: String,
        hint: Option<String>,
    },
}

impl Connection {
    pub fn is_attached(&self) -> bool {
        matches!(self, Self::Attached)
    }

    /// True while a daemon start this TUI asked for is under way.
    pub fn is_starting(&self) -> bool {
        matches!(
            self,
            Self::Connecting { starting: true }
                | Self::Reattaching { starting: true, .. }
                | Self::Stopped { starting: true, .. }
        )
    }
}
