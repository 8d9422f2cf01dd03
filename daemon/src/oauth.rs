//! OAuth 2.1 for remote upstream servers (the MCP authorization spec, 2025-03-26 to
//! 2026-07-28), as the client.
//!
//! rmcp's `auth` module does the protocol work: discovery (the 401's `resource_metadata`,
//! RFC 9728 protected-resource metadata at the root and path-based, RFC 8414 and OpenID
//! Connect authorization-server metadata, the 2025-03-26 default endpoints), RFC 7591
//! registration, PKCE S256, RFC 8707 `resource`, the RFC 9207 `iss` check, scope selection
//! and step-up, refresh, client credentials and enterprise-managed authorization. This
//! module decides when each happens and keeps the results:
//!
//! - [`settings`]: what the config (or the probe) says about a server's client identity and
//!   grant.
//! - [`store`]: one record per server (registration and tokens), kept in the secrets store
//!   by the daemon, in memory by the probe.
//! - [`flow`]: the grants: authorization code with a loopback redirect
//!   ([`callback`]), client credentials, enterprise-managed.
//! - [`session`]: the token source an upstream's HTTP client asks for every request:
//!   proactive refresh, one refresh on a 401, then `needs_auth`; step-up on
//!   `insufficient_scope`.
//! - [`headless`]: follows an authorization URL to its redirect without a browser, for the
//!   conformance suite's authorization servers, which approve at once.

pub mod callback;
pub mod flow;
pub mod headless;
mod revoke;
pub mod session;
pub mod settings;
pub mod store;
mod vault;

use rmcp::transport::AuthError;

pub use self::session::{AuthState, Interaction, OAuthSession};
pub use self::settings::{ClientAuth, Grant, OAuthSettings};
pub use self::store::{MemoryVault, OAuthRecord, Vault};
pub use self::vault::{SecretVault, session_for};

/// What went wrong while authorizing with an upstream.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    #[error("{0}")]
    Protocol(#[from] AuthError),
    #[error("enterprise-managed authorization failed: {0}")]
    Enterprise(#[from] rmcp::transport::auth::enterprise::EmaError),
    #[error("cannot listen for the login redirect on 127.0.0.1:{port}: {source}")]
    Listen {
        port: u16,
        #[source]
        source: std::io::Error,
    },
    #[error("the login was not finished within {0:?}")]
    TimedOut(std::time::Duration),
    #[error("the authorization server refused the login: {0}")]
    Denied(String),
    #[error("the login was cancelled")]
    Cancelled,
    #[error("following the authorization URL failed: {0}")]
    Headless(String),
    #[error("cannot keep the tokens: {0}")]
    Store(String),
    #[error("the server asked for more scopes ({0}) and a login is needed to grant them")]
    StepUpNeeded(String),
    #[error("{0}")]
    Config(String),
}

impl OAuthError {
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::Protocol(AuthError::ProtectedResourceMetadataInvalid { .. }) => Some(
                "the server's metadata names another resource; check the server URL".to_owned(),
            ),
            Self::Protocol(
                AuthError::TokenRefreshRejected(_) | AuthError::AuthorizationRequired,
            )
            | Self::StepUpNeeded(_) => {
                Some("log in again with `mcpproxy auth login NAME`".to_owned())
            }
            Self::Listen { .. } => {
                Some("free the port, or set another `oauth.redirect_port` (0 picks any)".to_owned())
            }
            Self::TimedOut(_) => {
                Some("start the login again and finish it in the browser".to_owned())
            }
            Self::Store(_) => Some("check the data directory's permissions".to_owned()),
            _ => None,
        }
    }

    /// True when only a person logging in again can fix it (no retry will).
    pub fn needs_login(&self) -> bool {
        matches!(
            self,
            Self::Protocol(AuthError::TokenRefreshRejected(_) | AuthError::AuthorizationRequired)
                | Self::StepUpNeeded(_)
                | Self::Denied(_)
        )
    }
}

/// Seconds since the epoch, the unit rmcp's stored credentials count in.
pub(crate) fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
