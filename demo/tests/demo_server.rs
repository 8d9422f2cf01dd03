//! The demo server end to end: an rmcp client talks to it over an in-memory pipe, lists
//! everything it offers, and calls every tool; a few tests talk to it over streamable HTTP
//! (`serve_http`). The conformance fixtures get a representative subset here; the official
//! suite itself runs against `mcpproxy demo-server --test-tools --http` elsewhere.

// Helpers panic on the unexpected like the tests do. Sampling and logging are deprecated by
// SEP-2577, but `ask_model` and the conformance fixtures exist to exercise them.
#![allow(clippy::unwrap_used, clippy::expect_used, deprecated)]

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mcpproxy_demo::{DemoOptions, DemoServer, SERVER_NAME, serve_http};
use rmcp::model::{
    ArgumentInfo, CallToolRequest, CallToolRequestParams, CallToolResponse, CallToolResult,
    ClientCapabilities, ClientConfig, ClientRequest, CompleteRequestParams,
    CreateMessageRequestParams, CreateMessageResult, ElicitRequestParams, ElicitResult,
    ElicitationAction, GetPromptRequestParams, Implementation, LoggingLevel,
    LoggingMessageNotificationParam, ProgressNotificationParam, ProgressToken, ProtocolVersion,
    ReadResourceRequestParams, Reference, ResourceContents, ResourceUpdatedNotificationParam,
    SamplingMessage, ServerNotification, SetLevelRequestParams, SubscribeRequestParams,
    SubscriptionFilter, UnsubscribeRequestParams,
};
use rmcp::service::{
    ClientLifecycleMode, ClientServiceExt, NotificationContext, PeerRequestOptions, RequestContext,
    RoleClient, RunningService, ServiceError,
};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::{ClientHandler, ErrorData, ServiceExt};
use serde_json::{Value, json};

#[path = "../../tests/shared/helpers.rs"]
mod helpers;

/// What the test client saw arrive outside of answers.
#[derive(Debug, Default)]
struct Seen {
    progress: Vec<ProgressNotificationParam>,
    tool_list_changes: usize,
    log_messages: Vec<LoggingMessageNotificationParam>,
    resource_updates: Vec<String>,
    /// The forms of the elicitations the server sent, as JSON.
    elicitation_forms: Vec<Value>,
}

/// A client that answers elicitation and sampling (when it declares them) predictably.
#[derive(Clone, Default)]
struct TestClient {
    elicitation: bool,
    sampling: bool,
    seen: Arc<Mutex<Seen>>,
}

impl TestClient {
    fn answering() -> Self {
        Self {
            elicitation: true,
            sampling: true,
            ..Self::default()
        }
    }
}

impl ClientHandler for TestClient {
    fn get_info(&self) -> ClientConfig {
        let mut capabilities = ClientCapabilities::default();
        if self.elicitation {
            capabilities.elicitation = ClientCapabilities::builder()
                .enable_elicitation()
                .build()
                .elicitation;
        }
        if self.sampling {
            capabilities.sampling = ClientCapabilities::builder()
                .enable_sampling()
                .build()
                .sampling;
        }
        ClientConfig::new(
            capabilities,
            Implementation::new("demo-server-test", "1.0.0"),
        )
    }

    /// Accepts: `ask_user`'s question with "yes to <message>", any other form with the
    /// defaults its fields declare.
    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        let ElicitRequestParams::FormElicitationParams {
            message,
            requested_schema,
            ..
        } = request
        else {
            return Err(ErrorData::invalid_params("expected a form", None));
        };
        let form = serde_json::to_value(&requested_schema).unwrap();
        self.seen
            .lock()
            .unwrap()
            .elicitation_forms
            .push(form.clone());
        if requested_schema.properties.contains_key("answer") {
            return Ok(ElicitResult::new(ElicitationAction::Accept)
                .with_content(json!({ "answer": format!("yes to {message}") })));
        }
        let defaults: serde_json::Map<String, Value> = form["properties"]
            .as_object()
            .unwrap()
            .iter()
            .filter_map(|(name, field)| Some((name.clone(), field.get("default")?.clone())))
            .collect();
        Ok(ElicitResult::new(ElicitationAction::Accept).with_content(Value::Object(defaults)))
    }

    async fn create_message(
        &self,
        params: CreateMessageRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<CreateMessageResult, ErrorData> {
        let prompt = params.messages[0]
            .content
            .first()
            .unwrap()
            .as_text()
            .unwrap();
        Ok(CreateMessageResult::new(
            SamplingMessage::assistant_text(format!("the model read: {}", prompt.text)),
            "test-model".to_owned(),
        ))
    }

    async fn on_progress(
        &self,
        params: ProgressNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        self.seen.lock().unwrap().progress.push(params);
    }

    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        self.seen.lock().unwrap().tool_list_changes += 1;
    }

    async fn on_logging_message(
        &self,
        params: LoggingMessageNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        self.seen.lock().unwrap().log_messages.push(params);
    }

    async fn on_resource_updated(
        &self,
        params: ResourceUpdatedNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) {
        self.seen.lock().unwrap().resource_updates.push(params.uri);
    }
}

