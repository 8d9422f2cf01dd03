//! The `[tui]` table of `config.toml`: `mcpproxy tui`'s theme and key overrides, checked as
//! the rest of the file is (an unknown command or a key that is not one is a located error).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The `[tui]` table: how `mcpproxy tui` looks and which keys it answers to.
///
/// ```toml
/// [tui]
/// theme = "light"            # dark (default), light, high-contrast, or DATA_DIR/themes/NAME.toml
///
/// [tui.keys]                 # command = key, or a list of keys; replaces that command's keys
/// quit = ["q", "ctrl-c"]
/// remove = "ctrl-d"
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TuiConfig {
    /// Theme by name; `--theme` overrides it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theme: Option<ThemeName>,
    /// Key overrides by command name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub keys: BTreeMap<TuiCommand, KeyList>,
}

/// A theme's name: the file `NAME.toml` among the built-in themes or in `DATA_DIR/themes/`,
/// so only letters, digits, `-` and `_` (no paths).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ThemeName(String);

impl ThemeName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for ThemeName {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, String> {
        let plain = name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
        if name.is_empty() || name.len() > 64 || !plain {
            return Err(format!(
                "theme \"{name}\" is not a theme name: use letters, digits, '-' and '_' \
                 (dark, light, high-contrast, or NAME for DATA_DIR/themes/NAME.toml)"
            ));
        }
        Ok(Self(name.to_owned()))
    }
}

impl TryFrom<String> for ThemeName {
    type Error = String;

    fn try_from(name: String) -> Result<Self, String> {
        name.parse()
    }
}

impl From<ThemeName> for String {
    fn from(name: ThemeName) -> Self {
        name.0
    }
}

impl std::fmt::Display for ThemeName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Everything a key can do in `mcpproxy tui`: the names `[tui.keys]` binds and the command
/// palette lists. A command only acts where it makes sense (`enable` on the servers screen).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TuiCommand {
    Quit,
    Help,
    Palette,
    NextScreen,
    PrevScreen,
    #[serde(rename = "screen_1")]
    Screen1,
    #[serde(rename = "screen_2")]
    Screen2,
    #[serde(rename = "screen_3")]
    Screen3,
    #[serde(rename = "screen_4")]
    Screen4,
    #[serde(rename = "screen_5")]
    Screen5,
    #[serde(rename = "screen_6")]
    Screen6,
    #[serde(rename = "screen_7")]
    Screen7,
    #[serde(rename = "screen_8")]
    Screen8,
    #[serde(rename = "screen_9")]
    Screen9,
    StartDaemon,
    Up,
    Down,
    Top,
    Bottom,
    PageUp,
    PageDown,
    Open,
    Back,
    Filter,
    Facets,
    ClearFilters,
    Sort,
    SortReverse,
    AddServer,
    Enable,
    Disable,
    Restart,
    Remove,
    Approve,
    /// Keep a held item off until it changes, or remove a server waiting for approval.
    Reject,
    ShowLogs,
    ShowTools,
    /// Start an OAuth login to the selected server.
    Login,
    /// Revoke and forget the selected server's OAuth tokens.
    Logout,
    Follow,
    Level,
    Source,
    Call,
    /// Switch the selected tool off for agents, or back on.
    ToggleTool,
    Submit,
    NextField,
    PrevField,
}

