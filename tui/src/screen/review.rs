//! Review: what waits for a person. Servers added and not yet approved, and items the review
//! holds (flagged by the scanner, changed since they were approved, rejected), with the
//! scanner's findings and, for a changed item, the approved and the new content side by side.
//! `a` approves the selected server or item, `x` rejects it.

use std::borrow::Cow;

use mcpproxy_daemon::client::ServerAction;
use mcpproxy_daemon::protocol::{
    DiffLine, Finding, ItemKind, ReviewDecided, ReviewDecision, ReviewItem, ReviewStatus,
    diff_text, line_diff,
};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::{Detail, Screen};
use crate::action::Failure;
use crate::app::list::{Column, Facet, Row, SortKey};
use crate::app::{App, Modal, ToastLevel};
use crate::effect::Effect;
use crate::keymap::{Binding, Command};
use crate::theme::{Role, Theme};
use crate::ui::table;
use crate::update::lists;

pub const SCREEN: Screen = Screen {
    name: "review",
    title: "Review",
    bindings: &[
        Binding {
            command: Command::Approve,
            keys: &["a"],
            help: "approve the server (it starts) or the item (it is served again)",
        },
        Binding {
            command: Command::Reject,
            keys: &["x"],
            help: "reject the item (kept off until it changes) or the pending server (removed; asks first)",
        },
    ],
    list: true,
    footer: &[
        Command::Approve,
        Command::Reject,
        Command::Open,
        Command::Filter,
    ],
    enter: |_| Some(Effect::FetchQuarantine),
    command,
    draw,
    detail,
    badges: |app| app.review.list.badges(),
    filter: |app| Some(&mut app.review.list.filter),
    filter_text: |app| Some(&app.review.list.filter),
    filtered: |_| None,
    toggle_facet: |app, facet, value| app.review.list.toggle_facet(facet, value),
};

/// One row: a pending server, or a held item.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub server: String,
    /// `None` for a pending server.
    pub item: Option<ReviewItem>,
}

impl Entry {
    fn kind(&self) -> &'static str {
        match &self.item {
            None => "server",
            Some(item) => kind_name(item.kind),
        }
    }

    fn name(&self) -> &str {
        self.item.as_ref().map_or(&self.server, |item| &item.name)
    }

    fn status(&self) -> &'static str {
        match &self.item {
            None => "pending",
            Some(item) => item.status.as_str(),
        }
    }
}

fn kind_name(kind: ItemKind) -> &'static str {
    match kind {
        ItemKind::ResourceTemplate => "template",
        other => other.as_str(),
    }
}

impl Row for Entry {
    fn key(&self) -> Cow<'_, str> {
        Cow::Owned(format!(
            "{}\u{0}{}\u{0}{}",
            self.server,
            self.kind(),
            self.name()
        ))
    }

    fn facets(&self) -> Vec<(Facet, String)> {
        vec![(Facet::Server, self.server.clone())]
    }
}

fn status_role(entry: &Entry) -> Role {
    match entry.item.as_ref().map(|i| i.status) {
        None => Role::Warn,
        Some(ReviewStatus::Flagged | ReviewStatus::Rejected) => Role::Error,
        Some(_) => Role::Warn,
    }
}

