//! What a server offers: tools, prompts, resources and resource templates, fetched after
//! connecting and again whenever the server says a list changed, and each item's content
//! hash ([`hash`]), which says whether an item is the one a person or a stage let through.

pub mod hash;

use rmcp::model::{Prompt, Resource, ResourceTemplate, ServerCapabilities, Tool};
use rmcp::service::{Peer, RoleClient, ServiceError};

use crate::protocol::{ToolHints, ToolView};

/// A list the server said has changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListChanged {
    Tools,
    Prompts,
    Resources,
}

#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub tools: Vec<Tool>,
    pub prompts: Vec<Prompt>,
    pub resources: Vec<Resource>,
    pub resource_templates: Vec<ResourceTemplate>,
}

impl Catalog {
    /// Fetches every list the server's capabilities announce.
    pub async fn fetch(
        peer: &Peer<RoleClient>,
        capabilities: &ServerCapabilities,
    ) -> Result<Self, ServiceError> {
        let mut catalog = Self::default();
        for list in [
            ListChanged::Tools,
            ListChanged::Prompts,
            ListChanged::Resources,
        ] {
            catalog.refresh(peer, capabilities, list).await?;
        }
        Ok(catalog)
    }

    /// Re-fetches one list.
    pub async fn refresh(
        &mut self,
        peer: &Peer<RoleClient>,
        capabilities: &ServerCapabilities,
        list: ListChanged,
    ) -> Result<(), ServiceError> {
        match list {
            ListChanged::Tools if capabilities.tools.is_some() => {
                self.tools = peer.list_all_tools().await?;
            }
            ListChanged::Prompts if capabilities.prompts.is_some() => {
                self.prompts = peer.list_all_prompts().await?;
            }
            ListChanged::Resources if capabilities.resources.is_some() => {
                self.resources = peer.list_all_resources().await?;
                self.resource_templates = peer.list_all_resource_templates().await?;
            }
            _ => {}
        }
        Ok(())
    }

    pub fn tool_views(&self, server: &str) -> Vec<ToolView> {
        self.tools
            .iter()
            .map(|tool| tool_view(server, tool))
            .collect()
    }
}

pub fn tool_view(server: &str, tool: &Tool) -> ToolView {
    let annotations = tool.annotations.as_ref();
    ToolView {
        id: format!("{server}:{}", tool.name),
        server: server.to_owned(),
        name: tool.name.to_string(),
        title: tool
            .title
            .clone()
            .or_else(|| annotations.and_then(|a| a.title.clone())),
        description: tool.description.as_deref().unwrap_or_default().to_owned(),
        input_schema: serde_json::Value::Object((*tool.input_schema).clone()),
        output_schema: tool
            .output_schema
            .as_ref()
            .map(|schema| serde_json::Value::Object((**schema).clone())),
        annotations: tool_hints(tool),
    }
}

/// A tool's MCP annotations as the wire's [`ToolHints`].
pub fn tool_hints(tool: &Tool) -> ToolHints {
    let annotations = tool.annotations.as_ref();
    ToolHints {
        read_only: annotations.and_then(|a| a.read_only_hint),
        destructive: annotations.and_then(|a| a.destructive_hint),
        idempotent: annotations.and_then(|a| a.idempotent_hint),
        open_world: annotations.and_then(|a| a.open_world_hint),
    }
}
