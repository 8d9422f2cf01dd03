//! The dialogs that edit something or follow something: the add-server form, the argument
//! editor, a tool call's result, and an OAuth login.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use unicode_width::UnicodeWidthStr as _;

use super::{centered, format, overlay};
use crate::app::App;
use crate::app::call::{ArgumentEditor, LineKind, parameters, result_lines};
use crate::app::form::{AddServerForm, Field, TRANSPORTS};
use crate::app::login::{BrowserState, LoginStage};
use crate::keymap::Command;
use crate::screen::servers;
use crate::theme::{Role, Theme};

fn frame_popup(frame: &mut Frame, area: Rect, theme: &Theme, title: Line<'_>) -> Rect {
    frame.render_widget(Clear, area);
    let block = Block::bordered()
        .style(theme.style(Role::Popup))
        .border_style(theme.style(Role::BorderFocus))
        .title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    inner
}

/// Width of the form's labels.
const LABEL: usize = 11;

pub fn add_server(frame: &mut Frame, area: Rect, theme: &Theme, form: &AddServerForm) {
    let width = area.width.saturating_sub(4).min(96);
    let mut lines: Vec<Line> = Vec::new();
    let mut cursor_at = None;
    for field in Field::ALL {
        let focused = form.focus == *field;
        let label_role = if focused { Role::Accent } else { Role::Muted };
        let mark = if focused { "›" } else { " " };
        let mut spans = vec![Span::styled(
            format!("{mark}{:<LABEL$}", field.label()),
            theme.style(label_role),
        )];
        match field {
            Field::Transport => {
                for (i, name) in TRANSPORTS.iter().enumerate() {
                    let role = if i == form.transport {
                        Role::Selection
                    } else {
                        Role::Text
                    };
                    spans.push(Span::styled(format!(" {name} "), theme.style(role)));
                }
                if focused {
                    spans.push(Span::styled("  space changes", theme.style(Role::Muted)));
                }
            }
            Field::StartNow => {
                let mark = if form.start_now { "[x]" } else { "[ ]" };
                spans.push(Span::styled(format!(" {mark} "), theme.style(Role::Text)));
                spans.push(Span::styled(
                    "start at once instead of waiting for approval (quarantine)",
                    theme.style(Role::Muted),
                ));
            }
            _ => {
                let text = form.text_raw(*field);
                if text.is_empty() {
                    spans.push(Span::styled(
                        format!(" {}", field.placeholder()),
                        theme.style(Role::Muted),
                    ));
                } else {
                    spans.push(Span::styled(format!(" {text}"), theme.style(Role::Text)));
                }
                if focused {
                    let before: String = text.chars().take(form.cursor(*field)).collect();
                    cursor_at = Some((lines.len(), 2 + LABEL + before.width()));
                }
            }
        }
        lines.push(Line::from(spans));
        if let Some(error) = form.errors.get(field) {
            let room = usize::from(width).saturating_sub(LABEL + 6);
            for (i, part) in format::wrap(error, room).into_iter().enumerate() {
                let mark = if i == 0 { "✗" } else { " " };
                lines.push(Line::styled(
                    format!("{:LABEL$}  {mark} {part}", ""),
                    theme.style(Role::Error),
                ));
            }
        }
    }
    lines.push(Line::default());
    if let Some(error) = &form.error {
        lines.push(Line::styled(
            format!("✗ {}", error.message),
            theme.style(Role::Error),
        ));
        if let Some(hint) = &error.hint {
            lines.push(Line::styled(format!("  {hint}"), theme.style(Role::Muted)));
        }
    }
    let status = if form.submitting {
        Line::styled("adding…", theme.style(Role::Warn))
    } else {
        Line::from(vec![
            Span::styled("ctrl-s", theme.style(Role::Key)),
            Span::styled(" add   ", theme.style(Role::Muted)),
            Span::styled("tab/↓ ↑", theme.style(Role::Key)),
            Span::styled(" move   ", theme.style(Role::Muted)),
            Span::styled("esc", theme.style(Role::Key)),
            Span::styled(" cancel   ", theme.style(Role::Muted)),
            Span::styled("new servers wait for approval", theme.style(Role::Muted)),
        ])
    };
    lines.push(status);
    let height = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let title = Span::styled(" Add a server ", theme.style(Role::Title));
    let inner = frame_popup(frame, centered(area, width, height), theme, title.into());
    frame.render_widget(Paragraph::new(lines), inner);
    if let Some((row, column)) = cursor_at {
        let row = u16::try_from(row).unwrap_or(0);
        if row < inner.height {
            overlay::cursor(
                frame,
                Rect {
                    y: inner.y + row,
                    height: 1,
                    ..inner
                },
                column,
            );
        }
    }
}

