//! One client's config file, read and changed as text: JSON and JSONC by splicing
//! ([`super::jsonc`]), Codex's TOML through `toml_edit`, so what mcpproxy did not write stays
//! as it was.

use std::path::{Path, PathBuf};

use mcpproxy_daemon::config::import::json_edit as jsonc;
use toml_edit::{DocumentMut, Item, Table};

use super::ENTRY_NAME;
use super::entry::{Entry, container, new_file};
use crate::cli::Failure;
use crate::cli::clients::AiClient;

/// What to do to the file.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    /// The entry is there already, as it would be written.
    Unchanged,
    /// There is no entry to remove.
    Absent,
    Write {
        action: &'static str,
        text: String,
    },
    /// Put the backup back: the file is what it was before mcpproxy's entry.
    Restore,
    /// mcpproxy created the file and nothing else is in it.
    Delete,
}

#[derive(Debug, Clone)]
pub struct ClientFile {
    client: AiClient,
    path: PathBuf,
    /// None when there is no file yet.
    text: Option<String>,
}

pub fn backup_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".mcpproxy-backup");
    PathBuf::from(name)
}

/// Writes `text` through a temp file and a rename, keeping an existing file's permissions.
pub fn write(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut temp = path.as_os_str().to_owned();
    temp.push(".mcpproxy-tmp");
    let temp = PathBuf::from(temp);
    std::fs::write(&temp, text)?;
    if let Ok(meta) = std::fs::metadata(path) {
        std::fs::set_permissions(&temp, meta.permissions())?;
    }
    std::fs::rename(&temp, path)
}

