//! A daemon's state as the event stream would tell it, for snapshots, `update` tests and the
//! render bench: fixed times, a few servers in every kind of state, tools, calls and logs.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use jiff::{SignedDuration, Timestamp};
use mcpproxy_daemon::protocol::{
    Activity, CallOutcome, CallVariant, ConfigProblem, Event, LogLevel, LogLine, LogOrigin,
    ServerCounts, ServerState, ServerView, State, Status, ToolHints, ToolView, TransportKind,
};
use mcpproxy_tui::action::{Action, LinkEvent, Outcome};
use mcpproxy_tui::app::App;
use mcpproxy_tui::app::logs::LogSource;
use mcpproxy_tui::theme::Theme;
use mcpproxy_tui::ui;
use mcpproxy_tui::update::update;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::json;

pub fn now() -> Timestamp {
    "2026-11-25T12:00:00Z".parse().unwrap()
}

fn ago(seconds: i64) -> Timestamp {
    now() - SignedDuration::from_secs(seconds)
}

pub fn status() -> Status {
    Status {
        version: "0.1.0".into(),
        protocol_version: mcpproxy_daemon::protocol::PROTOCOL_VERSION,
        mcp_protocol_versions: vec!["2026-07-28".into(), "2025-11-25".into()],
        pid: 4242,
        started_at: ago(3 * 3600 + 125),
        uptime_s: 3 * 3600 + 125,
        data_dir: "/home/ada/.mcpproxy".into(),
        config_path: "/home/ada/.mcpproxy/config.toml".into(),
        listen: Some("127.0.0.1:8080".into()),
        socket: "/home/ada/.mcpproxy/mcpproxy.sock".into(),
        servers: ServerCounts::default(),
        config_problems: Vec::new(),
        api_key: None,
        search: None,
    }
}

pub fn server(name: &str, transport: TransportKind, state: ServerState) -> ServerView {
    ServerView {
        name: name.into(),
        transport,
        state,
        enabled: state != ServerState::Disabled,
        quarantined: state == ServerState::Quarantined,
        block_secrets: false,
        tool_count: 0,
        pending_review: 0,
        last_error: None,
        attempt: None,
        retry_at: None,
        login_url: None,
        connected_since: None,
        pid: None,
        protocol_version: None,
    }
}

pub fn servers() -> Vec<ServerView> {
    let demo = ServerView {
        tool_count: 3,
        connected_since: Some(ago(3 * 3600 + 120)),
        pid: Some(4250),
        protocol_version: Some("2026-07-28".into()),
        ..server("demo", TransportKind::Stdio, ServerState::Ready)
    };
    let everything = ServerView {
        tool_count: 11,
        pending_review: 1,
        connected_since: Some(ago(754)),
        pid: Some(4301),
        protocol_version: Some("2025-11-25".into()),
        ..server("everything", TransportKind::Stdio, ServerState::Ready)
    };
    let github = ServerView {
        attempt: Some(3),
        retry_at: Some(now() + SignedDuration::from_secs(12)),
        last_error: Some(
            "cannot connect to https://api.example.com/mcp: connection refused (os error 111)\nsecond line".into(),
        ),
        ..server("github", TransportKind::Http, ServerState::Backoff)
    };
    let fetcher = server("fetcher", TransportKind::Stdio, ServerState::Quarantined);
    let time = server("time", TransportKind::Stdio, ServerState::Disabled);
    let legacy = ServerView {
        login_url: Some("https://auth.example.com/authorize?client=mcpproxy".into()),
        ..server("legacy-sse", TransportKind::Sse, ServerState::NeedsAuth)
    };
    vec![demo, everything, github, fetcher, time, legacy]
}

pub fn tool(
    server: &str,
    name: &str,
    description: &str,
    hints: ToolHints,
    schema: serde_json::Value,
) -> ToolView {
    ToolView {
        id: format!("{server}:{name}"),
        server: server.into(),
        name: name.into(),
        title: None,
        description: description.into(),
        input_schema: schema,
        output_schema: None,
        annotations: hints,
    }
}

