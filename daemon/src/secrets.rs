//! The secrets store: tokens, client secrets and the secret parts of headers and env values,
//! kept out of `config.toml`, which refers to them as `${secret:NAME}` (or, as MCPProxy
//! configs write it, `${keyring:NAME}`).
//!
//! Secrets go to the OS keyring when there is one (the Secret Service over D-Bus, under
//! service `mcpproxy` with the name as `username`, where MCPProxy keeps its own), else to
//! `DATA_DIR/secrets.json`, mode 0600. Reads look in both, keyring first, so secrets stored
//! before a keyring appeared stay readable. `MCPPROXY_SECRETS=file` (or `keyring`) picks one.
//!
//! A secret is shown to people only as [`mask`]: `••••` and its last two characters.

pub mod detect;
#[cfg(feature = "keyring")]
mod keyring;
pub mod migrate;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// Where a secret lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    Keyring,
    File,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Keyring => "keyring",
            Self::File => "file",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("\"{0}\" is not a secret name: use letters, digits, '_', '-' and '.'")]
    BadName(String),
    #[error("cannot read or write {}: {source}", path.display())]
    File {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is not a secrets file: {message}", path.display())]
    Corrupt { path: PathBuf, message: String },
    #[error("the OS keyring failed: {0}")]
    Keyring(String),
}

impl SecretError {
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::File { .. } | Self::Corrupt { .. } => {
                Some("check the data directory's permissions (the file is mode 0600)".to_owned())
            }
            Self::Keyring(_) => Some(
                "unlock the keyring, or set MCPPROXY_SECRETS=file to keep secrets in the data directory"
                    .to_owned(),
            ),
            Self::BadName(_) => None,
        }
    }
}

/// One secret as `secret list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecretEntry {
    pub name: String,
    pub backend: Backend,
    /// `••••` plus the last two characters.
    pub masked: String,
}

/// The store of one data directory.
#[derive(Debug, Clone)]
pub struct SecretStore {
    file: PathBuf,
    keyring: bool,
}

impl SecretStore {
    /// The store for `data_dir`: the keyring when one answers (and `MCPPROXY_SECRETS` does
    /// not say `file`), and the data dir's file.
    pub fn open(data_dir: &Path) -> Self {
        let choice = std::env::var("MCPPROXY_SECRETS").unwrap_or_default();
        let keyring = match choice.as_str() {
            "file" => false,
            _ => keyring_available(),
        };
        Self {
            file: data_dir.join("secrets.json"),
            keyring,
        }
    }

    /// Only the file in `data_dir` (tests, and machines without a keyring).
    pub fn file_only(data_dir: &Path) -> Self {
        Self {
            file: data_dir.join("secrets.json"),
            keyring: false,
        }
    }

    /// Where new secrets go.
    pub fn backend(&self) -> Backend {
        if self.keyring {
            Backend::Keyring
        } else {
            Backend::File
        }
    }

    pub fn file_path(&self) -> &Path {
        &self.file
    }

    pub fn get(&self, name: &str) -> Result<Option<String>, SecretError> {
        check_name(name)?;
        if self.keyring
            && let Some(value) = keyring_get(name)?
        {
            return Ok(Some(value));
        }
        Ok(self.read_file()?.remove(name))
    }

    /// Stores `value` under `name` (replacing any), in the keyring when there is one.
    pub fn set(&self, name: &str, value: &str) -> Result<Backend, SecretError> {
        check_name(name)?;
        if self.keyring {
            keyring_set(name, value)?;
            // An older copy in the file would otherwise outlive the new value there.
            self.edit_file(|secrets| {
                secrets.remove(name);
            })?;
            return Ok(Backend::Keyring);
        }
        self.edit_file(|secrets| {
            secrets.insert(name.to_owned(), value.to_owned());
        })?;
        Ok(Backend::File)
    }

    /// Removes `name` from both places; true when it was somewhere.
    pub fn remove(&self, name: &str) -> Result<bool, SecretError> {
        check_name(name)?;
        let in_keyring = self.keyring && keyring_remove(name)?;
        let mut in_file = false;
        if self.file.exists() {
            self.edit_file(|secrets| in_file = secrets.remove(name).is_some())?;
        }
        Ok(in_keyring || in_file)
    }

    pub fn list(&self) -> Result<Vec<SecretEntry>, SecretError> {
        let mut entries: BTreeMap<String, SecretEntry> = BTreeMap::new();
        for (name, value) in self.read_file()? {
            entries.insert(
                name.clone(),
                SecretEntry {
                    name,
                    backend: Backend::File,
                    masked: mask(&value),
                },
            );
        }
        if self.keyring {
            for (name, value) in keyring_list()? {
                entries.insert(
                    name.clone(),
                    SecretEntry {
                        name,
                        backend: Backend::Keyring,
                        masked: mask(&value),
                    },
                );
            }
        }
        Ok(entries.into_values().collect())
    }

