//! A source file parsed into a JSON value, plus where each key sits in its text, so every
//! imported server and every problem can say `file:line:col`.

use std::collections::HashMap;
use std::path::Path;

use serde_json::{Map, Value};
use toml_edit::TableLike;

use super::{ImportError, ImportFormat, json_scan};
use crate::config::ServerConfig;
use crate::config::locate::{Seg, dotted, line_col};

/// One step of a key path inside a source document.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum PathSeg {
    Key(String),
    Index(usize),
}

impl PathSeg {
    pub(super) fn key(key: &str) -> Self {
        Self::Key(key.to_owned())
    }
}

/// `mcpServers.github`, `projects."/home/me/app".mcpServers.db`, `mcpServers[2]`.
pub(super) fn label(path: &[PathSeg]) -> String {
    let segs: Vec<Seg<'_>> = path
        .iter()
        .map(|seg| match seg {
            PathSeg::Key(key) => Seg::Key(key),
            PathSeg::Index(index) => Seg::Index(*index),
        })
        .collect();
    dotted(&segs)
}

/// Key positions are kept this deep: enough for `projects.P.mcpServers.NAME` and
/// `mcpServers[i].name`, few enough that a large `~/.claude.json` stays cheap.
const KEY_DEPTH: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Syntax {
    Json,
    Toml,
}

impl Syntax {
    fn name(self) -> &'static str {
        match self {
            Self::Json => "JSON",
            Self::Toml => "TOML",
        }
    }
}

/// One server definition as a format module found it, before names and checks.
pub(super) struct Found {
    /// The name as the source spells it.
    pub name: String,
    /// Where the definition is, e.g. `mcpServers.github`.
    pub section: Vec<PathSeg>,
    /// The key whose position the origin names, when not the section's own key (the
    /// `name` inside an array element).
    pub anchor: Option<Vec<PathSeg>>,
    /// The converted server, or why it cannot be imported.
    pub server: Result<ServerConfig, String>,
}

/// A parsed source file.
pub(super) struct SourceDoc<'t> {
    pub path: &'t Path,
    pub text: &'t str,
    pub syntax: Syntax,
    pub root: Value,
    offsets: HashMap<Vec<PathSeg>, usize>,
}

impl<'t> SourceDoc<'t> {
    pub fn parse(
        path: &'t Path,
        text: &'t str,
        syntax: Syntax,
        format: Option<ImportFormat>,
    ) -> Result<Self, ImportError> {
        let syntax_error = |offset_or_place: Place, message: String| {
            let (line, column) = match offset_or_place {
                Place::Offset(offset) => line_col(text, offset),
                Place::LineCol(line, column) => (line, column),
            };
            ImportError::Syntax {
                path: path.to_path_buf(),
                line,
                column,
                syntax: syntax.name(),
                format,
                message,
            }
        };
        let (root, offsets) = match syntax {
            // json5 reads strict JSON too, and also the comments and trailing commas of
            // VS Code's JSONC files.
            Syntax::Json => {
                let root = json5::from_str::<Value>(text).map_err(|error| {
                    let place = error.position().map_or(Place::LineCol(1, 1), |p| {
                        Place::LineCol(to_u32(p.line + 1), to_u32(p.column + 1))
                    });
                    let message = match error.code() {
                        Some(code) => code.to_string(),
                        None => error.to_string(),
                    };
                    syntax_error(place, message)
                })?;
                (root, json_scan::key_offsets(text, KEY_DEPTH))
            }
            Syntax::Toml => {
                let root = toml::from_str::<Value>(text).map_err(|error| {
                    let offset = error.span().map_or(0, |span| span.start);
                    syntax_error(Place::Offset(offset), error.message().trim().to_owned())
                })?;
                (root, toml_key_offsets(text))
            }
        };
        Ok(Self {
            path,
            text,
            syntax,
            root,
            offsets,
        })
    }

    /// `FILE:LINE:COL` of the key at `path`, or just `FILE` when it was not found.
    pub fn place(&self, path: &[PathSeg]) -> String {
        match self.offsets.get(path) {
            Some(&offset) => {
                let (line, column) = line_col(self.text, offset);
                format!("{}:{line}:{column}", self.path.display())
            }
            None => self.path.display().to_string(),
        }
    }

    /// `FILE:LINE:COL (section)` for a found server.
    pub fn origin(&self, found: &Found) -> String {
        let anchor = found
            .anchor
            .as_deref()
            .filter(|anchor| self.offsets.contains_key(*anchor))
            .unwrap_or(&found.section);
        format!("{} ({})", self.place(anchor), label(&found.section))
    }

    /// Byte offset of a found server's key, to list servers in file order (the parsed maps
    /// are sorted by key).
    pub fn offset(&self, found: &Found) -> usize {
        self.offsets
            .get(&found.section)
            .copied()
            .unwrap_or(usize::MAX)
    }

    /// The object at `path`: `None` when absent or null, an error when it is something else.
    pub fn object_at(
        &self,
        format: ImportFormat,
        path: &[&str],
    ) -> Result<Option<&Map<String, Value>>, ImportError> {
        let mut value = &self.root;
        for key in path {
            match value.get(key) {
                Some(inner) => value = inner,
                None => return Ok(None),
            }
        }
        match value {
            Value::Null => Ok(None),
            Value::Object(map) => Ok(Some(map)),
            other => {
                let segs: Vec<PathSeg> = path.iter().map(|k| PathSeg::key(k)).collect();
                Err(self.shape_error(
                    format,
                    &segs,
                    format!("`{}` is {}, not an object", label(&segs), kind(other)),
                ))
            }
        }
    }

    pub fn shape_error(
        &self,
        format: ImportFormat,
        path: &[PathSeg],
        message: String,
    ) -> ImportError {
        ImportError::Shape {
            place: self.place(path),
            format,
            message,
        }
    }
}

enum Place {
    Offset(usize),
    LineCol(u32, u32),
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// What kind of JSON value this is, for messages.
pub(super) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Offsets of the keys of a TOML text, from toml_edit's spans.
fn toml_key_offsets(text: &str) -> HashMap<Vec<PathSeg>, usize> {
    let mut found = HashMap::new();
    if let Ok(doc) = toml_edit::Document::parse(text) {
        walk_toml(doc.as_table(), &mut Vec::new(), &mut found);
    }
    found
}

fn walk_toml(
    table: &dyn TableLike,
    path: &mut Vec<PathSeg>,
    found: &mut HashMap<Vec<PathSeg>, usize>,
) {
    for (key, item) in table.iter() {
        path.push(PathSeg::key(key));
        if let Some(span) = table.key(key).and_then(|k| k.span()) {
            found.insert(path.clone(), span.start);
        }
        if path.len() < KEY_DEPTH
            && let Some(inner) = item.as_table_like()
        {
            walk_toml(inner, path, found);
        }
        path.pop();
    }
}
