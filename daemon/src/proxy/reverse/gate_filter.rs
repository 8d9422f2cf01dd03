//! The catalog gate on the reverse proxy. Each client has its own upstream session there,
//! so what it is shown is checked item by item against the hashes the gate let through on
//! the daemon's own session: list pages (JSON or SSE) lose every item whose exact content
//! did not pass, and a call, `prompts/get` or `resources/read` of an item that did not pass
//! is answered with a JSON-RPC error instead of being forwarded.

use bytes::Bytes;
use serde_json::{Value, json};

use crate::catalog::hash;
use crate::gate::Passed;
use crate::protocol::{HeldItem, ItemKind, SseMessage};
use crate::sse::SseParser;

/// What a request asks for, as far as the gate cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// A list whose answer must be filtered: the kind and the result's array field.
    List(ItemKind),
    /// A use of one item (`tools/call`, `prompts/get`, `resources/read`).
    Use {
        kind: ItemKind,
        name: String,
        id: Value,
    },
    /// Anything else: passed through untouched.
    Other,
}

impl Request {
    /// Reads a JSON-RPC request body (a batch or a broken body is `Other`: the upstream
    /// answers it as it would).
    pub fn of(body: &[u8]) -> Self {
        let Ok(message) = serde_json::from_slice::<Value>(body) else {
            return Self::Other;
        };
        let Some(method) = message.get("method").and_then(Value::as_str) else {
            return Self::Other;
        };
        let param = |key: &str| {
            message
                .get("params")
                .and_then(|p| p.get(key))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let id = message.get("id").cloned().unwrap_or(Value::Null);
        let used = |kind: ItemKind, key: &str| match param(key) {
            Some(name) => Self::Use { kind, name, id },
            None => Self::Other,
        };
        match method {
            "tools/list" => Self::List(ItemKind::Tool),
            "prompts/list" => Self::List(ItemKind::Prompt),
            "resources/list" => Self::List(ItemKind::Resource),
            "resources/templates/list" => Self::List(ItemKind::ResourceTemplate),
            "tools/call" => used(ItemKind::Tool, "name"),
            "prompts/get" => used(ItemKind::Prompt, "name"),
            "resources/read" => used(ItemKind::Resource, "uri"),
            _ => Self::Other,
        }
    }
}

/// The JSON-RPC error answering a use of an item that did not pass, or `None` when it may
/// go ahead. A tool or prompt must have passed; a resource may also come from a template,
/// so only one the gate holds is refused.
pub fn refusal(
    kind: ItemKind,
    name: &str,
    id: &Value,
    server: &str,
    passed: &Passed,
    held: Option<&HeldItem>,
) -> Option<Bytes> {
    let refused = match kind {
        ItemKind::Resource => held.is_some(),
        _ => !passed.contains(kind, name),
    };
    if !refused {
        return None;
    }
    let why = held.map_or_else(
        || {
            "mcpproxy has not let it through (it is not in the server's reviewed catalog)"
                .to_owned()
        },
        |held| held.reason.clone(),
    );
    let message =
        format!("{kind} \"{name}\" of server \"{server}\" is held back from agents: {why}");
    let body = json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": {"code": -32602, "message": message},
    });
    Some(Bytes::from(body.to_string()))
}

/// A `tools/call` answer that is a tool error the model can read: mcpproxy refused the
/// call before it reached the server.
pub fn tool_error(id: &Value, message: &str) -> Bytes {
    let body = json!({
        "jsonrpc": "2.0",
        "id": id,
        "result": {"content": [{"type": "text", "text": message}], "isError": true},
    });
    Bytes::from(body.to_string())
}

/// The field of a list result that holds the items, and the key naming each item.
fn fields(kind: ItemKind) -> Option<(&'static str, &'static str)> {
    match kind {
        ItemKind::Tool => Some(("tools", "name")),
        ItemKind::Prompt => Some(("prompts", "name")),
        ItemKind::Resource => Some(("resources", "uri")),
        ItemKind::ResourceTemplate => Some(("resourceTemplates", "uriTemplate")),
        ItemKind::Unknown => None,
    }
}

/// Drops the items that did not pass from one JSON-RPC message, if it is a list result.
fn filter_message(message: &mut Value, kind: ItemKind, passed: &Passed) {
    let Some((field, key)) = fields(kind) else {
        return;
    };
    let Some(items) = message
        .get_mut("result")
        .and_then(|result| result.get_mut(field))
        .and_then(Value::as_array_mut)
    else {
        return;
    };
    items.retain(|item| {
        item.get(key)
            .and_then(Value::as_str)
            .is_some_and(|name| passed.allows(kind, name, &hash::of_item(kind, item)))
    });
}

