//! The tool-poisoning scanner over a large catalog, and secret redaction on a call.
//!
//! `cargo bench --bench scan` (optionally `-- --runs N`). The catalog is the 527 tools of
//! LiveMCPBench (`shared/eval/livemcptool/tools.json`) replicated and varied to 10,000
//! tools: 19 sessions, each a copy of the 70 servers under new names with descriptions
//! reworded (sentences rotated). One run scans every tool with its input schema and its
//! session's peer index (building the index included). The acceptance bound is a median of
//! at most 200 ms of the scanning thread's CPU time (`/proc/thread-self/schedstat`): the
//! scan is single-threaded, and on a shared machine wall time also counts other processes'
//! turns. Wall time is printed beside it. The bench exits non-zero (after printing) when the
//! bound is exceeded.
//!
//! Then the cost of redaction where it runs on every call: `redact_json` on a call-sized
//! JSON value (arguments and a result of about 4 KB) holding no secret, `redact_str` on a
//! log line without one, and both with a secret in them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::time::{Duration, Instant};

use mcpproxy_daemon::security::{self, Peers, ScanItem, secrets};
use serde_json::{Value, json};

const TOOLS: usize = 10_000;
const SCAN_BOUND: Duration = Duration::from_millis(200);

struct Tool {
    /// Which copy of the catalog (session) it belongs to.
    session: usize,
    server: String,
    name: String,
    description: String,
    schema: Value,
}

fn livemcpbench() -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/eval/livemcptool/tools.json"
    );
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {path} (the shared eval corpora): {e}"));
    let doc: Value = serde_json::from_str(&text).unwrap();
    doc["tools"].as_array().unwrap().clone()
}

/// Copy `k` of a description: its sentences rotated by `k`. (Nothing is added: text shared
/// by every tool of a copy would make same-named tools of two servers look alike.)
fn reword(description: &str, k: usize) -> String {
    let sentences: Vec<&str> = description.split_inclusive(". ").collect();
    let shift = k % sentences.len().max(1);
    sentences[shift..]
        .iter()
        .chain(&sentences[..shift])
        .copied()
        .collect()
}

/// CPU time this thread has run, from the scheduler's own count.
fn thread_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap();
    let ns: u64 = stat.split_whitespace().next().unwrap().parse().unwrap();
    Duration::from_nanos(ns)
}

fn catalog(base: &[Value]) -> Vec<Tool> {
    (0..TOOLS)
        .map(|i| {
            let (k, t) = (i / base.len(), &base[i % base.len()]);
            let suffix = if k == 0 {
                String::new()
            } else {
                format!("-{k}")
            };
            Tool {
                session: k,
                server: format!("{}{suffix}", t["server"].as_str().unwrap()),
                name: t["tool"].as_str().unwrap().to_owned(),
                description: reword(t["description"].as_str().unwrap_or_default(), k),
                schema: t["inputSchema"].clone(),
            }
        })
        .collect()
}

/// Scans every tool with its session's peers; returns how many were held.
fn scan_all(tools: &[Tool], with_peers: bool) -> usize {
    tools
        .chunk_by(|a, b| a.session == b.session)
        .map(|session| scan_session(session, with_peers))
        .sum()
}

