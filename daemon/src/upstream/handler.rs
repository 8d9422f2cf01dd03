//! The client side of one upstream connection: what mcpproxy tells the server about itself,
//! and what it does with the server's notifications.
//!
//! Logging notifications are deprecated by the 2026-07-28 revision (SEP-2577), but servers of
//! the 2025-11-25 era still send them, and they belong in the server log.
#![allow(deprecated)]

use std::sync::Arc;

use rmcp::ClientHandler;
use rmcp::model::{
    ClientCapabilities, ClientConfig, Implementation, LoggingLevel, LoggingMessageNotificationParam,
};
use rmcp::service::{NotificationContext, RoleClient};
use tokio::sync::mpsc;

use super::server_log::ServerLog;
use crate::protocol::{LogLevel, LogOrigin};

/// A list the server said has changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListChanged {
    Tools,
    Prompts,
    Resources,
}

#[derive(Debug, Clone)]
pub struct UpstreamHandler {
    log: Arc<ServerLog>,
    changes: mpsc::UnboundedSender<ListChanged>,
}

impl UpstreamHandler {
    pub fn new(log: Arc<ServerLog>, changes: mpsc::UnboundedSender<ListChanged>) -> Self {
        Self { log, changes }
    }
}

impl ClientHandler for UpstreamHandler {
    fn get_info(&self) -> ClientConfig {
        ClientConfig::new(
            ClientCapabilities::default(),
            Implementation::new("mcpproxy", env!("CARGO_PKG_VERSION")),
        )
    }

    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        let _ = self.changes.send(ListChanged::Tools);
    }

    async fn on_prompt_list_changed(&self, _context: NotificationContext<RoleClient>) {
        let _ = self.changes.send(ListChanged::Prompts);
    }

    async fn on_resource_list_changed(&self, _context: NotificationContext<RoleClient>) {
        let _ = self.changes.send(ListChanged::Resources);
    }

    async fn on_logging_message(
        &self,
        params: LoggingMessageNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        let level = match params.level {
            LoggingLevel::Debug => LogLevel::Debug,
            LoggingLevel::Info | LoggingLevel::Notice => LogLevel::Info,
            LoggingLevel::Warning => LogLevel::Warn,
            _ => LogLevel::Error,
        };
        let data = match params.data {
            serde_json::Value::String(text) => text,
            other => other.to_string(),
        };
        let text = match params.logger {
            Some(logger) => format!("{logger}: {data}"),
            None => data,
        };
        self.log.write(level, LogOrigin::Server, text);
    }
}

/// On a 2026-07-28 session, list-changed notifications only come to a client that asked for
/// them with a listen subscription. Opens one for every list the server can announce changes
/// of, and passes each change on until the session ends. Older sessions need nothing: their
/// notifications arrive through [`UpstreamHandler`].
pub async fn listen_for_changes(
    peer: rmcp::service::Peer<RoleClient>,
    capabilities: rmcp::model::ServerCapabilities,
    changes: mpsc::UnboundedSender<ListChanged>,
    log: Arc<ServerLog>,
) {
    use rmcp::model::{ServerNotification, SubscriptionFilter};
    let filter = SubscriptionFilter::builder()
        .tools_list_changed()
        .prompts_list_changed()
        .resources_list_changed()
        .build()
        .supported_by(&capabilities);
    if filter == SubscriptionFilter::new() {
        return;
    }
    let mut subscription = match peer.listen(filter).await {
        Ok(subscription) => subscription,
        Err(e) => {
            log.daemon(
                LogLevel::Warn,
                format!("cannot subscribe to list changes: {e}"),
            );
            return;
        }
    };
    while let Ok(Some(notification)) = subscription.next().await {
        let list = match notification {
            ServerNotification::ToolListChangedNotification(_) => ListChanged::Tools,
            ServerNotification::PromptListChangedNotification(_) => ListChanged::Prompts,
            ServerNotification::ResourceListChangedNotification(_) => ListChanged::Resources,
            _ => continue,
        };
        if changes.send(list).is_err() {
            return;
        }
    }
}
