//! OAuth against a real authorization server run here (npm `oauth2-mock-server`) in front of
//! the demo server (`tests/fixtures/servers/oauth_guard.mjs`, whose proxy takes only tokens
//! that server issued): login through the daemon's loopback redirect, calls, a forced expiry
//! answered by a silent refresh, a refused refresh that ends in `needs_auth` with no retry
//! loop, a second login, and afterwards no token anywhere but the secrets store.

use std::time::Duration;

use futures_util::StreamExt as _;
use mcpproxy_daemon::protocol::{
    Activity, AuthList, CallOutcome, Event, LogTail, OAuthChange, ServerAuth, ServerState, ToolCall,
};
use serde::Deserialize;

use crate::support::TestDaemon;
use crate::support::peers::{self, RunningPeer};
use crate::support::wait::wait_until;

const READY_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, Deserialize)]
struct Stats {
    refresh_requests: u32,
    code_requests: u32,
    tokens: Vec<String>,
}

/// The demo server over HTTP and the guard in front of it.
pub struct Guarded {
    _backend: RunningPeer,
    guard: RunningPeer,
}

impl Guarded {
    pub fn start() -> Self {
        let backend = demo_over_http();
        let guard = peers::start_ready_server(
            peers::node22(),
            &peers::fixture("servers/oauth_guard.mjs"),
            &[
                peers::oauth2_mock_server().to_str().unwrap(),
                backend.url.as_str(),
            ],
        );
        Self {
            _backend: backend,
            guard,
        }
    }

    /// A config with this server as `guarded`, logging in as a pre-registered client.
    pub fn config(&self) -> String {
        format!(
            "[servers.guarded]\nurl = \"{}\"\noauth = {{ client_id = \"mcpproxy-e2e\" }}\n",
            self.guard.url
        )
    }

    fn control(&self, what: &str) -> String {
        self.guard.url.replace("/mcp", &format!("/_control/{what}"))
    }

