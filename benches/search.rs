//! Tool search: lexical and semantic query latency over 10,000 tools, how long the vectors
//! of LiveMCPBench's 527 tools take, that a restart with an unchanged catalogue embeds
//! nothing, and the memory a loaded model adds.
//!
//! `cargo bench --bench search` (optionally `-- --queries N`). The model comes from
//! `../shared/tools/embed-probe/fetch-model.sh` (installed under `target/peers/` on first
//! use). Prints a table; exits non-zero (after printing) when a bound is exceeded.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

#[path = "../tests/shared/provision.rs"]
mod provision;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use mcpproxy_daemon::index::text::model_text;
use mcpproxy_daemon::index::{
    FileVectorCache, IndexOptions, SearchOptions, TextKey, ToolIndex, VectorCache,
};
use mcpproxy_daemon::protocol::{ToolHints, ToolView};
use serde_json::Value;

/// Copies of LiveMCPBench's 527 tools that make the 10,000-tool catalogue.
const REPLICAS: usize = 19;
const LEXICAL_P99: Duration = Duration::from_millis(1);
const SEMANTIC_P50: Duration = Duration::from_millis(20);
const SEMANTIC_P99: Duration = Duration::from_millis(40);
const VECTORS_READY: Duration = Duration::from_secs(30);
const MODEL_RSS_MIB: f64 = 200.0;

fn livemcp_tools() -> Vec<ToolView> {
    let path = provision::workspace_root().join("../shared/eval/livemcptool/tools.json");
    let file: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    file["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let (server, name) = (t["server"].as_str().unwrap(), t["tool"].as_str().unwrap());
            ToolView {
                id: format!("{server}:{name}"),
                server: server.to_owned(),
                name: name.to_owned(),
                title: None,
                description: t["description"].as_str().unwrap_or_default().to_owned(),
                input_schema: t.get("inputSchema").cloned().unwrap_or_default(),
                output_schema: None,
                annotations: ToolHints::default(),
            }
        })
        .collect()
}

/// Replica `r` of the catalogue: servers renamed (`NAME-r3`), so ids, servers, embedded
/// texts and the lexical statistics differ. Their vectors are seeded into the cache from
/// the original's (see `seed_replica_vectors`): 10,000 distinct embeddings would take
/// minutes and measure nothing the 527 do not.
fn replica(tools: &[ToolView], r: usize) -> BTreeMap<String, Vec<ToolView>> {
    let mut servers: BTreeMap<String, Vec<ToolView>> = BTreeMap::new();
    for tool in tools {
        let server = if r == 0 {
            tool.server.clone()
        } else {
            format!("{}-r{r}", tool.server)
        };
        let mut tool = tool.clone();
        tool.id = format!("{server}:{}", tool.name);
        tool.server = server.clone();
        servers.entry(server).or_default().push(tool);
    }
    servers
}

/// Puts each replica tool's vector into the cache under its own text's key, copied from the
/// original tool's vector.
fn seed_replica_vectors(tools: &[ToolView], r: usize, cache: &dyn VectorCache) {
    let originals: std::collections::HashMap<(String, &str), &ToolView> = tools
        .iter()
        .map(|t| ((format!("{}-r{r}", t.server), t.name.as_str()), t))
        .collect();
    for copy in replica(tools, r).into_values().flatten() {
        let original = originals[&(copy.server.clone(), copy.name.as_str())];
        let vector = cache.get(&TextKey::of(&model_text(original))).unwrap();
        cache.put(&TextKey::of(&model_text(&copy)), &vector);
    }
}

