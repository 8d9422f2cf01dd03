//! What the files say, with or without a daemon: the config file (located mistakes,
//! references that do not resolve, commands missing from PATH), the listen port, and who
//! else could write the data dir, the config and the socket.

use std::path::{Path, PathBuf};

use mcpproxy_daemon::config::{self, DEFAULT_LISTEN, ExpandError};
use mcpproxy_daemon::paths::Paths;
use mcpproxy_daemon::protocol::ConfigProblem;

use super::codes::Code;
use super::{Finding, Fix};

/// The config file as the doctor read it.
pub struct ConfigView {
    /// The file as TOML, when it is TOML at all.
    pub table: Option<toml::Table>,
    /// The text, for locating references.
    pub text: String,
}

impl ConfigView {
    /// `[servers.NAME]` tables by name.
    pub fn servers(&self) -> impl Iterator<Item = (&String, &toml::Table)> {
        self.table
            .as_ref()
            .and_then(|t| t.get("servers"))
            .and_then(toml::Value::as_table)
            .into_iter()
            .flatten()
            .filter_map(|(name, server)| Some((name, server.as_table()?)))
    }

    /// The `listen` setting; `None` when the file is not TOML, so what it says is unknown.
    pub fn listen(&self) -> Option<String> {
        let table = self.table.as_ref()?;
        let listen = table.get("listen").and_then(toml::Value::as_str);
        Some(listen.unwrap_or(DEFAULT_LISTEN).to_owned())
    }
}

/// Reads and checks the config file. Mistakes come located from the same loader the daemon
/// uses, with every `${...}` reference taken as resolvable: unresolved references are
/// reported on their own (see [`references`]).
pub fn config_file(paths: &Paths, findings: &mut Vec<Finding>) -> Option<ConfigView> {
    let path = &paths.config;
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            findings.push(
                Finding::new(
                    Code::ConfigMissing,
                    format!("there is no config file at {}", path.display()),
                )
                .hint(format!(
                    "`mcpproxy config init -c {}` writes the default one",
                    path.display()
                ))
                .fix(Fix::CreateConfig(path.clone())),
            );
            return None;
        }
        Err(e) => {
            findings.push(
                Finding::new(
                    Code::ConfigUnreadable,
                    format!("cannot read the config file {}: {e}", path.display()),
                )
                .hint("check the file's owner and mode (it must be a file you can read)"),
            );
            return None;
        }
    };
    let anything = |_: &str| Some("x".to_owned());
    let any_secret = |_: &str| Ok(Some("x".to_owned()));
    if let Err(invalid) = config::parse_with(path, &text, &anything, &any_secret) {
        findings.extend(invalid.problems().into_iter().map(config_problem));
    }
    Some(ConfigView {
        table: toml::from_str(&text).ok(),
        text,
    })
}

/// A located config mistake as a finding.
pub fn config_problem(problem: ConfigProblem) -> Finding {
    let hint = problem
        .hint
        .clone()
        .unwrap_or_else(|| "fix the file; `mcpproxy config check` checks it".to_owned());
    Finding::new(Code::ConfigInvalid, problem.message.clone())
        .located(&problem.file, problem.line, problem.column)
        .hint(hint)
}