const COLUMNS: &[Column<Entry>] = &[
    Column {
        title: "SERVER",
        width: Constraint::Length(14),
        min_area: 0,
        text: |e, _| e.server.clone(),
        sort: |e, _| SortKey::text(&e.server),
        role: |_, _| Role::Text,
    },
    Column {
        title: "KIND",
        width: Constraint::Length(9),
        min_area: 0,
        text: |e, _| e.kind().to_owned(),
        sort: |e, _| SortKey::text(e.kind()),
        role: |_, _| Role::Muted,
    },
    Column {
        title: "NAME",
        width: Constraint::Fill(1),
        min_area: 0,
        text: |e, _| e.name().to_owned(),
        sort: |e, _| SortKey::text(e.name()),
        role: |_, _| Role::Accent,
    },
    Column {
        title: "STATUS",
        width: Constraint::Length(9),
        min_area: 0,
        text: |e, _| e.status().to_owned(),
        sort: |e, _| SortKey::text(e.status()),
        role: |e, _| status_role(e),
    },
    Column {
        title: "FINDINGS",
        width: Constraint::Length(8),
        min_area: 70,
        text: |e, _| {
            e.item
                .as_ref()
                .map(|i| i.findings.len().to_string())
                .unwrap_or_default()
        },
        sort: |e, _| {
            SortKey::Number(
                e.item
                    .as_ref()
                    .map_or(0, |i| i64::try_from(i.findings.len()).unwrap_or(i64::MAX)),
            )
        },
        role: |_, _| Role::Muted,
    },
];

/// Every row, pending servers first.
pub fn entries(app: &App) -> Vec<Entry> {
    let Some(quarantine) = &app.review.quarantine else {
        return Vec::new();
    };
    quarantine
        .servers
        .iter()
        .map(|server| Entry {
            server: server.name.clone(),
            item: None,
        })
        .chain(quarantine.items.iter().map(|item| Entry {
            server: item.server.clone(),
            item: Some(item.clone()),
        }))
        .collect()
}

fn selected(app: &App) -> Option<Entry> {
    let all = entries(app);
    let rows = app.review.list.visible(&all, COLUMNS, app);
    let index = app.review.list.selected_in(&rows)?;
    rows.get(index).map(|e| (*e).clone())
}

/// Reads the quarantine again when the Review screen is shown (held items changed).
pub fn refresh(app: &App) -> Option<Effect> {
    (super::SCREENS[app.screen].name == SCREEN.name).then_some(Effect::FetchQuarantine)
}

/// The answer to an approval or rejection: a toast, and the list read again.
pub fn reviewed(
    app: &mut App,
    approve: bool,
    result: Result<ReviewDecided, Failure>,
) -> Option<Effect> {
    match result {
        Ok(decided) => {
            let verb = if approve { "approved" } else { "rejected" };
            for item in &decided.items {
                app.toast(
                    ToastLevel::Info,
                    format!("{}:{}: {verb}", decided.server, item.name),
                    None,
                );
            }
            Some(Effect::FetchQuarantine)
        }
        Err(failure) => {
            app.error_toast(failure);
            None
        }
    }
}

fn command(app: &mut App, command: Command) -> Option<Effect> {
    let all = entries(app);
    let rows = app.review.list.visible(&all, COLUMNS, app);
    if let Some(list) = lists::navigate(&app.review.list, &rows, command, COLUMNS.len()) {
        app.review.list = list;
        return None;
    }
    let entry = selected(app)?;
    match (command, &entry.item) {
        (Command::Approve, None) => Some(Effect::Server {
            name: entry.server,
            action: ServerAction::Approve,
        }),
        (Command::Approve | Command::Reject, Some(item)) => Some(Effect::Review {
            server: entry.server.clone(),
            decision: ReviewDecision {
                items: vec![item.name.clone()],
                hashes: [(item.name.clone(), item.hash.clone())].into(),
            },
            approve: command == Command::Approve,
        }),
        (Command::Reject, None) => {
            app.modal = Some(Modal::Confirm {
                question: format!(
                    "Reject {}? It is removed from the config without ever running.",
                    entry.server
                ),
                effect: Effect::Remove { name: entry.server },
            });
            None
        }
        (Command::Open, _) => {
            app.modal = Some(Modal::Detail { scroll: 0 });
            None
        }
        _ => None,
    }
}

fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let all = entries(app);
    let rows = app.review.list.visible(&all, COLUMNS, app);
    let [list, pane] =
        Layout::vertical([Constraint::Percentage(40), Constraint::Fill(1)]).areas(area);
    let title = table::title(theme, "Review", rows.len(), all.len());
    let empty = if app.review.quarantine.is_some() {
        "nothing waits for review: every server is approved and every item is served"
    } else {
        "reading what waits for review..."
    };
    table::draw(
        frame,
        list,
        theme,
        app,
        title,
        &app.review.list,
        COLUMNS,
        &rows,
        empty,
    );
    let index = app.review.list.selected_in(&rows);
    let entry = index.and_then(|i| rows.get(i));
    let Some(entry) = entry else {
        return;
    };
    let block = |title: String| {
        Block::default()
            .borders(Borders::ALL)
            .border_style(theme.style(Role::Border))
            .title(Span::styled(title, theme.style(Role::Title)))
    };
    let Some(item) = &entry.item else {
        let text = vec![
            Line::styled(
                format!(
                    "{} was added and waits for approval: it is not started.",
                    entry.server
                ),
                theme.style(Role::Text),
            ),
            Line::styled(
                format!(
                    "a approves it (it starts); x rejects it (removed). To see its tools first: \
                     mcpproxy upstream inspect {} [--run]",
                    entry.server
                ),
                theme.style(Role::Muted),
            ),
        ];
        frame.render_widget(
            Paragraph::new(text)
                .wrap(Wrap { trim: false })
                .block(block(entry.server.clone())),
            pane,
        );
        return;
    };
    let findings = finding_lines(item, theme);
    let inner = usize::from(pane.width.saturating_sub(2).max(1));
    let wrapped: usize = findings
        .iter()
        .map(|line| line.width().div_ceil(inner).max(1))
        .sum();
    let height = u16::try_from(wrapped + 2).unwrap_or(u16::MAX);
    let [notes, diff] = Layout::vertical([
        Constraint::Length(height.min(pane.height / 2)),
        Constraint::Fill(1),
    ])
    .areas(pane);
    frame.render_widget(
        Paragraph::new(findings)
            .wrap(Wrap { trim: false })
            .block(block(format!(
                "{}:{} — {}",
                item.server, item.name, item.status
            ))),
        notes,
    );
    match &item.pinned {
        Some(pinned) => {
            let [left, right] =
                Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                    .areas(diff);
            let width = usize::from(left.width.saturating_sub(2).max(3));
            let (before, after) = side_by_side(pinned, &item.content, width, theme);
            frame.render_widget(
                Paragraph::new(before).block(block("approved".to_owned())),
                left,
            );
            frame.render_widget(Paragraph::new(after).block(block("now".to_owned())), right);
        }
        None => {
            let lines: Vec<Line<'static>> = diff_text(&item.content)
                .lines()
                .map(|l| Line::styled(l.to_owned(), theme.style(Role::Text)))
                .collect();
            frame.render_widget(
                Paragraph::new(lines).block(block("content".to_owned())),
                diff,
            );
        }
    }
}

/// The reason, then each finding with its evidence highlighted.
fn finding_lines(item: &ReviewItem, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    if !item.reason.is_empty() {
        lines.push(Line::styled(item.reason.clone(), theme.style(Role::Text)));
    }
    if item.findings.is_empty() && item.status == ReviewStatus::Changed {
        lines.push(Line::styled(
            "the scanner found nothing in the new content; compare it with the approved one",
            theme.style(Role::Muted),
        ));
    }
    lines.extend(item.findings.iter().map(|f| finding_line(f, theme)));
    lines
}

fn finding_line(finding: &Finding, theme: &Theme) -> Line<'static> {
    let role = if finding.severity.holds() {
        Role::Error
    } else {
        Role::Warn
    };
    Line::from(vec![
        Span::styled(
            format!("{} {} ", finding.severity, finding.category),
            theme.style(role),
        ),
        Span::styled(format!("in {}: ", finding.field), theme.style(Role::Muted)),
        Span::styled(finding.evidence.clone(), theme.style(Role::Accent)),
        Span::styled(format!(" — {}", finding.message), theme.style(Role::Muted)),
    ])
}

