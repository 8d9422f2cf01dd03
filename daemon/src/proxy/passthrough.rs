//! `/mcp/server/NAME` for a stdio or legacy-SSE upstream: that one server as it is, names
//! unprefixed, through the daemon's single session with it. Tools, resources (read,
//! templates, subscribe), prompts, completion and the logging level all go to the server;
//! its progress, log messages and list changes come back. (HTTP upstreams are reverse
//! proxied instead, byte for byte: see [`super::reverse`].)
//!
//! Logging (`logging/setLevel`) is deprecated from 2026-07-28 (SEP-2577) but 2025-11-25
//! clients and servers still use it, so it is passed on.
//!
//! A 2026-07-28 upstream is stateless, so what a client of an older revision sets up for its
//! session is translated: its log level travels with each call (see [`forward`]), and each
//! `resources/subscribe` becomes a `subscriptions/listen` stream for that URI whose updates
//! come back to the client as `notifications/resources/updated`.
#![allow(deprecated)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CompleteRequestParams, CompleteResult,
    GetPromptRequestParams, GetPromptResponse, ListPromptsResult, ListResourceTemplatesResult,
    ListResourcesResult, ListToolsResult, LoggingLevel, PaginatedRequestParams,
    ReadResourceRequestParams, ReadResourceResponse, ServerCapabilities, ServerConfig,
    ServerNotification, SetLevelRequestParams, SubscribeRequestParams, SubscriptionFilter,
    UnsubscribeRequestParams,
};
use rmcp::service::{
    NotificationContext, Peer, RequestContext, RoleClient, RoleServer, SubscriptionContext,
};
use rmcp::{ErrorData, ServerHandler};
use tokio::task::AbortHandle;

use super::forward::{self, Downstream};
use super::parked::ParkedCalls;
use super::sessions::{self, Sessions, Surface};
use super::upstream_request;
use crate::catalog::Catalog;
use crate::daemon::Daemon;
use crate::protocol::{CallVariant, ItemKind, ServerState};
use crate::upstream::{Connection, ServerShared};

#[derive(Clone)]
pub struct Passthrough {
    daemon: Daemon,
    server: String,
    sessions: Arc<Sessions>,
    session: u64,
    parked: Arc<ParkedCalls>,
    /// The level this session's client chose with `logging/setLevel`.
    log_level: Arc<Mutex<Option<LoggingLevel>>>,
    /// This session's resource subscriptions on a stateless upstream.
    resource_listens: Arc<ResourceListens>,
}

impl Passthrough {
    pub fn new(
        daemon: Daemon,
        server: &str,
        sessions: Arc<Sessions>,
        parked: Arc<ParkedCalls>,
    ) -> Self {
        let session = sessions.next_id();
        Self {
            daemon,
            server: server.to_owned(),
            sessions,
            session,
            parked,
            log_level: Arc::default(),
            resource_listens: Arc::default(),
        }
    }

    fn shared(&self) -> Result<Arc<ServerShared>, ErrorData> {
        self.daemon.upstreams().server(&self.server).ok_or_else(|| {
            ErrorData::invalid_request(format!("no server named {}", self.server), None)
        })
    }

    /// The server's live connection, refusing quarantined and disabled servers.
    fn connection(&self) -> Result<Connection, ErrorData> {
        self.serving()
            .and_then(|server| upstream_request::connection(&server))
    }

    /// The server, when it is neither quarantined nor disabled.
    fn serving(&self) -> Result<Arc<ServerShared>, ErrorData> {
        let server = self.shared()?;
        let view = server.view();
        if let Some(held) = ServerState::held(view.enabled, view.quarantined) {
            let action = if held == ServerState::Quarantined {
                "approve"
            } else {
                "enable"
            };
            return Err(ErrorData::invalid_request(
                format!(
                    "server {} is {held}; a person must {action} it first",
                    self.server
                ),
                None,
            ));
        }
        Ok(server)
    }

    /// One list from the catalog of a connected, serving server.
    fn listed<T: Clone>(
        &self,
        list: impl FnOnce(&Catalog) -> &Vec<T>,
    ) -> Result<Vec<T>, ErrorData> {
        let server = self.serving()?;
        upstream_request::connection(&server)?;
        Ok(server.with_catalog(|catalog| list(catalog).clone()))
    }

    /// The server's live peer, refusing quarantined and disabled servers.
    fn peer(&self) -> Result<Peer<RoleClient>, ErrorData> {
        self.connection().map(|c| c.peer)
    }
}

/// A session's resource subscriptions on a stateless upstream: one task per URI, each
/// holding a `subscriptions/listen` stream and passing its updates on. Ending a task (on
/// `resources/unsubscribe`, a second subscribe to the URI, or the end of the session, when
/// the last handle of this is dropped) drops the stream, and rmcp cancels the listen request
/// upstream.
#[derive(Debug, Default)]
struct ResourceListens {
    tasks: Mutex<HashMap<String, AbortHandle>>,
}

