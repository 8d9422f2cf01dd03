//! Calling a tool on an upstream. Every door (REST and the CLI through it, every MCP
//! surface) checks a call the same way first ([`Upstreams::prepare_call`]), is bounded by
//! the server's `call_timeout`, and reports errors that say what to do.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::ServiceError;

use super::{Connection, ServerShared, Upstreams};
use crate::protocol::{CallOutcome, ItemKind, ServerState};

#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("\"{0}\" is not a tool id: write it as server:tool")]
    BadId(String),
    #[error("no server named \"{0}\"")]
    NoServer(String),
    #[error("server \"{server}\" is {state}, not ready")]
    NotReady { server: String, state: ServerState },
    #[error("server \"{server}\" has no tool named \"{tool}\"")]
    NoTool { server: String, tool: String },
    #[error("tool \"{tool}\" of server \"{server}\" is held back from agents: {reason}")]
    Held {
        server: String,
        tool: String,
        reason: String,
    },
    #[error("\"{id}\" did not answer within {timeout:?}")]
    Timeout { id: String, timeout: Duration },
    #[error("\"{id}\" failed: {message}")]
    Upstream { id: String, message: String },
    #[error(
        "the arguments of {server}:{tool} carry a secret ({kinds}); server \"{server}\" has \
         `block_secrets` on, so the call was not sent"
    )]
    SecretInArguments {
        server: String,
        tool: String,
        /// The kinds found, by name (`aws_access_key, private_key`), never the values.
        kinds: String,
    },
}

impl CallError {
    /// How the activity feed records a call that ended with this error.
    pub fn outcome(&self) -> CallOutcome {
        match self {
            Self::Timeout { .. } => CallOutcome::Timeout,
            // A person has to act first: the proxy refused rather than failed.
            Self::NotReady {
                state: ServerState::Quarantined | ServerState::Disabled,
                ..
            }
            | Self::Held { .. }
            | Self::SecretInArguments { .. } => CallOutcome::Refused,
            _ => CallOutcome::Failed,
        }
    }

    pub fn hint(&self) -> Option<String> {
        match self {
            Self::BadId(_) | Self::NoTool { .. } => {
                Some("`mcpproxy tools list` shows the tool ids".to_owned())
            }
            Self::NoServer(_) => Some("`mcpproxy upstream list` shows the servers".to_owned()),
            Self::NotReady { server, state } => Some(match state {
                ServerState::Quarantined => {
                    format!("approve it first: `mcpproxy upstream approve {server}`")
                }
                ServerState::Disabled => {
                    format!("enable it first: `mcpproxy upstream enable {server}`")
                }
                _ => format!("see why: `mcpproxy upstream logs {server}`"),
            }),
            Self::Timeout { .. } => Some(
                "raise the server's `call_timeout` in the config if the tool is slow".to_owned(),
            ),
            Self::Held { server, .. } => Some(format!(
                "`mcpproxy upstream held {server}` lists what is held and why"
            )),
            Self::SecretInArguments { server, .. } => Some(format!(
                "take the secret out of the arguments, or let this server receive secrets: \
                 set `block_secrets = false` under [servers.{server}] in the config"
            )),
            Self::Upstream { .. } => None,
        }
    }
}

