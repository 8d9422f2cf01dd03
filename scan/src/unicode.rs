//! Unicode smuggling: characters a person reviewing an item does not see but the model
//! reads (zero-width, bidi controls, tag characters that spell hidden ASCII, variation
//! selectors used as a covert channel, private-use characters), and look-alike letters from
//! other scripts mixed into Latin words and names.

use crate::{FindingCategory, Severity};

use super::fold::fold_char;

/// A smuggling finding in original byte offsets.
#[derive(Debug)]
pub(crate) struct Smuggled {
    pub severity: Severity,
    pub start: usize,
    pub end: usize,
    pub message: String,
}

pub(crate) const CATEGORY: FindingCategory = FindingCategory::UnicodeSmuggling;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Tag,
    BidiOverride,
    BidiMark,
    ZeroWidth,
    Variation,
    PrivateUse,
    Control,
}

fn class_of(c: char) -> Option<Class> {
    Some(match c {
        '\u{e0000}'..='\u{e007f}' => Class::Tag,
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => Class::BidiOverride,
        '\u{200e}' | '\u{200f}' | '\u{061c}' => Class::BidiMark,
        '\u{200b}'..='\u{200d}'
        | '\u{2060}'..='\u{2064}'
        | '\u{feff}'
        | '\u{180e}'
        | '\u{034f}'
        | '\u{00ad}'
        | '\u{115f}'
        | '\u{1160}'
        | '\u{3164}'
        | '\u{ffa0}'
        | '\u{17b4}'
        | '\u{17b5}'
        | '\u{206a}'..='\u{206f}' => Class::ZeroWidth,
        '\u{fe00}'..='\u{fe0f}' | '\u{e0100}'..='\u{e01ef}' | '\u{180b}'..='\u{180d}' => {
            Class::Variation
        }
        '\u{e000}'..='\u{f8ff}' | '\u{f0000}'..='\u{ffffd}' | '\u{100000}'..='\u{10fffd}' => {
            Class::PrivateUse
        }
        '\u{0}'..='\u{8}'
        | '\u{b}'
        | '\u{c}'
        | '\u{e}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        | '\u{fff9}'..='\u{fffb}'
        | '\u{1d173}'..='\u{1d17a}' => Class::Control,
        _ => return None,
    })
}

/// Scripts whose text legitimately uses joiners and direction marks.
fn is_complex_script(c: char) -> bool {
    matches!(c as u32,
        0x0590..=0x08ff      // Hebrew, Arabic, Syriac, Thaana, N'Ko
        | 0x0900..=0x0dff    // Indic
        | 0x0e00..=0x0fff    // Thai, Lao, Tibetan
        | 0x1000..=0x109f    // Myanmar
        | 0x1780..=0x18af    // Khmer, Mongolian
        | 0xfb1d..=0xfdff | 0xfe70..=0xfeff)
}

/// Emoji and pictographs, which use joiners and variation selectors in sequences.
fn is_pictograph(c: char) -> bool {
    matches!(c as u32, 0x2190..=0x2bff | 0x1f000..=0x1faff | 0x3030 | 0x303d | 0x3297 | 0x3299)
        || c == '\u{20e3}'
        || ('\u{1f3fb}'..='\u{1f3ff}').contains(&c)
}

fn is_rtl(c: char) -> bool {
    matches!(c as u32, 0x0590..=0x08ff | 0xfb1d..=0xfdff | 0xfe70..=0xfeff)
}

fn is_ideograph(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4dbf | 0x4e00..=0x9fff | 0xf900..=0xfaff | 0x20000..=0x3134f)
}

