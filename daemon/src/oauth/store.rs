//! One record per server: how mcpproxy is registered there and the tokens it holds.
//!
//! The record is one JSON document in a [`Vault`]: the daemon's is a secret in the secrets
//! store (`oauth.NAME`), the probe's lives in memory. [`RecordStore`] hands rmcp the token
//! half as its `CredentialStore`, so rmcp's refresh writes straight into the record.

use std::sync::{Arc, Mutex};

use oauth2::TokenResponse as _;
use rmcp::transport::auth::{
    AuthError, CredentialRefreshGuard, CredentialStore, StoredCredentials,
};
use serde::{Deserialize, Serialize};

/// Where a record is kept.
#[async_trait::async_trait]
pub trait Vault: Send + Sync {
    async fn load(&self) -> Result<Option<String>, String>;
    async fn save(&self, text: &str) -> Result<(), String>;
    async fn clear(&self) -> Result<(), String>;
}

/// A vault that forgets everything when the process ends (the probe's).
#[derive(Debug, Default)]
pub struct MemoryVault(Mutex<Option<String>>);

#[async_trait::async_trait]
impl Vault for MemoryVault {
    async fn load(&self) -> Result<Option<String>, String> {
        Ok(crate::sync::lock(&self.0).clone())
    }

    async fn save(&self, text: &str) -> Result<(), String> {
        *crate::sync::lock(&self.0) = Some(text.to_owned());
        Ok(())
    }

    async fn clear(&self) -> Result<(), String> {
        *crate::sync::lock(&self.0) = None;
        Ok(())
    }
}

/// How mcpproxy is known to an authorization server.
#[derive(Clone, Serialize, Deserialize)]
pub struct Registration {
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// The redirect URI it was registered with (its port is reused so the registration
    /// stays valid).
    pub redirect_uri: String,
    /// The authorization server that issued it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// True when the registration came from dynamic client registration (so it may be
    /// replaced); false for a configured or metadata-document client id.
    #[serde(default)]
    pub dynamic: bool,
}

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct OAuthRecord {
    /// The server the record belongs to; a record for another URL is not used.
    pub server_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration: Option<Registration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<StoredCredentials>,
    /// Scopes the last login asked for, so a step-up asks for these plus the new ones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
}

impl OAuthRecord {
    /// When the access token expires, in seconds since the epoch, if the server said.
    pub fn expires_at(&self) -> Option<u64> {
        let credentials = self.credentials.as_ref()?;
        let received = credentials.token_received_at?;
        let lifetime = credentials.token_response.as_ref()?.expires_in()?;
        Some(received + lifetime.as_secs())
    }

    pub fn has_refresh_token(&self) -> bool {
        self.credentials
            .as_ref()
            .and_then(|c| c.token_response.as_ref())
            .is_some_and(|t| t.refresh_token().is_some())
    }

    pub fn has_token(&self) -> bool {
        self.credentials
            .as_ref()
            .is_some_and(|c| c.token_response.is_some())
    }
}

/// A server's record in its vault, read and written whole.
pub struct RecordStore {
    server_url: String,
    vault: Arc<dyn Vault>,
    /// Serialises read-modify-write of the record.
    edit: tokio::sync::Mutex<()>,
    /// Held across one refresh (load, token request, save), so two requests that find the
    /// same expired token refresh it once.
    refresh: Arc<tokio::sync::Mutex<()>>,
}

impl std::fmt::Debug for RecordStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordStore")
            .field("server_url", &self.server_url)
            .finish_non_exhaustive()
    }
}

impl RecordStore {
    pub fn new(server_url: &str, vault: Arc<dyn Vault>) -> Self {
        Self {
            server_url: server_url.to_owned(),
            vault,
            edit: tokio::sync::Mutex::new(()),
            refresh: Arc::default(),
        }
    }

    /// The record, or an empty one when there is none or it belongs to another URL.
    pub async fn load(&self) -> Result<OAuthRecord, String> {
        let text = self.vault.load().await?;
        let record = match text {
            Some(text) => serde_json::from_str::<OAuthRecord>(&text)
                .map_err(|e| format!("the stored OAuth record is unreadable: {e}"))?,
            None => OAuthRecord::default(),
        };
        if record.server_url != self.server_url {
            return Ok(OAuthRecord {
                server_url: self.server_url.clone(),
                ..OAuthRecord::default()
            });
        }
        Ok(record)
    }

    pub async fn update(&self, change: impl FnOnce(&mut OAuthRecord)) -> Result<(), String> {
        let _edit = self.edit.lock().await;
        let mut record = self.load().await?;
        change(&mut record);
        record.server_url = self.server_url.clone();
        let text = serde_json::to_string(&record).map_err(|e| e.to_string())?;
        self.vault.save(&text).await
    }

    /// Forgets registration and tokens.
    pub async fn clear(&self) -> Result<(), String> {
        let _edit = self.edit.lock().await;
        self.vault.clear().await
    }

    /// The token half, as rmcp's credential store.
    pub fn credentials(self: &Arc<Self>) -> TokenSlot {
        TokenSlot(Arc::clone(self))
    }
}

/// The tokens of one record, for rmcp.
pub struct TokenSlot(Arc<RecordStore>);

fn store_error(message: String) -> AuthError {
    AuthError::CredentialStoreError(message)
}

#[async_trait::async_trait]
impl CredentialStore for TokenSlot {
    async fn load(&self) -> Result<Option<StoredCredentials>, AuthError> {
        Ok(self.0.load().await.map_err(store_error)?.credentials)
    }

    async fn save(&self, credentials: StoredCredentials) -> Result<(), AuthError> {
        self.0
            .update(|record| record.credentials = Some(credentials))
            .await
            .map_err(store_error)
    }

    async fn clear(&self) -> Result<(), AuthError> {
        self.0
            .update(|record| record.credentials = None)
            .await
            .map_err(store_error)
    }

    async fn acquire_refresh_guard(&self) -> Result<Option<CredentialRefreshGuard>, AuthError> {
        let guard = Arc::clone(&self.0.refresh).lock_owned().await;
        Ok(Some(CredentialRefreshGuard::new(guard)))
    }
}
