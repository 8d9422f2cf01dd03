//! Reading and checking `config.toml`: parse, validate, expand `${env:VAR}` and
//! `${secret:NAME}` (also spelled `${keyring:NAME}`, as MCPProxy configs write it).
//!
//! A config is either accepted whole or refused whole with every problem located
//! (`file:line:col`, key, hint). Nothing here writes.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use super::locate::{LocatedProblem, Locator, Seg, hide_quoted, nearest, render};
use super::model::{
    Config, MAX_ACTIVITY_AGE, MAX_ACTIVITY_AGE_TEXT, MAX_ACTIVITY_KEEP, MAX_DURATION,
    MAX_DURATION_TEXT, MAX_MCP_SESSIONS, ServerConfig, TransportSetting,
};
use crate::protocol::ConfigProblem;

/// Looks up an environment variable (the process's own, or a test's).
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Looks up a secret: `Ok(None)` when there is none of that name, `Err` when the store
/// cannot be read.
pub type SecretLookup<'a> = &'a dyn Fn(&str) -> Result<Option<String>, String>;

/// Where a process reads `${secret:NAME}` from (see `secrets::source`).
pub type SecretSource = Box<dyn Fn(&str) -> Result<Option<String>, String> + Send + Sync>;

/// Where `${secret:NAME}` is read from in this process; until [`use_secrets`] is called,
/// no secret is known.
static SECRETS: std::sync::OnceLock<SecretSource> = std::sync::OnceLock::new();

/// Makes `source` the source of `${secret:NAME}` for every config this process loads (set
/// once, at start-up).
pub fn use_secrets(source: SecretSource) {
    let _ = SECRETS.set(source);
}

fn process_secrets(name: &str) -> Result<Option<String>, String> {
    match SECRETS.get() {
        Some(source) => source(name),
        None => Ok(None),
    }
}

/// A config that was read and accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedConfig {
    pub path: PathBuf,
    /// With `${env:VAR}` references of runnable servers expanded.
    pub config: Config,
    /// The file as it was read.
    pub text: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config file {} does not exist", path.display())]
    NotFound { path: PathBuf },
    #[error("cannot read config file {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(InvalidConfig),
    #[error(transparent)]
    NotPrivate(crate::paths::NotPrivate),
}

impl ConfigError {
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::NotFound { path } => Some(format!(
                "create it with `mcpproxy config init -c {}`",
                path.display()
            )),
            Self::Io { source, .. } if source.kind() == std::io::ErrorKind::PermissionDenied => {
                Some("check the file's owner and mode".to_owned())
            }
            Self::NotPrivate(e) => Some(e.hint()),
            _ => None,
        }
    }

    pub fn is_permission_denied(&self) -> bool {
        matches!(self, Self::Io { source, .. } if source.kind() == std::io::ErrorKind::PermissionDenied)
            || matches!(self, Self::NotPrivate(_))
    }

    /// The located problems, for a `config_error` event.
    pub fn problems(&self) -> Vec<ConfigProblem> {
        match self {
            Self::Invalid(invalid) => invalid.problems(),
            Self::NotFound { path }
            | Self::Io { path, .. }
            | Self::NotPrivate(crate::paths::NotPrivate { path, .. }) => vec![ConfigProblem {
                file: path.clone(),
                line: 0,
                column: 0,
                key: None,
                message: self.to_string(),
                hint: self.hint(),
            }],
        }
    }
}

/// Every problem found in one config text.
#[derive(Debug, Clone, PartialEq)]
pub struct InvalidConfig {
    pub located: Vec<LocatedProblem>,
    text: String,
}

impl InvalidConfig {
    pub fn problems(&self) -> Vec<ConfigProblem> {
        self.located.iter().map(|l| l.problem.clone()).collect()
    }

    /// The text that was refused.
    pub fn text(&self) -> &str {
        &self.text
    }
}

impl std::fmt::Display for InvalidConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(render(&self.located, &self.text).trim_end())
    }
}

impl std::error::Error for InvalidConfig {}