pub(crate) fn scan(text: &str, is_name: bool) -> Vec<Smuggled> {
    if text.is_ascii() {
        return control_characters(text);
    }
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let has_rtl = chars.iter().any(|&(_, c)| is_rtl(c));
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (at, c) = chars[i];
        let Some(class) = class_of(c) else {
            i += 1;
            continue;
        };
        // The run of characters of the same class.
        let mut j = i + 1;
        while j < chars.len() && class_of(chars[j].1) == Some(class) {
            j += 1;
        }
        let end = chars.get(j).map_or(text.len(), |&(o, _)| o);
        let before = i.checked_sub(1).map(|k| chars[k].1);
        let after = chars.get(j).map(|&(_, c)| c);
        let run = j - i;
        if let Some((severity, message)) = judge(class, run, before, after, has_rtl, &chars[i..j]) {
            out.push(Smuggled {
                severity,
                start: at,
                end,
                message,
            });
        }
        i = j;
    }
    out.extend(look_alikes(text, is_name));
    out
}

fn judge(
    class: Class,
    run: usize,
    before: Option<char>,
    after: Option<char>,
    has_rtl: bool,
    chars: &[(usize, char)],
) -> Option<(Severity, String)> {
    let around = |test: fn(char) -> bool| before.is_some_and(test) && after.is_some_and(test);
    match class {
        Class::Tag => {
            // A subdivision flag (England: black flag, tags, cancel tag) is an emoji.
            if before == Some('\u{1f3f4}') && run <= 7 {
                return None;
            }
            let hidden: String = chars
                .iter()
                .filter_map(|&(_, c)| char::from_u32(c as u32 - 0xe0000))
                .filter(|c| c.is_ascii_graphic() || *c == ' ')
                .collect();
            Some((
                Severity::Critical,
                format!(
                    "{run} invisible tag characters spelling \"{}\"",
                    clip(&hidden, 80)
                ),
            ))
        }
        Class::BidiOverride => Some((
            Severity::High,
            "bidirectional control characters that reorder how the text is displayed".into(),
        )),
        Class::BidiMark if has_rtl => None,
        Class::BidiMark => Some((
            Severity::High,
            "direction marks in text with no right-to-left script".into(),
        )),
        Class::ZeroWidth => {
            if around(is_pictograph) || around(is_complex_script) {
                return None;
            }
            if chars.len() == 1 && chars[0].0 == 0 && chars[0].1 == '\u{feff}' {
                return None;
            }
            Some((
                Severity::High,
                format!("{run} zero-width or invisible character(s)"),
            ))
        }
        Class::Variation => {
            let after_symbol =
                before.is_some_and(|c| is_pictograph(c) || !c.is_alphanumeric() && !c.is_ascii());
            let after_ideograph = before.is_some_and(is_ideograph);
            if run == 1 && (after_symbol || after_ideograph) {
                return None;
            }
            Some((
                Severity::High,
                format!("{run} variation selector(s) that carry no visible change"),
            ))
        }
        Class::PrivateUse => Some((
            Severity::Medium,
            format!("{run} private-use character(s) with no standard meaning"),
        )),
        Class::Control => Some((Severity::High, format!("{run} control character(s)"))),
    }
}

/// Escape sequences and other control characters in ASCII text.
fn control_characters(text: &str) -> Vec<Smuggled> {
    let mut out = Vec::new();
    if !text
        .bytes()
        .any(|b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0x7f)
    {
        return out;
    }
    for (at, c) in text.char_indices() {
        if class_of(c) == Some(Class::Control) {
            out.push(Smuggled {
                severity: Severity::High,
                start: at,
                end: at + 1,
                message: "a control character".into(),
            });
        }
    }
    out
}

/// Scripts whose letters imitate Latin ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Script {
    Latin,
    Cyrillic,
    Greek,
    Other,
}

fn script(c: char) -> Script {
    match c as u32 {
        0x41..=0x5a | 0x61..=0x7a | 0xc0..=0x24f => Script::Latin,
        0x400..=0x52f => Script::Cyrillic,
        0x370..=0x3ff => Script::Greek,
        _ => Script::Other,
    }
}

/// Letters that fold to an ASCII letter and are not Latin themselves.
fn imitates_latin(c: char) -> bool {
    !c.is_ascii() && fold_char(c).is_ascii_alphabetic() && script(c) != Script::Latin
}

