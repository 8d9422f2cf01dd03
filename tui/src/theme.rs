//! Themes are data: TOML files of semantic roles (`themes/*.toml` in the source, embedded in
//! the binary, plus the user's `DATA_DIR/themes/NAME.toml`). Views ask for a [`Role`], never
//! for a colour. A theme may `inherits` another and change only some roles; what a user theme
//! leaves out comes from the default (`dark`). `NO_COLOR` keeps the modifiers and drops the
//! colours ([`Theme::monochrome`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::str::FromStr as _;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

/// The theme used when none is chosen.
pub const DEFAULT_THEME: &str = "dark";

/// The themes built into the binary, from the source's `themes/` folder.
pub const BUILTIN_THEMES: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
];

macro_rules! roles {
    ($($role:ident = $name:literal,)*) => {
        /// What a piece of the screen is, for the theme to colour.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Role { $($role,)* }

        impl Role {
            pub const ALL: &'static [Role] = &[$(Role::$role,)*];

            /// The role's key in a theme file.
            pub fn name(self) -> &'static str {
                match self { $(Role::$role => $name,)* }
            }
        }
    };
}

roles! {
    Text = "text",
    Muted = "muted",
    Accent = "accent",
    Ok = "ok",
    Warn = "warn",
    Error = "error",
    Info = "info",
    Selection = "selection",
    Header = "header",
    Border = "border",
    BorderFocus = "border_focus",
    Title = "title",
    Tab = "tab",
    TabActive = "tab_active",
    Key = "key",
    StatusBar = "status_bar",
    Banner = "banner",
    Badge = "badge",
    Highlight = "highlight",
    Popup = "popup",
    Cursor = "cursor",
}

impl Role {
    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|r| r.name() == name)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    #[error("no theme named \"{name}\"")]
    NotFound { name: String, known: Vec<String> },
    #[error("cannot read the theme {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("theme \"{name}\" ({origin}): {message}")]
    Invalid {
        name: String,
        origin: String,
        message: String,
    },
    #[error("theme \"{name}\" inherits from itself ({chain})")]
    Cycle { name: String, chain: String },
}

impl ThemeError {
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::NotFound { known, .. } => Some(format!(
                "known themes: {}; a theme of your own goes in DATA_DIR/themes/NAME.toml",
                known.join(", ")
            )),
            Self::Invalid { .. } => Some(
                "a role is a colour or { fg, bg, modifiers }; see themes/dark.toml for every role"
                    .to_owned(),
            ),
            Self::Cycle { .. } => Some("point `inherits` at another theme".to_owned()),
            Self::Read { .. } => None,
        }
    }
}

/// A theme ready to draw with: one style per role.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    styles: BTreeMap<Role, Style>,
}

impl Theme {
    pub fn style(&self, role: Role) -> Style {
        self.styles.get(&role).copied().unwrap_or_default()
    }

    /// The built-in default, which every bundled theme test proves loads.
    pub fn default_theme() -> Self {
        // The embedded default is checked by the theme tests; should it ever fail, a plain
        // theme still lets the TUI draw.
        ThemeLoader::new(None)
            .load(DEFAULT_THEME)
            .unwrap_or_else(|_| Self {
                name: DEFAULT_THEME.to_owned(),
                styles: BTreeMap::new(),
            })
    }

    /// For `NO_COLOR`: no colours, and reverse video where a role was told apart by its
    /// background.
    pub fn monochrome(mut self) -> Self {
        for (role, style) in &mut self.styles {
            let had_background = style.bg.is_some_and(|bg| bg != Color::Reset);
            let mut plain = Style::default()
                .add_modifier(style.add_modifier)
                .remove_modifier(Modifier::DIM);
            if had_background || matches!(role, Role::Selection | Role::Cursor) {
                plain = plain.add_modifier(Modifier::REVERSED);
            }
            if matches!(role, Role::Error | Role::Accent | Role::Key) {
                plain = plain.add_modifier(Modifier::BOLD);
            }
            *style = plain;
        }
        self
    }

    /// Roles this theme sets (a complete theme sets all of [`Role::ALL`]).
    pub fn roles(&self) -> impl Iterator<Item = Role> + '_ {
        self.styles.keys().copied()
    }
}

