//! The figures `score_search.py` computes (its README defines them), for the summary line:
//! relevant = labels of relevance ≥ 1, rankings cut to 10, macro means.

use std::collections::HashSet;
use std::fmt;

use super::files::Query;

#[derive(Debug, Default)]
pub struct Summary {
    queries: usize,
    recall_1: f64,
    recall_5: f64,
    recall_10: f64,
    mrr: f64,
    ndcg_10: f64,
    empty: usize,
}

impl Summary {
    pub fn of<R>(queries: &[Query], results: &[R], ranked: impl Fn(&R) -> &Vec<String>) -> Self {
        let mut s = Self {
            queries: queries.len(),
            ..Self::default()
        };
        for (query, result) in queries.iter().zip(results) {
            let mut seen = HashSet::new();
            let top: Vec<&String> = ranked(result)
                .iter()
                .filter(|id| seen.insert(*id))
                .take(10)
                .collect();
            if top.is_empty() {
                s.empty += 1;
            }
            let grade = |id: &str| {
                query
                    .labels
                    .iter()
                    .find(|l| l.tool_id == id)
                    .map_or(0, |l| l.relevance)
            };
            let relevant = query.labels.iter().filter(|l| l.relevance >= 1).count();
            if relevant == 0 {
                continue;
            }
            let found = |k: usize| top.iter().take(k).filter(|id| grade(id) >= 1).count();
            s.recall_1 += found(1) as f64 / relevant as f64;
            s.recall_5 += found(5) as f64 / relevant as f64;
            s.recall_10 += found(10) as f64 / relevant as f64;
            if let Some(rank) = top.iter().position(|id| grade(id) >= 1) {
                s.mrr += 1.0 / (rank + 1) as f64;
            }
            let dcg: f64 = top
                .iter()
                .enumerate()
                .map(|(i, id)| f64::from(grade(id)) / ((i + 2) as f64).log2())
                .sum();
            let mut ideal: Vec<u8> = query
                .labels
                .iter()
                .map(|l| l.relevance)
                .filter(|&g| g >= 1)
                .collect();
            ideal.sort_unstable_by(|a, b| b.cmp(a));
            let idcg: f64 = ideal
                .iter()
                .take(10)
                .enumerate()
                .map(|(i, &g)| f64::from(g) / ((i + 2) as f64).log2())
                .sum();
            if idcg > 0.0 {
                s.ndcg_10 += dcg / idcg;
            }
        }
        s
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.queries.max(1) as f64;
        write!(
            f,
            "{} queries ({} with no result): recall@1={:.3} recall@5={:.3} recall@10={:.3} mrr={:.3} ndcg@10={:.3}",
            self.queries,
            self.empty,
            self.recall_1 / n,
            self.recall_5 / n,
            self.recall_10 / n,
            self.mrr / n,
            self.ndcg_10 / n,
        )
    }
}