impl TuiCommand {
    /// Every command, in the order help and the palette list them.
    pub const ALL: &'static [Self] = &[
        Self::Quit,
        Self::Help,
        Self::Palette,
        Self::NextScreen,
        Self::PrevScreen,
        Self::Screen1,
        Self::Screen2,
        Self::Screen3,
        Self::Screen4,
        Self::Screen5,
        Self::Screen6,
        Self::Screen7,
        Self::Screen8,
        Self::Screen9,
        Self::StartDaemon,
        Self::Up,
        Self::Down,
        Self::Top,
        Self::Bottom,
        Self::PageUp,
        Self::PageDown,
        Self::Open,
        Self::Back,
        Self::Filter,
        Self::Facets,
        Self::ClearFilters,
        Self::Sort,
        Self::SortReverse,
        Self::AddServer,
        Self::Enable,
        Self::Disable,
        Self::Restart,
        Self::Remove,
        Self::Approve,
        Self::Reject,
        Self::ShowLogs,
        Self::ShowTools,
        Self::Login,
        Self::Logout,
        Self::Follow,
        Self::Level,
        Self::Source,
        Self::Call,
        Self::ToggleTool,
        Self::Submit,
        Self::NextField,
        Self::PrevField,
    ];

    /// The name `[tui.keys]` and the palette use.
    pub fn name(self) -> &'static str {
        match self {
            Self::Quit => "quit",
            Self::Help => "help",
            Self::Palette => "palette",
            Self::NextScreen => "next_screen",
            Self::PrevScreen => "prev_screen",
            Self::Screen1 => "screen_1",
            Self::Screen2 => "screen_2",
            Self::Screen3 => "screen_3",
            Self::Screen4 => "screen_4",
            Self::Screen5 => "screen_5",
            Self::Screen6 => "screen_6",
            Self::Screen7 => "screen_7",
            Self::Screen8 => "screen_8",
            Self::Screen9 => "screen_9",
            Self::StartDaemon => "start_daemon",
            Self::Up => "up",
            Self::Down => "down",
            Self::Top => "top",
            Self::Bottom => "bottom",
            Self::PageUp => "page_up",
            Self::PageDown => "page_down",
            Self::Open => "open",
            Self::Back => "back",
            Self::Filter => "filter",
            Self::Facets => "facets",
            Self::ClearFilters => "clear_filters",
            Self::Sort => "sort",
            Self::SortReverse => "sort_reverse",
            Self::AddServer => "add_server",
            Self::Enable => "enable",
            Self::Disable => "disable",
            Self::Restart => "restart",
            Self::Remove => "remove",
            Self::Approve => "approve",
            Self::Reject => "reject",
            Self::ShowLogs => "show_logs",
            Self::ShowTools => "show_tools",
            Self::Login => "login",
            Self::Logout => "logout",
            Self::Follow => "follow",
            Self::Level => "level",
            Self::Source => "source",
            Self::Call => "call",
            Self::ToggleTool => "toggle_tool",
            Self::Submit => "submit",
            Self::NextField => "next_field",
            Self::PrevField => "prev_field",
        }
    }

    /// `screen_N`'s N, from 1.
    pub fn screen_number(self) -> Option<usize> {
        let screens = &Self::ALL[5..14];
        screens.iter().position(|s| *s == self).map(|i| i + 1)
    }
}

/// One key or several: `quit = "q"` or `quit = ["q", "ctrl-c"]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct KeyList(pub Vec<KeyChord>);

impl<'de> Deserialize<'de> for KeyList {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Keys;

        impl<'de> serde::de::Visitor<'de> for Keys {
            type Value = KeyList;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a key such as \"q\" or \"ctrl-d\", or a list of keys")
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<KeyList, E> {
                text.parse()
                    .map(|key| KeyList(vec![key]))
                    .map_err(E::custom)
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<KeyList, A::Error> {
                let mut keys = Vec::new();
                while let Some(key) = seq.next_element::<KeyChord>()? {
                    keys.push(key);
                }
                Ok(KeyList(keys))
            }
        }

        deserializer.deserialize_any(Keys)
    }
}

/// A key with its modifiers, written as in `[tui.keys]`: `q`, `G`, `?`, `ctrl-d`, `alt-x`,
/// `shift-tab`, `enter`, `esc`, `space`, `f5`. A capital letter is the letter with shift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct KeyChord {
    pub key: KeyName,
    pub ctrl: bool,
    pub alt: bool,
    /// Shift with a key that has no shifted character (`shift-up`); shifted letters are
    /// capitals and `shift-tab` is [`KeyName::BackTab`].
    pub shift: bool,
}

