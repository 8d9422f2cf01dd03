//! Tools: every tool of every ready server, filtered as you type, with a preview of its
//! schema, annotations and `call_tool_*` variant; a call from a JSON argument editor.

use std::borrow::Cow;
use std::time::Duration;

use mcpproxy_daemon::protocol::{Intent, ToolSearch, ToolView};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::Detail;
use super::{SCREENS, Screen};
use crate::action::Failure;
use crate::app::call::{ArgumentEditor, parameters};
use crate::app::list::{Column, Facet, Row, SortKey, facet_values};
use crate::app::{App, Modal, ToolRanking};
use crate::effect::Effect;
use crate::keymap::{Binding, Command};
use crate::theme::{Role, Theme};
use crate::ui::{self, format, table};
use crate::update::lists;

pub const SCREEN: Screen = Screen {
    name: "tools",
    title: "Tools",
    bindings: &[
        Binding {
            command: Command::Call,
            keys: &["c"],
            help: "call the tool (a JSON editor, prefilled from its schema)",
        },
        Binding {
            command: Command::ToggleTool,
            keys: &["x"],
            help: "switch the tool off for agents, or back on (kept in config.toml)",
        },
    ],
    list: true,
    footer: &[
        Command::Filter,
        Command::Call,
        Command::Open,
        Command::Facets,
        Command::Sort,
    ],
    enter: |_| None,
    command,
    draw,
    detail,
    badges: |app| app.tools.list.badges(),
    filter: |app| Some(&mut app.tools.list.filter),
    filter_text: |app| Some(&app.tools.list.filter),
    filtered,
    toggle_facet: |app, facet, value| app.tools.list.toggle_facet(facet, value),
};

const FACETS: &[Facet] = &[Facet::Server];

impl Row for ToolView {
    fn key(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.id)
    }

    fn facets(&self) -> Vec<(Facet, String)> {
        vec![(Facet::Server, self.server.clone())]
    }
}

fn intent(tool: &ToolView) -> Intent {
    Intent::required_by(&tool.annotations)
}

fn intent_role(intent: Intent) -> Role {
    match intent {
        Intent::Read => Role::Ok,
        Intent::Write => Role::Warn,
        Intent::Destructive => Role::Error,
    }
}

const COLUMNS: &[Column<ToolView>] = &[
    Column {
        title: "SERVER",
        width: Constraint::Length(12),
        min_area: 0,
        text: |t, _| t.server.clone(),
        sort: |t, _| SortKey::text(&t.server),
        role: |_, _| Role::Muted,
    },
    Column {
        title: "TOOL",
        width: Constraint::Length(22),
        min_area: 0,
        text: |t, app| {
            if app.daemon.is_switched_off(t) {
                format!("{} (off)", t.name)
            } else {
                t.name.clone()
            }
        },
        sort: |t, _| SortKey::text(&t.name),
        role: |t, app| {
            if app.daemon.is_switched_off(t) {
                Role::Muted
            } else {
                Role::Text
            }
        },
    },
    Column {
        title: "INTENT",
        width: Constraint::Length(11),
        min_area: 50,
        text: |t, _| intent(t).as_str().to_owned(),
        sort: |t, _| SortKey::Number(intent(t) as i64),
        role: |t, _| intent_role(intent(t)),
    },
    Column {
        title: "DESCRIPTION",
        width: Constraint::Fill(1),
        min_area: 0,
        text: |t, _| format::first_line(&t.description).to_owned(),
        sort: |t, _| SortKey::text(&t.description),
        role: |_, _| Role::Text,
    },
];

/// How long typing must pause before the daemon is asked to rank.
pub const SEARCH_DELAY: Duration = Duration::from_millis(150);
/// The most results a ranking shows.
const SEARCH_LIMIT: usize = 50;

