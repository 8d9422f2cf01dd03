//! Calling a tool from the TUI: the JSON argument editor, prefilled from the tool's input
//! schema, and the result as lines to show (text, pretty JSON, images as a one-line summary).

use mcpproxy_daemon::protocol::ToolCallResult;
use serde_json::{Map, Value};

use super::editor::TextArea;
use crate::action::Failure;

/// The arguments of one call being written.
#[derive(Debug, Clone, PartialEq)]
pub struct ArgumentEditor {
    /// `server:tool`.
    pub tool: String,
    pub area: TextArea,
    /// Why the text is not a JSON object, when the call was tried.
    pub error: Option<String>,
}

impl ArgumentEditor {
    /// An editor for `tool`, holding a skeleton of its arguments with the cursor in the
    /// first value to fill in.
    pub fn new(tool: &str, input_schema: &Value) -> Self {
        let (text, cursor) = skeleton(input_schema);
        let mut area = TextArea::new(&text);
        area.move_to(cursor.0, cursor.1);
        Self {
            tool: tool.to_owned(),
            area,
            error: None,
        }
    }

    /// The arguments, or where the JSON is wrong.
    pub fn arguments(&self) -> Result<Map<String, Value>, String> {
        let text = self.area.text();
        if text.trim().is_empty() {
            return Ok(Map::new());
        }
        match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(other) => Err(format!(
                "the arguments must be a JSON object {{...}}, not {}",
                kind_of(&other)
            )),
            Err(e) => Err(format!("not valid JSON: {e}")),
        }
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A pretty JSON object with the schema's required properties (and those with a default),
/// and where the cursor goes: inside the first empty string, else on the first value.
pub fn skeleton(schema: &Value) -> (String, (usize, usize)) {
    let object = match placeholder(schema) {
        Value::Object(map) if !map.is_empty() => map,
        _ => return ("{\n  \n}".to_owned(), (1, 2)),
    };
    let text = serde_json::to_string_pretty(&Value::Object(object)).unwrap_or_default();
    let cursor = text
        .lines()
        .enumerate()
        .find_map(|(row, line)| line.find(": \"\"").map(|at| (row, at + 3)))
        .or_else(|| {
            text.lines()
                .enumerate()
                .find_map(|(row, line)| line.find(": ").map(|at| (row, at + 2)))
        })
        .unwrap_or((0, 1));
    // Byte offsets above are char offsets too: keys are JSON-escaped ASCII up to ": ".
    (text, cursor)
}

/// A value of the shape `schema` asks for: its default, its first allowed value, or an
/// empty value of its type.
fn placeholder(schema: &Value) -> Value {
    if let Some(default) = schema.get("default") {
        return default.clone();
    }
    if let Some(value) = schema.get("const") {
        return value.clone();
    }
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return first.clone();
    }
    for union in ["anyOf", "oneOf"] {
        if let Some(branches) = schema.get(union).and_then(Value::as_array)
            && let Some(branch) = branches
                .iter()
                .find(|b| b.get("type").and_then(Value::as_str) != Some("null"))
        {
            return placeholder(branch);
        }
    }
    let kind = match schema.get("type") {
        Some(Value::String(kind)) => kind.as_str(),
        Some(Value::Array(kinds)) => kinds
            .iter()
            .filter_map(Value::as_str)
            .find(|k| *k != "null")
            .unwrap_or("null"),
        _ if schema.get("properties").is_some() => "object",
        _ => "string",
    };
    match kind {
        "object" => {
            let required: Vec<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let mut object = Map::new();
            if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
                for (name, property) in properties {
                    if required.contains(&name.as_str()) || property.get("default").is_some() {
                        object.insert(name.clone(), placeholder(property));
                    }
                }
            }
            Value::Object(object)
        }
        "array" => Value::Array(Vec::new()),
        "integer" | "number" => Value::from(0),
        "boolean" => Value::Bool(false),
        "null" => Value::Null,
        _ => Value::String(String::new()),
    }
}

/// A property of a tool's input schema, for the schema preview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameter {
    pub name: String,
    pub kind: String,
    pub required: bool,
    pub description: String,
}

pub fn parameters(schema: &Value) -> Vec<Parameter> {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    let mut list: Vec<Parameter> = properties
        .iter()
        .map(|(name, property)| Parameter {
            name: name.clone(),
            kind: type_name(property),
            required: required.contains(&name.as_str()),
            description: property
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
        })
        .collect();
    list.sort_by_key(|p| !p.required);
    list
}

fn type_name(schema: &Value) -> String {
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let values: Vec<String> = values.iter().map(Value::to_string).collect();
        return values.join(" | ");
    }
    match schema.get("type") {
        Some(Value::String(kind)) if kind == "array" => {
            let item = schema
                .get("items")
                .map(type_name)
                .unwrap_or_else(|| "any".into());
            format!("{item}[]")
        }
        Some(Value::String(kind)) => kind.clone(),
        Some(Value::Array(kinds)) => kinds
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" | "),
        _ => "any".to_owned(),
    }
}

/// A call made from the TUI: running, or what came back.
#[derive(Debug, Clone, PartialEq)]
pub struct CallView {
    pub tool: String,
    pub outcome: Option<Result<ToolCallResult, Failure>>,
    pub scroll: usize,
}

/// How a result line is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    Text,
    /// A summary in place of content that is not text (an image, audio, a resource).
    Note,
    Error,
}

