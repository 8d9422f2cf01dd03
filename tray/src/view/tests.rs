//! The view for each state of the daemon, read as a person reads the menu.

#![allow(clippy::unwrap_used)]

use jiff::Timestamp;
use mcpproxy_daemon::protocol::{
    Event, Goodbye, GoodbyeReason, HeldItem, ItemKind, LogLevel, LogLine, LogOrigin,
    PROTOCOL_VERSION, ServerCounts, ServerState, ServerView, State, Status, TransportKind,
};

use super::*;
use crate::state::TrayState;

fn status() -> Status {
    Status {
        version: "0.1.0".into(),
        protocol_version: PROTOCOL_VERSION,
        mcp_protocol_versions: Vec::new(),
        pid: 4242,
        started_at: Timestamp::UNIX_EPOCH,
        uptime_s: 1,
        data_dir: "/home/ada/.mcpproxy".into(),
        config_path: "/home/ada/.mcpproxy/config.toml".into(),
        listen: None,
        socket: "/home/ada/.mcpproxy/mcpproxy.sock".into(),
        servers: ServerCounts::default(),
        config_problems: Vec::new(),
        api_key: None,
        search: None,
    }
}

fn server(name: &str, state: ServerState) -> ServerView {
    ServerView {
        name: name.into(),
        transport: TransportKind::Stdio,
        state,
        enabled: state != ServerState::Disabled,
        quarantined: state == ServerState::Quarantined,
        block_secrets: false,
        tool_count: if state == ServerState::Ready { 3 } else { 0 },
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

fn held(server: &str, name: &str) -> HeldItem {
    HeldItem {
        server: server.into(),
        kind: ItemKind::Tool,
        name: name.into(),
        stage: "review".into(),
        reason: "new tool".into(),
        hash: "h".into(),
    }
}

fn attached(servers: Vec<ServerView>, held: Vec<HeldItem>) -> TrayState {
    let mut state = TrayState::default();
    assert!(state.apply(Event::Snapshot(State {
        status: status(),
        servers,
        tools: Vec::new(),
        held,
    })));
    state
}

/// The menu as indented lines: `[x]` for an entry that does something, `-` for a separator.
fn outline(entries: &[Entry], depth: usize, out: &mut Vec<String>) {
    for entry in entries {
        let indent = "  ".repeat(depth);
        match entry {
            Entry::Label(text) => out.push(format!("{indent}{text}")),
            Entry::Separator => out.push(format!("{indent}-")),
            Entry::Action { label, .. } => out.push(format!("{indent}[{label}]")),
            Entry::Submenu { label, entries } => {
                out.push(format!("{indent}{label} >"));
                outline(entries, depth + 1, out);
            }
        }
    }
}

fn menu(view: &TrayView) -> Vec<String> {
    let mut out = Vec::new();
    outline(&view.menu, 0, &mut out);
    out
}

/// The command of the entry labelled `label`, wherever it is.
fn command(entries: &[Entry], path: &[&str]) -> Option<TrayCommand> {
    let (first, rest) = path.split_first()?;
    entries.iter().find_map(|entry| match entry {
        Entry::Action { label, command } if label == first && rest.is_empty() => {
            Some(command.clone())
        }
        Entry::Submenu { label, entries } if label.starts_with(first) => command(entries, rest),
        _ => None,
    })
}

#[test]
fn all_ready_is_green_and_lists_each_server_with_its_actions() {
    let view = view(&attached(
        vec![
            server("github", ServerState::Ready),
            server("time", ServerState::Ready),
        ],
        Vec::new(),
    ));
    assert_eq!(view.health, Health::Ready);
    assert_eq!(view.title, "mcpproxy 0.1.0: 2 servers, 2 ready");
    assert_eq!(view.tooltip, "all ready: github, time");
    assert_eq!(
        menu(&view),
        [
            "mcpproxy 0.1.0: 2 servers, 2 ready",
            "-",
            "github: ready, 3 tools >",
            "  [Disable]",
            "  [Restart]",
            "time: ready, 3 tools >",
            "  [Disable]",
            "  [Restart]",
            "-",
            "[Open the terminal UI]",
            "[Stop the daemon]",
            "[Open the logs folder]",
            "-",
            "[Quit the tray]",
        ]
    );
    assert_eq!(
        command(&view.menu, &["time", "Disable"]),
        Some(TrayCommand::Server {
            name: "time".into(),
            action: ServerAction::Disable
        })
    );
    assert_eq!(
        command(&view.menu, &["Stop the daemon"]),
        Some(TrayCommand::StopDaemon)
    );
}

#[test]
fn a_server_in_backoff_turns_the_icon_red_and_shows_its_error() {
    let mut failing = server("github", ServerState::Backoff);
    failing.attempt = Some(3);
    failing.last_error = Some("connection refused".into());
    let view = view(&attached(
        vec![failing, server("time", ServerState::Ready)],
        Vec::new(),
    ));
    assert_eq!(view.health, Health::Failing);
    assert_eq!(view.title, "mcpproxy 0.1.0: 2 servers, 1 ready, 1 failing");
    assert_eq!(view.tooltip, "github: failing (attempt 3), retrying");
    assert_eq!(
        menu(&view)[2..6],
        [
            "github: failing (attempt 3), retrying >",
            "  connection refused",
            "  [Disable]",
            "  [Restart]",
        ]
    );
}

#[test]
fn a_server_needing_a_login_offers_the_tui() {
    let view = view(&attached(
        vec![
            server("notion", ServerState::NeedsAuth),
            server("time", ServerState::Ready),
        ],
        Vec::new(),
    ));
    assert_eq!(view.health, Health::Login);
    assert_eq!(view.tooltip, "notion: needs a login");
    assert!(menu(&view).contains(&"[1 server needs a login…]".to_owned()));
    assert_eq!(
        command(&view.menu, &["1 server needs a login…"]),
        Some(TrayCommand::OpenTui { screen: TUI_SCREEN })
    );
}

#[test]
fn held_items_await_review_and_their_count_follows_the_stream() {
    let mut state = attached(
        vec![
            server("github", ServerState::Ready),
            server("time", ServerState::Ready),
        ],
        vec![held("github", "push"), held("github", "delete")],
    );
    let shown = view(&state);
    assert_eq!(shown.health, Health::Review);
    assert!(menu(&shown).contains(&"[2 items awaiting review…]".to_owned()));
    assert_eq!(
        command(&shown.menu, &["2 items awaiting review…"]),
        Some(TrayCommand::OpenTui {
            screen: REVIEW_SCREEN
        })
    );

    assert!(state.apply(Event::Held {
        server: "time".into(),
        items: vec![held("time", "now")],
    }));
    assert!(menu(&view(&state)).contains(&"[3 items awaiting review…]".to_owned()));

    assert!(state.apply(Event::Held {
        server: "github".into(),
        items: Vec::new(),
    }));
    assert!(state.apply(Event::ServerRemoved {
        name: "time".into()
    }));
    let shown = view(&state);
    assert_eq!(shown.health, Health::Ready);
    assert!(
        !menu(&shown)
            .iter()
            .any(|line| line.contains("awaiting review"))
    );
}

#[test]
fn a_disabled_server_can_only_be_enabled_and_a_quarantined_one_not_restarted() {
    let view = view(&attached(
        vec![
            server("off", ServerState::Disabled),
            server("new", ServerState::Quarantined),
        ],
        Vec::new(),
    ));
    assert_eq!(view.health, Health::Review);
    assert_eq!(
        menu(&view)[2..7],
        [
            "new: awaiting approval >",
            "  [Disable]",
            "off: disabled >",
            "  [Enable]",
            "-",
        ]
    );
}

#[test]
fn failing_outranks_a_login_which_outranks_review() {
    let servers = vec![
        server("a", ServerState::NeedsAuth),
        server("b", ServerState::Stopped),
        server("c", ServerState::Quarantined),
    ];
    assert_eq!(
        view(&attached(servers.clone(), Vec::new())).health,
        Health::Failing
    );
    assert_eq!(
        view(&attached(servers[..1].to_vec(), vec![held("a", "x")])).health,
        Health::Login
    );
}

#[test]
fn the_daemon_down_shows_why_and_offers_to_start_one() {
    let mut state = attached(vec![server("time", ServerState::Ready)], Vec::new());
    assert!(state.apply(Event::Goodbye(Goodbye {
        reason: GoodbyeReason::Shutdown,
        message: "stopped by `mcpproxy daemon stop`".into(),
    })));
    // The stream's end after its goodbye does not hide the goodbye's reason.
    state.lost("the daemon closed its event stream".into());
    let view = view(&state);
    assert_eq!(view.health, Health::Down);
    assert_eq!(view.tooltip, "stopped by `mcpproxy daemon stop`");
    assert_eq!(
        menu(&view),
        [
            "mcpproxy: the daemon is not running",
            "stopped by `mcpproxy daemon stop`",
            "-",
            "[Start the daemon]",
            "[Open the logs folder]",
            "-",
            "[Quit the tray]",
        ]
    );
    assert_eq!(
        command(&view.menu, &["Start the daemon"]),
        Some(TrayCommand::StartDaemon)
    );
}

#[test]
fn no_daemon_at_launch_says_so() {
    let mut state = TrayState::default();
    assert_eq!(view(&state).title, "mcpproxy: looking for the daemon…");
    state.lost("no mcpproxy daemon is running (nothing answers on /run/mcpproxy.sock)".into());
    let view = view(&state);
    assert_eq!(view.health, Health::Down);
    assert_eq!(
        view.tooltip,
        "no mcpproxy daemon is running (nothing answers on /run/mcpproxy.sock)"
    );
}

#[test]
fn a_daemon_being_started_is_not_reported_down_by_the_failed_attach() {
    let mut state = TrayState {
        daemon: Daemon::Starting,
        notice: None,
    };
    state.lost("no mcpproxy daemon is running".into());
    assert_eq!(view(&state).title, "mcpproxy: starting the daemon…");
}

#[test]
fn a_state_change_changes_the_view_and_logs_change_nothing() {
    let mut state = attached(vec![server("time", ServerState::Ready)], Vec::new());
    let before = view(&state);
    let log = LogLine {
        server: None,
        at: Timestamp::UNIX_EPOCH,
        level: LogLevel::Info,
        origin: LogOrigin::Daemon,
        text: "hello".into(),
    };
    assert!(!state.apply(Event::Log(log)));
    assert!(!state.apply(Event::Heartbeat {
        at: Timestamp::UNIX_EPOCH
    }));
    assert!(!state.apply(Event::Server(server("time", ServerState::Ready))));
    assert_eq!(view(&state), before);

    assert!(state.apply(Event::Server(server("time", ServerState::Disabled))));
    assert_eq!(menu(&view(&state))[2], "time: disabled >");
}

#[test]
fn a_notice_tops_the_menu() {
    let mut state = attached(Vec::new(), Vec::new());
    state.notice = Some(crate::terminal::NONE_FOUND.to_owned());
    let view = view(&state);
    assert_eq!(menu(&view)[0], crate::terminal::NONE_FOUND);
    assert_eq!(view.tooltip, "no servers configured");
    assert_eq!(view.title, "mcpproxy 0.1.0: 0 servers");
}
