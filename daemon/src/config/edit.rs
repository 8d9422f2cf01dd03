//! Changing `config.toml` the way a careful person would: through `toml_edit`, so comments,
//! order and formatting stay; checked before writing, so a refused edit writes nothing; and
//! written atomically (temp file + rename), so a crash never leaves half a file.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use toml_edit::{Array, DocumentMut, InlineTable, Item, Table, value};

use super::load::{self, InvalidConfig};
use super::model::{Config, ServerConfig, TransportSetting};

/// The embedded default config, written on first start and by `config init`.
pub const DEFAULT_CONFIG: &str = include_str!("default.toml");

#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is not valid TOML, so it was not changed: {message}", path.display())]
    Syntax { path: PathBuf, message: String },
    #[error("the change was refused, and {} was left as it was:\n{invalid}", path.display())]
    Refused {
        path: PathBuf,
        invalid: InvalidConfig,
    },
    #[error("`servers` in {} is not a table", path.display())]
    ServersNotATable { path: PathBuf },
    #[error("no server named \"{name}\" in {}", path.display())]
    NoSuchServer { name: String, path: PathBuf },
}

impl EditError {
    pub fn is_permission_denied(&self) -> bool {
        matches!(self, Self::Read { source, .. } | Self::Write { source, .. } if source.kind() == std::io::ErrorKind::PermissionDenied)
    }
}

/// A config file opened for editing.
#[derive(Debug, Clone)]
pub struct ConfigFile {
    path: PathBuf,
    doc: DocumentMut,
}

