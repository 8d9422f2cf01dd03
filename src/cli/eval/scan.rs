//! `mcpproxy eval scan --corpus FILE [--json]`: the tool-poisoning scanner on every entry of
//! a labelled corpus (`detect_corpus_v1.json`, `security_corpus_v1.json`), offline. Each
//! entry is scanned as the proxy would see it: its server, name, description and input
//! schema, with the other servers' tools of its session (`peers`) beside it. Labels and
//! categories are answers and are not read.
//!
//! With `--json`, stdout is `{"results": [{"id", "verdict", "findings"}]}`, the verdicts
//! format of `score_detect.py`; without, one line per entry. Either way stderr gets one
//! summary line.

use std::path::PathBuf;

use clap::Args;
use mcpproxy_daemon::protocol::ItemKind;
use mcpproxy_daemon::review;
use mcpproxy_daemon::security::{self, Finding, Peers, ScanItem};
use serde::Serialize;
use serde_json::Value;

use crate::cli::{Failure, Global};

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// The corpus: `{"entries": [...]}` with an `id` and a tool (`tool: {name, description,
    /// inputSchema}`, or `description` alone) per entry; or a catalog, `{"tools": [{server,
    /// tool, description, inputSchema}]}`, scanned as one session
    #[arg(long, value_name = "FILE")]
    pub corpus: PathBuf,
}

/// One corpus entry, as the proxy would see it.
struct Entry {
    id: String,
    server: String,
    kind: ItemKind,
    name: String,
    title: Option<String>,
    description: String,
    schema: Option<Value>,
    /// `(server, name, description)` of the other tools in the entry's session.
    peers: Vec<(String, String, String)>,
}

#[derive(Serialize)]
struct Verdicts {
    results: Vec<Verdict>,
}

#[derive(Serialize)]
struct Verdict {
    id: String,
    verdict: &'static str,
    findings: Vec<Finding>,
}

pub fn run(global: &Global, args: ScanArgs) -> Result<(), Failure> {
    let (entries, catalog) = read_corpus(&args.corpus)?;
    let session = catalog.then(|| {
        Peers::new(
            entries
                .iter()
                .map(|e| (e.server.as_str(), e.name.as_str(), e.description.as_str())),
        )
    });
    let results: Vec<Verdict> = entries
        .iter()
        .map(|entry| scan_entry(entry, session.as_ref()))
        .collect();
    let flagged = results.iter().filter(|r| r.verdict == "malicious").count();
    let verdicts = Verdicts { results };
    global.output().print(&verdicts, render)?;
    eprintln!(
        "flagged {flagged} of {} entries in {}",
        verdicts.results.len(),
        args.corpus.display()
    );
    Ok(())
}

/// Scans one entry with the peers of its session: the catalog's, or its own `peers`.
fn scan_entry(entry: &Entry, session: Option<&Peers>) -> Verdict {
    // The entry's own server's items are peers too: that is how a reference to a tool of
    // the same server is told from one to another server's.
    let own = std::iter::once((
        entry.server.as_str(),
        entry.name.as_str(),
        entry.description.as_str(),
    ));
    let others = entry
        .peers
        .iter()
        .map(|(s, n, d)| (s.as_str(), n.as_str(), d.as_str()));
    let own_peers;
    let peers = match session {
        Some(peers) => peers,
        None => {
            own_peers = Peers::new(own.chain(others));
            &own_peers
        }
    };
    let fields: Vec<(&str, &Value)> = entry
        .schema
        .iter()
        .map(|schema| {
            // The entry's one schema is the part that says how the item is called.
            let label = review::json_parts(entry.kind)
                .first()
                .map_or("input_schema", |(label, _)| label);
            (label, schema)
        })
        .collect();
    let item = ScanItem {
        server: &entry.server,
        name: &entry.name,
        title: entry.title.as_deref(),
        description: &entry.description,
        fields: &fields,
        peers,
    };
    let findings = security::scan(&item);
    let verdict = if security::holds(&findings) {
        "malicious"
    } else {
        "benign"
    };
    Verdict {
        id: entry.id.clone(),
        verdict,
        findings,
    }
}

fn render(verdicts: &Verdicts) -> String {
    let mut lines = Vec::new();
    for r in &verdicts.results {
        let top = r.findings.iter().max_by_key(|f| f.severity);
        let why = top.map_or(String::new(), |f| {
            format!(
                "{} {} in {}: {}",
                f.severity, f.category, f.field, f.message
            )
        });
        lines.push(format!("{:<36} {:<9} {why}", r.id, r.verdict));
    }
    lines.join("\n")
}

/// Reads the entries and whether the file is a catalog (no ids, entries named
/// `server:tool`), which is one session: every entry's peers are all the others.
fn read_corpus(path: &PathBuf) -> Result<(Vec<Entry>, bool), Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::error(format!("cannot read the corpus {}: {e}", path.display())))?;
    let doc: Value = serde_json::from_str(&text).map_err(|e| {
        Failure::error(format!(
            "the corpus {} is not valid JSON: {e}",
            path.display()
        ))
    })?;
    let entries = match &doc {
        Value::Array(items) => Some(items),
        Value::Object(map) => ["entries", "items", "corpus", "tools"]
            .iter()
            .find_map(|k| map.get(*k).and_then(Value::as_array)),
        _ => None,
    };
    let Some(entries) = entries else {
        return Err(Failure::error(format!(
            "the corpus {} has no list of entries",
            path.display()
        ))
        .hint(
            "expected {\"entries\": [{\"id\": ..., \"tool\": {\"name\", \"description\"}}, ...]}",
        ));
    };
    let parsed = entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            entry(e).ok_or_else(|| {
                Failure::error(format!(
                    "entry #{i} of {} has neither an `id` nor a `server` and `tool`",
                    path.display()
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let catalog = entries.iter().all(|e| e.get("id").is_none());
    Ok((parsed, catalog))
}

fn text(value: Option<&Value>) -> Option<String> {
    value.and_then(Value::as_str).map(str::to_owned)
}

fn entry(e: &Value) -> Option<Entry> {
    let tool = e.get("tool").filter(|t| t.is_object()).unwrap_or(e);
    let id = text(e.get("id")).or_else(|| {
        Some(format!(
            "{}:{}",
            text(e.get("server"))?,
            text(e.get("tool"))?
        ))
    })?;
    let name = text(tool.get("name"))
        .or_else(|| text(e.get("name")))
        .or_else(|| text(e.get("tool")))
        .unwrap_or_default();
    let description = text(tool.get("description")).or_else(|| text(e.get("description")));
    let schema = ["inputSchema", "input_schema", "schema", "arguments"]
        .iter()
        .find_map(|k| tool.get(*k).or_else(|| e.get(*k)))
        .cloned();
    let kind = match e.get("kind").and_then(Value::as_str) {
        Some("prompt") => ItemKind::Prompt,
        Some("resource_template" | "resourceTemplate") => ItemKind::ResourceTemplate,
        _ => ItemKind::Tool,
    };
    let peers = e
        .get("peers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| {
            let tool = p.get("tool").filter(|t| t.is_object()).unwrap_or(p);
            Some((
                text(p.get("server")).unwrap_or_default(),
                text(tool.get("name"))?,
                text(tool.get("description")).unwrap_or_default(),
            ))
        })
        .collect();
    Some(Entry {
        id,
        server: text(e.get("server"))
            .or_else(|| text(tool.get("server")))
            .unwrap_or_else(|| "unknown".into()),
        kind,
        name,
        title: text(tool.get("title")),
        description: description.unwrap_or_default(),
        schema,
        peers,
    })
}
