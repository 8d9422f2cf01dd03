//! The demo server end to end: an rmcp client talks to it over an in-memory pipe, lists
//! everything it offers, and calls every tool.

#![cfg(feature = "server")]
// Helpers panic on the unexpected like the tests do. Sampling is deprecated by SEP-2577, but
// `ask_model` exists to exercise it.
#![allow(clippy::unwrap_used, clippy::expect_used, deprecated)]

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mcpproxy_daemon::demo::{DemoOptions, DemoServer, SERVER_NAME};
use rmcp::model::{
    CallToolRequest, CallToolRequestParams, CallToolResponse, CallToolResult, ClientCapabilities,
    ClientConfig, ClientRequest, CreateMessageRequestParams, CreateMessageResult,
    ElicitRequestParams, ElicitResult, ElicitationAction, GetPromptRequestParams, Implementation,
    ProgressNotificationParam, ProtocolVersion, ReadResourceRequestParams, ResourceContents,
    SamplingMessage, ServerNotification, SubscriptionFilter,
};
use rmcp::service::{
    ClientLifecycleMode, ClientServiceExt, NotificationContext, PeerRequestOptions, RequestContext,
    RoleClient, RunningService, ServiceError,
};
use rmcp::{ClientHandler, ErrorData, ServiceExt};
use serde_json::{Value, json};

/// What the test client saw arrive outside of answers.
#[derive(Debug, Default)]
struct Seen {
    progress: Vec<ProgressNotificationParam>,
    tool_list_changes: usize,
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
        assert!(requested_schema.properties.contains_key("answer"));
        Ok(ElicitResult::new(ElicitationAction::Accept)
            .with_content(json!({ "answer": format!("yes to {message}") })))
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
    let (server_io, client_io) = tokio::io::duplex(1 << 16);
    let server = DemoServer::new(&options);
    let handle = server.clone();
    tokio::spawn(async move {
        let running = server.serve(server_io).await.unwrap();
        running.waiting().await.unwrap();
    });
    let client = client.serve(client_io).await.unwrap();
    (client, handle)
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

/// Polls `condition` every 20 ms until it holds, failing after two seconds.
async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    while !condition() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
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
    assert!(info.capabilities.resources.is_some());

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
            "mutate_tools",
            "ask_user",
            "ask_model"
        ]
    );

    let prompts = client.list_all_prompts().await.unwrap();
    let prompt_names: Vec<&str> = prompts.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(prompt_names, ["explain_time_zone", "check_calculation"]);
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
    assert_eq!(uris, ["demo://about", "demo://tools"]);
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
    eventually("progress", || seen.lock().unwrap().progress.len() >= 3).await;
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

    let progress_count = || seen.lock().unwrap().progress.len();
    eventually("progress before the cancellation", || progress_count() >= 2).await;
    // Give the cancellation time to land, then check that progress stopped.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let after_cancel = progress_count();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(progress_count(), after_cancel, "the slow call kept running");

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
    eventually("tools/list_changed", || {
        seen.lock().unwrap().tool_list_changes == 1
    })
    .await;
    let second = call(&client, "mutate_tools", json!({})).await;
    assert_eq!(text(&second), "generated_2");
    eventually("tools/list_changed", || {
        seen.lock().unwrap().tool_list_changes == 2
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
