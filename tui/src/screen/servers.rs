//! Servers: every upstream with its state, transport, tools, MCP version, uptime, backoff
//! countdown and last error; enable, disable, restart, remove, approve, add; OAuth login
//! and logout (the login dialog is drawn by `ui::dialogs::login`).

use std::borrow::Cow;

use mcpproxy_daemon::client::ServerAction;
use mcpproxy_daemon::protocol::{ServerState, ServerView};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Detail;
use super::Screen;
use crate::app::list::{Column, Facet, Row, SortKey};
use crate::app::login::LoginStage;
use crate::app::{App, Modal, ToastLevel};
use crate::effect::Effect;
use crate::keymap::{Binding, Command};
use crate::theme::{Role, Theme};
use crate::ui::{format, table};
use crate::update::{lists, login};

pub const SCREEN: Screen = Screen {
    name: "servers",
    title: "Servers",
    bindings: BINDINGS,
    list: true,
    footer: &[
        Command::AddServer,
        Command::Approve,
        Command::Enable,
        Command::Disable,
        Command::Restart,
        Command::Remove,
        Command::ShowLogs,
        Command::Login,
        Command::Filter,
    ],
    enter: |_| None,
    command,
    draw,
    detail,
    badges: |app| app.servers.list.badges(),
    filter: |app| Some(&mut app.servers.list.filter),
    filter_text: |app| Some(&app.servers.list.filter),
    filtered: |_| None,
    toggle_facet: |app, facet, value| app.servers.list.toggle_facet(facet, value),
};

const BINDINGS: &[Binding] = &[
    Binding {
        command: Command::AddServer,
        keys: &["n"],
        help: "add a server (a form)",
    },
    Binding {
        command: Command::Enable,
        keys: &["e"],
        help: "enable the server",
    },
    Binding {
        command: Command::Disable,
        keys: &["d"],
        help: "disable the server (its process stops)",
    },
    Binding {
        command: Command::Restart,
        keys: &["r"],
        help: "reconnect the server now",
    },
    Binding {
        command: Command::Remove,
        keys: &["D", "delete"],
        help: "remove the server from the config (asks first)",
    },
    Binding {
        command: Command::Approve,
        keys: &["a"],
        help: "approve a quarantined server: it starts",
    },
    Binding {
        command: Command::ShowLogs,
        keys: &["l"],
        help: "the server's log",
    },
    Binding {
        command: Command::ShowTools,
        keys: &["t"],
        help: "the server's tools",
    },
    Binding {
        command: Command::Login,
        keys: &["L"],
        help: "log in (OAuth): shows the URL, opens a browser",
    },
    Binding {
        command: Command::Logout,
        keys: &["O"],
        help: "log out: forget its tokens (asks first)",
    },
];

const FACETS: &[Facet] = &[Facet::State, Facet::Transport];

impl Row for ServerView {
    fn key(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.name)
    }

    fn facets(&self) -> Vec<(Facet, String)> {
        vec![
            (Facet::State, self.state.as_str().to_owned()),
            (Facet::Transport, self.transport.as_str().to_owned()),
        ]
    }
}

/// The role a server state is drawn in.
pub fn state_role(state: ServerState) -> Role {
    match state {
        ServerState::Ready => Role::Ok,
        ServerState::Connecting | ServerState::Authenticating | ServerState::Quarantined => {
            Role::Warn
        }
        ServerState::Backoff | ServerState::NeedsAuth | ServerState::Stopped => Role::Error,
        ServerState::Disabled | ServerState::Unknown => Role::Muted,
    }
}

fn uptime(server: &ServerView, app: &App) -> Option<u64> {
    (server.state == ServerState::Ready)
        .then_some(server.connected_since)
        .flatten()
        .map(|since| format::seconds_since(since, app.now))
}

fn retry(server: &ServerView, app: &App) -> String {
    match (server.state, server.retry_at) {
        (ServerState::Backoff, Some(at)) => {
            let attempt = server.attempt.map(|a| format!(" #{a}")).unwrap_or_default();
            format!(
                "in {}{attempt}",
                format::duration(format::seconds_until(app.now, at))
            )
        }
        _ => String::new(),
    }
}

