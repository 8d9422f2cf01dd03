//! Text tools: counting, changing case, and making URL slugs.

use rmcp::model::Tool;
use rmcp::schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::registry::{
    DemoTool, input_schema, output_schema, parse_arguments, read_only, structured_result,
};

pub(crate) fn tools() -> Vec<DemoTool> {
    vec![
        DemoTool::pure(
            Tool::new(
                "text_stats",
                "Count the characters, words, lines, sentences and paragraphs of a text.",
                input_schema::<TextArgs>(),
            )
            .with_title("Text statistics")
            .with_raw_output_schema(output_schema::<TextStats>())
            .with_annotations(read_only("Text statistics")),
            |arguments| {
                let TextArgs { text } = parse_arguments(arguments)?;
                structured_result(&TextStats::of(&text))
            },
        ),
        DemoTool::pure(
            Tool::new(
                "change_case",
                "Rewrite a text in another case: upper (HELLO WORLD), lower (hello world), title \
                 (Hello World), snake (hello_world), kebab (hello-world), camel (helloWorld) or \
                 pascal (HelloWorld). snake, kebab, camel and pascal split words at spaces, \
                 punctuation and case changes, so \"parseHTTPResponse\" becomes \
                 \"parse_http_response\".",
                input_schema::<ChangeCaseArgs>(),
            )
            .with_title("Change case")
            .with_raw_output_schema(output_schema::<Rewritten>())
            .with_annotations(read_only("Change case")),
            |arguments| {
                let ChangeCaseArgs { text, case } = parse_arguments(arguments)?;
                structured_result(&Rewritten {
                    text: change_case(&text, case),
                })
            },
        ),
        DemoTool::pure(
            Tool::new(
                "slugify",
                "Make a URL slug from a text: lower case, accents removed, and every run of \
                 spaces or punctuation turned into one hyphen. \"Crème Brûlée: 2 ways!\" becomes \
                 \"creme-brulee-2-ways\".",
                input_schema::<TextArgs>(),
            )
            .with_title("Slugify")
            .with_raw_output_schema(output_schema::<Rewritten>())
            .with_annotations(read_only("Slugify")),
            |arguments| {
                let TextArgs { text } = parse_arguments(arguments)?;
                structured_result(&Rewritten {
                    text: slugify(&text),
                })
            },
        ),
    ]
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
struct TextArgs {
    /// The text to work on
    text: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
struct ChangeCaseArgs {
    /// The text to rewrite
    text: String,
    /// The case to rewrite it in
    case: Case,
}

// Inlined: some clients do not follow `$ref`s in tool schemas.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars", inline)]
#[serde(rename_all = "lowercase")]
enum Case {
    Upper,
    Lower,
    Title,
    Snake,
    Kebab,
    Camel,
    Pascal,
}

#[derive(Debug, Serialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
struct Rewritten {
    /// The rewritten text
    text: String,
}

#[derive(Debug, PartialEq, Serialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
struct TextStats {
    /// Unicode characters (code points), spaces included
    characters: usize,
    /// Characters that are not whitespace
    characters_without_spaces: usize,
    /// Runs of characters between whitespace
    words: usize,
    /// Lines; a final line break does not start another line
    lines: usize,
    /// Sentences, ended by . ! ? or by the end of the text
    sentences: usize,
    /// Blocks of text separated by blank lines
    paragraphs: usize,
    /// The size in UTF-8 bytes
    bytes: usize,
}

impl TextStats {
    fn of(text: &str) -> Self {
        Self {
            characters: text.chars().count(),
            characters_without_spaces: text.chars().filter(|c| !c.is_whitespace()).count(),
            words: text.split_whitespace().count(),
            lines: text.lines().count(),
            sentences: count_sentences(text),
            paragraphs: text
                .split("\n\n")
                .filter(|block| !block.trim().is_empty())
                .count(),
            bytes: text.len(),
        }
    }
}

/// A sentence is a stretch with a letter or digit in it, ended by a run of . ! ? (so "..."
/// and "?!" end one sentence, not three) or by the end of the text.
fn count_sentences(text: &str) -> usize {
    let mut sentences = 0;
    let mut has_words = false;
    for c in text.chars() {
        if matches!(c, '.' | '!' | '?') {
            if has_words {
                sentences += 1;
                has_words = false;
            }
        } else if c.is_alphanumeric() {
            has_words = true;
        }
    }
    sentences + usize::from(has_words)
}

fn change_case(text: &str, case: Case) -> String {
    match case {
        Case::Upper => text.to_uppercase(),
        Case::Lower => text.to_lowercase(),
        Case::Title => title_case(text),
        Case::Snake => lower_words(text).join("_"),
        Case::Kebab => lower_words(text).join("-"),
        Case::Camel => lower_words(text)
            .iter()
            .enumerate()
            .map(|(index, word)| {
                if index == 0 {
                    word.clone()
                } else {
                    capitalize(word)
                }
            })
            .collect(),
        Case::Pascal => lower_words(text)
            .iter()
            .map(|word| capitalize(word))
            .collect(),
    }
}

/// Capitalizes each whitespace-separated word and keeps the spacing as it was.
fn title_case(text: &str) -> String {
    let mut result = String::with_capacity(text.len());
    let mut at_word_start = true;
    for c in text.chars() {
        if c.is_whitespace() {
            at_word_start = true;
            result.push(c);
        } else if at_word_start {
            at_word_start = false;
            result.extend(c.to_uppercase());
        } else {
            result.extend(c.to_lowercase());
        }
    }
    result
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn lower_words(text: &str) -> Vec<String> {
    split_words(text)
        .into_iter()
        .map(|word| word.to_lowercase())
        .collect()
}

/// Splits at anything not a letter or digit, and at case changes: "parseHTTPResponse2x"
/// gives parse, HTTP, Response2x (an acronym ends where its last capital starts a word).
fn split_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let chars: Vec<char> = text.chars().collect();
    for (index, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        if let Some(&previous) = index.checked_sub(1).and_then(|i| chars.get(i)) {
            let next_is_lower = chars.get(index + 1).is_some_and(|n| n.is_lowercase());
            let starts_word = c.is_uppercase()
                && (previous.is_lowercase()
                    || previous.is_ascii_digit()
                    || (previous.is_uppercase() && next_is_lower));
            if starts_word && !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
        }
        current.push(c);
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

fn slugify(text: &str) -> String {
    let mut slug = String::with_capacity(text.len());
    let mut pending_hyphen = false;
    for c in text.chars().flat_map(char::to_lowercase) {
        let plain = fold_accent(c);
        if plain.is_empty() {
            pending_hyphen = true;
            continue;
        }
        if pending_hyphen && !slug.is_empty() {
            slug.push('-');
        }
        pending_hyphen = false;
        slug.push_str(&plain);
    }
    slug
}

/// The ASCII spelling of a lower-case letter or digit, the letter itself when it has none
/// (so "東京" keeps its characters), or "" for a separator.
fn fold_accent(c: char) -> String {
    let folded = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ą' => "a",
        'ç' | 'ć' | 'č' => "c",
        'ď' | 'đ' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' | 'ě' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'ī' => "i",
        'ł' => "l",
        'ñ' | 'ń' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => "o",
        'ř' => "r",
        'ś' | 'š' | 'ş' => "s",
        'ť' | 'ţ' => "t",
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' => "u",
        'ý' | 'ÿ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        'ß' => "ss",
        'æ' => "ae",
        'œ' => "oe",
        'þ' => "th",
        c if c.is_alphanumeric() => return c.to_string(),
        _ => "",
    };
    folded.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_of_a_text() {
        let text = "Hello there. How are you?!\nFine...\n\nThanks";
        assert_eq!(
            TextStats::of(text),
            TextStats {
                characters: 42,
                characters_without_spaces: 35,
                words: 7,
                lines: 4,
                sentences: 4,
                paragraphs: 2,
                bytes: 42,
            }
        );
        let empty = TextStats::of("");
        assert_eq!((empty.words, empty.lines, empty.sentences), (0, 0, 0));
        assert_eq!(TextStats::of("héllo").bytes, 6);
    }

    #[test]
    fn cases() {
        let text = "parseHTTPResponse for user_id 42";
        assert_eq!(
            change_case(text, Case::Snake),
            "parse_http_response_for_user_id_42"
        );
        assert_eq!(
            change_case(text, Case::Kebab),
            "parse-http-response-for-user-id-42"
        );
        assert_eq!(
            change_case(text, Case::Camel),
            "parseHttpResponseForUserId42"
        );
        assert_eq!(
            change_case(text, Case::Pascal),
            "ParseHttpResponseForUserId42"
        );
        assert_eq!(change_case("hello  wORLD", Case::Title), "Hello  World");
        assert_eq!(change_case("Straße", Case::Upper), "STRASSE");
        assert_eq!(change_case("ÀB", Case::Lower), "àb");
        assert_eq!(change_case("version2Beta", Case::Snake), "version2_beta");
    }

    #[test]
    fn slugs() {
        assert_eq!(slugify("Crème Brûlée: 2 ways!"), "creme-brulee-2-ways");
        assert_eq!(slugify("  --Hello,   World--  "), "hello-world");
        assert_eq!(slugify("Straße"), "strasse");
        assert_eq!(slugify("東京 tour"), "東京-tour");
        assert_eq!(slugify("!!!"), "");
    }

    #[test]
    fn case_names_are_lowercase_on_the_wire() {
        let case: Case = serde_json::from_value(serde_json::json!("kebab")).unwrap();
        assert_eq!(case, Case::Kebab);
    }
}
