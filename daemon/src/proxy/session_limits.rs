//! A bound on live MCP sessions, and idle expiry.
//!
//! Each 2025-11-25 session costs the daemon a session worker, a handler and their channels
//! (tens of KiB) for as long as it lives, and an `initialize` with nothing after it creates
//! one. So every surface's sessions are counted in one [`SessionTable`]:
//!
//! - at most `limits.mcp_sessions` live at once: a new session first closes the least
//!   recently used idle one; when none is idle the `initialize` is refused with 503 and a
//!   JSON-RPC error (see [`admit`]);
//! - a session is idle while no request of its is in flight and no stream of its is open; one
//!   idle for `limits.mcp_session_idle` is closed. A client holding its GET stream open is not
//!   idle, however quiet.
//!
//! [`BoundedSessions`] wraps rmcp's `LocalSessionManager` to keep the table up to date;
//! rmcp's own idle timeout is off, because it would also end sessions whose stream is open.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use futures_util::Stream;
use rmcp::model::{ClientJsonRpcMessage, ServerJsonRpcMessage};
use rmcp::transport::streamable_http_server::session::local::{
    LocalSessionManager, LocalSessionManagerError, SessionConfig,
};
use rmcp::transport::streamable_http_server::session::{
    EventStore, ServerSseMessage, SessionId, SessionManager,
};
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use crate::sync::lock;

/// The largest request body read to see whether it is an `initialize` (rmcp's own limit).
pub const MAX_MCP_BODY: usize = 4 * 1024 * 1024;

/// The live sessions of every surface.
pub struct SessionTable {
    limit: usize,
    idle: Duration,
    state: Mutex<TableState>,
}

impl std::fmt::Debug for SessionTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionTable")
            .field("limit", &self.limit)
            .field("idle", &self.idle)
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
struct TableState {
    live: HashMap<SessionId, Entry>,
    /// `initialize` requests admitted whose session is not live yet.
    reserved: usize,
}

struct Entry {
    last_used: Instant,
    /// Requests in flight and streams open.
    busy: usize,
    /// The manager that holds it, to close it.
    manager: Weak<BoundedSessions>,
}

/// Every session is in use: the `initialize` that asked for one more is refused.
#[derive(Debug, Clone, Copy)]
pub struct Full {
    pub limit: usize,
}

impl SessionTable {
    pub fn new(limit: usize, idle: Duration) -> Arc<Self> {
        Arc::new(Self {
            limit: limit.max(1),
            idle,
            state: Mutex::new(TableState::default()),
        })
    }

    /// How many sessions are live.
    #[cfg(test)]
    fn live(&self) -> usize {
        lock(&self.state).live.len()
    }

    /// Room for one more session: below the limit there is; at it, the least recently used
    /// idle session is closed to make it. Held until the session is live.
    pub fn reserve(self: &Arc<Self>) -> Result<Reservation, Full> {
        let evicted = {
            let mut state = lock(&self.state);
            let evicted = if state.live.len() + state.reserved >= self.limit {
                let victim = state
                    .live
                    .iter()
                    .filter(|(_, entry)| entry.busy == 0)
                    .min_by_key(|(_, entry)| entry.last_used)
                    .map(|(id, _)| id.clone());
                let Some(victim) = victim else {
                    return Err(Full { limit: self.limit });
                };
                state.live.remove(&victim).map(|entry| (victim, entry))
            } else {
                None
            };
            state.reserved += 1;
            evicted
        };
        if let Some((id, entry)) = evicted {
            debug!(session = %id, "closing the least recently used idle MCP session to make room");
            close(id, entry.manager);
        }
        Ok(Reservation {
            table: Arc::clone(self),
        })
    }

    fn register(&self, id: SessionId, manager: Weak<BoundedSessions>) {
        lock(&self.state).live.insert(
            id,
            Entry {
                last_used: Instant::now(),
                busy: 0,
                manager,
            },
        );
    }

    fn forget(&self, id: &SessionId) {
        lock(&self.state).live.remove(id);
    }

    /// Marks the session in use until the returned guard is dropped.
    fn busy(self: &Arc<Self>, id: &SessionId) -> Busy {
        if let Some(entry) = lock(&self.state).live.get_mut(id) {
            entry.busy += 1;
            entry.last_used = Instant::now();
        }
        Busy {
            table: Arc::clone(self),
            id: id.clone(),
        }
    }

    fn touch(&self, id: &SessionId) {
        if let Some(entry) = lock(&self.state).live.get_mut(id) {
            entry.last_used = Instant::now();
        }
    }

    fn done(&self, id: &SessionId) {
        if let Some(entry) = lock(&self.state).live.get_mut(id) {
            entry.busy = entry.busy.saturating_sub(1);
            entry.last_used = Instant::now();
        }
    }

