//! `/mcp/all` (and `/mcp` in direct routing): every tool of every enabled, approved, ready
//! server directly, as `server__tool` (see [`super::names`]), with its own description,
//! schemas and annotations. Prompts are aggregated the same way (`server__prompt`);
//! resources keep their URIs (they are already global) and get prefixed names, and a
//! subscription to one goes to the server that offers it.

use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, GetPromptRequestParams, GetPromptResponse,
    Implementation, ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult,
    ListToolsResult, PaginatedRequestParams, ReadResourceRequestParams, ReadResourceResponse,
    ServerCapabilities, ServerConfig, SubscribeRequestParams, SubscriptionFilter, Tool,
    UnsubscribeRequestParams,
};
use rmcp::service::{NotificationContext, RequestContext, RoleServer, SubscriptionContext};
use rmcp::{ErrorData, ServerHandler};

use super::forward::{self, Downstream, error_result};
use super::names::direct_name;
use super::parked::ParkedCalls;
use super::sessions::{Sessions, Surface};
use super::subscribed::{self, SessionSubscriptions};
use super::upstream_request;
use crate::catalog::Catalog;
use crate::daemon::Daemon;
use crate::protocol::{CallVariant, ItemKind};
use crate::upstream::{ServerShared, UpdateSink};

#[derive(Clone)]
pub struct DirectSurface {
    daemon: Daemon,
    sessions: Arc<Sessions>,
    session: u64,
    parked: Arc<ParkedCalls>,
    /// This session's resource subscriptions; they end with it.
    subscribed: Arc<SessionSubscriptions>,
}

/// A server whose tools are served: enabled, approved, connected.
pub fn serving_servers(daemon: &Daemon) -> Vec<Arc<ServerShared>> {
    daemon
        .servers()
        .into_iter()
        .filter(|view| view.enabled && !view.quarantined)
        .filter_map(|view| daemon.upstreams().server(&view.name))
        .filter(|server| server.connection().is_some())
        .collect()
}

impl DirectSurface {
    pub fn new(daemon: Daemon, sessions: Arc<Sessions>, parked: Arc<ParkedCalls>) -> Self {
        let session = sessions.next_id();
        Self {
            subscribed: Arc::new(SessionSubscriptions::new(daemon.clone(), session)),
            daemon,
            sessions,
            session,
            parked,
        }
    }

