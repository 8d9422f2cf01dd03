//! Finding secrets written into a server's config as literals (`Authorization` headers,
//! `*_TOKEN` / `*_KEY` / `*_SECRET` env values, ...) and what replaces them: a
//! `${secret:NAME}` reference, keeping a scheme such as `Bearer ` in the config.

use serde::Serialize;

use crate::config::ServerConfig;

/// Where in a server's table a value sits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    Headers,
    Env,
}

impl Section {
    pub fn key(&self) -> &'static str {
        match self {
            Self::Headers => "headers",
            Self::Env => "env",
        }
    }
}

/// One literal secret in one server's config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Literal {
    pub server: String,
    pub section: Section,
    /// The header name or env key.
    pub key: String,
    /// The name it is stored under.
    pub secret_name: String,
    /// The secret itself (without a scheme like `Bearer `).
    pub value: String,
    /// The config's new value, with the reference in place of the secret.
    pub replacement: String,
}

/// Header names whose values are credentials.
fn secret_header(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    matches!(
        name.as_str(),
        "authorization" | "proxy-authorization" | "cookie"
    ) || ["token", "key", "secret", "password", "auth"]
        .iter()
        .any(|word| name.contains(word))
}

/// Env keys whose values are credentials.
fn secret_env(key: &str) -> bool {
    let key = key.to_ascii_uppercase();
    ["_TOKEN", "_KEY", "_SECRET", "_PASSWORD", "_PAT"]
        .iter()
        .any(|end| key.ends_with(end))
        || matches!(
            key.as_str(),
            "TOKEN" | "KEY" | "SECRET" | "PASSWORD" | "APIKEY" | "API_KEY"
        )
        || key.contains("PASSWORD")
}

/// A secret name from a server and a key: `GITHUB_AUTHORIZATION`, `SLACK_BOT_TOKEN`.
pub fn secret_name(server: &str, key: &str) -> String {
    let mut name = String::new();
    let key_upper = key.to_ascii_uppercase();
    let server_upper = server.to_ascii_uppercase();
    // `SLACK_SLACK_TOKEN` reads badly: a key that already starts with the server's name
    // keeps it once.
    let joined = if key_upper.starts_with(&server_upper) {
        key_upper
    } else {
        format!("{server_upper}_{key_upper}")
    };
    for c in joined.chars() {
        name.push(if c.is_ascii_alphanumeric() { c } else { '_' });
    }
    name
}

/// Splits `Bearer abc` into (`Bearer `, `abc`); a value without a scheme is all secret.
fn split_scheme(value: &str) -> (&str, &str) {
    match value.split_once(' ') {
        Some((scheme, rest))
            if !rest.trim().is_empty()
                && ["bearer", "basic", "token", "bot"]
                    .contains(&scheme.to_ascii_lowercase().as_str()) =>
        {
            let at = value.len() - rest.len();
            (&value[..at], rest)
        }
        _ => ("", value),
    }
}

/// Every literal secret in `server`'s headers and env.
pub fn find(server_name: &str, server: &ServerConfig) -> Vec<Literal> {
    let mut found = Vec::new();
    let literal = |value: &str| !value.trim().is_empty() && !value.contains("${");
    for (key, value) in &server.headers {
        if secret_header(key) && literal(value) {
            let (scheme, secret) = split_scheme(value);
            let name = secret_name(server_name, key);
            found.push(Literal {
                server: server_name.to_owned(),
                section: Section::Headers,
                key: key.clone(),
                secret_name: name.clone(),
                value: secret.to_owned(),
                replacement: format!("{scheme}${{secret:{name}}}"),
            });
        }
    }
    for (key, value) in &server.env {
        if secret_env(key) && literal(value) {
            let name = secret_name(server_name, key);
            found.push(Literal {
                server: server_name.to_owned(),
                section: Section::Env,
                key: key.clone(),
                secret_name: name.clone(),
                value: value.clone(),
                replacement: format!("${{secret:{name}}}"),
            });
        }
    }
    found
}

/// Puts the references in place of the literals in `server`.
pub fn replace(server: &mut ServerConfig, literals: &[Literal]) {
    for literal in literals {
        let map = match literal.section {
            Section::Headers => &mut server.headers,
            Section::Env => &mut server.env,
        };
        if let Some(value) = map.get_mut(&literal.key) {
            *value = literal.replacement.clone();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_bearer_headers_and_token_env_values() {
        let mut server = ServerConfig {
            url: Some("https://h/mcp".to_owned()),
            ..ServerConfig::default()
        };
        server.headers.insert(
            "Authorization".to_owned(),
            "Bearer ghp_abc123def456".to_owned(),
        );
        server
            .headers
            .insert("Accept".to_owned(), "application/json".to_owned());
        server
            .env
            .insert("GITHUB_TOKEN".to_owned(), "ghp_xyz".to_owned());
        server
            .env
            .insert("API_KEY".to_owned(), "${env:API_KEY}".to_owned());
        server
            .env
            .insert("LOG_LEVEL".to_owned(), "debug".to_owned());
        let found = find("github", &server);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].secret_name, "GITHUB_AUTHORIZATION");
        assert_eq!(found[0].value, "ghp_abc123def456");
        assert_eq!(
            found[0].replacement,
            "Bearer ${secret:GITHUB_AUTHORIZATION}"
        );
        assert_eq!(found[1].secret_name, "GITHUB_TOKEN");
        assert_eq!(found[1].replacement, "${secret:GITHUB_TOKEN}");
        replace(&mut server, &found);
        assert_eq!(
            server.headers["Authorization"],
            "Bearer ${secret:GITHUB_AUTHORIZATION}"
        );
        assert!(find("github", &server).is_empty());
    }
}
