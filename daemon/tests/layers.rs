//! The daemon crate's module graph points one way: each top-level module may use only
//! modules of lower layers (ARCHITECTURE.md draws the same table). This reads the sources and
//! fails on an arrow that points back up, naming the file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::Path;

/// Top-level modules, lowest layer first; modules of one layer may not use each other.
const LAYERS: &[&[&str]] = &[
    // The contract an attach client needs (no `server` feature).
    &["paths", "protocol", "redact"],
    &["exit_code", "sse", "config"],
    &["client", "secrets"],
    // The engine.
    &[
        "allocator",
        "sync",
        "deadline",
        "catalog",
        "http",
        "index",
        "security",
        "store",
    ],
    &["gate"],
    &["review"],
    &["events"],
    &["logs"],
    &["oauth"],
    &["upstream"],
    &["daemon"],
    &["activity", "manage"],
    &["api", "proxy", "bridge"],
    &["serve"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// `crate::NAME` uses in the files of `module` (its `.rs` and everything under its folder).
fn uses(src: &Path, module: &str) -> BTreeMap<String, String> {
    let mut files = vec![src.join(format!("{module}.rs"))];
    let mut dirs = vec![src.join(module)];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    let mut found = BTreeMap::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        for (at, _) in text.match_indices("crate::") {
            let name: String = text[at + "crate::".len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if name != module {
                found
                    .entry(name)
                    .or_insert_with(|| file.display().to_string());
            }
        }
    }
    found
}

#[test]
fn no_module_uses_one_of_its_own_layer_or_above() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let mut wrong = Vec::new();
    for line in lib.lines() {
        let Some(module) = line
            .trim()
            .strip_prefix("pub mod ")
            .or_else(|| line.trim().strip_prefix("mod "))
            .and_then(|rest| rest.strip_suffix(';'))
        else {
            continue;
        };
        let Some(layer) = layer_of(module) else {
            wrong.push(format!(
                "{module} is in lib.rs but in no layer of this test"
            ));
            continue;
        };
        for (used, file) in uses(&src, module) {
            match layer_of(&used) {
                Some(other) if other < layer => {}
                Some(_) => wrong.push(format!("{module} uses {used} ({file})")),
                None => wrong.push(format!(
                    "{module} uses {used}, which is in no layer ({file})"
                )),
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "arrows pointing up or sideways:\n{}",
        wrong.join("\n")
    );
}