/// `${env:NAME}` and `${secret:NAME}` references of the servers that should run, resolved as
/// a daemon started from here would (this environment, the data dir's secrets store).
pub fn references(
    view: &ConfigView,
    paths: &Paths,
    only: Option<&str>,
    check_env: bool,
    findings: &mut Vec<Finding>,
) {
    let env = |name: &str| std::env::var(name).ok();
    let store = mcpproxy_daemon::secrets::source(paths.data_dir.clone());
    let secrets = |name: &str| store(name);
    for (name, server) in view.servers() {
        if only.is_some_and(|only| only != name) || !should_run(server) {
            continue;
        }
        for (key, value) in strings(server) {
            let Err(error) = config::expand(&value, &env, &secrets) else {
                continue;
            };
            let key = format!("servers.{name}.{key}");
            let (code, message, hint) = match &error {
                ExpandError::Unset(var) if check_env => (
                    Code::EnvUnresolved,
                    format!("server \"{name}\": `{key}` uses ${{env:{var}}}, and {var} is not set"),
                    format!(
                        "export {var} where the daemon starts (then `mcpproxy daemon restart`), write the value in the file, or disable the server"
                    ),
                ),
                ExpandError::SecretMissing(secret) => (
                    Code::SecretUnresolved,
                    format!(
                        "server \"{name}\": `{key}` uses ${{secret:{secret}}}, and the secrets store has no {secret}"
                    ),
                    error.hint(),
                ),
                ExpandError::Secrets(why) => (
                    Code::SecretStoreUnreadable,
                    format!("server \"{name}\": the secrets store cannot be read: {why}"),
                    error.hint(),
                ),
                // Malformed references are config mistakes, reported with the file's.
                _ => continue,
            };
            let reference = reference_text(&value, &error);
            let (line, column) = locate(&view.text, &reference);
            findings.push(
                Finding::new(code, message)
                    .server(name)
                    .located(&paths.config, line, column)
                    .hint(hint),
            );
        }
    }
}

/// The `${...}` text an expansion error is about, to find it in the file.
fn reference_text(value: &str, error: &ExpandError) -> String {
    match error {
        ExpandError::Unset(var) => format!("${{env:{var}}}"),
        ExpandError::SecretMissing(name) => ["secret", "keyring"]
            .iter()
            .map(|p| format!("${{{p}:{name}}}"))
            .find(|r| value.contains(r.as_str()))
            .unwrap_or_else(|| format!("${{secret:{name}}}")),
        _ => "${".to_owned(),
    }
}

/// The 1-based line and column of the first `needle` in `text` (0:0 when absent).
fn locate(text: &str, needle: &str) -> (u32, u32) {
    text.find(needle)
        .map_or((0, 0), |offset| offset_position(text, offset))
}

/// Where `key` of `[servers.NAME]` is written: the first `key` after the table's header (the
/// header itself when the key is not found after it).
fn locate_key(text: &str, server: &str, key: &str) -> (u32, u32) {
    let header = format!("[servers.{server}]");
    let Some(start) = text.find(&header) else {
        return (0, 0);
    };
    let after = &text[start..];
    let within = after
        .match_indices(key)
        .map(|(i, _)| i)
        .find(|&i| after[..i].ends_with(['\n', ' ', '{']))
        .unwrap_or(0);
    offset_position(text, start + within)
}

/// The 1-based line and column of byte `offset` of `text`.
fn offset_position(text: &str, offset: usize) -> (u32, u32) {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(column).unwrap_or(u32::MAX),
    )
}

/// Enabled and not quarantined, as `ServerConfig::should_run`.
fn should_run(server: &toml::Table) -> bool {
    let flag = |key: &str, default: bool| {
        server
            .get(key)
            .and_then(toml::Value::as_bool)
            .unwrap_or(default)
    };
    flag("enabled", true) && !flag("quarantined", false)
}

/// Every string value the loader expands references in, with its dotted key.
fn strings(server: &toml::Table) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let text = |value: Option<&toml::Value>| value.and_then(toml::Value::as_str).map(str::to_owned);
    for key in ["command", "url", "cwd"] {
        if let Some(value) = text(server.get(key)) {
            found.push((key.to_owned(), value));
        }
    }
    if let Some(args) = server.get("args").and_then(toml::Value::as_array) {
        for (i, arg) in args.iter().enumerate() {
            if let Some(arg) = arg.as_str() {
                found.push((format!("args[{i}]"), arg.to_owned()));
            }
        }
    }
    for table in ["env", "headers"] {
        if let Some(entries) = server.get(table).and_then(toml::Value::as_table) {
            for (key, value) in entries {
                if let Some(value) = value.as_str() {
                    found.push((format!("{table}.{key}"), value.to_owned()));
                }
            }
        }
    }
    let oauth_secret = server.get("oauth").and_then(|o| o.get("client_secret"));
    if let Some(secret) = text(oauth_secret) {
        found.push(("oauth.client_secret".to_owned(), secret));
    }
    found
}

