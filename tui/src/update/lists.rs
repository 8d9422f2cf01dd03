//! What every list screen does with the list commands.

use crate::app::list::{Facet, ListState, Row};
use crate::app::{PickItem, PickValue, Picker};
use crate::keymap::Command;

/// The list after `command` when it is one of the list commands (moving, sorting,
/// clearing filters); `None` for any other. `rows` are the visible rows, in order.
pub fn navigate<T: Row>(
    list: &ListState,
    rows: &[&T],
    command: Command,
    columns: usize,
) -> Option<ListState> {
    let mut list = list.clone();
    match command {
        Command::Up => list.move_by(rows, -1),
        Command::Down => list.move_by(rows, 1),
        Command::PageUp => list.move_by(rows, -list.page()),
        Command::PageDown => list.move_by(rows, list.page()),
        Command::Top => list.select_at(rows, 0),
        Command::Bottom => list.select_at(rows, usize::MAX),
        Command::Sort => list.next_sort(columns),
        Command::SortReverse => list.sort.descending = !list.sort.descending,
        Command::ClearFilters => list.clear_filters(),
        Command::Back => list.filter.clear(),
        _ => return None,
    }
    Some(list)
}

/// A picker of the facet values in `values`, those in force ticked.
pub fn facet_picker(list: &ListState, values: Vec<(Facet, String)>) -> Picker {
    let items = values
        .into_iter()
        .map(|(facet, value)| PickItem {
            label: format!("{}: {value}", facet.name()),
            active: list.facets.get(&facet).is_some_and(|v| v.contains(&value)),
            value: PickValue::Facet(facet, value),
        })
        .collect();
    Picker {
        title: "Filter by".to_owned(),
        items,
        selected: 0,
    }
}
