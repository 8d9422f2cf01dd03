//! What mcpproxy knows about its client identity at one server before any discovery: from
//! the server's `[servers.NAME.oauth]` table and the global `[oauth]` one, or from the
//! probe's options.

use std::fmt;

/// How tokens are obtained.
#[derive(Clone, Default)]
pub enum Grant {
    /// A person logs in through the browser (authorization code + PKCE).
    #[default]
    AuthorizationCode,
    /// The client authenticates as itself; no person involved (SEP-1046).
    ClientCredentials { client_id: String, auth: ClientAuth },
    /// Enterprise-managed authorization (SEP-990): the IdP's ID token is exchanged for an
    /// ID-JAG at the IdP, which the MCP server's authorization server takes as a JWT-bearer
    /// grant.
    Enterprise(EnterpriseGrant),
}

/// How a confidential client proves who it is at a token endpoint.
#[derive(Clone)]
pub enum ClientAuth {
    /// `client_secret_basic` or `client_secret_post`, whichever the server supports.
    Secret(String),
    /// `private_key_jwt` with a PEM private key (RS256/384/512, ES256/384).
    PrivateKeyJwt { pem: String, algorithm: String },
}

#[derive(Clone)]
pub struct EnterpriseGrant {
    pub idp_issuer: String,
    pub idp_token_endpoint: String,
    pub idp_client_id: String,
    pub idp_client_secret: Option<String>,
    pub id_token: String,
    /// The client registered at the MCP server's authorization server.
    pub client_id: String,
    pub client_secret: Option<String>,
}

#[derive(Clone, Default)]
pub struct OAuthSettings {
    /// A client registered out of band; used before anything else.
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// Scopes to ask for; empty lets discovery choose (the challenge's, else the resource's).
    pub scopes: Vec<String>,
    /// HTTPS URL of this client's metadata document, used as its client id where the
    /// authorization server supports that (SEP-991).
    pub client_metadata_url: Option<String>,
    /// Port of the loopback redirect listener; 0 picks a free one.
    pub redirect_port: u16,
    pub grant: Grant,
}

impl OAuthSettings {
    /// True when tokens come without a person (client credentials, enterprise).
    pub fn is_unattended(&self) -> bool {
        !matches!(self.grant, Grant::AuthorizationCode)
    }
}

// Secrets never reach a log through `Debug`.
impl fmt::Debug for OAuthSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthSettings")
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "••••"),
            )
            .field("scopes", &self.scopes)
            .field("client_metadata_url", &self.client_metadata_url)
            .field("redirect_port", &self.redirect_port)
            .field("grant", &self.grant)
            .finish()
    }
}

impl fmt::Debug for Grant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::AuthorizationCode => "authorization_code",
            Self::ClientCredentials {
                auth: ClientAuth::Secret(_),
                ..
            } => "client_credentials (client secret)",
            Self::ClientCredentials {
                auth: ClientAuth::PrivateKeyJwt { .. },
                ..
            } => "client_credentials (private_key_jwt)",
            Self::Enterprise(_) => "enterprise-managed (token exchange + JWT bearer)",
        })
    }
}
