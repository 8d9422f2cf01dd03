//! Keys to commands, per context. Defaults follow k9s/lazygit habits (j/k, g/G, Enter, Esc,
//! q, `/`, `:`, `?`); `[tui.keys]` in `config.toml` replaces a command's keys everywhere that
//! command is bound, and a key it takes is taken away from whatever else had it there.

use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use mcpproxy_daemon::config::{KeyChord, KeyList, KeyName};

pub use mcpproxy_daemon::config::TuiCommand as Command;

/// A command's default keys in one context, with what it does there (for help and footer).
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub command: Command,
    pub keys: &'static [&'static str],
    pub help: &'static str,
}

pub const fn bind(command: Command, keys: &'static [&'static str], help: &'static str) -> Binding {
    Binding {
        command,
        keys,
        help,
    }
}

/// Everywhere (unless a dialog or an input has the keyboard).
pub const GLOBAL: &str = "global";
/// Screens that show a list: moving, opening, sorting, filtering.
pub const LIST: &str = "list";
/// While no daemon is attached.
pub const DISCONNECTED: &str = "disconnected";
/// Forms and editors: the keys that are not text.
pub const EDITOR: &str = "editor";

pub const GLOBAL_BINDINGS: &[Binding] = &[
    bind(
        Command::Quit,
        &["q", "ctrl-c"],
        "quit (the daemon keeps running)",
    ),
    bind(Command::Help, &["?"], "help: every key of this screen"),
    bind(
        Command::Palette,
        &[":"],
        "command palette: run any command by name",
    ),
    bind(Command::NextScreen, &["tab"], "next screen"),
    bind(Command::PrevScreen, &["shift-tab"], "previous screen"),
    bind(Command::Screen1, &["1"], "screen 1"),
    bind(Command::Screen2, &["2"], "screen 2"),
    bind(Command::Screen3, &["3"], "screen 3"),
    bind(Command::Screen4, &["4"], "screen 4"),
    bind(Command::Screen5, &["5"], "screen 5"),
    bind(Command::Screen6, &["6"], "screen 6"),
    bind(Command::Screen7, &["7"], "screen 7"),
    bind(Command::Screen8, &["8"], "screen 8"),
    bind(Command::Screen9, &["9"], "screen 9"),
];

pub const LIST_BINDINGS: &[Binding] = &[
    bind(Command::Up, &["k", "up"], "up"),
    bind(Command::Down, &["j", "down"], "down"),
    bind(Command::Top, &["g", "home"], "first"),
    bind(Command::Bottom, &["G", "end"], "last"),
    bind(Command::PageUp, &["ctrl-u", "pageup"], "page up"),
    bind(Command::PageDown, &["ctrl-d", "pagedown"], "page down"),
    bind(Command::Open, &["enter"], "details"),
    bind(Command::Back, &["esc"], "close / clear the filter"),
    bind(Command::Filter, &["/"], "filter by text"),
    bind(
        Command::Facets,
        &["f"],
        "filter by state, server, transport, outcome",
    ),
    bind(Command::ClearFilters, &["F"], "clear every filter"),
    bind(Command::Sort, &["s"], "sort by the next column"),
    bind(Command::SortReverse, &["S"], "reverse the sort"),
];

pub const DISCONNECTED_BINDINGS: &[Binding] =
    &[bind(Command::StartDaemon, &["s"], "start a daemon")];

pub const EDITOR_BINDINGS: &[Binding] = &[
    bind(Command::Submit, &["ctrl-s"], "send"),
    bind(Command::Back, &["esc"], "cancel"),
    bind(Command::NextField, &["tab", "down"], "next field"),
    bind(Command::PrevField, &["shift-tab", "up"], "previous field"),
];

/// The keys of every context, after the user's overrides.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Keymap {
    contexts: BTreeMap<String, Vec<(KeyChord, Command)>>,
    help: BTreeMap<(String, Command), &'static str>,
}

/// A default key that does not parse; a test proves there are none.
#[derive(Debug, thiserror::Error)]
#[error("default key {key:?} of {command:?}: {message}")]
pub struct BadDefault {
    pub command: Command,
    pub key: &'static str,
    pub message: String,
}