/// Refuses a call to a server that blocks secrets when its arguments carry one; the
/// refusal names the kinds found, never the values.
pub fn refuse_secrets(
    server: &str,
    tool: &str,
    block_secrets: bool,
    arguments: Option<&serde_json::Map<String, serde_json::Value>>,
) -> Result<(), CallError> {
    let Some(arguments) = arguments.filter(|_| block_secrets) else {
        return Ok(());
    };
    let kinds = crate::redact::secrets::kinds_in_object(arguments);
    if kinds.is_empty() {
        return Ok(());
    }
    Err(CallError::SecretInArguments {
        server: server.to_owned(),
        tool: tool.to_owned(),
        kinds: kinds
            .iter()
            .map(|kind| kind.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    })
}

/// Splits `server:tool` at the first colon.
pub fn split_id(id: &str) -> Result<(&str, &str), CallError> {
    match id.split_once(':') {
        Some((server, tool)) if !server.trim().is_empty() && !tool.trim().is_empty() => {
            Ok((server.trim(), tool.trim()))
        }
        _ => Err(CallError::BadId(id.to_owned())),
    }
}

/// How long a call waits for a reconnecting server before giving up on it.
const RECONNECT_WAIT: Duration = Duration::from_secs(10);

/// A call that may go ahead: its server, the live connection, and its deadline.
pub(crate) struct Prepared {
    pub server: Arc<ServerShared>,
    pub connection: Connection,
    pub deadline: Instant,
    pub timeout: Duration,
}

impl Upstreams {
    /// What every call checks before it is sent: the server exists, a person lets it run
    /// (enabled, approved), the arguments carry no secret when the server blocks them, it
    /// is connected (a reconnecting one is waited for, briefly), and it has the tool. The
    /// deadline is `started` plus the server's `call_timeout`.
    pub(crate) async fn prepare_call(
        &self,
        server_name: &str,
        tool: &str,
        arguments: Option<&serde_json::Map<String, serde_json::Value>>,
        started: Instant,
    ) -> Result<Prepared, CallError> {
        let (server, settings) = self
            .server_with_settings(server_name)
            .ok_or_else(|| CallError::NoServer(server_name.to_owned()))?;
        let timeout = settings.call_timeout;
        let view = server.view();
        if let Some(state) = ServerState::held(view.enabled, view.quarantined) {
            return Err(CallError::NotReady {
                server: server_name.to_owned(),
                state,
            });
        }
        refuse_secrets(server_name, tool, settings.block_secrets, arguments)?;
        let deadline = crate::deadline::after(started, timeout);
        let connection = connected(
            &server,
            deadline.min(crate::deadline::from_now(RECONNECT_WAIT)),
        )
        .await?;
        if !server.has_tool(tool) {
            if let Some(held) = server.held_item(ItemKind::Tool, tool) {
                return Err(CallError::Held {
                    server: server_name.to_owned(),
                    tool: tool.to_owned(),
                    reason: held.reason,
                });
            }
            return Err(CallError::NoTool {
                server: server_name.to_owned(),
                tool: tool.to_owned(),
            });
        }
        Ok(Prepared {
            server,
            connection,
            deadline,
            timeout,
        })
    }

    /// Calls `server:tool` with `arguments` (the REST door). A call whose connection drops
    /// is sent once more on the new connection.
    pub async fn call_tool(
        &self,
        id: &str,
        arguments: serde_json::Map<String, serde_json::Value>,
    ) -> Result<CallToolResult, CallError> {
        let (server_name, tool) = split_id(id)?;
        let started = Instant::now();
        let params = CallToolRequestParams::new(tool.to_owned()).with_arguments(arguments);
        let mut resent = false;
        loop {
            let call = self
                .prepare_call(server_name, tool, params.arguments.as_ref(), started)
                .await?;
            let sent = call.connection.peer.call_tool(params.clone());
            match tokio::time::timeout_at(call.deadline.into(), sent).await {
                Ok(Ok(result)) => return Ok(result),
                Ok(Err(ServiceError::TransportClosed | ServiceError::TransportSend(_)))
                    if !resent =>
                {
                    resent = true;
                }
                Ok(Err(e)) => {
                    return Err(CallError::Upstream {
                        id: id.to_owned(),
                        message: e.to_string(),
                    });
                }
                Err(_) => {
                    return Err(CallError::Timeout {
                        id: id.to_owned(),
                        timeout: call.timeout,
                    });
                }
            }
        }
    }
}

/// The server's connection; while it is (re)connecting, waits for its state to change
/// until `until`.
async fn connected(server: &ServerShared, until: Instant) -> Result<Connection, CallError> {
    let mut states = server.watch_state();
    loop {
        if let Some(connection) = server.connection() {
            return Ok(connection);
        }
        let state = *states.borrow_and_update();
        // `ready` without a connection is the moment between losing one and saying so.
        let reconnecting = matches!(
            state,
            ServerState::Connecting | ServerState::Backoff | ServerState::Ready
        );
        if !reconnecting {
            return Err(CallError::NotReady {
                server: server.name.clone(),
                state,
            });
        }
        let not_ready = || CallError::NotReady {
            server: server.name.clone(),
            state,
        };
        // The connection is set before the state turns `ready`, so a change is the moment to
        // look again; a server that stays `ready` while its connection is being replaced
        // gets a short second look.
        let changed = tokio::time::timeout_at(until.into(), states.changed());
        match changed.await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => return Err(not_ready()),
            Err(_) if server.connection().is_some() => {}
            Err(_) => return Err(not_ready()),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn arguments(value: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
        match value {
            serde_json::Value::Object(map) => map,
            _ => serde_json::Map::new(),
        }
    }

    #[test]
    fn a_server_that_blocks_secrets_refuses_arguments_that_carry_one() {
        let key = ["AKIA", "IOSFODNN7EXAMPLE"].concat();
        let pem = [
            "-----BEGIN RSA PRIVATE KEY-----\n",
            "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n",
            "-----END RSA PRIVATE KEY-----\n",
        ]
        .concat();
        let carrying = arguments(json!({"message": format!("use {key}"), "nested": [{"k": pem}]}));
        let error = refuse_secrets("demo", "echo", true, Some(&carrying))
            .err()
            .map(|e| (e.to_string(), e.hint(), e.outcome()));
        let Some((message, hint, outcome)) = error else {
            panic!("a call carrying {key} went through");
        };
        assert_eq!(
            message,
            "the arguments of demo:echo carry a secret (private_key, aws_access_key); server \
             \"demo\" has `block_secrets` on, so the call was not sent"
        );
        assert!(!message.contains(&key));
        assert!(hint.is_some_and(|h| h.contains("block_secrets = false")));
        assert_eq!(outcome, CallOutcome::Refused);

        // Off by default, and clean arguments pass.
        assert!(refuse_secrets("demo", "echo", false, Some(&carrying)).is_ok());
        let clean = arguments(json!({"message": "hello", "count": 3}));
        assert!(refuse_secrets("demo", "echo", true, Some(&clean)).is_ok());
        assert!(refuse_secrets("demo", "echo", true, None).is_ok());
        // A secret named by its key.
        let by_key = arguments(json!({"config": {"password": "hunter2-horse"}}));
        assert!(refuse_secrets("demo", "echo", true, Some(&by_key)).is_err());
    }
}