pub fn arguments(frame: &mut Frame, area: Rect, app: &App, theme: &Theme, editor: &ArgumentEditor) {
    let params = app
        .daemon
        .tool(&editor.tool)
        .map(|t| parameters(&t.input_schema))
        .unwrap_or_default();
    let hint_rows = params.len().min(6) + usize::from(editor.error.is_some()) * 2;
    let width = area.width.saturating_sub(4).min(100);
    let height = u16::try_from(editor.area.lines().len() + 1 + hint_rows + 2)
        .unwrap_or(u16::MAX)
        .max(8);
    let popup = centered(area, width, height);
    let title = Line::from(vec![
        Span::styled(format!(" Call {} ", editor.tool), theme.style(Role::Title)),
        Span::styled("· ctrl-s calls · esc cancels ", theme.style(Role::Muted)),
    ]);
    let inner = frame_popup(frame, popup, theme, title);
    let hint_rows = u16::try_from(hint_rows).unwrap_or(0);
    let [text_area, hints] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(hint_rows)]).areas(inner);
    let (row, col) = editor.area.cursor();
    let height = usize::from(text_area.height);
    let skip = row.saturating_sub(height.saturating_sub(1));
    let lines: Vec<Line> = editor
        .area
        .lines()
        .iter()
        .skip(skip)
        .take(height)
        .map(|l| Line::styled(l.clone(), theme.style(Role::Text)))
        .collect();
    frame.render_widget(Paragraph::new(lines), text_area);
    let before: String = editor.area.lines()[row].chars().take(col).collect();
    let x = text_area.x + u16::try_from(before.width()).unwrap_or(0);
    let y = text_area.y + u16::try_from(row - skip).unwrap_or(0);
    if x < text_area.right() && y < text_area.bottom() {
        frame.set_cursor_position(Position { x, y });
    }
    let mut hint_lines = Vec::new();
    if let Some(error) = &editor.error {
        hint_lines.push(Line::styled(format!("✗ {error}"), theme.style(Role::Error)));
        hint_lines.push(Line::default());
    }
    hint_lines.extend(
        params
            .iter()
            .take(6)
            .map(|p| super::parameter_line(p, "", theme)),
    );
    frame.render_widget(Paragraph::new(hint_lines), hints);
}

pub fn result(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(call) = &app.tools.call else {
        return;
    };
    let width = area.width.saturating_sub(4).min(110);
    let (headline, role, lines) = match &call.outcome {
        None => ("calling…".to_owned(), Role::Warn, Vec::new()),
        Some(Ok(result)) => {
            let (word, role) = if result.is_error {
                ("tool error", Role::Error)
            } else {
                ("ok", Role::Ok)
            };
            let lines = result_lines(result)
                .into_iter()
                .map(|(kind, text)| {
                    let role = match kind {
                        LineKind::Text => Role::Text,
                        LineKind::Note => Role::Info,
                        LineKind::Error => Role::Error,
                    };
                    Line::styled(text, theme.style(role))
                })
                .collect();
            (
                format!("{word} in {}", format::millis(result.duration_ms)),
                role,
                lines,
            )
        }
        Some(Err(failure)) => {
            let mut lines = vec![Line::styled(
                failure.message.clone(),
                theme.style(Role::Error),
            )];
            if let Some(hint) = &failure.hint {
                lines.push(Line::styled(
                    format!("hint: {hint}"),
                    theme.style(Role::Muted),
                ));
            }
            ("failed".to_owned(), Role::Error, lines)
        }
    };
    let title = Line::from(vec![
        Span::styled(format!(" {} ", call.tool), theme.style(Role::Title)),
        Span::styled(format!("{headline} "), theme.style(role)),
        Span::styled("· esc closes ", theme.style(Role::Muted)),
    ]);
    let height = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX).max(5);
    let inner = frame_popup(frame, centered(area, width, height), theme, title);
    let scroll = u16::try_from(call.scroll.min(lines.len().saturating_sub(1))).unwrap_or(0);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        inner,
    );
}