/// The result's content as lines: text as is (JSON text pretty-printed), other blocks as a
/// one-line summary; structured content when nothing else shows it.
pub fn result_lines(result: &ToolCallResult) -> Vec<(LineKind, String)> {
    let text_kind = if result.is_error {
        LineKind::Error
    } else {
        LineKind::Text
    };
    let mut lines = Vec::new();
    let push_text = |lines: &mut Vec<(LineKind, String)>, text: &str| {
        let pretty = serde_json::from_str::<Value>(text)
            .ok()
            .filter(|v| v.is_object() || v.is_array())
            .and_then(|v| serde_json::to_string_pretty(&v).ok());
        for line in pretty.as_deref().unwrap_or(text).lines() {
            lines.push((text_kind, line.to_owned()));
        }
    };
    let mut shown_text = false;
    for block in &result.content {
        let kind = block.get("type").and_then(Value::as_str).unwrap_or("");
        let field = |name: &str| block.get(name).and_then(Value::as_str).unwrap_or("");
        match kind {
            "text" => {
                push_text(&mut lines, field("text"));
                shown_text = true;
            }
            "image" | "audio" => lines.push((
                LineKind::Note,
                format!(
                    "[{kind} {}, {}]",
                    field("mimeType"),
                    size_of_base64(field("data"))
                ),
            )),
            "resource_link" => lines.push((
                LineKind::Note,
                format!("[link {} {}]", field("name"), field("uri")),
            )),
            "resource" => {
                let resource = block.get("resource").cloned().unwrap_or(Value::Null);
                let uri = resource.get("uri").and_then(Value::as_str).unwrap_or("");
                lines.push((LineKind::Note, format!("[resource {uri}]")));
                if let Some(text) = resource.get("text").and_then(Value::as_str) {
                    push_text(&mut lines, text);
                } else if let Some(blob) = resource.get("blob").and_then(Value::as_str) {
                    lines.push((
                        LineKind::Note,
                        format!("[binary, {}]", size_of_base64(blob)),
                    ));
                }
            }
            _ => {
                let pretty = serde_json::to_string_pretty(block).unwrap_or_default();
                lines.extend(pretty.lines().map(|l| (text_kind, l.to_owned())));
            }
        }
    }
    if !shown_text && let Some(structured) = &result.structured_content {
        let pretty = serde_json::to_string_pretty(structured).unwrap_or_default();
        lines.extend(pretty.lines().map(|l| (text_kind, l.to_owned())));
    }
    if lines.is_empty() {
        lines.push((LineKind::Note, "(no content)".to_owned()));
    }
    lines
}

/// The decoded size of base64 data, for people ("1.2 KiB").
fn size_of_base64(data: &str) -> String {
    let padding = data.bytes().rev().take_while(|b| *b == b'=').count();
    let bytes = (data.len() / 4 * 3).saturating_sub(padding);
    human_bytes(u64::try_from(bytes).unwrap_or(u64::MAX))
}

pub fn human_bytes(bytes: u64) -> String {
    #[allow(clippy::cast_precision_loss)] // a display figure
    let value = bytes as f64;
    if bytes < 1024 {
        format!("{bytes} B")
    } else if bytes < 1024 * 1024 {
        format!("{:.1} KiB", value / 1024.0)
    } else {
        format!("{:.1} MiB", value / (1024.0 * 1024.0))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_skeleton_fills_required_and_defaulted_properties() {
        let schema = json!({
            "type": "object",
            "properties": {
                "expression": {"type": "string"},
                "precision": {"type": "integer", "default": 2},
                "unit": {"enum": ["m", "ft"]},
                "verbose": {"type": "boolean"},
                "tags": {"type": "array", "items": {"type": "string"}},
            },
            "required": ["expression", "unit", "tags"],
        });
        let (text, cursor) = skeleton(&schema);
        assert_eq!(
            text,
            "{\n  \"expression\": \"\",\n  \"precision\": 2,\n  \"tags\": [],\n  \"unit\": \"m\"\n}"
        );
        assert_eq!(cursor, (1, 17));
        let editor = ArgumentEditor::new("demo:calc", &schema);
        assert_eq!(editor.area.cursor(), (1, 17));
        assert_eq!(editor.arguments().unwrap()["precision"], 2);
        assert_eq!(skeleton(&json!({"type": "object"})).1, (1, 2));
    }

    #[test]
    fn wrong_arguments_say_what_is_wrong() {
        let mut editor = ArgumentEditor::new("t", &json!({}));
        assert_eq!(editor.arguments().unwrap(), Map::new());
        editor.area = TextArea::new("[1]");
        assert!(editor.arguments().unwrap_err().contains("not an array"));
        editor.area = TextArea::new("{\"a\": }");
        assert!(editor.arguments().unwrap_err().contains("line 1 column 7"));
    }

    #[test]
    fn parameters_list_required_ones_first() {
        let schema = json!({
            "properties": {"a": {"type": "string"}, "b": {"type": "array", "items": {"type": "integer"}, "description": "nums"}},
            "required": ["b"],
        });
        let list = parameters(&schema);
        assert_eq!(
            (
                list[0].name.as_str(),
                list[0].kind.as_str(),
                list[0].required
            ),
            ("b", "integer[]", true)
        );
    }

    #[test]
    fn results_show_text_pretty_json_and_summaries() {
        let result = ToolCallResult {
            tool: "demo:x".into(),
            is_error: false,
            content: vec![
                json!({"type": "text", "text": "{\"result\":42}"}),
                json!({"type": "image", "data": "iVBORw0KGgo=", "mimeType": "image/png"}),
            ],
            structured_content: Some(json!({"result": 42})),
            duration_ms: 3,
        };
        let lines: Vec<String> = result_lines(&result).into_iter().map(|(_, l)| l).collect();
        assert_eq!(
            lines,
            ["{", "  \"result\": 42", "}", "[image image/png, 8 B]"]
        );
    }
}
