//! Who is waiting on an upstream: the calls in flight through it, the upstream request each
//! one is, and the progress tokens they gave. The upstream's own messages that belong to a
//! call (progress, logging, and on older protocol revisions server-to-client requests such
//! as sampling and elicitation) are routed back through this table to the client whose call
//! caused them.
//!
//! How a message is tied to its call depends on what the transport tells:
//!
//! - progress names its token, which belongs to exactly one call;
//! - on streamable HTTP a server sends what belongs to a request on that request's response
//!   stream: rmcp marks the server-to-client requests that arrive there with the call's
//!   request id, and [`related`] does the same for log messages, so each reaches its own
//!   caller however many clients call the server at once;
//! - a log message may name a call's progress token in its `_meta`;
//! - anything else (a stdio or legacy-SSE server's `elicitation/create` or log message) names
//!   no call: it goes to the only client with calls in flight to the server; with several,
//!   a request is refused (and logged) and a log message stays in the server log.
//!
//! A client of the 2026-07-28 revision cannot take a server-to-client request: it is asked
//! through its call instead (an `input_required` result). Its call registers a channel for
//! such requests ([`Questions`]); the call takes them from there and hands back the answers.
//!
//! A call's progress and log messages must also reach its client *before* the call's result:
//! a client forgets a request once it has its answer, so progress that comes later is lost.
//! rmcp handles each incoming notification in a task of its own but hands a response to its
//! waiting caller directly, so the last notifications before a result can still be on their
//! way when the result is. `ArrivalOrder` closes that gap: the transport numbers these
//! notifications as they arrive ([`Ordered`]), each one counts as pending until the handler
//! is done with it, and a call waits for the ones that arrived before its result
//! ([`CallRoutes::caught_up`]).

use crate::sync::lock;
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rmcp::ErrorData;
use rmcp::model::{
    ClientResult, NumberOrString, ProgressToken, RequestId, ServerNotification, ServerRequest,
};
use rmcp::service::{
    Peer, RoleClient, RoleServer, RxJsonRpcMessage, ServiceError, TxJsonRpcMessage,
};
use rmcp::transport::Transport;
use tokio::sync::{mpsc, oneshot, watch};

pub(super) mod related;
pub use self::related::take_related_request;

/// How long a result waits for the notifications that came before it. They are normally
/// passed on within milliseconds; this only bounds the wait when a client is too slow to
/// take them, or a message waits for its call to be recorded (see [`CallRoutes::route`]).
const CATCH_UP_LIMIT: Duration = Duration::from_secs(2);

/// One downstream client: the MCP session a call came from.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Distinguishes sessions (a `Peer` has no identity of its own).
    pub session: u64,
    pub peer: Peer<RoleServer>,
    /// For a 2026-07-28 client: where its call takes the server-to-client requests it
    /// cannot receive as requests. `None`: ask the client itself.
    pub questions: Option<Questions>,
}

impl Caller {
    /// Puts the upstream's `what` request (sampling, elicitation, roots) to this client and
    /// returns its answer: through its call for a 2026-07-28 client, as a request on its
    /// session otherwise.
    pub async fn ask(&self, what: &str, request: ServerRequest) -> Result<ClientResult, ErrorData> {
        if let Some(questions) = &self.questions {
            return questions.ask(what, request).await;
        }
        self.peer.send_request(request).await.map_err(|e| match e {
            ServiceError::McpError(error) => error,
            other => ErrorData::internal_error(
                format!("the client did not answer the {what} request: {other}"),
                None,
            ),
        })
    }
}

/// A server-to-client request for a client that is asked through its call, and where its
/// answer goes.
#[derive(Debug)]
pub struct Question {
    pub request: ServerRequest,
    pub answer: oneshot::Sender<Result<ClientResult, ErrorData>>,
}

/// The sending end of a call's channel for [`Question`]s.
#[derive(Debug, Clone)]
pub struct Questions {
    sender: mpsc::UnboundedSender<Question>,
    /// The call's deadline: no answer is waited for beyond it.
    until: Instant,
}

impl Questions {
    /// A channel for the questions of a call that ends at `until`; the call keeps the
    /// receiving end.
    pub fn channel(until: Instant) -> (Self, mpsc::UnboundedReceiver<Question>) {
        let (sender, receiver) = mpsc::unbounded_channel();
        (Self { sender, until }, receiver)
    }