/// Filters a whole list answer, JSON or an SSE stream of JSON-RPC messages.
pub fn filter_body(body: &[u8], is_sse: bool, kind: ItemKind, passed: &Passed) -> Bytes {
    if !is_sse {
        return match serde_json::from_slice::<Value>(body) {
            Ok(mut message) => {
                filter_message(&mut message, kind, passed);
                Bytes::from(message.to_string())
            }
            // Not JSON: nothing listed that could pass.
            Err(_) => Bytes::copy_from_slice(body),
        };
    }
    let mut messages: Vec<SseMessage> = Vec::new();
    let mut parser = SseParser::default();
    if parser.feed(body, &mut messages).is_err() {
        return Bytes::new();
    }
    // A stream may end without its final blank line.
    let _ = parser.feed(b"\n\n", &mut messages);
    let mut out = String::new();
    for message in messages {
        let data = match serde_json::from_str::<Value>(&message.data) {
            Ok(mut value) => {
                filter_message(&mut value, kind, passed);
                value.to_string()
            }
            Err(_) => message.data,
        };
        if !message.event.is_empty() && message.event != "message" {
            out.push_str("event: ");
            out.push_str(&message.event);
            out.push('\n');
        }
        for line in data.lines() {
            out.push_str("data: ");
            out.push_str(line);
            out.push('\n');
        }
        out.push('\n');
    }
    Bytes::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use crate::gate::{CatalogGate, GateItem, GateStage, Hold};
    use std::sync::Arc;

    struct HoldSecret;

    impl GateStage for HoldSecret {
        fn name(&self) -> &'static str {
            "test"
        }

        fn pass(&self, _server: &str, items: &[GateItem]) -> Vec<Hold> {
            items
                .iter()
                .filter(|i| i.name == "secret")
                .map(|i| Hold {
                    kind: i.kind,
                    name: i.name.clone(),
                    reason: "not for agents".into(),
                })
                .collect()
        }
    }

    fn listed() -> Value {
        json!([
            {"name": "echo", "description": "Echoes", "inputSchema": {"type": "object"}},
            {"name": "secret", "description": "Reads", "inputSchema": {"type": "object"}},
        ])
    }

    fn passed() -> Passed {
        let catalog = Catalog {
            tools: serde_json::from_value(listed()).unwrap_or_default(),
            ..Catalog::default()
        };
        CatalogGate::new(vec![Arc::new(HoldSecret)])
            .pass("s", &catalog)
            .passed
    }

    fn names(message: &Value) -> Vec<&str> {
        message["result"]["tools"]
            .as_array()
            .map(|tools| tools.iter().filter_map(|t| t["name"].as_str()).collect())
            .unwrap_or_default()
    }

    #[test]
    fn json_and_sse_list_pages_lose_held_and_changed_items() {
        let mut tools = listed();
        tools[0]["_meta"] = json!({"vendor": 1});
        let page = json!({"jsonrpc": "2.0", "id": 1, "result": {"tools": tools}});
        let filtered: Value = serde_json::from_slice(&filter_body(
            page.to_string().as_bytes(),
            false,
            ItemKind::Tool,
            &passed(),
        ))
        .unwrap_or_default();
        assert_eq!(names(&filtered), ["echo"]);

        let mut changed = page.clone();
        changed["result"]["tools"][0]["description"] = "Echoes, after reading ~/.ssh".into();
        let sse = format!("event: message\nid: 7\ndata: {changed}\n\n");
        let out = filter_body(sse.as_bytes(), true, ItemKind::Tool, &passed());
        let text = String::from_utf8_lossy(&out);
        let data = text
            .lines()
            .find_map(|l| l.strip_prefix("data: "))
            .unwrap_or_default();
        let filtered: Value = serde_json::from_str(data).unwrap_or_default();
        assert!(names(&filtered).is_empty(), "{text}");
    }

    #[test]
    fn calls_of_items_that_did_not_pass_are_refused() {
        let request = Request::of(
            br#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"secret"}}"#,
        );
        let Request::Use { kind, name, id } = request else {
            panic!("a tools/call is a use");
        };
        let refused = refusal(kind, &name, &id, "s", &passed(), None).unwrap_or_default();
        let refused: Value = serde_json::from_slice(&refused).unwrap_or_default();
        assert_eq!(refused["id"], 3);
        assert_eq!(refused["error"]["code"], -32602);
        assert!(refusal(ItemKind::Tool, "echo", &id, "s", &passed(), None).is_none());
        assert_eq!(Request::of(br#"{"method":"ping"}"#), Request::Other);
    }
}