/// A key without modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KeyName {
    Char(char),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Delete,
    Insert,
    Home,
    End,
    PageUp,
    PageDown,
    Up,
    Down,
    Left,
    Right,
    F(u8),
}

const NAMED_KEYS: &[(&str, KeyName)] = &[
    ("enter", KeyName::Enter),
    ("esc", KeyName::Esc),
    ("tab", KeyName::Tab),
    ("backtab", KeyName::BackTab),
    ("backspace", KeyName::Backspace),
    ("delete", KeyName::Delete),
    ("insert", KeyName::Insert),
    ("home", KeyName::Home),
    ("end", KeyName::End),
    ("pageup", KeyName::PageUp),
    ("pagedown", KeyName::PageDown),
    ("up", KeyName::Up),
    ("down", KeyName::Down),
    ("left", KeyName::Left),
    ("right", KeyName::Right),
    ("space", KeyName::Char(' ')),
];

impl KeyChord {
    pub const fn plain(key: KeyName) -> Self {
        Self {
            key,
            ctrl: false,
            alt: false,
            shift: false,
        }
    }
}

impl std::str::FromStr for KeyChord {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let mut chord = Self::plain(KeyName::Esc);
        let mut rest = text;
        loop {
            let lower = rest.to_ascii_lowercase();
            let modifier = ["ctrl-", "alt-", "shift-"]
                .into_iter()
                .find(|m| lower.starts_with(m) && rest.len() > m.len());
            let Some(modifier) = modifier else { break };
            match modifier {
                "ctrl-" => chord.ctrl = true,
                "alt-" => chord.alt = true,
                _ => chord.shift = true,
            }
            rest = &rest[modifier.len()..];
        }
        let lower = rest.to_ascii_lowercase();
        let mut chars = rest.chars();
        chord.key = if let Some((_, key)) = NAMED_KEYS.iter().find(|(name, _)| *name == lower) {
            *key
        } else if let Some(n) = lower
            .strip_prefix('f')
            .and_then(|n| n.parse::<u8>().ok())
            .filter(|n| (1..=12).contains(n))
        {
            KeyName::F(n)
        } else if let (Some(c), None) = (chars.next(), chars.next())
            && !c.is_control()
        {
            KeyName::Char(c)
        } else {
            return Err(format!(
                "\"{text}\" is not a key: write a character (\"q\", \"G\", \"?\"), a named key \
                 (enter, esc, tab, space, up, pageup, f1 ...) or one with ctrl-, alt- or shift-"
            ));
        };
        // Shift is part of a letter's capital and of backtab; keep one spelling of each.
        match chord.key {
            KeyName::Char(c) if chord.shift && c.is_alphabetic() => {
                chord.key = KeyName::Char(c.to_uppercase().next().unwrap_or(c));
                chord.shift = false;
            }
            KeyName::Tab if chord.shift => {
                chord.key = KeyName::BackTab;
                chord.shift = false;
            }
            _ => {}
        }
        Ok(chord)
    }
}

impl std::fmt::Display for KeyChord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (on, name) in [
            (self.ctrl, "ctrl-"),
            (self.alt, "alt-"),
            (self.shift, "shift-"),
        ] {
            if on {
                f.write_str(name)?;
            }
        }
        match self.key {
            KeyName::Char(' ') => f.write_str("space"),
            KeyName::Char(c) => write!(f, "{c}"),
            KeyName::BackTab => f.write_str("shift-tab"),
            KeyName::F(n) => write!(f, "f{n}"),
            named => {
                let name = NAMED_KEYS
                    .iter()
                    .find(|(_, key)| *key == named)
                    .map_or("?", |(name, _)| name);
                f.write_str(name)
            }
        }
    }
}