/// Finds themes by name: the user's `DATA_DIR/themes/NAME.toml` first, then the built-ins.
#[derive(Debug, Clone)]
pub struct ThemeLoader {
    user_dir: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    inherits: Option<String>,
    #[serde(default)]
    palette: BTreeMap<String, String>,
    #[serde(default)]
    roles: BTreeMap<String, RoleSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum RoleSpec {
    Colour(String),
    Style(StyleSpec),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct StyleSpec {
    fg: Option<String>,
    bg: Option<String>,
    #[serde(default)]
    modifiers: Vec<String>,
}

/// A theme file merged with what it inherits, not yet turned into styles.
#[derive(Debug, Default)]
struct Merged {
    palette: BTreeMap<String, String>,
    roles: BTreeMap<String, RoleSpec>,
}

impl ThemeLoader {
    /// `user_dir` is `DATA_DIR/themes`.
    pub fn new(user_dir: Option<PathBuf>) -> Self {
        Self { user_dir }
    }

    /// Every theme name this loader can find, built-in and the user's, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: BTreeSet<String> = BUILTIN_THEMES
            .iter()
            .map(|(name, _)| (*name).to_owned())
            .collect();
        if let Some(dir) = &self.user_dir
            && let Ok(entries) = std::fs::read_dir(dir)
        {
            for entry in entries.flatten() {
                let path = entry.path();
                if path.extension().is_some_and(|e| e == "toml")
                    && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
                {
                    names.insert(stem.to_owned());
                }
            }
        }
        names.into_iter().collect()
    }

    pub fn load(&self, name: &str) -> Result<Theme, ThemeError> {
        let mut chain = Vec::new();
        let mut merged = self.merged(name, &mut chain)?;
        // What a user theme leaves out comes from the default.
        if name != DEFAULT_THEME && !chain.iter().any(|n| n == DEFAULT_THEME) {
            let base = self.merged(DEFAULT_THEME, &mut Vec::new())?;
            for (key, value) in base.palette {
                merged.palette.entry(key).or_insert(value);
            }
            for (key, value) in base.roles {
                merged.roles.entry(key).or_insert(value);
            }
        }
        let origin = self.origin(name);
        let invalid = |message: String| ThemeError::Invalid {
            name: name.to_owned(),
            origin: origin.clone(),
            message,
        };
        let mut styles = BTreeMap::new();
        for (role_name, spec) in &merged.roles {
            let role = Role::from_name(role_name).ok_or_else(|| {
                invalid(format!(
                    "unknown role `{role_name}`; the roles are {}",
                    Role::ALL
                        .iter()
                        .map(|r| r.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?;
            let style = style_of(spec, &merged.palette)
                .map_err(|message| invalid(format!("role `{role_name}`: {message}")))?;
            styles.insert(role, style);
        }
        Ok(Theme {
            name: name.to_owned(),
            styles,
        })
    }

    /// Where a theme comes from, for messages.
    fn origin(&self, name: &str) -> String {
        match self.user_file(name) {
            Some(path) => path.display().to_string(),
            None => "built in".to_owned(),
        }
    }

    fn user_file(&self, name: &str) -> Option<PathBuf> {
        let path = self.user_dir.as_ref()?.join(format!("{name}.toml"));
        path.is_file().then_some(path)
    }

    fn text(&self, name: &str) -> Result<String, ThemeError> {
        if let Some(path) = self.user_file(name) {
            return std::fs::read_to_string(&path)
                .map_err(|source| ThemeError::Read { path, source });
        }
        BUILTIN_THEMES
            .iter()
            .find(|(builtin, _)| *builtin == name)
            .map(|(_, text)| (*text).to_owned())
            .ok_or_else(|| ThemeError::NotFound {
                name: name.to_owned(),
                known: self.names(),
            })
    }

    fn merged(&self, name: &str, chain: &mut Vec<String>) -> Result<Merged, ThemeError> {
        if chain.iter().any(|n| n == name) {
            chain.push(name.to_owned());
            return Err(ThemeError::Cycle {
                name: chain[0].clone(),
                chain: chain.join(" -> "),
            });
        }
        chain.push(name.to_owned());
        let text = self.text(name)?;
        let file: ThemeFile = toml::from_str(&text).map_err(|e| ThemeError::Invalid {
            name: name.to_owned(),
            origin: self.origin(name),
            message: e.message().trim().to_owned(),
        })?;
        let mut merged = match &file.inherits {
            Some(parent) => self.merged(parent, chain)?,
            None => Merged::default(),
        };
        merged.palette.extend(file.palette);
        merged.roles.extend(file.roles);
        Ok(merged)
    }
}

fn style_of(spec: &RoleSpec, palette: &BTreeMap<String, String>) -> Result<Style, String> {
    let colour = |text: &str| -> Result<Color, String> {
        let resolved = palette.get(text).map_or(text, String::as_str);
        Color::from_str(resolved).map_err(|_| {
            format!(
                "\"{text}\" is not a colour: use a palette name, an ANSI name, \"#rrggbb\" or 0-255"
            )
        })
    };
    match spec {
        RoleSpec::Colour(text) => Ok(Style::default().fg(colour(text)?)),
        RoleSpec::Style(spec) => {
            let mut style = Style::default();
            if let Some(fg) = &spec.fg {
                style = style.fg(colour(fg)?);
            }
            if let Some(bg) = &spec.bg {
                style = style.bg(colour(bg)?);
            }
            for name in &spec.modifiers {
                let modifier = match name.as_str() {
                    "bold" => Modifier::BOLD,
                    "dim" => Modifier::DIM,
                    "italic" => Modifier::ITALIC,
                    "underlined" => Modifier::UNDERLINED,
                    "reversed" => Modifier::REVERSED,
                    other => {
                        return Err(format!(
                            "unknown modifier \"{other}\": use bold, dim, italic, underlined or reversed"
                        ));
                    }
                };
                style = style.add_modifier(modifier);
            }
            Ok(style)
        }
    }
}

/// True when the user asked for no colours (`NO_COLOR` set and not empty, per no-color.org).
pub fn no_color_requested() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// Loads the named theme for a data dir, in monochrome under `NO_COLOR`.
pub fn load_for(data_dir: &Path, name: &str, no_color: bool) -> Result<Theme, ThemeError> {
    let theme = ThemeLoader::new(Some(data_dir.join("themes"))).load(name)?;
    Ok(if no_color { theme.monochrome() } else { theme })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_theme_file_loads_and_sets_every_role() {
        // The folder, not only the embedded list, so a new file cannot be forgotten.
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../themes");
        let mut found = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
            assert!(
                BUILTIN_THEMES.iter().any(|(n, _)| *n == name),
                "{name}.toml is not embedded in BUILTIN_THEMES"
            );
            found.push(name);
        }
        assert_eq!(found.len(), BUILTIN_THEMES.len());
        let loader = ThemeLoader::new(None);
        for (name, _) in BUILTIN_THEMES {
            let theme = loader.load(name).unwrap_or_else(|e| panic!("{name}: {e}"));
            let missing: Vec<_> = Role::ALL
                .iter()
                .filter(|r| !theme.roles().any(|set| set == **r))
                .map(|r| r.name())
                .collect();
            assert!(missing.is_empty(), "{name} leaves out {missing:?}");
        }
    }

    #[test]
    fn the_default_theme_sets_every_role_itself() {
        let text = BUILTIN_THEMES[0].1;
        let file: ThemeFile = toml::from_str(text).unwrap();
        assert!(file.inherits.is_none());
        for role in Role::ALL {
            assert!(
                file.roles.contains_key(role.name()),
                "dark.toml has no {}",
                role.name()
            );
        }
    }

    #[test]
    fn user_themes_inherit_override_and_fill_in_from_the_default() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("mine.toml"),
            "inherits = \"light\"\n[roles]\nok = \"#00ff00\"\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("bare.toml"),
            "[roles]\nerror = \"magenta\"\n",
        )
        .unwrap();
        let loader = ThemeLoader::new(Some(dir.path().to_path_buf()));
        let mine = loader.load("mine").unwrap();
        assert_eq!(mine.style(Role::Ok).fg, Some(Color::Rgb(0, 255, 0)));
        let light = loader.load("light").unwrap();
        assert_eq!(mine.style(Role::Selection), light.style(Role::Selection));
        let bare = loader.load("bare").unwrap();
        assert_eq!(bare.style(Role::Error).fg, Some(Color::Magenta));
        assert_eq!(bare.roles().count(), Role::ALL.len());
        assert!(loader.names().contains(&"mine".to_owned()));
    }

    #[test]
    fn broken_themes_say_what_is_wrong() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
        write("loop.toml", "inherits = \"loop\"\n");
        write("role.toml", "[roles]\nsparkle = \"red\"\n");
        write("colour.toml", "[roles]\nok = \"chartreuse-ish\"\n");
        let loader = ThemeLoader::new(Some(dir.path().to_path_buf()));
        let error = |name: &str| loader.load(name).unwrap_err().to_string();
        assert!(error("loop").contains("loop -> loop"), "{}", error("loop"));
        assert!(
            error("role").contains("unknown role `sparkle`"),
            "{}",
            error("role")
        );
        assert!(
            error("colour").contains("is not a colour"),
            "{}",
            error("colour")
        );
        let missing = loader.load("nope").unwrap_err();
        assert!(
            missing
                .hint()
                .unwrap()
                .contains("dark, high-contrast, light"),
            "{:?}",
            missing.hint()
        );
    }

    #[test]
    fn monochrome_drops_colours_and_keeps_the_selection_visible() {
        let theme = Theme::default_theme().monochrome();
        for role in Role::ALL {
            let style = theme.style(*role);
            assert_eq!((style.fg, style.bg), (None, None), "{}", role.name());
        }
        assert!(
            theme
                .style(Role::Selection)
                .add_modifier
                .contains(Modifier::REVERSED)
        );
    }
}
