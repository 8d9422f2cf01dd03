//! The index without the model: what the lexical ranking, the name path, filters and
//! updates do. The model's quality is tested through `mcpproxy eval search` (tests/search.rs).

use super::*;
use crate::protocol::ToolHints;

fn tool(server: &str, name: &str, description: &str) -> ToolView {
    ToolView {
        id: format!("{server}:{name}"),
        server: server.to_owned(),
        name: name.to_owned(),
        title: None,
        description: description.to_owned(),
        input_schema: serde_json::json!({"type": "object", "properties": {"path": {}}}),
        output_schema: None,
        annotations: ToolHints::default(),
    }
}

fn index() -> ToolIndex {
    let index = ToolIndex::new(IndexOptions::lexical_only()).unwrap();
    index
        .upsert(
            "files",
            &[
                tool(
                    "files",
                    "read_text_file",
                    "Read the contents of a text file",
                ),
                tool("files", "write_file", "Create or overwrite a file"),
                tool("files", "listDirectory", "List the entries of a folder"),
            ],
        )
        .unwrap();
    index
        .upsert(
            "trains",
            &[tool("trains", "get-tickets", "查询12306余票信息。")],
        )
        .unwrap();
    index
        .upsert(
            "clock",
            &[tool(
                "clock",
                "get_current_time",
                "Current time in a timezone",
            )],
        )
        .unwrap();
    index
}

fn ids(hits: &[Hit]) -> Vec<&str> {
    hits.iter().map(|h| h.id.as_str()).collect()
}

#[test]
fn words_rank_and_stop_words_do_not_match() {
    let index = index();
    let hits = index.search("what time is it in Tokyo", 5);
    assert_eq!(ids(&hits), ["clock:get_current_time"]);
    assert_eq!(hits[0].ranked_by, RankedBy::Words);
    assert!(index.search("is it in the", 5).is_empty());
    assert_eq!(
        ids(&index.search("list directories", 5))[0],
        "files:listDirectory"
    );
}

#[test]
fn names_and_close_typos_come_first() {
    let index = index();
    let hits = index.search("write_file", 5);
    assert_eq!(hits[0].id, "files:write_file");
    assert_eq!(hits[0].ranked_by, RankedBy::Name);
    assert_eq!(
        index.search("FILES:Read_Text_File", 5)[0].id,
        "files:read_text_file"
    );
    assert_eq!(
        index.search("read_txet_file", 5)[0].id,
        "files:read_text_file"
    );
    assert_eq!(
        index.search("listdirectory", 5)[0].id,
        "files:listDirectory"
    );
}

#[test]
fn cjk_text_is_searched_in_pairs() {
    let index = index();
    assert_eq!(ids(&index.search("余票查询", 5)), ["trains:get-tickets"]);
}

#[test]
fn server_filters_narrow_and_list() {
    let index = index();
    let hits = index.search("file server:files", 10);
    assert!(!hits.is_empty() && hits.iter().all(|h| h.server == "files"));
    assert!(index.search("file server:clock", 10).is_empty());
    assert_eq!(index.search("server:trains", 10).len(), 1);
}

#[test]
fn upsert_replaces_and_remove_forgets_a_server() {
    let index = index();
    index
        .upsert("files", &[tool("files", "delete_file", "Delete a file")])
        .unwrap();
    assert!(!ids(&index.search("read_text_file", 5)).contains(&"files:read_text_file"));
    assert_eq!(index.search("delete a file", 5)[0].id, "files:delete_file");
    index.remove("files").unwrap();
    assert!(index.search("delete a file", 5).is_empty());
    let status = index.status();
    assert_eq!(status.progress.tools, 2);
    assert_eq!(status.model, ModelState::Off);
    assert!(!status.semantic);
}

#[test]
fn a_missing_model_leaves_search_on_words() {
    let dir = tempfile::tempdir().unwrap();
    let index = ToolIndex::new(IndexOptions {
        model_dir: Some(dir.path().join("none")),
        ..IndexOptions::lexical_only()
    })
    .unwrap();
    index
        .upsert(
            "clock",
            &[tool("clock", "get_current_time", "Current time")],
        )
        .unwrap();
    let status = index.wait_settled(Duration::from_secs(10));
    assert!(
        matches!(&status.model, ModelState::Unavailable { hint, .. } if hint.contains("mcpproxy model install")),
        "{status:?}"
    );
    assert_eq!(
        index.search("current time", 5)[0].ranked_by,
        RankedBy::Words
    );
}

#[test]
fn a_compound_the_tools_do_not_use_is_read_as_its_two_words() {
    let index = ToolIndex::new(IndexOptions::lexical_only()).unwrap();
    index
        .upsert(
            "text",
            &[
                tool(
                    "text",
                    "change_case",
                    "Rewrite a text in upper or lower case",
                ),
                tool("text", "word_stats", "Count the words of a text"),
            ],
        )
        .unwrap();
    let hits = index.search("make this uppercase", 5);
    assert_eq!(ids(&hits).first(), Some(&"text:change_case"), "{hits:?}");
    // A word the tools do use stays whole, and an unknown word with no known halves is kept.
    assert_eq!(ids(&index.search("count words", 5)), ["text:word_stats"]);
    assert!(index.search("xylophones", 5).is_empty());
}

#[test]
fn a_derivation_the_tools_do_not_use_is_read_as_the_word_they_use() {
    let index = ToolIndex::new(IndexOptions::lexical_only()).unwrap();
    index
        .upsert(
            "graph",
            &[
                tool(
                    "graph",
                    "create_relations",
                    "Create relations between entities",
                ),
                tool("graph", "open_nodes", "Open nodes by their names"),
            ],
        )
        .unwrap();
    assert_eq!(
        ids(&index.search("add a relationship", 5)),
        ["graph:create_relations"]
    );
    // A stem of fewer than five letters is too short to stand for a word ("namesake", name).
    assert!(index.search("namesake", 5).is_empty());
}

/// Each change takes a writer of its own: many in a row (a start with many servers) all
/// land, and a server's tools can be replaced and removed.
#[test]
fn changes_in_a_row_each_land() {
    let index = ToolIndex::new(IndexOptions::lexical_only()).unwrap();
    for i in 0..30 {
        let server = format!("s{i}");
        index
            .upsert(&server, &[tool(&server, "convert_time", "Convert a time")])
            .unwrap();
    }
    assert_eq!(index.search("convert", 50).len(), 30);
    index
        .upsert("s1", &[tool("s1", "get_weather", "Weather now")])
        .unwrap();
    let found: Vec<String> = index
        .search("weather", 10)
        .into_iter()
        .map(|h| h.id)
        .collect();
    assert_eq!(found, ["s1:get_weather"]);
    index.remove("s1").unwrap();
    assert!(index.search("weather", 10).is_empty());
    assert_eq!(index.status().progress.tools, 29);
}