/// The rows: the tools whose columns contain the filter text, and, once the daemon ranked
/// the tools for that text, its ranking first (best first), so a request in plain words
/// finds its tool and a fragment of a name still finds the name.
pub fn visible(app: &App) -> Vec<&ToolView> {
    let list = &app.tools.list;
    let matching = list.visible(app.daemon.listed_tools(), COLUMNS, app);
    let Some(ranking) = ranking(app) else {
        return matching;
    };
    let mut rows: Vec<&ToolView> = ranking
        .ids
        .iter()
        .filter_map(|id| app.daemon.tool(id))
        .filter(|tool| list.facets_match(&tool.facets()))
        .collect();
    let ranked: std::collections::HashSet<&str> = rows.iter().map(|t| t.id.as_str()).collect();
    rows.extend(
        matching
            .into_iter()
            .filter(|t| !ranked.contains(t.id.as_str())),
    );
    rows
}

/// The daemon's ranking, when it answers the filter text as it is now.
fn ranking(app: &App) -> Option<&ToolRanking> {
    let text = app.tools.list.filter.text();
    app.tools
        .ranking
        .as_ref()
        .filter(|ranking| !text.trim().is_empty() && ranking.query == text.trim())
}

/// The filter text changed: ask the daemon to rank for it, once typing pauses.
fn filtered(app: &mut App) -> Option<Effect> {
    let query = app.tools.list.filter.text().trim().to_owned();
    if query.is_empty() {
        app.tools.ranking = None;
        return None;
    }
    if app.tools.ranking.as_ref().is_some_and(|r| r.query == query) {
        return None;
    }
    Some(Effect::SearchTools {
        query,
        limit: SEARCH_LIMIT,
        delay: SEARCH_DELAY,
    })
}

/// The daemon ranked the tools for `query`.
pub fn searched(app: &mut App, query: String, result: Result<ToolSearch, Failure>) {
    match result {
        Ok(found) => {
            app.tools.ranking = Some(ToolRanking {
                query,
                ids: found.results.into_iter().map(|m| m.tool.id).collect(),
                note: found.search.note,
            });
            app.dirty = true;
        }
        // An older daemon has no search: the text filter still works.
        Err(failure) => tracing::debug!(query, "tool search failed: {}", failure.message),
    }
}

fn selected(app: &App) -> Option<&ToolView> {
    let rows = visible(app);
    selected_in(app, &rows)
}

fn selected_in<'a>(app: &App, rows: &[&'a ToolView]) -> Option<&'a ToolView> {
    let index = app.tools.list.selected_in(rows)?;
    rows.get(index).copied()
}

/// Shows the tools screen with only `server`'s tools.
pub fn show_server(app: &mut App, server: &str) -> Option<Effect> {
    if let Some(index) = SCREENS.iter().position(|s| s.name == SCREEN.name) {
        app.screen = index;
    }
    let list = &mut app.tools.list;
    list.facets.clear();
    list.toggle_facet(Facet::Server, server);
    app.dirty = true;
    None
}

fn command(app: &mut App, command: Command) -> Option<Effect> {
    let moved = lists::navigate(&app.tools.list, &visible(app), command, COLUMNS.len());
    if let Some(list) = moved {
        let cleared = list.filter.text() != app.tools.list.filter.text();
        app.tools.list = list;
        return if cleared { filtered(app) } else { None };
    }
    match command {
        Command::Facets => {
            let values = facet_values(app.daemon.listed_tools(), FACETS);
            app.modal = Some(Modal::Picker(lists::facet_picker(&app.tools.list, values)));
        }
        Command::Open if selected(app).is_some() => {
            app.modal = Some(Modal::Detail { scroll: 0 });
        }
        Command::ToggleTool => {
            return selected(app).map(|tool| Effect::SwitchTool {
                server: tool.server.clone(),
                tool: tool.name.clone(),
                enabled: app.daemon.is_switched_off(tool),
            });
        }
        Command::Call => {
            let editor = selected(app)
                .map(|tool| Box::new(ArgumentEditor::new(&tool.id, &tool.input_schema)));
            if let Some(editor) = editor {
                app.modal = Some(Modal::Arguments(editor));
            }
        }
        _ => {}
    }
    None
}

fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let rows = visible(app);
    let [list_area, preview_area] = if area.width >= 120 {
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(area)
    } else {
        // Stacked: the list takes what its rows need, up to a little over half.
        let rows_height = u16::try_from(rows.len() + 3).unwrap_or(u16::MAX);
        let list_height = rows_height.clamp(5, area.height.saturating_mul(11) / 20);
        Layout::vertical([Constraint::Length(list_height), Constraint::Fill(1)]).areas(area)
    };
    let total = app.daemon.all_tools().count();
    let name = match ranking(app) {
        Some(ranking) if ranking.ids.is_empty() => "Tools",
        Some(ToolRanking { note: Some(_), .. }) => "Tools, best match first by words",
        Some(_) => "Tools, best match first",
        None => "Tools",
    };
    let title = table::title(theme, name, rows.len(), total);
    table::draw(
        frame,
        list_area,
        theme,
        app,
        title,
        &app.tools.list,
        COLUMNS,
        &rows,
        if app.tools.list.filter.is_empty() {
            "no tools: none of the servers is ready"
        } else {
            "no tool matches"
        },
    );
    let block = Block::bordered()
        .border_style(theme.style(Role::Border))
        .title(Span::styled(" Preview ", theme.style(Role::Title)));
    let mut lines = selected_in(app, &rows)
        .map(|tool| preview(tool, theme))
        .unwrap_or_default();
    // Once, under the tool: why the ranking is on words, and what to do about it.
    if let Some(note) = ranking(app).and_then(|r| r.note.as_ref()) {
        lines.push(Line::default());
        lines.push(Line::styled(note.clone(), theme.style(Role::Muted)));
    }
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        preview_area,
    );
}

/// What a tool is, how it is called, and what it takes.
fn preview(tool: &ToolView, theme: &Theme) -> Vec<Line<'static>> {
    let intent = intent(tool);
    let mut lines = vec![
        Line::from(vec![
            Span::styled(tool.id.clone(), theme.style(Role::Accent)),
            Span::styled(
                tool.title
                    .as_ref()
                    .map(|t| format!("  {t}"))
                    .unwrap_or_default(),
                theme.style(Role::Muted),
            ),
        ]),
        Line::from(vec![
            Span::styled("agents call it with ", theme.style(Role::Muted)),
            Span::styled(intent.call_tool(), theme.style(intent_role(intent))),
        ]),
    ];
    let hints = &tool.annotations;
    let flags: Vec<&str> = [
        (hints.read_only, "read-only"),
        (hints.destructive, "destructive"),
        (hints.idempotent, "idempotent"),
        (hints.open_world, "open-world"),
    ]
    .into_iter()
    .filter_map(|(set, name)| set.map(|on| if on { name } else { "" }))
    .filter(|n| !n.is_empty())
    .collect();
    if !flags.is_empty() {
        lines.push(Line::styled(
            format!("hints: {}", flags.join(", ")),
            theme.style(Role::Muted),
        ));
    }
    lines.push(Line::default());
    lines.extend(
        tool.description
            .lines()
            .map(|l| Line::styled(l.to_owned(), theme.style(Role::Text))),
    );
    let params = parameters(&tool.input_schema);
    lines.push(Line::default());
    if params.is_empty() {
        lines.push(Line::styled("no arguments", theme.style(Role::Muted)));
    } else {
        lines.push(Line::styled("arguments", theme.style(Role::Header)));
    }
    lines.extend(params.iter().map(|p| ui::parameter_line(p, "  ", theme)));
    if tool.output_schema.is_some() {
        lines.push(Line::styled(
            "returns structured content",
            theme.style(Role::Muted),
        ));
    }
    lines
}

fn detail(app: &App, theme: &Theme) -> Option<Detail> {
    let tool = selected(app)?;
    let mut lines = preview(tool, theme);
    lines.push(Line::default());
    lines.push(Line::styled("input schema", theme.style(Role::Header)));
    let schema = serde_json::to_string_pretty(&tool.input_schema).unwrap_or_default();
    lines.extend(
        schema
            .lines()
            .map(|l| Line::styled(l.to_owned(), theme.style(Role::Text))),
    );
    if let Some(output) = &tool.output_schema {
        lines.push(Line::styled("output schema", theme.style(Role::Header)));
        let schema = serde_json::to_string_pretty(output).unwrap_or_default();
        lines.extend(
            schema
                .lines()
                .map(|l| Line::styled(l.to_owned(), theme.style(Role::Text))),
        );
    }
    Some((format!("Tool {}", tool.id), lines))
}
