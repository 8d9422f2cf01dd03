//! Activity: tool calls from the activity log and live from the event stream (client,
//! server, tool, variant, duration, outcome, sizes), with a detail view that shows the
//! redacted arguments and result.

use std::borrow::Cow;

use mcpproxy_daemon::protocol::{Activity, CallOutcome, CallVariant};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};

use super::Detail;
use super::Screen;
use crate::app::call::human_bytes;
use crate::app::list::{Column, Facet, Row, SortKey, facet_values};
use crate::app::{App, Modal};
use crate::effect::Effect;
use crate::keymap::Command;
use crate::theme::{Role, Theme};
use crate::ui::{format, table};
use crate::update::lists;

pub const SCREEN: Screen = Screen {
    name: "activity",
    title: "Activity",
    bindings: &[],
    list: true,
    footer: &[
        Command::Open,
        Command::Filter,
        Command::Facets,
        Command::Sort,
        Command::SortReverse,
    ],
    enter: |_| None,
    command,
    draw,
    detail,
    badges: |app| app.activity.list.badges(),
    filter: |app| Some(&mut app.activity.list.filter),
    filter_text: |app| Some(&app.activity.list.filter),
    filtered: |_| None,
    toggle_facet: |app, facet, value| app.activity.list.toggle_facet(facet, value),
};

const FACETS: &[Facet] = &[Facet::Server, Facet::Outcome];

pub fn outcome_name(outcome: CallOutcome) -> &'static str {
    match outcome {
        CallOutcome::Started => "running",
        CallOutcome::Ok => "ok",
        CallOutcome::ToolError => "tool error",
        CallOutcome::Failed => "failed",
        CallOutcome::Refused => "refused",
        CallOutcome::Cancelled => "cancelled",
        CallOutcome::Timeout => "timeout",
        CallOutcome::Unknown => "unknown",
    }
}

fn outcome_role(outcome: CallOutcome) -> Role {
    match outcome {
        CallOutcome::Ok => Role::Ok,
        CallOutcome::Started => Role::Info,
        CallOutcome::Cancelled | CallOutcome::Refused | CallOutcome::Unknown => Role::Warn,
        CallOutcome::ToolError | CallOutcome::Failed | CallOutcome::Timeout => Role::Error,
    }
}

pub fn variant_name(variant: CallVariant) -> &'static str {
    match variant {
        CallVariant::Read => "read",
        CallVariant::Write => "write",
        CallVariant::Destructive => "destructive",
        CallVariant::Direct => "direct",
        CallVariant::Passthrough => "passthrough",
        CallVariant::Api => "api",
        CallVariant::Unknown => "unknown",
    }
}

impl Row for Activity {
    fn key(&self) -> Cow<'_, str> {
        Cow::Owned(self.id.to_string())
    }

    fn facets(&self) -> Vec<(Facet, String)> {
        vec![
            (Facet::Server, self.server.clone()),
            (Facet::Outcome, outcome_name(self.outcome).to_owned()),
        ]
    }
}

fn number(value: u64) -> SortKey {
    SortKey::Number(i64::try_from(value).unwrap_or(i64::MAX))
}

const COLUMNS: &[Column<Activity>] = &[
    Column {
        title: "TIME",
        width: Constraint::Length(8),
        min_area: 0,
        text: |a, app| format::time_of_day(a.at, &app.tz),
        sort: |a, _| SortKey::Number(a.at.as_millisecond()),
        role: |_, _| Role::Muted,
    },
    Column {
        title: "CLIENT",
        width: Constraint::Length(12),
        min_area: 100,
        text: |a, _| a.client.clone().unwrap_or_default(),
        sort: |a, _| SortKey::text(a.client.as_deref().unwrap_or("")),
        role: |_, _| Role::Text,
    },
    Column {
        title: "SERVER",
        width: Constraint::Length(12),
        min_area: 0,
        text: |a, _| a.server.clone(),
        sort: |a, _| SortKey::text(&a.server),
        role: |_, _| Role::Text,
    },
    Column {
        title: "TOOL",
        width: Constraint::Fill(1),
        min_area: 0,
        text: |a, _| a.tool.clone(),
        sort: |a, _| SortKey::text(&a.tool),
        role: |_, _| Role::Text,
    },
    Column {
        title: "VARIANT",
        width: Constraint::Length(11),
        min_area: 90,
        text: |a, _| variant_name(a.variant).to_owned(),
        sort: |a, _| SortKey::text(variant_name(a.variant)),
        role: |_, _| Role::Muted,
    },
    Column {
        title: "TOOK",
        width: Constraint::Length(8),
        min_area: 0,
        text: |a, _| a.duration_ms.map(format::millis).unwrap_or_default(),
        sort: |a, _| number(a.duration_ms.unwrap_or(0)),
        role: |_, _| Role::Text,
    },
    Column {
        title: "OUTCOME",
        width: Constraint::Length(10),
        min_area: 0,
        text: |a, _| outcome_name(a.outcome).to_owned(),
        sort: |a, _| SortKey::text(outcome_name(a.outcome)),
        role: |a, _| outcome_role(a.outcome),
    },
    Column {
        title: "IN",
        width: Constraint::Length(9),
        min_area: 110,
        text: |a, _| human_bytes(a.bytes_in),
        sort: |a, _| number(a.bytes_in),
        role: |_, _| Role::Muted,
    },
    Column {
        title: "OUT",
        width: Constraint::Length(9),
        min_area: 110,
        text: |a, _| human_bytes(a.bytes_out),
        sort: |a, _| number(a.bytes_out),
        role: |_, _| Role::Muted,
    },
];

