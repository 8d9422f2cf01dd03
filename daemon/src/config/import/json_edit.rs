//! Adding and removing one member of a JSON (or JSONC, JSON5) object by splicing text, so
//! every other byte of the file (comments, order, spacing) stays: how `mcpproxy connect`
//! edits the client files `import` reads. Removal is the exact inverse of insertion: a member
//! added and then removed leaves the original text.

/// One `"key": value` of an object, by byte offsets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub key: String,
    pub key_start: usize,
    pub value_start: usize,
    pub value_end: usize,
}

/// An object: where its braces are and its members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    pub open: usize,
    pub close: usize,
    pub members: Vec<Member>,
}

impl Object {
    pub fn member(&self, key: &str) -> Option<&Member> {
        self.members.iter().rev().find(|m| m.key == key)
    }
}

/// The object at the top of `text`, or None when the text is not one.
pub fn root(text: &str) -> Option<Object> {
    let mut scanner = Scanner { text, pos: 0 };
    scanner.skip_trivia();
    scanner.object()
}

/// The object that is `member`'s value, or None when it is not an object.
pub fn object_at(text: &str, member: &Member) -> Option<Object> {
    let mut scanner = Scanner {
        text,
        pos: member.value_start,
    };
    scanner.object()
}

/// `text` with `"key": value` added as the last member of `object`. `value` is JSON as
/// `serde_json::to_string_pretty` writes it; it is indented to the member's depth.
pub fn insert(text: &str, object: &Object, key: &str, value: &str) -> String {
    let key = serde_json::Value::from(key).to_string();
    let mut out = String::with_capacity(text.len() + value.len() + 16);
    match object.members.last() {
        Some(last) => {
            let indent = indent_before(text, last.key_start).unwrap_or_else(|| "  ".to_owned());
            out.push_str(&text[..last.value_end]);
            out.push_str(&format!(",\n{indent}{key}: {}", reindent(value, &indent)));
            out.push_str(&text[last.value_end..]);
        }
        None => {
            let outer = line_indent(text, object.open);
            let indent = format!("{outer}  ");
            let member = format!("\n{indent}{key}: {}", reindent(value, &indent));
            let inside = &text[object.open + 1..object.close];
            out.push_str(&text[..=object.open]);
            if inside.trim().is_empty() {
                out.push_str(&member);
                out.push('\n');
                out.push_str(&outer);
            } else {
                out.push_str(&member);
                out.push_str(inside);
            }
            out.push_str(&text[object.close..]);
        }
    }
    out
}

/// `text` without `object`'s member `key` (the inverse of [`insert`]); None when absent.
pub fn remove(text: &str, object: &Object, key: &str) -> Option<String> {
    let index = object.members.iter().rposition(|m| m.key == key)?;
    let member = &object.members[index];
    let (from, to) = match (index.checked_sub(1), object.members.get(index + 1)) {
        (Some(before), _) => (object.members[before].value_end, member.value_end),
        (None, Some(next)) => (member.key_start, next.key_start),
        (None, None) => {
            let around = format!(
                "{}{}",
                &text[object.open + 1..member.key_start],
                &text[member.value_end..object.close]
            );
            if around.trim().trim_end_matches(',').trim().is_empty() {
                (object.open + 1, object.close)
            } else {
                let after = &text[member.value_end..];
                let comma = after
                    .trim_start()
                    .strip_prefix(',')
                    .map_or(0, |rest| after.len() - rest.len());
                let start = text[..member.key_start]
                    .rfind('\n')
                    .filter(|nl| text[*nl..member.key_start].trim().is_empty())
                    .unwrap_or(member.key_start);
                (start, member.value_end + comma)
            }
        }
    };
    Some(format!("{}{}", &text[..from], &text[to..]))
}

/// The whitespace between the start of `at`'s line and `at`, when only whitespace is there.
fn indent_before(text: &str, at: usize) -> Option<String> {
    let line_start = text[..at].rfind('\n').map_or(0, |nl| nl + 1);
    let before = &text[line_start..at];
    before
        .chars()
        .all(|c| c == ' ' || c == '\t')
        .then(|| before.to_owned())
}

/// The leading whitespace of the line holding `at`.
fn line_indent(text: &str, at: usize) -> String {
    let line_start = text[..at].rfind('\n').map_or(0, |nl| nl + 1);
    text[line_start..]
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect()
}

fn reindent(value: &str, indent: &str) -> String {
    value.replace('\n', &format!("\n{indent}"))
}

/// Walks text already known to parse (serde_json or json5 read it first).
struct Scanner<'t> {
    text: &'t str,
    pos: usize,
}

