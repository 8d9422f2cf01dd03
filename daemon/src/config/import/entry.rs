//! One server definition of a source file, read field by field, and the checks every
//! imported server goes through. A field of the wrong type skips that server with a reason
//! instead of failing the whole import: the file's other servers are still worth having.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::{Map, Value};

use super::source::kind;
use crate::config::{ServerConfig, TransportSetting};

/// The fields of one server definition. Keys it does not ask for are ignored: clients add
/// fields over time, and most (tool filters, trust flags, OAuth hints) mean nothing here.
pub(super) struct Entry<'v> {
    fields: &'v Map<String, Value>,
}

impl<'v> Entry<'v> {
    pub fn of(value: &'v Value) -> Result<Self, String> {
        value
            .as_object()
            .map(|fields| Self { fields })
            .ok_or_else(|| format!("its definition is {}, not an object", kind(value)))
    }

    /// A present, non-null field.
    fn get(&self, key: &str) -> Option<&'v Value> {
        self.fields.get(key).filter(|value| !value.is_null())
    }

    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// A string; an empty one counts as absent (some clients write `"url": ""`).
    pub fn text(&self, key: &str) -> Result<Option<String>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(text)) if text.trim().is_empty() => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(other) => Err(format!("`{key}` is {}, not a string", kind(other))),
        }
    }

    /// A list of strings; numbers and booleans in it are taken as written.
    pub fn list(&self, key: &str) -> Result<Vec<String>, String> {
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| {
                    scalar_text(item)
                        .ok_or_else(|| format!("`{key}` holds {}, not only strings", kind(item)))
                })
                .collect(),
            Some(other) => Err(format!("`{key}` is {}, not a list of strings", kind(other))),
        }
    }

    /// An object of strings (`env`, `headers`).
    pub fn table(&self, key: &str) -> Result<BTreeMap<String, String>, String> {
        match self.get(key) {
            None => Ok(BTreeMap::new()),
            Some(Value::Object(map)) => map
                .iter()
                .map(|(name, value)| {
                    scalar_text(value)
                        .map(|text| (name.clone(), text))
                        .ok_or_else(|| format!("`{key}.{name}` is {}, not a string", kind(value)))
                })
                .collect(),
            Some(other) => Err(format!("`{key}` is {}, not an object", kind(other))),
        }
    }

    pub fn flag(&self, key: &str) -> Result<Option<bool>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(flag)) => Ok(Some(*flag)),
            Some(other) => Err(format!("`{key}` is {}, not true or false", kind(other))),
        }
    }

    pub fn number(&self, key: &str) -> Result<Option<f64>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(number)) => number
                .as_f64()
                .map(Some)
                .ok_or_else(|| format!("`{key}` = {number} is not a usable number")),
            Some(other) => Err(format!("`{key}` is {}, not a number", kind(other))),
        }
    }

    /// A working directory.
    pub fn path(&self, key: &str) -> Result<Option<PathBuf>, String> {
        Ok(self.text(key)?.map(PathBuf::from))
    }
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

/// `command`/`args`/`env`, `url`/`headers`, `type` and `disabled`: the fields that Claude,
/// Cursor and VS Code spell the same way.
pub(super) fn read_common(entry: &Entry<'_>) -> Result<ServerConfig, String> {
    let mut server = ServerConfig {
        command: entry.text("command")?,
        args: entry.list("args")?,
        env: entry.table("env")?,
        url: entry.text("url")?,
        headers: entry.table("headers")?,
        ..ServerConfig::default()
    };
    if let Some(kind) = entry.text("type")? {
        server.transport = transport_named("type", &kind)?;
    }
    if let Some(disabled) = entry.flag("disabled")? {
        server.enabled = !disabled;
    }
    Ok(server)
}

/// A transport as clients name it.
pub(super) fn transport_named(field: &str, name: &str) -> Result<TransportSetting, String> {
    // Other clients' spellings of streamable HTTP, then ours.
    let name = name.trim().to_ascii_lowercase();
    let ours = match name.as_str() {
        "streamable-http" | "streamable_http" | "streamablehttp" => "http",
        other => other,
    };
    ours.parse().map_err(|_| {
        format!("`{field}` = \"{name}\" is not a transport mcpproxy speaks (stdio, http, sse)")
    })
}