/// Reads and checks a config file.
pub fn load(path: &Path) -> Result<LoadedConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => ConfigError::NotFound {
            path: path.to_path_buf(),
        },
        _ => ConfigError::Io {
            path: path.to_path_buf(),
            source,
        },
    })?;
    let config = parse(path, &text).map_err(ConfigError::Invalid)?;
    Ok(LoadedConfig {
        path: path.to_path_buf(),
        config,
        text,
    })
}

/// [`load`] for a config that lives in the data dir: refused, before it is read, when
/// another user could write it.
pub fn load_private(path: &Path) -> Result<LoadedConfig, ConfigError> {
    crate::paths::check_private(path, "config file").map_err(ConfigError::NotPrivate)?;
    load(path)
}

/// Parses and checks config text; `file` is only used in messages.
pub fn parse(file: &Path, text: &str) -> Result<Config, InvalidConfig> {
    parse_with_env(file, text, &|name| std::env::var(name).ok())
}

/// [`parse`] with an explicit environment, so tests need not touch the process's.
pub fn parse_with_env(
    file: &Path,
    text: &str,
    env: EnvLookup<'_>,
) -> Result<Config, InvalidConfig> {
    parse_inner(file, text, Some((env, &process_secrets)))
}

/// [`parse`] with an explicit environment and secrets store.
pub fn parse_with(
    file: &Path,
    text: &str,
    env: EnvLookup<'_>,
    secrets: SecretLookup<'_>,
) -> Result<Config, InvalidConfig> {
    parse_inner(file, text, Some((env, secrets)))
}

/// Parses and checks config text, leaving `${env:VAR}` references as written (for showing
/// the config without revealing what the variables hold).
pub fn parse_unexpanded(file: &Path, text: &str) -> Result<Config, InvalidConfig> {
    parse_inner(file, text, None)
}

fn parse_inner(
    file: &Path,
    text: &str,
    env: Option<(EnvLookup<'_>, SecretLookup<'_>)>,
) -> Result<Config, InvalidConfig> {
    let locator = Locator::new(file, text);
    let invalid = |located| InvalidConfig {
        located,
        text: text.to_owned(),
    };
    let mut config: Config =
        toml::from_str(text).map_err(|e| invalid(vec![parse_problem(&locator, &e)]))?;
    let mut problems = validate(&config, &locator);
    if let Some((env, secrets)) = env {
        problems.extend(expand_env(&mut config, &locator, env, secrets));
    }
    if problems.is_empty() {
        Ok(config)
    } else {
        problems.sort_by_key(|p| p.span.start);
        Err(invalid(problems))
    }
}

/// Turns a parser error into a located problem, with a suggestion for unknown keys and values.
fn parse_problem(locator: &Locator<'_>, error: &toml::de::Error) -> LocatedProblem {
    let span = error.span().unwrap_or(0..0);
    let key = locator.key_at(span.start);
    let message = error.message().trim().to_owned();
    let (message, hint) = if let Some((unknown, expected)) = unknown_and_expected(&message, "field")
    {
        let hint = match nearest(&unknown, expected.iter().map(String::as_str)) {
            Some(near) => format!("did you mean `{near}`?"),
            None => format!("known keys here: {}", expected.join(", ")),
        };
        (format!("unknown key `{unknown}`"), Some(hint))
    } else if let Some((unknown, expected)) = unknown_and_expected(&message, "variant") {
        let hint = match nearest(&unknown, expected.iter().map(String::as_str)) {
            Some(near) => format!("did you mean \"{near}\"? (one of: {})", expected.join(", ")),
            None => format!("use one of: {}", expected.join(", ")),
        };
        (format!("unknown value \"{unknown}\""), Some(hint))
    } else if message.contains("duplicate key") {
        let name = locator.text_at(span.clone()).trim_matches('"').to_owned();
        (
            format!("`{name}` is defined twice"),
            Some(
                "each server name and key may appear only once; merge or rename one of them"
                    .to_owned(),
            ),
        )
    } else if message.contains("expected a duration") {
        (
            message,
            Some("write a duration such as \"30s\", \"2m\" or \"1h 30m\"".to_owned()),
        )
    } else {
        (message, None)
    };
    let mut located = locator.at_span(span, key, message, hint);
    if located.secret {
        // The parser may quote the value it could not take: a credential, under env/headers.
        located.problem.message = hide_quoted(&located.problem.message);
    }
    located
}

