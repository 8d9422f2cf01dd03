//! A list on screen: its columns as data (title, width, text, sort key), the selection (kept
//! by key, so a row stays selected while others come and go), the sort (any column, stable,
//! either way), the text filter and the facet filters.

use std::borrow::Cow;
use std::cell::Cell;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};

use ratatui::layout::Constraint;

use super::App;
use super::editor::LineInput;
use crate::theme::Role;

/// What a list sorts by: text sorts case-blind, numbers as numbers.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum SortKey {
    Number(i64),
    Text(String),
}

impl SortKey {
    pub fn text(text: &str) -> Self {
        Self::Text(text.to_lowercase())
    }
}

/// One column of a list.
#[derive(Debug)]
pub struct Column<T> {
    pub title: &'static str,
    pub width: Constraint,
    /// The narrowest list area that still shows this column (0: always shown).
    pub min_area: u16,
    pub text: fn(&T, &App) -> String,
    pub sort: fn(&T, &App) -> SortKey,
    /// How the cell is coloured.
    pub role: fn(&T, &App) -> Role,
}

/// A row of a list: a stable key and the facet values it can be filtered by.
pub trait Row {
    fn key(&self) -> Cow<'_, str>;
    fn facets(&self) -> Vec<(Facet, String)>;
}

/// What rows can be filtered by, besides text. Values of one facet are alternatives; facets
/// combine (state ready or backoff, and transport stdio).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Facet {
    State,
    Server,
    Transport,
    Outcome,
}

impl Facet {
    pub fn name(self) -> &'static str {
        match self {
            Self::State => "state",
            Self::Server => "server",
            Self::Transport => "transport",
            Self::Outcome => "outcome",
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sort {
    pub column: usize,
    pub descending: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListState {
    /// Key of the selected row.
    pub selected: Option<String>,
    /// Where the selection was, for when its row goes away.
    pub index: usize,
    /// First row shown; kept by the view as it scrolls.
    pub offset: Cell<usize>,
    /// Rows that fit, as last drawn (a page for page up/down).
    pub height: Cell<usize>,
    pub sort: Sort,
    pub filter: LineInput,
    pub facets: BTreeMap<Facet, BTreeSet<String>>,
}

impl ListState {
    /// The rows that pass the filters, sorted.
    pub fn visible<'a, T: Row>(
        &self,
        items: impl IntoIterator<Item = &'a T>,
        columns: &[Column<T>],
        app: &App,
    ) -> Vec<&'a T> {
        let needle = self.filter.text().to_lowercase();
        let mut rows: Vec<&T> = items
            .into_iter()
            .filter(|row| self.facets_match(&row.facets()))
            .filter(|row| {
                needle.is_empty()
                    || columns
                        .iter()
                        .any(|c| (c.text)(row, app).to_lowercase().contains(&needle))
            })
            .collect();
        if let Some(column) = columns.get(self.sort.column) {
            if self.sort.descending {
                rows.sort_by_cached_key(|row| Reverse((column.sort)(row, app)));
            } else {
                rows.sort_by_cached_key(|row| (column.sort)(row, app));
            }
        }
        rows
    }

    pub fn facets_match(&self, values: &[(Facet, String)]) -> bool {
        self.facets.iter().all(|(facet, wanted)| {
            wanted.is_empty()
                || values
                    .iter()
                    .any(|(f, value)| f == facet && wanted.contains(value))
        })
    }

    /// The selected row's index among `rows` (the visible rows, in order).
    pub fn selected_in<T: Row>(&self, rows: &[&T]) -> Option<usize> {
        let last = rows.len().checked_sub(1)?;
        self.selected
            .as_deref()
            .and_then(|selected| rows.iter().position(|r| r.key() == selected))
            .or(Some(self.index.min(last)))
    }

    pub fn select_at<T: Row>(&mut self, rows: &[&T], index: usize) {
        if let Some(last) = rows.len().checked_sub(1) {
            self.index = index.min(last);
            self.selected = Some(rows[self.index].key().into_owned());
        }
    }

    /// Moves the selection by `delta` rows, stopping at the ends.
    pub fn move_by<T: Row>(&mut self, rows: &[&T], delta: isize) {
        let current = self.selected_in(rows).unwrap_or(0);
        self.select_at(rows, current.saturating_add_signed(delta));
    }

    pub fn page(&self) -> isize {
        isize::try_from(self.height.get().max(2) - 1).unwrap_or(1)
    }

    /// Sorts by the next column, ascending.
    pub fn next_sort(&mut self, columns: usize) {
        self.sort = Sort {
            column: (self.sort.column + 1) % columns.max(1),
            descending: false,
        };
    }

    pub fn toggle_facet(&mut self, facet: Facet, value: &str) {
        let values = self.facets.entry(facet).or_default();
        if !values.remove(value) {
            values.insert(value.to_owned());
        }
        if values.is_empty() {
            self.facets.remove(&facet);
        }
    }

    pub fn has_filters(&self) -> bool {
        !self.filter.is_empty() || !self.facets.is_empty()
    }

    pub fn clear_filters(&mut self) {
        self.filter.clear();
        self.facets.clear();
    }

    /// The active filters as badges: `state: ready, backoff`, `/text`.
    pub fn badges(&self) -> Vec<String> {
        let mut badges: Vec<String> = self
            .facets
            .iter()
            .map(|(facet, values)| {
                let values: Vec<&str> = values.iter().map(String::as_str).collect();
                format!("{}: {}", facet.name(), values.join(", "))
            })
            .collect();
        if !self.filter.is_empty() {
            badges.push(format!("/{}", self.filter.text()));
        }
        badges
    }
}

/// The values each facet takes among `rows`, for the facet picker.
pub fn facet_values<'a, T: Row + 'a>(
    rows: impl IntoIterator<Item = &'a T>,
    facets: &[Facet],
) -> Vec<(Facet, String)> {
    let mut seen = BTreeSet::new();
    for row in rows {
        for (facet, value) in row.facets() {
            if facets.contains(&facet) {
                seen.insert((facet, value));
            }
        }
    }
    seen.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Item(&'static str, i64, &'static str);

    impl Row for Item {
        fn key(&self) -> Cow<'_, str> {
            Cow::Borrowed(self.0)
        }
        fn facets(&self) -> Vec<(Facet, String)> {
            vec![(Facet::State, self.2.to_owned())]
        }
    }