impl ConfigFile {
    /// Opens a config for editing; a file that does not exist yet starts as the default.
    pub fn open(path: &Path) -> Result<Self, EditError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => DEFAULT_CONFIG.to_owned(),
            Err(source) => {
                return Err(EditError::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        Self::from_text(path, &text)
    }

    pub fn from_text(path: &Path, text: &str) -> Result<Self, EditError> {
        let doc = text.parse::<DocumentMut>().map_err(|e| EditError::Syntax {
            path: path.to_path_buf(),
            message: e.message().to_owned(),
        })?;
        Ok(Self {
            path: path.to_path_buf(),
            doc,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn text(&self) -> String {
        self.doc.to_string()
    }

    pub fn server_names(&self) -> Vec<String> {
        self.doc
            .get("servers")
            .and_then(Item::as_table_like)
            .map(|t| t.iter().map(|(k, _)| k.to_owned()).collect())
            .unwrap_or_default()
    }

    pub fn contains(&self, name: &str) -> bool {
        self.doc
            .get("servers")
            .and_then(Item::as_table_like)
            .is_some_and(|t| t.contains_key(name))
    }

    /// Adds a server, or replaces the one of that name.
    pub fn set_server(&mut self, name: &str, server: &ServerConfig) -> Result<(), EditError> {
        let servers = self.servers_mut()?;
        let table = server_table(server);
        match servers.get_mut(name) {
            // Replace the keys but keep the table's own position and leading comments.
            Some(Item::Table(existing)) => {
                existing.clear();
                for (key, item) in table.iter() {
                    existing.insert(key, item.clone());
                }
            }
            _ => {
                servers.insert(name, Item::Table(table));
            }
        }
        Ok(())
    }

    pub fn remove_server(&mut self, name: &str) -> Result<(), EditError> {
        let removed = self.servers_mut()?.remove(name);
        removed.map(|_| ()).ok_or_else(|| EditError::NoSuchServer {
            name: name.to_owned(),
            path: self.path.clone(),
        })
    }

    /// Sets `enabled` or `quarantined` on a server; a value equal to the default removes the key.
    pub fn set_flag(&mut self, name: &str, flag: ServerFlag, on: bool) -> Result<(), EditError> {
        let table = self.server_mut(name)?;
        let (key, default) = match flag {
            ServerFlag::Enabled => ("enabled", true),
            ServerFlag::Quarantined => ("quarantined", false),
        };
        if on == default {
            table.remove(key);
        } else {
            table.insert(key, value(on));
        }
        Ok(())
    }

    /// Sets a server's `disabled_tools`. Names already in the array keep their place and
    /// the comments beside them; new ones are appended; an empty list removes the key.
    pub fn set_disabled_tools(&mut self, name: &str, tools: &[String]) -> Result<(), EditError> {
        let table = self.server_mut(name)?;
        if tools.is_empty() {
            table.remove("disabled_tools");
            return Ok(());
        }
        let Some(array) = table.get_mut("disabled_tools").and_then(Item::as_array_mut) else {
            table.insert("disabled_tools", value(tools.iter().collect::<Array>()));
            return Ok(());
        };
        array.retain(|item| {
            item.as_str()
                .is_some_and(|tool| tools.iter().any(|t| t == tool))
        });
        for tool in tools {
            if !array
                .iter()
                .any(|item| item.as_str() == Some(tool.as_str()))
            {
                push_in_style(array, tool);
            }
        }
        Ok(())
    }

    /// Replaces one value of a server's `headers` or `env` table (inline or not), keeping
    /// its key, its place and the comments around it.
    pub fn set_entry(
        &mut self,
        name: &str,
        section: &str,
        key: &str,
        text: &str,
    ) -> Result<(), EditError> {
        let path = self.path.clone();
        let missing = || EditError::NoSuchServer {
            name: name.to_owned(),
            path: path.clone(),
        };
        let server = self
            .servers_mut()?
            .get_mut(name)
            .and_then(Item::as_table_like_mut)
            .ok_or_else(missing)?;
        let entry = server
            .get_mut(section)
            .and_then(Item::as_table_like_mut)
            .and_then(|table| table.get_mut(key))
            .and_then(Item::as_value_mut)
            .ok_or_else(missing)?;
        let decor = entry.decor().clone();
        *entry = text.into();
        *entry.decor_mut() = decor;
        Ok(())
    }

    /// Checks the edited text as the daemon would load it; returns the config it describes.
    pub fn check(&self) -> Result<Config, EditError> {
        load::parse(&self.path, &self.text()).map_err(|invalid| EditError::Refused {
            path: self.path.clone(),
            invalid,
        })
    }

    /// Checks, then writes atomically. Nothing is written when the check fails. Blocks until
    /// the disk has the file (see [`write_atomically`]).
    pub fn save(&self) -> Result<Config, EditError> {
        let config = self.check()?;
        write_atomically(&self.path, &self.text()).map_err(|source| EditError::Write {
            path: self.path.clone(),
            source,
        })?;
        Ok(config)
    }

    /// The `[servers.NAME]` table, inline or not.
    fn server_mut(&mut self, name: &str) -> Result<&mut dyn toml_edit::TableLike, EditError> {
        let path = self.path.clone();
        self.servers_mut()?
            .get_mut(name)
            .and_then(Item::as_table_like_mut)
            .ok_or_else(|| EditError::NoSuchServer {
                name: name.to_owned(),
                path,
            })
    }

    fn servers_mut(&mut self) -> Result<&mut Table, EditError> {
        let path = self.path.clone();
        let servers = self.doc.entry("servers").or_insert_with(|| {
            let mut table = Table::new();
            table.set_implicit(true);
            Item::Table(table)
        });
        servers
            .as_table_mut()
            .ok_or(EditError::ServersNotATable { path })
    }
}

/// Appends to an array the way it is written: in an array of one item a line, the new item
/// goes on a line of its own, after the comment that ended the last line.
fn push_in_style(array: &mut Array, text: &str) {
    let trailing = array.trailing().as_str().unwrap_or_default().to_owned();
    if !trailing.contains('\n') {
        array.push(text);
        return;
    }
    let indent = array
        .get(0)
        .and_then(|first| first.decor().prefix())
        .and_then(|prefix| prefix.as_str())
        .and_then(|prefix| prefix.rsplit('\n').next())
        .unwrap_or("  ")
        .to_owned();
    let mut item = toml_edit::Value::from(text);
    let before = trailing.trim_end_matches([' ', '\t']);
    item.decor_mut().set_prefix(format!("{before}{indent}"));
    array.push_formatted(item);
    array.set_trailing("\n");
    array.set_trailing_comma(true);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerFlag {
    Enabled,
    Quarantined,
}

/// A `[servers.NAME]` table with the keys people write, in the order they write them.
fn server_table(server: &ServerConfig) -> Table {
    let defaults = ServerConfig::default();
    let mut table = Table::new();
    if let Some(builtin) = server.builtin {
        let name = match builtin {
            super::model::Builtin::Demo => "demo",
        };
        table.insert("builtin", value(name));
    }
    if let Some(command) = &server.command {
        table.insert("command", value(command.as_str()));
    }
    if !server.args.is_empty() {
        table.insert("args", value(server.args.iter().collect::<Array>()));
    }
    if !server.env.is_empty() {
        table.insert("env", value(inline(&server.env)));
    }
    if let Some(cwd) = &server.cwd {
        table.insert("cwd", value(cwd.to_string_lossy().as_ref()));
    }
    if let Some(url) = &server.url {
        table.insert("url", value(url.as_str()));
    }
    if server.transport != TransportSetting::Auto {
        let name = match server.transport {
            TransportSetting::Auto => "auto",
            TransportSetting::Stdio => "stdio",
            TransportSetting::Http => "http",
            TransportSetting::Sse => "sse",
        };
        table.insert("transport", value(name));
    }
    if !server.headers.is_empty() {
        table.insert("headers", value(inline(&server.headers)));
    }
    if let Some(oauth) = &server.oauth {
        let mut fields = InlineTable::new();
        for (key, text) in [
            ("client_id", &oauth.client_id),
            ("client_secret", &oauth.client_secret),
            ("client_metadata_url", &oauth.client_metadata_url),
        ] {
            if let Some(text) = text {
                fields.insert(key, text.as_str().into());
            }
        }
        if !oauth.scopes.is_empty() {
            fields.insert("scopes", Array::from_iter(oauth.scopes.iter()).into());
        }
        if oauth.redirect_port != 0 {
            fields.insert("redirect_port", i64::from(oauth.redirect_port).into());
        }
        table.insert("oauth", value(fields));
    }
    if !server.enabled {
        table.insert("enabled", value(false));
    }
    if server.quarantined {
        table.insert("quarantined", value(true));
    }
    if !server.disabled_tools.is_empty() {
        table.insert(
            "disabled_tools",
            value(server.disabled_tools.iter().collect::<Array>()),
        );
    }
    if server.block_secrets {
        table.insert("block_secrets", value(true));
    }
    for (key, ours, default) in [
        (
            "connect_timeout",
            server.connect_timeout,
            defaults.connect_timeout,
        ),
        ("call_timeout", server.call_timeout, defaults.call_timeout),
        (
            "shutdown_grace",
            server.shutdown_grace,
            defaults.shutdown_grace,
        ),
        ("kill_grace", server.kill_grace, defaults.kill_grace),
        (
            "ping_interval",
            server.ping_interval,
            defaults.ping_interval,
        ),
    ] {
        if ours != default {
            table.insert(key, value(humantime::format_duration(ours).to_string()));
        }
    }
    table
}

fn inline(map: &std::collections::BTreeMap<String, String>) -> InlineTable {
    map.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// Writes `text` to `path` through a temp file in the same directory and a rename. An
/// existing file's permissions are kept; a new file is private to its owner.
///
/// It blocks until the disk has the data: code on the daemon's async runtime runs it (and
/// [`ConfigFile::save`]) with `tokio::task::spawn_blocking`.
#[expect(
    clippy::disallowed_methods,
    reason = "a blocking function by design, like std::fs::write; the fsync makes the rename durable"
)]
pub fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let temp = dir.join(format!(
        ".{}.{}.tmp",
        file_name.as_deref().unwrap_or("config"),
        std::process::id()
    ));
    let result = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        match std::fs::metadata(path) {
            Ok(meta) => std::fs::set_permissions(&temp, meta.permissions())?,
            Err(_) => make_private(&temp)?,
        }
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

#[cfg(unix)]
fn make_private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn make_private(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const USER_CONFIG: &str = r#"# my setup
listen = "127.0.0.1:9000" # not the default

# the demo, for trying things
[servers.demo]
builtin = "demo"

# remote one
[servers.remote]
url = "https://example.com/mcp"
"#;

    fn file() -> ConfigFile {
        ConfigFile::from_text(Path::new("/tmp/c.toml"), USER_CONFIG)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn adding_a_server_keeps_comments_and_order() {
        let mut config = file();
        let server = ServerConfig {
            command: Some("npx".into()),
            args: vec!["-y".into(), "pkg".into()],
            quarantined: true,
            ..ServerConfig::default()
        };
        config
            .set_server("new", &server)
            .unwrap_or_else(|e| panic!("{e}"));
        let text = config.text();
        assert!(text.starts_with(USER_CONFIG), "{text}");
        assert!(
            text.ends_with(
                "\n[servers.new]\ncommand = \"npx\"\nargs = [\"-y\", \"pkg\"]\nquarantined = true\n"
            ),
            "{text}"
        );
        assert!(config.check().is_ok());
    }

    #[test]
    fn flags_are_written_only_when_not_default() {
        let mut config = file();
        config
            .set_flag("remote", ServerFlag::Quarantined, true)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            config
                .text()
                .contains("url = \"https://example.com/mcp\"\nquarantined = true\n")
        );
        config
            .set_flag("remote", ServerFlag::Quarantined, false)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(config.text(), USER_CONFIG);
        assert!(matches!(
            config.set_flag("nope", ServerFlag::Enabled, false),
            Err(EditError::NoSuchServer { .. })
        ));
    }

    #[test]
    fn disabled_tools_keep_their_comments_and_an_empty_list_removes_the_key() {
        let mut config = file();
        let set = |config: &mut ConfigFile, tools: &[&str]| {
            let tools: Vec<String> = tools.iter().map(|t| (*t).to_owned()).collect();
            config
                .set_disabled_tools("demo", &tools)
                .unwrap_or_else(|e| panic!("{e}"));
        };
        set(&mut config, &["echo"]);
        assert!(
            config
                .text()
                .contains("builtin = \"demo\"\ndisabled_tools = [\"echo\"]\n")
        );
        let commented = config
            .text()
            .replace("[\"echo\"]", "[\n  \"echo\", # repeats anything\n]");
        let mut config = ConfigFile::from_text(Path::new("/tmp/c.toml"), &commented)
            .unwrap_or_else(|e| panic!("{e}"));
        set(&mut config, &["echo", "add"]);
        assert!(
            config
                .text()
                .contains("[\n  \"echo\", # repeats anything\n  \"add\",\n]\n"),
            "{}",
            config.text()
        );
        assert_eq!(
            config
                .check()
                .map(|c| c.servers["demo"].disabled_tools.clone())
                .ok(),
            Some(vec!["echo".to_owned(), "add".to_owned()])
        );
        set(&mut config, &[]);
        assert_eq!(config.text(), USER_CONFIG);
    }

    #[test]
    fn replacing_a_server_keeps_its_leading_comment() {
        let mut config = file();
        let server = ServerConfig {
            url: Some("https://other.example.com/mcp".into()),
            ..ServerConfig::default()
        };
        config
            .set_server("remote", &server)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            config.text().contains(
                "# remote one\n[servers.remote]\nurl = \"https://other.example.com/mcp\"\n"
            )
        );
    }

    #[test]
    fn a_refused_edit_writes_nothing() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("config.toml");
        std::fs::write(&path, USER_CONFIG).unwrap_or_else(|e| panic!("{e}"));
        let mut config = ConfigFile::open(&path).unwrap_or_else(|e| panic!("{e}"));
        let broken = ServerConfig {
            command: Some(String::new()),
            ..ServerConfig::default()
        };
        config
            .set_server("broken", &broken)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(config.save(), Err(EditError::Refused { .. })));
        assert_eq!(
            std::fs::read_to_string(&path).unwrap_or_default(),
            USER_CONFIG
        );
    }

    #[test]
    fn the_default_config_loads() {
        let config = load::parse(Path::new("default.toml"), DEFAULT_CONFIG)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(config.servers.contains_key("demo"));
    }
}