fn queries() -> Vec<String> {
    let mut queries = Vec::new();
    for file in [
        provision::workspace_root().join("../shared/eval/retrieval_golden_v1.json"),
        provision::fixture("search/livemcptool_queries_v1.json"),
    ] {
        let set: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        for q in set["queries"].as_array().unwrap() {
            queries.push(q["query"].as_str().unwrap().to_owned());
        }
    }
    queries
}

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kib / 1024.0
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The latencies of `rounds` passes over `queries`.
struct Timings {
    /// Every query of every round, sorted.
    sorted: Vec<Duration>,
    /// The query whose median over the rounds is the longest, with that median.
    slowest: (String, Duration),
}

/// Times `rounds` passes over `queries`.
fn time_queries(
    index: &ToolIndex,
    queries: &[String],
    rounds: usize,
    lexical_only: bool,
) -> Timings {
    let options = SearchOptions {
        limit: 10,
        lexical_only,
    };
    for q in queries.iter().take(20) {
        index.search_with(q, options);
    }
    let mut per_query = vec![Vec::new(); queries.len()];
    for _ in 0..rounds {
        for (q, times) in queries.iter().zip(&mut per_query) {
            let started = Instant::now();
            let hits = index.search_with(q, options);
            times.push(started.elapsed());
            std::hint::black_box(hits);
        }
    }
    let slowest = queries
        .iter()
        .zip(&mut per_query)
        .map(|(q, times)| {
            times.sort();
            (q.clone(), percentile(times, 0.5))
        })
        .max_by_key(|(_, median)| *median)
        .unwrap_or_default();
    let mut sorted: Vec<Duration> = per_query.into_iter().flatten().collect();
    sorted.sort();
    Timings { sorted, slowest }
}

fn index_with(
    model: &std::path::Path,
    cache: Arc<dyn VectorCache>,
    embedded: Arc<AtomicUsize>,
) -> ToolIndex {
    ToolIndex::new(IndexOptions {
        model_dir: Some(model.to_owned()),
        cache,
        on_progress: Some(Arc::new(move |p| {
            embedded.store(p.embedded, Ordering::Relaxed)
        })),
    })
    .unwrap()
}

