//! The demo's resources, so clients see the resources capability working next to tools:
//! a page about the server, and the live tool list as JSON.

use rmcp::ErrorData;
use rmcp::model::{Resource, ResourceContents, Tool};

const ABOUT_URI: &str = "demo://about";
const TOOLS_URI: &str = "demo://tools";

const ABOUT: &str = "\
# mcpproxy demo server

A small MCP server built into mcpproxy (`mcpproxy demo-server`), for trying the proxy and
for testing it. It works offline.

- Time: `current_time`, `convert_time`, `time_until` (IANA zones, such as Europe/Paris).
- Arithmetic: `calculate` (+ - * / % ^, parentheses, sqrt, ln, sin, pi, e, ...).
- Text: `text_stats`, `change_case`, `slugify`.
- Prompts: `explain_time_zone`, `check_calculation`.
- Resources: `demo://about` (this page) and `demo://tools` (the current tool list).

With `--test-tools` it also offers tools that misbehave on purpose: `echo`, `slow` (progress
and cancellation), `fail`, `crash`, `mutate_tools` (tool list changes), `ask_user`
(elicitation) and `ask_model` (sampling). It then also carries the fixtures of the official
MCP conformance suite: the `test_*` tools, `json_schema_2020_12_tool`, the `test://`
resources and template, the `test_*` prompts, completion, logging and resource
subscriptions (`update_watched_resource` changes `test://watched-resource`).
";

pub(crate) fn list() -> Vec<Resource> {
    vec![
        Resource::new(ABOUT_URI, "about")
            .with_title("About the demo server")
            .with_description("What this server is and what it offers")
            .with_mime_type("text/markdown")
            .with_size(ABOUT.len() as u64),
        Resource::new(TOOLS_URI, "tools")
            .with_title("Current tool list")
            .with_description(
                "The tools this server offers right now, as JSON (it grows with mutate_tools)",
            )
            .with_mime_type("application/json"),
    ]
}

/// Reads the resource at `uri`; `tools` is the current tool list, for `demo://tools`.
pub(crate) fn read(uri: &str, tools: &[Tool]) -> Result<ResourceContents, ErrorData> {
    match uri {
        ABOUT_URI => Ok(ResourceContents::text(ABOUT, uri).with_mime_type("text/markdown")),
        TOOLS_URI => {
            let json = serde_json::to_string_pretty(&serde_json::json!({ "tools": tools }))
                .map_err(|e| {
                    ErrorData::internal_error(format!("cannot encode the tool list: {e}"), None)
                })?;
            Ok(ResourceContents::text(json, uri).with_mime_type("application/json"))
        }
        other => Err(ErrorData::resource_not_found(
            format!("no resource '{other}': this server has {ABOUT_URI} and {TOOLS_URI}"),
            None,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_resource_reads() {
        for resource in list() {
            let contents = read(&resource.uri, &[]).unwrap();
            let ResourceContents::TextResourceContents { mime_type, .. } = contents else {
                panic!("{} is not text", resource.uri);
            };
            assert_eq!(mime_type, resource.mime_type);
        }
        assert!(read("demo://nothing", &[]).is_err());
    }
}