    /// Closes every session idle for longer than the idle limit; returns how many.
    pub fn expire_idle(&self) -> usize {
        let expired: Vec<(SessionId, Entry)> = {
            let mut state = lock(&self.state);
            let old: Vec<SessionId> = state
                .live
                .iter()
                .filter(|(_, entry)| entry.busy == 0 && entry.last_used.elapsed() >= self.idle)
                .map(|(id, _)| id.clone())
                .collect();
            old.into_iter()
                .filter_map(|id| state.live.remove(&id).map(|entry| (id, entry)))
                .collect()
        };
        let count = expired.len();
        for (id, entry) in expired {
            close(id, entry.manager);
        }
        count
    }

    /// Expires idle sessions until `stop`, looking a few times per idle period.
    pub async fn expire_idle_until(&self, stop: CancellationToken) {
        let every = (self.idle / 4).clamp(Duration::from_millis(100), Duration::from_secs(30));
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(every) => {}
            }
            let expired = self.expire_idle();
            if expired > 0 {
                debug!(expired, "closed idle MCP sessions");
            }
        }
    }
}

/// Closes a session its table no longer lists (its worker ends, and with it the handler).
fn close(id: SessionId, manager: Weak<BoundedSessions>) {
    if let Some(manager) = manager.upgrade() {
        tokio::spawn(async move {
            if let Err(e) = manager.inner.close_session(&id).await {
                warn!(session = %id, error = %e, "closing an MCP session failed");
            }
        });
    }
}

/// Room for one session, held from `initialize` until its answer.
#[must_use]
pub struct Reservation {
    table: Arc<SessionTable>,
}

impl Drop for Reservation {
    fn drop(&mut self) {
        let mut state = lock(&self.table.state);
        state.reserved = state.reserved.saturating_sub(1);
    }
}

/// A session in use: a request in flight or a stream open.
struct Busy {
    table: Arc<SessionTable>,
    id: SessionId,
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.table.done(&self.id);
    }
}

/// A response stream that keeps its session busy while it is open.
struct Tracked<S> {
    stream: Pin<Box<S>>,
    _busy: Busy,
}

impl<S: Stream> Stream for Tracked<S> {
    type Item = S::Item;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.stream.as_mut().poll_next(cx)
    }
}

/// rmcp's in-memory session manager, with its sessions counted in a [`SessionTable`].
pub struct BoundedSessions {
    inner: LocalSessionManager,
    table: Arc<SessionTable>,
    me: Weak<BoundedSessions>,
}

impl std::fmt::Debug for BoundedSessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoundedSessions").finish_non_exhaustive()
    }
}

impl BoundedSessions {
    pub fn new(table: &Arc<SessionTable>) -> Arc<Self> {
        let mut inner = LocalSessionManager::default();
        let mut config = SessionConfig::default();
        // Idle expiry is the table's: it knows a session whose stream is open is in use.
        config.keep_alive = None;
        inner.session_config = config;
        Arc::new_cyclic(|me| Self {
            inner,
            table: Arc::clone(table),
            me: me.clone(),
        })
    }
}

impl SessionManager for BoundedSessions {
    type Error = LocalSessionManagerError;
    type Transport = <LocalSessionManager as SessionManager>::Transport;

    async fn create_session(&self) -> Result<(SessionId, Self::Transport), Self::Error> {
        let (id, transport) = self.inner.create_session().await?;
        self.table.register(id.clone(), self.me.clone());
        Ok((id, transport))
    }

