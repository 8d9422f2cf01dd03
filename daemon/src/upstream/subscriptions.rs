//! Resource subscriptions on one upstream, for every client session that asked.
//!
//! The daemon has one session with each upstream, so the upstream sees one subscriber per
//! URI however many clients subscribed. This table counts them: the first session to
//! subscribe to a URI subscribes upstream, the last one to leave (by `resources/unsubscribe`,
//! or by ending its session) unsubscribes upstream, and one session leaving never ends
//! another's updates. Each `notifications/resources/updated` goes to exactly the sessions
//! subscribed to its URI.
//!
//! The table outlives connections: after the upstream reconnects (a crash, a restart, a
//! changed config) [`Subscriptions::restore`] subscribes again to every URI someone still
//! wants.
//!
//! How a subscription is made upstream depends on the upstream's era: up to 2025-11-25 it is
//! `resources/subscribe` on the session, and updates arrive as notifications
//! ([`Subscriptions::deliver`] from the upstream handler); a 2026-07-28 upstream has no
//! sessions, so each URI gets a `subscriptions/listen` stream of its own, held by a task.

// `resources/subscribe` is deprecated from 2026-07-28, but upstreams of 2025-11-25 and
// older know nothing else.
#![allow(deprecated)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use rmcp::ErrorData;
use rmcp::model::{
    ResourceUpdatedNotificationParam, ServerNotification, SubscribeRequestParams,
    SubscriptionFilter, UnsubscribeRequestParams,
};
use rmcp::service::{Peer, RoleServer, ServiceError, SubscriptionSink};
use tokio::task::AbortHandle;

use super::Connection;
use crate::sync::lock;

/// How long the upstream may take to answer a subscribe or unsubscribe: changes wait for one
/// another, so one server that never answers must not hold up the rest for good.
const UPSTREAM_ANSWER: Duration = Duration::from_secs(30);

/// Where one session's updates go.
#[derive(Debug, Clone)]
pub enum UpdateSink {
    /// A client of 2025-11-25 or older: a notification on its session.
    Session(Peer<RoleServer>),
    /// A 2026-07-28 client: its `subscriptions/listen` stream.
    Listen(SubscriptionSink),
}

impl UpdateSink {
    /// Sends the update; `false` when the client is gone.
    async fn send(&self, uri: &str) -> bool {
        match self {
            Self::Session(peer) => peer
                .notify_resource_updated(ResourceUpdatedNotificationParam::new(uri))
                .await
                .is_ok(),
            Self::Listen(sink) => sink.notify_resource_updated(uri).await.is_ok(),
        }
    }
}

/// One session's subscription to one URI.
#[derive(Debug, Clone)]
struct Subscriber {
    session: u64,
    sink: UpdateSink,
}

#[derive(Debug, Default)]
pub struct Subscriptions {
    /// Serialises the changes that talk to the upstream (subscribe, unsubscribe, restore), so
    /// two first subscribers do not both subscribe upstream, nor a last one unsubscribe while
    /// a new one subscribes.
    changing: tokio::sync::Mutex<()>,
    table: Mutex<Table>,
}

#[derive(Debug, Default)]
struct Table {
    /// URI → the sessions subscribed to it, in the order they came.
    subscribers: HashMap<String, Vec<Subscriber>>,
    /// On a 2026-07-28 upstream: the task holding each URI's listen stream.
    listens: HashMap<String, AbortHandle>,
}

impl Drop for Table {
    fn drop(&mut self) {
        for task in self.listens.values() {
            task.abort();
        }
    }
}

impl Subscriptions {
    /// Subscribes `session` to `uri` through `connection`; updates go to `sink` until the
    /// session unsubscribes or ends. Subscribing again replaces the sink. Fails (and changes
    /// nothing) when the upstream refuses the subscription.
    pub async fn subscribe(
        self: &Arc<Self>,
        connection: &Connection,
        session: u64,
        uri: &str,
        sink: UpdateSink,
    ) -> Result<(), ErrorData> {
        let _changing = self.changing.lock().await;
        let first = !lock(&self.table).subscribers.contains_key(uri);
        if first {
            self.open(connection, uri).await?;
        }
        let mut table = lock(&self.table);
        let subscribers = table.subscribers.entry(uri.to_owned()).or_default();
        subscribers.retain(|s| s.session != session);
        subscribers.push(Subscriber { session, sink });
        Ok(())
    }

    /// Ends `session`'s subscription to `uri`; the last one out unsubscribes upstream
    /// (through `connection`, when there is one). Without a subscription nothing happens.
    pub async fn unsubscribe(&self, connection: Option<&Connection>, session: u64, uri: &str) {
        let _changing = self.changing.lock().await;
        if self.remove(session, Some(uri)).contains(&uri.to_owned()) {
            self.close(connection, uri).await;
        }
    }

    /// Ends every subscription of `session` (its client went away).
    pub async fn end_session(&self, connection: Option<&Connection>, session: u64) {
        let _changing = self.changing.lock().await;
        for uri in self.remove(session, None) {
            self.close(connection, &uri).await;
        }
    }