/// Picks apart serde's "unknown field `x`, expected one of `a`, `b`" message.
fn unknown_and_expected(message: &str, what: &str) -> Option<(String, Vec<String>)> {
    let rest = message.strip_prefix(&format!("unknown {what} `"))?;
    let (unknown, rest) = rest.split_once('`')?;
    let expected = rest
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    Some((unknown.to_owned(), expected))
}

/// Checks what the types alone cannot.
fn validate(config: &Config, locator: &Locator<'_>) -> Vec<LocatedProblem> {
    let mut problems = Vec::new();
    if let Err(message) = check_listen(&config.listen) {
        problems.push(locator.at(
            &[Seg::Key("listen")],
            message,
            Some("write host:port, such as \"127.0.0.1:8080\" (port 0 picks a free port; \"\" turns TCP off)".to_owned()),
        ));
    }
    let limits = |key: &'static str| [Seg::Key("limits"), Seg::Key(key)];
    if !(1..=MAX_MCP_SESSIONS).contains(&config.limits.mcp_sessions) {
        problems.push(locator.at(
            &limits("mcp_sessions"),
            format!(
                "`limits.mcp_sessions` must be between 1 and {MAX_MCP_SESSIONS}, not {}",
                config.limits.mcp_sessions
            ),
            Some("the default, 256, is plenty for a person's clients".to_owned()),
        ));
    }
    if let Err((message, hint)) =
        check_duration("limits.mcp_session_idle", config.limits.mcp_session_idle)
    {
        problems.push(locator.at(&limits("mcp_session_idle"), message, Some(hint)));
    }
    let activity = |key: &'static str| [Seg::Key("activity"), Seg::Key(key)];
    if !(1..=MAX_ACTIVITY_KEEP).contains(&config.activity.keep) {
        problems.push(locator.at(
            &activity("keep"),
            format!(
                "`activity.keep` must be between 1 and {MAX_ACTIVITY_KEEP}, not {}",
                config.activity.keep
            ),
            Some("to keep no calls at all, write `record = false` instead".to_owned()),
        ));
    }
    if config.activity.max_age.is_zero() || config.activity.max_age > MAX_ACTIVITY_AGE {
        problems.push(locator.at(
            &activity("max_age"),
            format!(
                "`activity.max_age` must be longer than 0s and at most {MAX_ACTIVITY_AGE_TEXT}"
            ),
            Some("write a duration such as \"30d\" or \"12h\"".to_owned()),
        ));
    }
    for (name, server) in &config.servers {
        validate_server(name, server, locator, &mut problems);
    }
    problems
}

/// A duration setting must be longer than zero and at most [`MAX_DURATION`], so that every
/// deadline computed from it is a real point in time.
fn check_duration(key: &str, value: std::time::Duration) -> Result<(), (String, String)> {
    if value.is_zero() {
        Err((
            format!("`{key}` must be longer than 0s"),
            "write a duration such as \"30s\" or \"2m\"".to_owned(),
        ))
    } else if value > MAX_DURATION {
        Err((
            format!("`{key}` is longer than the maximum of {MAX_DURATION_TEXT}"),
            format!(
                "write a duration of at most \"{MAX_DURATION_TEXT}\", such as \"30s\" or \"2m\""
            ),
        ))
    } else {
        Ok(())
    }
}

