//! The lexical index: BM25 over a tool's server, title, name words with its description, the
//! description's first sentence, and its parameters' names and descriptions, in RAM (10,000 tools index in under 0.1 s, so nothing is kept on disk).

use std::sync::Mutex;

use tantivy::collector::TopDocs;
use tantivy::indexer::IndexWriterOptions;
use tantivy::query::{AllQuery, BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, TantivyDocument, Term};

use super::IndexError;
use super::analyzer::{ANALYZER, analyzer, terms};
use super::related::related;
use super::text::{name_words, parameter_words, split_words};
use crate::protocol::ToolView;

/// The fewest letters of the stem a query word is read as when tools derive it otherwise.
const MIN_DERIVED: usize = 5;

/// How alike (cosine, by the search model) a related word must be to stand for a query
/// word no tool has; 0.5–0.6 scored best on both evaluation sets, 0.7 and up fell back
/// towards no related words at all (BENCHMARKS.md).
const RELATED_FLOOR: f32 = 0.6;
/// The most related words, among those tools have, one query word stands for.
const RELATED_PER_WORD: usize = 3;

/// How much a match in each field counts, relative to the description.
const BOOSTS: [(FieldName, f32); 5] = [
    (FieldName::Title, 2.0),
    (FieldName::Server, 1.0),
    (FieldName::Description, 1.0),
    (FieldName::Summary, 1.0),
    (FieldName::Parameters, 0.5),
];

#[derive(Debug, Clone, Copy)]
enum FieldName {
    Title,
    Server,
    Description,
    Summary,
    Parameters,
}

#[derive(Debug, Clone, Copy)]
struct Fields {
    id: Field,
    server_key: Field,
    name_key: Field,
    server: Field,
    title: Field,
    description: Field,
    /// The description's first sentence, again: what the tool does, before the details.
    summary: Field,
    parameters: Field,
}

impl Fields {
    fn text(&self, name: FieldName) -> Field {
        match name {
            FieldName::Title => self.title,
            FieldName::Server => self.server,
            FieldName::Description => self.description,
            FieldName::Summary => self.summary,
            FieldName::Parameters => self.parameters,
        }
    }
}

/// What a lexical query asks for.
#[derive(Debug, Default)]
pub struct LexicalQuery<'a> {
    pub text: &'a str,
    /// Only these servers (lowercased), when not empty.
    pub servers: &'a [String],
    pub limit: usize,
}

pub struct LexicalIndex {
    fields: Fields,
    index: Index,
    reader: IndexReader,
    /// Held while a writer exists: tantivy allows one at a time.
    writing: Mutex<()>,
    analyzer: TextAnalyzer,
}

impl std::fmt::Debug for LexicalIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LexicalIndex").finish_non_exhaustive()
    }
}