    fn read_file(&self) -> Result<BTreeMap<String, String>, SecretError> {
        let text = match std::fs::read_to_string(&self.file) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
            Err(source) => {
                return Err(SecretError::File {
                    path: self.file.clone(),
                    source,
                });
            }
        };
        serde_json::from_str(&text).map_err(|e| SecretError::Corrupt {
            path: self.file.clone(),
            message: e.to_string(),
        })
    }

    /// Read, change, write back atomically with mode 0600 (set before any byte is written).
    #[expect(
        clippy::disallowed_methods,
        reason = "the store is blocking by design: the daemon calls it on a blocking thread (oauth/vault.rs), the CLI directly"
    )]
    fn edit_file(
        &self,
        change: impl FnOnce(&mut BTreeMap<String, String>),
    ) -> Result<(), SecretError> {
        let file_error = |source| SecretError::File {
            path: self.file.clone(),
            source,
        };
        let mut secrets = self.read_file()?;
        change(&mut secrets);
        let text = serde_json::to_string_pretty(&secrets).map_err(|e| SecretError::Corrupt {
            path: self.file.clone(),
            message: e.to_string(),
        })?;
        if let Some(dir) = self.file.parent() {
            std::fs::create_dir_all(dir).map_err(file_error)?;
        }
        let temp = self.file.with_extension("json.tmp");
        {
            use std::io::Write as _;
            use std::os::unix::fs::OpenOptionsExt as _;
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&temp)
                .map_err(file_error)?;
            file.write_all(text.as_bytes()).map_err(file_error)?;
            file.sync_all().map_err(file_error)?;
        }
        std::fs::rename(&temp, &self.file).map_err(file_error)
    }
}

/// The secrets store of `data_dir` as the source of `${secret:NAME}` in configs (see
/// `config::use_secrets`). The store is opened at the first lookup, so a config without
/// references never touches the keyring.
pub fn source(data_dir: PathBuf) -> crate::config::SecretSource {
    let store = std::sync::OnceLock::new();
    Box::new(move |name| {
        store
            .get_or_init(|| SecretStore::open(&data_dir))
            .get(name)
            .map_err(|e| e.to_string())
    })
}

/// Secret names are plain: they appear in `${secret:NAME}` and on command lines.
pub fn check_name(name: &str) -> Result<(), SecretError> {
    let plain = !name.is_empty()
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if plain {
        Ok(())
    } else {
        Err(SecretError::BadName(name.to_owned()))
    }
}

/// How a person sees a secret: `••••` and its last two characters (none for a value so
/// short that two would give most of it away).
pub fn mask(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() < 8 {
        return "••••".to_owned();
    }
    let tail: String = chars[chars.len() - 2..].iter().collect();
    format!("••••{tail}")
}

#[cfg(feature = "keyring")]
fn keyring_available() -> bool {
    keyring::available()
}
#[cfg(feature = "keyring")]
fn keyring_get(name: &str) -> Result<Option<String>, SecretError> {
    keyring::get(name)
}
#[cfg(feature = "keyring")]
fn keyring_set(name: &str, value: &str) -> Result<(), SecretError> {
    keyring::set(name, value)
}
#[cfg(feature = "keyring")]
fn keyring_remove(name: &str) -> Result<bool, SecretError> {
    keyring::remove(name)
}
#[cfg(feature = "keyring")]
fn keyring_list() -> Result<Vec<(String, String)>, SecretError> {
    keyring::list()
}

#[cfg(not(feature = "keyring"))]
fn keyring_available() -> bool {
    false
}
#[cfg(not(feature = "keyring"))]
fn keyring_get(_: &str) -> Result<Option<String>, SecretError> {
    Ok(None)
}
#[cfg(not(feature = "keyring"))]
fn keyring_set(_: &str, _: &str) -> Result<(), SecretError> {
    Err(SecretError::Keyring(
        "built without keyring support".to_owned(),
    ))
}
#[cfg(not(feature = "keyring"))]
fn keyring_remove(_: &str) -> Result<bool, SecretError> {
    Ok(false)
}
#[cfg(not(feature = "keyring"))]
fn keyring_list() -> Result<Vec<(String, String)>, SecretError> {
    Ok(Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_all_but_the_last_two_characters() {
        assert_eq!(mask("ghp_abcdefghijklmnop"), "••••op");
        assert_eq!(mask("short"), "••••");
    }

    #[test]
    fn keeps_secrets_in_a_private_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = SecretStore::file_only(dir.path());
        assert_eq!(
            store.set("GITHUB_TOKEN", "ghp_secret_value").unwrap(),
            Backend::File
        );
        assert_eq!(
            store.get("GITHUB_TOKEN").unwrap().as_deref(),
            Some("ghp_secret_value")
        );
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(store.file_path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let listed = store.list().unwrap();
        assert_eq!(listed[0].masked, "••••ue");
        assert!(store.remove("GITHUB_TOKEN").unwrap());
        assert!(!store.remove("GITHUB_TOKEN").unwrap());
        assert_eq!(store.get("GITHUB_TOKEN").unwrap(), None);
        assert!(store.set("bad name", "x").is_err());
    }
}
