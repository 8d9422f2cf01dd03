//! What the tray shows, as a pure function of [`TrayState`]: the icon's health, its title
//! and tooltip, and the menu. The D-Bus side only translates this into StatusNotifierItem
//! properties and dbusmenu items, so everything a person sees is tested here without a bus.

use mcpproxy_daemon::client::ServerAction;
use mcpproxy_daemon::protocol::{ServerState, ServerView};

use crate::state::{Daemon, Live, TrayState};

/// The TUI screen the tray opens by default and for logins: every server with its state
/// (`L` logs the selected one in).
pub const TUI_SCREEN: &str = "servers";
/// The TUI screen for items awaiting review: held items, their findings and diffs.
pub const REVIEW_SCREEN: &str = "review";

/// The icon's message, worst first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Health {
    /// No daemon answers.
    Down,
    /// A server that should serve does not (backing off or stopped).
    Failing,
    /// A server waits for a login.
    Login,
    /// Items or servers wait for a person's approval.
    Review,
    /// Every server that may run is ready (or on its way).
    Ready,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Down => "down",
            Self::Failing => "failing",
            Self::Login => "login",
            Self::Review => "review",
            Self::Ready => "ready",
        }
    }
}

/// What a menu entry does when chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrayCommand {
    Server {
        name: String,
        action: ServerAction,
    },
    /// Opens `mcpproxy tui --screen SCREEN` in a terminal emulator.
    OpenTui {
        screen: &'static str,
    },
    OpenLogs,
    StartDaemon,
    StopDaemon,
    Quit,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A line of text that does nothing.
    Label(String),
    Separator,
    Action {
        label: String,
        command: TrayCommand,
    },
    Submenu {
        label: String,
        entries: Vec<Entry>,
    },
}

/// Everything the tray shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrayView {
    pub health: Health,
    /// The icon's title and the tooltip's first line.
    pub title: String,
    /// The tooltip's body: which servers are not well, or all is fine.
    pub tooltip: String,
    pub menu: Vec<Entry>,
}

/// The view of `state`.
pub fn view(state: &TrayState) -> TrayView {
    let (health, status, tooltip, mut menu) = match &state.daemon {
        Daemon::Attaching => (
            Health::Down,
            "mcpproxy: looking for the daemon…".to_owned(),
            String::new(),
            Vec::new(),
        ),
        Daemon::Starting => (
            Health::Down,
            "mcpproxy: starting the daemon…".to_owned(),
            String::new(),
            Vec::new(),
        ),
        Daemon::Down { reason } => (
            Health::Down,
            "mcpproxy: the daemon is not running".to_owned(),
            reason.clone(),
            vec![action("Start the daemon", TrayCommand::StartDaemon)],
        ),
        Daemon::Up(live) => (
            health(live),
            status_line(live),
            tooltip(live),
            live_menu(live),
        ),
    };
    let mut head = Vec::new();
    if let Some(notice) = &state.notice {
        head.push(Entry::Label(notice.clone()));
    }
    head.push(Entry::Label(status.clone()));
    if let Daemon::Down { reason } = &state.daemon {
        head.push(Entry::Label(reason.clone()));
    }
    head.push(Entry::Separator);
    head.append(&mut menu);
    head.push(action("Open the logs folder", TrayCommand::OpenLogs));
    head.push(Entry::Separator);
    head.push(action("Quit the tray", TrayCommand::Quit));
    TrayView {
        health,
        title: status,
        tooltip,
        menu: head,
    }
}

fn action(label: &str, command: TrayCommand) -> Entry {
    Entry::Action {
        label: label.to_owned(),
        command,
    }
}

fn health(live: &Live) -> Health {
    let states = || live.servers.values().map(|server| server.state);
    if states().any(|state| matches!(state, ServerState::Backoff | ServerState::Stopped)) {
        Health::Failing
    } else if states().any(|state| state == ServerState::NeedsAuth) {
        Health::Login
    } else if live.held_items() > 0 || states().any(|state| state == ServerState::Quarantined) {
        Health::Review
    } else {
        Health::Ready
    }
}

