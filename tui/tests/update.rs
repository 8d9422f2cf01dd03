//! `update` on its own: keys in, model and effects out, no terminal and no daemon.

#![allow(clippy::unwrap_used)]

#[path = "support/fixture.rs"]
mod fixture;

use std::collections::BTreeMap;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind};
use mcpproxy_daemon::client::ServerAction;
use mcpproxy_daemon::config::{KeyList, TuiCommand};
use mcpproxy_daemon::protocol::{
    Event, Goodbye, GoodbyeReason, HeldItem, ItemKind, LogLevel, OAuthChange, RankedBy,
    SWITCHES_STAGE, SearchStatus, ServerState, ToolMatch, ToolSearch, TransportKind,
};
use mcpproxy_tui::action::{Action, Failure, LinkEvent, LinkFailure, Outcome};
use mcpproxy_tui::app::daemon::Connection;
use mcpproxy_tui::app::form::Field;
use mcpproxy_tui::app::login::{BrowserState, LoginStage};
use mcpproxy_tui::app::logs::LogSource;
use mcpproxy_tui::app::{App, Modal, ToastLevel};
use mcpproxy_tui::effect::Effect;
use mcpproxy_tui::screen::{self, servers, tools};
use mcpproxy_tui::update::update;

fn press(app: &mut App, code: KeyCode) -> Option<Effect> {
    update(app, Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
}

fn ctrl(app: &mut App, c: char) -> Option<Effect> {
    update(
        app,
        Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)),
    )
}

fn visible_servers(app: &App) -> Vec<String> {
    servers::visible(app)
        .iter()
        .map(|s| s.name.clone())
        .collect()
}

fn screen_name(app: &App) -> &'static str {
    screen::SCREENS[app.screen].name
}

#[test]
fn number_keys_and_tab_switch_screens() {
    let mut app = fixture::attached();
    press(&mut app, KeyCode::Char('3'));
    assert_eq!(screen_name(&app), "tools");
    press(&mut app, KeyCode::Tab);
    assert_eq!(screen_name(&app), "activity");
    press(&mut app, KeyCode::Tab);
    assert_eq!(screen_name(&app), "review");
    press(&mut app, KeyCode::Tab);
    assert_eq!(screen_name(&app), "servers");
    let entered = update(
        &mut app,
        Action::Key(KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT)),
    );
    assert_eq!(screen_name(&app), "review");
    assert_eq!(
        entered,
        Some(Effect::FetchQuarantine),
        "the review screen reads what waits when it is shown"
    );
    assert_eq!(press(&mut app, KeyCode::Char('9')), None, "no ninth screen");
    assert_eq!(screen_name(&app), "review");
}

#[test]
fn the_logs_screen_opens_the_selected_servers_log() {
    let mut app = fixture::attached();
    app.logs = Default::default();
    press(&mut app, KeyCode::Char('j'));
    let effect = press(&mut app, KeyCode::Char('2'));
    assert_eq!(
        effect,
        Some(Effect::FetchLog {
            source: LogSource::Server("everything".into()),
            tail: 1000
        })
    );
    assert!(app.logs.loading);
}

#[test]
fn the_selection_moves_and_stays_with_its_server() {
    let mut app = fixture::attached();
    assert_eq!(servers::selected(&app).as_deref(), Some("demo"));
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Down);
    assert_eq!(servers::selected(&app).as_deref(), Some("fetcher"));
    // A server that sorts before it arrives: the selection stays on fetcher.
    let newcomer = fixture::server("alpha", TransportKind::Stdio, ServerState::Connecting);
    update(&mut app, Action::Daemon(vec![Event::Server(newcomer)]));
    assert_eq!(servers::selected(&app).as_deref(), Some("fetcher"));
    press(&mut app, KeyCode::Char('G'));
    assert_eq!(servers::selected(&app).as_deref(), Some("time"));
    press(&mut app, KeyCode::Char('g'));
    assert_eq!(servers::selected(&app).as_deref(), Some("alpha"));
    let wheel = |kind| {
        Action::Mouse(MouseEvent {
            kind,
            column: 0,
            row: 0,
            modifiers: KeyModifiers::NONE,
        })
    };
    update(&mut app, wheel(MouseEventKind::ScrollDown));
    assert_eq!(servers::selected(&app).as_deref(), Some("fetcher"));
    update(&mut app, wheel(MouseEventKind::ScrollUp));
    assert_eq!(servers::selected(&app).as_deref(), Some("alpha"));
}