type Client = RunningService<RoleClient, TestClient>;

fn with_test_tools() -> DemoOptions {
    DemoOptions {
        test_tools: true,
        ..DemoOptions::default()
    }
}

/// Starts a demo server on one end of an in-memory pipe and `client` on the other.
async fn connect(options: DemoOptions, client: TestClient) -> (Client, DemoServer) {
    let server = DemoServer::new(&options);
    let client = connect_session(&server, client).await;
    (client, server)
}

/// Connects `client` to a new session of `server` (shared tools, its own log level and
/// subscriptions), over an in-memory pipe.
async fn connect_session(server: &DemoServer, client: TestClient) -> Client {
    let (server_io, client_io) = tokio::io::duplex(1 << 16);
    let session = server.new_session();
    tokio::spawn(async move {
        let running = session.serve(server_io).await.unwrap();
        running.waiting().await.unwrap();
    });
    client.serve(client_io).await.unwrap()
}

/// The same, with a client that speaks 2026-07-28 (no `initialize`, no server requests).
async fn connect_stateless(client: TestClient) -> Client {
    let (server_io, client_io) = tokio::io::duplex(1 << 16);
    let server = DemoServer::new(&with_test_tools());
    tokio::spawn(async move {
        let running = server.serve(server_io).await.unwrap();
        running.waiting().await.unwrap();
    });
    let lifecycle = ClientLifecycleMode::Discover {
        preferred_versions: vec![ProtocolVersion::V_2026_07_28],
    };
    client
        .serve_with_lifecycle(client_io, lifecycle)
        .await
        .unwrap()
}

async fn call(client: &Client, tool: &str, arguments: Value) -> CallToolResult {
    client
        .call_tool(params(tool, arguments))
        .await
        .unwrap_or_else(|e| panic!("calling {tool}: {e}"))
}

fn params(tool: &str, arguments: Value) -> CallToolRequestParams {
    CallToolRequestParams::new(tool.to_owned())
        .with_arguments(arguments.as_object().unwrap().clone())
}

fn text(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|block| block.as_text().map(|text| text.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

fn structured(result: &CallToolResult) -> &Value {
    assert_ne!(result.is_error, Some(true), "{}", text(result));
    result
        .structured_content
        .as_ref()
        .expect("structured content")
}

/// Waits (at most two seconds) until `condition` holds for what the client has `seen`. The
/// polling is the shared blocking wait, run on a blocking thread so that this runtime keeps
/// delivering the notifications it waits for.
async fn eventually(
    seen: &Arc<Mutex<Seen>>,
    what: &str,
    mut condition: impl FnMut(&Seen) -> bool + Send + 'static,
) {
    let seen = Arc::clone(seen);
    let what = what.to_owned();
    let waited = tokio::task::spawn_blocking(move || {
        helpers::wait_until_blocking(Duration::from_secs(2), what, || {
            condition(&seen.lock().unwrap()).then_some(())
        })
    })
    .await;
    if let Err(error) = waited {
        std::panic::resume_unwind(error.into_panic());
    }
}

async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(2), future)
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

#[tokio::test]
async fn serves_tools_prompts_and_resources() {
    let (client, _server) = connect(with_test_tools(), TestClient::default()).await;
    let info = client.peer_info().unwrap();
    assert_eq!(info.server_info.as_ref().unwrap().name, SERVER_NAME);
    assert_eq!(info.protocol_version, ProtocolVersion::V_2025_11_25);
    assert_eq!(
        info.capabilities.tools.as_ref().unwrap().list_changed,
        Some(true)
    );
    assert!(info.capabilities.prompts.is_some());
    let resources = info.capabilities.resources.as_ref().unwrap();
    assert_eq!(resources.subscribe, Some(true));
    assert!(info.capabilities.logging.is_some());
    assert!(info.capabilities.completions.is_some());

    let tools = client.list_all_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|tool| tool.name.as_ref()).collect();
    assert_eq!(
        names,
        [
            "current_time",
            "convert_time",
            "time_until",
            "calculate",
            "text_stats",
            "change_case",
            "slugify",
            "echo",
            "slow",
            "fail",
            "crash",
            "chatter",
            "mutate_tools",
            "rewrite_description",
            "ask_user",
            "ask_model",
            "test_simple_text",
            "test_image_content",
            "test_audio_content",
            "test_embedded_resource",
            "test_multiple_content_types",
            "test_tool_with_logging",
            "test_tool_with_progress",
            "test_error_handling",
            "test_sampling",
            "test_elicitation",
            "test_elicitation_sep1034_defaults",
            "test_elicitation_sep1330_enums",
            "test_reconnection",
            "json_schema_2020_12_tool",
            "update_watched_resource"
        ]
    );

    let prompts = client.list_all_prompts().await.unwrap();
    let prompt_names: Vec<&str> = prompts.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        prompt_names,
        [
            "explain_time_zone",
            "check_calculation",
            "test_simple_prompt",
            "test_prompt_with_arguments",
            "test_prompt_with_embedded_resource",
            "test_prompt_with_image"
        ]
    );
    let prompt = client
        .get_prompt(
            GetPromptRequestParams::new("explain_time_zone")
                .with_arguments(json!({"zone": "Asia/Tokyo"}).as_object().unwrap().clone()),
        )
        .await
        .unwrap();
    let prompt_text = &prompt.messages[0].content.as_text().unwrap().text;
    assert!(prompt_text.contains("Asia/Tokyo") && prompt_text.contains("+09:00"));

    let resources = client.list_all_resources().await.unwrap();
    let uris: Vec<&str> = resources.iter().map(|r| r.uri.as_str()).collect();
    assert_eq!(
        uris,
        [
            "demo://about",
            "demo://tools",
            "test://static-text",
            "test://static-binary",
            "test://watched-resource"
        ]
    );
    let about = client
        .read_resource(ReadResourceRequestParams::new("demo://about"))
        .await
        .unwrap();
    let ResourceContents::TextResourceContents { text, .. } = &about.contents[0] else {
        panic!("demo://about is not text");
    };
    assert!(text.starts_with("# mcpproxy demo server"));
}

