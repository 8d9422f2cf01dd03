//! What happens inside the daemon, as its parts tell each other: the internal event bus.
//!
//! These events are not the wire contract. The control API maps them to
//! [`crate::protocol::Event`] at its edge (`api/events.rs`), so a part can say more, less or
//! something else here without a protocol change.

use std::path::PathBuf;

use tokio::sync::broadcast;

use crate::gate::CatalogChange;
use crate::index::IndexProgress;
use crate::protocol::{Activity, ConfigProblem, LogLine, OAuthEvent, ServerView};

/// How many events a slow subscriber may fall behind before it is told it lagged.
const BUS_CAPACITY: usize = 4096;

#[derive(Debug, Clone)]
pub enum DaemonEvent {
    /// A server's state or settings changed.
    Server(ServerView),
    /// A server left the config; its supervisor is stopping.
    ServerRemoved { name: String },
    /// What a server serves changed after the catalog gate: its tools, prompts or resources,
    /// or what the gate holds.
    Catalog {
        server: String,
        change: CatalogChange,
    },
    /// A line was written to a server's log (or the daemon's, with `server: None`).
    Log(LogLine),
    /// A tool call started or ended.
    Activity(Activity),
    /// A server's login changed (needed, started, done, refreshed, failed, logged out).
    OAuth(OAuthEvent),
    /// The config file was read and applied.
    ConfigApplied { path: PathBuf },
    /// The config file changed but was refused; the last good one keeps running.
    ConfigRefused { problems: Vec<ConfigProblem> },
    /// Tool search made vectors, or its tools changed.
    ToolsIndexed(IndexProgress),
}

/// The sending side of the bus; cheap to clone. Sending never blocks and never fails: with
/// no subscriber an event is dropped.
#[derive(Debug, Clone)]
pub struct EventBus(broadcast::Sender<DaemonEvent>);

impl Default for EventBus {
    fn default() -> Self {
        Self(broadcast::channel(BUS_CAPACITY).0)
    }
}

impl EventBus {
    pub fn emit(&self, event: DaemonEvent) {
        let _ = self.0.send(event);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<DaemonEvent> {
        self.0.subscribe()
    }
}