/// A timeout given in some unit, as a duration the config accepts (longer than zero).
pub(super) fn timeout(
    field: &str,
    amount: f64,
    unit: std::time::Duration,
) -> Result<std::time::Duration, String> {
    let seconds = amount * unit.as_secs_f64();
    if !seconds.is_finite() || seconds < 0.001 {
        return Err(format!(
            "`{field}` = {amount} is not a timeout longer than zero"
        ));
    }
    // Whole milliseconds: finer parts only make the written config noisier.
    Ok(std::time::Duration::from_millis(
        (seconds * 1000.0).round() as u64
    ))
}

/// How a client writes references to values it fills in; each becomes our `${env:NAME}` or
/// a reason to skip the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Variables {
    /// `${VAR}` and `${VAR:-default}` (Claude Code).
    ClaudeCode,
    /// `${env:VAR}`, `${input:ID}`, `${workspaceFolder}`, ... (VS Code, Cursor).
    Editor(&'static str),
    /// `$VAR` and `${VAR}` (Gemini CLI).
    Gemini,
    /// `${env:VAR}`, `${keyring:NAME}` (MCPProxy).
    Mcpproxy,
    /// None: values are passed on as written (Claude Desktop, Codex).
    Literal(&'static str),
}

impl Variables {
    pub fn translate(self, value: &str) -> Result<String, String> {
        match self {
            Self::ClaudeCode => rewrite_braced(value, |inner| {
                if is_env_name(inner) {
                    Ok(format!("${{env:{inner}}}"))
                } else if let Some((var, default)) = inner.split_once(":-") {
                    Err(format!(
                        "uses ${{{inner}}}, a default (\"{default}\" when {var} is unset) that mcpproxy's ${{env:{var}}} cannot express"
                    ))
                } else {
                    Err(format!(
                        "uses ${{{inner}}}, which is not an environment variable reference"
                    ))
                }
            }),
            Self::Editor(client) => rewrite_braced(value, |inner| match inner.split_once(':') {
                Some(("env", var)) if is_env_name(var) => Ok(format!("${{env:{var}}}")),
                Some(("input", id)) => Err(format!(
                    "uses ${{input:{id}}}, a value {client} asks for when it starts the server, which mcpproxy cannot ask"
                )),
                _ => Err(format!(
                    "uses ${{{inner}}}, a {client} variable mcpproxy cannot resolve"
                )),
            }),
            Self::Gemini => gemini_references(value),
            Self::Mcpproxy => rewrite_braced(value, |inner| match inner.split_once(':') {
                Some(("env", var)) if is_env_name(var) => Ok(format!("${{env:{var}}}")),
                Some(("keyring", name)) => Err(format!(
                    "uses ${{keyring:{name}}}, a keyring secret; this mcpproxy reads secrets from the environment only (${{env:NAME}})"
                )),
                _ => Err(format!(
                    "uses ${{{inner}}}, a reference mcpproxy cannot resolve"
                )),
            }),
            Self::Literal(client) => rewrite_braced(value, |inner| {
                Err(format!(
                    "contains \"${{{inner}}}\", which {client} passes on as written but mcpproxy would read as a reference"
                ))
            }),
        }
    }
}

pub(super) fn is_env_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Rewrites each `${...}` in `value` with what `rewrite` makes of its inside.
fn rewrite_braced(
    value: &str,
    rewrite: impl Fn(&str) -> Result<String, String>,
) -> Result<String, String> {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("\"{value}\" has a \"${{\" that is not closed"))?;
        out.push_str(&rewrite(&after[..end])?);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Gemini CLI replaces `$VAR` and `${VAR}` in its settings with the environment's value.
fn gemini_references(value: &str) -> Result<String, String> {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find('$') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        if let Some(braced) = after.strip_prefix('{') {
            let end = braced
                .find('}')
                .ok_or_else(|| format!("\"{value}\" has a \"${{\" that is not closed"))?;
            let var = &braced[..end];
            if !is_env_name(var) {
                return Err(format!(
                    "uses ${{{var}}}, which Gemini CLI leaves as written and mcpproxy would read as a reference"
                ));
            }
            out.push_str(&format!("${{env:{var}}}"));
            rest = &braced[end + 1..];
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            let var = &after[..end];
            if is_env_name(var) {
                out.push_str(&format!("${{env:{var}}}"));
            } else {
                out.push('$');
                out.push_str(var);
            }
            rest = &after[end..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// What every imported server goes through: references translated, then [`settle`].
pub(super) fn finish(
    mut server: ServerConfig,
    variables: Variables,
) -> Result<ServerConfig, String> {
    translate(&mut server, variables)?;
    settle(server)
}

/// Turns the client's references in every string field into ours.
pub(super) fn translate(server: &mut ServerConfig, variables: Variables) -> Result<(), String> {
    let translate = |value: &mut String| -> Result<(), String> {
        *value = variables.translate(value)?;
        Ok(())
    };
    if let Some(command) = &mut server.command {
        translate(command)?;
    }
    for arg in &mut server.args {
        translate(arg)?;
    }
    for value in server.env.values_mut() {
        translate(value)?;
    }
    if let Some(url) = &mut server.url {
        translate(url)?;
    }
    for value in server.headers.values_mut() {
        translate(value)?;
    }
    if let Some(cwd) = &mut server.cwd {
        let mut text = cwd.to_string_lossy().into_owned();
        translate(&mut text)?;
        *cwd = PathBuf::from(text);
    }
    Ok(())
}

/// Settles which kind of server this is, drops the other kind's fields, and sets quarantine,
/// whatever the source said.
pub(super) fn settle(mut server: ServerConfig) -> Result<ServerConfig, String> {
    let remote = match (&server.command, &server.url) {
        (None, None) => return Err("it has neither a command nor a url".to_owned()),
        (Some(_), Some(_)) => {
            return Err(
                "it has both a command and a url, so which one to use is unclear".to_owned(),
            );
        }
        (None, Some(_)) => true,
        (Some(_), None) => false,
    };
    match server.transport {
        TransportSetting::Stdio if remote => {
            return Err("its transport is stdio, but it has a url and no command".to_owned());
        }
        // A command means stdio anyway; `auto` keeps the written config short.
        TransportSetting::Stdio => server.transport = TransportSetting::Auto,
        TransportSetting::Http | TransportSetting::Sse if !remote => {
            return Err("its transport is HTTP, but it has a command and no url".to_owned());
        }
        _ => {}
    }
    // Fields of the other kind of server are ignored by the source client too; keeping
    // them would only make the config fail to load.
    if remote {
        server.args.clear();
        server.env.clear();
        server.cwd = None;
    } else {
        server.headers.clear();
        if let Some(cwd) = &server.cwd {
            let text = cwd.to_string_lossy();
            if !(cwd.is_absolute()
                || text == "~"
                || text.starts_with("~/")
                || text.starts_with("${"))
            {
                return Err(format!(
                    "its cwd \"{text}\" is relative to wherever its client runs, which mcpproxy cannot know; make it absolute"
                ));
            }
        }
    }
    server.quarantined = true;
    Ok(server)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translates_each_clients_references() {
        let ok = |v: Variables, text: &str| v.translate(text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            ok(Variables::ClaudeCode, "Bearer ${TOKEN}"),
            "Bearer ${env:TOKEN}"
        );
        assert_eq!(
            ok(Variables::Editor("VS Code"), "${env:HOME}/x"),
            "${env:HOME}/x"
        );
        assert_eq!(
            ok(Variables::Gemini, "$A-${B}-$-$1"),
            "${env:A}-${env:B}-$-$1"
        );
        assert_eq!(ok(Variables::Literal("Codex"), "$HOME"), "$HOME");
        let err = |v: Variables, text: &str| v.translate(text).err().unwrap_or_default();
        assert!(err(Variables::ClaudeCode, "${DB:-x}").contains("default"));
        assert!(err(Variables::Editor("VS Code"), "${input:key}").contains("asks for"));
        assert!(
            err(Variables::Editor("Cursor"), "${workspaceFolder}/a").contains("Cursor variable")
        );
        assert!(err(Variables::Mcpproxy, "${keyring:gh}").contains("keyring"));
        assert!(err(Variables::Literal("Codex"), "${X}").contains("passes on as written"));
        assert!(err(Variables::ClaudeCode, "${X").contains("not closed"));
    }
}
