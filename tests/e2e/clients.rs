//! Real MCP clients against the proxy's endpoints: the Python SDK 2.x (`mcp==2.3.0`,
//! `tests/fixtures/clients/py_client.py`, see `support::python`) in both protocol eras, the MCP
//! Inspector's CLI, and a raw HTTP client (`tests/fixtures/clients/raw_http.py`).
//!
//! The demo server negotiates 2026-07-28 with the daemon, so a legacy client's elicitation
//! and sampling go through the proxy's translation, and a 2026-07-28 client's through its
//! pass-through of `input_required`.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use mcpproxy_daemon::protocol::ServerState;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::process::Command;

use crate::support::python::{
    CLIENT_TIMEOUT, Era, PyRun, call, call_read, call_write, is_error, run_all, stdout_of, text,
};
use crate::support::{TestDaemon, peers, wait_until};

const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a cancellation may take to reach the upstream server.
const CANCEL_TIMEOUT: Duration = Duration::from_secs(5);

/// A daemon with the demo server (with its test tools) and `servers` (TOML tables); `top`
/// holds top-level keys. Returns once `demo` and every server in `ready` are ready, with
/// the daemon's base URL (`http://127.0.0.1:PORT`).
async fn start_daemon(top: &str, servers: &str, ready: &[&str]) -> (TestDaemon, String) {
    let config = format!(
        "listen = \"127.0.0.1:0\"\n{top}\n{}\n{servers}",
        TestDaemon::demo_server("demo", "")
    );
    let daemon = TestDaemon::start(&config).await;
    for name in std::iter::once("demo").chain(ready.iter().copied()) {
        daemon
            .wait_state(name, ServerState::Ready, READY_TIMEOUT)
            .await;
    }
    let listen = daemon
        .status()
        .await
        .listen
        .expect("the daemon listens on TCP");
    let base = format!("http://{listen}");
    (daemon, base)
}

fn tool_names(step: &Value) -> Vec<String> {
    step["tools"]
        .as_array()
        .unwrap_or_else(|| panic!("no tools in {step}"))
        .iter()
        .map(|tool| tool["name"].as_str().unwrap().to_owned())
        .collect()
}

/// The result of `calculate` on "6*7".
fn assert_forty_two(result: &Value, what: &str) {
    assert!(!is_error(result), "{what}: {result}");
    assert_eq!(
        result["structuredContent"]["result"].as_f64(),
        Some(42.0),
        "{what}: {result}"
    );
    assert!(text(result).contains("42"), "{what}: {result}");
}

const CALL_SURFACE_TOOLS: [&str; 6] = [
    "retrieve_tools",
    "describe_tool",
    "call_tool_read",
    "call_tool_write",
    "call_tool_destructive",
    "upstream_servers",
];

/// Python SDK 2.x in every mode (legacy = 2025-11-25, 2026-07-28, and `auto`, the SDK's
/// default, which must reach 2026-07-28 through the proxy's `server/discover`) on `/mcp/all`
/// and `/mcp/call`: lists the tools and calls `calculate` directly and through
/// `call_tool_read`, after finding it with `retrieve_tools`.
#[tokio::test]
async fn python_sdk_lists_and_calls_in_both_eras() {
    peers::python_mcp2();
    let (_daemon, base) = start_daemon("", "", &[]).await;
    let mut runs = Vec::new();
    for era in [Era::Legacy, Era::Modern, Era::Auto] {
        runs.push(PyRun::new(
            format!("{base}/mcp/all"),
            era,
            vec![
                json!({"op": "list"}),
                call("demo__calculate", json!({"expression": "6*7"})),
            ],
        ));
        runs.push(PyRun::new(
            format!("{base}/mcp/call"),
            era,
            vec![
                json!({"op": "list"}),
                call(
                    "retrieve_tools",
                    json!({"query": "calculate an arithmetic expression"}),
                ),
                call_read("demo:calculate", json!({"expression": "6*7"})),
            ],
        ));
    }
    let results = run_all(&runs).await;
    for (run, steps) in runs.iter().zip(&results) {
        let label = run.label();
        let names = tool_names(&steps[0]);
        if run.url.ends_with("/mcp/all") {
            for expected in ["demo__calculate", "demo__echo", "demo__ask_user"] {
                assert!(names.iter().any(|n| n == expected), "{label}: {names:?}");
            }
            assert!(!names.iter().any(|n| n == "call_tool_read"), "{label}");
            assert_forty_two(&steps[1]["result"], &label);
        } else {
            assert_eq!(names, CALL_SURFACE_TOOLS, "{label}");
            let found = &steps[1]["result"];
            assert!(!is_error(found), "{label}: {found}");
            let calculate = found["structuredContent"]["tools"]
                .as_array()
                .unwrap_or_else(|| panic!("{label}: {found}"))
                .iter()
                .find(|tool| tool["id"] == "demo:calculate")
                .unwrap_or_else(|| panic!("{label}: retrieve_tools missed it: {found}"));
            assert_eq!(calculate["call_with"], "call_tool_read", "{label}");
            assert_forty_two(&steps[2]["result"], &label);
        }
    }
}