#[tokio::test]
async fn everyday_tools_answer() {
    let (client, _server) = connect(DemoOptions::default(), TestClient::default()).await;

    let now = call(&client, "current_time", json!({"timezone": "Europe/Paris"})).await;
    let now = structured(&now);
    assert_eq!(now["timezone"], "Europe/Paris");
    assert!(["+01:00", "+02:00"].contains(&now["utc_offset"].as_str().unwrap()));
    assert!(now["weekday"].as_str().unwrap().ends_with("day"));
    let utc = call(&client, "current_time", json!({})).await;
    assert!(
        structured(&utc)["datetime"]
            .as_str()
            .unwrap()
            .ends_with("+00:00")
    );

    let conversion = call(
        &client,
        "convert_time",
        json!({"time": "2025-01-15T12:00:00Z", "from_timezone": "UTC", "to_timezone": "America/New_York"}),
    )
    .await;
    assert_eq!(
        structured(&conversion)["target"]["datetime"],
        "2025-01-15T07:00:00-05:00"
    );
    assert_eq!(structured(&conversion)["time_difference"], "-5h");

    let until = call(&client, "time_until", json!({"datetime": "2000-01-01"})).await;
    assert_eq!(structured(&until)["is_past"], true);

    let sum = call(
        &client,
        "calculate",
        json!({"expression": "2 * (3 + 4) ^ 2"}),
    )
    .await;
    assert_eq!(structured(&sum)["result"], 98.0);
    let bad = call(&client, "calculate", json!({"expression": "(1 + 2))"})).await;
    assert_eq!(bad.is_error, Some(true));
    assert_eq!(text(&bad), "unexpected ')' at column 8");

    let stats = call(&client, "text_stats", json!({"text": "One. Two three!"})).await;
    assert_eq!(structured(&stats)["words"], 3);
    assert_eq!(structured(&stats)["sentences"], 2);

    let snake = call(
        &client,
        "change_case",
        json!({"text": "Hello World", "case": "snake"}),
    )
    .await;
    assert_eq!(structured(&snake)["text"], "hello_world");
    let bad_case = call(
        &client,
        "change_case",
        json!({"text": "x", "case": "shouting"}),
    )
    .await;
    assert_eq!(bad_case.is_error, Some(true));
    assert!(text(&bad_case).starts_with("invalid arguments: unknown variant `shouting`"));

    let slug = call(&client, "slugify", json!({"text": "Crème Brûlée: 2 ways!"})).await;
    assert_eq!(structured(&slug)["text"], "creme-brulee-2-ways");

    let missing = call(&client, "slugify", json!({})).await;
    assert_eq!(missing.is_error, Some(true));
    assert_eq!(text(&missing), "invalid arguments: missing field `text`");
}

#[tokio::test]
async fn test_tools_are_absent_without_the_flag() {
    let (client, _server) = connect(DemoOptions::default(), TestClient::default()).await;
    let info = client.peer_info().unwrap();
    assert!(info.capabilities.logging.is_none());
    assert!(info.capabilities.completions.is_none());
    assert_eq!(
        info.capabilities.resources.as_ref().unwrap().subscribe,
        None
    );
    assert!(
        client
            .list_all_resource_templates()
            .await
            .unwrap()
            .is_empty()
    );
    let level = client
        .set_level(SetLevelRequestParams::new(LoggingLevel::Debug))
        .await;
    assert!(level.is_err(), "{level:?}");

    let error = client
        .call_tool(params("echo", json!({"message": "hi"})))
        .await
        .unwrap_err();
    let ServiceError::McpError(error) = error else {
        panic!("expected a JSON-RPC error, got {error}");
    };
    assert_eq!(error.message, "unknown tool 'echo'");
}

#[tokio::test]
async fn echo_and_fail() {
    let (client, _server) = connect(with_test_tools(), TestClient::default()).await;
    let echo = call(&client, "echo", json!({"message": "hi there"})).await;
    assert_eq!(text(&echo), "Echo: hi there");
    assert_ne!(echo.is_error, Some(true));

    let fail = call(&client, "fail", json!({})).await;
    assert_eq!(fail.is_error, Some(true));
    assert!(text(&fail).contains("on purpose"));
}