/// Words mixing Latin letters with look-alikes from another script ("pаypal" with a Cyrillic
/// а); in a name, any look-alike (fullwidth, mathematical, Cyrillic) among Latin letters.
fn look_alikes(text: &str, is_name: bool) -> Vec<Smuggled> {
    let mut out = Vec::new();
    let mut word_start = None;
    let flush = |start: usize, end: usize, out: &mut Vec<Smuggled>| {
        let word = &text[start..end];
        let latin = word.chars().any(|c| c.is_ascii_alphabetic());
        let imitations = word.chars().filter(|&c| imitates_latin(c)).count();
        // A whole word of look-alikes reads as Latin too ("саll" in Cyrillic); in a
        // description that is just text in that script, in a name it is a disguise.
        let all_imitate = word
            .chars()
            .filter(|c| c.is_alphabetic())
            .all(imitates_latin);
        if imitations == 0 || !(latin || is_name && all_imitate) {
            return;
        }
        let folded: String = word.chars().map(fold_char).collect();
        out.push(Smuggled {
            severity: if is_name {
                Severity::High
            } else {
                Severity::Medium
            },
            start,
            end,
            message: format!(
                "{imitations} look-alike letter(s) from another script; reads as \"{}\"",
                clip(&folded, 60)
            ),
        });
    };
    for (at, c) in text.char_indices() {
        let in_word = c.is_alphanumeric() || c == '_' || c == '-';
        match (in_word, word_start) {
            (true, None) => word_start = Some(at),
            (false, Some(start)) => {
                flush(start, at, &mut out);
                word_start = None;
            }
            _ => {}
        }
    }
    if let Some(start) = word_start {
        flush(start, text.len(), &mut out);
    }
    out
}

pub(crate) fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut clipped: String = text.chars().take(max).collect();
    clipped.push('…');
    clipped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn severities(text: &str, is_name: bool) -> Vec<Severity> {
        scan(text, is_name)
            .into_iter()
            .map(|s| s.severity)
            .collect()
    }

    #[test]
    fn invisible_characters_in_latin_text_are_smuggling() {
        assert_eq!(
            severities("Reads a file.\u{200b} Also", false),
            [Severity::High]
        );
        assert_eq!(severities("a \u{202e}gpk.txt", false), [Severity::High]);
        assert_eq!(
            severities("units.\u{e000} payload", false),
            [Severity::Medium]
        );
        let tags = scan("Translates.\u{e0041}\u{e0042}", false);
        assert_eq!(tags[0].severity, Severity::Critical);
        assert!(tags[0].message.contains("\"AB\""), "{}", tags[0].message);
    }

    #[test]
    fn emoji_sequences_scripts_and_accents_are_not() {
        for text in [
            "⚠️ PREREQUISITE: use the think tool",
            "family 👨\u{200d}👩\u{200d}👧 emoji",
            "café, naïve, jalapeño and Zürich",
            "Romanizes 東京 and 北京",
            "می\u{200c}خواهم",
            "flag 🏴\u{e0067}\u{e0062}\u{e0065}\u{e006e}\u{e0067}\u{e007f}",
            "Converts 5 μs to ns",
            "Перевод текста на русский",
        ] {
            assert!(
                scan(text, false).is_empty(),
                "{text}: {:?}",
                scan(text, false)
            );
        }
    }

    #[test]
    fn look_alike_letters_are_found_in_words_and_names() {
        assert_eq!(severities("send_emаil", true), [Severity::High]);
        assert_eq!(severities("pay with pаypal", false), [Severity::Medium]);
        assert_eq!(severities("ｒｅａｄ_file", true), [Severity::High]);
        assert!(scan("получить_погоду", true).is_empty());
    }

    #[test]
    fn escape_sequences_in_ascii_are_found() {
        assert_eq!(severities("red \u{1b}[31m text", false), [Severity::High]);
        assert!(scan("line one\nline two\tok", false).is_empty());
    }
}