/// A 2026-07-28 client requires `resultType` on every result; servers of 2025-11-25 never
/// send it. Results relayed from such an upstream (server-everything over stdio) must still
/// reach a 2026-07-28 Python client as valid results (tools/call, prompts/get,
/// resources/read) on `/mcp/all`, `/mcp/call` and `/mcp/server/NAME` (the typed passthrough
/// for stdio). A legacy (2025-11-25) client on the same calls is the control.
#[tokio::test]
async fn results_from_a_legacy_upstream_are_valid_for_both_eras() {
    peers::python_mcp2();
    let everything = peers::server_everything();
    let servers = format!(
        "[servers.everything]\ncommand = \"node\"\nargs = [\"{}\", \"stdio\"]\n",
        everything.display()
    );
    let (daemon, base) = start_daemon("", &servers, &["everything"]).await;
    let view = daemon
        .wait_state("everything", ServerState::Ready, READY_TIMEOUT)
        .await;
    assert_eq!(
        view.protocol_version.as_deref(),
        Some("2025-11-25"),
        "server-everything must be a legacy upstream for this test"
    );
    let resource = "demo://resource/static/document/architecture.md";
    let echo = json!({"message": "hi"});
    let mut runs = Vec::new();
    for era in [Era::Legacy, Era::Modern] {
        runs.push(PyRun::new(
            format!("{base}/mcp/all"),
            era,
            vec![
                call("everything__echo", echo.clone()),
                json!({"op": "prompt", "name": "everything__simple-prompt"}),
                json!({"op": "read", "uri": resource}),
            ],
        ));
        runs.push(PyRun::new(
            format!("{base}/mcp/call"),
            era,
            vec![call_read("everything:echo", echo.clone())],
        ));
        runs.push(PyRun::new(
            format!("{base}/mcp/server/everything"),
            era,
            vec![
                call("echo", echo.clone()),
                json!({"op": "prompt", "name": "simple-prompt"}),
                json!({"op": "read", "uri": resource}),
            ],
        ));
    }
    // `PyRun::run` fails on a step that raised, which is what a missing `resultType` does.
    let results = run_all(&runs).await;
    for (run, steps) in runs.iter().zip(&results) {
        let label = run.label();
        let called = &steps[0]["result"];
        assert!(!is_error(called), "{label}: {called}");
        assert_eq!(text(called), "Echo: hi", "{label}");
        if let [_, prompt, read] = steps.as_slice() {
            let messages = prompt["result"]["messages"].as_array();
            assert!(messages.is_some_and(|m| !m.is_empty()), "{label}: {prompt}");
            let contents = &read["result"]["contents"];
            assert_eq!(contents[0]["uri"], resource, "{label}: {read}");
        }
        for step in steps {
            assert_eq!(step["result"]["resultType"], "complete", "{label}: {step}");
        }
    }
}

/// Runs the Inspector's CLI (on Node 22) against `url`; returns the JSON it printed.
async fn inspector(script: &Path, url: &str, args: &[&str]) -> Value {
    let mut command = Command::new(peers::node22());
    command
        .arg(script)
        .args(["--cli", url, "--transport", "http"])
        .args(args);
    let what = format!("inspector {args:?} on {url}");
    let stdout = stdout_of(command, &what).await;
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{what}: {e}:\n{stdout}"))
}

