//! What the tray knows of the daemon, rebuilt from its event stream: whether one is
//! attached, its servers as the last `server` events said, and how many items each server
//! has held for review.

use std::collections::BTreeMap;

use mcpproxy_daemon::protocol::{Event, ServerView, State};

/// The daemon as the tray last heard of it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TrayState {
    pub daemon: Daemon,
    /// The outcome of the last action that went wrong (no terminal emulator, a refused
    /// control call): shown on top of the menu until the next action.
    pub notice: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub enum Daemon {
    /// The tray has not heard from the socket yet.
    #[default]
    Attaching,
    /// Nothing answers on the socket; `reason` says why, as the daemon's goodbye said it
    /// when there was one.
    Down { reason: String },
    /// The tray asked for a daemon and waits for it.
    Starting,
    /// Attached: the event stream is live.
    Up(Live),
}

/// An attached daemon's state.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Live {
    pub version: String,
    pub pid: u32,
    /// By name, so the menu lists them in a stable order.
    pub servers: BTreeMap<String, ServerView>,
    /// Items the catalog gate holds back, per server (servers with none are absent).
    pub held: BTreeMap<String, usize>,
}

impl Live {
    fn from_snapshot(state: State) -> Self {
        let mut held = BTreeMap::new();
        for item in state.held {
            *held.entry(item.server).or_insert(0) += 1;
        }
        Self {
            version: state.status.version,
            pid: state.status.pid,
            servers: state
                .servers
                .into_iter()
                .map(|server| (server.name.clone(), server))
                .collect(),
            held,
        }
    }

    /// Items awaiting review, over every server.
    pub fn held_items(&self) -> usize {
        self.held.values().sum()
    }
}

impl TrayState {
    /// Takes in one event; true when what the tray shows may have changed (logs, activity
    /// and heartbeats change nothing, so they cost no D-Bus traffic).
    pub fn apply(&mut self, event: Event) -> bool {
        match event {
            Event::Snapshot(state) => {
                self.daemon = Daemon::Up(Live::from_snapshot(state));
                true
            }
            Event::Goodbye(goodbye) => {
                self.daemon = Daemon::Down {
                    reason: goodbye.message,
                };
                true
            }
            event => {
                let Daemon::Up(live) = &mut self.daemon else {
                    return false;
                };
                match event {
                    Event::Server(view) => {
                        let changed = live.servers.get(&view.name) != Some(&view);
                        live.servers.insert(view.name.clone(), view);
                        changed
                    }
                    Event::ServerRemoved { name } => {
                        live.held.remove(&name);
                        live.servers.remove(&name).is_some()
                    }
                    Event::Held { server, items } => {
                        let before = live.held.get(&server).copied().unwrap_or(0);
                        if items.is_empty() {
                            live.held.remove(&server);
                        } else {
                            live.held.insert(server, items.len());
                        }
                        before != items.len()
                    }
                    _ => false,
                }
            }
        }
    }

    /// The stream ended without a goodbye, or attaching failed.
    pub fn lost(&mut self, reason: String) {
        // A goodbye already said why; the end of its stream adds nothing.
        if !matches!(self.daemon, Daemon::Down { .. } | Daemon::Starting) {
            self.daemon = Daemon::Down { reason };
        }
    }
}
