//! How `mcpproxy tools call` shows a tool's result to a person: text as it is, structured
//! content as indented JSON, and one line each for images, audio and embedded resources
//! (their bytes are base64 nobody reads in a terminal). `--json` prints the whole result.

use mcpproxy_daemon::protocol::ToolCallResult;
use serde_json::Value;

/// The result as text for a terminal.
pub fn render(result: &ToolCallResult) -> String {
    let structured = result.structured_content.as_ref();
    let mut lines: Vec<String> = result
        .content
        .iter()
        .filter_map(|block| render_block(block, structured))
        .collect();
    if let Some(structured) = structured {
        lines.push(
            serde_json::to_string_pretty(structured).unwrap_or_else(|_| structured.to_string()),
        );
    }
    lines.join("\n")
}

/// One content block; `None` for a text block that only repeats the structured content
/// (servers send it so clients without structured content see the data too).
fn render_block(block: &Value, structured: Option<&Value>) -> Option<String> {
    let field = |name: &str| block.get(name).and_then(Value::as_str);
    let line = match field("type") {
        Some("text") => {
            let text = field("text").unwrap_or_default();
            let repeats = structured
                .is_some_and(|s| serde_json::from_str::<Value>(text).is_ok_and(|t| &t == s));
            if repeats {
                return None;
            }
            text.to_owned()
        }
        Some(kind @ ("image" | "audio")) => format!(
            "[{kind}: {}, {}]",
            field("mimeType").unwrap_or("unknown type"),
            size(decoded_len(field("data").unwrap_or_default()))
        ),
        Some("resource") => embedded(block.get("resource").unwrap_or(&Value::Null)),
        Some("resource_link") => {
            let uri = field("uri").unwrap_or("?");
            match field("name") {
                Some(name) if name != uri => format!("[link: {uri} ({name})]"),
                _ => format!("[link: {uri}]"),
            }
        }
        _ => block.to_string(),
    };
    Some(line)
}

/// An embedded resource: its URI, type and how much it holds.
fn embedded(resource: &Value) -> String {
    let field = |name: &str| resource.get(name).and_then(Value::as_str);
    let uri = field("uri").unwrap_or("?");
    let mime = field("mimeType")
        .map(|m| format!(", {m}"))
        .unwrap_or_default();
    let amount = match (field("text"), field("blob")) {
        (Some(text), _) => format!("{} characters of text", text.chars().count()),
        (None, Some(blob)) => size(decoded_len(blob)),
        (None, None) => "empty".to_owned(),
    };
    format!("[resource: {uri}{mime}, {amount}]")
}

/// How many bytes base64 `data` decodes to.
fn decoded_len(data: &str) -> usize {
    let data = data.trim_end();
    let padding = data.bytes().rev().take_while(|&b| b == b'=').count();
    (data.len() / 4 * 3 + data.len() % 4 * 3 / 4).saturating_sub(padding)
}

fn size(bytes: usize) -> String {
    const KIB: f64 = 1024.0;
    #[expect(
        clippy::cast_precision_loss,
        reason = "a size shown to one decimal place"
    )]
    let value = bytes as f64;
    if value < KIB {
        format!("{bytes} bytes")
    } else if value < KIB * KIB {
        format!("{:.1} KiB", value / KIB)
    } else {
        format!("{:.1} MiB", value / KIB / KIB)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn result(content: Value, structured: Option<Value>) -> ToolCallResult {
        ToolCallResult {
            tool: "demo:x".to_owned(),
            is_error: false,
            content: serde_json::from_value(content).unwrap(),
            structured_content: structured,
            duration_ms: 1,
        }
    }

    #[test]
    fn text_is_shown_as_it_is() {
        let shown = render(&result(
            json!([{"type": "text", "text": "hello\nworld"}]),
            None,
        ));
        assert_eq!(shown, "hello\nworld");
    }

    #[test]
    fn structured_content_is_indented_json_and_its_text_copy_is_not_repeated() {
        let data = json!({"result": 42, "expression": "6*7"});
        let shown = render(&result(
            json!([{"type": "text", "text": data.to_string()}]),
            Some(data.clone()),
        ));
        assert_eq!(shown, serde_json::to_string_pretty(&data).unwrap());
    }

    #[test]
    fn images_audio_and_resources_are_one_line_each() {
        let shown = render(&result(
            json!([
                {"type": "image", "mimeType": "image/png", "data": "iVBORw0KGgo="},
                {"type": "audio", "mimeType": "audio/wav", "data": "A".repeat(4096)},
                {"type": "resource", "resource": {"uri": "file:///a.txt", "mimeType": "text/plain", "text": "abc"}},
                {"type": "resource", "resource": {"uri": "file:///b.bin", "blob": "AAAA"}},
                {"type": "resource_link", "uri": "file:///c", "name": "c file"},
            ]),
            None,
        ));
        assert_eq!(
            shown,
            "[image: image/png, 8 bytes]\n\
             [audio: audio/wav, 3.0 KiB]\n\
             [resource: file:///a.txt, text/plain, 3 characters of text]\n\
             [resource: file:///b.bin, 3 bytes]\n\
             [link: file:///c (c file)]"
        );
    }

    #[test]
    fn base64_lengths_count_padding() {
        assert_eq!(decoded_len("TWFu"), 3);
        assert_eq!(decoded_len("TWE="), 2);
        assert_eq!(decoded_len("TQ=="), 1);
        assert_eq!(decoded_len(""), 0);
    }
}
