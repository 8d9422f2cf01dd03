//! Drawing a [`ListState`] as a table: the columns that fit, a sort indicator on the sorted
//! column, the selection kept in view.

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row as TableRow, Table, TableState};

use crate::app::App;
use crate::app::list::{Column, ListState, Row};
use crate::theme::{Role, Theme};

/// Draws `rows` (already filtered and sorted) in a bordered pane titled `title`.
#[allow(clippy::too_many_arguments)] // one table, described whole
pub fn draw<T: Row>(
    frame: &mut Frame,
    area: Rect,
    theme: &Theme,
    app: &App,
    title: Line<'_>,
    list: &ListState,
    columns: &[Column<T>],
    rows: &[&T],
    empty: &str,
) {
    let block = Block::bordered()
        .border_style(theme.style(Role::BorderFocus))
        .title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let shown: Vec<(usize, &Column<T>)> = columns
        .iter()
        .enumerate()
        .filter(|(_, c)| inner.width >= c.min_area)
        .collect();
    let header = TableRow::new(shown.iter().map(|(i, column)| {
        let mut title = column.title.to_owned();
        if *i == list.sort.column {
            title.push_str(if list.sort.descending { " ▼" } else { " ▲" });
        }
        Cell::from(title)
    }))
    .style(theme.style(Role::Header));
    let height = usize::from(inner.height.saturating_sub(1));
    list.height.set(height);
    let selected = list.selected_in(rows);
    let mut offset = list.offset.get();
    if let Some(selected) = selected {
        if selected < offset {
            offset = selected;
        } else if height > 0 && selected >= offset + height {
            offset = selected + 1 - height;
        }
    }
    offset = offset.min(rows.len().saturating_sub(height));
    list.offset.set(offset);
    // Only the rows in view are built.
    let body = rows.iter().skip(offset).take(height).map(|row| {
        TableRow::new(shown.iter().map(|(_, column)| {
            Cell::from(Span::styled(
                (column.text)(row, app),
                theme.style((column.role)(row, app)),
            ))
        }))
    });
    let widths: Vec<_> = shown.iter().map(|(_, c)| c.width).collect();
    let table = Table::new(body, widths)
        .header(header)
        .column_spacing(1)
        .row_highlight_style(theme.style(Role::Selection));
    let mut state = TableState::default().with_selected(selected.map(|s| s - offset));
    frame.render_stateful_widget(table, inner, &mut state);
    if rows.is_empty() && inner.height > 2 {
        let message = if list.has_filters() {
            "nothing matches the filters (F clears them)"
        } else {
            empty
        };
        let area = Rect {
            y: inner.y + 2,
            height: 1,
            ..inner
        };
        frame.render_widget(
            Paragraph::new(message)
                .style(theme.style(Role::Muted))
                .alignment(Alignment::Center),
            area,
        );
    }
}

/// A pane title: `Servers (3 of 5)`.
pub fn title<'a>(theme: &Theme, name: &'a str, shown: usize, total: usize) -> Line<'a> {
    let count = if shown == total {
        format!(" ({total}) ")
    } else {
        format!(" ({shown} of {total}) ")
    };
    Line::from(vec![
        Span::styled(format!(" {name}"), theme.style(Role::Title)),
        Span::styled(count, theme.style(Role::Muted)),
    ])
}