/// An HTTP header as the config may give it: a token for the name, and a value without line
/// breaks or other control characters (they would split or smuggle headers). The value is
/// never quoted back: it is often a credential.
pub fn check_header(name: &str, value: &str) -> Result<(), String> {
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if name.is_empty() || !name.chars().all(token) {
        return Err(format!(
            "header name \"{}\" is not a valid HTTP header name",
            name.escape_debug()
        ));
    }
    if value
        .chars()
        .any(|c| (c.is_control() && c != '\t') || c == '\u{7f}')
    {
        let what = if value.contains(['\n', '\r']) {
            "a line break"
        } else {
            "a control character"
        };
        return Err(format!("the value of header `{name}` contains {what}"));
    }
    Ok(())
}

/// Checks a `listen` value: `""`, or `host:port` with an IP address or `localhost`.
pub fn check_listen(listen: &str) -> Result<(), String> {
    if listen.is_empty() || listen.parse::<SocketAddr>().is_ok() {
        return Ok(());
    }
    match listen.rsplit_once(':') {
        Some(("localhost", port)) if port.parse::<u16>().is_ok() => Ok(()),
        Some((_, port)) if port.parse::<u16>().is_err() => {
            Err(format!("`listen` = \"{listen}\" has no valid port"))
        }
        Some((host, _)) => Err(format!(
            "`listen` = \"{listen}\": \"{host}\" is not an IP address or localhost"
        )),
        None => Err(format!("`listen` = \"{listen}\" is not host:port")),
    }
}

/// Rules for server names: they appear in URLs, in `server:tool` ids and in `server__tool`
/// names, so they are short, plain and free of the separators.
pub fn check_server_name(name: &str) -> Result<(), String> {
    let plain = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if name.is_empty() {
        Err("a server name is empty".to_owned())
    } else if name.len() > 48 {
        Err(format!(
            "server name \"{name}\" is longer than 48 characters"
        ))
    } else if !plain || !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        Err(format!(
            "server name \"{name}\" may only hold letters, digits, '-', '_' and '.', and must start with a letter or digit"
        ))
    } else if name.contains("__") {
        Err(format!(
            "server name \"{name}\" contains \"__\", which separates server and tool in tool names"
        ))
    } else {
        Ok(())
    }
}