#[tokio::test]
async fn slow_reports_progress_then_answers() {
    let client_handler = TestClient::default();
    let seen = client_handler.seen.clone();
    let (client, _server) = connect(with_test_tools(), client_handler).await;
    let slow = call(&client, "slow", json!({"seconds": 0.45})).await;
    assert_eq!(text(&slow), "slept 0.45 s");

    // Ticks at 100, 200, 300 and 400 ms; allow for a late scheduler.
    eventually(&seen, "progress", |seen| seen.progress.len() >= 3).await;
    let progress = seen.lock().unwrap().progress.clone();
    assert!(
        progress
            .windows(2)
            .all(|pair| pair[0].progress < pair[1].progress),
        "progress must grow: {progress:?}"
    );
    assert!(progress.iter().all(|p| p.total == Some(0.45)));

    let negative = call(&client, "slow", json!({"seconds": -1})).await;
    assert_eq!(negative.is_error, Some(true));
}

/// How many progress reports carried `token`, and how many carried another.
fn reports_by_token(seen: &Seen, token: &ProgressToken) -> (usize, usize) {
    let with_token = seen
        .progress
        .iter()
        .filter(|report| &report.progress_token == token)
        .count();
    (with_token, seen.progress.len() - with_token)
}

#[tokio::test]
async fn slow_stops_when_cancelled() {
    let client_handler = TestClient::default();
    let seen = client_handler.seen.clone();
    let (client, _server) = connect(with_test_tools(), client_handler).await;
    let request = ClientRequest::CallToolRequest(CallToolRequest::new(params(
        "slow",
        json!({"seconds": 30}),
    )));
    // The timeout sends notifications/cancelled for the call.
    let outcome = client
        .send_request_with_option(
            request,
            PeerRequestOptions::with_timeout(Duration::from_millis(350)),
        )
        .await
        .unwrap()
        .await_response()
        .await;
    assert!(
        matches!(outcome, Err(ServiceError::Timeout { .. })),
        "{outcome:?}"
    );

    eventually(&seen, "progress before the cancellation", |seen| {
        seen.progress.len() >= 2
    })
    .await;
    // A second slow call on the session marks a window: its request follows the cancellation
    // on the session's ordered stream, so the first call is cancelled before the second
    // starts, and the second's own reports (every 100 ms) show time passing on the server.
    // Between its first report and its third, the first call, had it kept running, would
    // have reported twice.
    let cancelled = seen.lock().unwrap().progress[0].progress_token.clone();
    let (marker, at_first_marker_report) =
        tokio::join!(call(&client, "slow", json!({"seconds": 0.45})), async {
            let token = cancelled.clone();
            eventually(
                &seen,
                "the second call's first progress report",
                move |seen| reports_by_token(seen, &token).1 >= 1,
            )
            .await;
            reports_by_token(&seen.lock().unwrap(), &cancelled).0
        });
    assert_eq!(text(&marker), "slept 0.45 s");
    let token = cancelled.clone();
    eventually(
        &seen,
        "the second call's third progress report",
        move |seen| reports_by_token(seen, &token).1 >= 3,
    )
    .await;
    assert_eq!(
        reports_by_token(&seen.lock().unwrap(), &cancelled).0,
        at_first_marker_report,
        "the cancelled call kept running"
    );

    // The server still serves.
    let echo = call(&client, "echo", json!({"message": "still here"})).await;
    assert_eq!(text(&echo), "Echo: still here");
}

#[tokio::test]
async fn crash_asks_for_the_exit_and_never_answers() {
    let (client, server) = connect(with_test_tools(), TestClient::default()).await;
    let request = ClientRequest::CallToolRequest(CallToolRequest::new(params("crash", json!({}))));
    let answer = client
        .send_request_with_option(
            request,
            PeerRequestOptions::with_timeout(Duration::from_millis(300)),
        )
        .await
        .unwrap()
        .await_response()
        .await;
    assert!(
        matches!(answer, Err(ServiceError::Timeout { .. })),
        "{answer:?}"
    );
    within("the crash request", server.crash_requested()).await;
}

#[tokio::test]
async fn mutate_tools_adds_a_tool_and_says_so() {
    let client_handler = TestClient::default();
    let seen = client_handler.seen.clone();
    let (client, _server) = connect(with_test_tools(), client_handler).await;

    let first = call(&client, "mutate_tools", json!({})).await;
    assert_eq!(text(&first), "generated_1");
    eventually(&seen, "tools/list_changed", |seen| {
        seen.tool_list_changes == 1
    })
    .await;
    let second = call(&client, "mutate_tools", json!({})).await;
    assert_eq!(text(&second), "generated_2");
    eventually(&seen, "tools/list_changed", |seen| {
        seen.tool_list_changes == 2
    })
    .await;

    let tools = client.list_all_tools().await.unwrap();
    let generated = tools
        .iter()
        .find(|tool| tool.name == "generated_2")
        .unwrap();
    assert_eq!(
        generated.annotations.as_ref().unwrap().read_only_hint,
        Some(true)
    );
    let echo = call(&client, "generated_2", json!({"message": "hello"})).await;
    assert_eq!(text(&echo), "generated_2: hello");
}

