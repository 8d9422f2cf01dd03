//! The daemon's side: each remote server's OAuth session, its record kept in the secrets
//! store as `oauth.NAME`.

use std::path::Path;
use std::sync::Arc;

use super::{Interaction, OAuthSession, OAuthSettings, Vault};
use crate::config::ServerConfig;
use crate::secrets::SecretStore;

/// One server's OAuth record as a secret.
pub struct SecretVault {
    store: SecretStore,
    name: String,
}

impl SecretVault {
    pub fn new(store: SecretStore, server: &str) -> Self {
        Self {
            store,
            name: format!("oauth.{server}"),
        }
    }
}

/// The store may talk to the keyring over D-Bus: keep it off the async workers.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| e.to_string())?
}

#[async_trait::async_trait]
impl Vault for SecretVault {
    async fn load(&self) -> Result<Option<String>, String> {
        let (store, name) = (self.store.clone(), self.name.clone());
        blocking(move || store.get(&name).map_err(|e| e.to_string())).await
    }

    async fn save(&self, text: &str) -> Result<(), String> {
        let (store, name, text) = (self.store.clone(), self.name.clone(), text.to_owned());
        blocking(move || {
            store
                .set(&name, &text)
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
        .await
    }

    async fn clear(&self) -> Result<(), String> {
        let (store, name) = (self.store.clone(), self.name.clone());
        blocking(move || store.remove(&name).map(|_| ()).map_err(|e| e.to_string())).await
    }
}

/// The OAuth session of a remote streamable-HTTP server (`None` for others): logins are
/// left to a person ([`Interaction::Deferred`]), tokens go to the secrets store of
/// `data_dir`.
pub fn session_for(name: &str, config: &ServerConfig, data_dir: &Path) -> Option<OAuthSession> {
    let url = config.url.as_ref()?;
    if config.transport == crate::config::TransportSetting::Sse {
        return None;
    }
    let oauth = config.oauth.clone().unwrap_or_default();
    let settings = OAuthSettings {
        client_id: oauth.client_id,
        client_secret: oauth.client_secret,
        scopes: oauth.scopes,
        client_metadata_url: oauth.client_metadata_url,
        redirect_port: oauth.redirect_port,
        grant: super::Grant::AuthorizationCode,
    };
    let vault: Arc<dyn Vault> = Arc::new(SecretVault::new(SecretStore::open(data_dir), name));
    Some(OAuthSession::new(
        url,
        settings,
        vault,
        Interaction::Deferred,
    ))
}
