//! One client session's resource subscriptions, on whichever upstreams hold them.
//!
//! The counting happens upstream-side ([`crate::upstream::Subscriptions`]); this remembers
//! which servers the session subscribed on, so that when the session ends (its handler, the
//! last holder of this, is dropped) its subscriptions end everywhere, and no client that
//! left keeps an upstream subscription alive.
//!
//! A 2026-07-28 client subscribes with a `subscriptions/listen` stream instead of
//! `resources/subscribe`: [`listen`] holds its subscriptions for as long as the stream is
//! open, next to the tool-list changes the surfaces announce.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use rmcp::ErrorData;
use rmcp::service::SubscriptionContext;

use super::sessions::{self, Surface};
use super::upstream_request;
use crate::daemon::Daemon;
use crate::sync::lock;
use crate::upstream::{ServerShared, UpdateSink};

#[derive(Debug)]
pub struct SessionSubscriptions {
    daemon: Daemon,
    session: u64,
    /// The servers this session subscribed to resources of.
    servers: Mutex<BTreeSet<String>>,
}

impl SessionSubscriptions {
    pub fn new(daemon: Daemon, session: u64) -> Self {
        Self {
            daemon,
            session,
            servers: Mutex::default(),
        }
    }

    /// Subscribes this session to `uri` on `server`; updates go to `sink`.
    pub async fn subscribe(
        &self,
        server: &ServerShared,
        uri: &str,
        sink: UpdateSink,
    ) -> Result<(), ErrorData> {
        let connection = upstream_request::connection(server)?;
        server
            .subscriptions
            .subscribe(&connection, self.session, uri, sink)
            .await?;
        lock(&self.servers).insert(server.name.clone());
        Ok(())
    }

    /// Ends this session's subscription to `uri` on `server`.
    pub async fn unsubscribe(&self, server: &ServerShared, uri: &str) {
        let connection = server.connection();
        server
            .subscriptions
            .unsubscribe(connection.as_ref(), self.session, uri)
            .await;
    }

    /// Ends this session's subscription to `uri` on every server it subscribed on (the
    /// server that offered it may have dropped it from its list since).
    pub async fn unsubscribe_everywhere(&self, uri: &str) {
        let servers: Vec<Arc<ServerShared>> = lock(&self.servers)
            .iter()
            .filter_map(|name| self.daemon.upstreams().server(name))
            .collect();
        for server in servers {
            self.unsubscribe(&server, uri).await;
        }
    }
}

impl Drop for SessionSubscriptions {
    fn drop(&mut self) {
        let servers = std::mem::take(&mut *lock(&self.servers));
        if servers.is_empty() {
            return;
        }
        // Unsubscribing upstream is a request; a daemon that is shutting down has no runtime
        // left to send it, and no upstream to send it to.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (daemon, session) = (self.daemon.clone(), self.session);
        runtime.spawn(async move {
            for name in servers {
                if let Some(server) = daemon.upstreams().server(&name) {
                    let connection = server.connection();
                    server
                        .subscriptions
                        .end_session(connection.as_ref(), session)
                        .await;
                }
            }
        });
    }
}

/// Serves one 2026-07-28 `subscriptions/listen` stream of a surface: tool-list changes when
/// they were accepted, and updates of each accepted resource URI (subscribed on the server
/// `server_of` names for it), until the client hangs up. `subscribed` is a session of its own
/// (a 2026-07-28 request is one), so the stream's subscriptions end with it.
pub async fn listen(
    daemon: &Daemon,
    surface: Surface,
    subscription: SubscriptionContext,
    subscribed: &SessionSubscriptions,
    server_of: impl Fn(&str) -> Option<Arc<ServerShared>>,
) -> Result<(), ErrorData> {
    let uris = subscription
        .accepted()
        .resource_subscriptions
        .clone()
        .unwrap_or_default();
    for uri in &uris {
        let server = server_of(uri).ok_or_else(|| {
            ErrorData::resource_not_found(format!("no server offers {uri}"), None)
        })?;
        subscribed
            .subscribe(
                &server,
                uri,
                UpdateSink::Listen(subscription.sink().clone()),
            )
            .await?;
    }
    if subscription.accepted().tools_list_changed == Some(true) {
        return sessions::listen_for_tool_changes(daemon, surface, subscription).await;
    }
    tokio::select! {
        () = subscription.cancelled() => {}
        () = daemon.shutdown_token().cancelled() => {}
    }
    Ok(())
}
