//! The screens, as data.
//!
//! A screen is a [`Screen`] value: its name (for `--screen NAME` and the palette), its own
//! keys, the keys its footer shows, and the functions that act on its commands and draw it.
//! The app iterates [`SCREENS`]: number keys, Tab, the tabs line, help and the palette all
//! come from this list, and no other screen is named anywhere else.
//!
//! Adding a screen (the quarantine review, say) touches no other screen:
//!
//! ```text
//! // screen/review.rs
//! pub const SCREEN: Screen = Screen {
//!     name: "review",
//!     title: "Review",
//!     bindings: &[bind(Command::Approve, &["a"], "approve the item"), ...],
//!     list: true,
//!     footer: &[Command::Approve, Command::Open],
//!     enter: |app| None,                      // e.g. fetch what it shows
//!     command: review::command,               // fn(&mut App, Command) -> Option<Effect>
//!     draw: review::draw,                     // fn(&mut Frame, Rect, &App, &Theme)
//!     detail: review::detail,                 // the item in full, for Enter
//!     badges: |app| app.review.list.badges(),
//!     filter: |app| Some(&mut app.review.list.filter),
//!     filter_text: |app| Some(&app.review.list.filter),
//!     filtered: |_| None,
//!     toggle_facet: |app, facet, value| app.review.list.toggle_facet(facet, value),
//! };
//! // app.rs: `pub review: ReviewView` beside the other screens' state
//! // here:   SCREENS = &[servers::SCREEN, logs::SCREEN, tools::SCREEN, activity::SCREEN, review::SCREEN]
//! ```
//!
//! If it needs a new command, that is a `TuiCommand` (so `[tui.keys]` can rebind it).

pub mod activity;
pub mod logs;
pub mod review;
pub mod servers;
pub mod tools;

use std::collections::BTreeMap;

use mcpproxy_daemon::config::KeyList;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;

use crate::app::App;
use crate::app::editor::LineInput;
use crate::app::list::Facet;
use crate::effect::Effect;
use crate::keymap::{self, BadDefault, Binding, Command, Keymap};
use crate::theme::Theme;

/// A detail view: its title and its lines.
pub type Detail = (String, Vec<Line<'static>>);

/// One screen of the TUI.
#[derive(Debug)]
pub struct Screen {
    /// Lowercase, for `--screen NAME` and the palette.
    pub name: &'static str,
    pub title: &'static str,
    /// Keys of this screen; they come before the list keys and the global ones.
    pub bindings: &'static [Binding],
    /// Whether the list keys (j/k, sort, filters, Enter) apply.
    pub list: bool,
    /// The commands the footer shows, in order.
    pub footer: &'static [Command],
    /// Called when the screen is shown.
    pub enter: fn(&mut App) -> Option<Effect>,
    /// Acts on a command of this screen (including the list commands).
    pub command: fn(&mut App, Command) -> Option<Effect>,
    pub draw: fn(&mut Frame, Rect, &App, &Theme),
    /// The selected item in full, for the detail view: a title and its lines.
    pub detail: fn(&App, &Theme) -> Option<Detail>,
    /// The filters in force, for the status line.
    pub badges: fn(&App) -> Vec<String>,
    /// The text filter `/` types into.
    pub filter: fn(&mut App) -> Option<&mut LineInput>,
    /// The same filter, to draw.
    pub filter_text: fn(&App) -> Option<&LineInput>,
    /// The text filter changed (typed, pasted, cleared): what to ask the daemon, if anything.
    pub filtered: fn(&mut App) -> Option<Effect>,
    /// Turns a facet value of the facet picker on or off.
    pub toggle_facet: fn(&mut App, Facet, &str),
}

/// Every screen, in tab order (number keys 1, 2, ... follow it).
pub const SCREENS: &[Screen] = &[
    servers::SCREEN,
    logs::SCREEN,
    tools::SCREEN,
    activity::SCREEN,
    review::SCREEN,
];

/// The screen called `name` (case-blind), as an index into [`SCREENS`].
pub fn by_name(name: &str) -> Option<usize> {
    SCREENS
        .iter()
        .position(|s| s.name.eq_ignore_ascii_case(name))
}

pub fn names() -> Vec<&'static str> {
    SCREENS.iter().map(|s| s.name).collect()
}

/// The keymap of every context and every screen, with the user's overrides.
pub fn keymap(overrides: &BTreeMap<Command, KeyList>) -> Result<Keymap, BadDefault> {
    let mut contexts: Vec<(&str, &[Binding])> = vec![
        (keymap::GLOBAL, keymap::GLOBAL_BINDINGS),
        (keymap::LIST, keymap::LIST_BINDINGS),
        (keymap::DISCONNECTED, keymap::DISCONNECTED_BINDINGS),
        (keymap::EDITOR, keymap::EDITOR_BINDINGS),
    ];
    contexts.extend(SCREENS.iter().map(|s| (s.name, s.bindings)));
    Keymap::new(contexts, overrides)
}

/// The contexts keys are looked up in on screen `index`, in order.
pub fn contexts(index: usize) -> Vec<&'static str> {
    let screen = &SCREENS[index];
    let mut contexts = vec![screen.name];
    if screen.list {
        contexts.push(keymap::LIST);
    }
    contexts.push(keymap::GLOBAL);
    contexts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_key_parses_and_screens_have_unique_names() {
        keymap(&BTreeMap::new()).unwrap();
        let mut names = names();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), SCREENS.len());
        assert!(SCREENS.len() <= 9, "number keys reach nine screens");
        assert_eq!(by_name("LOGS"), Some(1));
    }
}
