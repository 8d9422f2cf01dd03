//! `mcpproxy eval scan` on the shared labelled corpora, scored by `shared/eval/score_detect.py`
//! as the product we are measured against is: recall at least 0.95 and a false-positive
//! rate at most 0.05 on each corpus, every category and every benign entry counted. And the
//! 527 real tools of LiveMCPBench, scanned as one session, raise (almost) nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::support::daemon::mcpproxy;
use crate::support::peers::workspace_root;

const MIN_RECALL: f64 = 0.95;
const MAX_FPR: f64 = 0.05;

fn shared_eval(file: &str) -> PathBuf {
    let path = workspace_root().join("../shared/eval").join(file);
    assert!(path.exists(), "{} is missing", path.display());
    path
}

/// Runs `mcpproxy eval scan --corpus CORPUS --json` and returns its output, which must succeed.
fn eval_scan(corpus: &Path) -> Output {
    let sandbox = tempfile::tempdir().unwrap();
    let output = mcpproxy(sandbox.path())
        .args(["eval", "scan", "--json", "--corpus"])
        .arg(corpus)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "eval scan failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Scans `corpus`, scores the verdicts with `score_detect.py --json`, and checks the gate.
fn scores_within_the_gate(file: &str) {
    let corpus = shared_eval(file);
    let output = eval_scan(&corpus);
    // stdout is the verdicts object alone; the summary line went to stderr.
    let verdicts: Value = serde_json::from_slice(&output.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.trim_end().starts_with("flagged "),
        "summary on stderr: {stderr}"
    );
    let entries = verdicts["results"].as_array().unwrap().len();
    assert!(entries > 0);

    let dir = tempfile::tempdir().unwrap();
    let verdicts_file = dir.path().join("verdicts.json");
    std::fs::write(&verdicts_file, &output.stdout).unwrap();
    let scored = Command::new("python3")
        .arg(shared_eval("score_detect.py"))
        .arg("--corpus")
        .arg(&corpus)
        .arg("--verdicts")
        .arg(&verdicts_file)
        .arg("--json")
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3 (is it installed?): {e}"));
    assert!(
        scored.status.success(),
        "score_detect.py failed: {}",
        String::from_utf8_lossy(&scored.stderr)
    );
    let report: Value = serde_json::from_slice(&scored.stdout).unwrap();
    eprintln!("{file}: {}", report["summary"]);
    for category in report["per_category"].as_array().unwrap() {
        eprintln!(
            "  {:<22} {:<9} {}/{}",
            category["category"].as_str().unwrap(),
            category["label"].as_str().unwrap(),
            category["flagged"],
            category["n"]
        );
    }
    assert_eq!(report["absent_count"], 0, "every entry has a verdict");
    let recall = report["recall"].as_f64().unwrap();
    let fpr = report["fpr"].as_f64().unwrap();
    assert!(
        recall >= MIN_RECALL && fpr <= MAX_FPR,
        "{file}: recall {recall:.3} (at least {MIN_RECALL}) and FPR {fpr:.3} (at most {MAX_FPR}); \
         misses: {}; false positives: {}",
        report["misses"],
        report["false_positives"]
    );
}

#[test]
fn the_detect_corpus_scores_within_the_gate() {
    scores_within_the_gate("detect_corpus_v1.json");
}

#[test]
fn the_security_corpus_scores_within_the_gate() {
    scores_within_the_gate("security_corpus_v1.json");
}

/// At most 1% of real tools may be held: each is one more question for a person.
#[test]
fn real_tools_of_livemcpbench_are_not_held() {
    let output = eval_scan(&shared_eval("livemcptool/tools.json"));
    let verdicts: Value = serde_json::from_slice(&output.stdout).unwrap();
    let results = verdicts["results"].as_array().unwrap();
    assert_eq!(results.len(), 527);
    let flagged: Vec<&Value> = results
        .iter()
        .filter(|r| r["verdict"] == "malicious")
        .collect();
    assert!(
        flagged.len() * 100 <= results.len(),
        "{} of {} LiveMCPBench tools held: {flagged:#?}",
        flagged.len(),
        results.len()
    );
}

#[test]
fn an_unreadable_corpus_is_an_error_that_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "{\"entries\": [").unwrap();
    let output = mcpproxy(dir.path())
        .args(["eval", "scan", "--corpus"])
        .arg(&broken)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("broken.json") && stderr.contains("not valid JSON"),
        "{stderr}"
    );
}
