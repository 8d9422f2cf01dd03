//! Tool search: a lexical index (tantivy, BM25) and a local sentence-embedding model
//! (all-MiniLM-L6-v2 on candle), behind one ranking.
//!
//! The daemon feeds it per server ([`ToolIndex::upsert`], [`ToolIndex::remove`]) and asks it
//! ([`ToolIndex::search`]); what may be shown to agents (held, disabled, quarantined tools)
//! is the caller's business. Vectors are made in the background, one tool at a time at low
//! priority, and kept in a [`VectorCache`] by a hash of the embedded text; until every tool
//! has one (or when no model is installed, or for text the English model cannot read) the
//! lexical index answers. A query that names a tool (`server:tool`, `tool`, or a close typo)
//! puts that tool first whichever ranking answers.

pub mod analyzer;
mod catalog;
mod lexical;
pub mod model;
mod policy;
mod query;
mod related;
pub mod text;
pub mod vectors;
mod worker;

use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::time::{Duration, Instant};

use serde::Serialize;

use self::catalog::Catalog;
use self::lexical::{LexicalIndex, LexicalQuery};
use self::model::Embedder;
use crate::protocol::ToolView;

pub use self::model::{MODEL_FILES, MODEL_NAME, ModelFile, check_model_dir, model_dir};
pub use self::vectors::{FileVectorCache, MemoryVectorCache, TextKey, VectorCache};

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("the search model is not installed: {} is missing", path.display())]
    ModelMissing { path: PathBuf },
    #[error("the search model file {} is damaged: {reason}", path.display())]
    ModelDamaged { path: PathBuf, reason: String },
    #[error("the search model failed on a text: {0}")]
    Embedding(String),
    #[error("the lexical index failed: {0}")]
    Lexical(#[from] tantivy::TantivyError),
}

impl IndexError {
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::ModelMissing { .. } | Self::ModelDamaged { .. } => {
                Some("run `mcpproxy model install` (search works without it, on words only)".into())
            }
            Self::Embedding(_) | Self::Lexical(_) => None,
        }
    }
}

/// How the index is set up.
#[derive(Clone)]
pub struct IndexOptions {
    /// The model's directory; `None` searches on words only.
    pub model_dir: Option<PathBuf>,
    /// Where vectors are kept between runs.
    pub cache: Arc<dyn VectorCache>,
    /// Told after every change in how many tools have vectors (the daemon's
    /// `tools_indexed` event). Called from the embedding thread; keep it short.
    pub on_progress: Option<Arc<dyn Fn(IndexProgress) + Send + Sync>>,
}

impl std::fmt::Debug for IndexOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexOptions")
            .field("model_dir", &self.model_dir)
            .finish_non_exhaustive()
    }
}

impl IndexOptions {
    /// Words only, nothing kept between runs.
    pub fn lexical_only() -> Self {
        Self {
            model_dir: None,
            cache: Arc::new(MemoryVectorCache::default()),
            on_progress: None,
        }
    }
}

/// How far embedding has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct IndexProgress {
    /// Tools in the index.
    pub tools: usize,
    /// Tools that have their vector.
    pub with_vectors: usize,
    /// Vectors the model made since the index started (the rest came from the cache).
    pub embedded: usize,
}

/// The model, as far as search is concerned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ModelState {
    /// Search on words only, by choice.
    Off,
    /// Not installed (or damaged): search on words only.
    Unavailable {
        message: String,
        hint: String,
        /// Not installed at all (rather than damaged).
        missing: bool,
    },
    Loading,
    Ready,
}

/// What the index can do right now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndexStatus {
    pub model: ModelState,
    #[serde(flatten)]
    pub progress: IndexProgress,
    /// True when searches rank by meaning (model ready, every tool has its vector).
    pub semantic: bool,
}

/// Which ranking put a hit where it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RankedBy {
    /// The query named the tool (or nearly: one or two typos).
    Name,
    /// Cosine similarity of the query's and the tool's vectors.
    Meaning,
    /// BM25 over the tool's words.
    Words,
}

/// One search result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    /// `server:tool`.
    pub id: String,
    pub server: String,
    pub tool: String,
    /// Higher is better; comparable only between hits ranked the same way (cosine for
    /// `meaning`, BM25 for `words`, 1 for `name`).
    pub score: f32,
    pub ranked_by: RankedBy,
}

