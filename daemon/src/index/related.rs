//! Related words for word search: for an English word, the words the search model reads as
//! nearly the same ("folder": directory, "permitted": allowed), so that search without the
//! model can still match a request to a tool that words it otherwise.
//!
//! The table (`related.txt`) is built from the model by `daemon/examples/thesaurus.rs` over
//! the whole words of the model's own vocabulary: general English, not any catalog's or
//! request's. One line per word, sorted: the word, then each related word with its
//! similarity in hundredths (`folder directory:79 dir:62`). It is searched where it lies
//! in the executable, so it costs no memory of its own.

const TABLE: &str = include_str!("related.txt");

/// The words related to `word` (lowercase), most alike first, with their cosine similarity.
pub fn related(word: &str) -> impl Iterator<Item = (&'static str, f32)> {
    line_of(word)
        .into_iter()
        .flat_map(|line| line.split(' ').skip(1))
        .filter_map(|entry| {
            let (word, hundredths) = entry.split_once(':')?;
            Some((word, hundredths.parse::<f32>().ok()? / 100.0))
        })
}

/// The table's line for `word`, by bisection over the sorted lines.
fn line_of(word: &str) -> Option<&'static str> {
    let (mut low, mut high) = (0, TABLE.len());
    while low < high {
        let middle = (low + high) / 2;
        let start = TABLE[..middle].rfind('\n').map_or(0, |at| at + 1);
        let end = TABLE[middle..]
            .find('\n')
            .map_or(TABLE.len(), |at| middle + at);
        let line = &TABLE[start..end];
        let key = line.split(' ').next().unwrap_or_default();
        match key.cmp(word) {
            std::cmp::Ordering::Equal => return Some(line),
            std::cmp::Ordering::Less => low = end + 1,
            std::cmp::Ordering::Greater => high = start,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_and_every_line_reads() {
        let mut previous = "";
        for line in TABLE.lines() {
            let mut parts = line.split(' ');
            let word = parts.next().unwrap_or_default();
            assert!(word > previous, "{word:?} after {previous:?}");
            previous = word;
            for entry in parts {
                let (_, hundredths) = entry.split_once(':').unwrap_or_default();
                assert!(hundredths.parse::<u8>().is_ok_and(|h| h <= 100), "{line}");
            }
        }
    }

    #[test]
    fn every_word_is_found_where_it_lies() {
        for line in TABLE.lines().step_by(97) {
            let word = line.split(' ').next().unwrap_or_default();
            assert_eq!(line_of(word), Some(line));
        }
        assert_eq!(line_of(""), None);
        assert_eq!(line_of("zzzzzzzzzz"), None);
        assert!(related("folder").any(|(w, s)| w == "directory" && s >= 0.5));
    }
}