#[test]
fn sorting_cycles_columns_and_reverses() {
    let mut app = fixture::attached();
    press(&mut app, KeyCode::Char('s'));
    assert_eq!(app.servers.list.sort.column, 1, "by state");
    assert_eq!(
        visible_servers(&app),
        [
            "github",
            "time",
            "legacy-sse",
            "fetcher",
            "demo",
            "everything"
        ]
    );
    press(&mut app, KeyCode::Char('S'));
    assert!(app.servers.list.sort.descending);
    // Stable both ways: equal states keep their order.
    assert_eq!(
        visible_servers(&app),
        [
            "demo",
            "everything",
            "fetcher",
            "legacy-sse",
            "time",
            "github"
        ]
    );
}

#[test]
fn text_and_facet_filters_combine_and_clear() {
    let mut app = fixture::attached();
    press(&mut app, KeyCode::Char('/'));
    assert_eq!(app.modal, Some(Modal::Filter));
    typed(&mut app, "e");
    // Every column counts: github's last error has an "e".
    assert_eq!(visible_servers(&app).len(), 6);
    typed(&mut app, "v");
    assert_eq!(visible_servers(&app), ["everything"]);
    press(&mut app, KeyCode::Backspace);
    press(&mut app, KeyCode::Char('m'));
    assert_eq!(visible_servers(&app), ["demo"]);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.modal, None);
    // The facet picker: tick "state: ready".
    press(&mut app, KeyCode::Char('f'));
    let Some(Modal::Picker(picker)) = &app.modal else {
        panic!("no picker: {:?}", app.modal)
    };
    let ready = picker
        .items
        .iter()
        .position(|i| i.label == "state: ready")
        .unwrap();
    for _ in 0..ready {
        press(&mut app, KeyCode::Char('j'));
    }
    press(&mut app, KeyCode::Char(' '));
    press(&mut app, KeyCode::Esc);
    assert_eq!(visible_servers(&app), ["demo"]);
    assert_eq!(app.servers.list.badges(), ["state: ready", "/em"]);
    // Esc on the list clears the text; F clears everything.
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.servers.list.badges(), ["state: ready"]);
    press(&mut app, KeyCode::Char('F'));
    assert_eq!(visible_servers(&app).len(), 6);
    // Esc while typing a filter throws it away.
    press(&mut app, KeyCode::Char('/'));
    typed(&mut app, "git");
    assert_eq!(visible_servers(&app), ["github"]);
    press(&mut app, KeyCode::Esc);
    assert_eq!(visible_servers(&app).len(), 6);
}

#[test]
fn the_add_form_checks_itself_then_sends_a_quarantined_server() {
    let mut app = fixture::attached();
    press(&mut app, KeyCode::Char('n'));
    typed(&mut app, "everything2");
    assert_eq!(ctrl(&mut app, 's'), None);
    let Some(Modal::AddServer(form)) = &app.modal else {
        panic!("the form closed")
    };
    assert_eq!(form.focus, Field::Command);
    assert!(form.errors[&Field::Command].contains("give a command"));
    typed(&mut app, "npx -y @modelcontextprotocol/server-everything");
    let Some(Effect::Add(request)) = ctrl(&mut app, 's') else {
        panic!("no request")
    };
    assert_eq!(request.name, "everything2");
    assert!(request.quarantine);
    assert_eq!(request.server.command.as_deref(), Some("npx"));
    let added = mcpproxy_daemon::protocol::ServerView {
        quarantined: true,
        block_secrets: false,
        ..fixture::server(
            "everything2",
            TransportKind::Stdio,
            ServerState::Quarantined,
        )
    };
    update(
        &mut app,
        Action::Done(Outcome::Added {
            name: "everything2".into(),
            result: Ok(added),
        }),
    );
    assert_eq!(app.modal, None);
    assert_eq!(servers::selected(&app).as_deref(), Some("everything2"));
    assert!(app.toasts.last().unwrap().text.contains("quarantined"));
    // Approving it is one key.
    assert_eq!(
        press(&mut app, KeyCode::Char('a')),
        Some(Effect::Server {
            name: "everything2".into(),
            action: ServerAction::Approve
        })
    );
}