    /// Hands `request` to the call and waits for the client's answer, until the call's
    /// deadline. A call that has ended (its receiver or the answer's sender dropped, as when
    /// the client never came back) is a clean refusal the server can handle.
    async fn ask(&self, what: &str, request: ServerRequest) -> Result<ClientResult, ErrorData> {
        let (answer, answered) = oneshot::channel();
        let gone = || {
            ErrorData::internal_error(
                format!("the client's call ended before it answered the {what} request"),
                None,
            )
        };
        self.sender
            .send(Question { request, answer })
            .map_err(|_| gone())?;
        match tokio::time::timeout_at(self.until.into(), answered).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(_)) => Err(gone()),
            Err(_) => Err(ErrorData::internal_error(
                format!("the client did not answer the {what} request in time"),
                None,
            )),
        }
    }
}

#[derive(Debug, Default)]
pub struct CallRoutes {
    next: AtomicU64,
    calls: Mutex<HashMap<u64, Caller>>,
    /// Upstream-side progress token → the caller and the token it chose.
    progress: Mutex<HashMap<String, (Caller, ProgressToken)>>,
    /// Upstream request id of each call's `tools/call` → the call.
    requests: Mutex<HashMap<String, u64>>,
    /// Bumped whenever a call records its request id, for a message that named a request
    /// before the call that sent it had recorded it.
    recorded: watch::Sender<u64>,
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

/// A registered call; unregisters on drop. It owns its share of the routes, so a call can
/// outlive the request handler that began it (a 2026-07-28 client's call waits between
/// rounds).
#[derive(Debug)]
pub struct CallTicket {
    routes: Arc<CallRoutes>,
    id: u64,
    upstream_token: Option<String>,
    upstream_request: Option<String>,
}

impl CallTicket {
    /// Records that the call went upstream as request `request`, so what the server sends
    /// about that request reaches this call's client. A call sent again (another round) is
    /// a new request; the old one is done.
    pub fn sent(&mut self, request: &RequestId) {
        let key = id_key(request);
        {
            let mut requests = lock(&self.routes.requests);
            requests.insert(key.clone(), self.id);
            if let Some(old) = self.upstream_request.replace(key.clone())
                && old != key
            {
                requests.remove(&old);
            }
        }
        self.routes.recorded.send_modify(|count| *count += 1);
    }

    /// Routes the upstream's progress for this call (rmcp gives every request a token of its
    /// own) back to the caller under the token the caller chose.
    pub fn forward_progress(&mut self, upstream: &ProgressToken, client: ProgressToken) {
        let key = token_key(upstream);
        let caller = lock(&self.routes.calls).get(&self.id).cloned();
        if let Some(caller) = caller {
            let mut progress = lock(&self.routes.progress);
            progress.insert(key.clone(), (caller, client));
            // A call sent again (another round) has a new token; the old one is done.
            if let Some(old) = self.upstream_token.replace(key.clone())
                && old != key
            {
                progress.remove(&old);
            }
        }
    }

    /// Sends what belongs to this call to `session`'s `peer` from now on, keeping its
    /// questions channel: a 2026-07-28 client comes back for each round with a new request.
    /// Its progress goes nowhere until [`Self::forward_progress`] names the new token.
    pub fn rebind(&mut self, session: u64, peer: Peer<RoleServer>) {
        if let Some(caller) = lock(&self.routes.calls).get_mut(&self.id) {
            caller.session = session;
            caller.peer = peer;
        }
        if let Some(token) = self.upstream_token.take() {
            lock(&self.routes.progress).remove(&token);
        }
    }
}

impl Drop for CallTicket {
    fn drop(&mut self) {
        lock(&self.routes.calls).remove(&self.id);
        if let Some(token) = &self.upstream_token {
            lock(&self.routes.progress).remove(token);
        }
        if let Some(request) = &self.upstream_request {
            lock(&self.routes.requests).remove(request);
        }
    }
}

fn token_key(token: &ProgressToken) -> String {
    id_key(&token.0)
}

/// A request id or progress token as a map key. A number and the string of its digits are
/// one key: the daemon numbers its own requests, so they never meet.
fn id_key(id: &NumberOrString) -> String {
    match id {
        NumberOrString::String(s) => s.to_string(),
        NumberOrString::Number(n) => n.to_string(),
    }
}

/// Where a message from the upstream goes.
#[derive(Debug)]
pub enum Route {
    /// To this client: the message names its call, or it is the only one calling.
    To(Caller),
    /// The message belongs to a request that is no call in flight (it ended, or was no
    /// `tools/call`): to nobody.
    Stale,
    /// The message names no call, and the callers cannot be told apart.
    Unknown(RouteError),
}

impl CallRoutes {
    /// Registers a call from `caller` until the ticket is dropped.
    pub fn begin(self: &Arc<Self>, caller: Caller) -> CallTicket {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        lock(&self.calls).insert(id, caller);
        CallTicket {
            routes: Arc::clone(self),
            id,
            upstream_token: None,
            upstream_request: None,
        }
    }