    /// Subscribes again, on a new connection, to every URI a session still wants. Returns
    /// the URIs the upstream refused now, with why; their subscribers stay, in case it
    /// accepts them after the next reconnect.
    pub async fn restore(self: &Arc<Self>, connection: &Connection) -> Vec<(String, String)> {
        let _changing = self.changing.lock().await;
        let uris: Vec<String> = {
            let mut table = lock(&self.table);
            // Streams of the old connection end with it; make sure none is left behind.
            for (_, task) in table.listens.drain() {
                task.abort();
            }
            table.subscribers.keys().cloned().collect()
        };
        let mut refused = Vec::new();
        for uri in uris {
            if let Err(error) = self.open(connection, &uri).await {
                refused.push((uri, error.message.to_string()));
            }
        }
        refused
    }

    /// Passes an update of `uri` to every session subscribed to it. A session whose client
    /// is gone is dropped from the table (its handler normally ends its subscriptions first;
    /// this catches the rest). A URI left without subscribers this way keeps its upstream
    /// subscription until the next reconnect, which costs an unread notification at most.
    pub async fn deliver(&self, uri: &str) {
        let subscribers = lock(&self.table)
            .subscribers
            .get(uri)
            .cloned()
            .unwrap_or_default();
        for subscriber in subscribers {
            if subscriber.sink.send(uri).await {
                continue;
            }
            let mut table = lock(&self.table);
            let emptied = table.subscribers.get_mut(uri).is_some_and(|list| {
                list.retain(|s| s.session != subscriber.session);
                list.is_empty()
            });
            if emptied {
                table.subscribers.remove(uri);
                if let Some(task) = table.listens.remove(uri) {
                    task.abort();
                }
            }
        }
    }

    /// Removes `session` from `uri` (or from every URI); returns the URIs nobody wants now.
    fn remove(&self, session: u64, uri: Option<&str>) -> Vec<String> {
        let mut table = lock(&self.table);
        let mut emptied = Vec::new();
        table.subscribers.retain(|key, subscribers| {
            if uri.is_none_or(|uri| uri == key) {
                let before = subscribers.len();
                subscribers.retain(|s| s.session != session);
                if subscribers.is_empty() && before > 0 {
                    emptied.push(key.clone());
                    return false;
                }
            }
            true
        });
        emptied
    }

    /// Subscribes upstream to `uri`.
    async fn open(self: &Arc<Self>, connection: &Connection, uri: &str) -> Result<(), ErrorData> {
        let too_slow = || {
            ErrorData::internal_error(
                format!("the server did not answer the subscription to {uri} in time"),
                None,
            )
        };
        if !crate::protocol::is_stateless_mcp_version(&connection.protocol_version) {
            let subscribing = connection.peer.subscribe(SubscribeRequestParams::new(uri));
            return tokio::time::timeout(UPSTREAM_ANSWER, subscribing)
                .await
                .map_err(|_| too_slow())?
                .map_err(upstream_error);
        }
        // No `resources/subscribe` from 2026-07-28: a listen stream for this URI does its job.
        let filter = SubscriptionFilter::builder()
            .resource_subscription(uri.to_owned())
            .build();
        let mut stream = tokio::time::timeout(UPSTREAM_ANSWER, connection.peer.listen(filter))
            .await
            .map_err(|_| too_slow())?
            .map_err(upstream_error)?;
        let accepted = stream
            .acknowledged()
            .resource_subscriptions
            .as_ref()
            .is_some_and(|uris| uris.iter().any(|u| u == uri));
        if !accepted {
            return Err(ErrorData::invalid_params(
                format!("the server offers no updates of {uri}"),
                None,
            ));
        }
        // Weak: the task must not keep a replaced server's table alive.
        let table: Weak<Self> = Arc::downgrade(self);
        let task = tokio::spawn(async move {
            // Ends with the stream (the upstream went away) or when aborted.
            while let Ok(Some(notification)) = stream.next().await {
                let ServerNotification::ResourceUpdatedNotification(updated) = notification else {
                    continue;
                };
                let Some(table) = table.upgrade() else { return };
                table.deliver(&updated.params.uri).await;
            }
        });
        if let Some(previous) = lock(&self.table)
            .listens
            .insert(uri.to_owned(), task.abort_handle())
        {
            previous.abort();
        }
        Ok(())
    }

    /// Unsubscribes upstream from `uri`. A failure only means an unread notification now
    /// and then, so it is not passed on.
    async fn close(&self, connection: Option<&Connection>, uri: &str) {
        if let Some(task) = lock(&self.table).listens.remove(uri) {
            // Dropping the stream cancels the listen request upstream.
            task.abort();
            return;
        }
        if let Some(connection) = connection
            && !crate::protocol::is_stateless_mcp_version(&connection.protocol_version)
        {
            let unsubscribing = connection
                .peer
                .unsubscribe(UnsubscribeRequestParams::new(uri));
            let _ = tokio::time::timeout(UPSTREAM_ANSWER, unsubscribing).await;
        }
    }
}

/// The upstream's own JSON-RPC errors as they are; anything else says what broke.
fn upstream_error(error: ServiceError) -> ErrorData {
    match error {
        ServiceError::McpError(error) => error,
        other => ErrorData::internal_error(format!("the upstream server failed: {other}"), None),
    }
}