impl TryFrom<String> for KeyChord {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        text.parse()
    }
}

impl From<KeyChord> for String {
    fn from(chord: KeyChord) -> Self {
        chord.to_string()
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn key(text: &str) -> KeyChord {
        text.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn keys_parse_in_one_spelling_and_print_back() {
        assert_eq!(key("q"), KeyChord::plain(KeyName::Char('q')));
        assert_eq!(key("shift-g"), key("G"));
        assert_eq!(key("Shift-Tab"), KeyChord::plain(KeyName::BackTab));
        assert_eq!(key("ctrl--").key, KeyName::Char('-'));
        assert!(key("CTRL-d").ctrl);
        assert_eq!(key("f12").key, KeyName::F(12));
        for text in [
            "q",
            "G",
            "?",
            "ctrl-d",
            "alt-x",
            "shift-tab",
            "enter",
            "space",
            "f5",
            "shift-up",
            "-",
        ] {
            assert_eq!(key(text).to_string(), text);
        }
        for bad in ["", "ctrl-", "qq", "f13", "hyper-x"] {
            assert!(bad.parse::<KeyChord>().is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn command_names_are_their_config_names() {
        for command in TuiCommand::ALL {
            let name = toml::Value::try_from(command).map(|v| v.as_str().map(str::to_owned));
            assert_eq!(name, Ok(Some(command.name().to_owned())));
        }
        assert_eq!(TuiCommand::Screen1.screen_number(), Some(1));
        assert_eq!(TuiCommand::Screen9.screen_number(), Some(9));
        assert_eq!(TuiCommand::StartDaemon.screen_number(), None);
    }

    #[test]
    fn the_tui_table_reads_commands_keys_and_a_theme() {
        let config = crate::config::parse(
            Path::new("config.toml"),
            "[tui]\ntheme = \"light\"\n[tui.keys]\nquit = \"x\"\nremove = [\"D\", \"ctrl-d\"]\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            config.tui.theme.as_ref().map(ThemeName::as_str),
            Some("light")
        );
        assert_eq!(config.tui.keys[&TuiCommand::Quit], KeyList(vec![key("x")]));
        assert_eq!(config.tui.keys[&TuiCommand::Remove].0.len(), 2);
        assert_eq!(
            toml::from_str::<TuiConfig>("keys.screen_1 = \"!\"").map(|t| t.keys.len()),
            Ok(1)
        );
    }

    #[test]
    fn mistakes_in_the_tui_table_are_located() {
        let problem = |text: &str| {
            let invalid = crate::config::parse(Path::new("config.toml"), text)
                .err()
                .unwrap_or_else(|| panic!("{text:?} was accepted"));
            invalid.problems().remove(0)
        };
        let unknown = problem("[tui.keys]\nqiut = \"x\"\n");
        assert_eq!((unknown.line, unknown.column), (2, 1));
        assert_eq!(
            unknown.hint.as_deref(),
            Some(
                "did you mean \"quit\"? (one of: quit, help, palette, next_screen, prev_screen, screen_1, screen_2, screen_3, screen_4, screen_5, screen_6, screen_7, screen_8, screen_9, start_daemon, up, down, top, bottom, page_up, page_down, open, back, filter, facets, clear_filters, sort, sort_reverse, add_server, enable, disable, restart, remove, approve, reject, show_logs, show_tools, login, logout, follow, level, source, call, toggle_tool, submit, next_field, prev_field)"
            )
        );
        let bad_key = problem("[tui.keys]\nquit = [\"q\", \"ctrl-\"]\n");
        assert_eq!(bad_key.line, 2);
        assert!(
            bad_key.message.contains("\"ctrl-\" is not a key"),
            "{bad_key:?}"
        );
        let theme = problem("[tui]\ntheme = \"../x\"\n");
        assert_eq!((theme.line, theme.column), (2, 9));
        assert!(theme.message.contains("not a theme name"), "{theme:?}");
    }
}