#[test]
fn the_daemons_refusal_lands_on_the_field_and_keeps_the_form() {
    let mut app = fixture::attached();
    press(&mut app, KeyCode::Char('n'));
    typed(&mut app, "demo");
    press(&mut app, KeyCode::Tab);
    typed(&mut app, "true");
    assert!(matches!(ctrl(&mut app, 's'), Some(Effect::Add(_))));
    update(
        &mut app,
        Action::Done(Outcome::Added {
            name: "demo".into(),
            result: Err(Failure::new("a server named \"demo\" already exists")),
        }),
    );
    let Some(Modal::AddServer(form)) = &app.modal else {
        panic!("the form closed")
    };
    assert_eq!(form.focus, Field::Name);
    assert!(form.errors[&Field::Name].contains("already exists"));
    assert!(!form.submitting);
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.modal, None);
}

#[test]
fn the_argument_editor_is_prefilled_checked_and_sends_the_call() {
    let mut app = fixture::attached();
    press(&mut app, KeyCode::Char('3'));
    press(&mut app, KeyCode::Char('c'));
    let Some(Modal::Arguments(editor)) = &app.modal else {
        panic!("no editor: {:?}", app.modal)
    };
    assert_eq!(editor.tool, "demo:calculate");
    assert_eq!(editor.area.text(), "{\n  \"expression\": \"\"\n}");
    typed(&mut app, "2+2\"");
    assert_eq!(ctrl(&mut app, 's'), None, "broken JSON is not sent");
    let Some(Modal::Arguments(editor)) = &app.modal else {
        panic!("the editor closed")
    };
    assert!(
        editor
            .error
            .as_deref()
            .unwrap()
            .starts_with("not valid JSON")
    );
    press(&mut app, KeyCode::Backspace);
    let Some(Effect::Call(call)) = ctrl(&mut app, 's') else {
        panic!("no call")
    };
    assert_eq!(call.tool, "demo:calculate");
    assert_eq!(call.arguments["expression"], "2+2");
    assert_eq!(app.modal, Some(Modal::Result));
    update(
        &mut app,
        Action::Done(Outcome::Called {
            tool: "demo:calculate".into(),
            result: Err(Failure::new("server demo is not ready")),
        }),
    );
    let outcome = app.tools.call.as_ref().unwrap().outcome.as_ref().unwrap();
    assert_eq!(
        outcome.as_ref().unwrap_err().message,
        "server demo is not ready"
    );
}

#[test]
fn remove_asks_first() {
    let mut app = fixture::attached();
    assert_eq!(press(&mut app, KeyCode::Char('D')), None);
    assert!(matches!(app.modal, Some(Modal::Confirm { .. })));
    assert_eq!(press(&mut app, KeyCode::Char('n')), None);
    assert_eq!(app.modal, None);
    press(&mut app, KeyCode::Char('D'));
    assert_eq!(
        press(&mut app, KeyCode::Char('y')),
        Some(Effect::Remove {
            name: "demo".into()
        })
    );
}

#[test]
fn approving_a_server_that_is_not_quarantined_only_says_so() {
    let mut app = fixture::attached();
    assert_eq!(press(&mut app, KeyCode::Char('a')), None);
    assert_eq!(app.toasts.last().unwrap().text, "demo is not quarantined");
}

#[test]
fn every_error_an_action_returns_becomes_a_toast() {
    let mut app = fixture::attached();
    update(
        &mut app,
        Action::Done(Outcome::ServerAction {
            name: "github".into(),
            action: ServerAction::Restart,
            result: Err(Failure {
                message: "no server named \"github\"".into(),
                hint: Some("`mcpproxy upstream list` shows the configured servers".into()),
            }),
        }),
    );
    let toast = app.toasts.last().unwrap();
    assert_eq!(toast.level, ToastLevel::Error);
    assert!(toast.hint.is_some());
    // Toasts go away by themselves.
    update(
        &mut app,
        Action::Tick(fixture::now() + Duration::from_secs(11)),
    );
    assert!(app.toasts.is_empty());
}

