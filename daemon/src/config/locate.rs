//! Turning a problem with the config into `file:line:col`, the key it concerns, and a picture
//! of the offending line.

use std::fmt::Write as _;
use std::ops::Range;
use std::path::Path;

use toml_edit::{Item, TableLike};

use crate::protocol::ConfigProblem;

/// One step of a key path: a table key or an array index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

/// Dotted form of a key path: `servers.github.args[2]`.
pub fn dotted(path: &[Seg<'_>]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                if key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                {
                    out.push_str(key);
                } else {
                    let _ = write!(out, "{key:?}");
                }
            }
            Seg::Index(i) => {
                let _ = write!(out, "[{i}]");
            }
        }
    }
    out
}

/// A problem with its byte span in the source, before it is turned into line and column.
#[derive(Debug, Clone, PartialEq)]
pub struct LocatedProblem {
    pub problem: ConfigProblem,
    pub span: Range<usize>,
    /// The problem is on a line that holds a value under a server's `env` or `headers`
    /// (credentials, usually): it is rendered without the value.
    pub secret: bool,
}

/// Finds spans of keys in one parsed source text.
pub struct Locator<'a> {
    file: &'a Path,
    text: &'a str,
    doc: Option<toml_edit::Document<&'a str>>,
    /// 1-based numbers of the lines holding `env` or `headers` values, ascending.
    secret_lines: Vec<u32>,
}

impl<'a> Locator<'a> {
    pub fn new(file: &'a Path, text: &'a str) -> Self {
        Self {
            file,
            text,
            doc: toml_edit::Document::parse(text).ok(),
            secret_lines: secret_lines(text),
        }
    }

    /// A problem about the value at `path`, or the nearest part of it that exists in the file.
    pub fn at(&self, path: &[Seg<'_>], message: String, hint: Option<String>) -> LocatedProblem {
        let span = self.span_of(path).unwrap_or(0..0);
        let key = (!path.is_empty()).then(|| dotted(path));
        self.at_span(span, key, message, hint)
    }

    /// The source text of a span (empty when the span is out of range).
    pub fn text_at(&self, span: Range<usize>) -> &'a str {
        self.text.get(span).unwrap_or("")
    }

    /// A problem at a byte span, as reported by the parser.
    pub fn at_span(
        &self,
        span: Range<usize>,
        key: Option<String>,
        message: String,
        hint: Option<String>,
    ) -> LocatedProblem {
        let (line, column) = line_col(self.text, span.start);
        let secret = self.secret_lines.binary_search(&line).is_ok()
            || key.as_deref().is_some_and(is_secret_key);
        LocatedProblem {
            secret,
            problem: ConfigProblem {
                file: self.file.to_path_buf(),
                line,
                column,
                key,
                message,
                hint,
            },
            span,
        }
    }

