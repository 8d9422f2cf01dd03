//! An item's content hash: SHA-256 over the parts of it an agent reads (for a tool: name,
//! title, description, input and output schema, annotations), written as canonical JSON
//! (keys sorted, no spaces). The same item hashes the same whether it was read through
//! rmcp's typed model or straight off the wire (the reverse proxy's list pages), because
//! only fields both keep are hashed.

use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};

use crate::protocol::ItemKind;

/// A hex SHA-256 of an item's canonical content.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ItemHash(String);

impl ItemHash {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ItemHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The fields of each kind that are hashed; everything else (`_meta`, icons, fields a newer
/// revision adds) may change without making the item a new one.
fn hashed_fields(kind: ItemKind) -> &'static [&'static str] {
    match kind {
        ItemKind::Tool => &[
            "name",
            "title",
            "description",
            "inputSchema",
            "outputSchema",
            "annotations",
        ],
        ItemKind::Prompt => &["name", "title", "description", "arguments"],
        ItemKind::Resource => &["uri", "name", "title", "description", "mimeType"],
        ItemKind::ResourceTemplate => &["uriTemplate", "name", "title", "description", "mimeType"],
        ItemKind::Unknown => &[],
    }
}

/// Annotation keys a tool's hash covers (those of MCP's `ToolAnnotations`).
const TOOL_ANNOTATIONS: &[&str] = &[
    "title",
    "readOnlyHint",
    "destructiveHint",
    "idempotentHint",
    "openWorldHint",
];

/// Prompt-argument keys a prompt's hash covers.
const PROMPT_ARGUMENT: &[&str] = &["name", "title", "description", "required"];

/// The hash of an item given as its MCP JSON (as listed by the server).
pub fn of_item(kind: ItemKind, item: &Value) -> ItemHash {
    let mut picked = Map::new();
    for field in hashed_fields(kind) {
        let Some(value) = item.get(*field) else {
            continue;
        };
        let value = match (kind, *field) {
            (ItemKind::Tool, "annotations") => pick(value, TOOL_ANNOTATIONS),
            (ItemKind::Prompt, "arguments") => match value {
                Value::Array(arguments) => Value::Array(
                    arguments
                        .iter()
                        .map(|argument| pick(argument, PROMPT_ARGUMENT))
                        .collect(),
                ),
                other => other.clone(),
            },
            _ => value.clone(),
        };
        if !value.is_null() {
            picked.insert((*field).to_owned(), value);
        }
    }
    let mut canonical = String::new();
    write_canonical(&Value::Object(picked), &mut canonical);
    let digest = Sha256::digest(canonical.as_bytes());
    ItemHash(digest.iter().map(|b| format!("{b:02x}")).collect())
}

/// The hash of an item of rmcp's typed model.
pub fn of<T: serde::Serialize>(kind: ItemKind, item: &T) -> ItemHash {
    of_item(kind, &serde_json::to_value(item).unwrap_or(Value::Null))
}

/// The named keys of an object (absent and null ones left out).
fn pick(value: &Value, keys: &[&str]) -> Value {
    match value {
        Value::Object(object) => Value::Object(
            keys.iter()
                .filter_map(|key| {
                    object
                        .get(*key)
                        .filter(|v| !v.is_null())
                        .map(|v| ((*key).to_owned(), v.clone()))
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// JSON with object keys sorted at every level and no insignificant whitespace.
fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(object) => {
            let mut keys: Vec<&String> = object.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(&object[key], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn key_order_meta_and_unknown_annotations_do_not_change_the_hash() {
        let a = json!({"name": "t", "description": "d", "inputSchema": {"type": "object", "properties": {"a": {}, "b": {}}},
            "annotations": {"readOnlyHint": true}});
        let b = json!({"inputSchema": {"properties": {"b": {}, "a": {}}, "type": "object"}, "description": "d", "name": "t",
            "_meta": {"x": 1}, "annotations": {"readOnlyHint": true, "vendorHint": 3}});
        assert_eq!(of_item(ItemKind::Tool, &a), of_item(ItemKind::Tool, &b));
    }

    #[test]
    fn a_changed_description_or_schema_changes_the_hash() {
        let a = json!({"name": "t", "description": "d", "inputSchema": {"type": "object"}});
        let b = json!({"name": "t", "description": "d!", "inputSchema": {"type": "object"}});
        let c = json!({"name": "t", "description": "d", "inputSchema": {"type": "object", "required": ["x"]}});
        let (ha, hb, hc) = (
            of_item(ItemKind::Tool, &a),
            of_item(ItemKind::Tool, &b),
            of_item(ItemKind::Tool, &c),
        );
        assert_ne!(ha, hb);
        assert_ne!(ha, hc);
        assert_eq!(ha.as_str().len(), 64);
    }

    #[test]
    fn typed_and_wire_forms_of_a_tool_hash_alike() {
        let wire = json!({
            "name": "echo",
            "description": "Echoes",
            "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}},
            "annotations": {"readOnlyHint": true, "openWorldHint": false},
            "icons": [{"src": "x.png"}]
        });
        let typed: rmcp::model::Tool = serde_json::from_value(wire.clone()).unwrap();
        assert_eq!(of(ItemKind::Tool, &typed), of_item(ItemKind::Tool, &wire));
    }
}
