//! Secrets in traffic: private keys, cloud keys, API tokens, JWTs, passwords in URLs and
//! credential-looking assignments and query values, found in text and JSON and replaced
//! by a marker naming their kind (`[redacted aws_access_key]`).
//!
//! This runs on every call and every log line, so it is built to cost little when nothing
//! matches: one Aho-Corasick pass over the text for the literals the detectors need
//! (`AKIA`, `ghp_`, `-----BEGIN`, `token=`, ...), and a regex only for the detectors whose
//! literal occurs. Text without any comes back borrowed.

mod detectors;

use std::borrow::Cow;

use serde_json::Value;

use self::detectors::{DETECTORS, TRIGGERS, password_like, pem_blocks, random_enough};

/// What a secret is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretKind {
    PrivateKey,
    AwsAccessKey,
    AwsSecretKey,
    GcpServiceAccount,
    GcpApiKey,
    GoogleOauthToken,
    GithubToken,
    GitlabToken,
    SlackToken,
    SlackWebhook,
    StripeKey,
    AnthropicKey,
    OpenaiKey,
    HuggingfaceToken,
    NpmToken,
    PypiToken,
    SendgridKey,
    Jwt,
    BearerToken,
    /// The password of `scheme://user:password@host`.
    UrlPassword,
    /// A credential in a query string (`?access_token=`, `&sig=`).
    UrlCredential,
    /// `password=...`, `"password": "..."`.
    Password,
    /// `api_key=...`, `"client_secret": "..."` with a random-looking value.
    GenericSecret,
}

impl SecretKind {
    const ALL: [Self; 23] = [
        Self::PrivateKey,
        Self::AwsAccessKey,
        Self::AwsSecretKey,
        Self::GcpServiceAccount,
        Self::GcpApiKey,
        Self::GoogleOauthToken,
        Self::GithubToken,
        Self::GitlabToken,
        Self::SlackToken,
        Self::SlackWebhook,
        Self::StripeKey,
        Self::AnthropicKey,
        Self::OpenaiKey,
        Self::HuggingfaceToken,
        Self::NpmToken,
        Self::PypiToken,
        Self::SendgridKey,
        Self::Jwt,
        Self::BearerToken,
        Self::UrlPassword,
        Self::UrlCredential,
        Self::Password,
        Self::GenericSecret,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::PrivateKey => "private_key",
            Self::AwsAccessKey => "aws_access_key",
            Self::AwsSecretKey => "aws_secret_key",
            Self::GcpServiceAccount => "gcp_service_account",
            Self::GcpApiKey => "gcp_api_key",
            Self::GoogleOauthToken => "google_oauth_token",
            Self::GithubToken => "github_token",
            Self::GitlabToken => "gitlab_token",
            Self::SlackToken => "slack_token",
            Self::SlackWebhook => "slack_webhook",
            Self::StripeKey => "stripe_key",
            Self::AnthropicKey => "anthropic_key",
            Self::OpenaiKey => "openai_key",
            Self::HuggingfaceToken => "huggingface_token",
            Self::NpmToken => "npm_token",
            Self::PypiToken => "pypi_token",
            Self::SendgridKey => "sendgrid_key",
            Self::Jwt => "jwt",
            Self::BearerToken => "bearer_token",
            Self::UrlPassword => "url_password",
            Self::UrlCredential => "url_credential",
            Self::Password => "password",
            Self::GenericSecret => "generic_secret",
        }
    }

    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

impl std::fmt::Display for SecretKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of secret kinds: what a text or a call carried.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SecretKinds(u32);

impl SecretKinds {
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn contains(self, kind: SecretKind) -> bool {
        self.0 & kind.bit() != 0
    }

    pub fn insert(&mut self, kind: SecretKind) {
        self.0 |= kind.bit();
    }

    pub fn extend(&mut self, other: Self) {
        self.0 |= other.0;
    }

    pub fn iter(self) -> impl Iterator<Item = SecretKind> {
        SecretKind::ALL
            .into_iter()
            .filter(move |k| self.contains(*k))
    }
}

/// One secret in a text: its kind and byte span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecretMatch {
    pub kind: SecretKind,
    pub start: usize,
    pub end: usize,
}

/// Text with its secrets replaced, and the kinds that were there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redacted<'a> {
    pub text: Cow<'a, str>,
    pub kinds: SecretKinds,
}

/// The secrets in `text`, in order, without overlaps (an earlier or longer match wins).
pub fn find(text: &str) -> Vec<SecretMatch> {
    let mut found = Vec::new();
    if text.len() < 8 {
        return found;
    }
    if text.contains("-----BEGIN ") {
        found.extend(
            pem_blocks(text)
                .into_iter()
                .map(|(start, end)| SecretMatch {
                    kind: SecretKind::PrivateKey,
                    start,
                    end,
                }),
        );
    }
    let triggers = &*TRIGGERS;
    let mut wanted = 0u64;
    for m in triggers.automaton.find_overlapping_iter(text) {
        wanted |= 1 << triggers.owner[m.pattern().as_usize()];
    }
    if wanted == 0 && found.is_empty() {
        return found;
    }
    for (index, detector) in DETECTORS.iter().enumerate() {
        if wanted & (1 << index) == 0 {
            continue;
        }
        for captures in detector.regex.captures_iter(text) {
            let Some(secret) = captures.get(detector.group) else {
                continue;
            };
            if (detector.check)(secret.as_str()) {
                found.push(SecretMatch {
                    kind: detector.kind,
                    start: secret.start(),
                    end: secret.end(),
                });
            }
        }
    }
    found.sort_by_key(|m| (m.start, std::cmp::Reverse(m.end)));
    let mut kept: Vec<SecretMatch> = Vec::with_capacity(found.len());
    for m in found {
        match kept.last() {
            Some(last) if m.start < last.end => {}
            _ => kept.push(m),
        }
    }
    kept
}

