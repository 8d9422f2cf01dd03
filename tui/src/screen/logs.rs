//! Logs: one server's live log, or the daemon's own; follow, scroll, level and text filters.

use mcpproxy_daemon::protocol::LogLevel;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::{SCREENS, Screen};
use crate::app::logs::{LOG_TAIL, LogSource, StoredLine};
use crate::app::{App, Modal, PickItem, PickValue, Picker};
use crate::effect::Effect;
use crate::keymap::{Binding, Command, bind};
use crate::theme::{Role, Theme};
use crate::ui::format;

pub const SCREEN: Screen = Screen {
    name: "logs",
    title: "Logs",
    bindings: BINDINGS,
    list: false,
    footer: &[
        Command::Source,
        Command::Follow,
        Command::Level,
        Command::Filter,
        Command::Top,
        Command::Bottom,
    ],
    enter,
    command,
    draw,
    detail: |_, _| None,
    badges: |app| app.logs.badges(),
    filter: |app| Some(&mut app.logs.filter),
    filter_text: |app| Some(&app.logs.filter),
    filtered: |_| None,
    toggle_facet: |_, _, _| {},
};

const BINDINGS: &[Binding] = &[
    bind(Command::Up, &["k", "up"], "older line"),
    bind(
        Command::Down,
        &["j", "down"],
        "newer line (the bottom resumes following)",
    ),
    bind(Command::PageUp, &["ctrl-u", "pageup"], "page up"),
    bind(Command::PageDown, &["ctrl-d", "pagedown"], "page down"),
    bind(Command::Top, &["g", "home"], "oldest line kept"),
    bind(Command::Bottom, &["G", "end"], "newest line, and follow"),
    bind(Command::Filter, &["/"], "show only lines with this text"),
    bind(Command::Back, &["esc"], "clear the text filter"),
    bind(
        Command::ClearFilters,
        &["F"],
        "clear the text and level filters",
    ),
    Binding {
        command: Command::Source,
        keys: &["o"],
        help: "whose log: the daemon's or a server's",
    },
    Binding {
        command: Command::Follow,
        keys: &["f"],
        help: "follow new lines on/off",
    },
    Binding {
        command: Command::Level,
        keys: &["v"],
        help: "lowest level shown: all, debug, info, warn, error",
    },
];

/// The log opened when the screen is first shown: the server selected on the servers
/// screen, else the daemon's own.
fn enter(app: &mut App) -> Option<Effect> {
    if app.logs.source.is_some() {
        return None;
    }
    let source = super::servers::selected(app).map_or(LogSource::Daemon, LogSource::Server);
    open(app, source)
}

/// Starts watching `source` and asks for its tail.
pub fn open(app: &mut App, source: LogSource) -> Option<Effect> {
    app.logs.open(source.clone());
    app.dirty = true;
    Some(Effect::FetchLog {
        source,
        tail: LOG_TAIL,
    })
}

/// Shows the logs screen on `source`.
pub fn show_source(app: &mut App, source: LogSource) -> Option<Effect> {
    if let Some(index) = SCREENS.iter().position(|s| s.name == SCREEN.name) {
        app.screen = index;
    }
    open(app, source)
}

fn command(app: &mut App, command: Command) -> Option<Effect> {
    let logs = &mut app.logs;
    match command {
        Command::Up => logs.scroll(-1),
        Command::Down => logs.scroll(1),
        Command::PageUp => logs.scroll(-logs.page()),
        Command::PageDown => logs.scroll(logs.page()),
        Command::Top => logs.to_top(),
        Command::Bottom => logs.to_bottom(),
        Command::Follow => {
            if logs.follow {
                logs.follow = false;
                logs.back = 0;
            } else {
                logs.to_bottom();
            }
        }
        Command::Level => logs.next_level(),
        Command::Back => logs.filter.clear(),
        Command::ClearFilters => {
            logs.filter.clear();
            logs.min_level = LogLevel::Trace;
        }
        Command::Source | Command::Facets => {
            let mut sources = vec![LogSource::Daemon];
            sources.extend(app.daemon.servers.keys().cloned().map(LogSource::Server));
            let selected = sources
                .iter()
                .position(|s| Some(s) == app.logs.source.as_ref())
                .unwrap_or(0);
            let items = sources
                .into_iter()
                .map(|source| PickItem {
                    label: source.label().to_owned(),
                    active: Some(&source) == app.logs.source.as_ref(),
                    value: PickValue::Source(source),
                })
                .collect();
            app.modal = Some(Modal::Picker(Picker {
                title: "Whose log".to_owned(),
                items,
                selected,
            }));
        }
        _ => {}
    }
    None
}

