//! Tool search through the real daemon: `retrieve_tools` on `/mcp/call`, `tools search` and
//! `GET /api/v1/tools/search`, over the catalog a new user has (the demo server,
//! server-everything and mcp-server-time), with and without the search model.

use std::time::Duration;

use mcpproxy_daemon::protocol::{SearchModel, SearchStatus, ServerState, ToolSearch};
use rmcp::RoleClient;
use rmcp::service::RunningService;
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::proxy_surfaces::{call, client};
use crate::support::daemon::{mcpproxy, temp_data_dir};
use crate::support::{TestDaemon, peers, wait_until};

const READY: Duration = Duration::from_secs(60);
/// Reading 25 tools takes a few seconds on 2 busy cores.
const VECTORS_READY: Duration = Duration::from_secs(120);

/// Requests as a person or an agent would put them, each with the tools that do it (two
/// servers both tell the time). Written from what the tools do, not from how they are
/// described.
const REQUESTS: [(&str, &[&str]); 16] = [
    (
        "what time is it in Tokyo",
        &["demo:current_time", "time:get_current_time"],
    ),
    (
        "convert 3pm New York time to London",
        &["demo:convert_time", "time:convert_time"],
    ),
    ("add two numbers", &["everything:get-sum", "demo:calculate"]),
    ("how many words are in this paragraph", &["demo:text_stats"]),
    ("make this text uppercase", &["demo:change_case"]),
    ("turn a title into a url slug", &["demo:slugify"]),
    ("compress a file", &["everything:gzip-file-as-resource"]),
    ("show me the environment variables", &["everything:get-env"]),
    ("repeat my message back", &["everything:echo"]),
    ("get a small image", &["everything:get-tiny-image"]),
    ("how many days until christmas", &["demo:time_until"]),
    ("evaluate 17 * 23 + 4", &["demo:calculate"]),
    (
        "ask the user for input",
        &["everything:trigger-elicitation-request"],
    ),
    (
        "run a long task with progress",
        &["everything:trigger-long-running-operation"],
    ),
    ("list the roots", &["everything:get-roots-list"]),
    ("research a topic", &["everything:simulate-research-query"]),
];

/// A fresh data dir whose config runs the three servers.
fn catalog_dir() -> TempDir {
    let everything = peers::server_everything();
    let time = peers::mcp_server_time();
    let dir = temp_data_dir();
    let config = format!(
        "listen = \"127.0.0.1:0\"\n\n\
         [servers.demo]\nbuiltin = \"demo\"\n\n\
         [servers.everything]\ncommand = \"node\"\nargs = [\"{}\", \"stdio\"]\n\n\
         [servers.time]\ncommand = \"{}\"\n",
        everything.display(),
        time.display()
    );
    std::fs::write(dir.path().join("config.toml"), config).unwrap();
    dir
}

