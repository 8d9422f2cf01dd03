//! What is drawn over a screen: the disconnected panel, help, the palette, pickers,
//! confirmations, detail views, the filter line and toasts.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::{centered, format};
use crate::app::daemon::Connection;
use crate::app::editor::LineInput;
use crate::app::{App, Picker, ToastLevel};
use crate::keymap::{self, Command};
use crate::screen::SCREENS;
use crate::theme::{Role, Theme};
use crate::update::palette_matches;

/// A bordered popup with a title, cleared underneath.
fn popup(frame: &mut Frame, area: Rect, theme: &Theme, title: &str) -> Rect {
    frame.render_widget(Clear, area);
    let block = Block::bordered()
        .style(theme.style(Role::Popup))
        .border_style(theme.style(Role::BorderFocus))
        .title(Span::styled(format!(" {title} "), theme.style(Role::Title)));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    inner
}

fn key(app: &App, context: &str, command: Command) -> String {
    app.keymap.key_label(context, command)
}

/// The panel shown while no daemon is attached: why, and what can be done.
pub fn disconnected(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let start = key(app, keymap::DISCONNECTED, Command::StartDaemon);
    let quit = key(app, keymap::GLOBAL, Command::Quit);
    let text = |s: String| Line::styled(s, theme.style(Role::Text));
    let muted = |s: String| Line::styled(s, theme.style(Role::Muted));
    let offer = |starting: bool| {
        if starting {
            Line::styled("Starting a new daemon…", theme.style(Role::Warn))
        } else {
            Line::from(vec![
                Span::styled("Press ", theme.style(Role::Text)),
                Span::styled(start.clone(), theme.style(Role::Key)),
                Span::styled(" to start a new daemon, ", theme.style(Role::Text)),
                Span::styled(quit.clone(), theme.style(Role::Key)),
                Span::styled(" to quit.", theme.style(Role::Text)),
            ])
        }
    };
    let (title, lines) = match &app.connection {
        Connection::Attached => return,
        Connection::Connecting { starting: false } => (
            "Connecting",
            vec![text("Looking for the mcpproxy daemon…".into())],
        ),
        Connection::Connecting { starting: true } => (
            "Starting the daemon",
            vec![
                text("No daemon was running: starting one in the background…".into()),
                muted("It keeps running when you quit; `mcpproxy daemon stop` stops it.".into()),
            ],
        ),
        Connection::Reattaching {
            attempt,
            next_at,
            reason,
            last_attempt,
            starting,
        } => {
            let mut lines = vec![
                Line::styled(
                    format!("The daemon went away: {reason}."),
                    theme.style(Role::Warn),
                ),
                text(format!(
                    "Re-attaching by itself in {} (attempt {attempt}).",
                    format::millis(format::millis_until(app.now, *next_at))
                )),
            ];
            if let Some(last) = last_attempt {
                lines.push(muted(format!("Last attempt: {last}.")));
            }
            lines.push(Line::default());
            lines.push(offer(*starting));
            ("Daemon connection lost", lines)
        }
        Connection::Stopped { message, starting } => (
            "Daemon stopped",
            vec![
                Line::styled(
                    format!("The daemon stopped: {message}."),
                    theme.style(Role::Warn),
                ),
                text("It does not come back by itself.".into()),
                Line::default(),
                offer(*starting),
            ],
        ),
        Connection::Mismatch {
            daemon_version,
            daemon_protocol,
            client_protocol,
        } => (
            "Version mismatch",
            vec![
                Line::styled(
                    format!(
                        "The running daemon is mcpproxy {daemon_version} and speaks control protocol {daemon_protocol}; this mcpproxy ({}) speaks {client_protocol}.",
                        env!("CARGO_PKG_VERSION")
                    ),
                    theme.style(Role::Error),
                ),
                Line::default(),
                Line::from(vec![
                    Span::styled("Run ", theme.style(Role::Text)),
                    Span::styled("mcpproxy daemon restart", theme.style(Role::Accent)),
                    Span::styled(
                        " to replace it with this version; this screen attaches once it is back.",
                        theme.style(Role::Text),
                    ),
                ]),
            ],
        ),
        Connection::StartFailed { message, hint } => {
            let mut lines = vec![Line::styled(message.clone(), theme.style(Role::Error))];
            if let Some(hint) = hint {
                lines.push(muted(format!("hint: {hint}")));
            }
            lines.push(Line::default());
            lines.push(Line::from(vec![
                Span::styled("Press ", theme.style(Role::Text)),
                Span::styled(start.clone(), theme.style(Role::Key)),
                Span::styled(" to try again, ", theme.style(Role::Text)),
                Span::styled(quit.clone(), theme.style(Role::Key)),
                Span::styled(" to quit.", theme.style(Role::Text)),
            ]));
            ("The daemon did not start", lines)
        }
    };
    let width = area.width.saturating_sub(4).min(76);
    let text_width = usize::from(width.saturating_sub(4)).max(1);
    let rows: usize = lines
        .iter()
        .map(|l| l.width().max(1).div_ceil(text_width))
        .sum();
    let height = u16::try_from(rows + 4).unwrap_or(u16::MAX);
    let inner = popup(frame, centered(area, width, height), theme, title);
    let inner = Rect {
        x: inner.x + 1,
        y: inner.y + 1,
        width: inner.width.saturating_sub(2),
        height: inner.height.saturating_sub(1),
    };
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

/// Every key of the current screen, the list keys, and the global ones.
pub fn help(frame: &mut Frame, area: Rect, app: &App, theme: &Theme, scroll: usize) {
    let screen = &SCREENS[app.screen];
    let mut sections: Vec<(String, &str)> = vec![(format!("{} screen", screen.title), screen.name)];
    if screen.list {
        sections.push(("Lists".into(), keymap::LIST));
    }
    sections.push(("Everywhere".into(), keymap::GLOBAL));
    if !app.connection.is_attached() {
        sections.insert(0, ("Without a daemon".into(), keymap::DISCONNECTED));
    }
    sections.push(("Forms and editors".into(), keymap::EDITOR));
    let mut lines = Vec::new();
    for (title, context) in sections {
        let commands = app.keymap.commands(context);
        if commands.is_empty() {
            continue;
        }
        lines.push(Line::styled(title, theme.style(Role::Header)));
        for (command, help) in commands {
            let keys: Vec<String> = app
                .keymap
                .keys(context, command)
                .iter()
                .map(ToString::to_string)
                .collect();
            let help = match command.screen_number().and_then(|n| SCREENS.get(n - 1)) {
                Some(target) => target.title,
                None if command.screen_number().is_some() => continue,
                None => help,
            };
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<18}", keys.join(", ")), theme.style(Role::Key)),
                Span::styled(help, theme.style(Role::Text)),
            ]));
        }
        lines.push(Line::default());
    }
    lines.push(Line::styled(
        "The daemon keeps running in the background when you quit; `mcpproxy daemon stop` stops it.",
        theme.style(Role::Muted),
    ));
    lines.push(Line::styled(
        "Keys can be changed in config.toml: [tui.keys] COMMAND = \"KEY\" (names as in the palette).",
        theme.style(Role::Muted),
    ));
    let width = area.width.saturating_sub(4).min(90);
    let height = area.height.saturating_sub(2);
    let inner = popup(
        frame,
        centered(area, width, height),
        theme,
        "Help · esc closes",
    );
    let scroll = u16::try_from(scroll.min(lines.len().saturating_sub(1))).unwrap_or(0);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        inner,
    );
}

