//! A field's text as the detectors read it: ASCII lowercase, look-alike letters folded to
//! the ASCII letter they imitate, invisible characters dropped, curly quotes made straight,
//! with a map back to byte offsets in the original text. Folding first means "іgnore" (with
//! a Cyrillic і) or "ig\u{200b}nore" read as "ignore" to every later check.

/// The folded text of one field and the way back to the original's offsets.
pub(crate) struct Folded {
    pub text: String,
    /// Original byte offset of every folded byte, plus one entry for the end; `None` when
    /// the text was ASCII, so offsets are the same.
    map: Option<Vec<u32>>,
    original_len: usize,
}

impl Folded {
    pub fn new(original: &str) -> Self {
        if original.is_ascii() {
            return Self {
                text: original.to_ascii_lowercase(),
                map: None,
                original_len: original.len(),
            };
        }
        let mut text = String::with_capacity(original.len());
        let mut map = Vec::with_capacity(original.len() + 1);
        for (at, c) in original.char_indices() {
            if is_invisible(c) {
                continue;
            }
            let folded = fold_char(c);
            let before = text.len();
            text.push(folded);
            // Offsets fit in u32: fields are far smaller than 4 GiB (the catalog fetch is bounded).
            map.extend(std::iter::repeat_n(at as u32, text.len() - before));
        }
        map.push(original.len() as u32);
        Self {
            text,
            map: Some(map),
            original_len: original.len(),
        }
    }

    /// The original byte offset of folded offset `at` (`text.len()` maps to the end).
    pub fn original(&self, at: usize) -> usize {
        match &self.map {
            None => at.min(self.original_len),
            Some(map) => map.get(at).map_or(self.original_len, |&o| o as usize),
        }
    }

    /// The original span of folded `start..end`: from the first folded byte's character to
    /// the end of the last one's.
    pub fn original_span(&self, start: usize, end: usize) -> (usize, usize) {
        let from = self.original(start);
        let to = if end == 0 {
            from
        } else {
            match &self.map {
                None => end.min(self.original_len),
                Some(map) => {
                    // The character holding the last folded byte ends where the next
                    // different original offset starts.
                    let last = map.get(end - 1).copied().unwrap_or(0);
                    map[end..]
                        .iter()
                        .copied()
                        .find(|&o| o != last)
                        .map_or(self.original_len, |o| o as usize)
                }
            }
        };
        (from, to.max(from))
    }
}

/// Characters that render as nothing (or change only how text around them is drawn): what
/// smuggling hides behind. Dropped from the folded text; reported by the unicode check.
pub(crate) fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00ad}'                 // soft hyphen
        | '\u{034f}'               // combining grapheme joiner
        | '\u{061c}'               // arabic letter mark
        | '\u{115f}' | '\u{1160}' | '\u{3164}' | '\u{ffa0}' // hangul fillers
        | '\u{17b4}' | '\u{17b5}'  // khmer inherent vowels
        | '\u{180b}'..='\u{180f}'  // mongolian variation selectors and vowel separator
        | '\u{200b}'..='\u{200f}'  // zero-width space, joiners, LRM, RLM
        | '\u{202a}'..='\u{202e}'  // bidi embeddings and overrides
        | '\u{2060}'..='\u{2064}'  // word joiner, invisible operators
        | '\u{2066}'..='\u{206f}'  // bidi isolates, deprecated format characters
        | '\u{fe00}'..='\u{fe0f}'  // variation selectors
        | '\u{feff}'               // zero-width no-break space (BOM)
        | '\u{fff9}'..='\u{fffb}'  // interlinear annotation
        | '\u{1d173}'..='\u{1d17a}' // musical formatting
        | '\u{e0000}'..='\u{e007f}' // tag characters
        | '\u{e0100}'..='\u{e01ef}' // variation selectors supplement
    )
}

/// The ASCII lowercase letter (or plain punctuation) `c` imitates, else `c` itself.
pub(crate) fn fold_char(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    let cp = c as u32;
    match cp {
        // Fullwidth ASCII.
        0xff01..=0xff5e => {
            return char::from_u32(cp - 0xfee0).map_or(c, |a| a.to_ascii_lowercase());
        }
        // Mathematical alphanumeric letters: 52-letter styles (A-Z then a-z), then digits.
        0x1d400..=0x1d6a3 => {
            let i = ((cp - 0x1d400) % 52) as u8;
            return char::from(b'a' + i % 26);
        }
        0x1d7ce..=0x1d7ff => return char::from(b'0' + ((cp - 0x1d7ce) % 10) as u8),
        _ => {}
    }
    match c {
        // Cyrillic.
        'а' | 'А' => 'a',
        'В' | 'в' | 'Ь' => 'b',
        'с' | 'С' => 'c',
        'ԁ' => 'd',
        'е' | 'Е' | 'ё' | 'Ё' => 'e',
        'һ' | 'Н' | 'н' => 'h',
        'і' | 'І' | 'ї' | 'Ї' | 'ı' | 'ɩ' | 'ι' | 'Ι' => 'i',
        'ј' | 'Ј' => 'j',
        'К' | 'к' | 'κ' | 'Κ' => 'k',
        'ӏ' | 'Ӏ' | 'ℓ' => 'l',
        'М' | 'м' | 'Μ' => 'm',
        'Ν' | 'η' => 'n',
        'о' | 'О' | 'ο' | 'Ο' | 'σ' => 'o',
        'р' | 'Р' | 'ρ' | 'Ρ' => 'p',
        'ԛ' => 'q',
        'ѕ' | 'Ѕ' => 's',
        'Т' | 'т' | 'τ' | 'Τ' => 't',
        'υ' | 'ս' => 'u',
        'ν' | 'ѵ' => 'v',
        'ԝ' | 'ѡ' => 'w',
        'х' | 'Х' | 'χ' | 'Χ' => 'x',
        'у' | 'У' | 'Υ' | 'γ' => 'y',
        'Ζ' => 'z',
        'α' | 'Α' => 'a',
        'Β' | 'β' => 'b',
        'Ε' | 'ε' => 'e',
        'Η' => 'h',
        'ɡ' => 'g',
        // Quotes, apostrophes and dashes as their ASCII forms.
        '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{201b}' | '\u{2032}' | '\u{02bc}' => '\'',
        '\u{201c}' | '\u{201d}' | '\u{201e}' | '\u{201f}' | '\u{2033}' | '«' | '»' => '"',
        '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
        '\u{00a0}' | '\u{2000}'..='\u{200a}' | '\u{202f}' | '\u{205f}' | '\u{3000}' => ' ',
        '\u{2024}' | '\u{ff0e}' => '.',
        '\u{2044}' | '\u{2215}' => '/',
        _ => c.to_lowercase().next().unwrap_or(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_is_lowercased_in_place() {
        let f = Folded::new("Ignore ABOVE");
        assert_eq!(f.text, "ignore above");
        assert_eq!(f.original_span(7, 12), (7, 12));
    }

    #[test]
    fn look_alikes_fold_and_invisibles_vanish_with_offsets_kept() {
        // Cyrillic і, a zero-width space inside the word, fullwidth ｅ.
        let original = "x \u{0456}g\u{200b}nor\u{ff45} y";
        let f = Folded::new(original);
        assert_eq!(f.text, "x ignore y");
        let (s, e) = f.original_span(2, 8);
        assert_eq!(&original[s..e], "\u{0456}g\u{200b}nor\u{ff45}");
    }

    #[test]
    fn curly_quotes_become_straight() {
        assert_eq!(Folded::new("‘a’ “b”").text, "'a' \"b\"");
    }
}
