//! What the bridge reads from a message to route it (kind, method, id, protocol version),
//! and the HTTP headers the streamable HTTP transport derives from it. A message is never
//! re-encoded: the bytes a peer sent are the bytes passed on.

use bytes::Bytes;
use hyper::header::{HeaderName, HeaderValue};
use serde::Deserialize;
use serde_json::{Map, Value, json};

/// The first protocol version without `initialize`: requests carry their version in `_meta`,
/// need no session, and POSTs carry the SEP-2243 headers.
pub const STATELESS_VERSION: &str = "2026-07-28";

const META_PROTOCOL_VERSION: &str = "io.modelcontextprotocol/protocolVersion";

pub const MCP_SESSION_ID: HeaderName = HeaderName::from_static("mcp-session-id");
pub const MCP_PROTOCOL_VERSION: HeaderName = HeaderName::from_static("mcp-protocol-version");
const MCP_METHOD: HeaderName = HeaderName::from_static("mcp-method");
const MCP_NAME: HeaderName = HeaderName::from_static("mcp-name");
const MCP_PARAM_PREFIX: &str = "mcp-param-";

/// Wraps an `Mcp-Name` / `Mcp-Param-*` value that cannot travel as a plain header value.
const BASE64_PREFIX: &str = "=?base64?";
const BASE64_SUFFIX: &str = "?=";

/// JSON-RPC error codes the bridge answers with itself.
pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;
pub const INTERNAL_ERROR: i64 = -32603;

/// Whether `version` is of the stateless era. Versions are dates, so they compare as text
/// (rmcp compares them the same way).
pub fn is_stateless(version: Option<&str>) -> bool {
    version.is_some_and(|v| v >= STATELESS_VERSION)
}

/// One message from the client, as it arrived, with its JSON for inspection.
#[derive(Debug, Clone)]
pub struct ClientMessage {
    raw: Bytes,
    value: Value,
}

impl ClientMessage {
    /// Parses one line from stdin (surrounding whitespace dropped). The line's own bytes
    /// are kept, not a copy of them.
    pub fn parse(line: Vec<u8>) -> Result<Self, serde_json::Error> {
        let trimmed = line.trim_ascii();
        let value = serde_json::from_slice(trimmed)?;
        let start = line.len() - line.trim_ascii_start().len();
        let end = start + trimmed.len();
        Ok(Self {
            raw: Bytes::from(line).slice(start..end),
            value,
        })
    }

    /// A message the bridge makes itself (the `notifications/initialized` of a renewed
    /// session).
    pub fn made(value: Value) -> Self {
        Self {
            raw: Bytes::from(value.to_string()),
            value,
        }
    }

    pub fn raw(&self) -> Bytes {
        self.raw.clone()
    }

    pub fn method(&self) -> Option<&str> {
        self.value.get("method").and_then(Value::as_str)
    }

    /// The id of a request (answers have ids too, but no method).
    pub fn request_id(&self) -> Option<&Value> {
        self.method()?;
        self.value.get("id").filter(|id| !id.is_null())
    }

    pub fn is_initialize(&self) -> bool {
        self.request_id().is_some() && self.method() == Some("initialize")
    }

    /// The protocol version a request names for itself in `_meta` (2026-07-28 on).
    pub fn inline_version(&self) -> Option<&str> {
        self.request_id()?;
        self.params()?
            .get("_meta")?
            .get(META_PROTOCOL_VERSION)?
            .as_str()
    }

    /// For `notifications/cancelled`: the id of the request it cancels.
    pub fn cancelled_request(&self) -> Option<&Value> {
        if self.method() != Some("notifications/cancelled") || self.value.get("id").is_some() {
            return None;
        }
        self.params()?.get("requestId")
    }

    /// For a list request: the cursor of the page it asks for (none for the first page).
    pub fn cursor(&self) -> Option<&Value> {
        self.params()?
            .get("cursor")
            .filter(|cursor| !cursor.is_null())
    }

    /// For `tools/call`: the tool's name.
    pub fn called_tool(&self) -> Option<&str> {
        if self.method() != Some("tools/call") {
            return None;
        }
        self.params()?.get("name")?.as_str()
    }