/// The command palette: what was typed, and the commands that match.
pub fn palette(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    theme: &Theme,
    input: &LineInput,
    selected: usize,
) {
    let matches = palette_matches(app, input.text());
    let width = area.width.saturating_sub(4).min(72);
    let rows = u16::try_from(matches.len().min(12)).unwrap_or(12);
    let popup_area = centered(area, width, rows + 4);
    let popup_area = Rect {
        y: area.y + 2,
        ..popup_area
    };
    let inner = popup(
        frame,
        popup_area,
        theme,
        "Commands · enter runs · esc closes",
    );
    let prompt = Rect { height: 1, ..inner };
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(":", theme.style(Role::Accent)),
            Span::styled(input.text().to_owned(), theme.style(Role::Text)),
        ])),
        prompt,
    );
    cursor(frame, prompt, 1 + input.cursor());
    let list = Rect {
        y: inner.y + 2,
        height: inner.height.saturating_sub(2),
        ..inner
    };
    let selected = selected.min(matches.len().saturating_sub(1));
    let skip = selected.saturating_sub(usize::from(list.height).saturating_sub(1));
    let lines: Vec<Line> = matches
        .iter()
        .enumerate()
        .skip(skip)
        .map(|(i, (command, keys, help))| {
            let style = if i == selected {
                theme.style(Role::Selection)
            } else {
                theme.style(Role::Text)
            };
            Line::from(vec![
                Span::styled(format!("{:<14}", command.name()), style),
                Span::styled(format!("{keys:<9}"), theme.style(Role::Key)),
                Span::styled((*help).to_owned(), theme.style(Role::Muted)),
            ])
        })
        .collect();
    super::lines_or(frame, list, lines, "no command matches", theme);
}

