//! What a search query says besides its words: `server:NAME` filters, and whether it names
//! a tool outright.

/// A query taken apart.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ParsedQuery {
    /// The words to rank by, filters removed.
    pub text: String,
    /// `server:NAME` filters, lowercased (any of them matches).
    pub servers: Vec<String>,
}

/// Splits `server:NAME` (or `server:"Name With Spaces"`) filters off a query.
pub fn parse(query: &str) -> ParsedQuery {
    const PREFIX: &str = "server:";
    let mut parsed = ParsedQuery::default();
    let mut words = Vec::new();
    let mut rest = query.trim();
    while !rest.is_empty() {
        let is_filter = rest
            .get(..PREFIX.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(PREFIX));
        if is_filter {
            let value = &rest[PREFIX.len()..];
            let (name, after) = match value.strip_prefix('"') {
                Some(quoted) => match quoted.find('"') {
                    Some(end) => (&quoted[..end], &quoted[end + 1..]),
                    None => (quoted, ""),
                },
                None => value.split_at(value.find(char::is_whitespace).unwrap_or(value.len())),
            };
            if !name.trim().is_empty() {
                parsed.servers.push(name.trim().to_lowercase());
            }
            rest = after.trim_start();
            continue;
        }
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        words.push(&rest[..end]);
        rest = rest[end..].trim_start();
    }
    parsed.text = words.join(" ");
    parsed
}

/// The typo distance allowed when a one-word query is taken for a tool name, by its length:
/// none below 4 characters (too many short names are one edit apart), 1 up to 9, then 2.
/// Only a word that could be a tool name is one: MCP names tools in ASCII letters, digits,
/// `_`, `-` and `.`; a sentence written without spaces (Chinese, Japanese) is a request,
/// and matching it against every name would only cost time.
pub fn typo_distance(word: &str) -> Option<u8> {
    let name_like = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    if !word.chars().all(name_like) {
        return None;
    }
    match word.chars().count() {
        0..=3 => None,
        4..=9 => Some(1),
        _ => Some(2),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_word_that_could_be_a_tool_name_has_typos() {
        assert_eq!(typo_distance("git"), None);
        assert_eq!(typo_distance("git_stauts"), Some(2));
        assert_eq!(typo_distance("echo"), Some(1));
        assert_eq!(typo_distance("read file"), None);
        assert_eq!(typo_distance("查询明天北京到上海的火车余票"), None);
    }

    #[test]
    fn filters_come_off_the_query() {
        let q = parse("read a file server:filesystem");
        assert_eq!(q.text, "read a file");
        assert_eq!(q.servers, ["filesystem"]);
        let q = parse("server:\"Ant Design Components\" button docs SERVER:Git");
        assert_eq!(q.text, "button docs");
        assert_eq!(q.servers, ["ant design components", "git"]);
        let q = parse("server:");
        assert_eq!(q, ParsedQuery::default());
        assert_eq!(parse("  current   time ").text, "current time");
    }
}