/// The text without whitespace: two files that differ only in spacing compare equal.
fn bare(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

impl ClientFile {
    /// Reads the file and checks that it parses; a broken file is never changed.
    pub fn open(client: AiClient, path: &Path) -> Result<Self, Failure> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => Some(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                return Err(
                    Failure::error(format!("cannot read {}: {e}", path.display()))
                        .hint("check the file's owner and permissions"),
                );
            }
        };
        let file = Self {
            client,
            path: path.to_path_buf(),
            text,
        };
        if let Some(text) = &file.text {
            file.check(text)?;
        }
        Ok(file)
    }

    fn check(&self, text: &str) -> Result<(), Failure> {
        let broken = |message: String| {
            Failure::error(format!(
                "{} is not valid {}: {message}",
                self.path.display(),
                if self.is_toml() { "TOML" } else { "JSON" }
            ))
            .hint(format!(
                "fix {}'s config first; mcpproxy changes only files it can read whole",
                self.client.label()
            ))
        };
        if self.is_toml() {
            text.parse::<DocumentMut>()
                .map(|_| ())
                .map_err(|e| broken(e.message().to_owned()))
        } else if text.trim().is_empty() {
            Ok(())
        } else {
            let value: serde_json::Value =
                json5::from_str(text).map_err(|e| broken(e.to_string()))?;
            value
                .is_object()
                .then_some(())
                .ok_or_else(|| broken("the top is not an object".to_owned()))
        }
    }

    fn is_toml(&self) -> bool {
        self.client == AiClient::Codex
    }

    pub fn exists(&self) -> bool {
        self.text.is_some()
    }

    /// The text to change: the file's, or a new file's.
    fn base(&self) -> &str {
        match self.text.as_deref() {
            Some(text) if !text.trim().is_empty() => text,
            _ => new_file(self.client),
        }
    }

    pub fn has_entry(&self) -> bool {
        self.text
            .as_deref()
            .is_some_and(|text| self.existing(text).is_some())
    }

    /// The entry in `text`, as JSON.
    fn existing(&self, text: &str) -> Option<serde_json::Value> {
        let name = container(self.client);
        if self.is_toml() {
            let value: toml::Table = toml::from_str(text).ok()?;
            let entry = value.get(name)?.get(ENTRY_NAME)?;
            return serde_json::to_value(entry).ok();
        }
        let root = jsonc::root(text)?;
        let servers = jsonc::object_at(text, root.member(name)?)?;
        let entry = servers.member(ENTRY_NAME)?;
        json5::from_str(&text[entry.value_start..entry.value_end]).ok()
    }

    pub fn connect(&self, entry: &Entry) -> Result<Edit, Failure> {
        let base = self.base();
        let had = self.text.as_deref().and_then(|text| self.existing(text));
        if had.as_ref() == Some(&entry.json()) {
            return Ok(Edit::Unchanged);
        }
        let action = if had.is_some() { "replaced" } else { "added" };
        let text = match entry {
            Entry::Toml(table) => self.toml_with(base, Some(table))?,
            Entry::Json(value) => {
                let without = self.json_without(base).unwrap_or_else(|| base.to_owned());
                self.json_with(&without, value)?
            }
        };
        Ok(Edit::Write { action, text })
    }

    pub fn disconnect(&self) -> Result<Edit, Failure> {
        let Some(text) = self.text.as_deref() else {
            return Ok(Edit::Absent);
        };
        if self.existing(text).is_none() {
            return Ok(Edit::Absent);
        }
        let removed = if self.is_toml() {
            self.toml_with(text, None)?
        } else {
            self.json_without(text).unwrap_or_else(|| text.to_owned())
        };
        let emptied = self.without_empty_container(&removed);
        let candidates = [bare(&removed), bare(&emptied)];
        if let Ok(backup) = std::fs::read_to_string(backup_path(&self.path))
            && self.existing(&backup).is_none()
            && candidates.contains(&bare(&backup))
        {
            return Ok(Edit::Restore);
        }
        if bare(&emptied) == bare(new_file(self.client)) {
            return Ok(Edit::Delete);
        }
        Ok(Edit::Write {
            action: "removed",
            text: removed,
        })
    }

    fn json_with(&self, text: &str, value: &serde_json::Value) -> Result<String, Failure> {
        let name = container(self.client);
        let pretty = serde_json::to_string_pretty(value).unwrap_or_default();
        let not_object = || {
            Failure::error(format!(
                "`{name}` in {} is not an object",
                self.path.display()
            ))
            .hint(format!("fix {}'s config first", self.client.label()))
        };
        let root = jsonc::root(text).ok_or_else(not_object)?;
        let (text, root) = match root.member(name) {
            Some(_) => (text.to_owned(), root),
            None => {
                let with = jsonc::insert(text, &root, name, "{}");
                let root = jsonc::root(&with).ok_or_else(not_object)?;
                (with, root)
            }
        };
        let servers = root
            .member(name)
            .and_then(|member| jsonc::object_at(&text, member))
            .ok_or_else(not_object)?;
        Ok(jsonc::insert(&text, &servers, ENTRY_NAME, &pretty))
    }

    /// `text` without the entry; None when it has none.
    fn json_without(&self, text: &str) -> Option<String> {
        let root = jsonc::root(text)?;
        let servers = jsonc::object_at(text, root.member(container(self.client))?)?;
        jsonc::remove(text, &servers, ENTRY_NAME)
    }

    /// `text` without its servers' container, when that is empty.
    fn without_empty_container(&self, text: &str) -> String {
        let name = container(self.client);
        if self.is_toml() {
            let Ok(mut doc) = text.parse::<DocumentMut>() else {
                return text.to_owned();
            };
            if doc
                .get(name)
                .and_then(Item::as_table_like)
                .is_some_and(|t| t.is_empty())
            {
                doc.remove(name);
            }
            return doc.to_string();
        }
        let emptied = jsonc::root(text).and_then(|root| {
            let member = root.member(name)?;
            let servers = jsonc::object_at(text, member)?;
            servers
                .members
                .is_empty()
                .then(|| jsonc::remove(text, &root, name))?
        });
        emptied.unwrap_or_else(|| text.to_owned())
    }

    /// `text` with the entry set to `table`, or removed when None.
    fn toml_with(&self, text: &str, table: Option<&toml::Table>) -> Result<String, Failure> {
        let name = container(self.client);
        let mut doc = text.parse::<DocumentMut>().map_err(|e| {
            Failure::error(format!(
                "{} is not valid TOML: {}",
                self.path.display(),
                e.message()
            ))
        })?;
        let servers = doc.entry(name).or_insert_with(|| {
            let mut servers = Table::new();
            servers.set_implicit(true);
            Item::Table(servers)
        });
        let Some(servers) = servers.as_table_like_mut() else {
            return Err(Failure::error(format!(
                "`{name}` in {} is not a table",
                self.path.display()
            )));
        };
        servers.remove(ENTRY_NAME);
        if let Some(table) = table {
            let mut entry = Table::new();
            for (key, value) in table {
                let item = match value {
                    toml::Value::String(s) => toml_edit::value(s.as_str()),
                    toml::Value::Array(items) => toml_edit::value(
                        items
                            .iter()
                            .filter_map(toml::Value::as_str)
                            .collect::<toml_edit::Array>(),
                    ),
                    other => toml_edit::value(other.to_string()),
                };
                entry.insert(key, item);
            }
            servers.insert(ENTRY_NAME, Item::Table(entry));
        }
        Ok(doc.to_string())
    }
}
