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
//! session is translated: its log level travels with each call (see [`forward`]). Resource
//! subscriptions of every session are counted on the server's table
//! ([`crate::upstream::Subscriptions`]), which subscribes upstream the way the server's era
//! allows and passes each update to exactly the sessions that subscribed.
#![allow(deprecated)]

use std::sync::{Arc, Mutex};

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CompleteRequestParams, CompleteResult,
    GetPromptRequestParams, GetPromptResponse, ListPromptsResult, ListResourceTemplatesResult,
    ListResourcesResult, ListToolsResult, LoggingLevel, PaginatedRequestParams,
    ReadResourceRequestParams, ReadResourceResponse, ServerCapabilities, ServerConfig,
    SetLevelRequestParams, SubscribeRequestParams, SubscriptionFilter, UnsubscribeRequestParams,
};
use rmcp::service::{
    NotificationContext, Peer, RequestContext, RoleClient, RoleServer, SubscriptionContext,
};
use rmcp::{ErrorData, ServerHandler};

use super::forward::{self, Downstream};
use super::parked::ParkedCalls;
use super::sessions::{Sessions, Surface};
use super::subscribed::{self, SessionSubscriptions};
use super::upstream_request;
use crate::catalog::Catalog;
use crate::daemon::Daemon;
use crate::protocol::{CallVariant, ItemKind, ServerState};
use crate::upstream::{Connection, ServerShared, UpdateSink};

#[derive(Clone)]
pub struct Passthrough {
    daemon: Daemon,
    server: String,
    sessions: Arc<Sessions>,
    session: u64,
    parked: Arc<ParkedCalls>,
    /// The level this session's client chose with `logging/setLevel`.
    log_level: Arc<Mutex<Option<LoggingLevel>>>,
    /// This session's resource subscriptions; they end with it.
    subscribed: Arc<SessionSubscriptions>,
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
            subscribed: Arc::new(SessionSubscriptions::new(daemon.clone(), session)),
            daemon,
            server: server.to_owned(),
            sessions,
            session,
            parked,
            log_level: Arc::default(),
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

    /// Tool-list changes, and updates of whatever resources the client asks for (rmcp keeps
    /// them only when the server offers subscriptions).
    fn accepted_subscription_filter(
        &self,
        requested: &SubscriptionFilter,
    ) -> Option<SubscriptionFilter> {
        let resources = requested.resource_subscriptions.clone().unwrap_or_default();
        Some(
            SubscriptionFilter::builder()
                .tools_list_changed()
                .resource_subscriptions(resources)
                .build(),
        )
    }

    async fn listen(&self, subscription: SubscriptionContext) -> Result<(), ErrorData> {
        let server = self.serving()?;
        subscribed::listen(
            &self.daemon,
            Surface::Server(self.server.clone()),
            subscription,
            &self.subscribed,
            |_| Some(Arc::clone(&server)),
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

    /// Counted per session: the upstream hears one subscription however many sessions
    /// subscribe (see [`crate::upstream::Subscriptions`]).
    async fn subscribe(
        &self,
        request: SubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        let server = self.serving()?;
        self.subscribed
            .subscribe(&server, &request.uri, UpdateSink::Session(context.peer))
            .await
    }

    async fn unsubscribe(
        &self,
        request: UnsubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        let server = self.serving()?;
        self.subscribed.unsubscribe(&server, &request.uri).await;
        Ok(())
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