fn level_role(level: LogLevel) -> Role {
    match level {
        LogLevel::Error => Role::Error,
        LogLevel::Warn => Role::Warn,
        LogLevel::Info => Role::Text,
        LogLevel::Debug | LogLevel::Trace => Role::Muted,
    }
}

fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let logs = &app.logs;
    let source = logs.source.as_ref().map_or("", LogSource::label);
    let block_height = usize::from(area.height.saturating_sub(2));
    let (total, shown) = logs.window(block_height);
    let state = if logs.follow {
        "following".to_owned()
    } else {
        format!("paused, {} newer below", logs.back)
    };
    let title = Line::from(vec![
        Span::styled(format!(" Log of {source} "), theme.style(Role::Title)),
        Span::styled(
            format!("({total} lines, {state}) "),
            theme.style(Role::Muted),
        ),
    ]);
    let block = Block::bordered()
        .border_style(theme.style(Role::BorderFocus))
        .title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    logs.height.set(usize::from(inner.height));
    let message = if logs.loading {
        Some(("reading the log…".to_owned(), Role::Muted))
    } else if total == 0 {
        match &logs.unavailable {
            Some(why) => Some((why.clone(), Role::Error)),
            None if !logs.filter.is_empty() || logs.min_level != LogLevel::Trace => Some((
                "no line matches the filters (F clears them)".to_owned(),
                Role::Muted,
            )),
            None => Some(("nothing logged yet".to_owned(), Role::Muted)),
        }
    } else {
        None
    };
    if let Some((text, role)) = message {
        frame.render_widget(Paragraph::new(text).style(theme.style(role)), inner);
        return;
    }
    let needle = logs.filter.text().to_lowercase();
    let lines: Vec<Line> = shown
        .into_iter()
        .map(|line| log_line(line, app, theme, &needle))
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

fn log_line<'a>(line: &'a StoredLine, app: &App, theme: &Theme, needle: &str) -> Line<'a> {
    let role = level_role(line.level);
    let mut spans = vec![
        Span::styled(
            format::time_of_day(line.at, &app.tz),
            theme.style(Role::Muted),
        ),
        Span::raw(" "),
        Span::styled(
            format!("{:<5}", line.level.as_str().to_uppercase()),
            theme.style(role),
        ),
        Span::raw(" "),
        Span::styled(
            format!("{:<8}", line.origin.label()),
            theme.style(Role::Muted),
        ),
        Span::raw(" "),
    ];
    spans.extend(highlight(
        &line.text,
        needle,
        theme.style(role),
        theme.style(Role::Highlight),
    ));
    Line::from(spans)
}

/// `text` with each case-blind match of `needle` in the highlight style.
pub fn highlight<'a>(
    text: &'a str,
    needle: &str,
    style: ratatui::style::Style,
    marked: ratatui::style::Style,
) -> Vec<Span<'a>> {
    if needle.is_empty() {
        return vec![Span::styled(text, style)];
    }
    let lower = text.to_lowercase();
    // Matching on the lowercased text is only exact when lowercasing kept every length.
    if lower.len() != text.len() {
        return vec![Span::styled(text, style)];
    }
    let mut spans = Vec::new();
    let mut at = 0;
    while let Some(found) = lower[at..].find(needle) {
        let start = at + found;
        let end = start + needle.len();
        if !text.is_char_boundary(start) || !text.is_char_boundary(end) {
            return vec![Span::styled(text, style)];
        }
        if start > at {
            spans.push(Span::styled(&text[at..start], style));
        }
        spans.push(Span::styled(&text[start..end], marked));
        at = end;
    }
    if at < text.len() {
        spans.push(Span::styled(&text[at..], style));
    }
    spans
}