#[test]
fn config_problems_come_and_go_with_the_events() {
    let mut app = fixture::attached();
    update(
        &mut app,
        Action::Daemon(vec![Event::ConfigError {
            problems: vec![fixture::problem()],
        }]),
    );
    assert_eq!(app.daemon.config_problems.len(), 1);
    update(
        &mut app,
        Action::Daemon(vec![Event::ConfigReloaded {
            path: "/home/ada/.mcpproxy/config.toml".into(),
        }]),
    );
    assert!(app.daemon.config_problems.is_empty());
    assert!(app.toasts.last().unwrap().text.contains("fixed"));
    // A snapshot carries them too.
    let mut state = fixture::state();
    state.status.config_problems = vec![fixture::problem()];
    update(&mut app, Action::Daemon(vec![Event::Snapshot(state)]));
    assert_eq!(app.daemon.config_problems.len(), 1);
}

#[test]
fn a_requested_shutdown_waits_for_a_person_to_start_a_daemon() {
    let mut app = fixture::attached();
    update(
        &mut app,
        Action::Daemon(vec![Event::Goodbye(Goodbye {
            reason: GoodbyeReason::Shutdown,
            message: "stopped by `mcpproxy daemon stop`".into(),
        })]),
    );
    let effect = update(&mut app, Action::Link(LinkEvent::Ended { error: None }));
    assert!(matches!(
        app.connection,
        Connection::Stopped {
            starting: false,
            ..
        }
    ));
    // It only watches the socket; it never starts one by itself.
    assert!(matches!(effect, Some(Effect::AttachAfter { .. })));
    let effect = update(
        &mut app,
        Action::Link(LinkEvent::Failed(LinkFailure::NotRunning)),
    );
    assert!(matches!(effect, Some(Effect::AttachAfter { .. })));
    // Screen keys do nothing without a daemon; `s` starts one.
    assert_eq!(press(&mut app, KeyCode::Char('d')), None);
    assert_eq!(press(&mut app, KeyCode::Char('2')), None);
    assert_eq!(screen_name(&app), "servers");
    assert_eq!(
        press(&mut app, KeyCode::Char('s')),
        Some(Effect::Attach {
            start_if_absent: true
        })
    );
    assert!(app.connection.is_starting());
    assert_eq!(
        press(&mut app, KeyCode::Char('s')),
        None,
        "one start at a time"
    );
    update(
        &mut app,
        Action::Link(LinkEvent::Attached {
            status: Box::new(fixture::status()),
            started: Some(4242),
        }),
    );
    assert!(app.connection.is_attached());
    assert_eq!(app.started_daemon, Some(4242));
}

#[test]
fn a_restart_or_a_lost_connection_reattaches_with_backoff() {
    let mut app = fixture::attached();
    update(
        &mut app,
        Action::Daemon(vec![Event::Goodbye(Goodbye {
            reason: GoodbyeReason::Restart,
            message: "restarting".into(),
        })]),
    );
    let first = update(&mut app, Action::Link(LinkEvent::Ended { error: None }));
    assert_eq!(
        first,
        Some(Effect::AttachAfter {
            delay: Duration::from_millis(100)
        })
    );
    let second = update(
        &mut app,
        Action::Link(LinkEvent::Failed(LinkFailure::NotRunning)),
    );
    assert_eq!(
        second,
        Some(Effect::AttachAfter {
            delay: Duration::from_millis(200)
        })
    );
    let Connection::Reattaching {
        attempt, reason, ..
    } = &app.connection
    else {
        panic!("{:?}", app.connection)
    };
    assert_eq!((*attempt, reason.as_str()), (2, "restarting"));
    // A fresh snapshot rebuilds the model and reads the watched log again.
    update(
        &mut app,
        Action::Link(LinkEvent::Attached {
            status: Box::new(fixture::status()),
            started: None,
        }),
    );
    let effect = update(
        &mut app,
        Action::Daemon(vec![Event::Snapshot(fixture::state())]),
    );
    let Some(Effect::Batch(effects)) = effect else {
        panic!("{effect:?}")
    };
    assert!(effects.contains(&Effect::FetchActivity), "{effects:?}");
    assert!(
        effects.iter().any(|e| matches!(e, Effect::FetchLog { .. })),
        "{effects:?}"
    );
    assert_eq!(app.daemon.servers.len(), 6);
}