/// How to search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchOptions {
    pub limit: usize,
    /// Rank on words even when the model could answer.
    pub lexical_only: bool,
}

/// The tool index. Cheap to clone; the embedding thread stops when the last clone is dropped.
#[derive(Debug, Clone)]
pub struct ToolIndex {
    shared: Arc<Shared>,
    _stop: Arc<worker::StopOnDrop>,
}

struct Shared {
    catalog: RwLock<Catalog>,
    lexical: LexicalIndex,
    model: RwLock<ModelSlot>,
    cache: Arc<dyn VectorCache>,
    /// Wakes the embedding thread (new work, stop) and the callers of `wait_ready`.
    changed: Condvar,
    signal: Mutex<worker::Signal>,
    on_progress: Option<Arc<dyn Fn(IndexProgress) + Send + Sync>>,
}

#[derive(Debug)]
enum ModelSlot {
    Off,
    Unavailable(IndexError),
    Loading,
    Ready(Arc<Embedder>),
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared").finish_non_exhaustive()
    }
}

impl ToolIndex {
    /// An empty index. With a model directory, a background thread loads the model and then
    /// embeds tools as they arrive.
    pub fn new(options: IndexOptions) -> Result<Self, IndexError> {
        let model = if options.model_dir.is_some() {
            ModelSlot::Loading
        } else {
            ModelSlot::Off
        };
        let shared = Arc::new(Shared {
            catalog: RwLock::new(Catalog::default()),
            lexical: LexicalIndex::new()?,
            model: RwLock::new(model),
            cache: options.cache,
            changed: Condvar::new(),
            signal: Mutex::new(worker::Signal::default()),
            on_progress: options.on_progress,
        });
        let stop = Arc::new(worker::StopOnDrop::new(shared.clone()));
        if let Some(dir) = options.model_dir {
            worker::spawn(shared.clone(), dir);
        }
        Ok(Self {
            shared,
            _stop: stop,
        })
    }

    /// Replaces the tools of `server` with `tools` (the server's whole current list). Tools
    /// whose text is unchanged keep their vector; the others take it from the cache or are
    /// queued for the model.
    pub fn upsert(&self, server: &str, tools: &[ToolView]) -> Result<(), IndexError> {
        self.shared.lexical.replace_server(server, tools)?;
        let queued = {
            let mut catalog = self.shared.write_catalog();
            catalog.replace_server(server, tools, self.shared.cache.as_ref())
        };
        self.shared.notify(queued);
        Ok(())
    }

    /// Forgets every tool of `server`.
    pub fn remove(&self, server: &str) -> Result<(), IndexError> {
        self.upsert(server, &[])
    }

    /// The best tools for `query`, at most `limit`.
    pub fn search(&self, query: &str, limit: usize) -> Vec<Hit> {
        self.search_with(
            query,
            SearchOptions {
                limit,
                lexical_only: false,
            },
        )
    }

    pub fn search_with(&self, query: &str, options: SearchOptions) -> Vec<Hit> {
        self.shared.search(query, options)
    }

    pub fn status(&self) -> IndexStatus {
        self.shared.status()
    }

    /// Waits until searches rank by meaning, or the model turns out to be unavailable, or
    /// `timeout` passes; returns the status then.
    pub fn wait_settled(&self, timeout: Duration) -> IndexStatus {
        let deadline = Instant::now() + timeout;
        let mut signal = self.shared.lock_signal();
        loop {
            let status = self.shared.status();
            let settled = status.semantic
                || matches!(
                    status.model,
                    ModelState::Off | ModelState::Unavailable { .. }
                );
            let now = Instant::now();
            if settled || now >= deadline {
                return status;
            }
            signal = self
                .shared
                .changed
                .wait_timeout(signal, deadline - now)
                .map(|(guard, _)| guard)
                .unwrap_or_else(|e| e.into_inner().0);
        }
    }
}

