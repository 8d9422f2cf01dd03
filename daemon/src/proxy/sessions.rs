//! Downstream MCP sessions, so changes upstream reach the clients that see them: a tool
//! list change on a server becomes `notifications/tools/list_changed` for the `/mcp/all`
//! sessions and that server's `/mcp/server/NAME` sessions. (Clients of 2026-07-28 get them
//! through their `subscriptions/listen` streams instead; see the surfaces' `listen`.)

use crate::sync::lock;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use rmcp::service::{Peer, RoleServer};

use crate::daemon::Daemon;
use crate::events::DaemonEvent;

/// Which endpoint a session is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Surface {
    /// `/mcp/call` (or `/mcp` in retrieve-tools mode): its tool list never changes.
    Call,
    /// `/mcp/all` (or `/mcp` in direct mode).
    All,
    /// `/mcp/server/NAME`.
    Server(String),
}

impl Surface {
    /// Whether a change on `server` changes what this surface lists.
    pub fn shows(&self, server: &str) -> bool {
        match self {
            Self::Call => false,
            Self::All => true,
            Self::Server(name) => name == server,
        }
    }
}

#[derive(Debug, Default)]
pub struct Sessions {
    next: AtomicU64,
    open: Mutex<Vec<(Surface, Peer<RoleServer>)>>,
}

impl Sessions {
    /// A fresh id for a new downstream session.
    pub fn next_id(&self) -> u64 {
        self.next.fetch_add(1, Ordering::Relaxed)
    }

    /// Remembers an initialised session that wants list-changed notifications.
    pub fn register(&self, surface: Surface, peer: Peer<RoleServer>) {
        let mut open = lock(&self.open);
        open.retain(|(_, peer)| !peer.is_transport_closed());
        open.push((surface, peer));
    }

    fn peers_showing(&self, server: &str) -> Vec<Peer<RoleServer>> {
        let mut open = lock(&self.open);
        open.retain(|(_, peer)| !peer.is_transport_closed());
        open.iter()
            .filter(|(surface, _)| surface.shows(server))
            .map(|(_, peer)| peer.clone())
            .collect()
    }
}

/// The server whose tool list an event changes, if it does.
fn tools_changed(event: &DaemonEvent) -> Option<&str> {
    match event {
        DaemonEvent::Catalog { server, change } if change.tools => Some(server),
        DaemonEvent::ServerRemoved { name } => Some(name),
        _ => None,
    }
}

/// Passes tool list changes on to the sessions that show them, until `stop`.
pub async fn forward_list_changes(
    daemon: Daemon,
    sessions: std::sync::Arc<Sessions>,
    stop: tokio_util::sync::CancellationToken,
) {
    let mut events = daemon.subscribe();
    loop {
        let event = tokio::select! {
            () = stop.cancelled() => return,
            event = events.recv() => event,
        };
        match event {
            Ok(event) => {
                if let Some(server) = tools_changed(&event) {
                    for peer in sessions.peers_showing(server) {
                        let _ = peer.notify_tool_list_changed().await;
                    }
                }
            }
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        }
    }
}

/// Serves one 2026-07-28 `subscriptions/listen` stream: a `tools/list_changed` notification
/// whenever a server this surface shows changes its tools, until the client hangs up.
pub async fn listen_for_tool_changes(
    daemon: &Daemon,
    surface: Surface,
    subscription: rmcp::service::SubscriptionContext,
) -> Result<(), rmcp::ErrorData> {
    let mut events = daemon.subscribe();
    loop {
        tokio::select! {
            () = subscription.cancelled() => return Ok(()),
            () = daemon.shutdown_token().cancelled() => return Ok(()),
            event = events.recv() => match event {
                Ok(event)
                    if tools_changed(&event).is_some_and(|server| surface.shows(server))
                        && subscription.sink().notify_tool_list_changed().await.is_err() =>
                {
                    return Ok(());
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return Ok(()),
                _ => {}
            },
        }
    }
}
