//! Text being typed: one line (filters, form fields, the palette) or many (the JSON argument
//! editor). Plain data with the usual terminal editing keys; no I/O.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Whether a key changed the text, only moved the cursor, or was not an editing key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    Changed,
    Moved,
    Ignored,
}

/// One line of text with a cursor (a char index).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineInput {
    text: String,
    cursor: usize,
}

impl LineInput {
    pub fn new(text: impl Into<String>) -> Self {
        let text = text.into();
        let cursor = text.chars().count();
        Self { text, cursor }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The cursor as a char index.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    pub fn clear(&mut self) {
        self.text.clear();
        self.cursor = 0;
    }

    fn byte(&self, chars: usize) -> usize {
        self.text
            .char_indices()
            .nth(chars)
            .map_or(self.text.len(), |(i, _)| i)
    }

    pub fn insert(&mut self, text: &str) {
        // One line: a pasted newline becomes a space.
        let clean: String = text
            .chars()
            .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
            .filter(|c| !c.is_control())
            .collect();
        let at = self.byte(self.cursor);
        self.text.insert_str(at, &clean);
        self.cursor += clean.chars().count();
    }

    pub fn key(&mut self, key: &KeyEvent) -> Edit {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let len = self.text.chars().count();
        match key.code {
            KeyCode::Char('a') if ctrl => self.cursor = 0,
            KeyCode::Char('e') if ctrl => self.cursor = len,
            KeyCode::Char('u') if ctrl => {
                let at = self.byte(self.cursor);
                self.text.replace_range(..at, "");
                self.cursor = 0;
                return Edit::Changed;
            }
            KeyCode::Char('k') if ctrl => {
                let at = self.byte(self.cursor);
                self.text.truncate(at);
                return Edit::Changed;
            }
            KeyCode::Char('w') if ctrl => {
                let before: Vec<char> = self.text.chars().take(self.cursor).collect();
                let mut start = self.cursor;
                while start > 0 && before[start - 1] == ' ' {
                    start -= 1;
                }
                while start > 0 && before[start - 1] != ' ' {
                    start -= 1;
                }
                let (from, to) = (self.byte(start), self.byte(self.cursor));
                self.text.replace_range(from..to, "");
                self.cursor = start;
                return Edit::Changed;
            }
            KeyCode::Char(c) if !ctrl => {
                self.insert(&c.to_string());
                return Edit::Changed;
            }
            KeyCode::Backspace if self.cursor > 0 => {
                self.cursor -= 1;
                let at = self.byte(self.cursor);
                self.text.remove(at);
                return Edit::Changed;
            }
            KeyCode::Delete if self.cursor < len => {
                let at = self.byte(self.cursor);
                self.text.remove(at);
                return Edit::Changed;
            }
            KeyCode::Left => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Right => self.cursor = (self.cursor + 1).min(len),
            KeyCode::Home => self.cursor = 0,
            KeyCode::End => self.cursor = len,
            _ => return Edit::Ignored,
        }
        Edit::Moved
    }
}

/// Several lines of text with a cursor (row, char column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextArea {
    lines: Vec<String>,
    row: usize,
    col: usize,
}

impl Default for TextArea {
    fn default() -> Self {
        Self {
            lines: vec![String::new()],
            row: 0,
            col: 0,
        }
    }
}

impl TextArea {
    pub fn new(text: &str) -> Self {
        let mut lines: Vec<String> = text.split('\n').map(str::to_owned).collect();
        if lines.is_empty() {
            lines.push(String::new());
        }
        Self {
            lines,
            row: 0,
            col: 0,
        }
    }

    pub fn text(&self) -> String {
        self.lines.join("\n")
    }

    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// (row, char column).
    pub fn cursor(&self) -> (usize, usize) {
        (self.row, self.col)
    }

    /// Puts the cursor at (row, char column), clamped to the text.
    pub fn move_to(&mut self, row: usize, col: usize) {
        self.row = row.min(self.lines.len() - 1);
        self.col = col.min(self.line_len(self.row));
    }

    fn line_len(&self, row: usize) -> usize {
        self.lines.get(row).map_or(0, |l| l.chars().count())
    }

    fn byte(&self, row: usize, col: usize) -> usize {
        let line = &self.lines[row];
        line.char_indices().nth(col).map_or(line.len(), |(i, _)| i)
    }

    pub fn insert(&mut self, text: &str) {
        for (i, part) in text.split('\n').enumerate() {
            if i > 0 {
                self.newline(false);
            }
            let clean: String = part
                .chars()
                .filter(|c| !c.is_control() || *c == '\t')
                .collect();
            let clean = clean.replace('\t', "  ");
            let at = self.byte(self.row, self.col);
            self.lines[self.row].insert_str(at, &clean);
            self.col += clean.chars().count();
        }
    }

