//! One connection to any MCP server with exactly the daemon's upstream client (transports,
//! both eras, OAuth), outside the daemon: `mcpproxy upstream probe`.
//!
//! The probe has no client behind it to ask, so elicitations are accepted with the defaults
//! their schema gives, and a login happens in the probe itself ([`Interaction::Inline`]:
//! URL printed, browser opened; or [`Interaction::Headless`] for test servers).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use rmcp::model::{CallToolRequestParams, CallToolResult, ServerCapabilities};
use rmcp::service::{Peer, RoleClient};
use tokio::sync::{broadcast, mpsc};

use super::connect::{self, ConnectError, Launcher, Session};
use super::handler::UpstreamHandler;
use super::server_log::ServerLog;
use crate::catalog::Catalog;
use crate::config::{ServerConfig, TransportSetting};
use crate::events::{DaemonEvent, EventBus};
use crate::oauth::{Interaction, MemoryVault, OAuthSession, OAuthSettings};
use crate::protocol::{LogLine, TransportKind};

#[derive(Debug, Clone)]
pub struct ProbeOptions {
    pub url: String,
    pub transport: TransportSetting,
    pub headers: BTreeMap<String, String>,
    pub connect_timeout: Duration,
    /// `None`: a 401 is reported, not answered with a login.
    pub oauth: Option<(OAuthSettings, Interaction)>,
}

#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("{0}")]
    Connect(#[from] ConnectError),
    #[error("listing failed: {0}")]
    List(String),
    #[error("calling `{tool}` failed: {message}")]
    Call { tool: String, message: String },
}

/// An open probe session.
pub struct Probed {
    session: Session,
    pub transport: TransportKind,
    pub protocol_version: String,
    pub server_name: Option<String>,
    pub server_version: Option<String>,
    pub instructions: Option<String>,
    pub capabilities: ServerCapabilities,
    pub catalog: Catalog,
    /// What the client code logged about the connection.
    pub log: broadcast::Receiver<DaemonEvent>,
}

impl std::fmt::Debug for Probed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Probed")
            .field("transport", &self.transport)
            .field("protocol_version", &self.protocol_version)
            .finish_non_exhaustive()
    }
}

/// Connects, handshakes and lists everything the server offers.
pub async fn open(options: &ProbeOptions) -> Result<Probed, ProbeError> {
    let bus = EventBus::default();
    let log = bus.subscribe();
    let server_log = Arc::new(ServerLog::detached("probe", bus));
    let (changes, _changes) = mpsc::unbounded_channel();
    let handler = UpstreamHandler::new(
        Arc::clone(&server_log),
        changes,
        Arc::default(),
        Arc::default(),
    )
    .with_defaults_when_alone();
    let server = ServerConfig {
        url: Some(options.url.clone()),
        transport: options.transport,
        headers: options.headers.clone(),
        connect_timeout: options.connect_timeout,
        ..ServerConfig::default()
    };
    let oauth = options.oauth.clone().map(|(settings, interaction)| {
        Arc::new(OAuthSession::new(
            &options.url,
            settings,
            Arc::new(MemoryVault::default()),
            interaction,
        ))
    });
    let launcher = Launcher {
        exe: std::path::PathBuf::new(),
        guard: None,
    };
    let session = connect::connect(
        "probe",
        &server,
        handler,
        &server_log,
        &launcher,
        oauth.as_ref(),
    )
    .await?;
    let peer = session.service.peer().clone();
    let info = peer
        .peer_info()
        .ok_or_else(|| ProbeError::List("the server sent no capabilities".to_owned()))?;
    let capabilities = info.capabilities.clone();
    let catalog = tokio::time::timeout(
        options.connect_timeout,
        Catalog::fetch(&peer, &capabilities),
    )
    .await
    .map_err(|_| ProbeError::List(format!("no answer within {:?}", options.connect_timeout)))?
    .map_err(|e| ProbeError::List(e.to_string()))?;
    Ok(Probed {
        transport: session.transport,
        protocol_version: info.protocol_version.to_string(),
        server_name: info.server_info.as_ref().map(|s| s.name.clone()),
        server_version: info.server_info.as_ref().map(|s| s.version.clone()),
        instructions: info.instructions.clone(),
        capabilities,
        catalog,
        log,
        session,
    })
}

impl Probed {
    pub fn peer(&self) -> &Peer<RoleClient> {
        self.session.service.peer()
    }

    /// Calls a tool; a 2026-07-28 server's `input_required` rounds are answered through the
    /// same handler that answers elicitations.
    pub async fn call(
        &self,
        tool: &str,
        arguments: serde_json::Map<String, serde_json::Value>,
    ) -> Result<CallToolResult, ProbeError> {
        self.session
            .service
            .call_tool(CallToolRequestParams::new(tool.to_owned()).with_arguments(arguments))
            .await
            .map_err(|e| ProbeError::Call {
                tool: tool.to_owned(),
                message: e.to_string(),
            })
    }

    /// Lines logged so far (connection events, server log messages).
    pub fn drain_log(&mut self) -> Vec<LogLine> {
        let mut lines = Vec::new();
        while let Ok(event) = self.log.try_recv() {
            if let DaemonEvent::Log(line) = event {
                lines.push(line);
            }
        }
        lines
    }

    pub async fn close(self) {
        let _ = self.session.service.cancel().await;
    }
}