#[test]
fn a_version_mismatch_says_both_versions() {
    let mut app = fixture::attached();
    let effect = update(
        &mut app,
        Action::Link(LinkEvent::Failed(LinkFailure::Mismatch {
            daemon_version: "0.0.9".into(),
            daemon_protocol: 0,
            client_protocol: 1,
        })),
    );
    assert!(matches!(
        app.connection,
        Connection::Mismatch {
            daemon_protocol: 0,
            ..
        }
    ));
    assert!(matches!(effect, Some(Effect::AttachAfter { .. })));
    let text = fixture::render(&app, 100, 30).to_string();
    assert!(text.contains("mcpproxy daemon restart"), "{text}");
    assert!(text.contains("speaks control protocol 0"), "{text}");
}

#[test]
fn only_the_watched_logs_lines_are_kept_and_only_its_screen_redraws() {
    let mut app = fixture::attached();
    let before = app.logs.lines.len();
    app.dirty = false;
    let line = |server: &str, text: &str| fixture::log_line(Some(server), 0, LogLevel::Info, text);
    update(
        &mut app,
        Action::Daemon(vec![Event::Logs {
            lines: vec![line("demo", "kept"), line("github", "not kept")],
        }]),
    );
    assert_eq!(app.logs.lines.len(), before + 1);
    assert!(!app.dirty, "the servers screen does not show log lines");
    press(&mut app, KeyCode::Char('2'));
    app.dirty = false;
    update(
        &mut app,
        Action::Daemon(vec![Event::Log(line("demo", "again"))]),
    );
    assert!(app.dirty);
    // Level and text filters.
    press(&mut app, KeyCode::Char('v'));
    press(&mut app, KeyCode::Char('v'));
    press(&mut app, KeyCode::Char('v'));
    assert_eq!(app.logs.min_level, LogLevel::Warn);
    assert!(app.logs.visible().iter().all(|l| l.level >= LogLevel::Warn));
    press(&mut app, KeyCode::Char('/'));
    typed(&mut app, "line 2");
    assert!(app.logs.visible().iter().all(|l| l.text.contains("line 2")));
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.logs.badges(), ["level ≥ warn", "/line 2"]);
}

#[test]
fn the_palette_runs_commands_by_name() {
    let mut app = fixture::attached();
    press(&mut app, KeyCode::Char(':'));
    typed(&mut app, "disable");
    assert_eq!(
        press(&mut app, KeyCode::Enter),
        Some(Effect::Server {
            name: "demo".into(),
            action: ServerAction::Disable
        })
    );
    press(&mut app, KeyCode::Char(':'));
    typed(&mut app, "activity");
    press(&mut app, KeyCode::Enter);
    assert_eq!(screen_name(&app), "activity");
}

#[test]
fn keys_from_the_config_replace_the_defaults() {
    let overrides: BTreeMap<TuiCommand, KeyList> =
        [(TuiCommand::Quit, KeyList(vec!["x".parse().unwrap()]))].into();
    let mut app = fixture::attached();
    app.keymap = screen::keymap(&overrides).unwrap();
    press(&mut app, KeyCode::Char('q'));
    assert!(!app.quit);
    press(&mut app, KeyCode::Char('x'));
    assert!(app.quit);
}

fn select(app: &mut App, name: &str) {
    app.servers.list.selected = Some(name.into());
}

fn login_stage(app: &App, name: &str) -> Option<LoginStage> {
    app.servers.logins.get(name).map(|l| l.stage.clone())
}