/// Stdio servers whose `command` cannot be found.
pub fn commands(view: &ConfigView, paths: &Paths, only: Option<&str>, findings: &mut Vec<Finding>) {
    for (name, server) in view.servers() {
        if only.is_some_and(|only| only != name) {
            continue;
        }
        let enabled = server
            .get("enabled")
            .and_then(toml::Value::as_bool)
            .unwrap_or(true);
        let Some(command) = server.get("command").and_then(toml::Value::as_str) else {
            continue;
        };
        if !enabled || command.contains("${") || command.trim().is_empty() {
            continue;
        }
        if find_program(command).is_some() {
            continue;
        }
        let (line, column) = locate_key(&view.text, name, "command");
        findings.push(
            Finding::new(
                Code::ServerCommandMissing,
                format!("server \"{name}\": the command \"{command}\" is not found on PATH"),
            )
            .server(name)
            .located(&paths.config, line, column)
            .hint(format!(
                "install {command}, or write its full path in `command` of [servers.{name}]"
            )),
        );
    }
}

/// `program` as the daemon would run it: a path as given (`~` expanded), a bare name looked
/// up on PATH.
fn find_program(program: &str) -> Option<PathBuf> {
    let executable = |path: &Path| {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::metadata(path)
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        }
        #[cfg(not(unix))]
        {
            path.is_file()
        }
    };
    if program.contains(std::path::MAIN_SEPARATOR) || program.starts_with('~') {
        let path = mcpproxy_daemon::paths::expand_tilde(Path::new(program));
        return executable(&path).then_some(path);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| executable(candidate))
}

/// The listen address, when no daemon holds it: is another program on it?
pub fn port(listen: &str, paths: &Paths, findings: &mut Vec<Finding>) {
    use std::net::ToSocketAddrs as _;
    if listen.is_empty() {
        return;
    }
    let Ok(addresses) = listen.to_socket_addrs() else {
        return;
    };
    for address in addresses {
        if address.port() == 0 {
            continue;
        }
        if let Err(e) = std::net::TcpListener::bind(address)
            && e.kind() == std::io::ErrorKind::AddrInUse
        {
            findings.push(
                Finding::new(
                    Code::PortInUse,
                    format!("{listen} (the config's `listen`) is taken by another program"),
                )
                .hint(format!(
                    "stop that program (`ss -ltnp 'sport = :{}'` names it), or set another port in `listen` of {}",
                    address.port(),
                    paths.config.display()
                )),
            );
            return;
        }
    }
}

/// Who else could write the data dir and the config, and open the socket.
pub fn permissions(paths: &Paths, findings: &mut Vec<Finding>) {
    for (path, what, code, mode) in [
        (&paths.data_dir, "data dir", Code::DataDirNotPrivate, 0o700),
        (&paths.config, "config file", Code::ConfigNotPrivate, 0o600),
    ] {
        if let Err(not_private) = mcpproxy_daemon::paths::check_private(path, what) {
            let finding = Finding::new(code, not_private.to_string()).hint(not_private.hint());
            // Only a mode is changed here; a file of another user needs that user or root.
            let owned = !not_private.fix.starts_with("chown");
            findings.push(if owned {
                finding.fix(Fix::Chmod(path.clone(), mode))
            } else {
                finding
            });
        }
    }
    if let Err(e) = paths.check_socket_path() {
        findings.push(Finding::new(Code::SocketPathTooLong, e.to_string()).hint(e.hint()));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        if let Ok(meta) = std::fs::symlink_metadata(&paths.socket)
            && meta.mode() & 0o077 != 0
        {
            findings.push(
                Finding::new(
                    Code::SocketNotPrivate,
                    format!(
                        "the control socket {} has mode {:04o}: other users can open it",
                        paths.socket.display(),
                        meta.mode() & 0o7777
                    ),
                )
                .hint("run `mcpproxy daemon restart`; the daemon recreates it mode 0600"),
            );
        }
    }
}