fn main() {
    let rounds: usize = std::env::args()
        .skip_while(|a| a != "--rounds")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(5);
    let model = provision::search_model();
    let tools = livemcp_tools();
    let queries = queries();
    let dir = tempfile::tempdir().unwrap();
    let cache_path = dir.path().join("vectors.bin");
    let mut failures = Vec::new();

    // 1. The model's memory: RSS before the index, after loading, after the first query.
    let rss_before = rss_mib();
    let embedded = Arc::new(AtomicUsize::new(0));
    let cache: Arc<dyn VectorCache> = Arc::new(FileVectorCache::open(&cache_path).unwrap());
    let index = index_with(&model, cache, embedded.clone());
    let status = index.wait_settled(Duration::from_secs(60));
    assert!(status.semantic, "the model did not load: {status:?}");
    index.search("warm the model up", 10);
    let rss_model = rss_mib() - rss_before;

    // 2. LiveMCPBench's 527 tools, embedded in the background one at a time, while the
    //    lexical index answers queries in this thread.
    let started = Instant::now();
    for (server, server_tools) in replica(&tools, 0) {
        index.upsert(&server, &server_tools).unwrap();
    }
    let mut during = Vec::new();
    let mut i = 0;
    while !index.status().semantic && started.elapsed() < Duration::from_secs(600) {
        let q = &queries[i % queries.len()];
        let t = Instant::now();
        std::hint::black_box(index.search(q, 10));
        during.push(t.elapsed());
        i += 1;
        #[expect(
            clippy::disallowed_methods,
            reason = "paces the queries a client would send while the vectors are being made"
        )]
        std::thread::sleep(Duration::from_millis(20));
    }
    let ready = started.elapsed();
    during.sort();
    let first_run_embedded = embedded.load(Ordering::Relaxed);
    drop(index);

    // 3. A restart: the same catalogue over the same cache file.
    let embedded = Arc::new(AtomicUsize::new(0));
    let cache: Arc<dyn VectorCache> = Arc::new(FileVectorCache::open(&cache_path).unwrap());
    let started = Instant::now();
    let index = index_with(&model, cache.clone(), embedded.clone());
    for (server, server_tools) in replica(&tools, 0) {
        index.upsert(&server, &server_tools).unwrap();
    }
    let status = index.wait_settled(Duration::from_secs(60));
    let restart_ready = started.elapsed();
    let restart_embedded = status.progress.embedded;

    // 4. 10,000 tools: the other replicas, their vectors seeded from the first.
    for r in 1..REPLICAS {
        seed_replica_vectors(&tools, r, cache.as_ref());
    }
    let started = Instant::now();
    for r in 1..REPLICAS {
        for (server, server_tools) in replica(&tools, r) {
            index.upsert(&server, &server_tools).unwrap();
        }
    }
    let status = index.wait_settled(Duration::from_secs(60));
    let indexed_10k = started.elapsed();
    assert!(status.semantic, "{status:?}");
    let total = status.progress.tools;
    let Timings {
        sorted: lexical,
        slowest: lexical_slowest,
    } = time_queries(&index, &queries, rounds * 4, true);
    let Timings {
        sorted: semantic,
        slowest: semantic_slowest,
    } = time_queries(&index, &queries, rounds, false);

    println!(
        "tool search, {total} tools ({} queries × rounds)",
        queries.len()
    );
    let row = |what: &str, value: String, bound: String| {
        println!("  {what:<48} {value:>14}   bound {bound}")
    };
    row(
        "lexical query p50 / p99",
        format!(
            "{:.3} / {:.3} ms",
            ms(percentile(&lexical, 0.5)),
            ms(percentile(&lexical, 0.99))
        ),
        "p99 ≤ 1 ms".into(),
    );
    row(
        "semantic query p50 / p99",
        format!(
            "{:.1} / {:.1} ms",
            ms(percentile(&semantic, 0.5)),
            ms(percentile(&semantic, 0.99))
        ),
        "p50 ≤ 20 ms, p99 ≤ 40 ms".into(),
    );
    row(
        &format!("vectors for {} tools ready (one at a time)", tools.len()),
        format!("{:.1} s", ready.as_secs_f64()),
        "≤ 30 s".into(),
    );
    row(
        "  lexical query p99 meanwhile",
        format!("{:.3} ms", ms(percentile(&during, 0.99))),
        "-".into(),
    );
    row(
        "  embedded on the first run",
        format!("{first_run_embedded}"),
        "-".into(),
    );
    row(
        "restart, unchanged catalogue: embedded",
        format!("{restart_embedded} ({:.2} s)", restart_ready.as_secs_f64()),
        "0".into(),
    );
    for (what, (query, median)) in [
        ("slowest lexical query (median)", &lexical_slowest),
        ("slowest semantic query (median)", &semantic_slowest),
    ] {
        row(what, format!("{:.3} ms", ms(*median)), "-".into());
        println!("    {query:?}");
    }
    row(
        "adding 9,486 more tools (vectors from the cache)",
        format!("{:.2} s", indexed_10k.as_secs_f64()),
        "-".into(),
    );
    row(
        "RSS added by the loaded model",
        format!("{rss_model:.0} MiB"),
        "≤ 200 MiB".into(),
    );

    if percentile(&lexical, 0.99) > LEXICAL_P99 {
        failures.push("lexical p99");
    }
    if percentile(&semantic, 0.5) > SEMANTIC_P50 || percentile(&semantic, 0.99) > SEMANTIC_P99 {
        failures.push("semantic latency");
    }
    if ready > VECTORS_READY {
        failures.push("vectors ready");
    }
    if restart_embedded != 0 {
        failures.push("restart re-embedded");
    }
    if rss_model > MODEL_RSS_MIB {
        failures.push("model RSS");
    }
    if !failures.is_empty() {
        eprintln!("FAIL: {}", failures.join(", "));
        std::process::exit(1);
    }
}