fn scan_session(tools: &[Tool], with_peers: bool) -> usize {
    let peers = if with_peers {
        Peers::new(
            tools
                .iter()
                .map(|t| (t.server.as_str(), t.name.as_str(), t.description.as_str())),
        )
    } else {
        Peers::default()
    };
    tools
        .iter()
        .filter(|t| {
            let fields = [("input_schema", &t.schema)];
            security::holds(&security::scan(&ScanItem {
                server: &t.server,
                name: &t.name,
                title: None,
                description: &t.description,
                fields: &fields,
                peers: &peers,
            }))
        })
        .count()
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Median time of one call of `f`, measured over batches of `per_batch` calls.
fn per_call(per_batch: u32, batches: usize, mut f: impl FnMut()) -> Duration {
    for _ in 0..per_batch {
        f();
    }
    let times = (0..batches)
        .map(|_| {
            let started = Instant::now();
            for _ in 0..per_batch {
                f();
            }
            started.elapsed() / per_batch
        })
        .collect();
    median(times)
}

/// A call as the proxy logs it: arguments and a result of a few KB of text and structure.
fn call_json(base: &[Value]) -> Value {
    let text: String = base
        .iter()
        .take(12)
        .map(|t| t["description"].as_str().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    json!({
        "arguments": {"query": "quarterly revenue by region", "limit": 25, "path": "/home/user/reports/q3.csv",
                      "options": {"format": "markdown", "include_headers": true, "tokens": 4000}},
        "result": {
            "content": [{"type": "text", "text": text}],
            "structuredContent": {"rows": (0..20).map(|i| json!({"region": format!("region-{i}"), "revenue": i * 1000, "currency": "EUR"})).collect::<Vec<_>>()},
            "isError": false
        }
    })
}

fn main() {
    let runs = std::env::args()
        .skip_while(|a| a != "--runs")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(15usize)
        .max(5);
    let base = livemcpbench();
    let tools = catalog(&base);
    let text_bytes: usize = tools
        .iter()
        .map(|t| t.name.len() + t.description.len() + t.schema.to_string().len())
        .sum();
    println!(
        "catalog: {} tools on {} servers, {:.1} MB of names, descriptions and schemas",
        tools.len(),
        tools
            .iter()
            .map(|t| &t.server)
            .collect::<std::collections::HashSet<_>>()
            .len(),
        text_bytes as f64 / 1e6
    );

    let mut results = Vec::new();
    for (label, with_peers) in [("with the peer index", true), ("without peers", false)] {
        let held = scan_all(&tools, with_peers);
        let (mut cpu, mut wall) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            let (started, cpu_before) = (Instant::now(), thread_cpu());
            std::hint::black_box(scan_all(&tools, with_peers));
            wall.push(started.elapsed());
            cpu.push(thread_cpu() - cpu_before);
        }
        let (min, max) = (*cpu.iter().min().unwrap(), *cpu.iter().max().unwrap());
        let median_cpu = median(cpu);
        println!(
            "scan {TOOLS} tools {label}, {runs} runs: CPU median {:.1} ms (min {:.1}, max {:.1}), {:.1} µs per tool; wall median {:.1} ms; {held} held",
            ms(median_cpu),
            ms(min),
            ms(max),
            median_cpu.as_secs_f64() * 1e6 / TOOLS as f64,
            ms(median(wall)),
        );
        results.push(median_cpu);
    }

    let call = call_json(&base);
    let call_bytes = call.to_string().len();
    let mut clean = call.clone();
    assert!(
        secrets::redact_json(&mut clean).is_empty(),
        "the clean call holds no secret"
    );
    let json_clean = per_call(2_000, 15, || {
        std::hint::black_box(secrets::redact_json(&mut clean));
    });
    let mut dirty_template = call.clone();
    dirty_template["arguments"]["aws"] = Value::String(format!("{}{}", "AKIA", "Z7Q3XW5RTY2UOPL4"));
    let json_secret = per_call(500, 15, || {
        let mut dirty = dirty_template.clone();
        std::hint::black_box(secrets::redact_json(&mut dirty));
    });
    let json_clone = per_call(500, 15, || {
        std::hint::black_box(dirty_template.clone());
    });
    let line = "2026-11-25T10:00:01Z INFO call demo:search_files duration_ms=12 outcome=ok args={\"path\":\"/home/user/projects\",\"pattern\":\"*.rs\"}";
    let line_clean = per_call(20_000, 15, || {
        std::hint::black_box(secrets::redact_str(line));
    });
    let line_with = format!("{line} token=Zx9Qw8Er7Ty6Ui5Op4As3Df");
    let line_secret = per_call(5_000, 15, || {
        std::hint::black_box(secrets::redact_str(&line_with));
    });
    println!(
        "redact_json, {call_bytes} B call without a secret: {:.2} µs",
        json_clean.as_secs_f64() * 1e6
    );
    println!(
        "redact_json, the same call with an AWS key: {:.2} µs (clone {:.2} µs included)",
        json_secret.as_secs_f64() * 1e6,
        json_clone.as_secs_f64() * 1e6
    );
    println!(
        "redact_str, {} B log line without a secret: {:.3} µs",
        line.len(),
        line_clean.as_secs_f64() * 1e6
    );
    println!(
        "redact_str, the same line with a token: {:.3} µs",
        line_secret.as_secs_f64() * 1e6
    );

    if results[0] > SCAN_BOUND {
        println!(
            "FAIL: scanning {TOOLS} tools took {:.1} ms (bound {} ms)",
            ms(results[0]),
            SCAN_BOUND.as_millis()
        );
        std::process::exit(1);
    }
}