    /// Splits the line at the cursor; with `indent`, the new line keeps the old one's indent.
    fn newline(&mut self, indent: bool) {
        let at = self.byte(self.row, self.col);
        let rest = self.lines[self.row].split_off(at);
        let lead: String = if indent {
            self.lines[self.row]
                .chars()
                .take_while(|c| *c == ' ')
                .collect()
        } else {
            String::new()
        };
        self.col = lead.chars().count();
        self.lines.insert(self.row + 1, lead + &rest);
        self.row += 1;
    }

    pub fn key(&mut self, key: &KeyEvent) -> Edit {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('a') if ctrl => self.col = 0,
            KeyCode::Char('e') if ctrl => self.col = self.line_len(self.row),
            KeyCode::Char('k') if ctrl => {
                let at = self.byte(self.row, self.col);
                if at == self.lines[self.row].len() && self.row + 1 < self.lines.len() {
                    let next = self.lines.remove(self.row + 1);
                    self.lines[self.row].push_str(&next);
                } else {
                    self.lines[self.row].truncate(at);
                }
                return Edit::Changed;
            }
            KeyCode::Char(c) if !ctrl => {
                self.insert(&c.to_string());
                return Edit::Changed;
            }
            KeyCode::Enter => {
                self.newline(true);
                return Edit::Changed;
            }
            KeyCode::Tab => {
                self.insert("  ");
                return Edit::Changed;
            }
            KeyCode::Backspace => {
                if self.col > 0 {
                    self.col -= 1;
                    let at = self.byte(self.row, self.col);
                    self.lines[self.row].remove(at);
                } else if self.row > 0 {
                    let line = self.lines.remove(self.row);
                    self.row -= 1;
                    self.col = self.line_len(self.row);
                    self.lines[self.row].push_str(&line);
                } else {
                    return Edit::Ignored;
                }
                return Edit::Changed;
            }
            KeyCode::Delete => {
                if self.col < self.line_len(self.row) {
                    let at = self.byte(self.row, self.col);
                    self.lines[self.row].remove(at);
                } else if self.row + 1 < self.lines.len() {
                    let next = self.lines.remove(self.row + 1);
                    self.lines[self.row].push_str(&next);
                } else {
                    return Edit::Ignored;
                }
                return Edit::Changed;
            }
            KeyCode::Left if self.col > 0 => self.col -= 1,
            KeyCode::Left if self.row > 0 => {
                self.row -= 1;
                self.col = self.line_len(self.row);
            }
            KeyCode::Right if self.col < self.line_len(self.row) => self.col += 1,
            KeyCode::Right if self.row + 1 < self.lines.len() => {
                self.row += 1;
                self.col = 0;
            }
            KeyCode::Up if self.row > 0 => self.move_to(self.row - 1, self.col),
            KeyCode::Down if self.row + 1 < self.lines.len() => {
                self.move_to(self.row + 1, self.col)
            }
            KeyCode::Home => self.col = 0,
            KeyCode::End => self.col = self.line_len(self.row),
            KeyCode::Left | KeyCode::Right | KeyCode::Up | KeyCode::Down => {}
            _ => return Edit::Ignored,
        }
        Edit::Moved
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn ctrl(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    #[test]
    fn a_line_edits_at_its_cursor_in_chars() {
        let mut line = LineInput::new("héllo");
        line.key(&key(KeyCode::Left));
        line.key(&key(KeyCode::Backspace));
        assert_eq!(line.text(), "hélo");
        line.key(&key(KeyCode::Home));
        line.insert("ça\nva ");
        assert_eq!(line.text(), "ça va hélo");
        line.key(&ctrl('w'));
        assert_eq!(line.text(), "ça hélo");
        line.key(&key(KeyCode::End));
        line.key(&ctrl('u'));
        assert!(line.is_empty());
    }

    #[test]
    fn text_lines_split_and_join_with_indentation() {
        let mut area = TextArea::new("{\n  \"a\": 1\n}");
        area.move_to(1, 8);
        area.key(&key(KeyCode::Char(',')));
        area.key(&key(KeyCode::Enter));
        area.insert("\"b\": 2");
        assert_eq!(area.text(), "{\n  \"a\": 1,\n  \"b\": 2\n}");
        area.move_to(2, 0);
        area.key(&key(KeyCode::Backspace));
        assert_eq!(area.lines()[1], "  \"a\": 1,  \"b\": 2");
        assert_eq!(area.cursor(), (1, 9));
    }
}