fn count(live: &Live, state: ServerState) -> usize {
    live.servers.values().filter(|s| s.state == state).count()
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `mcpproxy 0.1.0: 3 servers, 2 ready, 1 failing`.
fn status_line(live: &Live) -> String {
    let total = live.servers.len();
    let ready = count(live, ServerState::Ready);
    let failing = live
        .servers
        .values()
        .filter(|s| s.state.is_failing())
        .count();
    let mut line = format!(
        "mcpproxy {}: {}",
        live.version,
        plural(total, "server", "servers")
    );
    if total > 0 {
        line.push_str(&format!(", {ready} ready"));
    }
    if failing > 0 {
        line.push_str(&format!(", {failing} failing"));
    }
    line
}

/// One line per server that is not ready, or that all are.
fn tooltip(live: &Live) -> String {
    let unwell: Vec<String> = live
        .servers
        .values()
        .filter(|server| server.state != ServerState::Ready)
        .map(|server| format!("{}: {}", server.name, describe(server)))
        .collect();
    if live.servers.is_empty() {
        "no servers configured".to_owned()
    } else if unwell.is_empty() {
        let names: Vec<&str> = live.servers.keys().map(String::as_str).collect();
        format!("all ready: {}", names.join(", "))
    } else {
        unwell.join("\n")
    }
}

/// A server's state in words.
fn describe(server: &ServerView) -> String {
    match server.state {
        ServerState::Ready => format!(
            "ready, {}",
            plural(server.tool_count as usize, "tool", "tools")
        ),
        ServerState::NeedsAuth => "needs a login".to_owned(),
        ServerState::Backoff => match server.attempt {
            Some(attempt) => format!("failing (attempt {attempt}), retrying"),
            None => "failing, retrying".to_owned(),
        },
        ServerState::Quarantined => "awaiting approval".to_owned(),
        ServerState::Authenticating => "logging in".to_owned(),
        state => state.as_str().to_owned(),
    }
}

fn live_menu(live: &Live) -> Vec<Entry> {
    let mut menu: Vec<Entry> = live.servers.values().map(server_entry).collect();
    if !menu.is_empty() {
        menu.push(Entry::Separator);
    }
    let held = live.held_items();
    if held > 0 {
        menu.push(action(
            &format!("{} awaiting review…", plural(held, "item", "items")),
            TrayCommand::OpenTui {
                screen: REVIEW_SCREEN,
            },
        ));
    }
    let logins = count(live, ServerState::NeedsAuth);
    if logins > 0 {
        let label = if logins == 1 {
            "1 server needs a login…".to_owned()
        } else {
            format!("{logins} servers need a login…")
        };
        menu.push(action(&label, TrayCommand::OpenTui { screen: TUI_SCREEN }));
    }
    menu.push(action(
        "Open the terminal UI",
        TrayCommand::OpenTui { screen: TUI_SCREEN },
    ));
    menu.push(action("Stop the daemon", TrayCommand::StopDaemon));
    menu
}

/// A server's submenu: its state, its last error, and what can be done to it.
fn server_entry(server: &ServerView) -> Entry {
    let mut entries = Vec::new();
    if let Some(error) = &server.last_error
        && server.state != ServerState::Ready
    {
        entries.push(Entry::Label(error.clone()));
    }
    let server_action = |label: &str, action| Entry::Action {
        label: label.to_owned(),
        command: TrayCommand::Server {
            name: server.name.clone(),
            action,
        },
    };
    if server.enabled {
        entries.push(server_action("Disable", ServerAction::Disable));
        if !server.quarantined {
            entries.push(server_action("Restart", ServerAction::Restart));
        }
    } else {
        entries.push(server_action("Enable", ServerAction::Enable));
    }
    Entry::Submenu {
        label: format!("{}: {}", server.name, describe(server)),
        entries,
    }
}

#[cfg(test)]
mod tests;