impl Shared {
    fn read_catalog(&self) -> std::sync::RwLockReadGuard<'_, Catalog> {
        self.catalog.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write_catalog(&self) -> std::sync::RwLockWriteGuard<'_, Catalog> {
        self.catalog.write().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_signal(&self) -> std::sync::MutexGuard<'_, worker::Signal> {
        self.signal.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Tells the embedding thread and the waiters that something changed.
    fn notify(&self, work_queued: bool) {
        {
            let mut signal = self.lock_signal();
            signal.version += 1;
            if work_queued {
                signal.work = true;
            }
        }
        self.changed.notify_all();
        self.report_progress();
    }

    fn report_progress(&self) {
        if let Some(report) = &self.on_progress {
            report(self.read_catalog().progress());
        }
    }

    fn embedder(&self) -> Option<Arc<Embedder>> {
        match &*self.model.read().unwrap_or_else(|e| e.into_inner()) {
            ModelSlot::Ready(embedder) => Some(embedder.clone()),
            _ => None,
        }
    }

    fn status(&self) -> IndexStatus {
        let progress = self.read_catalog().progress();
        let model = match &*self.model.read().unwrap_or_else(|e| e.into_inner()) {
            ModelSlot::Off => ModelState::Off,
            ModelSlot::Loading => ModelState::Loading,
            ModelSlot::Ready(_) => ModelState::Ready,
            ModelSlot::Unavailable(error) => ModelState::Unavailable {
                message: error.to_string(),
                hint: error.hint().unwrap_or_default(),
                missing: matches!(error, IndexError::ModelMissing { .. }),
            },
        };
        IndexStatus {
            semantic: model == ModelState::Ready && progress.with_vectors == progress.tools,
            model,
            progress,
        }
    }

    fn search(&self, raw: &str, options: SearchOptions) -> Vec<Hit> {
        let parsed = query::parse(raw);
        let catalog = self.read_catalog();
        let mut hits: Vec<Hit> = Vec::new();
        let push = |hits: &mut Vec<Hit>, id: &str, score: f32, ranked_by| {
            if hits.len() < options.limit
                && !hits.iter().any(|h| h.id == id)
                && let Some((server, tool)) = catalog.names_of(id)
            {
                hits.push(Hit {
                    id: id.to_owned(),
                    server: server.to_owned(),
                    tool: tool.to_owned(),
                    score,
                    ranked_by,
                });
            }
        };
        for id in self.named(&catalog, raw, &parsed) {
            push(&mut hits, &id, 1.0, RankedBy::Name);
        }
        if parsed.text.is_empty() && parsed.servers.is_empty() {
            return hits;
        }
        let embedder = (!options.lexical_only
            && !parsed.text.is_empty()
            && text::readable_by_model(&parsed.text)
            && catalog.all_have_vectors())
        .then(|| self.embedder())
        .flatten();
        match embedder.map(|e| e.embed(&parsed.text)) {
            Some(Ok(query_vector)) => {
                let mut ranked = catalog.nearest(&query_vector, &parsed.servers, options.limit);
                policy::cut_semantic(&mut ranked);
                for (id, score) in ranked {
                    push(&mut hits, id, score, RankedBy::Meaning);
                }
            }
            embedded => {
                if let Some(Err(error)) = embedded {
                    tracing::warn!("ranking on words only: {error}");
                }
                let lexical = LexicalQuery {
                    text: &parsed.text,
                    servers: &parsed.servers,
                    limit: options.limit.max(10) * 2,
                };
                let mut ranked = self.lexical.search(&lexical).unwrap_or_else(|error| {
                    tracing::warn!("lexical search failed: {error}");
                    Vec::new()
                });
                policy::cut_lexical(&mut ranked);
                for (id, score) in ranked {
                    push(&mut hits, &id, score, RankedBy::Words);
                }
            }
        }
        hits
    }

    /// The tools the query names: an exact `server:tool` id or tool name, else a name within
    /// a typo or two of a one-word query.
    fn named(&self, catalog: &Catalog, raw: &str, parsed: &query::ParsedQuery) -> Vec<String> {
        if let Some(id) = catalog.id_named(raw.trim()) {
            return vec![id.to_owned()];
        }
        let exact = catalog.tools_named(&parsed.text, &parsed.servers);
        if !exact.is_empty() {
            return exact;
        }
        let Some(distance) = query::typo_distance(&parsed.text) else {
            return Vec::new();
        };
        self.lexical
            .names_near(&parsed.text, distance, &parsed.servers)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests;
