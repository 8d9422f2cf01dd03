//! OAuth logins to upstream servers, as clients see them: the `oauth` event, `GET
//! /api/v1/auth` and the answer to `POST /api/v1/servers/NAME/login`. No token or secret is
//! ever part of these.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Where one server's authorization stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthStatus {
    /// The server has not asked for authorization (or uses none).
    None,
    /// Tokens are held and in use.
    Authorized,
    /// A login waits for a person: open `login_url`.
    LoginRequired,
    /// A login was started and waits for its redirect.
    LoggingIn,
    #[serde(other)]
    Unknown,
}

impl AuthStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Authorized => "authorized",
            Self::LoginRequired => "login_required",
            Self::LoggingIn => "logging_in",
            Self::Unknown => "unknown",
        }
    }
}

impl std::fmt::Display for AuthStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happened, in an `oauth` event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OAuthChange {
    /// The server needs a login (first time, a refused refresh, more scopes, a logout).
    LoginRequired,
    /// A login was started; `login_url` is where the person goes.
    LoginStarted,
    /// A login finished; the server reconnects.
    LoggedIn,
    /// A login failed or timed out; `message` says why.
    LoginFailed,
    /// Tokens were refreshed ahead of expiry.
    Refreshed,
    /// The tokens were revoked (where the server supports it) and forgotten.
    LoggedOut,
    #[serde(other)]
    Unknown,
}

/// One server's authorization, in `GET /api/v1/auth` and `oauth` events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerAuth {
    pub server: String,
    pub status: AuthStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_url: Option<String>,
    /// When the access token expires, when the server said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
    /// Whether a refresh token is held (so expiry needs no person).
    #[serde(default)]
    pub refreshable: bool,
    /// Scopes granted (or, while a login is required, asked for).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    /// Why a login is required, or why the last one failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// `GET /api/v1/auth`: the servers that use OAuth.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthList {
    pub servers: Vec<ServerAuth>,
}

/// The `oauth` event: a change and the server's authorization after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthEvent {
    pub change: OAuthChange,
    #[serde(flatten)]
    pub auth: ServerAuth,
}