fn validate_server(
    name: &str,
    server: &ServerConfig,
    locator: &Locator<'_>,
    problems: &mut Vec<LocatedProblem>,
) {
    let at = |key: &'static str| [Seg::Key("servers"), Seg::Key(name), Seg::Key(key)];
    let table = [Seg::Key("servers"), Seg::Key(name)];
    let mut push = |path: &[Seg<'_>], message: String, hint: &str| {
        problems.push(locator.at(path, message, Some(hint.to_owned())));
    };
    if let Err(message) = check_server_name(name) {
        push(
            &table,
            message,
            "rename the [servers.NAME] table, e.g. \"my-server\"",
        );
    }
    let sources = [
        server.builtin.is_some(),
        server.command.is_some(),
        server.url.is_some(),
    ];
    match sources.iter().filter(|s| **s).count() {
        0 => push(
            &table,
            format!("server \"{name}\" has no `command`, `url` or `builtin`"),
            "add `command = \"...\"` for a local server or `url = \"https://...\"` for a remote one",
        ),
        1 => {}
        _ if server.command.is_some() && server.url.is_some() => push(
            &at("url"),
            format!("server \"{name}\" has both `command` and `url`"),
            "a server is either a local command (stdio) or a remote url: remove one of them",
        ),
        _ => push(
            &at("builtin"),
            format!("server \"{name}\" has `builtin` and also `command` or `url`"),
            "a built-in server needs neither: remove `command`/`url`",
        ),
    }
    if server
        .command
        .as_deref()
        .is_some_and(|c| c.trim().is_empty())
    {
        push(
            &at("command"),
            format!("server \"{name}\" has an empty `command`"),
            "name the program to run, e.g. command = \"npx\"",
        );
    }
    if let Some(url) = &server.url
        && !url.contains("${")
        && let Err(message) = check_url(url)
    {
        let message = crate::redact::masked(message);
        push(
            &at("url"),
            format!("server \"{name}\": {message}"),
            "write a full http:// or https:// URL, e.g. \"https://example.com/mcp\"",
        );
    }
    let remote = server.url.is_some();
    let local = server.command.is_some() || server.builtin.is_some();
    match server.transport {
        TransportSetting::Stdio if remote => push(
            &at("transport"),
            format!("server \"{name}\" has transport \"stdio\" but a `url`"),
            "use transport = \"http\", \"sse\" or \"auto\" with a url",
        ),
        TransportSetting::Http | TransportSetting::Sse if local => push(
            &at("transport"),
            format!("server \"{name}\" has an HTTP transport but runs a local command"),
            "use transport = \"stdio\" or \"auto\" with a command",
        ),
        _ => {}
    }
    if remote {
        for (key, present) in [
            ("args", !server.args.is_empty()),
            ("env", !server.env.is_empty()),
            ("cwd", server.cwd.is_some()),
        ] {
            if present {
                push(
                    &at(key),
                    format!("server \"{name}\": `{key}` only applies to local servers"),
                    "remove it, or use `command` instead of `url`",
                );
            }
        }
    } else if !server.headers.is_empty() {
        push(
            &at("headers"),
            format!("server \"{name}\": `headers` only apply to remote servers"),
            "remove them, or pass values to a local server through `env`",
        );
    }
    for (key, value) in &server.headers {
        if let Err(message) = check_header(key, value) {
            push(
                &[
                    Seg::Key("servers"),
                    Seg::Key(name),
                    Seg::Key("headers"),
                    Seg::Key(key),
                ],
                format!("server \"{name}\": {message}"),
                "write the value on one line; put each header in a key of its own",
            );
        }
    }
    for (index, tool) in server.disabled_tools.iter().enumerate() {
        let message = if tool.trim().is_empty() {
            format!("server \"{name}\": an empty tool name in `disabled_tools`")
        } else if server.disabled_tools[..index].contains(tool) {
            format!("server \"{name}\": \"{tool}\" is in `disabled_tools` twice")
        } else {
            continue;
        };
        push(
            &[
                Seg::Key("servers"),
                Seg::Key(name),
                Seg::Key("disabled_tools"),
                Seg::Index(index),
            ],
            message,
            "list each tool once by its name on the server, e.g. disabled_tools = [\"delete_file\"]",
        );
    }
    let durations = [
        ("connect_timeout", server.connect_timeout, true),
        ("call_timeout", server.call_timeout, true),
        ("shutdown_grace", server.shutdown_grace, false),
        ("kill_grace", server.kill_grace, false),
        ("ping_interval", server.ping_interval, false),
    ];
    for (key, value, must_be_positive) in durations {
        if value.is_zero() && !must_be_positive {
            continue;
        }
        if let Err((message, hint)) = check_duration(key, value) {
            push(&at(key), format!("server \"{name}\": {message}"), &hint);
        }
    }
}

/// An http(s) URL with a host.
pub fn check_url(url: &str) -> Result<(), String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("`url` = \"{url}\" is not a URL"))?;
    if !matches!(scheme, "http" | "https") {
        return Err(format!("`url` = \"{url}\" is not http or https"));
    }
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err(format!("`url` = \"{url}\" has no host"));
    }
    Ok(())
}

