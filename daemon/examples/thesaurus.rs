//! Builds the related-words table of word search (`daemon/src/index/related.txt`) from the
//! search model, so that search without the model still links words that requests and
//! tool descriptions use for the same thing ("folder" and "directory").
//!
//! ```text
//! cargo run --release -p mcpproxy-daemon --example thesaurus -- MODEL_DIR > daemon/src/index/related.txt
//! ```
//!
//! The words are the whole English words of the model's own vocabulary (lowercase letters,
//! at least three): general English, not any catalog's or any request's. Each is embedded
//! alone; a word's related words are its nearest words of another stem by cosine (the
//! index reads inflections as one word already), at least [`FLOOR`] alike, at most
//! [`PER_WORD`] of them. One line per word that has any: the word, then each related
//! word with its similarity in hundredths (`folder directory:79 files:68 dir:62`), sorted
//! by word so the index can search the table where it lies.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::path::PathBuf;

use mcpproxy_daemon::index::analyzer::{analyzer, terms};
use mcpproxy_daemon::index::model::Embedder;
use serde_json::Value;

/// The least cosine similarity kept.
const FLOOR: f32 = 0.6;
/// The most related words kept per word.
const PER_WORD: usize = 6;

fn main() {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .expect("usage: thesaurus MODEL_DIR (a directory with the installed search model)"),
    );
    let embedder = Embedder::load(&dir).expect("load the model");
    let tokenizer: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("tokenizer.json")).unwrap())
            .unwrap();
    let mut words: Vec<String> = tokenizer["model"]["vocab"]
        .as_object()
        .expect("a WordPiece vocabulary")
        .keys()
        .filter(|w| w.len() >= 3 && w.bytes().all(|b| b.is_ascii_lowercase()))
        .cloned()
        .collect();
    words.sort();
    eprintln!("embedding {} words", words.len());
    let vectors: Vec<Vec<f32>> = words.iter().map(|w| embedder.embed(w).unwrap()).collect();

    // Words the index reads as one term are one word here ("removing", "removes"); a stop
    // word is no term at all.
    let mut analyzer = analyzer();
    let stems: Vec<String> = words
        .iter()
        .map(|w| terms(&mut analyzer, w).concat())
        .collect();
    let related = nearest(&vectors, &stems);
    for (word, near) in words.iter().zip(related) {
        if near.is_empty() {
            continue;
        }
        let near: Vec<String> = near
            .iter()
            .map(|&(j, similarity)| format!("{}:{}", words[j], (similarity * 100.0) as u32))
            .collect();
        println!("{word} {}", near.join(" "));
    }
}

/// For each vector, the others of another stem at least [`FLOOR`] alike, most alike
/// first, one per stem, at most [`PER_WORD`]. Both cores share the rows.
fn nearest(vectors: &[Vec<f32>], stems: &[String]) -> Vec<Vec<(usize, f32)>> {
    let middle = vectors.len().div_ceil(2);
    std::thread::scope(|scope| {
        let handles: Vec<_> = [0..middle, middle..vectors.len()]
            .into_iter()
            .map(|half| {
                scope.spawn(move || {
                    half.map(|i| {
                        let mut near: Vec<(usize, f32)> = vectors
                            .iter()
                            .enumerate()
                            .filter(|&(j, _)| stems[j] != stems[i])
                            .map(|(j, v)| (j, dot(&vectors[i], v)))
                            .filter(|&(_, s)| s >= FLOOR)
                            .collect();
                        near.sort_by(|a, b| b.1.total_cmp(&a.1));
                        let mut seen = Vec::new();
                        near.retain(|&(j, _)| {
                            let new = !seen.contains(&&stems[j]);
                            seen.push(&stems[j]);
                            new
                        });
                        near.truncate(PER_WORD);
                        near
                    })
                    .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    })
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
