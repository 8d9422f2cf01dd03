//! Where each key of a JSON, JSONC or JSON5 text starts. serde_json and json5 give values
//! without positions, so this small scanner walks the text (already parsed, so known to be
//! well formed) and records the byte offset of every key down to a depth.

use std::collections::HashMap;

use super::source::PathSeg;

/// Byte offsets of keys (objects) and elements (arrays), by their path from the root, for
/// paths of at most `max_depth` steps. A later duplicate key wins, as it does in the parsers.
pub(super) fn key_offsets(text: &str, max_depth: usize) -> HashMap<Vec<PathSeg>, usize> {
    let mut scanner = Scanner {
        text,
        pos: 0,
        max_depth,
        path: Vec::new(),
        found: HashMap::new(),
    };
    // A text the scanner does not follow yields the offsets found so far: they only serve
    // messages, so fewer of them is no failure.
    let _ = scanner.value();
    scanner.found
}

/// Where the whitespace (JSON5 allows Unicode spaces and a BOM) and `//` / `/* */` comments
/// that start at `pos` end.
pub(super) fn skip_trivia(text: &str, mut pos: usize) -> usize {
    loop {
        let rest = text.get(pos..).unwrap_or("");
        if rest.starts_with("//") {
            pos += rest.find('\n').unwrap_or(rest.len());
        } else if let Some(body) = rest.strip_prefix("/*") {
            pos += body.find("*/").map_or(rest.len(), |end| end + 4);
        } else if let Some(c) = rest
            .chars()
            .next()
            .filter(|c| c.is_whitespace() || *c == '\u{feff}')
        {
            pos += c.len_utf8();
        } else {
            return pos;
        }
    }
}

struct Scanner<'t> {
    text: &'t str,
    pos: usize,
    max_depth: usize,
    path: Vec<PathSeg>,
    found: HashMap<Vec<PathSeg>, usize>,
}

