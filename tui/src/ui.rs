//! Drawing: the frame around every screen (tabs, config-problem banner, status line,
//! footer), the screen itself, then dialogs and toasts on top. Views read `&App` and ask the
//! [`Theme`] for roles, never for colours.

mod dialogs;
pub mod format;
mod overlay;
pub mod table;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::app::call::Parameter;
use crate::app::{App, Modal};
use crate::keymap::{self, Command};
use crate::screen::SCREENS;
use crate::theme::{Role, Theme};

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, app: &App, theme: &Theme) {
    let area = frame.area();
    frame.render_widget(Block::new().style(theme.style(Role::Text)), area);
    let banner = banner_lines(app, theme, area.width);
    let banner_height = u16::try_from(banner.len()).unwrap_or(0);
    let [tabs, banner_area, body, status, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(banner_height),
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_tabs(frame, tabs, app, theme);
    frame.render_widget(
        Paragraph::new(banner).style(theme.style(Role::Banner)),
        banner_area,
    );
    if app.daemon.status.is_some() {
        (SCREENS[app.screen].draw)(frame, body, app, theme);
    }
    draw_status(frame, status, app, theme);
    draw_footer(frame, footer, app, theme);
    if !app.connection.is_attached() {
        overlay::disconnected(frame, body, app, theme);
    }
    match &app.modal {
        Some(Modal::Help { scroll }) => overlay::help(frame, area, app, theme, *scroll),
        Some(Modal::Palette { input, selected }) => {
            overlay::palette(frame, area, app, theme, input, *selected);
        }
        Some(Modal::Confirm { question, .. }) => overlay::confirm(frame, area, theme, question),
        Some(Modal::Picker(picker)) => overlay::picker(frame, area, theme, picker),
        Some(Modal::Detail { scroll }) => overlay::detail(frame, area, app, theme, *scroll),
        Some(Modal::AddServer(form)) => dialogs::add_server(frame, area, theme, form),
        Some(Modal::Arguments(editor)) => dialogs::arguments(frame, area, app, theme, editor),
        Some(Modal::Result) => dialogs::result(frame, area, app, theme),
        Some(Modal::Login { server }) => dialogs::login(frame, area, app, theme, server),
        Some(Modal::Filter) | None => {}
    }
    overlay::toasts(
        frame,
        Rect {
            height: area.height.saturating_sub(2),
            ..area
        },
        app,
        theme,
    );
}

fn draw_tabs(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut spans = vec![Span::styled(" mcpproxy ", theme.style(Role::Accent))];
    for (i, screen) in SCREENS.iter().enumerate() {
        let role = if i == app.screen {
            Role::TabActive
        } else {
            Role::Tab
        };
        spans.push(Span::raw(" "));
        spans.push(Span::styled(
            format!(" {} {} ", i + 1, screen.title),
            theme.style(role),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
    let help = format!(
        "{} help ",
        app.keymap.key_label(keymap::GLOBAL, Command::Help)
    );
    let width = u16::try_from(help.chars().count()).unwrap_or(0);
    if area.width > width + 40 {
        let right = Rect {
            x: area.right() - width,
            width,
            ..area
        };
        frame.render_widget(
            Paragraph::new(Span::styled(help, theme.style(Role::Muted))),
            right,
        );
    }
}

/// The config-problem banner: the daemon refused the file on disk and runs on its last good
/// config until it is fixed.
fn banner_lines(app: &App, theme: &Theme, width: u16) -> Vec<Line<'static>> {
    let problems = &app.daemon.config_problems;
    let Some(first) = problems.first() else {
        return Vec::new();
    };
    let more = match problems.len() {
        1 => String::new(),
        n => format!(" (and {} more)", n - 1),
    };
    let mut detail = format!("{first}{more}");
    if let Some(hint) = &first.hint {
        detail.push_str(&format!(" · {hint}"));
    }
    let mut lines = vec![Line::from(
        " ⚠ The config file is broken: the daemon keeps running on its last good config",
    )];
    let room = usize::from(width).saturating_sub(2);
    lines.extend(
        format::wrap(&detail, room)
            .into_iter()
            .take(3)
            .map(|part| Line::from(Span::styled(format!(" {part}"), theme.style(Role::Banner)))),
    );
    lines
}

fn draw_status(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let bar = theme.style(Role::StatusBar);
    frame.render_widget(Block::new().style(bar), area);
    let mut spans = Vec::new();
    match (&app.daemon.status, app.daemon_uptime()) {
        (Some(status), Some(uptime)) if app.connection.is_attached() => {
            spans.push(Span::styled(
                format!(
                    " daemon {}, up {} │ ",
                    status.version,
                    format::duration(uptime)
                ),
                bar,
            ));
        }
        _ => spans.push(Span::styled(" no daemon attached │ ", bar)),
    }
    let counts = app.daemon.counts();
    let count = |n: usize, label: &str, role: Role| {
        let role = if n > 0 { role } else { Role::Muted };
        Span::styled(format!("{n} {label} "), bar.patch(theme.style(role)))
    };
    spans.push(count(counts.ready, "ready", Role::Ok));
    spans.push(count(counts.failing, "failing", Role::Error));
    spans.push(count(counts.quarantined, "quarantined", Role::Warn));
    let per_minute = app.activity.log.per_minute(app.now);
    spans.push(Span::styled(format!("│ {per_minute} calls/min "), bar));
    for badge in (SCREENS[app.screen].badges)(app) {
        spans.push(Span::raw(" "));
        spans.push(Span::styled(format!(" {badge} "), theme.style(Role::Badge)));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_footer(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    if let Some(Modal::Filter) = app.modal {
        overlay::filter_line(frame, area, app, theme);
        return;
    }
    let screen = &SCREENS[app.screen];
    let mut keys: Vec<(String, &str)> = Vec::new();
    if app.connection.is_attached() {
        for command in screen.footer {
            let label = screen_key_label(app, *command);
            if !label.is_empty() {
                keys.push((label, keymap::label(*command)));
            }
        }
    } else {
        keys.push((
            app.keymap
                .key_label(keymap::DISCONNECTED, Command::StartDaemon),
            keymap::label(Command::StartDaemon),
        ));
    }
    let global: Vec<(String, &str)> = [Command::Palette, Command::Help, Command::Quit]
        .into_iter()
        .map(|c| (app.keymap.key_label(keymap::GLOBAL, c), keymap::label(c)))
        .collect();
    let width = |keys: &[(String, &str)]| -> usize {
        keys.iter()
            .map(|(k, l)| k.chars().count() + l.chars().count() + 3)
            .sum()
    };
    // The global keys always show, at the right; the screen's give way from the end.
    let room = usize::from(area.width).saturating_sub(width(&global) + 1);
    while width(&keys) > room {
        keys.pop();
    }
    let spans = |keys: &[(String, &str)]| -> Vec<Span<'static>> {
        let mut spans = Vec::new();
        for (key, label) in keys {
            spans.push(Span::styled(key.clone(), theme.style(Role::Key)));
            spans.push(Span::styled(
                format!(" {label}  "),
                theme.style(Role::Muted),
            ));
        }
        spans
    };
    let mut left = vec![Span::raw(" ")];
    left.extend(spans(&keys));
    frame.render_widget(Paragraph::new(Line::from(left)), area);
    let right_width = u16::try_from(width(&global)).unwrap_or(0).min(area.width);
    let right = Rect {
        x: area.right() - right_width,
        width: right_width,
        ..area
    };
    frame.render_widget(Paragraph::new(Line::from(spans(&global))), right);
}

/// A command's first key on the current screen, wherever it is bound.
fn screen_key_label(app: &App, command: Command) -> String {
    crate::screen::contexts(app.screen)
        .into_iter()
        .map(|context| app.keymap.key_label(context, command))
        .find(|label| !label.is_empty())
        .unwrap_or_default()
}

/// One argument of a tool: name, type, whether it is required, what it is.
pub fn parameter_line(param: &Parameter, indent: &str, theme: &Theme) -> Line<'static> {
    let mut spans = vec![
        Span::styled(format!("{indent}{}", param.name), theme.style(Role::Text)),
        Span::styled(format!(" {}", param.kind), theme.style(Role::Info)),
    ];
    if param.required {
        spans.push(Span::styled(" required", theme.style(Role::Warn)));
    }
    if !param.description.is_empty() {
        spans.push(Span::styled(
            format!(" — {}", param.description),
            theme.style(Role::Muted),
        ));
    }
    Line::from(spans)
}

/// `lines` in `area`, or `empty` (muted) when there are none.
pub fn lines_or(frame: &mut Frame, area: Rect, lines: Vec<Line<'_>>, empty: &str, theme: &Theme) {
    let paragraph = if lines.is_empty() {
        Paragraph::new(empty.to_owned()).style(theme.style(Role::Muted))
    } else {
        Paragraph::new(lines)
    };
    frame.render_widget(paragraph, area);
}

/// A rectangle of at most `width` × `height` in the middle of `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}