    /// The MCP headers of this message's POST: `MCP-Protocol-Version` when a version is
    /// known and, from 2026-07-28 on, `Mcp-Method`, `Mcp-Name` and the `Mcp-Param-*` of the
    /// called tool's `header_params` (SEP-2243), as rmcp's client sends them.
    pub fn headers(
        &self,
        version: Option<&str>,
        header_params: Option<&[HeaderParam]>,
    ) -> Vec<(HeaderName, HeaderValue)> {
        let mut headers = Vec::new();
        let mut push = |name: HeaderName, value: &str| {
            if let Ok(value) = HeaderValue::from_str(value) {
                headers.push((name, value));
            }
        };
        if let Some(version) = version {
            push(MCP_PROTOCOL_VERSION, version);
        }
        let Some(method) = self.method().filter(|_| is_stateless(version)) else {
            return headers;
        };
        push(MCP_METHOD, method);
        if let Some(name) = self.routing_name(method) {
            push(MCP_NAME, &header_value(name));
        }
        if method == "tools/call"
            && let (Some(header_params), Some(arguments)) = (
                header_params,
                self.params().and_then(|params| params.get("arguments")),
            )
        {
            for HeaderParam { path, header } in header_params {
                if let Some(value) = value_at(arguments, path).and_then(primitive_text) {
                    push(header.clone(), &header_value(&value));
                }
            }
        }
        headers
    }

    /// What `Mcp-Name` carries for `method`: the tool or prompt name, the resource URI, or
    /// the task id.
    fn routing_name(&self, method: &str) -> Option<&str> {
        let key = match method {
            "tools/call" | "prompts/get" => "name",
            "resources/read" | "resources/subscribe" | "resources/unsubscribe" => "uri",
            "tasks/get" | "tasks/update" | "tasks/cancel" => "taskId",
            _ => return None,
        };
        self.params()?.get(key)?.as_str()
    }

    fn params(&self) -> Option<&Map<String, Value>> {
        self.value.get("params")?.as_object()
    }
}

/// The parts of a message from the daemon the bridge looks at; the rest is skipped unread.
#[derive(Debug, Default, Deserialize)]
pub struct ServerPeek {
    #[serde(default)]
    pub id: Option<Value>,
    #[serde(default)]
    pub method: Option<String>,
}

impl ServerPeek {
    pub fn parse(line: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(line)
    }

    /// Whether this is the answer (result or error) to the request with `id`.
    pub fn answers(&self, id: &Value) -> bool {
        self.method.is_none() && self.id.as_ref() == Some(id)
    }
}

/// One JSON text on one line: stdio messages are newline-delimited. Outside strings a
/// line break is only whitespace, and inside one JSON has it escaped, so replacing the raw
/// bytes keeps the message exactly as it was. Done in place: the message is not copied.
pub fn one_line(mut data: Vec<u8>) -> Vec<u8> {
    for byte in &mut data {
        if *byte == b'\n' || *byte == b'\r' {
            *byte = b' ';
        }
    }
    let end = data.trim_ascii_end().len();
    data.truncate(end);
    let start = data.len() - data.trim_ascii_start().len();
    data.drain(..start);
    data
}

/// A JSON-RPC error answer, serialised.
pub fn error_answer(id: Option<&Value>, code: i64, message: &str) -> Vec<u8> {
    json!({
        "jsonrpc": "2.0",
        "id": id.cloned().unwrap_or(Value::Null),
        "error": { "code": code, "message": message },
    })
    .to_string()
    .into_bytes()
}

/// A stable key for a request id (`1` and `"1"` are different ids).
pub fn id_key(id: &Value) -> String {
    id.to_string()
}

/// One `x-mcp-header` annotation of a tool: the argument at `path` travels in `header`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderParam {
    /// Property names from the arguments' root.
    pub path: Vec<String>,
    /// `Mcp-Param-` and the annotation's name.
    pub header: HeaderName,
}

