//! `mcpproxy eval search`: builds a tool index from a tools file, ranks every query of a
//! query set, and prints the rankings in the format `score_search.py` reads (the JSON
//! object alone on stdout with `--json`), with a metrics summary on stderr.

mod files;
mod metrics;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use mcpproxy_daemon::index::{
    FileVectorCache, IndexOptions, ModelState, SearchOptions, ToolIndex, VectorCache, model_dir,
};
use serde::Serialize;

use super::{Failure, Global};

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Tools file: `{"tools": [{"server", "tool", "description", ...}]}` (the shared corpora)
    #[arg(long, value_name = "FILE")]
    tools: PathBuf,
    /// Query set: `{"queries": [{"id", "query", "labels": [...]}]}`
    #[arg(long, value_name = "FILE")]
    queries: PathBuf,
    /// Rank on words only, without the embedding model
    #[arg(long)]
    lexical_only: bool,
    /// The model directory [default: DATA_DIR/models/all-MiniLM-L6-v2]
    #[arg(long, value_name = "DIR")]
    model: Option<PathBuf>,
    /// How many tools to rank per query
    #[arg(long, default_value_t = 10)]
    limit: usize,
}

/// The rankings, as `score_search.py` reads them.
#[derive(Debug, Serialize)]
struct Rankings {
    results: Vec<Ranking>,
}

#[derive(Debug, Serialize)]
struct Ranking {
    id: String,
    query: String,
    ranked: Vec<String>,
    scores: Vec<f32>,
    ranked_by: Vec<mcpproxy_daemon::index::RankedBy>,
}

pub fn run(global: &Global, args: SearchArgs) -> Result<(), Failure> {
    let tools = files::read_tools(&args.tools)?;
    let queries = files::read_queries(&args.queries)?;
    let paths = global.paths()?;
    let options = if args.lexical_only {
        IndexOptions::lexical_only()
    } else {
        let cache_path = paths.data_dir.join("cache").join("eval-vectors.bin");
        let cache: Arc<dyn VectorCache> =
            Arc::new(FileVectorCache::open(&cache_path).map_err(|e| {
                Failure::error(format!(
                    "cannot open the vector cache {}: {e}",
                    cache_path.display()
                ))
            })?);
        IndexOptions {
            model_dir: Some(
                args.model
                    .clone()
                    .unwrap_or_else(|| model_dir(&paths.data_dir)),
            ),
            cache,
            on_progress: None,
        }
    };
    let started = Instant::now();
    let index = ToolIndex::new(options).map_err(|e| Failure::error(e.to_string()))?;
    for (server, server_tools) in &tools {
        index
            .upsert(server, server_tools)
            .map_err(|e| Failure::error(e.to_string()))?;
    }
    let status = index.wait_settled(Duration::from_secs(3600));
    if let ModelState::Unavailable { message, hint, .. } = &status.model {
        eprintln!("warning: {message}; ranking on words only\nhint: {hint}");
    }
    eprintln!(
        "indexed {} tools in {:.1} s ({} embedded, {} from the cache), ranking by {}",
        status.progress.tools,
        started.elapsed().as_secs_f64(),
        status.progress.embedded,
        status.progress.with_vectors - status.progress.embedded,
        if status.semantic { "meaning" } else { "words" },
    );
    let search = SearchOptions {
        limit: args.limit,
        lexical_only: args.lexical_only,
    };
    let results: Vec<Ranking> = queries
        .iter()
        .map(|q| {
            let hits = index.search_with(&q.query, search);
            Ranking {
                id: q.id.clone(),
                query: q.query.clone(),
                ranked: hits.iter().map(|h| h.id.clone()).collect(),
                scores: hits.iter().map(|h| h.score).collect(),
                ranked_by: hits.iter().map(|h| h.ranked_by).collect(),
            }
        })
        .collect();
    let summary = metrics::Summary::of(&queries, &results, |r| &r.ranked);
    eprintln!("{summary}");
    let rankings = Rankings { results };
    global.output().print(&rankings, render)
}

fn render(rankings: &Rankings) -> String {
    let mut out = String::new();
    for r in &rankings.results {
        out.push_str(&format!("{}  {}\n", r.id, r.query));
        for (i, (id, score)) in r.ranked.iter().zip(&r.scores).take(5).enumerate() {
            out.push_str(&format!("  {}. {id}  {score:.3}\n", i + 1));
        }
        if r.ranked.is_empty() {
            out.push_str("  (no tools)\n");
        }
    }
    out
}