#[tokio::test]
async fn ask_user_and_ask_model_go_through_the_client() {
    let (client, _server) = connect(with_test_tools(), TestClient::answering()).await;
    let asked = call(&client, "ask_user", json!({"message": "Ready?"})).await;
    assert_eq!(
        text(&asked),
        r#"action: accept, content: {"answer":"yes to Ready?"}"#
    );
    let sampled = call(&client, "ask_model", json!({"prompt": "Say hi"})).await;
    assert_eq!(text(&sampled), "the model read: Say hi");
    let defaults = call(&client, "ask_model", json!({})).await;
    assert_eq!(
        text(&defaults),
        "the model read: Say hello in one short sentence."
    );
}

#[tokio::test]
async fn ask_user_and_ask_model_fail_without_the_capability() {
    let (client, _server) = connect(with_test_tools(), TestClient::default()).await;
    let asked = call(&client, "ask_user", json!({})).await;
    assert_eq!(asked.is_error, Some(true));
    assert_eq!(
        text(&asked),
        "cannot ask the user: the client did not declare the elicitation capability"
    );
    let sampled = call(&client, "ask_model", json!({})).await;
    assert_eq!(sampled.is_error, Some(true));
    assert_eq!(
        text(&sampled),
        "cannot ask the model: the client did not declare the sampling capability"
    );
}

#[tokio::test]
async fn stateless_clients_get_input_required_and_subscriptions() {
    let client = connect_stateless(TestClient::answering()).await;

    let first_round = client
        .call_tool_once(params("ask_user", json!({})))
        .await
        .unwrap();
    assert!(
        matches!(first_round, CallToolResponse::InputRequired(_)),
        "{first_round:?}"
    );

    // rmcp's client answers the input_required round through its handler and calls again.
    let asked = call(&client, "ask_user", json!({"message": "Ready?"})).await;
    assert_eq!(
        text(&asked),
        r#"action: accept, content: {"answer":"yes to Ready?"}"#
    );
    let sampled = call(&client, "ask_model", json!({"prompt": "Say hi"})).await;
    assert_eq!(text(&sampled), "the model read: Say hi");

    let mut subscription = client
        .listen(SubscriptionFilter::builder().tools_list_changed().build())
        .await
        .unwrap();
    let added = call(&client, "mutate_tools", json!({})).await;
    assert_eq!(text(&added), "generated_1");
    let notification = within("the tool list change", subscription.next())
        .await
        .unwrap()
        .unwrap();
    assert!(
        matches!(
            notification,
            ServerNotification::ToolListChangedNotification(_)
        ),
        "{notification:?}"
    );
}

/// The log lines the client has seen so far.
fn log_lines(seen: &Mutex<Seen>) -> Vec<(LoggingLevel, String)> {
    seen.lock()
        .unwrap()
        .log_messages
        .iter()
        .map(|message| {
            let line = message.data.as_str().unwrap_or_default().to_owned();
            (message.level, line)
        })
        .collect()
}