/// Whether `text` holds a secret.
pub fn contains_secret(text: &str) -> bool {
    !find(text).is_empty()
}

/// `text` with every secret replaced by `[redacted KIND]`, and the kinds found.
pub fn redact(text: &str) -> Redacted<'_> {
    let found = find(text);
    if found.is_empty() {
        return Redacted {
            text: Cow::Borrowed(text),
            kinds: SecretKinds::default(),
        };
    }
    let mut out = String::with_capacity(text.len());
    let mut kinds = SecretKinds::default();
    let mut at = 0;
    for m in found {
        out.push_str(&text[at..m.start]);
        out.push_str(&marker(m.kind));
        kinds.insert(m.kind);
        at = m.end;
    }
    out.push_str(&text[at..]);
    Redacted {
        text: Cow::Owned(out),
        kinds,
    }
}

/// `text` with every secret replaced by `[redacted KIND]`.
pub fn redact_str(text: &str) -> Cow<'_, str> {
    redact(text).text
}

/// What a secret of `kind` is replaced with: `[redacted KIND]`.
pub fn marker(kind: SecretKind) -> String {
    format!("[redacted {kind}]")
}

/// Replaces the secrets in every string of `value` (and the whole value of keys such as
/// `password`, `client_secret` or `api_key`) in place; returns the kinds found.
pub fn redact_json(value: &mut Value) -> SecretKinds {
    let mut kinds = SecretKinds::default();
    redact_value(value, &mut kinds);
    kinds
}

fn redact_value(value: &mut Value, kinds: &mut SecretKinds) {
    match value {
        Value::String(text) => {
            let redacted = redact(text);
            if let Cow::Owned(new) = redacted.text {
                kinds.extend(redacted.kinds);
                *text = new;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| redact_value(v, kinds)),
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                if let Value::String(text) = item
                    && let Some(kind) = secret_by_key(key, text)
                {
                    kinds.insert(kind);
                    *text = marker(kind);
                    continue;
                }
                redact_value(item, kinds);
            }
        }
        _ => {}
    }
}

/// The kinds of secret in the strings of `map` (and in the values of keys such as
/// `password` or `api_key`), without changing it: what a call's arguments would send.
pub fn kinds_in_object(map: &serde_json::Map<String, Value>) -> SecretKinds {
    let mut kinds = SecretKinds::default();
    scan_object(map, &mut kinds);
    kinds
}

fn scan_value(value: &Value, kinds: &mut SecretKinds) {
    match value {
        Value::String(text) => find(text).iter().for_each(|m| kinds.insert(m.kind)),
        Value::Array(items) => items.iter().for_each(|v| scan_value(v, kinds)),
        Value::Object(map) => scan_object(map, kinds),
        _ => {}
    }
}

fn scan_object(map: &serde_json::Map<String, Value>, kinds: &mut SecretKinds) {
    for (key, item) in map {
        // A value its key names as a secret may hold other kinds too: all are reported.
        if let Value::String(text) = item
            && let Some(kind) = secret_by_key(key, text)
        {
            kinds.insert(kind);
        }
        scan_value(item, kinds);
    }
}

/// The kind of secret a key names, if its value looks like one.
fn secret_by_key(key: &str, value: &str) -> Option<SecretKind> {
    if value.contains("PRIVATE KEY-----") {
        return Some(SecretKind::PrivateKey);
    }
    let key: String = key
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let kind = match key.as_str() {
        "password" | "passwd" | "pwd" | "passphrase" | "dbpassword" | "userpassword" => {
            return password_like(value).then_some(SecretKind::Password);
        }
        "privatekeyid" => SecretKind::GcpServiceAccount,
        "awssecretaccesskey" | "secretaccesskey" | "awssessiontoken" | "sessiontoken" => {
            SecretKind::AwsSecretKey
        }
        "authorization" | "proxyauthorization" => SecretKind::BearerToken,
        "privatekey" | "clientsecret" | "apikey" | "xapikey" | "secret" | "secretkey"
        | "accesstoken" | "refreshtoken" | "idtoken" | "authtoken" | "token" | "apitoken"
        | "bearertoken" | "accesskey" | "webhooksecret" | "signingsecret" => {
            SecretKind::GenericSecret
        }
        _ => return None,
    };
    let looks_secret = random_enough(value)
        || value.contains("PRIVATE KEY")
        || kind == SecretKind::BearerToken && value.len() >= 12;
    looks_secret.then_some(kind)
}

#[cfg(test)]
mod tests;