impl ResourceListens {
    /// Opens a listen stream for `uri` on `upstream` and passes its updates to `client`.
    /// Fails when the upstream does not accept the URI: it would never report a change.
    async fn subscribe(
        &self,
        upstream: &Peer<RoleClient>,
        uri: String,
        client: Peer<RoleServer>,
    ) -> Result<(), ErrorData> {
        let filter = SubscriptionFilter::builder()
            .resource_subscription(uri.clone())
            .build();
        let mut subscription = upstream
            .listen(filter)
            .await
            .map_err(upstream_request::error)?;
        let accepted = subscription
            .acknowledged()
            .resource_subscriptions
            .as_ref()
            .is_some_and(|uris| uris.contains(&uri));
        if !accepted {
            return Err(ErrorData::invalid_params(
                format!("the server offers no updates of {uri}"),
                None,
            ));
        }
        let task = tokio::spawn(async move {
            // Ends with the stream (the upstream went away) or the client.
            while let Ok(Some(notification)) = subscription.next().await {
                if let ServerNotification::ResourceUpdatedNotification(updated) = notification
                    && client
                        .notify_resource_updated(updated.params)
                        .await
                        .is_err()
                {
                    return;
                }
            }
        });
        if let Some(previous) = self.tasks().insert(uri, task.abort_handle()) {
            previous.abort();
        }
        Ok(())
    }

    /// Ends the subscription to `uri`; without one there is nothing to do.
    fn unsubscribe(&self, uri: &str) {
        if let Some(task) = self.tasks().remove(uri) {
            task.abort();
        }
    }

    fn tasks(&self) -> std::sync::MutexGuard<'_, HashMap<String, AbortHandle>> {
        crate::sync::lock(&self.tasks)
    }
}

impl Drop for ResourceListens {
    fn drop(&mut self) {
        for task in self.tasks().values() {
            task.abort();
        }
    }
}

impl ServerHandler for Passthrough {
    /// The upstream's own identity, capabilities and instructions (as last connected).
    fn get_info(&self) -> ServerConfig {
        let connection = self.shared().ok().and_then(|s| s.connection());
        let capabilities = connection
            .as_ref()
            .map(|c| c.capabilities.clone())
            .unwrap_or_else(|| ServerCapabilities::builder().enable_tools().build());
        let mut info = ServerConfig::new(capabilities);
        if let Some(implementation) = connection.and_then(|c| c.server_info) {
            info.server_info = implementation;
        }
        info.instructions = self.shared().ok().and_then(|s| s.instructions());
        info
    }

    async fn on_initialized(&self, context: NotificationContext<RoleServer>) {
        self.sessions
            .register(Surface::Server(self.server.clone()), context.peer);
    }

    fn accepted_subscription_filter(
        &self,
        _requested: &SubscriptionFilter,
    ) -> Option<SubscriptionFilter> {
        Some(SubscriptionFilter::builder().tools_list_changed().build())
    }

    async fn listen(&self, subscription: SubscriptionContext) -> Result<(), ErrorData> {
        sessions::listen_for_tool_changes(
            &self.daemon,
            Surface::Server(self.server.clone()),
            subscription,
        )
        .await
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(
            self.listed(|catalog| &catalog.tools)?,
        ))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let downstream = Downstream {
            context: &context,
            session: self.session,
            log_level: *crate::sync::lock(&self.log_level),
            parked: &self.parked,
        };
        forward::call_tool(
            &self.daemon,
            &self.server,
            request,
            CallVariant::Passthrough,
            downstream,
        )
        .await
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        Ok(ListPromptsResult::with_all_items(
            self.listed(|catalog| &catalog.prompts)?,
        ))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        let peer = self.peer()?;
        let server = self.serving()?;
        upstream_request::refuse_held(&server, ItemKind::Prompt, &request.name)?;
        peer.get_prompt(request)
            .await
            .map(|result| upstream_request::complete_prompt(result.into()))
            .map_err(upstream_request::error)
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        Ok(ListResourcesResult::with_all_items(
            self.listed(|catalog| &catalog.resources)?,
        ))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        Ok(ListResourceTemplatesResult::with_all_items(
            self.listed(|catalog| &catalog.resource_templates)?,
        ))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let peer = self.peer()?;
        let server = self.serving()?;
        upstream_request::refuse_held(&server, ItemKind::Resource, &request.uri)?;
        peer.read_resource_once(request)
            .await
            .map(upstream_request::complete_resource)
            .map_err(upstream_request::error)
    }

    async fn subscribe(
        &self,
        request: SubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        let connection = self.connection()?;
        if upstream_request::is_stateless(&connection) {
            // No `resources/subscribe` from 2026-07-28: a listen stream does its job.
            return self
                .resource_listens
                .subscribe(&connection.peer, request.uri, context.peer)
                .await;
        }
        connection
            .peer
            .subscribe(request)
            .await
            .map_err(upstream_request::error)
    }

    async fn unsubscribe(
        &self,
        request: UnsubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        let connection = self.connection()?;
        if upstream_request::is_stateless(&connection) {
            self.resource_listens.unsubscribe(&request.uri);
            return Ok(());
        }
        connection
            .peer
            .unsubscribe(request)
            .await
            .map_err(upstream_request::error)
    }

    async fn complete(
        &self,
        request: CompleteRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, ErrorData> {
        self.peer()?
            .complete(request)
            .await
            .map(|mut result| {
                upstream_request::complete(&mut result.result_type);
                result
            })
            .map_err(upstream_request::error)
    }

    async fn set_level(
        &self,
        request: SetLevelRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        let connection = self.connection()?;
        let level = request.level;
        // A stateless upstream keeps no level for a session: it gets this one with each
        // call instead. An older upstream keeps it on its one session with the daemon.
        if !upstream_request::is_stateless(&connection) {
            connection
                .peer
                .set_level(request)
                .await
                .map_err(upstream_request::error)?;
        }
        *crate::sync::lock(&self.log_level) = Some(level);
        Ok(())
    }
}
