//! Who is waiting on an upstream: the calls in flight through it and the progress tokens
//! they gave. The upstream's own messages that belong to a call (progress, logging, and on
//! older protocol revisions server-to-client requests such as sampling and elicitation) are
//! routed back through this table to the client whose call caused them.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use rmcp::model::{NumberOrString, ProgressToken};
use rmcp::service::{Peer, RoleServer};

/// One downstream client: the MCP session a call came from.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Distinguishes sessions (a `Peer` has no identity of its own).
    pub session: u64,
    pub peer: Peer<RoleServer>,
}

#[derive(Debug, Default)]
pub struct CallRoutes {
    next: AtomicU64,
    calls: Mutex<HashMap<u64, Caller>>,
    /// Upstream-side progress token → the caller and the token it chose.
    progress: Mutex<HashMap<String, (Caller, ProgressToken)>>,
}

/// Why a server-to-client request could not be routed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    #[error("no client has a call in flight to this server, so there is nobody to ask")]
    NoCaller,
    #[error("{0} clients have calls in flight to this server; the request cannot be told apart")]
    Ambiguous(usize),
}

/// A registered call; unregisters on drop.
#[derive(Debug)]
pub struct CallTicket<'a> {
    routes: &'a CallRoutes,
    id: u64,
    upstream_token: Option<String>,
}

impl CallTicket<'_> {
    /// Routes the upstream's progress for this call (rmcp gives every request a token of its
    /// own) back to the caller under the token the caller chose.
    pub fn forward_progress(&mut self, upstream: &ProgressToken, client: ProgressToken) {
        let key = token_key(upstream);
        let caller = lock(&self.routes.calls).get(&self.id).cloned();
        if let Some(caller) = caller {
            lock(&self.routes.progress).insert(key.clone(), (caller, client));
            self.upstream_token = Some(key);
        }
    }
}

impl Drop for CallTicket<'_> {
    fn drop(&mut self) {
        lock(&self.routes.calls).remove(&self.id);
        if let Some(token) = &self.upstream_token {
            lock(&self.routes.progress).remove(token);
        }
    }
}

fn token_key(token: &ProgressToken) -> String {
    match &token.0 {
        NumberOrString::String(s) => s.to_string(),
        NumberOrString::Number(n) => n.to_string(),
    }
}

impl CallRoutes {
    /// Registers a call from `caller` until the ticket is dropped.
    pub fn begin(&self, caller: Caller) -> CallTicket<'_> {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        lock(&self.calls).insert(id, caller);
        CallTicket {
            routes: self,
            id,
            upstream_token: None,
        }
    }

    /// The client and its own token for progress the upstream reported under `token`.
    pub fn progress_target(
        &self,
        token: &ProgressToken,
    ) -> Option<(Peer<RoleServer>, ProgressToken)> {
        lock(&self.progress)
            .get(&token_key(token))
            .map(|(caller, token)| (caller.peer.clone(), token.clone()))
    }

    /// The one client with calls in flight, for a request that names no call.
    pub fn sole_caller(&self) -> Result<Peer<RoleServer>, RouteError> {
        let callers = self.callers();
        match callers.len() {
            0 => Err(RouteError::NoCaller),
            1 => Ok(callers[0].clone()),
            n => Err(RouteError::Ambiguous(n)),
        }
    }

    /// One peer per client session with calls in flight.
    pub fn callers(&self) -> Vec<Peer<RoleServer>> {
        let calls = lock(&self.calls);
        let mut seen = Vec::new();
        let mut peers = Vec::new();
        for caller in calls.values() {
            if !seen.contains(&caller.session) {
                seen.push(caller.session);
                peers.push(caller.peer.clone());
            }
        }
        peers
    }
}

/// The tables hold plain maps; a panicking holder leaves them consistent.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