#[tokio::test]
async fn conformance_content_fixtures() {
    let (client, _server) = connect(with_test_tools(), TestClient::default()).await;

    let simple = call(&client, "test_simple_text", json!({})).await;
    assert_eq!(text(&simple), "This is a simple text response for testing.");

    let image = call(&client, "test_image_content", json!({})).await;
    let image = image.content[0].as_image().unwrap();
    assert_eq!(image.mime_type, "image/png");
    assert!(
        image.data.starts_with("iVBORw0KGgo"),
        "not a PNG: {}",
        image.data
    );

    let audio = call(&client, "test_audio_content", json!({})).await;
    let audio = audio.content[0].as_audio().unwrap();
    assert_eq!(audio.mime_type, "audio/wav");
    assert!(audio.data.starts_with("UklGR"), "not a WAV: {}", audio.data);

    let embedded = call(&client, "test_embedded_resource", json!({})).await;
    let ResourceContents::TextResourceContents {
        uri,
        mime_type,
        text: resource_text,
        ..
    } = &embedded.content[0].as_resource().unwrap().resource
    else {
        panic!("the embedded resource is not text");
    };
    assert_eq!(uri, "test://embedded-resource");
    assert_eq!(mime_type.as_deref(), Some("text/plain"));
    assert_eq!(resource_text, "This is an embedded resource content.");

    let mixed = call(&client, "test_multiple_content_types", json!({})).await;
    assert_eq!(mixed.content.len(), 3);
    assert!(mixed.content[0].as_text().is_some());
    assert!(mixed.content[1].as_image().is_some());
    assert!(mixed.content[2].as_resource().is_some());

    let error = call(&client, "test_error_handling", json!({})).await;
    assert_eq!(error.is_error, Some(true));
    assert_eq!(
        text(&error),
        "This tool intentionally returns an error for testing"
    );

    // The 2020-12 keywords reach the client as written.
    let tools = client.list_all_tools().await.unwrap();
    let schema = &tools
        .iter()
        .find(|tool| tool.name == "json_schema_2020_12_tool")
        .unwrap()
        .input_schema;
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(schema["$defs"]["address"]["type"], "object");
    assert_eq!(schema["additionalProperties"], false);
    let echoed = call(&client, "json_schema_2020_12_tool", json!({"name": "Ada"})).await;
    assert_eq!(text(&echoed), r#"Received arguments: {"name":"Ada"}"#);
}

#[tokio::test]
async fn logging_follows_the_level_the_client_set() {
    let client_handler = TestClient::default();
    let seen = client_handler.seen.clone();
    let (client, _server) = connect(with_test_tools(), client_handler).await;
    let info_lines = [
        "Tool execution started",
        "Tool processing data",
        "Tool execution completed",
    ];

    // Before any logging/setLevel the session logs at info.
    let answer = call(&client, "test_tool_with_logging", json!({})).await;
    assert_eq!(text(&answer), "Tool with logging executed successfully");
    eventually(&seen, "three info lines", |seen| {
        seen.log_messages.len() >= 3
    })
    .await;
    let lines = log_lines(&seen);
    assert_eq!(
        lines,
        info_lines.map(|line| (LoggingLevel::Info, line.to_owned()))
    );
    assert!(
        seen.lock()
            .unwrap()
            .log_messages
            .iter()
            .all(|message| message.logger.as_deref() == Some("conformance"))
    );

    // Debug lets the debug line through too, in order.
    seen.lock().unwrap().log_messages.clear();
    client
        .set_level(SetLevelRequestParams::new(LoggingLevel::Debug))
        .await
        .unwrap();
    call(&client, "test_tool_with_logging", json!({})).await;
    eventually(&seen, "four lines", |seen| seen.log_messages.len() >= 4).await;
    assert_eq!(
        log_lines(&seen)[1],
        (
            LoggingLevel::Debug,
            "Tool is about to process data".to_owned()
        )
    );

    // Warning silences the tool: a later call's answer arrives after anything it logged.
    seen.lock().unwrap().log_messages.clear();
    client
        .set_level(SetLevelRequestParams::new(LoggingLevel::Warning))
        .await
        .unwrap();
    call(&client, "test_tool_with_logging", json!({})).await;
    // The marker: lines logged after the silenced call, at info again. Anything the silenced
    // call had sent would have come before them on the session's ordered stream.
    client
        .set_level(SetLevelRequestParams::new(LoggingLevel::Info))
        .await
        .unwrap();
    call(&client, "test_reconnection", json!({})).await;
    eventually(&seen, "the marker's two lines", |seen| {
        seen.log_messages.len() >= 2
    })
    .await;
    assert_eq!(
        log_lines(&seen),
        ["Before disconnect", "After reconnect"].map(|line| (LoggingLevel::Info, line.to_owned()))
    );
}

#[tokio::test]
async fn progress_fixture_reports_in_order() {
    let client_handler = TestClient::default();
    let seen = client_handler.seen.clone();
    let (client, _server) = connect(with_test_tools(), client_handler).await;
    // rmcp's client puts a progress token on every request.
    let answer = call(&client, "test_tool_with_progress", json!({})).await;
    assert!(
        text(&answer).starts_with("Reported progress 0, 50 and 100 of 100 to token "),
        "{}",
        text(&answer)
    );
    eventually(&seen, "three progress reports", |seen| {
        seen.progress.len() >= 3
    })
    .await;
    let progress = seen.lock().unwrap().progress.clone();
    let steps: Vec<(f64, Option<f64>)> = progress.iter().map(|p| (p.progress, p.total)).collect();
    assert_eq!(
        steps,
        [
            (0.0, Some(100.0)),
            (50.0, Some(100.0)),
            (100.0, Some(100.0))
        ]
    );
}

#[tokio::test]
async fn resources_templates_and_subscriptions() {
    let server = DemoServer::new(&with_test_tools());
    let subscriber_handler = TestClient::default();
    let subscriber_seen = subscriber_handler.seen.clone();
    let subscriber = connect_session(&server, subscriber_handler).await;
    let bystander_handler = TestClient::default();
    let bystander_seen = bystander_handler.seen.clone();
    let bystander = connect_session(&server, bystander_handler).await;

    let read = |uri: &'static str| {
        let client = &subscriber;
        async move {
            let mut result = client
                .read_resource(ReadResourceRequestParams::new(uri))
                .await
                .unwrap_or_else(|e| panic!("reading {uri}: {e}"));
            assert_eq!(result.contents.len(), 1, "{uri}");
            result.contents.remove(0)
        }
    };
    assert_eq!(
        text_contents(read("test://static-text").await),
        "This is the content of the static text resource."
    );
    let ResourceContents::BlobResourceContents {
        blob, mime_type, ..
    } = read("test://static-binary").await
    else {
        panic!("test://static-binary is not a blob");
    };
    assert_eq!(mime_type.as_deref(), Some("image/png"));
    assert!(blob.starts_with("iVBORw0KGgo"));

    let templates = subscriber.list_all_resource_templates().await.unwrap();
    let template_uris: Vec<&str> = templates.iter().map(|t| t.uri_template.as_str()).collect();
    assert_eq!(template_uris, ["test://template/{id}/data"]);
    let data: Value =
        serde_json::from_str(&text_contents(read("test://template/123/data").await)).unwrap();
    assert_eq!(
        data,
        json!({"id": "123", "templateTest": true, "data": "Data for ID: 123"})
    );

    // Only the subscribed session hears of updates, and only while subscribed.
    let missing = subscriber
        .subscribe(SubscribeRequestParams::new("test://nothing"))
        .await;
    assert!(missing.is_err(), "{missing:?}");
    subscriber
        .subscribe(SubscribeRequestParams::new("test://watched-resource"))
        .await
        .unwrap();
    let updated = call(
        &bystander,
        "update_watched_resource",
        json!({"text": "new text"}),
    )
    .await;
    assert_eq!(text(&updated), "test://watched-resource updated");
    eventually(&subscriber_seen, "the resource update", |seen| {
        seen.resource_updates.len() == 1
    })
    .await;
    assert_eq!(
        subscriber_seen.lock().unwrap().resource_updates,
        ["test://watched-resource"]
    );
    assert_eq!(
        text_contents(read("test://watched-resource").await),
        "new text"
    );

    subscriber
        .unsubscribe(UnsubscribeRequestParams::new("test://watched-resource"))
        .await
        .unwrap();
    call(
        &bystander,
        "update_watched_resource",
        json!({"text": "newer text"}),
    )
    .await;
    // The marker: a tool list change the subscriber causes afterwards reaches it on the
    // same ordered stream, after any update the server still sent it.
    call(&subscriber, "mutate_tools", json!({})).await;
    eventually(&subscriber_seen, "the tool list change", |seen| {
        seen.tool_list_changes == 1
    })
    .await;
    assert_eq!(subscriber_seen.lock().unwrap().resource_updates.len(), 1);
    assert!(bystander_seen.lock().unwrap().resource_updates.is_empty());
}