pub fn confirm(frame: &mut Frame, area: Rect, theme: &Theme, question: &str) {
    let width = area.width.saturating_sub(4).min(64);
    let inner = popup(frame, centered(area, width, 7), theme, "Confirm");
    let lines = vec![
        Line::styled(question.to_owned(), theme.style(Role::Text)),
        Line::default(),
        Line::from(vec![
            Span::styled("y", theme.style(Role::Key)),
            Span::styled(" yes   ", theme.style(Role::Muted)),
            Span::styled("n", theme.style(Role::Key)),
            Span::styled(" no", theme.style(Role::Muted)),
        ]),
    ];
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

pub fn picker(frame: &mut Frame, area: Rect, theme: &Theme, picker: &Picker) {
    let width = area.width.saturating_sub(4).min(50);
    let rows = u16::try_from(picker.items.len().clamp(1, 14)).unwrap_or(14);
    let title = format!("{} · space toggles · esc closes", picker.title);
    let inner = popup(frame, centered(area, width, rows + 2), theme, &title);
    let skip = picker
        .selected
        .saturating_sub(usize::from(inner.height).saturating_sub(1));
    let lines: Vec<Line> = picker
        .items
        .iter()
        .enumerate()
        .skip(skip)
        .map(|(i, item)| {
            let mark = if item.active { "[x] " } else { "[ ] " };
            let style = if i == picker.selected {
                theme.style(Role::Selection)
            } else {
                theme.style(Role::Text)
            };
            Line::styled(format!("{mark}{}", item.label), style)
        })
        .collect();
    super::lines_or(frame, inner, lines, "nothing to choose", theme);
}

/// The selected item of the current screen in full.
pub fn detail(frame: &mut Frame, area: Rect, app: &App, theme: &Theme, scroll: usize) {
    let Some((title, lines)) = (SCREENS[app.screen].detail)(app, theme) else {
        return;
    };
    let width = area.width.saturating_sub(4).min(100);
    let height = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX).max(5);
    let inner = popup(
        frame,
        centered(area, width, height),
        theme,
        &format!("{title} · esc closes"),
    );
    let scroll = u16::try_from(scroll.min(lines.len().saturating_sub(1))).unwrap_or(0);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        inner,
    );
}

/// `/` and the filter being typed, in place of the footer.
pub fn filter_line(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let text = current_filter(app);
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(" /", theme.style(Role::Accent)),
            Span::styled(text.text().to_owned(), theme.style(Role::Text)),
            Span::styled("   enter keeps · esc clears", theme.style(Role::Muted)),
        ])),
        area,
    );
    cursor(frame, area, 2 + text.cursor());
}

fn current_filter(app: &App) -> LineInput {
    (SCREENS[app.screen].filter_text)(app)
        .cloned()
        .unwrap_or_default()
}

/// Puts the terminal cursor `column` chars into `area`'s first line.
pub fn cursor(frame: &mut Frame, area: Rect, column: usize) {
    let x = area
        .x
        .saturating_add(u16::try_from(column).unwrap_or(u16::MAX));
    if x < area.right() {
        frame.set_cursor_position(Position { x, y: area.y });
    }
}

/// Toasts, newest at the bottom, in the lower right corner of `area`.
pub fn toasts(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let width = area.width.saturating_sub(2).min(64);
    let mut bottom = area.bottom();
    for toast in app.toasts.iter().rev() {
        let (mark, role) = match toast.level {
            ToastLevel::Info => ("● ", Role::Info),
            ToastLevel::Error => ("✗ ", Role::Error),
        };
        let mut lines = vec![Line::from(vec![
            Span::styled(mark, theme.style(role)),
            Span::styled(toast.text.clone(), theme.style(Role::Popup)),
        ])];
        if let Some(hint) = &toast.hint {
            lines.push(Line::styled(format!("  {hint}"), theme.style(Role::Muted)));
        }
        let paragraph = Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .style(theme.style(Role::Popup));
        let text_width = usize::from(width.max(1));
        let rows: usize = [
            toast.text.chars().count() + 2,
            toast.hint.as_ref().map_or(0, |h| h.chars().count() + 2),
        ]
        .into_iter()
        .filter(|n| *n > 0)
        .map(|n| n.div_ceil(text_width))
        .sum();
        let height = u16::try_from(rows).unwrap_or(1).min(4);
        if bottom < area.y + height {
            break;
        }
        bottom -= height;
        let rect = Rect {
            x: area.right().saturating_sub(width + 1),
            y: bottom,
            width,
            height,
        };
        frame.render_widget(Clear, rect);
        frame.render_widget(paragraph, rect);
    }
}