    /// Every served tool under its direct name, with the server and its own name.
    fn tools(&self) -> Vec<(Tool, String, String)> {
        serving_servers(&self.daemon)
            .iter()
            .flat_map(|server| {
                server.with_catalog(|catalog| {
                    catalog
                        .tools
                        .iter()
                        .map(|tool| {
                            let original = tool.name.to_string();
                            let mut listed = tool.clone();
                            listed.name = direct_name(&server.name, &original).into();
                            (listed, server.name.clone(), original)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect()
    }

    /// The server and own name of a tool listed as `server__tool`, found without copying
    /// the catalogs (this runs on every call). Server names are short and free of `__`, so
    /// even a shortened name starts with the whole server name.
    fn find_tool(&self, name: &str) -> Option<(String, String)> {
        let server_name = name.split(super::names::SEPARATOR).next()?;
        let server = self.daemon.upstreams().server(server_name)?;
        let own = server.with_catalog(|catalog| {
            catalog
                .tools
                .iter()
                .find(|tool| direct_name(server_name, &tool.name) == name)
                .map(|tool| tool.name.to_string())
        })?;
        Some((server_name.to_owned(), own))
    }

    /// The refusal for `name` (as this surface writes it) when it is an item the gate holds,
    /// so an agent holding an old list learns why, and what a person can do.
    fn refuse_held(&self, kind: ItemKind, name: &str) -> Option<ErrorData> {
        serving_servers(&self.daemon).iter().find_map(|server| {
            let held = server
                .held()
                .into_iter()
                .find(|item| item.kind == kind && direct_name(&server.name, &item.name) == name)?;
            upstream_request::refuse_held(server, kind, &held.name).err()
        })
    }

    /// One list (prompts, resources, templates) of every served server, each item's name
    /// prefixed as `server__name`.
    fn aggregate<T: Clone>(
        &self,
        list: impl Fn(&Catalog) -> &Vec<T>,
        name: impl Fn(&mut T) -> &mut String,
    ) -> Vec<T> {
        serving_servers(&self.daemon)
            .iter()
            .flat_map(|server| {
                server.with_catalog(|catalog| {
                    list(catalog)
                        .iter()
                        .cloned()
                        .map(|mut item| {
                            let prefixed = direct_name(&server.name, name(&mut item));
                            *name(&mut item) = prefixed;
                            item
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect()
    }

    /// The server and own name of a prompt listed as `server__prompt`.
    fn find_prompt(&self, name: &str) -> Option<(Arc<ServerShared>, String)> {
        serving_servers(&self.daemon)
            .into_iter()
            .find_map(|server| {
                let own = server.with_catalog(|catalog| {
                    catalog
                        .prompts
                        .iter()
                        .find(|p| direct_name(&server.name, &p.name) == name)
                        .map(|p| p.name.clone())
                })?;
                Some((server, own))
            })
    }

    /// The server that lists `uri`, or has a template it fits.
    fn find_resource(&self, uri: &str) -> Option<Arc<ServerShared>> {
        let servers = serving_servers(&self.daemon);
        let exact = servers.iter().find(|server| {
            server.with_catalog(|catalog| catalog.resources.iter().any(|r| r.uri == uri))
        });
        exact.cloned().or_else(|| {
            servers.into_iter().find(|server| {
                server.with_catalog(|catalog| {
                    catalog
                        .resource_templates
                        .iter()
                        .any(|t| template_fits(&t.uri_template, uri))
                })
            })
        })
    }
}

/// A loose RFC 6570 match: the literal text before the first `{` is a prefix of the URI.
fn template_fits(template: &str, uri: &str) -> bool {
    let literal = template.split('{').next().unwrap_or(template);
    !literal.is_empty() && uri.starts_with(literal)
}

impl ServerHandler for DirectSurface {
    fn get_info(&self) -> ServerConfig {
        let mut capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_tool_list_changed()
            .enable_prompts()
            .enable_resources()
            .build();
        // Each subscription goes to the server that offers the resource; one that offers no
        // subscriptions refuses it then.
        if let Some(resources) = capabilities.resources.as_mut() {
            resources.subscribe = Some(true);
        }
        let mut info = ServerConfig::new(capabilities);
        info.server_info = Implementation::new("mcpproxy", env!("CARGO_PKG_VERSION"));
        info.instructions =
            Some("Every tool of the MCP servers behind mcpproxy, named server__tool.".to_owned());
        info
    }

    async fn on_initialized(&self, context: NotificationContext<RoleServer>) {
        self.sessions.register(Surface::All, context.peer);
    }

    /// Tool-list changes, and updates of the resources some served server offers.
    fn accepted_subscription_filter(
        &self,
        requested: &SubscriptionFilter,
    ) -> Option<SubscriptionFilter> {
        let offered = requested
            .resource_subscriptions
            .iter()
            .flatten()
            .filter(|uri| self.find_resource(uri).is_some())
            .cloned()
            .collect::<Vec<_>>();
        Some(
            SubscriptionFilter::builder()
                .tools_list_changed()
                .resource_subscriptions(offered)
                .build(),
        )
    }

    async fn listen(&self, subscription: SubscriptionContext) -> Result<(), ErrorData> {
        subscribed::listen(
            &self.daemon,
            Surface::All,
            subscription,
            &self.subscribed,
            |uri| self.find_resource(uri),
        )
        .await
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(
            self.tools().into_iter().map(|(tool, _, _)| tool).collect(),
        ))
    }

    async fn call_tool(
        &self,
        mut request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let Some((server, original)) = self.find_tool(&request.name) else {
            if let Some(refusal) = self.refuse_held(ItemKind::Tool, &request.name) {
                return Ok(error_result(refusal.message.to_string()));
            }
            return Ok(error_result(format!(
                "no tool named {}: the server may have stopped or changed its tools; list them again",
                request.name
            )));
        };
        request.name = original.into();
        let downstream = Downstream {
            context: &context,
            session: self.session,
            // This surface offers no logging, so its clients set no level.
            log_level: None,
            parked: &self.parked,
        };
        forward::call_tool(
            &self.daemon,
            &server,
            request,
            CallVariant::Direct,
            downstream,
        )
        .await
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        let prompts = self.aggregate(|c| &c.prompts, |p| &mut p.name);
        Ok(ListPromptsResult::with_all_items(prompts))
    }

    async fn get_prompt(
        &self,
        mut request: GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        let (server, own) = self.find_prompt(&request.name).ok_or_else(|| {
            self.refuse_held(ItemKind::Prompt, &request.name)
                .unwrap_or_else(|| {
                    ErrorData::invalid_params(format!("no prompt named {}", request.name), None)
                })
        })?;
        request.name = own;
        let peer = upstream_request::peer(&server)?;
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
        let resources = self.aggregate(|c| &c.resources, |r| &mut r.name);
        Ok(ListResourcesResult::with_all_items(resources))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        let templates = self.aggregate(|c| &c.resource_templates, |t| &mut t.name);
        Ok(ListResourceTemplatesResult::with_all_items(templates))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        for server in serving_servers(&self.daemon) {
            upstream_request::refuse_held(&server, ItemKind::Resource, &request.uri)?;
        }
        let server = self.find_resource(&request.uri).ok_or_else(|| {
            ErrorData::resource_not_found(format!("no server offers {}", request.uri), None)
        })?;
        let peer = upstream_request::peer(&server)?;
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
        let server = self.find_resource(&request.uri).ok_or_else(|| {
            ErrorData::resource_not_found(format!("no server offers {}", request.uri), None)
        })?;
        upstream_request::refuse_held(&server, ItemKind::Resource, &request.uri)?;
        self.subscribed
            .subscribe(&server, &request.uri, UpdateSink::Session(context.peer))
            .await
    }

    async fn unsubscribe(
        &self,
        request: UnsubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.subscribed.unsubscribe_everywhere(&request.uri).await;
        Ok(())
    }
}
