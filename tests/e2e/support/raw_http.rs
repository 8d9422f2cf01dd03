//! HTTP/1.1 spoken by hand over TCP, for what a normal client will not do: floods of
//! requests, header bytes that are not text, a connection that says nothing, a stream held
//! open while other requests go on. Blocking, with a read timeout on every socket.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::time::Duration;

/// How long a read may wait before the test fails.
const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// A whole response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON, or the JSON in its first SSE `data:` line.
    pub fn json(&self) -> serde_json::Value {
        let text = self.text();
        let json = text
            .lines()
            .filter_map(|line| line.strip_prefix("data:"))
            .find(|data| !data.trim().is_empty())
            .unwrap_or(&text);
        serde_json::from_str(json.trim())
            .unwrap_or_else(|e| panic!("not JSON ({e}): {text:?} (status {})", self.status))
    }
}

/// One keep-alive connection.
pub struct Connection {
    reader: BufReader<TcpStream>,
}

impl Connection {
    pub fn open(address: &str) -> Self {
        let stream = TcpStream::connect(address)
            .unwrap_or_else(|e| panic!("cannot connect to {address}: {e}"));
        stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
        stream.set_nodelay(true).unwrap();
        Self {
            reader: BufReader::new(stream),
        }
    }

    /// Sends a request (header values are bytes, so they need not be text) and reads the
    /// whole response.
    pub fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &[u8])],
        body: &[u8],
    ) -> Response {
        self.write_request(method, path, headers, body);
        let (status, response_headers) = self.read_head();
        let body = self.read_body(&response_headers);
        Response {
            status,
            headers: response_headers,
            body,
        }
    }

    /// Sends a request and reads only the status and headers: the body (a stream) stays
    /// open on the returned socket.
    pub fn open_stream(
        mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &[u8])],
    ) -> (u16, BufReader<TcpStream>) {
        self.write_request(method, path, headers, b"");
        let (status, _) = self.read_head();
        (status, self.reader)
    }

    /// The connection itself, to see whether the daemon closed it.
    pub fn into_reader(self) -> BufReader<TcpStream> {
        self.reader
    }

    fn write_request(&mut self, method: &str, path: &str, headers: &[(&str, &[u8])], body: &[u8]) {
        let mut request = format!("{method} {path} HTTP/1.1\r\n").into_bytes();
        if !headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("host"))
        {
            request.extend_from_slice(b"Host: 127.0.0.1\r\n");
        }
        for (name, value) in headers {
            request.extend_from_slice(name.as_bytes());
            request.extend_from_slice(b": ");
            request.extend_from_slice(value);
            request.extend_from_slice(b"\r\n");
        }
        if method != "GET" {
            request.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
        }
        request.extend_from_slice(b"\r\n");
        request.extend_from_slice(body);
        self.reader.get_mut().write_all(&request).unwrap();
    }

    fn read_head(&mut self) -> (u16, Vec<(String, String)>) {
        let status_line = self.line();
        let status = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("not an HTTP status line: {status_line:?}"));
        let mut headers = Vec::new();
        loop {
            let line = self.line();
            if line.trim_end().is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                headers.push((name.trim().to_owned(), value.trim().to_owned()));
            }
        }
        (status, headers)
    }

    fn read_body(&mut self, headers: &[(String, String)]) -> Vec<u8> {
        let value = |name: &str| {
            headers
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(name))
                .map(|(_, value)| value.to_ascii_lowercase())
        };
        let mut body = Vec::new();
        if value("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
            loop {
                let size = usize::from_str_radix(self.line().trim(), 16).unwrap();
                let mut chunk = vec![0; size + 2];
                self.reader.read_exact(&mut chunk).unwrap();
                body.extend_from_slice(&chunk[..size]);
                if size == 0 {
                    return body;
                }
            }
        }
        let length = value("content-length").map_or(0, |v| v.parse().unwrap());
        body.resize(length, 0);
        self.reader.read_exact(&mut body).unwrap();
        body
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        let read = self.reader.read_line(&mut line).unwrap();
        assert!(read > 0, "the connection closed");
        line
    }
}

/// The headers a streamable-HTTP MCP client sends with a JSON-RPC body.
pub const MCP_POST: &[(&str, &[u8])] = &[
    ("Content-Type", b"application/json"),
    ("Accept", b"application/json, text/event-stream"),
];

/// An `initialize` request body with `id`.
pub fn initialize(id: u64) -> Vec<u8> {
    serde_json::json!({
        "jsonrpc": "2.0",
        "id": id,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "raw", "version": "1"},
        },
    })
    .to_string()
    .into_bytes()
}