#[test]
fn a_login_runs_from_the_key_through_the_browser_to_ready() {
    let mut app = fixture::attached();
    let name = fixture::NEEDS_LOGIN;
    select(&mut app, name);
    assert_eq!(
        press(&mut app, KeyCode::Char('L')),
        Some(Effect::Login { name: name.into() })
    );
    assert_eq!(
        app.modal,
        Some(Modal::Login {
            server: name.into()
        })
    );
    assert_eq!(login_stage(&app, name), Some(LoginStage::Starting));

    // The daemon answers with the URL: the browser is tried once.
    let url = fixture::login_url();
    let effect = update(
        &mut app,
        Action::Done(Outcome::LoginStarted {
            server: name.into(),
            result: Ok(fixture::auth(name, Some(url.clone()))),
        }),
    );
    assert_eq!(
        effect,
        Some(Effect::OpenBrowser {
            server: name.into(),
            url: url.clone()
        })
    );
    assert_eq!(login_stage(&app, name), Some(LoginStage::Waiting));
    update(
        &mut app,
        Action::Done(Outcome::BrowserOpened {
            server: name.into(),
            opened: false,
        }),
    );
    let login = &app.servers.logins[name];
    assert_eq!(login.browser, BrowserState::Unavailable);
    assert_eq!(login.url.as_deref(), Some(url.as_str()));

    // The key again shows the login under way; it does not start another.
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.modal, None);
    assert_eq!(press(&mut app, KeyCode::Char('L')), None);
    assert_eq!(
        app.modal,
        Some(Modal::Login {
            server: name.into()
        })
    );

    // The redirect came: connecting, then the server is ready.
    update(
        &mut app,
        Action::Daemon(vec![fixture::oauth(OAuthChange::LoggedIn, name, None)]),
    );
    assert_eq!(login_stage(&app, name), Some(LoginStage::Connecting));
    let mut view = app.daemon.servers[name].clone();
    view.state = ServerState::Connecting;
    update(&mut app, Action::Daemon(vec![Event::Server(view.clone())]));
    assert_eq!(login_stage(&app, name), Some(LoginStage::Connecting));
    view.state = ServerState::Ready;
    view.tool_count = 4;
    update(&mut app, Action::Daemon(vec![Event::Server(view)]));
    assert_eq!(
        login_stage(&app, name),
        Some(LoginStage::Ready { tools: 4 })
    );
    assert!(app.toasts.is_empty(), "the open dialog says it: no toast");

    // Once finished, the key starts a new login.
    assert_eq!(
        press(&mut app, KeyCode::Char('L')),
        Some(Effect::Login { name: name.into() })
    );
}

#[test]
fn a_failed_login_says_why_in_the_dialog_or_in_a_toast() {
    let mut app = fixture::attached();
    let name = fixture::NEEDS_LOGIN;
    select(&mut app, name);
    press(&mut app, KeyCode::Char('L'));
    update(
        &mut app,
        Action::Daemon(vec![fixture::oauth(
            OAuthChange::LoginFailed,
            name,
            Some("the authorization server refused: access_denied"),
        )]),
    );
    assert_eq!(
        login_stage(&app, name),
        Some(LoginStage::Failed {
            reason: "the authorization server refused: access_denied".into(),
            hint: None,
        })
    );
    assert!(app.toasts.is_empty(), "the dialog shows it");

    // The daemon refusing to start one, with the dialog closed: a toast.
    press(&mut app, KeyCode::Char('L'));
    press(&mut app, KeyCode::Esc);
    update(
        &mut app,
        Action::Done(Outcome::LoginStarted {
            server: name.into(),
            result: Err(Failure {
                message: "cannot start a login to \"legacy-sse\": discovery failed".into(),
                hint: Some("check the server's URL".into()),
            }),
        }),
    );
    assert!(matches!(
        login_stage(&app, name),
        Some(LoginStage::Failed { hint: Some(_), .. })
    ));
    assert_eq!(app.toasts.last().unwrap().level, ToastLevel::Error);

    // After the redirect, a server that still refuses ends the login too.
    press(&mut app, KeyCode::Char('L'));
    update(
        &mut app,
        Action::Daemon(vec![fixture::oauth(OAuthChange::LoggedIn, name, None)]),
    );
    let mut view = app.daemon.servers[name].clone();
    view.state = ServerState::Backoff;
    view.last_error = Some("403 Forbidden".into());
    update(&mut app, Action::Daemon(vec![Event::Server(view)]));
    assert_eq!(
        login_stage(&app, name),
        Some(LoginStage::Failed {
            reason: "logged in, but legacy-sse is backoff: 403 Forbidden".into(),
            hint: Some("`mcpproxy upstream logs legacy-sse` has the whole story".into()),
        })
    );
}

