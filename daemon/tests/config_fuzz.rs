//! The config loader against inputs nobody would write: valid configs mutated byte by byte
//! and spliced with hard fragments, for a bounded time. It must never panic; every input is
//! either a config that keeps the rules (durations within the maximum, header values on one
//! line) or an error with at least one located problem that renders.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

#[path = "../../tests/shared/mutate.rs"]
mod mutate;

use std::path::Path;
use std::time::Duration;

use mcpproxy_daemon::config::{self, MAX_DURATION};

const SAMPLES: &[&str] = &[
    config::DEFAULT_CONFIG,
    r#"
listen = "127.0.0.1:8080"
routing = "direct"
require_mcp_auth = true

[limits]
mcp_sessions = 10
mcp_session_idle = "1m"

[servers.everything]
command = "npx"
args = ["-y", "@modelcontextprotocol/server-everything"]
env = { LOG_LEVEL = "info", TOKEN = "${env:TOKEN}" }
cwd = "~/work"
connect_timeout = "30s"
call_timeout = "120s"

[servers.github]
url = "https://api.example.com/mcp?token=abc"
transport = "auto"
headers = { Authorization = "Bearer ${env:GITHUB_TOKEN}" }
enabled = false
quarantined = true

[servers.local.env]
SECRET = "value"
"#,
];

const FRAGMENTS: &[&[u8]] = &[
    b"\n[servers.x]\n",
    b"\n[servers.x.env]\n",
    b"\n[servers.x.headers]\n",
    b"\n[limits]\n",
    b"command = ",
    b"url = ",
    b"builtin = \"demo\"",
    b"transport = \"sse\"",
    b"env = { A = ",
    b"headers.Authorization = ",
    b"call_timeout = \"",
    b"200000000000000d\"",
    b"0s\"",
    b"25h\"",
    b"mcp_sessions = ",
    b"${env:",
    b"${env:HOME}",
    b"\"\"\"",
    b"'''",
    b"\\n",
    b"__",
];

#[test]
fn the_loader_never_panics_and_refuses_with_located_problems() {
    let mut rng = mutate::Rng::from_env("config loader fuzz", 0x00c0_ffee);
    let env = |name: &str| match name {
        "HOME" => Some("/home/fuzz".to_owned()),
        "TOKEN" => Some("line one\nline two".to_owned()),
        _ => None,
    };
    let (mut accepted, mut refused) = (0, 0);
    let tried = mutate::for_a_while(Duration::from_secs(8), 100_000, |_| {
        let sample = rng.pick(SAMPLES).as_bytes();
        let input = mutate::mutate(&mut rng, sample, FRAGMENTS);
        let text = String::from_utf8_lossy(&input);
        match config::parse_with_env(Path::new("fuzz.toml"), &text, &env) {
            Ok(config) => {
                accepted += 1;
                for (name, server) in &config.servers {
                    for duration in [
                        server.connect_timeout,
                        server.call_timeout,
                        server.shutdown_grace,
                        server.kill_grace,
                        server.ping_interval,
                    ] {
                        assert!(duration <= MAX_DURATION, "{name}: {duration:?} in\n{text}");
                    }
                    for (header, value) in &server.headers {
                        assert!(
                            config::check_header(header, value).is_ok(),
                            "{name}: header {header:?} = {value:?} accepted from\n{text}"
                        );
                    }
                }
                assert!(config.limits.mcp_session_idle <= MAX_DURATION, "{text}");
            }
            Err(invalid) => {
                refused += 1;
                let problems = invalid.problems();
                assert!(!problems.is_empty(), "refused without a problem:\n{text}");
                for problem in &problems {
                    assert!(
                        problem.line >= 1 && problem.column >= 1,
                        "{problem:?}\n{text}"
                    );
                    assert!(!problem.message.is_empty(), "{problem:?}\n{text}");
                }
                assert!(invalid.to_string().contains("fuzz.toml:"), "{text}");
            }
        }
    });
    eprintln!("{tried} inputs: {accepted} accepted, {refused} refused");
    assert!(
        accepted > 0 && refused > 0,
        "the inputs were too alike to mean anything"
    );
}