/// Replaces `${env:VAR}` and `${secret:NAME}` in the fields of every server. A variable or
/// secret that is missing is a problem only for a server that would run; others keep the
/// reference as written.
fn expand_env(
    config: &mut Config,
    locator: &Locator<'_>,
    env: EnvLookup<'_>,
    secrets: SecretLookup<'_>,
) -> Vec<LocatedProblem> {
    let mut problems = Vec::new();
    for (name, server) in &mut config.servers {
        let runs = server.should_run();
        // Expands one value; a problem is reported at `path` (never with the value itself).
        let expand_at = |value: &mut String, path: &[Seg<'_>]| match expand(value, env, secrets) {
            Ok(expanded) => {
                *value = expanded;
                None
            }
            Err(
                ExpandError::Unset(_) | ExpandError::SecretMissing(_) | ExpandError::Secrets(_),
            ) if !runs => None,
            Err(error) => Some(locator.at(path, error.to_string(), Some(error.hint()))),
        };
        let servers = Seg::Key("servers");
        let this = Seg::Key(name.as_str());
        if let Some(command) = &mut server.command {
            problems.extend(expand_at(command, &[servers, this, Seg::Key("command")]));
        }
        for (i, arg) in server.args.iter_mut().enumerate() {
            problems.extend(expand_at(
                arg,
                &[servers, this, Seg::Key("args"), Seg::Index(i)],
            ));
        }
        if let Some(url) = &mut server.url {
            problems.extend(expand_at(url, &[servers, this, Seg::Key("url")]));
        }
        for (key, value) in &mut server.env {
            problems.extend(expand_at(
                value,
                &[servers, this, Seg::Key("env"), Seg::Key(key)],
            ));
        }
        for (key, value) in &mut server.headers {
            let path = [servers, this, Seg::Key("headers"), Seg::Key(key)];
            let written = value.contains("${");
            let failed = expand_at(value, &path);
            let expanded_ok = failed.is_none();
            problems.extend(failed);
            // A variable may bring the line break the file itself does not have.
            if written
                && expanded_ok
                && let Err(message) = check_header(key, value)
            {
                problems.push(locator.at(
                    &path,
                    format!("server \"{name}\": {message} (after expanding its variables)"),
                    Some("the environment variable must hold a one-line value".to_owned()),
                ));
            }
        }
        if let Some(secret) = server.oauth.as_mut().and_then(|o| o.client_secret.as_mut()) {
            problems.extend(expand_at(
                secret,
                &[servers, this, Seg::Key("oauth"), Seg::Key("client_secret")],
            ));
        }
        if let Some(cwd) = &mut server.cwd
            && let Some(text) = cwd.to_str()
        {
            let mut text = text.to_owned();
            problems.extend(expand_at(&mut text, &[servers, this, Seg::Key("cwd")]));
            *cwd = crate::paths::expand_tilde(Path::new(&text));
        }
    }
    problems
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExpandError {
    #[error("environment variable {0} is not set")]
    Unset(String),
    #[error("secret {0} is not in the secrets store")]
    SecretMissing(String),
    #[error("the secrets store cannot be read: {0}")]
    Secrets(String),
    #[error("unknown reference \"${{{0}}}\"")]
    UnknownProvider(String),
    #[error("a \"${{\" is not closed with \"}}\"")]
    Unclosed,
}

impl ExpandError {
    pub fn hint(&self) -> String {
        match self {
            Self::Unset(var) => format!(
                "export {var} where the daemon starts, write the value directly, or set enabled = false"
            ),
            Self::SecretMissing(name) => {
                format!("store it with `mcpproxy secret set {name}`, or set enabled = false")
            }
            Self::Secrets(_) => {
                "unlock the keyring, or set MCPPROXY_SECRETS=file to use the data directory's file"
                    .to_owned()
            }
            Self::UnknownProvider(_) => {
                "only ${env:NAME} and ${secret:NAME} references are expanded".to_owned()
            }
            Self::Unclosed => "write references as ${env:NAME} or ${secret:NAME}".to_owned(),
        }
    }
}

/// Expands every `${env:NAME}` and `${secret:NAME}` (or `${keyring:NAME}`) in `value`.
pub fn expand(
    value: &str,
    env: EnvLookup<'_>,
    secrets: SecretLookup<'_>,
) -> Result<String, ExpandError> {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}').ok_or(ExpandError::Unclosed)?;
        let reference = &after[..end];
        match reference.split_once(':') {
            Some(("env", var)) if !var.is_empty() => {
                out.push_str(&env(var).ok_or_else(|| ExpandError::Unset(var.to_owned()))?);
            }
            Some(("secret" | "keyring", name)) if !name.is_empty() => {
                let secret = secrets(name)
                    .map_err(ExpandError::Secrets)?
                    .ok_or_else(|| ExpandError::SecretMissing(name.to_owned()))?;
                out.push_str(&secret);
            }
            _ => return Err(ExpandError::UnknownProvider(reference.to_owned())),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests;