#[test]
fn logins_started_elsewhere_are_left_to_the_servers_state() {
    let mut app = fixture::attached();
    let name = fixture::NEEDS_LOGIN;
    let mut event = fixture::oauth(OAuthChange::LoginStarted, name, None);
    if let Event::OAuth(e) = &mut event {
        e.auth.login_url = Some(fixture::login_url());
    }
    let failed = fixture::oauth(OAuthChange::LoginFailed, name, Some("timed out"));
    assert_eq!(update(&mut app, Action::Daemon(vec![event, failed])), None);
    assert!(app.servers.logins.is_empty());
    assert!(app.toasts.is_empty());
    assert_eq!(app.modal, None);
}

#[test]
fn logout_asks_first_then_forgets_the_login() {
    let mut app = fixture::attached();
    let name = fixture::NEEDS_LOGIN;
    select(&mut app, name);
    press(&mut app, KeyCode::Char('L'));
    press(&mut app, KeyCode::Esc);
    assert_eq!(press(&mut app, KeyCode::Char('O')), None);
    assert!(matches!(app.modal, Some(Modal::Confirm { .. })));
    assert_eq!(
        press(&mut app, KeyCode::Char('y')),
        Some(Effect::Logout { name: name.into() })
    );
    update(
        &mut app,
        Action::Done(Outcome::LoggedOut {
            server: name.into(),
            result: Ok(fixture::auth(name, None)),
        }),
    );
    assert!(app.servers.logins.is_empty());
    assert_eq!(
        app.toasts.last().unwrap().text,
        "Logged out of legacy-sse: its tokens are forgotten"
    );
}

#[test]
fn login_and_logout_are_in_the_palette_and_rebindable() {
    let mut app = fixture::attached();
    let names: Vec<&str> = mcpproxy_tui::update::palette_matches(&app, "log")
        .iter()
        .map(|(command, _, _)| command.name())
        .collect();
    assert!(
        names.contains(&"login") && names.contains(&"logout"),
        "{names:?}"
    );
    let mut keys = BTreeMap::new();
    keys.insert(TuiCommand::Login, KeyList(vec!["ctrl-l".parse().unwrap()]));
    app.keymap = screen::keymap(&keys).unwrap();
    select(&mut app, fixture::NEEDS_LOGIN);
    assert_eq!(press(&mut app, KeyCode::Char('L')), None);
    assert_eq!(
        ctrl(&mut app, 'l'),
        Some(Effect::Login {
            name: fixture::NEEDS_LOGIN.into()
        })
    );
}

