//! How the lexical index reads text: words split as in tool names (snake, camel, kebab,
//! digits), CJK runs cut into overlapping pairs of characters (the usual way to search
//! Chinese, Japanese and Korean without a dictionary), lowercased, English stop words out,
//! English stems.

use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, Stemmer, StopWordFilter, TextAnalyzer, Token,
    TokenStream, Tokenizer,
};

use super::text::{is_cjk, split_words};

/// The name the analyzer is registered under in the index.
pub const ANALYZER: &str = "mcpproxy_words";

/// Words that say nothing about which tool is wanted: the English stop words of the
/// classic lists, plus the filler of requests ("please", "want", "me").
const STOP_WORDS: &[&str] = &[
    "a", "about", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be", "been", "but",
    "by", "can", "could", "did", "do", "does", "for", "from", "get", "give", "had", "has", "have",
    "he", "her", "his", "how", "i", "if", "in", "into", "is", "it", "its", "just", "let", "me",
    "my", "need", "no", "not", "of", "on", "or", "our", "please", "she", "should", "so", "some",
    "such", "than", "that", "the", "their", "them", "then", "there", "these", "they", "this",
    "those", "to", "up", "us", "want", "was", "we", "were", "what", "when", "where", "which",
    "who", "whom", "why", "will", "with", "would", "you", "your",
];

/// The analyzer every text field and every query goes through.
pub fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(WordTokenizer)
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(StopWordFilter::remove(
            STOP_WORDS.iter().map(|w| (*w).to_owned()),
        ))
        .filter(Stemmer::new(Language::English))
        .build()
}

/// The terms `text` is indexed or searched by.
pub fn terms(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut terms = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while let Some(token) = stream.next() {
        terms.push(token.text.clone());
    }
    terms
}

/// Splits text into words (see [`split_words`]) and CJK runs into overlapping character
/// pairs; a lone CJK character is its own token.
#[derive(Debug, Clone, Default)]
pub struct WordTokenizer;

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = WordStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordStream {
        let base = text.as_ptr() as usize;
        let mut tokens = Vec::new();
        for word in split_words(text) {
            // `split_words` returns subslices of `text`: their offsets follow from addresses.
            let from = word.as_ptr() as usize - base;
            if word.chars().next().is_some_and(is_cjk) {
                push_pairs(&mut tokens, word, from);
            } else {
                push(&mut tokens, word, from);
            }
        }
        WordStream {
            tokens,
            next: 0,
            token: Token::default(),
        }
    }
}

fn push(tokens: &mut Vec<Token>, text: &str, from: usize) {
    tokens.push(Token {
        offset_from: from,
        offset_to: from + text.len(),
        position: tokens.len(),
        text: text.to_owned(),
        position_length: 1,
    });
}

fn push_pairs(tokens: &mut Vec<Token>, run: &str, from: usize) {
    let chars: Vec<(usize, char)> = run.char_indices().collect();
    if chars.len() == 1 {
        push(tokens, run, from);
        return;
    }
    for pair in chars.windows(2) {
        let start = pair[0].0;
        let end = pair[1].0 + pair[1].1.len_utf8();
        push(tokens, &run[start..end], from + start);
    }
}

/// The tokens of one text, handed out one by one.
#[derive(Debug)]
pub struct WordStream {
    tokens: Vec<Token>,
    next: usize,
    token: Token,
}

impl TokenStream for WordStream {
    fn advance(&mut self) -> bool {
        match self.tokens.get_mut(self.next) {
            Some(token) => {
                self.token = std::mem::take(token);
                self.next += 1;
                true
            }
            None => false,
        }
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_stems_and_stop_words() {
        let mut a = analyzer();
        assert_eq!(terms(&mut a, "read_text_file"), ["read", "text", "file"]);
        assert_eq!(
            terms(&mut a, "What time is it in Tokyo?"),
            ["time", "tokyo"]
        );
        assert_eq!(terms(&mut a, "listDirectories"), ["list", "directori"]);
        assert_eq!(terms(&mut a, "searching files"), ["search", "file"]);
    }

    #[test]
    fn cjk_runs_become_pairs() {
        let mut a = analyzer();
        assert_eq!(terms(&mut a, "查询余票"), ["查询", "询余", "余票"]);
        assert_eq!(terms(&mut a, "12306余票"), ["12306", "余票"]);
        assert_eq!(terms(&mut a, "汤"), ["汤"]);
    }
}
