//! Plain requests to an upstream on a client's behalf (prompts, resources, completion,
//! logging level): its live peer, and its errors as the client should see them.

use rmcp::ErrorData;
use rmcp::model::{GetPromptResponse, ReadResourceResponse, ResultType};
use rmcp::service::{Peer, RoleClient, ServiceError};

use crate::protocol::ItemKind;
use crate::upstream::{Connection, ServerShared};

/// The server's live MCP peer, or an error saying it is not connected.
pub fn peer(server: &ServerShared) -> Result<Peer<RoleClient>, ErrorData> {
    connection(server).map(|c| c.peer)
}

/// The server's live connection, or an error saying it is not connected.
pub fn connection(server: &ServerShared) -> Result<Connection, ErrorData> {
    server.connection().ok_or_else(|| {
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

/// Refuses an item the catalog gate holds, saying why.
pub fn refuse_held(server: &ServerShared, kind: ItemKind, name: &str) -> Result<(), ErrorData> {
    match server.held_item(kind, name) {
        None => Ok(()),
        Some(held) => Err(ErrorData::invalid_params(
            format!(
                "{kind} \"{name}\" of server \"{}\" is held back from agents: {}",
                server.name, held.reason
            ),
            None,
        )),
    }
}

/// Whether the upstream speaks 2026-07-28 or later. Those sessions are stateless: what an
/// older client sets up for its session (log level, resource subscriptions) has to travel
/// another way.
pub fn is_stateless(connection: &Connection) -> bool {
    crate::protocol::is_stateless_mcp_version(&connection.protocol_version)
}

/// The upstream's own JSON-RPC errors pass through unchanged; anything else says what broke.
pub fn error(error: ServiceError) -> ErrorData {
    match error {
        ServiceError::McpError(error) => error,
        other => ErrorData::internal_error(format!("the upstream server failed: {other}"), None),
    }
}

/// Marks a relayed result `resultType: "complete"` when the upstream left it out. Servers
/// before 2026-07-28 never send it, but a 2026-07-28 client requires it on every result
/// (the Python SDK 2.x rejects the result without it); rmcp strips `"complete"` again for
/// clients of older revisions.
pub fn complete(result_type: &mut Option<ResultType>) {
    if result_type.is_none() {
        *result_type = Some(ResultType::COMPLETE);
    }
}

/// [`complete`] for a relayed `prompts/get` answer.
pub fn complete_prompt(mut response: GetPromptResponse) -> GetPromptResponse {
    if let GetPromptResponse::Complete(result) = &mut response {
        complete(&mut result.result_type);
    }
    response
}

/// [`complete`] for a relayed `resources/read` answer.
pub fn complete_resource(mut response: ReadResourceResponse) -> ReadResourceResponse {
    if let ReadResourceResponse::Complete(result) = &mut response {
        complete(&mut result.result_type);
    }
    response
}