impl LexicalIndex {
    pub fn new() -> Result<Self, IndexError> {
        let mut schema = Schema::builder();
        let text = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(ANALYZER)
                .set_index_option(IndexRecordOption::WithFreqs),
        );
        let fields = Fields {
            id: schema.add_text_field("id", STRING | STORED),
            server_key: schema.add_text_field("server_key", STRING),
            name_key: schema.add_text_field("name_key", STRING),
            server: schema.add_text_field("server", text.clone()),
            title: schema.add_text_field("title", text.clone()),
            description: schema.add_text_field("description", text.clone()),
            summary: schema.add_text_field("summary", text.clone()),
            parameters: schema.add_text_field("parameters", text),
        };
        let index = Index::create_in_ram(schema.build());
        index.tokenizers().register(ANALYZER, analyzer());
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Self {
            fields,
            index,
            reader,
            writing: Mutex::new(()),
            analyzer: analyzer(),
        })
    }

    /// Replaces every tool of `server` with `tools`.
    pub fn replace_server(&self, server: &str, tools: &[ToolView]) -> Result<(), IndexError> {
        let f = self.fields;
        let _writing = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        let mut writer = self.writer()?;
        writer.delete_term(Term::from_field_text(f.server_key, &server.to_lowercase()));
        for tool in tools {
            let mut doc = TantivyDocument::default();
            doc.add_text(f.id, &tool.id);
            doc.add_text(f.server_key, tool.server.to_lowercase());
            doc.add_text(f.name_key, tool.name.to_lowercase());
            doc.add_text(f.server, name_words(&tool.server));
            if let Some(title) = &tool.title {
                doc.add_text(f.title, title);
            }
            // The name's words count as description words: a separate, boosted name field
            // ranked worse on both evaluation sets (short fields win BM25 too easily).
            doc.add_text(
                f.description,
                format!("{} {}", name_words(&tool.name), tool.description),
            );
            doc.add_text(f.summary, first_sentence(&tool.description));
            doc.add_text(f.parameters, parameter_words(tool));
            writer.add_document(doc)?;
        }
        writer.commit()?;
        // Merges run until they are done, so a burst of catalogs (a start with many
        // servers) cannot leave searches walking hundreds of small segments.
        writer.wait_merging_threads()?;
        self.reader.reload()?;
        Ok(())
    }

    /// A writer for one change. It lives only as long as the change: a writer holds a
    /// 10,000-document channel (4.7 MB, resident from the start) and its threads, which
    /// an index that changes once per catalog has no use for in between. tantivy's
    /// smallest memory budget (its default, 15 MB, of which the segment writer's term
    /// table takes 4 MiB as it starts) and one indexing thread: catalogs are a few hundred
    /// tools, and every thread is one more glibc arena keeping what it freed.
    fn writer(&self) -> Result<IndexWriter, IndexError> {
        Ok(self
            .index
            .writer_with_options(IndexWriterOptions::builder().num_worker_threads(1).build())?)
    }

    /// Tool ids by BM25, best first, with their scores.
    pub fn search(&self, query: &LexicalQuery<'_>) -> Result<Vec<(String, f32)>, IndexError> {
        let f = self.fields;
        let words = self.query_terms(query.text);
        let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (word, weight) in &words {
            for (field, boost) in BOOSTS {
                let term = Term::from_field_text(f.text(field), word);
                let query = TermQuery::new(term, IndexRecordOption::WithFreqs);
                should.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(query), boost * weight)),
                ));
            }
        }
        let matching: Box<dyn Query> = if should.is_empty() {
            if query.servers.is_empty() {
                return Ok(Vec::new());
            }
            Box::new(AllQuery)
        } else {
            Box::new(BooleanQuery::new(should))
        };
        self.run(matching, query.servers, query.limit)
    }

    /// The terms of a query, each once, with how much each counts: a word tools have counts
    /// as itself, one no tool has as the words tools do have that it stands for
    /// ([`Vocabulary::read_unknown`]).
    fn query_terms(&self, text: &str) -> Vec<(String, f32)> {
        let mut vocabulary = Vocabulary {
            searcher: self.reader.searcher(),
            fields: self.fields,
            analyzer: self.analyzer.clone(),
        };
        let mut found: Vec<(String, f32)> = Vec::new();
        for word in split_words(text) {
            match vocabulary.term(word) {
                Some(term)
                    if vocabulary.knows(&term)
                        || !word.bytes().all(|b| b.is_ascii_alphabetic()) =>
                {
                    found.push((term, 1.0));
                }
                Some(_) => found.extend(vocabulary.read_unknown(word)),
                None => found.extend(vocabulary.terms(word).into_iter().map(|t| (t, 1.0))),
            }
        }
        // Each term once, at the most it counts.
        found.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)));
        found.dedup_by(|later, first| later.0 == first.0);
        found
    }

    /// Tool ids whose name is within `distance` edits of `name` (a transposition is one edit).
    pub fn names_near(
        &self,
        name: &str,
        distance: u8,
        servers: &[String],
    ) -> Result<Vec<String>, IndexError> {
        let term = Term::from_field_text(self.fields.name_key, &name.to_lowercase());
        let query = FuzzyTermQuery::new(term, distance, true);
        Ok(self
            .run(Box::new(query), servers, 20)?
            .into_iter()
            .map(|(id, _)| id)
            .collect())
    }

    fn run(
        &self,
        matching: Box<dyn Query>,
        servers: &[String],
        limit: usize,
    ) -> Result<Vec<(String, f32)>, IndexError> {
        let f = self.fields;
        let query: Box<dyn Query> = if servers.is_empty() {
            matching
        } else {
            let allowed = servers
                .iter()
                .map(|s| {
                    let term = Term::from_field_text(f.server_key, s);
                    let q: Box<dyn Query> =
                        Box::new(TermQuery::new(term, IndexRecordOption::Basic));
                    (Occur::Should, q)
                })
                .collect();
            Box::new(BooleanQuery::new(vec![
                (Occur::Must, matching),
                (Occur::Must, Box::new(BooleanQuery::new(allowed))),
            ]))
        };
        let searcher = self.reader.searcher();
        let top = searcher.search(&query, &TopDocs::with_limit(limit.max(1)).order_by_score())?;
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            if let Some(id) = doc.get_first(f.id).and_then(|v| v.as_str()) {
                hits.push((id.to_owned(), score));
            }
        }
        Ok(hits)
    }
}

