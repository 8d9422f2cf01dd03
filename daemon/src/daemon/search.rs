//! Tool search in the daemon: one [`ToolIndex`] of the tools agents may see, kept by the
//! catalog gate's last stage, and the one search every surface (`retrieve_tools`, the control
//! API, the CLI and the TUI through it) runs.
//!
//! The index is fed from the gate rather than from the event bus: the stage sees exactly the
//! tools that passed every other stage (held tools never reach it), runs on the gate's
//! blocking thread (a tantivy commit stays off the runtime), and updates the index before
//! the gated catalog is served, so a server that is ready is also searchable.

use std::path::PathBuf;
use std::sync::Arc;

use crate::gate::{GateItem, GateStage, Hold};
use crate::index::{
    FileVectorCache, Hit, IndexError, IndexOptions, IndexProgress, IndexStatus, MemoryVectorCache,
    ModelState, ToolIndex, VectorCache,
};
use crate::protocol::{ItemKind, RankedBy, SearchModel, SearchStatus, ToolView};

/// Where the daemon finds its search model and keeps tool vectors between runs.
#[derive(Debug, Clone)]
pub struct SearchSetup {
    /// The model's directory (`DATA_DIR/models/all-MiniLM-L6-v2`); `None` ranks on words only.
    pub model_dir: Option<PathBuf>,
    /// The vector file (`DATA_DIR/cache/tool-vectors.bin`); `None` keeps vectors in memory.
    pub vectors: Option<PathBuf>,
}

impl SearchSetup {
    /// Words only, nothing kept on disk.
    pub fn lexical_only() -> Self {
        Self {
            model_dir: None,
            vectors: None,
        }
    }

    /// Builds the index; `on_progress` is told whenever vectors were made or tools changed
    /// (from the embedding thread or the gate's: keep it short).
    pub(super) fn open(
        self,
        on_progress: Arc<dyn Fn(IndexProgress) + Send + Sync>,
    ) -> Result<ToolIndex, IndexError> {
        let cache: Arc<dyn VectorCache> = match &self.vectors {
            Some(path) => match FileVectorCache::open(path) {
                Ok(cache) => Arc::new(cache),
                Err(error) => {
                    tracing::warn!(path = %path.display(), "cannot open the vector cache, vectors are kept in memory only: {error}");
                    Arc::new(MemoryVectorCache::default())
                }
            },
            None => Arc::new(MemoryVectorCache::default()),
        };
        ToolIndex::new(IndexOptions {
            model_dir: self.model_dir,
            cache,
            on_progress: Some(on_progress),
        })
    }
}

/// The gate's last stage: holds nothing, indexes what passes.
pub struct IndexStage {
    pub index: ToolIndex,
}

impl GateStage for IndexStage {
    fn name(&self) -> &'static str {
        "index"
    }

    fn pass(&self, server: &str, items: &[GateItem]) -> Vec<Hold> {
        let tools: Vec<ToolView> = items
            .iter()
            .filter(|item| item.kind == ItemKind::Tool)
            .filter_map(|item| serde_json::from_value::<rmcp::model::Tool>(item.value.clone()).ok())
            .map(|tool| crate::catalog::tool_view(server, &tool))
            .collect();
        if let Err(error) = self.index.upsert(server, &tools) {
            tracing::warn!(
                server,
                "cannot index the server's tools for search: {error}"
            );
        }
        Vec::new()
    }

    fn forget(&self, server: &str) {
        if let Err(error) = self.index.remove(server) {
            tracing::warn!(
                server,
                "cannot remove the server's tools from search: {error}"
            );
        }
    }
}

/// The wire form of the index's status, with the one sentence a person needs when search
/// is on words only.
pub fn search_status(status: &IndexStatus) -> SearchStatus {
    let (model, note) = match &status.model {
        ModelState::Off => (
            SearchModel::Off,
            Some("tool search ranks on words only".to_owned()),
        ),
        ModelState::Unavailable { missing: true, .. } => (
            SearchModel::Unavailable,
            Some(
                "tool search ranks on words only: the search model is not installed \
                 (`mcpproxy model install`, then `mcpproxy daemon restart`)"
                    .to_owned(),
            ),
        ),
        ModelState::Unavailable { message, .. } => (
            SearchModel::Unavailable,
            Some(format!(
                "tool search ranks on words only: {message} \
                 (`mcpproxy model install` replaces it, then `mcpproxy daemon restart`)"
            )),
        ),
        ModelState::Loading => (
            SearchModel::Loading,
            Some("tool search ranks on words until the search model has read every tool".into()),
        ),
        ModelState::Ready if !status.semantic => (
            SearchModel::Loading,
            Some(format!(
                "tool search ranks on words until the search model has read every tool ({} of {} done)",
                status.progress.with_vectors, status.progress.tools
            )),
        ),
        ModelState::Ready => (SearchModel::Ready, None),
    };
    SearchStatus {
        model,
        tools: status.progress.tools as u64,
        with_vectors: status.progress.with_vectors as u64,
        embedded: status.progress.embedded as u64,
        semantic: status.semantic,
        note,
    }
}

pub fn ranked_by(hit: &Hit) -> RankedBy {
    match hit.ranked_by {
        crate::index::RankedBy::Name => RankedBy::Name,
        crate::index::RankedBy::Meaning => RankedBy::Meaning,
        crate::index::RankedBy::Words => RankedBy::Words,
    }
}