/// The approved and the new content as two aligned columns `width` wide: a run of removed
/// lines faces the run of added lines that replaces it, and long lines wrap, so nothing of
/// the new text is cut off.
fn side_by_side(
    before: &serde_json::Value,
    after: &serde_json::Value,
    width: usize,
    theme: &Theme,
) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
    let (before, after) = (diff_text(before), diff_text(after));
    let mut columns = Columns {
        width,
        theme,
        left: Vec::new(),
        right: Vec::new(),
    };
    let mut removed: Vec<&str> = Vec::new();
    let mut added: Vec<&str> = Vec::new();
    for line in line_diff(&before, &after) {
        match line {
            DiffLine::Removed(text) => removed.push(text),
            DiffLine::Added(text) => added.push(text),
            DiffLine::Same(text) => {
                columns.changes(&mut removed, &mut added);
                let same = format!("  {text}");
                columns.row(Some(&same), Some(&same), (Role::Muted, Role::Muted));
            }
        }
    }
    columns.changes(&mut removed, &mut added);
    (columns.left, columns.right)
}

/// The two columns of a side-by-side diff, built row by row.
struct Columns<'t> {
    width: usize,
    theme: &'t Theme,
    left: Vec<Line<'static>>,
    right: Vec<Line<'static>>,
}

impl Columns<'_> {
    /// A run of removed lines beside the added ones that replace them; empties both.
    fn changes(&mut self, removed: &mut Vec<&str>, added: &mut Vec<&str>) {
        for row in 0..removed.len().max(added.len()) {
            let left = removed.get(row).map(|t| format!("- {t}"));
            let right = added.get(row).map(|t| format!("+ {t}"));
            self.row(left.as_deref(), right.as_deref(), (Role::Error, Role::Ok));
        }
        removed.clear();
        added.clear();
    }

    /// One row, each side wrapped at the width and the shorter one padded.
    fn row(&mut self, left: Option<&str>, right: Option<&str>, roles: (Role, Role)) {
        let width = self.width;
        let wrap = |text: Option<&str>| -> Vec<String> {
            let chars: Vec<char> = text.unwrap_or_default().chars().collect();
            if chars.is_empty() {
                return vec![String::new()];
            }
            chars.chunks(width).map(|c| c.iter().collect()).collect()
        };
        let (l, r) = (wrap(left), wrap(right));
        for row in 0..l.len().max(r.len()) {
            let text = |side: &[String]| side.get(row).cloned().unwrap_or_default();
            self.left
                .push(Line::styled(text(&l), self.theme.style(roles.0)));
            self.right
                .push(Line::styled(text(&r), self.theme.style(roles.1)));
        }
    }
}

fn detail(app: &App, theme: &Theme) -> Option<Detail> {
    let entry = selected(app)?;
    let Some(item) = &entry.item else {
        return Some((
            entry.server.clone(),
            vec![Line::styled(
                format!(
                    "{} waits for approval: a approves it, x rejects it",
                    entry.server
                ),
                theme.style(Role::Text),
            )],
        ));
    };
    let mut lines = finding_lines(item, theme);
    lines.push(Line::default());
    match &item.pinned {
        Some(pinned) => {
            let (before, after) = (diff_text(pinned), diff_text(&item.content));
            lines.extend(
                line_diff(&before, &after)
                    .into_iter()
                    .map(|line| match line {
                        DiffLine::Same(t) => {
                            Line::styled(format!("  {t}"), theme.style(Role::Muted))
                        }
                        DiffLine::Removed(t) => {
                            Line::styled(format!("- {t}"), theme.style(Role::Error))
                        }
                        DiffLine::Added(t) => Line::styled(format!("+ {t}"), theme.style(Role::Ok)),
                    }),
            );
        }
        None => lines.extend(
            diff_text(&item.content)
                .lines()
                .map(|l| Line::styled(l.to_owned(), theme.style(Role::Text))),
        ),
    }
    Some((format!("{}:{}", item.server, item.name), lines))
}
