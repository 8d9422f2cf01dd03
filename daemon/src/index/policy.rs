//! Which hits a ranking keeps: an absolute floor, so a query that matches nothing well
//! returns nothing, and a cutoff relative to the best hit, so a junk query that happens to
//! sit near one tool does not drag a tail of unrelated ones behind it.
//!
//! The figures were chosen with the scorer (`mcpproxy eval search`): see BENCHMARKS.md and
//! ARCHITECTURE.md for the runs behind them.

/// Cosine similarity below which a tool is not returned at all. Relevant tools of the
/// evaluation sets scored down to 0.19; random words topped out at 0.15–0.30.
pub const SEMANTIC_FLOOR: f32 = 0.15;
/// A tool more than this below the best tool's cosine is not returned (relevant tools sat
/// up to 0.32 below the best).
pub const SEMANTIC_BELOW_BEST: f32 = 0.35;
/// When the best cosine is under this, the query matches nothing well: only the best is
/// kept, so a query of random words returns at most one tool. Real requests' best tool
/// scored 0.22–0.30 only for 3 of 89 queries (which keep their first hit).
pub const SEMANTIC_CONFIDENT: f32 = 0.31;
/// Lexical hits scoring under this share of the best hit's BM25 score are dropped.
pub const LEXICAL_SHARE_OF_BEST: f32 = 0.25;

/// Keeps the semantic hits (sorted best first) the policy allows.
pub fn cut_semantic<T>(hits: &mut Vec<(T, f32)>) {
    let (floor, confident, below) = (SEMANTIC_FLOOR, SEMANTIC_CONFIDENT, SEMANTIC_BELOW_BEST);
    let Some(best) = hits.first().map(|h| h.1) else {
        return;
    };
    if best < floor {
        hits.clear();
        return;
    }
    if best < confident {
        hits.truncate(1);
        return;
    }
    hits.retain(|h| h.1 >= floor && h.1 >= best - below);
}

/// Keeps the lexical hits (sorted best first) the policy allows.
pub fn cut_lexical<T>(hits: &mut Vec<(T, f32)>) {
    let share = LEXICAL_SHARE_OF_BEST;
    let Some(best) = hits.first().map(|h| h.1) else {
        return;
    };
    hits.retain(|h| h.1 >= best * share);
}
