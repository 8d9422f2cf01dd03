//! Plain requests to an upstream on a client's behalf (prompts, resources, completion,
//! logging level): its live peer, and its errors as the client should see them.

use rmcp::ErrorData;
use rmcp::service::{Peer, RoleClient, ServiceError};

use crate::upstream::ServerShared;

/// The server's live MCP peer, or an error saying it is not connected.
pub fn peer(server: &ServerShared) -> Result<Peer<RoleClient>, ErrorData> {
    server.connection().map(|c| c.peer).ok_or_else(|| {
        ErrorData::internal_error(
            format!(
                "server {} is {}, not ready",
                server.name,
                server.view().state
            ),
            None,
        )
    })
}

/// The upstream's own JSON-RPC errors pass through unchanged; anything else says what broke.
pub fn error(error: ServiceError) -> ErrorData {
    match error {
        ServiceError::McpError(error) => error,
        other => ErrorData::internal_error(format!("the upstream server failed: {other}"), None),
    }
}
