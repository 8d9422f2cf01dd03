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
}

/// Finds spans of keys in one parsed source text.
pub struct Locator<'a> {
    file: &'a Path,
    text: &'a str,
    doc: Option<toml_edit::Document<&'a str>>,
}

impl<'a> Locator<'a> {
    pub fn new(file: &'a Path, text: &'a str) -> Self {
        Self {
            file,
            text,
            doc: toml_edit::Document::parse(text).ok(),
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
        LocatedProblem {
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
    for (i, LocatedProblem { problem, span }) in problems.iter().enumerate() {
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
            let span_chars = text
                .get(span.clone())
                .map_or(1, |s| s.lines().next().unwrap_or("").chars().count())
                .clamp(1, line_text.chars().count().saturating_sub(col).max(1));
            let _ = writeln!(out, "{pad} |");
            let _ = writeln!(out, "{number} | {line_text}");
            let _ = writeln!(out, "{pad} | {}{}", " ".repeat(col), "^".repeat(span_chars));
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