/// From a `tools/list` result: the header params of every tool it lists, by tool name,
/// worked out once here rather than on every call. A tool without usable annotations has
/// none (an empty list), so a listing also says which tools no longer have any.
pub fn listed_header_params(result: &Value) -> Vec<(String, Vec<HeaderParam>)> {
    let Some(tools) = result.get("tools").and_then(Value::as_array) else {
        return Vec::new();
    };
    tools
        .iter()
        .filter_map(|tool| {
            let name = tool.get("name")?.as_str()?;
            let params = tool
                .get("inputSchema")
                .map(header_annotations)
                .unwrap_or_default();
            Some((name.to_owned(), params))
        })
        .collect()
}

/// Every usable `x-mcp-header` annotation of a tool input schema: on properties reached
/// from the root through `properties` alone, naming a valid header token.
fn header_annotations(schema: &Value) -> Vec<HeaderParam> {
    fn walk(properties: Option<&Value>, path: &mut Vec<String>, out: &mut Vec<HeaderParam>) {
        let Some(Value::Object(properties)) = properties else {
            return;
        };
        for (name, property) in properties {
            path.push(name.clone());
            if let Some(Value::String(header)) = property.get("x-mcp-header")
                && !header.is_empty()
                && let Ok(header) =
                    HeaderName::from_bytes(format!("{MCP_PARAM_PREFIX}{header}").as_bytes())
            {
                out.push(HeaderParam {
                    path: path.clone(),
                    header,
                });
            }
            walk(property.get("properties"), path, out);
            path.pop();
        }
    }
    let mut out = Vec::new();
    walk(schema.get("properties"), &mut Vec::new(), &mut out);
    out
}

fn value_at<'a>(arguments: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(arguments, |value, key| value.get(key))
}

/// A JSON primitive as SEP-2243 spells it in a header; objects, arrays and null have none.
fn primitive_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A header value as SEP-2243 encodes it: as it is when it is plain visible ASCII without
/// edge whitespace, else Base64 inside `=?base64?…?=`.
fn header_value(value: &str) -> String {
    let edge_space = value.starts_with([' ', '\t']) || value.ends_with([' ', '\t']);
    let unprintable = value.chars().any(|c| !(' '..='~').contains(&c));
    let looks_wrapped = value.starts_with(BASE64_PREFIX) && value.ends_with(BASE64_SUFFIX);
    if edge_space || unprintable || looks_wrapped {
        format!("{BASE64_PREFIX}{}{BASE64_SUFFIX}", base64(value.as_bytes()))
    } else {
        value.to_owned()
    }
}