impl Scanner<'_> {
    fn rest(&self) -> &str {
        self.text.get(self.pos..).unwrap_or("")
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn skip_trivia(&mut self) {
        self.pos = skip_trivia(self.text, self.pos);
    }

    fn record(&mut self, at: usize) {
        if self.path.len() <= self.max_depth {
            self.found.insert(self.path.clone(), at);
        }
    }

    fn value(&mut self) -> Option<()> {
        self.skip_trivia();
        match self.peek()? {
            '{' => self.object(),
            '[' => self.array(),
            '"' | '\'' => self.string().map(drop),
            _ => {
                self.scalar();
                Some(())
            }
        }
    }

    fn object(&mut self) -> Option<()> {
        self.pos += 1;
        while self.next_member('}')? {
            let key_at = self.pos;
            let key = match self.peek()? {
                '"' | '\'' => self.string()?,
                _ => self.identifier()?,
            };
            self.skip_trivia();
            if self.peek()? != ':' {
                return None;
            }
            self.pos += 1;
            self.path.push(PathSeg::Key(key));
            self.record(key_at);
            let walked = self.value();
            self.path.pop();
            walked?;
        }
        Some(())
    }

    fn array(&mut self) -> Option<()> {
        self.pos += 1;
        let mut index = 0;
        while self.next_member(']')? {
            self.path.push(PathSeg::Index(index));
            self.record(self.pos);
            let walked = self.value();
            self.path.pop();
            walked?;
            index += 1;
        }
        Some(())
    }

    /// Moves to the next member of an object or array, past commas and trivia; false once
    /// its closing `close` is consumed.
    fn next_member(&mut self, close: char) -> Option<bool> {
        loop {
            self.skip_trivia();
            match self.peek()? {
                c if c == close => {
                    self.pos += 1;
                    return Some(false);
                }
                ',' => self.pos += 1,
                _ => return Some(true),
            }
        }
    }

    /// A quoted string, decoded: keys are compared with the parsed document's keys.
    fn string(&mut self) -> Option<String> {
        let quote = self.peek()?;
        self.pos += quote.len_utf8();
        let mut out = String::new();
        let mut chars = self.rest().char_indices();
        while let Some((i, c)) = chars.next() {
            if c == quote {
                self.pos += i + c.len_utf8();
                return Some(out);
            }
            if c != '\\' {
                out.push(c);
                continue;
            }
            let (_, escaped) = chars.next()?;
            match escaped {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                'b' => out.push('\u{8}'),
                'f' => out.push('\u{c}'),
                'v' => out.push('\u{b}'),
                '0' => out.push('\0'),
                'u' => {
                    let hex: String = chars.by_ref().take(4).map(|(_, c)| c).collect();
                    let unit = u32::from_str_radix(&hex, 16).ok()?;
                    // A surrogate pair's halves arrive as two escapes; a lone half is kept
                    // as the replacement character, as a lossy decoder would.
                    let decoded = if (0xD800..0xDC00).contains(&unit) {
                        let low: String = chars.by_ref().skip(2).take(4).map(|(_, c)| c).collect();
                        let low = u32::from_str_radix(&low, 16).ok()?;
                        char::from_u32(
                            0x10000 + ((unit - 0xD800) << 10) + (low.wrapping_sub(0xDC00) & 0x3FF),
                        )
                    } else {
                        char::from_u32(unit)
                    };
                    out.push(decoded.unwrap_or('\u{fffd}'));
                }
                'x' => {
                    let hex: String = chars.by_ref().take(2).map(|(_, c)| c).collect();
                    out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                }
                // A backslash before a line break continues the string on the next line.
                '\n' | '\u{2028}' | '\u{2029}' => {}
                '\r' => {
                    if chars.clone().next().is_some_and(|(_, c)| c == '\n') {
                        chars.next();
                    }
                }
                other => out.push(other),
            }
        }
        None
    }

    /// A JSON5 unquoted key.
    fn identifier(&mut self) -> Option<String> {
        let rest = self.rest();
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
            .unwrap_or(rest.len());
        if end == 0 {
            return None;
        }
        let name = rest[..end].to_owned();
        self.pos += end;
        Some(name)
    }

    /// Numbers, `true`, `false`, `null`, `Infinity`, `NaN`: nothing to record inside.
    fn scalar(&mut self) {
        let rest = self.rest();
        let end = rest
            .find(|c: char| matches!(c, ',' | ']' | '}' | '/') || c.is_whitespace())
            .unwrap_or(rest.len());
        // An unexpected character would otherwise stop the scanner from moving at all.
        self.pos += end.max(rest.chars().next().map_or(0, char::len_utf8));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, path: &[PathSeg]) -> Option<usize> {
        key_offsets(text, 4).get(path).copied()
    }

    fn key(k: &str) -> PathSeg {
        PathSeg::Key(k.to_owned())
    }

    #[test]
    fn finds_keys_past_comments_strings_and_trailing_commas() {
        let text = r#"{
  // "a": "not this one"
  /* "a": nor this */ "s": "a }{ \" tricky, string",
  'a': { b: [1, {"c\u0041": true,},], },
}"#;
        let offsets = key_offsets(text, 4);
        let a = text.find("'a'").unwrap_or_else(|| panic!("fixture"));
        assert_eq!(offsets.get(&vec![key("a")]), Some(&a));
        let c = text
            .find("\"c\\u0041\"")
            .unwrap_or_else(|| panic!("fixture"));
        assert_eq!(
            offsets.get(&vec![key("a"), key("b"), PathSeg::Index(1), key("cA")]),
            Some(&c)
        );
        assert_eq!(
            at(text, &[key("a"), key("b"), PathSeg::Index(0)]),
            text.find("1,")
        );
    }

    #[test]
    fn keeps_only_paths_up_to_the_depth() {
        let offsets = key_offsets(r#"{"a": {"b": {"c": {"d": {"e": 1}}}}}"#, 4);
        assert!(offsets.contains_key(&vec![key("a"), key("b"), key("c"), key("d")]));
        assert!(!offsets.contains_key(&vec![key("a"), key("b"), key("c"), key("d"), key("e")]));
    }
}