const COLUMNS: &[Column<ServerView>] = &[
    Column {
        title: "NAME",
        width: Constraint::Length(18),
        min_area: 0,
        text: |s, _| s.name.clone(),
        sort: |s, _| SortKey::text(&s.name),
        role: |s, _| if s.enabled { Role::Text } else { Role::Muted },
    },
    Column {
        title: "STATE",
        width: Constraint::Length(12),
        min_area: 0,
        text: |s, _| s.state.as_str().to_owned(),
        sort: |s, _| SortKey::text(s.state.as_str()),
        role: |s, _| state_role(s.state),
    },
    Column {
        title: "TRANSPORT",
        width: Constraint::Length(9),
        min_area: 60,
        text: |s, _| s.transport.as_str().to_owned(),
        sort: |s, _| SortKey::text(s.transport.as_str()),
        role: |_, _| Role::Text,
    },
    Column {
        title: "TOOLS",
        width: Constraint::Length(7),
        min_area: 50,
        text: |s, _| match s.pending_review {
            0 => s.tool_count.to_string(),
            held => format!("{} +{held}", s.tool_count),
        },
        sort: |s, _| SortKey::Number(i64::from(s.tool_count)),
        role: |s, _| {
            if s.pending_review > 0 {
                Role::Warn
            } else {
                Role::Text
            }
        },
    },
    Column {
        title: "MCP",
        width: Constraint::Length(10),
        min_area: 110,
        text: |s, _| s.protocol_version.clone().unwrap_or_default(),
        sort: |s, _| SortKey::text(s.protocol_version.as_deref().unwrap_or("")),
        role: |_, _| Role::Muted,
    },
    Column {
        title: "UPTIME",
        width: Constraint::Length(8),
        min_area: 95,
        text: |s, app| uptime(s, app).map(format::duration).unwrap_or_default(),
        sort: |s, app| {
            SortKey::Number(uptime(s, app).map_or(-1, |u| i64::try_from(u).unwrap_or(i64::MAX)))
        },
        role: |_, _| Role::Text,
    },
    Column {
        title: "RETRY",
        width: Constraint::Length(9),
        min_area: 70,
        text: retry,
        sort: |s, _| SortKey::Number(s.retry_at.map_or(i64::MAX, |at| at.as_second())),
        role: |_, _| Role::Warn,
    },
    Column {
        title: "LAST ERROR",
        width: Constraint::Fill(1),
        min_area: 0,
        text: |s, _| format::first_line(s.last_error.as_deref().unwrap_or("")).to_owned(),
        sort: |s, _| SortKey::text(s.last_error.as_deref().unwrap_or("")),
        role: |_, _| Role::Error,
    },
];

/// The servers that pass the filters, sorted.
pub fn visible(app: &App) -> Vec<&ServerView> {
    app.servers
        .list
        .visible(app.daemon.servers.values(), COLUMNS, app)
}

/// The selected server's name.
pub fn selected(app: &App) -> Option<String> {
    let rows = visible(app);
    let index = app.servers.list.selected_in(&rows)?;
    Some(rows[index].name.clone())
}

fn command(app: &mut App, command: Command) -> Option<Effect> {
    let moved = lists::navigate(&app.servers.list, &visible(app), command, COLUMNS.len());
    if let Some(list) = moved {
        app.servers.list = list;
        return None;
    }
    match command {
        Command::Facets => {
            let values = crate::app::list::facet_values(app.daemon.servers.values(), FACETS);
            app.modal = Some(Modal::Picker(lists::facet_picker(
                &app.servers.list,
                values,
            )));
            None
        }
        Command::Open => {
            if selected(app).is_some() {
                app.modal = Some(Modal::Detail { scroll: 0 });
            }
            None
        }
        Command::AddServer => {
            app.modal = Some(Modal::AddServer(Box::default()));
            None
        }
        Command::Enable => act(app, ServerAction::Enable),
        Command::Disable => act(app, ServerAction::Disable),
        Command::Restart => act(app, ServerAction::Restart),
        Command::Approve => {
            let name = selected(app)?;
            if app
                .daemon
                .servers
                .get(&name)
                .is_some_and(|s| !s.quarantined)
            {
                app.toast(ToastLevel::Info, format!("{name} is not quarantined"), None);
                return None;
            }
            act(app, ServerAction::Approve)
        }
        Command::Remove => {
            let name = selected(app)?;
            app.modal = Some(Modal::Confirm {
                question: format!(
                    "Remove server \"{name}\"? It is taken out of config.toml and its process stops."
                ),
                effect: Effect::Remove { name },
            });
            None
        }
        Command::ShowLogs => {
            let name = selected(app)?;
            super::logs::show_source(app, crate::app::logs::LogSource::Server(name))
        }
        Command::ShowTools => {
            let name = selected(app)?;
            super::tools::show_server(app, &name)
        }
        Command::Login => {
            let name = selected(app)?;
            login::start(app, name)
        }
        Command::Logout => {
            let name = selected(app)?;
            login::ask_logout(app, name);
            None
        }
        _ => None,
    }
}

fn act(app: &mut App, action: ServerAction) -> Option<Effect> {
    let name = selected(app)?;
    Some(Effect::Server { name, action })
}

fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let [list_area, note] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(area);
    let rows = visible(app);
    let title = table::title(theme, "Servers", rows.len(), app.daemon.servers.len());
    table::draw(
        frame,
        list_area,
        theme,
        app,
        title,
        &app.servers.list,
        COLUMNS,
        &rows,
        "no servers yet: n adds one",
    );
    let line = login_note(app, theme).unwrap_or_else(|| {
        Line::from(vec![
            Span::styled(
                " The daemon keeps running in the background: ",
                theme.style(Role::Muted),
            ),
            Span::styled("mcpproxy daemon stop", theme.style(Role::Accent)),
            Span::styled(" stops it.", theme.style(Role::Muted)),
        ])
    });
    frame.render_widget(Paragraph::new(line), note);
}

