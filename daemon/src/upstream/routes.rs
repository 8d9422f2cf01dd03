//! Who is waiting on an upstream: the calls in flight through it and the progress tokens
//! they gave. The upstream's own messages that belong to a call (progress, logging, and on
//! older protocol revisions server-to-client requests such as sampling and elicitation) are
//! routed back through this table to the client whose call caused them.
//!
//! A call's progress and log messages must also reach its client *before* the call's result:
//! a client forgets a request once it has its answer, so progress that comes later is lost.
//! rmcp handles each incoming notification in a task of its own but hands a response to its
//! waiting caller directly, so the last notifications before a result can still be on their
//! way when the result is. `ArrivalOrder` closes that gap: the transport numbers these
//! notifications as they arrive ([`Ordered`]), each one counts as pending until the handler
//! is done with it, and a call waits for the ones that arrived before its result
//! ([`CallRoutes::caught_up`]).

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmcp::model::{NumberOrString, ProgressToken, ServerNotification};
use rmcp::service::{Peer, RoleClient, RoleServer, RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::Transport;
use tokio::sync::watch;

/// How long a result waits for the notifications that came before it. They are normally
/// passed on within milliseconds; this only bounds the wait when a client is too slow to
/// take them (log messages go to every client with a call in flight).
const CATCH_UP_LIMIT: Duration = Duration::from_secs(2);

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
    /// The call notifications received and not yet passed on.
    arrivals: Arc<ArrivalOrder>,
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

    /// Waits (at most `CATCH_UP_LIMIT`) until every progress and log notification the
    /// upstream sent so far has been passed on. A call does this once it has its result, so
    /// the client hears them before the result.
    pub async fn caught_up(&self) {
        let _ = tokio::time::timeout(CATCH_UP_LIMIT, self.arrivals.caught_up()).await;
    }

    /// `transport` with this server's call notifications numbered as they arrive.
    pub fn ordered<T>(&self, transport: T) -> Ordered<T> {
        Ordered {
            inner: transport,
            arrivals: Arc::clone(&self.arrivals),
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

/// Which call notifications have arrived and which of them are still being passed on.
#[derive(Debug, Default)]
struct ArrivalOrder {
    state: watch::Sender<Arrivals>,
}

#[derive(Debug, Default)]
struct Arrivals {
    /// How many have arrived; also the number the next one gets.
    count: u64,
    /// The numbers of those not yet passed on.
    pending: BTreeSet<u64>,
}

impl ArrivalOrder {
    fn arrive(self: &Arc<Self>) -> Arrival {
        let mut number = 0;
        self.state.send_modify(|arrivals| {
            number = arrivals.count;
            arrivals.count += 1;
            arrivals.pending.insert(number);
        });
        Arrival {
            _pending_until_dropped: Arc::new(ArrivalGuard {
                order: Arc::clone(self),
                number,
            }),
        }
    }

    /// Returns once everything that had arrived when it was called has been passed on.
    async fn caught_up(&self) {
        let mut state = self.state.subscribe();
        let horizon = state.borrow().count;
        let _ = state
            .wait_for(|arrivals| arrivals.pending.first().is_none_or(|&n| n >= horizon))
            .await;
    }
}

/// Marks one call notification as pending until the last copy is dropped, which is when
/// the handler is done passing it on (or whoever else took it has dropped it). It rides in
/// the notification's extensions, which rmcp moves into the handler's context. (Extensions
/// must be `Clone`, hence the `Arc`.)
#[derive(Debug, Clone)]
struct Arrival {
    _pending_until_dropped: Arc<ArrivalGuard>,
}

#[derive(Debug)]
struct ArrivalGuard {
    order: Arc<ArrivalOrder>,
    number: u64,
}

impl Drop for ArrivalGuard {
    fn drop(&mut self) {
        let number = self.number;
        self.order.state.send_modify(|arrivals| {
            arrivals.pending.remove(&number);
        });
    }
}

/// An upstream transport that numbers the call notifications (progress, log messages) as
/// they arrive, in the order the server sent them; everything else passes untouched.
pub struct Ordered<T> {
    inner: T,
    arrivals: Arc<ArrivalOrder>,
}

impl<T: Transport<RoleClient>> Transport<RoleClient> for Ordered<T> {
    type Error = T::Error;

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleClient>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        self.inner.send(item)
    }

    async fn receive(&mut self) -> Option<RxJsonRpcMessage<RoleClient>> {
        let mut message = self.inner.receive().await?;
        if let rmcp::model::JsonRpcMessage::Notification(notification) = &mut message {
            match &mut notification.notification {
                ServerNotification::ProgressNotification(n) => {
                    n.extensions.insert(self.arrivals.arrive());
                }
                ServerNotification::LoggingMessageNotification(n) => {
                    n.extensions.insert(self.arrivals.arrive());
                }
                _ => {}
            }
        }
        Some(message)
    }

    fn close(&mut self) -> impl Future<Output = Result<(), Self::Error>> + Send {
        self.inner.close()
    }
}

/// The tables hold plain maps; a panicking holder leaves them consistent.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use std::pin::pin;

    use futures_util::FutureExt as _;

    use super::*;

    #[tokio::test]
    async fn a_result_waits_for_the_notifications_that_arrived_before_it() {
        let order = Arc::new(ArrivalOrder::default());
        let earlier = order.arrive();
        let copy_in_flight = earlier.clone();
        let mut catching_up = pin!(order.caught_up());
        assert!(catching_up.as_mut().now_or_never().is_none());

        // One that arrives after the result is not waited for.
        let later = order.arrive();
        drop(earlier);
        assert!(
            catching_up.as_mut().now_or_never().is_none(),
            "a copy of the notification is still being handled"
        );
        drop(copy_in_flight);
        assert!(catching_up.now_or_never().is_some());
        drop(later);
    }

    #[tokio::test]
    async fn nothing_pending_means_no_wait() {
        let order = Arc::new(ArrivalOrder::default());
        drop(order.arrive());
        assert!(order.caught_up().now_or_never().is_some());
    }
}
