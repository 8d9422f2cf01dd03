//! The API key that TCP clients must present. Generated once into `DATA_DIR/api_key` (mode
//! 0600); `MCPPROXY_API_KEY` overrides it. It never goes into the config or a log.

use std::io::Write as _;
use std::path::Path;

pub const API_KEY_ENV: &str = "MCPPROXY_API_KEY";

/// A secret that does not print itself.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(***)")
    }
}

impl ApiKey {
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Compares in time independent of where the first difference is.
    pub fn matches(&self, candidate: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), candidate.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

/// The key from the environment, else from the file, else a new one written to the file.
#[expect(
    clippy::disallowed_methods,
    reason = "once, during start-up, before the daemon serves anything or runs any upstream"
)]
pub fn load_or_create(path: &Path) -> std::io::Result<ApiKey> {
    if let Ok(key) = std::env::var(API_KEY_ENV)
        && !key.trim().is_empty()
    {
        return Ok(ApiKey(key.trim().to_owned()));
    }
    match std::fs::read_to_string(path) {
        Ok(text) if !text.trim().is_empty() => return Ok(ApiKey(text.trim().to_owned())),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let key = generate()?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    writeln!(file, "{}", key.0)?;
    file.sync_all()?;
    Ok(key)
}

fn generate() -> std::io::Result<ApiKey> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(std::io::Error::other)?;
    Ok(ApiKey(bytes.iter().map(|b| format!("{b:02x}")).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_a_private_key_once_and_reuses_it() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("api_key");
        let first = load_or_create(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(first.expose().len(), 64);
        assert_eq!(
            load_or_create(&path).unwrap_or_else(|e| panic!("{e}")),
            first
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path)
                .map(|m| m.permissions().mode())
                .unwrap_or(0);
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(first.matches(first.expose()));
        assert!(!first.matches("nope"));
        assert_eq!(format!("{first:?}"), "ApiKey(***)");
    }
}