fn text_contents(contents: ResourceContents) -> String {
    let ResourceContents::TextResourceContents { text, .. } = contents else {
        panic!("not text: {contents:?}");
    };
    text
}

#[tokio::test]
async fn prompts_with_arguments_and_completion() {
    let (client, _server) = connect(with_test_tools(), TestClient::default()).await;
    let arguments = |value: Value| value.as_object().unwrap().clone();

    let with_arguments = client
        .get_prompt(
            GetPromptRequestParams::new("test_prompt_with_arguments").with_arguments(arguments(
                json!({"arg1": "testValue1", "arg2": "testValue2"}),
            )),
        )
        .await
        .unwrap();
    assert_eq!(
        with_arguments.messages[0].content.as_text().unwrap().text,
        "Prompt with arguments: arg1='testValue1', arg2='testValue2'"
    );
    let missing = client
        .get_prompt(
            GetPromptRequestParams::new("test_prompt_with_arguments")
                .with_arguments(arguments(json!({"arg1": "only one"}))),
        )
        .await;
    assert!(missing.is_err(), "{missing:?}");

    let embedded = client
        .get_prompt(
            GetPromptRequestParams::new("test_prompt_with_embedded_resource")
                .with_arguments(arguments(json!({"resourceUri": "test://mine"}))),
        )
        .await
        .unwrap();
    let resource = embedded.messages[0].content.as_resource().unwrap();
    let ResourceContents::TextResourceContents { uri, .. } = &resource.resource else {
        panic!("the embedded resource is not text");
    };
    assert_eq!(uri, "test://mine");

    let image = client
        .get_prompt(GetPromptRequestParams::new("test_prompt_with_image"))
        .await
        .unwrap();
    assert_eq!(
        image.messages[0].content.as_image().unwrap().mime_type,
        "image/png"
    );

    let completion = client
        .complete(CompleteRequestParams::new(
            Reference::for_prompt("test_prompt_with_arguments"),
            ArgumentInfo::new("arg1", "test"),
        ))
        .await
        .unwrap()
        .completion;
    assert_eq!(
        completion.values,
        ["testValue1", "testValue2", "testValue3"]
    );
    assert_eq!(completion.has_more, Some(false));
    let template_ids = client
        .complete(CompleteRequestParams::new(
            Reference::for_resource("test://template/{id}/data"),
            ArgumentInfo::new("id", "12"),
        ))
        .await
        .unwrap()
        .completion
        .values;
    assert_eq!(template_ids, ["123"]);
}