    /// The span of the value at `path`; falls back to the deepest ancestor found.
    pub fn span_of(&self, path: &[Seg<'_>]) -> Option<Range<usize>> {
        let doc = self.doc.as_ref()?;
        let mut best = None;
        let mut item: &Item = doc.as_item();
        for seg in path {
            match seg {
                Seg::Key(key) => {
                    let Some((next, key_span)) = item
                        .as_table_like()
                        .and_then(|t| Some((t.get(key)?, t.key(key).and_then(|k| k.span()))))
                    else {
                        return best;
                    };
                    best = key_span.or(best);
                    item = next;
                }
                // Indexes only ever end a path: arrays here hold scalars.
                Seg::Index(index) => {
                    let value = item.as_array().and_then(|a| a.get(*index));
                    return value.and_then(|v| v.span()).or(best);
                }
            }
        }
        item.span().or(best)
    }

    /// The dotted key whose key or value contains the byte `offset`.
    pub fn key_at(&self, offset: usize) -> Option<String> {
        let doc = self.doc.as_ref()?;
        let mut path = Vec::new();
        find_key(doc.as_table(), offset, &mut path).then(|| {
            let segs: Vec<Seg<'_>> = path.iter().map(|k| Seg::Key(k.as_str())).collect();
            dotted(&segs)
        })
    }
}

/// Depth-first search for the key that contains `offset`; `path` ends up holding it.
fn find_key(table: &dyn TableLike, offset: usize, path: &mut Vec<String>) -> bool {
    let contains = |span: Option<Range<usize>>| {
        span.is_some_and(|s| s.start <= offset && offset < s.end.max(s.start + 1))
    };
    for (key, item) in table.iter() {
        path.push(key.to_owned());
        if contains(table.key(key).and_then(|k| k.span())) {
            return true;
        }
        if let Some(inner) = item.as_table_like()
            && find_key(inner, offset, path)
        {
            return true;
        }
        if contains(item.span()) {
            return true;
        }
        path.pop();
    }
    false
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (u32, u32) {
    let offset = floor_char_boundary(text, offset.min(text.len()));
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..offset].chars().count() + 1;
    (to_u32(line), to_u32(column))
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Renders problems the way compilers do: message, location, the line, carets, hint.
pub fn render(problems: &[LocatedProblem], text: &str) -> String {
    let mut out = String::new();
    for (
        i,
        LocatedProblem {
            problem,
            span,
            secret,
        },
    ) in problems.iter().enumerate()
    {
        if i > 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "error: {}", problem.message);
        let _ = writeln!(
            out,
            "  --> {}:{}:{}",
            problem.file.display(),
            problem.line,
            problem.column
        );
        if let Some(line_text) = text.lines().nth(problem.line.saturating_sub(1) as usize) {
            let number = problem.line.to_string();
            let pad = " ".repeat(number.len());
            let col = problem.column.saturating_sub(1) as usize;
            let shown = if *secret {
                hide_value(line_text)
            } else {
                line_text.to_owned()
            };
            let _ = writeln!(out, "{pad} |");
            let _ = writeln!(out, "{number} | {shown}");
            // Carets only where the line is shown as written (a hidden value has no columns).
            if !*secret || col < key_part(line_text).chars().count() {
                let span_chars = text
                    .get(span.clone())
                    .map_or(1, |s| s.lines().next().unwrap_or("").chars().count())
                    .clamp(1, shown.chars().count().saturating_sub(col).max(1));
                let _ = writeln!(out, "{pad} | {}{}", " ".repeat(col), "^".repeat(span_chars));
            }
        }
        if let Some(key) = &problem.key {
            let _ = writeln!(out, "   = key: {key}");
        }
        if let Some(hint) = &problem.hint {
            let _ = writeln!(out, "   = hint: {hint}");
        }
    }
    out
}

/// True for a dotted key under a server's `env` or `headers` (`servers.NAME.env...`).
pub fn is_secret_key(dotted: &str) -> bool {
    let segments = split_dotted(dotted);
    is_secret_path(&segments)
}

fn is_secret_path(segments: &[String]) -> bool {
    segments.len() >= 3
        && segments[0] == "servers"
        && (segments[2] == "env" || segments[2] == "headers")
}

/// The part of a `key = value` line before its `=` (the whole line when there is none).
fn key_part(line: &str) -> &str {
    match find_outside_strings(line, b'=') {
        Some(eq) => &line[..eq],
        None => line,
    }
}

/// A `key = value` line with its value replaced by `***`.
fn hide_value(line: &str) -> String {
    match find_outside_strings(line, b'=') {
        Some(eq) => format!("{}= {}", &line[..eq], crate::redact::MASK),
        None => crate::redact::MASK.to_owned(),
    }
}

/// A message from the TOML parser with what it quotes (`...` or "...") replaced by `***`:
/// it may quote the value it could not take.
pub fn hide_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut open: Option<char> = None;
    for c in message.chars() {
        match open {
            Some(quote) if c == quote => {
                out.push_str(crate::redact::MASK);
                out.push(c);
                open = None;
            }
            Some(_) => {}
            None => {
                out.push(c);
                if c == '`' || c == '"' {
                    open = Some(c);
                }
            }
        }
    }
    out
}

/// The bytes of a TOML line that are code: outside quoted strings (the quotes themselves
/// excluded) and before a comment, with their indexes.
fn code_bytes(line: &str) -> impl Iterator<Item = (usize, u8)> + '_ {
    let mut quote: Option<u8> = None;
    let mut escaped = false;
    line.bytes()
        .enumerate()
        .map_while(move |(i, b)| match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if b == b'\\' && q == b'"' {
                    escaped = true;
                } else if b == q {
                    quote = None;
                }
                Some(None)
            }
            None if b == b'"' || b == b'\'' => {
                quote = Some(b);
                Some(None)
            }
            None if b == b'#' => None,
            None => Some(Some((i, b))),
        })
        .flatten()
}

/// The byte index of the first `wanted` outside a quoted string.
fn find_outside_strings(line: &str, wanted: u8) -> Option<usize> {
    code_bytes(line).find(|(_, b)| *b == wanted).map(|(i, _)| i)
}