/// Standard Base64 with padding (RFC 4648 §4).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn message(value: Value) -> ClientMessage {
        ClientMessage::parse(value.to_string().into_bytes()).unwrap()
    }

    fn names(headers: &[(HeaderName, HeaderValue)]) -> Vec<(String, String)> {
        headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
            .collect()
    }

    #[test]
    fn kinds_are_told_apart() {
        let request = message(json!({"jsonrpc": "2.0", "id": 7, "method": "tools/list"}));
        assert_eq!(request.request_id(), Some(&json!(7)));
        let notification =
            message(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        assert_eq!(notification.request_id(), None);
        let answer = message(json!({"jsonrpc": "2.0", "id": 3, "result": {}}));
        assert_eq!((answer.method(), answer.request_id()), (None, None));
        let cancel = message(
            json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": "a"}}),
        );
        assert_eq!(cancel.cancelled_request(), Some(&json!("a")));
    }

    #[test]
    fn the_raw_bytes_are_kept() {
        let line =
            br#"  {"jsonrpc":"2.0","id":1,"method":"x","params":{"vendor":{"z":1,"a":2}}}  "#;
        let parsed = ClientMessage::parse(line.to_vec()).unwrap();
        assert_eq!(&parsed.raw()[..], line.trim_ascii());
    }

    #[test]
    fn legacy_messages_get_only_the_version_header() {
        let call = message(
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "echo"}}),
        );
        assert_eq!(
            names(&call.headers(Some("2025-11-25"), None)),
            [("mcp-protocol-version".into(), "2025-11-25".into())]
        );
        assert!(call.headers(None, None).is_empty());
    }

    #[test]
    fn stateless_requests_get_method_name_and_param_headers() {
        let schema = json!({"type": "object", "properties": {
            "region": {"type": "string", "x-mcp-header": "Region"},
            "nested": {"type": "object", "properties": {"n": {"type": "integer", "x-mcp-header": "N"}}},
            "plain": {"type": "string"}
        }});
        let call = message(json!({
            "jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {
                "name": "café",
                "arguments": {"region": "eu-west", "nested": {"n": 3}, "plain": "x"},
                "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28"}
            }
        }));
        assert_eq!(call.inline_version(), Some("2026-07-28"));
        let params = header_annotations(&schema);
        let mut headers = names(&call.headers(call.inline_version(), Some(&params)));
        headers.sort();
        assert_eq!(
            headers,
            [
                ("mcp-method".to_owned(), "tools/call".to_owned()),
                ("mcp-name".into(), "=?base64?Y2Fmw6k=?=".into()),
                ("mcp-param-n".into(), "3".into()),
                ("mcp-param-region".into(), "eu-west".into()),
                ("mcp-protocol-version".into(), "2026-07-28".into()),
            ]
        );
        let read = message(
            json!({"jsonrpc": "2.0", "id": 2, "method": "resources/read", "params": {"uri": "demo://about"}}),
        );
        assert!(
            names(&read.headers(Some("2026-07-28"), None))
                .contains(&("mcp-name".into(), "demo://about".into()))
        );
    }

    #[test]
    fn header_values_are_wrapped_only_when_they_must_be() {
        assert_eq!(header_value("us-west1"), "us-west1");
        assert_eq!(header_value("a b"), "a b");
        assert_eq!(header_value(" padded"), "=?base64?IHBhZGRlZA==?=");
        assert_eq!(header_value("line\n"), "=?base64?bGluZQo=?=");
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foob"), "Zm9vYg==");
    }

    #[test]
    fn only_annotated_tool_schemas_are_kept() {
        let result = json!({"tools": [
            {"name": "a", "inputSchema": {"type": "object", "properties": {"r": {"type": "string", "x-mcp-header": "R"}}}},
            {"name": "b", "inputSchema": {"type": "object", "properties": {"r": {"type": "string"}}}},
            {"name": "c", "inputSchema": {"type": "object", "properties": {"r": {"type": "string", "x-mcp-header": "bad header"}}}}
        ]});
        let listed = listed_header_params(&result);
        let kept: Vec<&str> = listed
            .iter()
            .filter(|(_, params)| !params.is_empty())
            .map(|(n, _)| n.as_str())
            .collect();
        assert_eq!(kept, ["a"]);
        // Every listed tool is named, so the others' old headers can be forgotten.
        assert_eq!(listed.len(), 3);
        assert_eq!(
            listed[0].1,
            [HeaderParam {
                path: vec!["r".to_owned()],
                header: HeaderName::from_static("mcp-param-r"),
            }]
        );
    }

    #[test]
    fn lines_and_messages_are_not_copied() {
        let line = b"  {\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\"}\n".to_vec();
        let start = line.as_ptr().wrapping_add(2);
        let parsed = ClientMessage::parse(line).unwrap();
        assert_eq!(parsed.raw().as_ptr(), start, "a view of the line read");

        let data = b"{\n\"a\": 1}\n".to_vec();
        let at = data.as_ptr();
        let line = one_line(data);
        assert_eq!(line, b"{ \"a\": 1}");
        assert_eq!(line.as_ptr(), at, "changed in place");
    }

    #[test]
    fn line_breaks_inside_json_become_spaces() {
        let pretty = b"{\n  \"a\": \"x\\ny\",\r\n  \"b\": 1\n}\n";
        let line = one_line(pretty.to_vec());
        let value: Value = serde_json::from_slice(&line).unwrap();
        assert_eq!(value, json!({"a": "x\ny", "b": 1}));
        assert!(!line.contains(&b'\n'));
    }
}