/// Installs the search model into `dir` the way a user does (`model install --from`).
fn install_model(dir: &TempDir) {
    let output = mcpproxy(dir.path())
        .arg("--data-dir")
        .arg(dir.path())
        .args(["model", "install", "--from"])
        .arg(peers::search_model())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "model install: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

async fn start(dir: TempDir) -> (TestDaemon, RunningService<RoleClient, ()>) {
    let daemon = TestDaemon::start_in(dir, &[]).await;
    for server in ["demo", "everything", "time"] {
        daemon.wait_state(server, ServerState::Ready, READY).await;
    }
    let listen = daemon.status().await.listen.unwrap();
    let mcp = client(&format!("http://{listen}/mcp/call"), None)
        .await
        .unwrap();
    (daemon, mcp)
}

async fn search_status(daemon: &TestDaemon) -> SearchStatus {
    daemon
        .status()
        .await
        .search
        .expect("the daemon reports search")
}

/// Waits until every tool of the three servers has its vector.
async fn wait_semantic(daemon: &TestDaemon) -> SearchStatus {
    let client = daemon.client.clone();
    wait_until(VECTORS_READY, "search to rank by meaning", || {
        let client = client.clone();
        async move {
            let search = client.status().await.ok()?.search?;
            (search.semantic && search.tools >= 25).then_some(search)
        }
    })
    .await
}

/// `retrieve_tools`' answer: the ids in order, and the whole body.
async fn retrieve(mcp: &RunningService<RoleClient, ()>, query: &str) -> (Vec<String>, Value) {
    let result = call(mcp, "retrieve_tools", json!({"query": query, "limit": 5})).await;
    assert_ne!(result.is_error, Some(true), "{query}: {result:?}");
    let body = result.structured_content.unwrap();
    let ids = body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect();
    (ids, body)
}

/// How many of [`REQUESTS`] get a right tool first; the misses, for the failure message.
async fn right_first(mcp: &RunningService<RoleClient, ()>) -> (usize, Vec<String>) {
    let mut misses = Vec::new();
    for (query, right) in REQUESTS {
        let (ids, _) = retrieve(mcp, query).await;
        if !ids.first().is_some_and(|id| right.contains(&id.as_str())) {
            misses.push(format!("{query:?} → {ids:?} (want one of {right:?})"));
        }
    }
    (REQUESTS.len() - misses.len(), misses)
}

/// Names and junk, whichever ranking answers.
async fn names_first_and_junk_returns_little(mcp: &RunningService<RoleClient, ()>) {
    for (query, tool) in [
        ("slugify", "demo:slugify"),
        ("get_current_time", "time:get_current_time"),
        ("everything:echo", "everything:echo"),
        ("time:convert_time", "time:convert_time"),
    ] {
        let (ids, body) = retrieve(mcp, query).await;
        assert_eq!(
            ids.first().map(String::as_str),
            Some(tool),
            "{query}: {body}"
        );
    }
    for junk in [
        "xylophone banana quantum",
        "purple elephant marmalade gravity",
    ] {
        let (ids, body) = retrieve(mcp, junk).await;
        assert!(ids.len() <= 1, "{junk}: {body}");
    }
}

/// With the model: the right tool first for at least 14 of the 16 requests; names and junk
/// as always; and a restart with the same catalog makes no vector again.
#[tokio::test]
async fn retrieve_tools_ranks_by_meaning_with_the_model() {
    let dir = catalog_dir();
    install_model(&dir);
    let (mut daemon, mcp) = start(dir).await;
    let first = wait_semantic(&daemon).await;
    assert_eq!(first.model, SearchModel::Ready);
    assert_eq!(
        first.embedded, first.tools,
        "a fresh data dir has no vectors"
    );
    let (right, misses) = right_first(&mcp).await;
    eprintln!("with the model: right tool first for {right} of 16; misses: {misses:#?}");
    assert!(right >= 14, "{right} of 16; misses:\n{}", misses.join("\n"));
    names_first_and_junk_returns_little(&mcp).await;
    let (_, body) = retrieve(&mcp, "what time is it in Tokyo").await;
    assert!(body.get("note").is_none(), "{body}");

    drop(mcp);
    daemon.signal_and_wait(rustix::process::Signal::TERM, Duration::from_secs(15));
    let (daemon, _mcp) = start(daemon.into_dir()).await;
    let again = wait_semantic(&daemon).await;
    assert_eq!(again.embedded, 0, "vectors come from the cache: {again:?}");
    assert_eq!(again.with_vectors, again.tools);
}

/// Without the model: search ranks on words, says so once, and still finds most tools;
/// names and junk as with the model; the CLI and the control API rank the same way; a
/// disabled server's tools are not found.
#[tokio::test]
async fn retrieve_tools_ranks_by_words_without_the_model() {
    let (daemon, mcp) = start(catalog_dir()).await;
    let search = search_status(&daemon).await;
    assert_eq!(search.model, SearchModel::Unavailable, "{search:?}");
    assert!(!search.semantic);
    let (right, misses) = right_first(&mcp).await;
    eprintln!("by words: right tool first for {right} of 16; misses: {misses:#?}");
    assert!(right >= 13, "{right} of 16; misses:\n{}", misses.join("\n"));
    names_first_and_junk_returns_little(&mcp).await;
    let (_, body) = retrieve(&mcp, "what time is it in Tokyo").await;
    let note = body["note"].as_str().unwrap_or_default();
    assert!(note.contains("mcpproxy model install"), "{body}");

    // The CLI: the same ranking, as JSON and as text.
    let output = daemon.cli(&["tools", "search", "list the roots", "--json"]);
    assert!(output.status.success(), "{output:?}");
    let found: ToolSearch = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(found.results[0].tool.id, "everything:get-roots-list");
    assert_eq!(found.total_tools, 25);
    let output = daemon.cli(&["tools", "search", "how many days until christmas"]);
    let text = String::from_utf8_lossy(&output.stdout);
    let first = text.lines().nth(1).unwrap_or_default();
    assert!(first.starts_with("demo:time_until "), "{text}");
    assert!(text.contains("mcpproxy model install"), "{text}");
    let output = daemon.cli(&["tools", "search", "time", "--limit", "0"]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");

    // A disabled server's tools are gone from search, and from the index, when the
    // command returns.
    let output = daemon.cli(&["upstream", "disable", "time"]);
    assert!(output.status.success(), "{output:?}");
    let status = search_status(&daemon).await;
    assert_eq!(status.tools, 23, "{status:?}");
    let found = daemon
        .client
        .search_tools("convert time between timezones", 10)
        .await
        .unwrap();
    assert!(
        found.results.iter().all(|m| m.tool.server != "time"),
        "{found:#?}"
    );
}