fn visible(app: &App) -> Vec<&Activity> {
    app.activity
        .list
        .visible(&app.activity.log.calls, COLUMNS, app)
}

fn selected(app: &App) -> Option<&Activity> {
    let rows = visible(app);
    let index = app.activity.list.selected_in(&rows)?;
    rows.get(index).copied()
}

fn command(app: &mut App, command: Command) -> Option<Effect> {
    let moved = lists::navigate(&app.activity.list, &visible(app), command, COLUMNS.len());
    if let Some(list) = moved {
        app.activity.list = list;
        return None;
    }
    match command {
        Command::Facets => {
            let values = facet_values(&app.activity.log.calls, FACETS);
            app.modal = Some(Modal::Picker(lists::facet_picker(
                &app.activity.list,
                values,
            )));
        }
        Command::Open if selected(app).is_some() => app.modal = Some(Modal::Detail { scroll: 0 }),
        _ => {}
    }
    None
}

fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let rows = visible(app);
    let title = table::title(theme, "Activity", rows.len(), app.activity.log.calls.len());
    table::draw(
        frame,
        area,
        theme,
        app,
        title,
        &app.activity.list,
        COLUMNS,
        &rows,
        "no calls yet: they show here as agents (or the tools screen) make them",
    );
}

fn detail(app: &App, theme: &Theme) -> Option<Detail> {
    let call = selected(app)?;
    let field = |label: &str, value: String, role: Role| {
        Line::from(vec![
            Span::styled(format!("{label:<10}"), theme.style(Role::Muted)),
            Span::styled(value, theme.style(role)),
        ])
    };
    let mut lines = vec![
        field(
            "tool",
            format!("{}:{}", call.server, call.tool),
            Role::Accent,
        ),
        field(
            "time",
            call.at
                .to_zoned_datetime(app.tz.clone())
                .strftime("%Y-%m-%d %H:%M:%S%.3f")
                .to_string(),
            Role::Text,
        ),
        field(
            "client",
            call.client.clone().unwrap_or_else(|| "(unnamed)".into()),
            Role::Text,
        ),
        field("variant", variant_name(call.variant).to_owned(), Role::Text),
        field(
            "outcome",
            outcome_name(call.outcome).to_owned(),
            outcome_role(call.outcome),
        ),
        field(
            "took",
            call.duration_ms
                .map(format::millis)
                .unwrap_or_else(|| "(running)".into()),
            Role::Text,
        ),
        field("sent", human_bytes(call.bytes_in), Role::Text),
        field("received", human_bytes(call.bytes_out), Role::Text),
    ];
    if let Some(error) = &call.error {
        lines.push(Line::default());
        lines.extend(
            error
                .lines()
                .map(|l| Line::styled(l.to_owned(), theme.style(Role::Error))),
        );
    }
    for (label, preview) in [("arguments", &call.arguments), ("result", &call.result)] {
        if let Some(preview) = preview {
            lines.push(Line::default());
            lines.push(Line::styled(
                format!("{label} (secrets redacted)"),
                theme.style(Role::Muted),
            ));
            lines.extend(
                pretty(preview)
                    .into_iter()
                    .map(|l| Line::styled(l, theme.style(Role::Text))),
            );
        }
    }
    Some((format!("Call #{}", call.id), lines))
}

/// Characters of a preview's line shown on one line of the detail view.
const PREVIEW_WIDTH: usize = 72;

/// A preview laid out over lines when it is whole JSON (a cut one as it is), long lines
/// broken so that all of it shows.
fn pretty(preview: &str) -> Vec<String> {
    let text = serde_json::from_str::<serde_json::Value>(preview)
        .ok()
        .and_then(|value| serde_json::to_string_pretty(&value).ok())
        .unwrap_or_else(|| preview.to_owned());
    let mut lines = Vec::new();
    for line in text.lines() {
        let chars: Vec<char> = line.chars().collect();
        if chars.is_empty() {
            lines.push(String::new());
        }
        lines.extend(chars.chunks(PREVIEW_WIDTH).map(|c| c.iter().collect()));
    }
    lines
}
