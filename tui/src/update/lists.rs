//! What every list screen does with the list commands.

use crate::app::list::{Facet, ListState};
use crate::app::{PickItem, PickValue, Picker};
use crate::keymap::Command;

/// Moves, sorts or clears filters when `command` is one of the list commands; returns
/// whether it was. `keys` are the visible rows' keys, in order.
pub fn navigate(list: &mut ListState, keys: &[String], command: Command, columns: usize) -> bool {
    match command {
        Command::Up => list.move_by(keys, -1),
        Command::Down => list.move_by(keys, 1),
        Command::PageUp => list.move_by(keys, -list.page()),
        Command::PageDown => list.move_by(keys, list.page()),
        Command::Top => list.select_index(keys, 0),
        Command::Bottom => list.select_index(keys, usize::MAX),
        Command::Sort => list.next_sort(columns),
        Command::SortReverse => list.sort.descending = !list.sort.descending,
        Command::ClearFilters => list.clear_filters(),
        Command::Back => list.filter.clear(),
        _ => return false,
    }
    true
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