    async fn initialize_session(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<ServerJsonRpcMessage, Self::Error> {
        let _busy = self.table.busy(id);
        self.inner.initialize_session(id, message).await
    }

    async fn has_session(&self, id: &SessionId) -> Result<bool, Self::Error> {
        self.inner.has_session(id).await
    }

    async fn close_session(&self, id: &SessionId) -> Result<(), Self::Error> {
        self.table.forget(id);
        self.inner.close_session(id).await
    }

    async fn create_stream(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        let busy = self.table.busy(id);
        let stream = self.inner.create_stream(id, message).await?;
        Ok(Tracked {
            stream: Box::pin(stream),
            _busy: busy,
        })
    }

    async fn accept_message(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<(), Self::Error> {
        self.table.touch(id);
        self.inner.accept_message(id, message).await
    }

    async fn create_standalone_stream(
        &self,
        id: &SessionId,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        let busy = self.table.busy(id);
        let stream = self.inner.create_standalone_stream(id).await?;
        Ok(Tracked {
            stream: Box::pin(stream),
            _busy: busy,
        })
    }

    async fn resume(
        &self,
        id: &SessionId,
        last_event_id: String,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        let busy = self.table.busy(id);
        let stream = self.inner.resume(id, last_event_id).await?;
        Ok(Tracked {
            stream: Box::pin(stream),
            _busy: busy,
        })
    }

    fn event_store(&self) -> Option<Arc<dyn EventStore>> {
        self.inner.event_store()
    }
}

/// Middleware in front of rmcp's sessions: see [`admitted`].
pub async fn admit(
    State(table): State<Arc<SessionTable>>,
    request: Request,
    next: Next,
) -> Response {
    admitted(&table, request, |request| next.run(request)).await
}

/// Serves `request` with `serve`; an `initialize` (a POST without a session id) first gets a
/// place in the table, or a 503 with a JSON-RPC error when every session is in use.
pub async fn admitted<F, Fut>(table: &Arc<SessionTable>, request: Request, serve: F) -> Response
where
    F: FnOnce(Request) -> Fut,
    Fut: Future<Output = Response>,
{
    if request.method() != Method::POST || request.headers().contains_key("mcp-session-id") {
        return serve(request).await;
    }
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_MCP_BODY).await {
        Ok(bytes) => bytes,
        Err(e) => {
            return crate::http::ApiFailure::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                crate::protocol::ErrorCode::BadRequest,
                format!("cannot read the request (at most {MAX_MCP_BODY} bytes): {e}"),
            )
            .into_response();
        }
    };
    let reservation = match initialize_id(&bytes) {
        Some(id) => match table.reserve() {
            Ok(reservation) => Some(reservation),
            Err(full) => return refused(full, id),
        },
        None => None,
    };
    let response = serve(Request::from_parts(parts, axum::body::Body::from(bytes))).await;
    drop(reservation);
    response
}

/// The id of an `initialize` request, `None` for any other body.
fn initialize_id(body: &[u8]) -> Option<serde_json::Value> {
    #[derive(serde::Deserialize)]
    struct Head<'a> {
        #[serde(borrow)]
        method: Option<std::borrow::Cow<'a, str>>,
        #[serde(default)]
        id: serde_json::Value,
    }
    let head: Head<'_> = serde_json::from_slice(body).ok()?;
    (head.method.as_deref() == Some("initialize")).then_some(head.id)
}

/// 503 with a JSON-RPC error answering the `initialize`.
fn refused(full: Full, id: serde_json::Value) -> Response {
    let body = serde_json::json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": {
            "code": -32000,
            "message": format!("mcpproxy has no room for another MCP session: all {} are in use", full.limit),
            "data": {
                "hint": "close MCP clients you no longer use, or raise `mcp_sessions` under [limits] in the config (applies on restart)",
            },
        },
    });
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::RETRY_AFTER, "10"),
        ],
        body.to_string(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_initialize_is_admitted_by_the_table() {
        let init = br#"{"jsonrpc":"2.0","id":7,"method":"initialize","params":{}}"#;
        assert_eq!(initialize_id(init), Some(serde_json::json!(7)));
        assert_eq!(
            initialize_id(br#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#),
            None
        );
        assert_eq!(initialize_id(b"[1,2]"), None);
        assert_eq!(initialize_id(b"\xff"), None);
    }

    #[tokio::test]
    async fn at_the_limit_the_least_recently_used_idle_session_makes_room() {
        let table = SessionTable::new(2, Duration::from_secs(60));
        let manager = BoundedSessions::new(&table);
        for id in ["a", "b"] {
            let reservation = table.reserve().unwrap_or_else(|_| panic!("room for {id}"));
            table.register(SessionId::from(id), Arc::downgrade(&manager));
            drop(reservation);
        }
        // "a" is busy (a stream open), "b" idle: "b" goes.
        let busy = table.busy(&SessionId::from("a"));
        let reservation = table
            .reserve()
            .unwrap_or_else(|_| panic!("room by closing b"));
        table.register(SessionId::from("c"), Arc::downgrade(&manager));
        drop(reservation);
        assert_eq!(table.live(), 2);
        assert!(lock(&table.state).live.contains_key(&SessionId::from("a")));
        // Now "c" is idle and "a" busy: "c" goes; with both busy, nothing is admitted.
        let busy_c = table.busy(&SessionId::from("c"));
        assert!(table.reserve().is_err());
        drop((busy, busy_c));
        assert!(table.reserve().is_ok());
    }

    #[tokio::test]
    async fn idle_sessions_expire_and_busy_ones_stay() {
        let table = SessionTable::new(10, Duration::ZERO);
        let manager = BoundedSessions::new(&table);
        table.register(SessionId::from("idle"), Arc::downgrade(&manager));
        table.register(SessionId::from("streaming"), Arc::downgrade(&manager));
        let _stream = table.busy(&SessionId::from("streaming"));
        assert_eq!(table.expire_idle(), 1);
        assert_eq!(table.live(), 1);
    }
}
