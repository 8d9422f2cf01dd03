//! The add-server form: what a person types, turned into the `POST /servers` request, and
//! the daemon's validation messages put back beside the field they concern.

use std::collections::BTreeMap;

use mcpproxy_daemon::protocol::{AddServer, ServerSpec};

use super::editor::LineInput;
use crate::action::Failure;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    Name,
    Command,
    Url,
    Env,
    Headers,
    Cwd,
    Transport,
    StartNow,
}

impl Field {
    pub const ALL: &'static [Field] = &[
        Self::Name,
        Self::Command,
        Self::Url,
        Self::Env,
        Self::Headers,
        Self::Cwd,
        Self::Transport,
        Self::StartNow,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::Name => "Name",
            Self::Command => "Command",
            Self::Url => "URL",
            Self::Env => "Env",
            Self::Headers => "Headers",
            Self::Cwd => "Directory",
            Self::Transport => "Transport",
            Self::StartNow => "Start now",
        }
    }

    /// What to type, shown while the field is empty.
    pub fn placeholder(self) -> &'static str {
        match self {
            Self::Name => "letters, digits, - _ .",
            Self::Command => "a local server: npx -y @modelcontextprotocol/server-everything",
            Self::Url => "or a remote one: https://example.com/mcp",
            Self::Env => "KEY=VALUE ... (local server)",
            Self::Headers => "'Authorization: Bearer ${env:TOKEN}' ... (remote server)",
            Self::Cwd => "working directory (local server)",
            Self::Transport => "",
            Self::StartNow => "",
        }
    }

    pub fn is_text(self) -> bool {
        !matches!(self, Self::Transport | Self::StartNow)
    }

    /// The field a key of a `[servers.NAME]` table belongs to.
    fn of_key(key: &str) -> Option<Self> {
        Some(match key {
            "command" | "args" | "builtin" => Self::Command,
            "url" => Self::Url,
            "env" => Self::Env,
            "headers" => Self::Headers,
            "cwd" => Self::Cwd,
            "transport" => Self::Transport,
            _ => return None,
        })
    }
}

pub const TRANSPORTS: &[&str] = &["auto", "stdio", "http", "sse"];

#[derive(Debug, Clone, PartialEq)]
pub struct AddServerForm {
    pub inputs: BTreeMap<Field, LineInput>,
    pub transport: usize,
    /// Start it at once instead of waiting for approval.
    pub start_now: bool,
    pub focus: Field,
    /// Problems by field, from the form's own checks or the daemon's answer.
    pub errors: BTreeMap<Field, String>,
    /// A problem no field owns.
    pub error: Option<Failure>,
    pub submitting: bool,
}

impl Default for AddServerForm {
    fn default() -> Self {
        Self {
            inputs: Field::ALL
                .iter()
                .filter(|f| f.is_text())
                .map(|f| (*f, LineInput::default()))
                .collect(),
            transport: 0,
            start_now: false,
            focus: Field::Name,
            errors: BTreeMap::new(),
            error: None,
            submitting: false,
        }
    }
}

impl AddServerForm {
    pub fn text(&self, field: Field) -> &str {
        self.inputs.get(&field).map_or("", |i| i.text().trim())
    }

    /// A field's text as typed (not trimmed), for drawing.
    pub fn text_raw(&self, field: Field) -> &str {
        self.inputs.get(&field).map_or("", LineInput::text)
    }

    /// A field's cursor, in chars.
    pub fn cursor(&self, field: Field) -> usize {
        self.inputs.get(&field).map_or(0, LineInput::cursor)
    }

    pub fn focused_input(&mut self) -> Option<&mut LineInput> {
        self.inputs.get_mut(&self.focus)
    }

    pub fn move_focus(&mut self, delta: isize) {
        let fields = Field::ALL;
        let at = fields.iter().position(|f| *f == self.focus).unwrap_or(0);
        let len = isize::try_from(fields.len()).unwrap_or(1);
        let next = (isize::try_from(at).unwrap_or(0) + delta).rem_euclid(len);
        self.focus = fields[usize::try_from(next).unwrap_or(0)];
    }

    /// Space on a choice: the next transport, or start now on/off.
    pub fn toggle(&mut self) -> bool {
        match self.focus {
            Field::Transport => self.transport = (self.transport + 1) % TRANSPORTS.len(),
            Field::StartNow => self.start_now = !self.start_now,
            _ => return false,
        }
        true
    }

    /// The request, or the first problem the form itself can see (also recorded).
    pub fn request(&mut self) -> Option<AddServer> {
        self.errors.clear();
        self.error = None;
        match self.build() {
            Ok(request) => Some(request),
            Err((field, message)) => {
                self.errors.insert(field, message);
                self.focus = field;
                None
            }
        }
    }