    async fn post(&self, what: &str) {
        let response = reqwest::Client::new()
            .post(self.control(what))
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "{what}: {}",
            response.status()
        );
    }

    async fn stats(&self) -> Stats {
        reqwest::get(self.control("stats"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

/// `mcpproxy demo-server --http`, which prints the same READY line the fixtures do.
fn demo_over_http() -> RunningPeer {
    peers::start_ready_server(
        env!("CARGO_BIN_EXE_mcpproxy"),
        std::path::Path::new("demo-server"),
        &["--http", "127.0.0.1:0"],
    )
}

/// Starts a login with `auth login --no-wait` and completes it the way a browser would.
async fn log_in(daemon: &TestDaemon, name: &str) {
    let output = daemon.cli(&["--json", "auth", "login", name, "--no-wait"]);
    assert!(
        output.status.success(),
        "auth login: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let auth: ServerAuth = serde_json::from_slice(&output.stdout).unwrap();
    approve_in_browser(&auth.login_url.expect("a login URL")).await;
}

/// Does what a browser does with a login URL: the authorization server approves at once and
/// redirects to the daemon's loopback listener, whose page says the login worked.
pub async fn approve_in_browser(url: &str) {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let approved = browser.get(url).send().await.unwrap();
    let location = approved
        .headers()
        .get("location")
        .expect("the authorization server redirects")
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        location.starts_with("http://127.0.0.1:"),
        "redirect to {location}"
    );
    let page = browser
        .get(&location)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Logged in"), "the redirect page says: {page}");
}

async fn calculate(daemon: &TestDaemon, expression: &str) -> Result<String, String> {
    let mut arguments = serde_json::Map::new();
    arguments.insert("expression".into(), expression.into());
    daemon
        .client
        .call_tool(&ToolCall {
            tool: "guarded:calculate".into(),
            arguments,
        })
        .await
        .map(|r| serde_json::to_string(&r).unwrap())
        .map_err(|e| e.to_string())
}

#[tokio::test]
async fn login_refresh_refusal_and_login_again_keep_tokens_out_of_everything() {
    let guarded = Guarded::start();
    let daemon = TestDaemon::start(&guarded.config()).await;
    let events = daemon.client.events().await.unwrap();
    let collected = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let sink = std::sync::Arc::clone(&collected);
    let changes = std::sync::Arc::new(std::sync::Mutex::new(Vec::<OAuthChange>::new()));
    let change_sink = std::sync::Arc::clone(&changes);
    tokio::spawn(async move {
        let mut events = Box::pin(events);
        while let Some(Ok(event)) = events.next().await {
            if let Event::OAuth(e) = &event {
                change_sink.lock().unwrap().push(e.change);
            }
            sink.lock()
                .unwrap()
                .push(serde_json::to_string(&event).unwrap());
        }
    });

    // First contact: 401, so needs_auth, with the URL of a login already waiting.
    let view = daemon
        .wait_state("guarded", ServerState::NeedsAuth, READY_TIMEOUT)
        .await;
    assert!(
        view.login_url.is_some(),
        "needs_auth carries the login URL: {view:?}"
    );

    log_in(&daemon, "guarded").await;
    daemon
        .wait_state("guarded", ServerState::Ready, READY_TIMEOUT)
        .await;
    let answer = calculate(&daemon, "6*7").await.expect("a call after login");
    assert!(answer.contains("42"), "{answer}");

    // Forced expiry: the server refuses the token; one silent refresh, and the call works.
    guarded.post("expire").await;
    let answer = calculate(&daemon, "2+3")
        .await
        .expect("a call after the token expired");
    assert!(answer.contains('5'), "{answer}");
    assert_eq!(
        guarded.stats().await.refresh_requests,
        1,
        "one refresh for one expiry"
    );

    // A refused refresh: needs_auth, in status and events, and no retry loop.
    guarded.post("refuse-refresh").await;
    guarded.post("expire").await;
    let refused = calculate(&daemon, "1+1").await;
    assert!(
        refused.is_err(),
        "a call without a usable token fails: {refused:?}"
    );
    let view = daemon
        .wait_state("guarded", ServerState::NeedsAuth, READY_TIMEOUT)
        .await;
    assert!(view.login_url.is_some());
    let status = daemon.cli(&["--json", "auth", "status", "guarded"]);
    let list: AuthList = serde_json::from_slice(&status.stdout).unwrap();
    assert!(
        matches!(
            list.servers[0].status,
            mcpproxy_daemon::protocol::AuthStatus::LoginRequired
                | mcpproxy_daemon::protocol::AuthStatus::LoggingIn
        ),
        "{list:?}"
    );
    let refreshes = guarded.stats().await.refresh_requests;
    // Absence of a retry loop can only be seen over time: a few seconds in which a loop
    // would have sent many refresh requests.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let later = guarded.stats().await.refresh_requests;
    assert!(
        later == refreshes && refreshes <= 3,
        "refresh requests went {refreshes} -> {later}: a retry loop"
    );
    wait_until(
        Duration::from_secs(10),
        "an oauth login_required event",
        || {
            let changes = std::sync::Arc::clone(&changes);
            async move {
                changes
                    .lock()
                    .unwrap()
                    .contains(&OAuthChange::LoginRequired)
                    .then_some(())
            }
        },
    )
    .await;

    // Login again: ready, and calls work.
    guarded.post("allow-refresh").await;
    log_in(&daemon, "guarded").await;
    daemon
        .wait_state("guarded", ServerState::Ready, READY_TIMEOUT)
        .await;
    let answer = calculate(&daemon, "7*6")
        .await
        .expect("a call after the second login");
    assert!(answer.contains("42"), "{answer}");
    assert_eq!(guarded.stats().await.code_requests, 2);

    // An import with literal tokens: they go to the secrets store, not config.toml.
    let import = daemon.dir.path().join("claude.json");
    std::fs::write(
        &import,
        r#"{"mcpServers": {"gh": {"url": "https://example.com/mcp", "headers": {"Authorization": "Bearer ghp_literalImportedToken123"}},
            "tool": {"command": "tool-mcp", "env": {"SERVICE_API_KEY": "sk-literal-imported-key-456"}}}}"#,
    )
    .unwrap();
    let imported = daemon.cli(&["config", "import", import.to_str().unwrap()]);
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );

    // No token anywhere: logs, events, activity, config.toml.
    let mut secrets = guarded.stats().await.tokens;
    secrets.push("ghp_literalImportedToken123".into());
    secrets.push("sk-literal-imported-key-456".into());
    let mut places: Vec<(String, String)> = Vec::new();
    for entry in walk(daemon.data_dir()) {
        if entry
            .file_name()
            .is_some_and(|n| n == "secrets.json" || n == "claude.json")
        {
            continue;
        }
        if let Ok(text) = std::fs::read_to_string(&entry) {
            places.push((entry.display().to_string(), text));
        }
    }
    let events = collected.lock().unwrap().clone();
    places.push(("events".into(), events.join("\n")));
    // Activity is only ever told as `activity` events (there is no stored activity log):
    // every call above is there, the refused one with its error, and none carries a token.
    let activity: Vec<Activity> = events
        .iter()
        .filter_map(|e| match serde_json::from_str::<Event>(e) {
            Ok(Event::Activity(a)) if a.server == "guarded" => Some(a),
            _ => None,
        })
        .collect();
    let outcomes = |outcome| activity.iter().filter(|a| a.outcome == outcome).count();
    assert!(
        outcomes(CallOutcome::Ok) == 3 && outcomes(CallOutcome::Failed) == 1,
        "the calls' activity: {activity:?}"
    );
    assert!(
        activity
            .iter()
            .any(|a| a.outcome == CallOutcome::Failed && a.error.is_some()),
        "the refused call's activity says why: {activity:?}"
    );
    places.push(("activity".into(), serde_json::to_string(&activity).unwrap()));
    let server_log = daemon.cli(&["--json", "upstream", "logs", "guarded", "-n", "1000"]);
    places.push((
        "server log".into(),
        String::from_utf8_lossy(&server_log.stdout).into_owned(),
    ));
    let daemon_log: LogTail = daemon.client.get("/logs?tail=10000").await.unwrap();
    assert!(!daemon_log.lines.is_empty(), "the daemon logged the flow");
    places.push((
        "daemon log".into(),
        serde_json::to_string(&daemon_log).unwrap(),
    ));
    for secret in &secrets {
        for (place, text) in &places {
            assert!(
                !text.contains(secret.as_str()),
                "a token leaked into {place}"
            );
        }
    }
    let config = std::fs::read_to_string(daemon.data_dir().join("config.toml")).unwrap();
    assert!(config.contains("${secret:GH_AUTHORIZATION}"), "{config}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}
