//! Tool search quality, through `mcpproxy eval search` and the shared scorer: the golden set
//! over corpus_v1 and our own unseen requests over LiveMCPBench's 527 tools, each on words
//! only and with the embedding model (installed the way users install it, with
//! `mcpproxy model install --from`), plus junk queries and exact names.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

#[path = "shared/provision.rs"]
mod provision;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

fn shared_eval(file: &str) -> PathBuf {
    provision::workspace_root()
        .join("../shared/eval")
        .join(file)
}

fn mcpproxy(data_dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mcpproxy"));
    command
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("MCPPROXY_HOME");
    command
}

/// A data dir with the model installed by `mcpproxy model install --from`.
fn data_dir_with_model() -> tempfile::TempDir {
    let data = tempfile::tempdir().unwrap();
    let output = mcpproxy(data.path())
        .args(["model", "install", "--from"])
        .arg(provision::search_model())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "model install failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let status = mcpproxy(data.path())
        .args(["model", "status", "--json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(report["verified"], true, "{report}");
    data
}

/// Runs `eval search --json` and returns the rankings and the stderr summary.
fn eval(data_dir: &Path, tools: &Path, queries: &Path, lexical_only: bool) -> (Value, String) {
    let mut command = mcpproxy(data_dir);
    command
        .args(["eval", "search", "--json", "--tools"])
        .arg(tools)
        .arg("--queries")
        .arg(queries);
    if lexical_only {
        command.arg("--lexical-only");
    }
    let output = command.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "eval search failed: {stderr}");
    let rankings = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not the rankings JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    (rankings, stderr)
}

/// Scores rankings with `../shared/eval/score_search.py --json`; returns (recall@5, mrr).
fn score(rankings: &Value, queries: &Path, corpus: Option<&Path>) -> (f64, f64, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rankings.json");
    std::fs::write(&file, rankings.to_string()).unwrap();
    let mut command = Command::new("python3");
    command
        .arg(shared_eval("score_search.py"))
        .arg("--queries")
        .arg(queries);
    command.arg("--rankings").arg(&file).arg("--json");
    if let Some(corpus) = corpus {
        command.arg("--corpus").arg(corpus);
    }
    let output = command.output().expect("python3 runs the scorer");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let scored: Value = serde_json::from_slice(&output.stdout).unwrap();
    let summary = scored["summary"].as_str().unwrap_or_default().to_owned();
    let recall5 = scored["recall_at"]["5"].as_f64();
    let mrr = scored["mrr"].as_f64();
    match (recall5, mrr) {
        (Some(recall5), Some(mrr)) => (recall5, mrr, summary),
        _ => panic!("no recall_at.5 or mrr in the scorer's output: {scored}"),
    }
}

fn check(
    name: &str,
    lexical_only: bool,
    tools: &Path,
    queries: &Path,
    corpus: Option<&Path>,
    floor: (f64, f64),
) {
    let data = if lexical_only {
        tempfile::tempdir().unwrap()
    } else {
        data_dir_with_model()
    };
    let (rankings, stderr) = eval(data.path(), tools, queries, lexical_only);
    if !lexical_only {
        assert!(
            stderr.contains("ranking by meaning"),
            "the model was not used: {stderr}"
        );
    }
    let (recall5, mrr, summary) = score(&rankings, queries, corpus);
    eprintln!("{name}: {summary}");
    assert!(
        recall5 >= floor.0 && mrr >= floor.1,
        "{name}: recall@5 {recall5:.3} (floor {}), mrr {mrr:.3} (floor {})",
        floor.0,
        floor.1
    );
}

/// Words only: the acceptance figures are recall@5 0.80 and MRR 0.70; the floor is what
/// the ranking holds today (measured: recall@5 0.883, MRR 0.769), so a regression fails.
#[test]
fn golden_set_on_words_only() {
    let corpus = shared_eval("corpus_v1.tools.json");
    let queries = shared_eval("retrieval_golden_v1.json");
    let (words, floor) = ("golden, words only", (0.88, 0.76));
    check(words, true, &corpus, &queries, Some(&corpus), floor);
}

#[test]
fn golden_set_with_the_model() {
    let corpus = shared_eval("corpus_v1.tools.json");
    let queries = shared_eval("retrieval_golden_v1.json");
    check(
        "golden, model",
        false,
        &corpus,
        &queries,
        Some(&corpus),
        (0.93, 0.86),
    );
}

fn livemcp() -> (PathBuf, PathBuf) {
    (
        shared_eval("livemcptool/tools.json"),
        provision::fixture("search/livemcptool_queries_v1.json"),
    )
}

#[test]
fn unseen_requests_over_livemcpbench_on_words_only() {
    let (tools, queries) = livemcp();
    check(
        "livemcptool, words only",
        true,
        &tools,
        &queries,
        Some(&tools),
        (0.45, 0.0),
    );
}

#[test]
fn unseen_requests_over_livemcpbench_with_the_model() {
    let (tools, queries) = livemcp();
    check(
        "livemcptool, model",
        false,
        &tools,
        &queries,
        Some(&tools),
        (0.65, 0.0),
    );
}

/// Writes a query set of `(id, query)` pairs with no labels.
fn query_file(dir: &Path, queries: &[(String, String)]) -> PathBuf {
    let file = dir.join("queries.json");
    let queries: Vec<Value> = queries
        .iter()
        .map(|(id, q)| json!({"id": id, "query": q, "labels": []}))
        .collect();
    std::fs::write(&file, json!({ "queries": queries }).to_string()).unwrap();
    file
}

fn ranked(rankings: &Value, id: &str) -> Vec<String> {
    rankings["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap()["ranked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn random_words_find_at_most_one_tool() {
    let data = data_dir_with_model();
    let text = std::fs::read_to_string(provision::fixture("search/random_words.txt")).unwrap();
    let queries: Vec<(String, String)> = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .enumerate()
        .map(|(i, l)| (format!("random-{i}"), l.trim().to_owned()))
        .collect();
    assert!(queries.len() >= 10);
    let file = query_file(data.path(), &queries);
    let (tools, _) = livemcp();
    let (rankings, _) = eval(data.path(), &tools, &file, false);
    for (id, query) in &queries {
        let hits = ranked(&rankings, id);
        assert!(hits.len() <= 1, "{query:?} returned {hits:?}");
    }
}

#[test]
fn a_tool_name_finds_that_tool_first_even_with_a_typo() {
    let data = tempfile::tempdir().unwrap();
    let (tools, _) = livemcp();
    let corpus: Value = serde_json::from_str(&std::fs::read_to_string(&tools).unwrap()).unwrap();
    let mut queries = Vec::new();
    let mut expected = Vec::new();
    for (i, tool) in corpus["tools"].as_array().unwrap().iter().enumerate() {
        let (server, name) = (
            tool["server"].as_str().unwrap(),
            tool["tool"].as_str().unwrap(),
        );
        queries.push((format!("id-{i}"), format!("{server}:{name}")));
        expected.push((format!("id-{i}"), format!("{server}:{name}"), None));
        queries.push((format!("name-{i}"), name.to_owned()));
        expected.push((
            format!("name-{i}"),
            format!("{server}:{name}"),
            Some(name.to_owned()),
        ));
    }
    // Typos: a dropped letter, two letters swapped, a letter doubled.
    for (query, tool) in [
        ("read_fle", "filesystem:read_file"),
        ("git_comit", "git:git_commit"),
        ("geocode_adress", "osm-mcp-server:geocode_address"),
        ("playwright_screenhsot", "playwright:playwright_screenshot"),
        ("getStroy", "hackernews:getStory"),
    ] {
        let name = tool.split_once(':').unwrap().1.to_owned();
        queries.push((format!("typo-{query}"), query.to_owned()));
        expected.push((format!("typo-{query}"), tool.to_owned(), Some(name)));
    }
    let file = query_file(data.path(), &queries);
    let (rankings, _) = eval(data.path(), &tools, &file, true);
    for (id, tool, name) in expected {
        let hits = ranked(&rankings, &id);
        let first = hits
            .first()
            .unwrap_or_else(|| panic!("{id}: no result for {tool}"));
        match name {
            // Several servers may offer a tool of that name: one of them comes first, and
            // this one is among the tools of that name.
            Some(name) => {
                assert!(
                    first.ends_with(&format!(":{name}")),
                    "{id}: {first} first, not a tool called {name}"
                );
                assert!(hits.contains(&tool), "{id}: {tool} missing from {hits:?}");
            }
            None => assert_eq!(first, &tool, "{id}"),
        }
    }
}

#[test]
fn model_install_refuses_files_that_are_not_the_release() {
    let data = tempfile::tempdir().unwrap();
    let copy = data.path().join("copy");
    std::fs::create_dir(&copy).unwrap();
    let model = provision::search_model();
    for file in ["model.safetensors", "tokenizer.json", "config.json"] {
        std::fs::copy(model.join(file), copy.join(file)).unwrap();
    }
    // Same size, one byte changed.
    let config = std::fs::read_to_string(copy.join("config.json")).unwrap();
    std::fs::write(copy.join("config.json"), config.replacen("384", "385", 1)).unwrap();
    let output = mcpproxy(data.path())
        .args(["model", "install", "--from"])
        .arg(&copy)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("config.json") && stderr.contains("sha256"),
        "{stderr}"
    );
    let status = mcpproxy(data.path())
        .args(["model", "status", "--json"])
        .output()
        .unwrap();
    assert!(status.status.success());
    let report: Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(report["installed"], false);
    assert_eq!(report["search"], "words only");
    assert!(!data.path().join("models/all-MiniLM-L6-v2").exists());
}