#[test]
fn x_switches_the_selected_tool_off_and_a_switched_off_tool_back_on() {
    let mut app = fixture::attached();
    press(&mut app, KeyCode::Char('3'));
    app.tools.list.selected = Some("demo:word_count".into());
    assert_eq!(
        press(&mut app, KeyCode::Char('x')),
        Some(Effect::SwitchTool {
            server: "demo".into(),
            tool: "word_count".into(),
            enabled: false,
        })
    );
    // The daemon answers with the tool gone from what agents see and held by the switches.
    let tools: Vec<_> = fixture::tools()
        .into_iter()
        .filter(|t| t.server == "demo" && t.name != "word_count")
        .collect();
    let held = HeldItem {
        server: "demo".into(),
        kind: ItemKind::Tool,
        name: "word_count".into(),
        stage: SWITCHES_STAGE.into(),
        reason: "disabled by a person: `mcpproxy upstream tools enable demo word_count`".into(),
        hash: "0".into(),
    };
    update(
        &mut app,
        Action::Daemon(vec![
            Event::Tools {
                server: "demo".into(),
                tools,
            },
            Event::Held {
                server: "demo".into(),
                items: vec![held],
            },
        ]),
    );
    let rows = tools::visible(&app);
    let off = rows.iter().find(|t| t.id == "demo:word_count").unwrap();
    assert!(app.daemon.is_switched_off(off));
    assert_eq!(
        rows.iter()
            .filter(|t| app.daemon.is_switched_off(t))
            .count(),
        1
    );
    app.tools.list.selected = Some("demo:word_count".into());
    assert_eq!(
        press(&mut app, KeyCode::Char('x')),
        Some(Effect::SwitchTool {
            server: "demo".into(),
            tool: "word_count".into(),
            enabled: true,
        })
    );
    update(
        &mut app,
        Action::Done(Outcome::ToolSwitched {
            tool: "demo:word_count".into(),
            enabled: true,
            result: Err(Failure::new("no server named \"demo\"")),
        }),
    );
    assert_eq!(app.toasts.last().unwrap().text, "no server named \"demo\"");
}

fn visible_tools(app: &App) -> Vec<String> {
    tools::visible(app).iter().map(|t| t.id.clone()).collect()
}

fn ranked(query: &str, ids: &[&str], note: Option<&str>) -> Action {
    let all = fixture::tools();
    let results = ids
        .iter()
        .map(|id| ToolMatch {
            tool: all.iter().find(|t| t.id == *id).unwrap().clone(),
            score: 0.5,
            ranked_by: RankedBy::Meaning,
        })
        .collect();
    Action::Done(Outcome::Searched {
        query: query.into(),
        result: Ok(ToolSearch {
            query: query.into(),
            results,
            total_tools: all.len() as u64,
            search: SearchStatus {
                note: note.map(str::to_owned),
                ..SearchStatus::default()
            },
        }),
    })
}

#[test]
fn typing_a_filter_asks_the_daemon_to_rank_and_shows_its_ranking_first() {
    let mut app = fixture::attached();
    press(&mut app, KeyCode::Char('3'));
    press(&mut app, KeyCode::Char('/'));
    // Each key asks again; the effect layer waits out the delay and keeps the last one.
    let mut effects = Vec::new();
    for c in "how many words".chars() {
        effects.push(press(&mut app, KeyCode::Char(c)));
    }
    assert_eq!(
        effects.last().cloned().flatten(),
        Some(Effect::SearchTools {
            query: "how many words".into(),
            limit: 50,
            delay: tools::SEARCH_DELAY,
        })
    );
    // Until the daemon answers, the text filter alone: nothing contains the phrase.
    assert!(visible_tools(&app).is_empty());
    // An answer for text no longer in the filter is not shown.
    update(&mut app, ranked("how many", &["demo:calculate"], None));
    assert!(visible_tools(&app).is_empty());
    update(
        &mut app,
        ranked(
            "how many words",
            &["demo:word_count", "demo:calculate"],
            None,
        ),
    );
    assert_eq!(visible_tools(&app), ["demo:word_count", "demo:calculate"]);
    // A failed search (an older daemon) leaves the text filter working.
    press(&mut app, KeyCode::Esc);
    assert!(app.tools.list.filter.is_empty());
    assert_eq!(visible_tools(&app).len(), fixture::tools().len());
    press(&mut app, KeyCode::Char('/'));
    let effect = press(&mut app, KeyCode::Char('e'));
    assert!(matches!(effect, Some(Effect::SearchTools { ref query, .. }) if query == "e"));
    update(
        &mut app,
        Action::Done(Outcome::Searched {
            query: "e".into(),
            result: Err(Failure::new("no such route")),
        }),
    );
    assert_eq!(visible_tools(&app).len(), fixture::tools().len());
    // A fragment of a name: the ranking first, then what contains the text.
    press(&mut app, KeyCode::Backspace);
    typed(&mut app, "ech");
    update(
        &mut app,
        ranked("ech", &["demo:current_time"], Some("by words")),
    );
    assert_eq!(
        visible_tools(&app),
        ["demo:current_time", "everything:echo"]
    );
}