impl Keymap {
    /// Builds the map from each context's defaults, then applies `overrides`.
    pub fn new<'a>(
        contexts: impl IntoIterator<Item = (&'a str, &'a [Binding])>,
        overrides: &BTreeMap<Command, KeyList>,
    ) -> Result<Self, BadDefault> {
        let mut keymap = Self::default();
        for (context, bindings) in contexts {
            let entries = keymap.contexts.entry(context.to_owned()).or_default();
            for binding in bindings {
                keymap
                    .help
                    .insert((context.to_owned(), binding.command), binding.help);
                let keys = match overrides.get(&binding.command) {
                    Some(list) => list.0.clone(),
                    None => binding
                        .keys
                        .iter()
                        .map(|key| {
                            key.parse().map_err(|message| BadDefault {
                                command: binding.command,
                                key,
                                message,
                            })
                        })
                        .collect::<Result<_, _>>()?,
                };
                entries.extend(keys.into_iter().map(|key| (key, binding.command)));
            }
            // An overriding key wins over a default that had it in the same context.
            let overridden: Vec<(KeyChord, Command)> = entries
                .iter()
                .filter(|(_, command)| overrides.contains_key(command))
                .copied()
                .collect();
            entries.retain(|(key, command)| {
                overrides.contains_key(command) || !overridden.iter().any(|(taken, _)| taken == key)
            });
        }
        Ok(keymap)
    }

    /// The command `key` means, looking through `contexts` in order.
    pub fn lookup(&self, contexts: &[&str], key: KeyChord) -> Option<Command> {
        contexts.iter().find_map(|context| {
            self.contexts
                .get(*context)?
                .iter()
                .find(|(bound, _)| *bound == key)
                .map(|(_, command)| *command)
        })
    }

    /// The keys bound to `command` in `context`, in the order they were given.
    pub fn keys(&self, context: &str, command: Command) -> Vec<KeyChord> {
        self.contexts
            .get(context)
            .map(|entries| {
                entries
                    .iter()
                    .filter(|(_, c)| *c == command)
                    .map(|(key, _)| *key)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The first key of `command` in `context`, as text ("" when unbound).
    pub fn key_label(&self, context: &str, command: Command) -> String {
        self.keys(context, command)
            .first()
            .map(ToString::to_string)
            .unwrap_or_default()
    }

    /// Every command bound in `context`, once each, in binding order, with its help text.
    pub fn commands(&self, context: &str) -> Vec<(Command, &'static str)> {
        let mut seen = Vec::new();
        for (_, command) in self.contexts.get(context).into_iter().flatten() {
            if !seen.iter().any(|(c, _)| c == command) {
                let help = self
                    .help
                    .get(&(context.to_owned(), *command))
                    .copied()
                    .unwrap_or("");
                seen.push((*command, help));
            }
        }
        seen
    }
}

/// A word or two for the footer.
pub fn label(command: Command) -> &'static str {
    match command {
        Command::Quit => "quit",
        Command::Help => "help",
        Command::Palette => "commands",
        Command::NextScreen => "next screen",
        Command::PrevScreen => "previous screen",
        Command::StartDaemon => "start daemon",
        Command::Up => "up",
        Command::Down => "down",
        Command::Top => "top",
        Command::Bottom => "bottom",
        Command::PageUp => "page up",
        Command::PageDown => "page down",
        Command::Open => "details",
        Command::Back => "back",
        Command::Filter => "filter",
        Command::Facets => "facets",
        Command::ClearFilters => "clear filters",
        Command::Sort => "sort",
        Command::SortReverse => "reverse",
        Command::AddServer => "add",
        Command::Enable => "enable",
        Command::Disable => "disable",
        Command::Restart => "restart",
        Command::Remove => "remove",
        Command::Approve => "approve",
        Command::Reject => "reject",
        Command::ShowLogs => "logs",
        Command::ShowTools => "tools",
        Command::Login => "log in",
        Command::Logout => "log out",
        Command::Follow => "follow",
        Command::Level => "level",
        Command::Source => "source",
        Command::Call => "call",
        Command::ToggleTool => "on/off",
        Command::Submit => "send",
        Command::NextField => "next field",
        Command::PrevField => "previous field",
        Command::Screen1
        | Command::Screen2
        | Command::Screen3
        | Command::Screen4
        | Command::Screen5
        | Command::Screen6
        | Command::Screen7
        | Command::Screen8
        | Command::Screen9 => "screen",
    }
}

/// The chord a terminal key event is, in the spelling `[tui.keys]` uses. `None` for key
/// releases and keys mcpproxy has no name for.
pub fn chord_of(event: &KeyEvent) -> Option<KeyChord> {
    let key = match event.code {
        KeyCode::Char(c) => KeyName::Char(c),
        KeyCode::Enter => KeyName::Enter,
        KeyCode::Esc => KeyName::Esc,
        KeyCode::Tab => KeyName::Tab,
        KeyCode::BackTab => KeyName::BackTab,
        KeyCode::Backspace => KeyName::Backspace,
        KeyCode::Delete => KeyName::Delete,
        KeyCode::Insert => KeyName::Insert,
        KeyCode::Home => KeyName::Home,
        KeyCode::End => KeyName::End,
        KeyCode::PageUp => KeyName::PageUp,
        KeyCode::PageDown => KeyName::PageDown,
        KeyCode::Up => KeyName::Up,
        KeyCode::Down => KeyName::Down,
        KeyCode::Left => KeyName::Left,
        KeyCode::Right => KeyName::Right,
        KeyCode::F(n) => KeyName::F(n),
        _ => return None,
    };
    let mods = event.modifiers;
    // A character carries its shift (`G`, `?`); so does backtab.
    let shift =
        mods.contains(KeyModifiers::SHIFT) && !matches!(key, KeyName::Char(_) | KeyName::BackTab);
    Some(KeyChord {
        key,
        ctrl: mods.contains(KeyModifiers::CONTROL),
        alt: mods.contains(KeyModifiers::ALT),
        shift,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chord(text: &str) -> KeyChord {
        text.parse().unwrap()
    }

    fn keymap(overrides: &[(Command, &[&str])]) -> Keymap {
        let overrides = overrides
            .iter()
            .map(|(command, keys)| (*command, KeyList(keys.iter().map(|k| chord(k)).collect())))
            .collect();
        Keymap::new(
            [
                (GLOBAL, GLOBAL_BINDINGS),
                (LIST, LIST_BINDINGS),
                (DISCONNECTED, DISCONNECTED_BINDINGS),
                (EDITOR, EDITOR_BINDINGS),
            ],
            &overrides,
        )
        .unwrap()
    }

    #[test]
    fn defaults_resolve_through_contexts_in_order() {
        let keys = keymap(&[]);
        assert_eq!(
            keys.lookup(&[LIST, GLOBAL], chord("j")),
            Some(Command::Down)
        );
        assert_eq!(
            keys.lookup(&[LIST, GLOBAL], chord("q")),
            Some(Command::Quit)
        );
        assert_eq!(keys.lookup(&[GLOBAL], chord("j")), None);
        assert_eq!(
            keys.lookup(&[EDITOR], chord("tab")),
            Some(Command::NextField)
        );
        assert_eq!(keys.key_label(GLOBAL, Command::Quit), "q");
    }

    #[test]
    fn an_override_replaces_the_keys_and_takes_them_from_others() {
        let keys = keymap(&[(Command::Quit, &["x"]), (Command::Top, &["j"])]);
        assert_eq!(keys.lookup(&[GLOBAL], chord("x")), Some(Command::Quit));
        assert_eq!(keys.lookup(&[GLOBAL], chord("q")), None);
        assert_eq!(keys.lookup(&[LIST], chord("j")), Some(Command::Top));
        assert_eq!(keys.keys(LIST, Command::Down), vec![chord("down")]);
    }

    #[test]
    fn terminal_events_read_as_config_spellings() {
        let event = |code, mods| KeyEvent::new(code, mods);
        let of = |code, mods| chord_of(&event(code, mods)).map(|c| c.to_string());
        assert_eq!(
            of(KeyCode::Char('G'), KeyModifiers::SHIFT).as_deref(),
            Some("G")
        );
        assert_eq!(
            of(KeyCode::Char('?'), KeyModifiers::SHIFT).as_deref(),
            Some("?")
        );
        assert_eq!(
            of(KeyCode::BackTab, KeyModifiers::SHIFT).as_deref(),
            Some("shift-tab")
        );
        assert_eq!(
            of(KeyCode::Char('d'), KeyModifiers::CONTROL).as_deref(),
            Some("ctrl-d")
        );
        assert_eq!(
            of(KeyCode::Up, KeyModifiers::SHIFT).as_deref(),
            Some("shift-up")
        );
    }
}
