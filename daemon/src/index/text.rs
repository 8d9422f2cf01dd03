//! The text a tool is searched by: its name split into words, the text the embedding model
//! reads, and the scripts the English model cannot read.

use crate::protocol::ToolView;

/// Splits an identifier or a phrase into its words: at anything that is not a letter or a
/// digit, at camelCase humps (`getHTTPResponse` → get, HTTP, Response), and between letters
/// and digits (`get36kr` → get, 36, kr). Case is kept; CJK text stays in runs.
pub fn split_words(text: &str) -> Vec<&str> {
    let mut words = Vec::new();
    let mut start: Option<usize> = None;
    let mut previous: Option<char> = None;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for (i, &(offset, c)) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if let Some(s) = start.take() {
                words.push(&text[s..offset]);
            }
            previous = None;
            continue;
        }
        if let (Some(s), Some(p)) = (start, previous)
            && is_boundary(p, c, chars.get(i + 1).map(|&(_, n)| n))
        {
            words.push(&text[s..offset]);
            start = Some(offset);
        }
        start.get_or_insert(offset);
        previous = Some(c);
    }
    if let Some(s) = start {
        words.push(&text[s..]);
    }
    words
}

/// Whether a word ends between `previous` and `c` (`next` follows `c`).
fn is_boundary(previous: char, c: char, next: Option<char>) -> bool {
    let cjk = |ch: char| is_cjk(ch);
    if cjk(previous) != cjk(c) {
        return true;
    }
    if previous.is_numeric() != c.is_numeric() {
        return true;
    }
    if previous.is_lowercase() && c.is_uppercase() {
        return true;
    }
    // The last capital of an acronym starts the next word: HTTPResponse → HTTP, Response.
    previous.is_uppercase() && c.is_uppercase() && next.is_some_and(char::is_lowercase)
}

/// A tool name as words separated by spaces: `read_text_file` → `read text file`.
pub fn name_words(name: &str) -> String {
    split_words(name).join(" ")
}

/// Characters of the scripts the English embedding model has no useful vocabulary for, which
/// the lexical index cuts into overlapping pairs: Han, kana, Hangul, and their punctuation.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3000..=0x303F   // CJK symbols and punctuation
        | 0x3040..=0x30FF // Hiragana, Katakana
        | 0x3100..=0x312F // Bopomofo
        | 0x3130..=0x318F // Hangul compatibility jamo
        | 0x3400..=0x4DBF // CJK extension A
        | 0x4E00..=0x9FFF // CJK unified ideographs
        | 0xAC00..=0xD7AF // Hangul syllables
        | 0xF900..=0xFAFF // CJK compatibility ideographs
        | 0xFF00..=0xFFEF // half- and full-width forms
        | 0x20000..=0x2FA1F)
}

/// Whether the English model can read `query`: true unless a sizeable share of its letters
/// are CJK (a CJK word inside an English sentence is still an English query).
pub fn readable_by_model(query: &str) -> bool {
    let (mut letters, mut cjk) = (0usize, 0usize);
    for c in query.chars().filter(|c| c.is_alphanumeric()) {
        letters += 1;
        if is_cjk(c) {
            cjk += 1;
        }
    }
    cjk * 3 <= letters
}

/// The text the embedding model reads for a tool: `server: name words`, then its title and
/// description. The server's name gives the model context ("git: status"); parameter names
/// were measured to change nothing.
pub fn model_text(tool: &ToolView) -> String {
    let mut text = format!("{}: {}", name_words(&tool.server), name_words(&tool.name));
    if let Some(title) = tool.title.as_deref().filter(|t| !t.trim().is_empty()) {
        text.push_str(". ");
        text.push_str(title.trim());
    }
    let description = tool
        .description
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if !description.is_empty() {
        text.push_str(". ");
        text.push_str(&description);
    }
    text
}

/// The names of a tool's input parameters, as words, and their descriptions, for the
/// lexical index.
pub fn parameter_words(tool: &ToolView) -> String {
    let Some(properties) = tool
        .input_schema
        .get("properties")
        .and_then(|p| p.as_object())
    else {
        return String::new();
    };
    // Their descriptions too: what a tool takes says what it is for ("the directory to
    // list", "a timezone name").
    properties
        .iter()
        .flat_map(|(name, schema)| {
            let description = schema.get("description").and_then(|d| d.as_str());
            [name_words(name), description.unwrap_or_default().to_owned()]
        })
        .filter(|words| !words.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_at_every_convention() {
        assert_eq!(split_words("read_text_file"), ["read", "text", "file"]);
        assert_eq!(
            split_words("getStoryWithComments"),
            ["get", "Story", "With", "Comments"]
        );
        assert_eq!(
            split_words("get-36kr-trending"),
            ["get", "36", "kr", "trending"]
        );
        assert_eq!(
            split_words("parseHTTPResponse2"),
            ["parse", "HTTP", "Response", "2"]
        );
        assert_eq!(
            split_words("lol.champion  meta"),
            ["lol", "champion", "meta"]
        );
        assert_eq!(split_words("查询12306余票"), ["查询", "12306", "余票"]);
        assert_eq!(split_words(""), Vec::<&str>::new());
    }

    #[test]
    fn cjk_queries_are_not_for_the_english_model() {
        assert!(readable_by_model("what time is it in Tokyo"));
        assert!(readable_by_model("translate 你好 into English please"));
        assert!(!readable_by_model("查询明天北京到上海的火车余票"));
        assert!(!readable_by_model("12306 余票查询"));
    }
}