/// Opening minus closing brackets and braces outside strings and comments.
fn bracket_balance(value: &str) -> i64 {
    code_bytes(value)
        .map(|(_, b)| match b {
            b'{' | b'[' => 1,
            b'}' | b']' => -1,
            _ => 0,
        })
        .sum()
}

/// `a."b.c".d` as its segments, quotes removed.
fn split_dotted(dotted: &str) -> Vec<String> {
    let mut segments = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    for c in dotted.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => current.push(c),
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '.' => segments.push(std::mem::take(&mut current).trim().to_owned()),
            None => current.push(c),
        }
    }
    segments.push(current.trim().to_owned());
    segments
}

/// The lines that hold values under a server's `env` or `headers`, found line by line so it
/// works on text the parser rejects too: the current `[table]`, the dotted key before `=`,
/// and values that go on over several lines (multi-line strings, open inline tables).
fn secret_lines(text: &str) -> Vec<u32> {
    let mut secret = Vec::new();
    let mut table: Vec<String> = Vec::new();
    // Set while a value started on a secret line goes on.
    let mut continues = false;
    let mut open_braces: i64 = 0;
    let mut in_multiline: Option<&str> = None;
    for (index, line) in text.lines().enumerate() {
        let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let trimmed = line.trim_start();
        let is_secret = if continues {
            true
        } else if trimmed.starts_with('[') {
            let inner = trimmed.trim_start_matches('[');
            let end = find_outside_strings(inner, b']').unwrap_or(inner.len());
            table = split_dotted(&inner[..end]);
            false
        } else if find_outside_strings(line, b'=').is_some() {
            let mut path = table.clone();
            path.extend(split_dotted(key_part(line)));
            is_secret_path(&path) || is_secret_path(&table)
        } else {
            is_secret_path(&table) && !trimmed.is_empty() && !trimmed.starts_with('#')
        };
        if is_secret {
            secret.push(number);
        }
        // Does the value go on past this line?
        for delimiter in ["\"\"\"", "'''"] {
            let count = line.matches(delimiter).count();
            if count % 2 == 1 {
                in_multiline = match in_multiline {
                    Some(open) if open == delimiter => None,
                    None => Some(delimiter),
                    other => other,
                };
            }
        }
        if in_multiline.is_none() {
            let value = line
                .get(find_outside_strings(line, b'=').map_or(0, |eq| eq + 1)..)
                .unwrap_or("");
            open_braces = (open_braces + bracket_balance(value)).max(0);
        }
        let goes_on = in_multiline.is_some() || open_braces > 0;
        continues = goes_on && (is_secret || continues);
        if !goes_on {
            open_braces = 0;
        }
    }
    secret
}

/// The nearest of `known` to `unknown`, when it is close enough to be a likely typo.
pub fn nearest<'k>(unknown: &str, known: impl IntoIterator<Item = &'k str>) -> Option<&'k str> {
    known
        .into_iter()
        .map(|k| (strsim::jaro_winkler(unknown, k), k))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_values_and_keys() {
        let text = "listen = \"x\"\n\n[servers.demo]\ncommand = \"\"\nargs = [\"a\", \"b\"]\n";
        let loc = Locator::new(Path::new("c.toml"), text);
        let p = loc.at(
            &[Seg::Key("servers"), Seg::Key("demo"), Seg::Key("command")],
            "m".into(),
            None,
        );
        assert_eq!((p.problem.line, p.problem.column), (4, 11));
        let p = loc.at(
            &[
                Seg::Key("servers"),
                Seg::Key("demo"),
                Seg::Key("args"),
                Seg::Index(1),
            ],
            "m".into(),
            None,
        );
        assert_eq!((p.problem.line, p.problem.column), (5, 14));
        assert_eq!(p.problem.key.as_deref(), Some("servers.demo.args[1]"));
        let offset = text.find("args").unwrap_or_default();
        assert_eq!(loc.key_at(offset).as_deref(), Some("servers.demo.args"));
    }

    #[test]
    fn suggests_near_keys_only() {
        assert_eq!(nearest("comand", ["command", "args"]), Some("command"));
        assert_eq!(nearest("zzz", ["command", "args"]), None);
    }

    #[test]
    fn counts_columns_in_characters() {
        assert_eq!(line_col("a = \"é\"\nb", 9), (2, 1));
        assert_eq!(line_col("é = 1", 3), (1, 3));
    }
}
