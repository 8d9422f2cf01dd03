//! `/mcp/server/NAME` for a stdio or legacy-SSE upstream: that one server as it is, names
//! unprefixed, through the daemon's single session with it. Tools, resources (read,
//! templates, subscribe), prompts, completion and the logging level all go to the server;
//! its progress, log messages and list changes come back. (HTTP upstreams are reverse
//! proxied instead, byte for byte: see [`super::reverse`].)
//!
//! Logging (`logging/setLevel`) is deprecated from 2026-07-28 (SEP-2577) but 2025-11-25
//! clients and servers still use it, so it is passed on.
#![allow(deprecated)]

use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CompleteRequestParams, CompleteResult,
    GetPromptRequestParams, GetPromptResponse, ListPromptsResult, ListResourceTemplatesResult,
    ListResourcesResult, ListToolsResult, PaginatedRequestParams, ReadResourceRequestParams,
    ReadResourceResponse, ServerCapabilities, ServerConfig, SetLevelRequestParams,
    SubscribeRequestParams, SubscriptionFilter, UnsubscribeRequestParams,
};
use rmcp::service::{NotificationContext, RequestContext, RoleServer, SubscriptionContext};
use rmcp::{ErrorData, ServerHandler};

use super::forward::{self, Downstream};
use super::sessions::{self, Sessions, Surface};
use super::upstream_request;
use crate::daemon::Daemon;
use crate::protocol::CallVariant;
use crate::upstream::ServerShared;

#[derive(Clone)]
pub struct Passthrough {
    daemon: Daemon,
    server: String,
    sessions: Arc<Sessions>,
    session: u64,
}

impl Passthrough {
    pub fn new(daemon: Daemon, server: &str, sessions: Arc<Sessions>) -> Self {
        let session = sessions.next_id();
        Self {
            daemon,
            server: server.to_owned(),
            sessions,
            session,
        }
    }

    fn shared(&self) -> Result<Arc<ServerShared>, ErrorData> {
        self.daemon.upstreams().server(&self.server).ok_or_else(|| {
            ErrorData::invalid_request(format!("no server named {}", self.server), None)
        })
    }

    /// The server's live peer, refusing quarantined and disabled servers.
    fn peer(&self) -> Result<rmcp::service::Peer<rmcp::RoleClient>, ErrorData> {
        let server = self.shared()?;
        let view = server.view();
        if view.quarantined || !view.enabled {
            return Err(ErrorData::invalid_request(
                format!(
                    "server {} is {}; a person must approve or enable it first",
                    self.server, view.state
                ),
                None,
            ));
        }
        upstream_request::peer(&server)
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
        self.peer()?;
        Ok(ListToolsResult::with_all_items(
            self.shared()?.catalog().tools,
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
        self.peer()?;
        Ok(ListPromptsResult::with_all_items(
            self.shared()?.catalog().prompts,
        ))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        self.peer()?
            .get_prompt(request)
            .await
            .map(|result| upstream_request::complete_prompt(result.into()))
            .map_err(upstream_request::error)
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        self.peer()?;
        Ok(ListResourcesResult::with_all_items(
            self.shared()?.catalog().resources,
        ))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        self.peer()?;
        Ok(ListResourceTemplatesResult::with_all_items(
            self.shared()?.catalog().resource_templates,
        ))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        self.peer()?
            .read_resource_once(request)
            .await
            .map(upstream_request::complete_resource)
            .map_err(upstream_request::error)
    }

    async fn subscribe(
        &self,
        request: SubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.peer()?
            .subscribe(request)
            .await
            .map_err(upstream_request::error)
    }

    async fn unsubscribe(
        &self,
        request: UnsubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.peer()?
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
        self.peer()?
            .set_level(request)
            .await
            .map_err(upstream_request::error)
    }
}