/// The note under the list when a login is wanted or under way: the selected server's
/// first, else how many need one.
fn login_note(app: &App, theme: &Theme) -> Option<Line<'static>> {
    let key = app.keymap.key_label(SCREEN.name, Command::Login);
    let spans = |role: Role, before: String, after: &str| {
        Line::from(vec![
            Span::styled(before, theme.style(role)),
            Span::styled(key.clone(), theme.style(Role::Key)),
            Span::styled(after.to_owned(), theme.style(role)),
        ])
    };
    let name = selected(app);
    let server = name.as_ref().and_then(|n| app.daemon.servers.get(n));
    if let (Some(name), Some(login)) =
        (&name, name.as_ref().and_then(|n| app.servers.logins.get(n)))
    {
        let (role, what) = match &login.stage {
            LoginStage::Starting => (Role::Warn, "starting the login".to_owned()),
            LoginStage::Waiting => (
                Role::Warn,
                "waiting for the login in the browser".to_owned(),
            ),
            LoginStage::Connecting => (Role::Warn, "logged in; connecting".to_owned()),
            LoginStage::Ready { tools } => {
                (Role::Ok, format!("logged in and ready ({tools} tools)"))
            }
            LoginStage::Failed { .. } => (Role::Error, "the login failed".to_owned()),
        };
        if login.in_progress() || server.is_some_and(|s| s.state != ServerState::Ready) {
            return Some(spans(
                role,
                format!(" {name}: {what} · "),
                " shows the login",
            ));
        }
    }
    match (&name, server.map(|s| s.state)) {
        (Some(name), Some(ServerState::NeedsAuth)) => {
            return Some(spans(
                Role::Error,
                format!(" {name} needs a login: press "),
                " to log in",
            ));
        }
        (Some(name), Some(ServerState::Authenticating)) => {
            return Some(spans(
                Role::Warn,
                format!(" {name}: a login waits for the browser · "),
                " shows its URL",
            ));
        }
        _ => {}
    }
    let waiting = app
        .daemon
        .servers
        .values()
        .filter(|s| s.state == ServerState::NeedsAuth)
        .count();
    (waiting > 0).then(|| {
        let servers = if waiting == 1 {
            "server needs"
        } else {
            "servers need"
        };
        spans(
            Role::Error,
            format!(" {waiting} {servers} a login (needs_auth): select it and press "),
            " to log in",
        )
    })
}

fn detail(app: &App, theme: &Theme) -> Option<Detail> {
    let name = selected(app)?;
    let server = app.daemon.servers.get(&name)?;
    let field = |label: &str, value: String, role: Role| {
        Line::from(vec![
            Span::styled(format!("{label:<16}"), theme.style(Role::Muted)),
            Span::styled(value, theme.style(role)),
        ])
    };
    let yes_no = |value: bool| if value { "yes" } else { "no" }.to_owned();
    let mut lines = vec![
        field(
            "state",
            server.state.as_str().to_owned(),
            state_role(server.state),
        ),
        field(
            "transport",
            server.transport.as_str().to_owned(),
            Role::Text,
        ),
        field("enabled", yes_no(server.enabled), Role::Text),
        field("quarantined", yes_no(server.quarantined), Role::Text),
    ];
    if server.block_secrets {
        lines.push(field(
            "secrets",
            "calls carrying one are refused".to_owned(),
            Role::Text,
        ));
    }
    lines.extend([
        field("tools", server.tool_count.to_string(), Role::Text),
        field(
            "held for review",
            server.pending_review.to_string(),
            Role::Text,
        ),
    ]);
    if let Some(version) = &server.protocol_version {
        lines.push(field("MCP version", version.clone(), Role::Text));
    }
    if let Some(pid) = server.pid {
        lines.push(field("pid", pid.to_string(), Role::Text));
    }
    if let Some(up) = uptime(server, app) {
        lines.push(field("up", format::duration(up), Role::Text));
    }
    let retry = retry(server, app);
    if !retry.is_empty() {
        lines.push(field("next attempt", retry, Role::Warn));
    }
    if let Some(url) = &server.login_url {
        lines.push(field("login", url.clone(), Role::Accent));
    }
    if server.state == ServerState::NeedsAuth {
        let key = app.keymap.key_label(SCREEN.name, Command::Login);
        lines.push(field(
            "",
            format!("it needs a login: {key} logs in"),
            Role::Warn,
        ));
    }
    if let Some(error) = &server.last_error {
        lines.push(Line::default());
        lines.push(Line::styled("last error", theme.style(Role::Muted)));
        lines.extend(
            error
                .lines()
                .map(|l| Line::styled(l.to_owned(), theme.style(Role::Error))),
        );
    }
    if let Some(held) = app.daemon.held.get(&name) {
        lines.push(Line::default());
        lines.push(Line::styled(
            "held back from agents",
            theme.style(Role::Muted),
        ));
        for item in held {
            lines.push(Line::from(vec![
                Span::styled(
                    format!("{} {} ", item.kind, item.name),
                    theme.style(Role::Warn),
                ),
                Span::styled(
                    format!("({}) {}", item.stage, item.reason),
                    theme.style(Role::Text),
                ),
            ]));
        }
    }
    Some((format!("Server {name}"), lines))
}