    const COLUMNS: &[Column<Item>] = &[
        Column {
            title: "NAME",
            width: Constraint::Min(4),
            min_area: 0,
            text: |i, _| i.0.to_owned(),
            sort: |i, _| SortKey::text(i.0),
            role: |_, _| Role::Text,
        },
        Column {
            title: "N",
            width: Constraint::Length(3),
            min_area: 0,
            text: |i, _| i.1.to_string(),
            sort: |i, _| SortKey::Number(i.1),
            role: |_, _| Role::Text,
        },
    ];

    fn names(rows: &[&Item]) -> Vec<&'static str> {
        rows.iter().map(|i| i.0).collect()
    }

    #[test]
    fn sorts_stably_both_ways_and_filters_by_text_and_facets() {
        let app = App::for_tests();
        let items = [
            Item("b", 2, "ready"),
            Item("a", 2, "backoff"),
            Item("c", 1, "ready"),
        ];
        let mut list = ListState::default();
        assert_eq!(names(&list.visible(&items, COLUMNS, &app)), ["a", "b", "c"]);
        list.next_sort(COLUMNS.len());
        assert_eq!(names(&list.visible(&items, COLUMNS, &app)), ["c", "b", "a"]);
        list.sort.descending = true;
        assert_eq!(names(&list.visible(&items, COLUMNS, &app)), ["b", "a", "c"]);
        list.toggle_facet(Facet::State, "ready");
        assert_eq!(names(&list.visible(&items, COLUMNS, &app)), ["b", "c"]);
        list.filter = LineInput::new("C");
        assert_eq!(names(&list.visible(&items, COLUMNS, &app)), ["c"]);
        assert_eq!(list.badges(), ["state: ready", "/C"]);
        list.clear_filters();
        assert!(!list.has_filters());
    }

    #[test]
    fn the_selection_follows_its_row() {
        let items = |names: &[&'static str]| -> Vec<Item> {
            names.iter().map(|n| Item(n, 0, "ready")).collect()
        };
        let (abc, xab, x) = (
            items(&["a", "b", "c"]),
            items(&["x", "a", "b"]),
            items(&["x"]),
        );
        let (abc, xab, x): (Vec<&Item>, Vec<&Item>, Vec<&Item>) = (
            abc.iter().collect(),
            xab.iter().collect(),
            x.iter().collect(),
        );
        let mut list = ListState::default();
        list.move_by(&abc, 1);
        assert_eq!(list.selected.as_deref(), Some("b"));
        assert_eq!(list.selected_in(&xab), Some(2));
        assert_eq!(list.selected_in(&x), Some(0));
        list.move_by(&abc, 10);
        assert_eq!(list.selected.as_deref(), Some("c"));
    }
}