    /// The caller whose call went upstream as request `request`.
    pub fn caller_of(&self, request: &RequestId) -> Option<Caller> {
        let call = *lock(&self.requests).get(&id_key(request))?;
        lock(&self.calls).get(&call).cloned()
    }

    /// Where a message goes that the transport tied to upstream request `related` (if it
    /// did) or that names progress token `token` (if it does): that call's client; without
    /// either, the only client calling.
    ///
    /// A call records its request id just after sending it, so a message about the request
    /// can, rarely, come first: one that names an unknown request waits up to `grace` for it.
    pub async fn route(
        &self,
        related: Option<&RequestId>,
        token: Option<&ProgressToken>,
        grace: Duration,
    ) -> Route {
        if let Some(request) = related {
            let mut recorded = self.recorded.subscribe();
            let until = tokio::time::Instant::now() + grace;
            loop {
                if let Some(caller) = self.caller_of(request) {
                    return Route::To(caller);
                }
                match tokio::time::timeout_at(until, recorded.changed()).await {
                    Ok(Ok(())) => {}
                    _ => return Route::Stale,
                }
            }
        }
        if let Some((caller, _)) =
            token.and_then(|t| lock(&self.progress).get(&token_key(t)).cloned())
        {
            return Route::To(caller);
        }
        match self.sole_caller() {
            Ok(caller) => Route::To(caller),
            Err(error) => Route::Unknown(error),
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

    /// The one client with calls in flight, for a request that names no call. (A
    /// 2026-07-28 client has a session of its own for each request, so for one of those
    /// this is also the one call.)
    pub fn sole_caller(&self) -> Result<Caller, RouteError> {
        let calls = lock(&self.calls);
        let mut callers = calls.values();
        let Some(first) = callers.next() else {
            return Err(RouteError::NoCaller);
        };
        let mut sessions = vec![first.session];
        for caller in callers {
            if !sessions.contains(&caller.session) {
                sessions.push(caller.session);
            }
        }
        match sessions.len() {
            1 => Ok(first.clone()),
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
pub struct Arrival {
    _pending_until_dropped: Arc<ArrivalGuard>,
}

impl Arrival {
    /// Waits until every notification that arrived before this one has been passed on, so
    /// a client hears them in the order the server sent them (rmcp hands each to a task of
    /// its own, and tasks may run in any order). A notification stuck with a slow client
    /// holds the ones behind it for at most [`CATCH_UP_LIMIT`].
    pub async fn wait_turn(&self) {
        let guard = &self._pending_until_dropped;
        let mut state = guard.order.state.subscribe();
        let own = guard.number;
        let turn = state.wait_for(|arrivals| arrivals.pending.first().is_none_or(|&n| n >= own));
        let _ = tokio::time::timeout(CATCH_UP_LIMIT, turn).await;
    }
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
    async fn a_notification_waits_for_the_ones_that_arrived_before_it() {
        let order = Arc::new(ArrivalOrder::default());
        let first = order.arrive();
        let second = order.arrive();
        let mut waiting = pin!(second.wait_turn());
        assert!(waiting.as_mut().now_or_never().is_none());
        drop(first);
        assert!(waiting.now_or_never().is_some());
    }

    #[tokio::test]
    async fn nothing_pending_means_no_wait() {
        let order = Arc::new(ArrivalOrder::default());
        drop(order.arrive());
        assert!(order.caught_up().now_or_never().is_some());
    }
}