/// The MCP Inspector's CLI (2.12, TypeScript SDK) lists and calls through `/mcp/call` and
/// `/mcp/all`. `--tool-arg 'args={...}'` is parsed as JSON because `call_tool_read`'s schema
/// says `args` is an object.
#[tokio::test]
async fn inspector_cli_lists_and_calls_on_both_surfaces() {
    let script = peers::inspector_cli();
    let (_daemon, base) = start_daemon("", "", &[]).await;

    let url = format!("{base}/mcp/call");
    let listed = inspector(&script, &url, &["--method", "tools/list"]).await;
    assert_eq!(tool_names(&listed), CALL_SURFACE_TOOLS, "{listed}");
    let found = inspector(
        &script,
        &url,
        &[
            "--method",
            "tools/call",
            "--tool-name",
            "retrieve_tools",
            "--tool-arg",
            "query=calculate an arithmetic expression",
        ],
    )
    .await;
    assert!(
        text(&found).contains("\"demo:calculate\""),
        "retrieve_tools: {found}"
    );
    let called = inspector(
        &script,
        &url,
        &[
            "--method",
            "tools/call",
            "--tool-name",
            "call_tool_read",
            "--tool-arg",
            "name=demo:calculate",
            r#"args={"expression":"6*7"}"#,
        ],
    )
    .await;
    assert_forty_two(&called, "inspector call_tool_read");

    let url = format!("{base}/mcp/all");
    let listed = inspector(&script, &url, &["--method", "tools/list"]).await;
    let names = tool_names(&listed);
    assert!(names.iter().any(|n| n == "demo__calculate"), "{names:?}");
    assert!(!names.iter().any(|n| n == "call_tool_read"), "{names:?}");
    let called = inspector(
        &script,
        &url,
        &[
            "--method",
            "tools/call",
            "--tool-name",
            "demo__calculate",
            "--tool-arg",
            "expression=6*7",
        ],
    )
    .await;
    assert_forty_two(&called, "inspector demo__calculate");
}

/// Elicitation (`ask_user`) and sampling (`ask_model`) reach the Python client whose call
/// caused them, on `/mcp/call` (through `call_tool_read`) and `/mcp/all`, and the client's
/// answer reaches the demo server: legacy clients (2025-11-25) are asked with ordinary
/// elicitation/sampling requests translated from the upstream's `input_required`;
/// 2026-07-28 clients get the `input_required` result and call again with the answers.
#[tokio::test]
async fn elicitation_and_sampling_reach_the_calling_client_in_both_eras() {
    peers::python_mcp2();
    let (_daemon, base) = start_daemon("", "", &[]).await;
    let mut runs = Vec::new();
    let mut expected = Vec::new();
    for era in [Era::Legacy, Era::Modern] {
        for surface in ["call", "all"] {
            let answer = format!("answer-{}-{surface}", era.mode());
            let question = format!("Which colour, {} on {surface}?", era.mode());
            let prompt = format!("Say hi to {} on {surface}", era.mode());
            let steps = if surface == "call" {
                vec![
                    call_read("demo:ask_user", json!({"message": question})),
                    call_read("demo:ask_model", json!({"prompt": prompt})),
                ]
            } else {
                vec![
                    call("demo__ask_user", json!({"message": question})),
                    call("demo__ask_model", json!({"prompt": prompt})),
                ]
            };
            runs.push(
                PyRun::new(format!("{base}/mcp/{surface}"), era, steps)
                    .option("--answer", answer.clone()),
            );
            expected.push((answer, question, prompt));
        }
    }
    let results = run_all(&runs).await;
    for ((run, steps), (answer, question, prompt)) in runs.iter().zip(&results).zip(&expected) {
        let label = run.label();
        let (asked_user, asked_model) = (&steps[0], &steps[1]);

        let result = &asked_user["result"];
        assert!(!is_error(result), "{label}: ask_user: {result}");
        assert!(
            text(result).contains(&format!(
                r#"action: accept, content: {{"answer":"{answer}"}}"#
            )),
            "{label}: ask_user did not return the client's answer: {result}"
        );
        let asked = &asked_user["asked"];
        assert_eq!(asked.as_array().map(Vec::len), Some(1), "{label}: {asked}");
        assert_eq!(asked[0]["kind"], "elicitation", "{label}");
        assert_eq!(asked[0]["message"], question.as_str(), "{label}");

        let result = &asked_model["result"];
        assert!(!is_error(result), "{label}: ask_model: {result}");
        assert_eq!(text(result), *answer, "{label}: ask_model: {result}");
        let asked = &asked_model["asked"];
        assert_eq!(asked.as_array().map(Vec::len), Some(1), "{label}: {asked}");
        assert_eq!(asked[0]["kind"], "sampling", "{label}");
        assert_eq!(asked[0]["prompt"], json!([prompt]), "{label}");
    }
}