pub fn tools() -> Vec<ToolView> {
    let read = ToolHints {
        read_only: Some(true),
        ..ToolHints::default()
    };
    let write = ToolHints {
        read_only: Some(false),
        destructive: Some(false),
        ..ToolHints::default()
    };
    let mut calculate = tool(
        "demo",
        "calculate",
        "Evaluate an arithmetic expression exactly as written and return the number.",
        read.clone(),
        json!({"type": "object", "properties": {"expression": {"type": "string", "description": "The expression, for example \"(1 + 2) * 3\""}}, "required": ["expression"]}),
    );
    calculate.title = Some("Calculate".into());
    calculate.output_schema = Some(json!({"type": "object"}));
    vec![
        calculate,
        tool(
            "demo",
            "current_time",
            "The current time in a time zone.",
            read,
            json!({"type": "object", "properties": {"timezone": {"type": "string", "default": "UTC"}}}),
        ),
        tool(
            "demo",
            "word_count",
            "Count the words of a text.",
            write,
            json!({"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}),
        ),
        tool(
            "everything",
            "echo",
            "Echoes back the input.",
            ToolHints::default(),
            json!({"type": "object", "properties": {"message": {"type": "string"}}, "required": ["message"]}),
        ),
    ]
}

pub fn state() -> State {
    State {
        status: status(),
        servers: servers(),
        tools: tools(),
        held: Vec::new(),
    }
}

pub fn call(
    id: u64,
    seconds_ago: i64,
    tool: &str,
    outcome: CallOutcome,
    ms: Option<u64>,
) -> Activity {
    Activity {
        id,
        at: ago(seconds_ago),
        client: Some("claude-code".into()),
        server: "demo".into(),
        tool: tool.into(),
        variant: CallVariant::Read,
        outcome,
        duration_ms: ms,
        bytes_in: 42,
        bytes_out: if ms.is_some() { 1_536 } else { 0 },
        error: (outcome == CallOutcome::Failed).then(|| "the server closed the connection".into()),
        arguments: None,
        result: None,
    }
}

pub fn log_line(server: Option<&str>, seconds_ago: i64, level: LogLevel, text: &str) -> LogLine {
    LogLine {
        server: server.map(str::to_owned),
        at: ago(seconds_ago),
        level,
        origin: if server.is_some() {
            LogOrigin::Stderr
        } else {
            LogOrigin::Daemon
        },
        text: text.into(),
    }
}

pub fn problem() -> ConfigProblem {
    ConfigProblem {
        file: "/home/ada/.mcpproxy/config.toml".into(),
        line: 3,
        column: 1,
        key: Some("lisen".into()),
        message: "unknown key `lisen`".into(),
        hint: Some("did you mean `listen`?".into()),
    }
}

/// Applies actions through `update`, as the run loop would.
pub fn apply(app: &mut App, actions: impl IntoIterator<Item = Action>) {
    for action in actions {
        let _ = update(app, action);
    }
}

/// An app attached to a daemon in the state above, with calls and a log on record.
pub fn attached() -> App {
    let mut app = App::for_tests();
    app.now = now();
    apply(
        &mut app,
        [
            Action::Link(LinkEvent::Attached {
                status: Box::new(status()),
                started: None,
            }),
            Action::Daemon(vec![
                Event::Snapshot(state()),
                Event::Activity(call(1, 300, "calculate", CallOutcome::Started, None)),
                Event::Activity(call(1, 300, "calculate", CallOutcome::Ok, Some(3))),
                Event::Activity(call(2, 50, "current_time", CallOutcome::Ok, Some(1))),
                Event::Activity(call(3, 20, "word_count", CallOutcome::Failed, Some(1_250))),
                Event::Activity(call(4, 2, "calculate", CallOutcome::Started, None)),
            ]),
        ],
    );
    app.logs.open(LogSource::Server("demo".into()));
    let tail = (0..30)
        .map(|i| {
            let level = match i % 10 {
                3 => LogLevel::Warn,
                7 => LogLevel::Error,
                _ => LogLevel::Info,
            };
            log_line(
                Some("demo"),
                60 - i,
                level,
                &format!("line {i}: handled tools/call calculate"),
            )
        })
        .collect();
    apply(
        &mut app,
        [Action::Done(Outcome::LogTail {
            source: LogSource::Server("demo".into()),
            result: Ok(tail),
        })],
    );
    app
}

/// The screen as a terminal of `width` × `height` shows it, in the default theme.
pub fn render(app: &App, width: u16, height: u16) -> TestBackend {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    let theme = Theme::default_theme();
    terminal.draw(|frame| ui::draw(frame, app, &theme)).unwrap();
    terminal.backend().clone()
}

/// The fixture's server that needs a login (`legacy-sse`), and an authorization URL for it
/// as long as real ones are.
pub const NEEDS_LOGIN: &str = "legacy-sse";

pub fn login_url() -> String {
    "http://127.0.0.1:43117/authorize?response_type=code&client_id=mcpproxy&redirect_uri=\
     http%3A%2F%2F127.0.0.1%3A39411%2Fcallback&scope=mcp%3Aread%20mcp%3Awrite&state=\
     Zq3v8Jm1Yc0pXr6T&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&\
     code_challenge_method=S256&resource=https%3A%2F%2Flegacy.example.com%2Fsse"
        .to_owned()
}

/// The daemon's view of `server`'s authorization, with a login waiting at `url`.
pub fn auth(server: &str, url: Option<String>) -> mcpproxy_daemon::protocol::ServerAuth {
    mcpproxy_daemon::protocol::ServerAuth {
        server: server.into(),
        status: if url.is_some() {
            mcpproxy_daemon::protocol::AuthStatus::LoggingIn
        } else {
            mcpproxy_daemon::protocol::AuthStatus::Authorized
        },
        login_url: url,
        expires_at: None,
        refreshable: false,
        scopes: Vec::new(),
        message: None,
    }
}

/// An `oauth` event for `server`.
pub fn oauth(
    change: mcpproxy_daemon::protocol::OAuthChange,
    server: &str,
    message: Option<&str>,
) -> Event {
    let mut auth = auth(server, None);
    auth.message = message.map(str::to_owned);
    Event::OAuth(mcpproxy_daemon::protocol::OAuthEvent { change, auth })
}