/// A server's OAuth login: how far it got, the URL (cut at the dialog's width rather than
/// at words, so it reads back whole when copied), and whether a browser was opened.
pub fn login(frame: &mut Frame, area: Rect, app: &App, theme: &Theme, server: &str) {
    let width = area.width.saturating_sub(4).min(100);
    let text_width = usize::from(width.saturating_sub(4)).max(10);
    let key = |command| app.keymap.key_label(servers::SCREEN.name, command);
    let mut lines: Vec<Line> = Vec::new();
    let prose = |lines: &mut Vec<Line>, text: &str, role: Role| {
        lines.extend(
            format::wrap(text, text_width)
                .into_iter()
                .map(|l| Line::styled(l, theme.style(role))),
        );
    };
    let Some(login) = app.servers.logins.get(server) else {
        return;
    };
    let waited = format::duration(format::seconds_since(login.started_at, app.now));
    let (stage, role) = match &login.stage {
        LoginStage::Starting => (
            "Asking the daemon to start the login…".to_owned(),
            Role::Warn,
        ),
        LoginStage::Waiting => (
            format!("Waiting for you to log in in the browser… {waited}"),
            Role::Warn,
        ),
        LoginStage::Connecting => (format!("Logged in; connecting to {server}…"), Role::Warn),
        LoginStage::Ready { tools } => (
            format!("Logged in: {server} is ready ({tools} tools)."),
            Role::Ok,
        ),
        LoginStage::Failed { reason, .. } => (format!("The login failed: {reason}"), Role::Error),
    };
    prose(&mut lines, &stage, role);
    if let LoginStage::Failed {
        hint: Some(hint), ..
    } = &login.stage
    {
        prose(&mut lines, &format!("hint: {hint}"), Role::Muted);
    }
    if let (Some(url), true) = (&login.url, login.in_progress()) {
        lines.push(Line::default());
        prose(&mut lines, "Open this URL to log in:", Role::Muted);
        let chars: Vec<char> = url.chars().collect();
        lines.extend(chars.chunks(text_width).map(|chunk| {
            Line::styled(chunk.iter().collect::<String>(), theme.style(Role::Accent))
        }));
        lines.push(Line::default());
        match login.browser {
            BrowserState::Opened => {
                prose(&mut lines, "It was opened in your browser.", Role::Muted)
            }
            BrowserState::Unavailable => prose(
                &mut lines,
                "No browser could be opened here (no display, or MCPPROXY_NO_BROWSER): open the \
                 URL in a browser on this machine; the daemon waits for its redirect.",
                Role::Muted,
            ),
            BrowserState::NotTried => {}
        }
    }
    lines.push(Line::default());
    let close = if login.in_progress() {
        "esc closes (the login goes on in the daemon)".to_owned()
    } else {
        format!("esc closes · {} logs in again", key(Command::Login))
    };
    prose(&mut lines, &close, Role::Muted);
    let title = Line::styled(format!(" Log in to {server} "), theme.style(Role::Title));
    let height = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let inner = frame_popup(frame, centered(area, width, height), theme, title);
    let inner = Rect {
        x: inner.x + 1,
        width: inner.width.saturating_sub(2),
        ..inner
    };
    frame.render_widget(Paragraph::new(lines), inner);
}