impl Scanner<'_> {
    fn rest(&self) -> &str {
        self.text.get(self.pos..).unwrap_or("")
    }

    fn skip_trivia(&mut self) {
        self.pos = super::json_scan::skip_trivia(self.text, self.pos);
    }

    fn object(&mut self) -> Option<Object> {
        let open = self.pos;
        if !self.rest().starts_with('{') {
            return None;
        }
        self.pos += 1;
        let mut members = Vec::new();
        loop {
            self.skip_trivia();
            if self.rest().starts_with('}') {
                let close = self.pos;
                self.pos += 1;
                return Some(Object {
                    open,
                    close,
                    members,
                });
            }
            let key_start = self.pos;
            let key = self.key()?;
            self.skip_trivia();
            self.rest().starts_with(':').then_some(())?;
            self.pos += 1;
            self.skip_trivia();
            let value_start = self.pos;
            self.skip_value()?;
            members.push(Member {
                key,
                key_start,
                value_start,
                value_end: self.pos,
            });
            self.skip_trivia();
            if self.rest().starts_with(',') {
                self.pos += 1;
            }
        }
    }

    fn key(&mut self) -> Option<String> {
        match self.rest().chars().next()? {
            '"' | '\'' => self.string(),
            _ => {
                let len = self
                    .rest()
                    .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
                    .unwrap_or(self.rest().len());
                let key = self.rest()[..len].to_owned();
                self.pos += len;
                (!key.is_empty()).then_some(key)
            }
        }
    }

    /// A quoted string; returns its content with simple escapes resolved.
    fn string(&mut self) -> Option<String> {
        let quote = self.rest().chars().next()?;
        self.pos += 1;
        let mut content = String::new();
        let mut chars = self.rest().char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    let (_, escaped) = chars.next()?;
                    content.push(match escaped {
                        'n' => '\n',
                        't' => '\t',
                        other => other,
                    });
                }
                c if c == quote => {
                    self.pos += i + 1;
                    return Some(content);
                }
                c => content.push(c),
            }
        }
        None
    }

    fn skip_value(&mut self) -> Option<()> {
        match self.rest().chars().next()? {
            '{' => self.object().map(|_| ()),
            '[' => {
                self.pos += 1;
                loop {
                    self.skip_trivia();
                    if self.rest().starts_with(']') {
                        self.pos += 1;
                        return Some(());
                    }
                    self.skip_value()?;
                    self.skip_trivia();
                    if self.rest().starts_with(',') {
                        self.pos += 1;
                    }
                }
            }
            '"' | '\'' => self.string().map(|_| ()),
            _ => {
                let len = self
                    .rest()
                    .find(|c: char| {
                        c == ',' || c == '}' || c == ']' || c.is_whitespace() || c == '/'
                    })
                    .unwrap_or(self.rest().len());
                (len > 0).then_some(())?;
                self.pos += len;
                Some(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENTRY: &str = "{\n  \"command\": \"/bin/mcpproxy\"\n}";

    fn round_trip(text: &str, container: &str) -> String {
        let root = root(text).unwrap();
        let object = object_at(text, root.member(container).unwrap()).unwrap();
        let added = insert(text, &object, "mcpproxy", ENTRY);
        let root_after = super::root(&added).unwrap();
        let object_after = object_at(&added, root_after.member(container).unwrap()).unwrap();
        assert!(object_after.member("mcpproxy").is_some(), "{added}");
        let removed = remove(&added, &object_after, "mcpproxy").unwrap();
        assert_eq!(removed, text, "after adding:\n{added}");
        added
    }

    #[test]
    fn adding_then_removing_gives_back_every_byte() {
        let added = round_trip(
            "{\n  // mine\n  \"mcpServers\": {\n    \"a\": {\"command\": \"x\"} // the first\n  },\n  \"other\": 1\n}\n",
            "mcpServers",
        );
        assert!(
            added.contains("\"a\": {\"command\": \"x\"},\n    \"mcpproxy\": {\n      \"command\": \"/bin/mcpproxy\"\n    } // the first\n"),
            "{added}"
        );
        round_trip("{\"mcpServers\": {\"a\": 1,}}", "mcpServers");
        let empty = round_trip("{\n  \"servers\": {}\n}\n", "servers");
        assert!(
            empty.contains("\"servers\": {\n    \"mcpproxy\": {\n      \"command\": \"/bin/mcpproxy\"\n    }\n  }"),
            "{empty}"
        );
        round_trip("{ \"mcp\": { /* none yet */ } }", "mcp");
        round_trip(
            "{\"url\": \"http://a/b\", 'mcp': {\"a\": [1, {\"b\": \"}\"}]}}",
            "mcp",
        );
    }

    #[test]
    fn removing_a_member_among_others_keeps_the_rest_valid() {
        let text = "{\"s\": {\"mcpproxy\": 1, \"b\": 2}}";
        let root = root(text).unwrap();
        let object = object_at(text, root.member("s").unwrap()).unwrap();
        assert_eq!(
            remove(text, &object, "mcpproxy").unwrap(),
            "{\"s\": {\"b\": 2}}"
        );
        assert_eq!(remove(text, &object, "nope"), None);
    }
}