#[tokio::test]
async fn sampling_and_elicitation_fixtures_ask_the_client() {
    let client_handler = TestClient::answering();
    let seen = client_handler.seen.clone();
    let (client, _server) = connect(with_test_tools(), client_handler).await;

    let sampled = call(&client, "test_sampling", json!({"prompt": "Hi"})).await;
    assert_eq!(text(&sampled), "LLM response: the model read: Hi");

    // The test client accepts with the defaults the form declares (SEP-1034).
    let defaults = call(&client, "test_elicitation_sep1034_defaults", json!({})).await;
    assert_eq!(
        text(&defaults),
        r#"Elicitation result: action: accept, content: {"age":30,"name":"John Doe","score":95.5,"status":"active","verified":true}"#
    );
    let enums = call(&client, "test_elicitation_sep1330_enums", json!({})).await;
    assert!(
        text(&enums).starts_with("Elicitation completed: action: accept"),
        "{}",
        text(&enums)
    );
    let forms = seen.lock().unwrap().elicitation_forms.clone();
    assert_eq!(
        forms[1]["properties"]["legacyEnum"]["enumNames"][0],
        "Small Size"
    );
    assert_eq!(
        forms[1]["properties"]["titledMulti"]["items"]["anyOf"][1]["const"],
        "bug"
    );

    let refused = connect(with_test_tools(), TestClient::default()).await.0;
    let not_asked = call(&refused, "test_elicitation", json!({"message": "Hi?"})).await;
    assert_eq!(not_asked.is_error, Some(true));
}

#[tokio::test]
async fn reconnection_without_http_only_pauses() {
    let (client, _server) = connect(with_test_tools(), TestClient::default()).await;
    let answer = call(&client, "test_reconnection", json!({})).await;
    assert_eq!(
        text(&answer),
        "Reconnection test completed: no resumable stream to close here (stdio, or HTTP \
         without a session)"
    );
}

/// Starts `serve_http` on a free loopback port; returns the endpoint URL. The server stops
/// when the test's runtime ends.
async fn start_http_server() -> String {
    let (ready, url) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let outcome = serve_http(
            with_test_tools(),
            "127.0.0.1:0".parse().unwrap(),
            move |url| ready.send(url.to_owned()).unwrap(),
            std::future::pending(),
        )
        .await;
        // Only a crash call (none here) or a failure ends the server before the runtime does.
        panic!("the HTTP server ended: {outcome:?}");
    });
    within("the HTTP server", url).await.unwrap()
}

#[tokio::test]
async fn serves_streamable_http() {
    let url = start_http_server().await;
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with("/mcp"),
        "{url}"
    );

    let client_handler = TestClient::default();
    let seen = client_handler.seen.clone();
    let client = client_handler
        .serve(StreamableHttpClientTransport::from_uri(url.clone()))
        .await
        .unwrap();
    assert_eq!(
        client.peer_info().unwrap().protocol_version,
        ProtocolVersion::V_2025_11_25
    );
    let echo = call(&client, "echo", json!({"message": "over HTTP"})).await;
    assert_eq!(text(&echo), "Echo: over HTTP");
    call(&client, "test_tool_with_progress", json!({})).await;
    eventually(&seen, "progress over HTTP", |seen| seen.progress.len() >= 3).await;

    // The call's stream is closed mid-call; rmcp's client resumes it and gets the answer.
    let reconnected = call(&client, "test_reconnection", json!({})).await;
    assert_eq!(
        text(&reconnected),
        "Reconnection test completed: the client resumed the closed stream"
    );

    // DNS rebinding protection: a foreign Host or Origin is refused, loopback ones pass.
    let initialize = json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "raw", "version": "1"}
        }
    });
    let post = |origin: &'static str| {
        reqwest::Client::new()
            .post(&url)
            .header("accept", "application/json, text/event-stream")
            .header("origin", origin)
            .json(&initialize)
            .send()
    };
    let foreign = post("http://evil.example.com").await.unwrap();
    assert_eq!(foreign.status(), reqwest::StatusCode::FORBIDDEN);
    let local = post("http://localhost:1234").await.unwrap();
    assert_eq!(local.status(), reqwest::StatusCode::OK);
}

#[tokio::test]
async fn stateless_clients_use_the_fixtures() {
    let client_handler = TestClient::answering();
    let seen = client_handler.seen.clone();
    let client = connect_stateless(client_handler).await;

    // Sampling goes as an input_required round, which rmcp's client answers and retries.
    let sampled = call(&client, "test_sampling", json!({"prompt": "Hi"})).await;
    assert_eq!(text(&sampled), "LLM response: the model read: Hi");

    // Subscriptions go through subscriptions/listen; resources/subscribe is gone.
    let legacy = client
        .subscribe(SubscribeRequestParams::new("test://watched-resource"))
        .await;
    assert!(legacy.is_err(), "{legacy:?}");
    let mut subscription = client
        .listen(
            SubscriptionFilter::builder()
                .resource_subscription("test://watched-resource")
                .build(),
        )
        .await
        .unwrap();
    call(&client, "update_watched_resource", json!({"text": "x"})).await;
    let notification = within("the resource update", subscription.next())
        .await
        .unwrap()
        .unwrap();
    let ServerNotification::ResourceUpdatedNotification(update) = notification else {
        panic!("expected a resource update, got {notification:?}");
    };
    assert_eq!(update.params.uri, "test://watched-resource");

    // A request without a logLevel gets no log lines (SEP-2575).
    call(&client, "test_tool_with_logging", json!({})).await;
    assert_eq!(log_lines(&seen), []);
}