/// The other direction of the translation: server-everything (a 2025-11-25 upstream, over
/// stdio) sends `sampling/createMessage` and `elicitation/create` in the middle of a call.
/// A 2026-07-28 Python client cannot take such requests: it gets them as `input_required`
/// rounds of its call and answers by calling again, and the upstream's call, which waited
/// meanwhile, finishes with the client's answers. On `/mcp/all`, through `call_tool_write` on
/// `/mcp/call`, and on the stdio passthrough `/mcp/server/everything`; a legacy (2025-11-25)
/// client, asked with plain requests, is the control. The clients run one after another: with
/// two clients calling the same upstream at once its requests could not be told apart.
#[tokio::test]
async fn a_legacy_upstreams_questions_reach_a_2026_client_through_its_call() {
    peers::python_mcp2();
    let everything = peers::server_everything();
    let servers = format!(
        "[servers.everything]\ncommand = \"node\"\nargs = [\"{}\", \"stdio\"]\n",
        everything.display()
    );
    let (daemon, base) = start_daemon("", &servers, &["everything"]).await;
    let view = daemon
        .wait_state("everything", ServerState::Ready, READY_TIMEOUT)
        .await;
    assert_eq!(view.protocol_version.as_deref(), Some("2025-11-25"));

    for era in [Era::Modern, Era::Legacy] {
        for surface in ["all", "call", "server/everything"] {
            let prompt = format!("a haiku for {} on {surface}", era.mode());
            let sampling = json!({"prompt": prompt, "maxTokens": 50});
            let steps = match surface {
                "all" => vec![
                    call("everything__trigger-sampling-request", sampling),
                    call("everything__trigger-elicitation-request", json!({})),
                ],
                "call" => vec![
                    call_write("everything:trigger-sampling-request", sampling),
                    call_write("everything:trigger-elicitation-request", json!({})),
                ],
                _ => vec![
                    call("trigger-sampling-request", sampling),
                    call("trigger-elicitation-request", json!({})),
                ],
            };
            let answer = format!("answer-{}-{}", era.mode(), surface.replace('/', "-"));
            let run = PyRun::new(format!("{base}/mcp/{surface}"), era, steps)
                .option("--answer", answer.clone());
            let label = run.label();
            let steps = run.run().await;
            let (sampled, elicited) = (&steps[0], &steps[1]);

            let result = &sampled["result"];
            assert!(!is_error(result), "{label}: sampling: {result}");
            let said = text(result);
            assert!(said.contains("LLM sampling result"), "{label}: {said}");
            assert!(
                said.contains(&answer),
                "{label}: not the client's answer: {said}"
            );
            assert!(
                said.contains("py-client"),
                "{label}: not the client's model: {said}"
            );
            let asked = &sampled["asked"];
            assert_eq!(asked.as_array().map(Vec::len), Some(1), "{label}: {asked}");
            assert_eq!(asked[0]["kind"], "sampling", "{label}");
            assert_eq!(
                asked[0]["prompt"],
                json!([format!(
                    "Resource trigger-sampling-request context: {prompt}"
                )]),
                "{label}"
            );

            let result = &elicited["result"];
            assert!(!is_error(result), "{label}: elicitation: {result}");
            let said = text(result);
            assert!(
                said.contains("User provided the requested information"),
                "{label}: {said}"
            );
            assert!(
                said.contains(&format!(r#""answer": "{answer}""#)),
                "{label}: not the client's answer: {said}"
            );
            let asked = &elicited["asked"];
            assert_eq!(asked.as_array().map(Vec::len), Some(1), "{label}: {asked}");
            assert_eq!(asked[0]["kind"], "elicitation", "{label}");
            assert_eq!(
                asked[0]["message"], "Please provide inputs for the following fields:",
                "{label}"
            );
        }
    }
}

/// Two Python clients (separate processes) call `ask_user` on the same stdio upstream at
/// the same time, each answering with its own text; each answers only once both are being
/// asked. Each must get its own answer back, or be refused with an error result; never
/// the other's answer. Pairs: two legacy (2025-11-25) clients on `/mcp/call`, two
/// 2026-07-28 clients on `/mcp/all`, and one of each era on different surfaces.
#[tokio::test]
async fn two_clients_asking_at_once_each_get_their_own_answer() {
    peers::python_mcp2();
    let (daemon, base) = start_daemon("", "", &[]).await;
    let pairs = [
        [(Era::Legacy, "call"), (Era::Legacy, "call")],
        [(Era::Modern, "all"), (Era::Modern, "all")],
        [(Era::Legacy, "all"), (Era::Modern, "call")],
    ];
    for (index, pair) in pairs.iter().enumerate() {
        let barrier = daemon.data_dir().join(format!("barrier-{index}"));
        let runs: Vec<PyRun> = pair
            .iter()
            .enumerate()
            .map(|(client, (era, surface))| {
                let name = format!("client-{client}");
                let step = if *surface == "call" {
                    call_read("demo:ask_user", json!({"message": name}))
                } else {
                    call("demo__ask_user", json!({"message": name}))
                };
                PyRun::new(format!("{base}/mcp/{surface}"), *era, vec![step])
                    .answering_together(&name, &barrier)
            })
            .collect();
        let results = run_all(&runs).await;
        let mut answered = 0;
        for (client, (run, steps)) in runs.iter().zip(&results).enumerate() {
            let (label, step) = (run.label(), &steps[0]);
            let result = &step["result"];
            let (own, other) = (
                format!("answer-of-client-{client}"),
                format!("answer-of-client-{}", 1 - client),
            );
            assert!(
                !text(result).contains(&other),
                "{label} got the other client's answer: {result}"
            );
            if is_error(result) {
                eprintln!("{label} was refused: {}", text(result));
                continue;
            }
            assert!(
                text(result).contains(&format!(r#"{{"answer":"{own}"}}"#)),
                "{label}: {result}"
            );
            // It was asked its own question.
            assert_eq!(step["asked"][0]["message"], format!("client-{client}"));
            answered += 1;
        }
        assert!(answered > 0, "both clients were refused: {results:?}");
        if answered == 2 {
            // Both were asked while the other was being asked too: the calls overlapped.
            for steps in &results {
                assert_eq!(steps[0]["asked"][0]["together"], true, "{results:?}");
            }
        }
    }
}

/// Lines the demo server wrote to its stderr saying a call was cancelled.
fn cancelled_lines(log: &Path) -> usize {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            words.ends_with(&["stderr", "cancelled"])
        })
        .count()
}

/// Starts `tool` through a Python client, which cancels the call (anyio cancel scope, so
/// the SDK sends `notifications/cancelled`) once progress shows it running, while its
/// session stays open; the demo server must then log that it was cancelled.
async fn cancel_and_watch(run: PyRun, log: &Path) {
    let label = run.label();
    let before = cancelled_lines(log);
    let mut child = run.command().stdin(Stdio::piped()).spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let cancelled = tokio::time::timeout(CLIENT_TIMEOUT, async {
        while let Some(line) = lines.next_line().await.unwrap() {
            let value: Value = serde_json::from_str(&line).unwrap();
            if value.get("op").is_some() {
                return value;
            }
            assert_eq!(value["protocol_version"], run.era.version(), "{label}");
        }
        panic!("{label} ended before cancelling");
    })
    .await
    .unwrap_or_else(|_| panic!("{label} did not cancel in {CLIENT_TIMEOUT:?}"));
    assert_eq!(cancelled["cancelled"], true, "{label}: {cancelled}");
    wait_until(
        CANCEL_TIMEOUT,
        &format!("the demo server to log the cancellation from {label}"),
        || std::future::ready((cancelled_lines(log) > before).then_some(())),
    )
    .await;
    stdin.shutdown().await.unwrap();
    drop(stdin);
    let status = tokio::time::timeout(CLIENT_TIMEOUT, child.wait())
        .await
        .unwrap_or_else(|_| panic!("{label} did not exit"))
        .unwrap();
    assert!(status.success(), "{label}: {status}");
}

/// Progress from the demo's `slow` reaches a Python client's progress callback under its
/// own token (≥ 3 notifications, never going back), and a call the client cancels is
/// cancelled at the demo server within seconds: both eras (2025-11-25 with
/// `notifications/cancelled` inside the open session; 2026-07-28), both surfaces.
#[tokio::test]
async fn progress_reaches_the_client_and_cancellation_reaches_the_server() {
    peers::python_mcp2();
    let (daemon, base) = start_daemon("", "", &[]).await;
    let slow = |surface: &str, seconds: u32| match surface {
        "call" => (
            "call_tool_read",
            json!({"name": "demo:slow", "args": {"seconds": seconds}}),
        ),
        _ => ("demo__slow", json!({"seconds": seconds})),
    };
    let mut runs = Vec::new();
    for era in [Era::Legacy, Era::Modern] {
        for surface in ["call", "all"] {
            let (tool, args) = slow(surface, 1);
            runs.push(PyRun::new(
                format!("{base}/mcp/{surface}"),
                era,
                vec![json!({"op": "progress", "tool": tool, "args": args})],
            ));
        }
    }
    let results = run_all(&runs).await;
    for (run, steps) in runs.iter().zip(&results) {
        let label = run.label();
        let step = &steps[0];
        assert!(!is_error(&step["result"]), "{label}: {step}");
        assert_eq!(text(&step["result"]), "slept 1 s", "{label}");
        let progress: Vec<(f64, Option<f64>)> = step["progress"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64()))
            .collect();
        assert!(progress.len() >= 3, "{label}: {progress:?}");
        assert!(
            progress.windows(2).all(|w| w[0].0 <= w[1].0),
            "{label}: progress went back: {progress:?}"
        );
        assert!(
            progress.iter().all(|(_, total)| *total == Some(1.0)),
            "{label}: {progress:?}"
        );
    }

    let log = daemon.data_dir().join("logs/servers/demo.log");
    for era in [Era::Legacy, Era::Modern] {
        for surface in ["call", "all"] {
            let (tool, args) = slow(surface, 30);
            let run = PyRun::new(
                format!("{base}/mcp/{surface}"),
                era,
                vec![json!({"op": "cancel", "tool": tool, "args": args})],
            );
            cancel_and_watch(run, &log).await;
        }
    }
}

/// An upstream whose `server__tool` names would be longer than 64 characters is listed on
/// `/mcp/all` with names shortened to 64 (distinct for two tools that differ only at the
/// end, the same for every client) and each shortened name calls its own tool. Both eras.
#[tokio::test]
async fn long_tool_names_are_shortened_and_still_callable() {
    let python = peers::python_mcp2();
    let script = peers::fixture("servers/long_names.py");
    let servers = format!(
        "[servers.longnames]\ncommand = \"{}\"\nargs = [\"{}\"]\n",
        python.display(),
        script.display()
    );
    let (_daemon, base) = start_daemon("", &servers, &["longnames"]).await;
    let full_names = std::process::Command::new(&python)
        .arg(&script)
        .arg("--names")
        .output()
        .unwrap();
    let full_names: Vec<String> = String::from_utf8(full_names.stdout)
        .unwrap()
        .lines()
        .map(|name| format!("longnames__{name}"))
        .collect();
    assert_eq!(full_names.len(), 2);
    assert!(full_names.iter().all(|name| name.len() > 64));

    let runs: Vec<PyRun> = [Era::Legacy, Era::Modern]
        .into_iter()
        .map(|era| PyRun::new(format!("{base}/mcp/all"), era, vec![json!({"op": "list"})]))
        .collect();
    let listings = run_all(&runs).await;
    let long_tools = |steps: &Vec<Value>| -> Vec<(String, String)> {
        steps[0]["tools"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["name"].as_str().unwrap().starts_with("longnames__"))
            .map(|t| {
                let marker = if t["description"].as_str().unwrap().contains("tool a") {
                    "a"
                } else {
                    "b"
                };
                (t["name"].as_str().unwrap().to_owned(), marker.to_owned())
            })
            .collect()
    };
    let listed = long_tools(&listings[0]);
    assert_eq!(
        listed,
        long_tools(&listings[1]),
        "names differ between clients"
    );
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert_ne!(listed[0].0, listed[1].0, "{listed:?}");
    assert_ne!(listed[0].1, listed[1].1, "{listed:?}");
    for (name, _) in &listed {
        assert!(name.len() <= 64, "{name} is {} long", name.len());
        assert!(!full_names.contains(name), "{name} was not shortened");
        assert!(
            name.starts_with("longnames__report_quarterly_revenue"),
            "{name}"
        );
    }

    let runs: Vec<PyRun> = [Era::Legacy, Era::Modern]
        .into_iter()
        .map(|era| {
            let steps = listed
                .iter()
                .map(|(name, _)| call(name, json!({"text": era.mode()})))
                .collect();
            PyRun::new(format!("{base}/mcp/all"), era, steps)
        })
        .collect();
    for (run, steps) in runs.iter().zip(run_all(&runs).await) {
        for ((name, marker), step) in listed.iter().zip(&steps) {
            let result = &step["result"];
            assert!(!is_error(result), "{}: {name}: {result}", run.label());
            assert_eq!(
                text(result),
                format!("long tool {marker}: {}", run.era.mode()),
                "{}: {name}",
                run.label()
            );
        }
    }
}

/// Runs `raw_http.py URL ERA inspect {"text": "TEXT"}`.
async fn raw_client(url: &str, era: &str) -> Value {
    let mut command = Command::new("python3");
    command.arg(peers::fixture("clients/raw_http.py")).args([
        url,
        era,
        "inspect",
        r#"{"text": "TEXT"}"#,
    ]);
    let stdout = stdout_of(command, &format!("raw_http.py {url} {era}")).await;
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

/// `/mcp/server/NAME` in front of an HTTP upstream passes fields no MCP schema knows, and
/// `_meta`, through unchanged: a raw HTTP client sees exactly what the hand-written
/// upstream (`raw_fields.py`) sent, in tools/list (result, tool definition, input schema,
/// annotations) and tools/call (result, content block), in both eras (2025-11-25 with a
/// session, 2026-07-28 stateless).
#[tokio::test]
async fn unknown_fields_pass_through_the_server_endpoint() {
    let script = peers::fixture("servers/raw_fields.py");
    let upstream = peers::start_ready_server("python3", &script, &["0"]);
    let dump = std::process::Command::new("python3")
        .arg(&script)
        .arg("--dump")
        .output()
        .unwrap();
    let canned: Value = serde_json::from_slice(&dump.stdout).unwrap();
    let servers = format!("[servers.raw]\nurl = \"{}\"\n", upstream.url);
    let (_daemon, base) = start_daemon("", &servers, &["raw"]).await;
    let proxied_url = format!("{base}/mcp/server/raw");

    for era in ["2025-11-25", "2026-07-28"] {
        let direct = raw_client(&upstream.url, era).await;
        let proxied = raw_client(&proxied_url, era).await;

        let list = &proxied["list"]["result"];
        assert_eq!(list["tools"], json!([canned["tool"]]), "{era}: tools/list");
        for (key, value) in canned["list_extras"].as_object().unwrap() {
            assert_eq!(&list[key], value, "{era}: tools/list {key}");
        }
        let mut call = proxied["call"]["result"].clone();
        if era == "2026-07-28" {
            let result_type = call.as_object_mut().unwrap().remove("resultType");
            assert_eq!(result_type, Some(json!("complete")), "{era}");
        }
        assert_eq!(call, canned["call_result"], "{era}: tools/call");
        // Whole JSON-RPC messages, ids included, are what the upstream answered directly.
        assert_eq!(proxied["list"], direct["list"], "{era}");
        assert_eq!(proxied["call"], direct["call"], "{era}");
    }
}
