//! The Secret Service (GNOME Keyring, KWallet, KeePassXC) over D-Bus.
//!
//! Items are `{service = "mcpproxy", username = NAME}`, the attributes MCPProxy (through
//! go-keyring) uses, so its `${keyring:NAME}` secrets are found as they are. Every call runs
//! on a short-lived thread with a runtime of its own and a deadline: the store is called
//! from synchronous code (the config loader) as well as from async code, and a keyring
//! that waits for an unlock prompt must not hang either.

use std::collections::HashMap;
use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

use secret_service::{EncryptionType, SecretService};

use super::SecretError;

const SERVICE: &str = "mcpproxy";
const DEADLINE: Duration = Duration::from_secs(5);

/// Whether a keyring answers (checked once per process).
pub fn available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
            return false;
        }
        run(|| async {
            let service = connect().await?;
            let collection = service.get_default_collection().await.map_err(error)?;
            collection.ensure_unlocked().await.map_err(error)?;
            Ok(())
        })
        .is_ok()
    })
}

pub fn get(name: &str) -> Result<Option<String>, SecretError> {
    let name = name.to_owned();
    run(move || async move {
        let service = connect().await?;
        let found = service
            .search_items(attributes(&name))
            .await
            .map_err(error)?;
        let Some(item) = found.unlocked.first().or(found.locked.first()) else {
            return Ok(None);
        };
        item.ensure_unlocked().await.map_err(error)?;
        let secret = item.get_secret().await.map_err(error)?;
        Ok(Some(String::from_utf8_lossy(&secret).into_owned()))
    })
}

pub fn set(name: &str, value: &str) -> Result<(), SecretError> {
    let name = name.to_owned();
    let value = value.to_owned();
    run(move || async move {
        let service = connect().await?;
        let collection = service.get_default_collection().await.map_err(error)?;
        collection.ensure_unlocked().await.map_err(error)?;
        collection
            .create_item(
                &format!("mcpproxy: {name}"),
                attributes(&name),
                value.as_bytes(),
                true,
                "text/plain",
            )
            .await
            .map_err(error)?;
        Ok(())
    })
}

pub fn remove(name: &str) -> Result<bool, SecretError> {
    let name = name.to_owned();
    run(move || async move {
        let service = connect().await?;
        let found = service
            .search_items(attributes(&name))
            .await
            .map_err(error)?;
        let mut removed = false;
        for item in found.unlocked.iter().chain(found.locked.iter()) {
            item.delete().await.map_err(error)?;
            removed = true;
        }
        Ok(removed)
    })
}

pub fn list() -> Result<Vec<(String, String)>, SecretError> {
    run(|| async {
        let service = connect().await?;
        let found = service
            .search_items(HashMap::from([("service", SERVICE)]))
            .await
            .map_err(error)?;
        let mut out = Vec::new();
        for item in &found.unlocked {
            let names = item.get_attributes().await.map_err(error)?;
            if let Some(name) = names.get("username") {
                let secret = item.get_secret().await.map_err(error)?;
                out.push((name.clone(), String::from_utf8_lossy(&secret).into_owned()));
            }
        }
        Ok(out)
    })
}

fn attributes(name: &str) -> HashMap<&str, &str> {
    HashMap::from([("service", SERVICE), ("username", name)])
}

async fn connect<'a>() -> Result<SecretService<'a>, SecretError> {
    SecretService::connect(EncryptionType::Dh)
        .await
        .map_err(error)
}

fn error(e: secret_service::Error) -> SecretError {
    SecretError::Keyring(e.to_string())
}

/// Runs `work` on its own thread and runtime, giving up after [`DEADLINE`].
fn run<T, F, Fut>(work: F) -> Result<T, SecretError>
where
    T: Send + 'static,
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = Result<T, SecretError>>,
{
    let (done, result) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let outcome = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| SecretError::Keyring(e.to_string()))
            .and_then(|runtime| runtime.block_on(work()));
        let _ = done.send(outcome);
    });
    result
        .recv_timeout(DEADLINE)
        .map_err(|_| SecretError::Keyring(format!("no answer within {DEADLINE:?}")))?
}