    fn build(&self) -> Result<AddServer, (Field, String)> {
        let name = self.text(Field::Name);
        if name.is_empty() {
            return Err((Field::Name, "a server needs a name".into()));
        }
        let (command, url) = (self.text(Field::Command), self.text(Field::Url));
        let mut server = ServerSpec::default();
        match (command.is_empty(), url.is_empty()) {
            (true, true) => {
                return Err((
                    Field::Command,
                    "give a command (a local server) or a URL (a remote one)".into(),
                ));
            }
            (false, false) => {
                return Err((
                    Field::Url,
                    "a server is a local command or a remote URL, not both: clear one".into(),
                ));
            }
            (false, true) => {
                let words = split_words(command).map_err(|m| (Field::Command, m))?;
                let mut words = words.into_iter();
                server.command = words.next();
                server.args = words.collect();
            }
            (true, false) => server.url = Some(url.to_owned()),
        }
        for word in split_words(self.text(Field::Env)).map_err(|m| (Field::Env, m))? {
            let (key, value) = word
                .split_once('=')
                .filter(|(k, _)| !k.is_empty())
                .ok_or_else(|| (Field::Env, format!("\"{word}\" is not KEY=VALUE")))?;
            server.env.insert(key.to_owned(), value.to_owned());
        }
        for word in split_words(self.text(Field::Headers)).map_err(|m| (Field::Headers, m))? {
            let (key, value) = word
                .split_once(':')
                .filter(|(k, _)| !k.trim().is_empty())
                .ok_or_else(|| (Field::Headers, format!("\"{word}\" is not 'Name: value'")))?;
            server
                .headers
                .insert(key.trim().to_owned(), value.trim().to_owned());
        }
        let cwd = self.text(Field::Cwd);
        if !cwd.is_empty() {
            server.cwd = Some(cwd.into());
        }
        if self.transport != 0 {
            server.transport = Some(TRANSPORTS[self.transport].to_owned());
        }
        Ok(AddServer {
            name: name.to_owned(),
            server,
            quarantine: !self.start_now,
        })
    }

    /// Puts the daemon's refusal beside the field it concerns, or under the form.
    pub fn refused(&mut self, failure: Failure) {
        self.submitting = false;
        match field_of(&failure.message) {
            Some((field, message)) => {
                self.errors.insert(field, message);
                self.focus = field;
            }
            None => self.error = Some(failure),
        }
    }
}

/// Which field a daemon message is about, and the message to show there.
fn field_of(message: &str) -> Option<(Field, String)> {
    // A spec mistake: "server.url: ...".
    if let Some(rest) = message.strip_prefix("server.")
        && let Some((key, text)) = rest.split_once(": ")
        && let Some(field) = Field::of_key(key)
    {
        return Some((field, text.to_owned()));
    }
    // The config check refused the edit: "... = key: servers.NAME.KEY" under "error: TEXT".
    if let Some(key_line) = message
        .lines()
        .find_map(|l| l.trim().strip_prefix("= key: servers."))
        && let Some(field) = key_line.rsplit('.').next().and_then(Field::of_key)
    {
        let text = message
            .lines()
            .find_map(|l| l.trim().strip_prefix("error: "))
            .unwrap_or(message);
        return Some((field, text.to_owned()));
    }
    let lower = message.to_lowercase();
    (lower.contains("server name") || lower.contains("already exists"))
        .then(|| (Field::Name, message.to_owned()))
}

/// Splits text into words as a shell would: spaces separate, quotes group, `\` escapes.
pub fn split_words(text: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"') | None, '\\') => {
                if let Some(next) = chars.next() {
                    word.push(next);
                    in_word = true;
                }
            }
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if let Some(q) = quote {
        return Err(format!("a {q} quote is not closed"));
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(fields: &[(Field, &str)]) -> AddServerForm {
        let mut form = AddServerForm::default();
        for (field, text) in fields {
            form.inputs.insert(*field, LineInput::new(*text));
        }
        form
    }

    #[test]
    fn words_split_like_a_shell() {
        assert_eq!(
            split_words(r#"npx -y "@scope/pkg name" 'a b' c\ d"#).unwrap(),
            ["npx", "-y", "@scope/pkg name", "a b", "c d"]
        );
        assert_eq!(split_words("''").unwrap(), [""]);
        assert!(split_words("'open").is_err());
    }

    #[test]
    fn a_local_server_becomes_a_quarantined_add_request() {
        let mut form = form(&[
            (Field::Name, "everything"),
            (
                Field::Command,
                "npx -y @modelcontextprotocol/server-everything",
            ),
            (Field::Env, "LOG=info 'GREETING=hello there'"),
        ]);
        let request = form.request().unwrap();
        assert_eq!(request.name, "everything");
        assert!(request.quarantine);
        assert_eq!(request.server.command.as_deref(), Some("npx"));
        assert_eq!(
            request.server.args,
            ["-y", "@modelcontextprotocol/server-everything"]
        );
        assert_eq!(request.server.env["GREETING"], "hello there");
    }

    #[test]
    fn the_forms_own_checks_land_on_their_field() {
        let mut both = form(&[
            (Field::Name, "x"),
            (Field::Command, "a"),
            (Field::Url, "http://h"),
        ]);
        assert!(both.request().is_none());
        assert_eq!(both.focus, Field::Url);
        let mut header = form(&[
            (Field::Name, "x"),
            (Field::Url, "http://h"),
            (Field::Headers, "nocolon"),
        ]);
        assert!(header.request().is_none());
        assert!(header.errors[&Field::Headers].contains("is not 'Name: value'"));
        let mut nameless = form(&[]);
        assert!(nameless.request().is_none());
        assert_eq!(nameless.errors.keys().collect::<Vec<_>>(), [&Field::Name]);
    }

    #[test]
    fn the_daemons_messages_land_on_their_field() {
        let failure = |message: &str| Failure {
            message: message.into(),
            hint: None,
        };
        let mut form = AddServerForm::default();
        form.refused(failure("server.transport: unknown transport \"ws\""));
        assert_eq!(form.errors[&Field::Transport], "unknown transport \"ws\"");
        form.refused(failure("the change was refused, and /d/config.toml was left as it was:\nerror: server \"x\": url must be http\n  --> /d/config.toml:3:7\n   = key: servers.x.url\n"));
        assert_eq!(form.errors[&Field::Url], "server \"x\": url must be http");
        form.refused(failure("a server named \"demo\" already exists"));
        assert_eq!(form.focus, Field::Name);
        form.refused(failure("the daemon's connection failed"));
        assert!(form.error.is_some());
    }
}