/// The words of the indexed tools, for reading a query's words against them.
struct Vocabulary {
    searcher: Searcher,
    fields: Fields,
    analyzer: TextAnalyzer,
}

impl Vocabulary {
    /// Whether any tool has `term` in a searched field.
    fn knows(&self, term: &str) -> bool {
        BOOSTS.iter().any(|(field, _)| {
            let term = Term::from_field_text(self.fields.text(*field), term);
            self.searcher.doc_freq(&term).unwrap_or(0) > 0
        })
    }

    /// The terms `text` is searched by.
    fn terms(&mut self, text: &str) -> Vec<String> {
        terms(&mut self.analyzer, text)
    }

    /// The one term `word` is searched by, if it is one.
    fn term(&mut self, word: &str) -> Option<String> {
        match self.terms(word).as_mut_slice() {
            [term] => Some(std::mem::take(term)),
            _ => None,
        }
    }

    /// A word of letters that no tool has, read as words tools do have. Two words, when it
    /// is a compound of them ("uppercase" → upper, case; "filename" → file, name): queries
    /// and descriptions write compounds both ways. Failing that, the longest word it starts
    /// with: requests and descriptions derive words from the same root in different ways
    /// ("relationship", "relations"), and the English stemmer only takes inflections off.
    /// Failing that, the related words tools have ([`related`]), each counting as much as
    /// it is alike.
    fn read_unknown(&mut self, word: &str) -> Vec<(String, f32)> {
        if word.len() >= 6 {
            if let Some((left, right)) = self.halves(word) {
                return vec![(left, 1.0), (right, 1.0)];
            }
            if let Some(stem) = self.derived(word) {
                return vec![(stem, 1.0)];
            }
        }
        related(&word.to_ascii_lowercase())
            .filter(|&(_, similarity)| similarity >= RELATED_FLOOR)
            .filter_map(|(other, similarity)| {
                self.term(other)
                    .filter(|t| self.knows(t))
                    .map(|t| (t, similarity))
            })
            .take(RELATED_PER_WORD)
            .collect()
    }

    /// The split of `word` into two known words whose shorter half is longest.
    fn halves(&mut self, word: &str) -> Option<(String, String)> {
        (3..=word.len() - 3)
            .filter_map(|at| {
                let (left, right) = (self.term(&word[..at])?, self.term(&word[at..])?);
                (self.knows(&left) && self.knows(&right)).then_some((
                    at.min(word.len() - at),
                    left,
                    right,
                ))
            })
            .max_by_key(|(shorter, ..)| *shorter)
            .map(|(_, left, right)| (left, right))
    }

    /// The stem of the longest start of `word` that tools have and that has at least
    /// [`MIN_DERIVED`] letters ("relationship" → relations → relat).
    fn derived(&mut self, word: &str) -> Option<String> {
        (MIN_DERIVED..word.len()).rev().find_map(|at| {
            self.term(&word[..at])
                .filter(|stem| stem.len() >= MIN_DERIVED && self.knows(stem))
        })
    }
}

/// The description up to the end of its first sentence (or line).
fn first_sentence(description: &str) -> &str {
    let end = description
        .char_indices()
        .find(|&(i, c)| {
            c == '\n'
                || (c == '.'
                    && description[i + 1..]
                        .chars()
                        .next()
                        .is_none_or(char::is_whitespace))
        })
        .map_or(description.len(), |(i, _)| i);
    &description[..end]
}

#[cfg(test)]
mod tests {
    use super::first_sentence;

    #[test]
    fn the_first_sentence_ends_at_a_full_stop_or_a_line_break() {
        assert_eq!(
            first_sentence("Read a file. Only within allowed directories."),
            "Read a file"
        );
        assert_eq!(first_sentence("Uses v1.2 files\nMore"), "Uses v1.2 files");
        assert_eq!(first_sentence("No stop"), "No stop");
    }
}
