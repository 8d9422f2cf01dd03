//! Opening a URL in the person's browser, where there is one: the attached clients (CLI,
//! TUI, tray) do this for a login, since the daemon may have no display (systemd, launchd).

use std::process::{Command, Stdio};

/// How a URL would be opened here, decided from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opener {
    /// `MCPPROXY_NO_BROWSER` is set, or there is no display: the URL is only shown.
    None,
    /// `BROWSER` (a command; `%s` in it stands for the URL, else the URL is appended).
    Browser(String),
    /// The platform's opener (`open` on macOS, `xdg-open` elsewhere).
    Platform(&'static str),
}

impl Opener {
    /// The opener this environment asks for.
    pub fn from_env() -> Self {
        Self::decide(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    fn decide(var: impl Fn(&str) -> Option<String>) -> Self {
        if var("MCPPROXY_NO_BROWSER").is_some() {
            return Self::None;
        }
        if let Some(browser) = var("BROWSER") {
            return Self::Browser(browser);
        }
        if cfg!(target_os = "macos") {
            return Self::Platform("open");
        }
        if var("DISPLAY").is_some() || var("WAYLAND_DISPLAY").is_some() {
            Self::Platform("xdg-open")
        } else {
            Self::None
        }
    }

    /// The program and arguments that open `url`, if any.
    fn command(&self, url: &str) -> Option<(String, Vec<String>)> {
        match self {
            Self::None => None,
            Self::Platform(program) => Some(((*program).to_owned(), vec![url.to_owned()])),
            Self::Browser(line) => {
                // `BROWSER` may hold several commands separated by `:`; the first is used.
                let first = line.split(':').next().unwrap_or(line);
                let mut words = first.split_whitespace().map(str::to_owned);
                let program = words.next()?;
                let mut args: Vec<String> = words.collect();
                if args.iter().any(|a| a.contains("%s")) {
                    for arg in &mut args {
                        *arg = arg.replace("%s", url);
                    }
                } else {
                    args.push(url.to_owned());
                }
                Some((program, args))
            }
        }
    }

    /// Starts the opener on `url` (without waiting for it, its output discarded so it
    /// cannot draw over a terminal UI); false when there is none or it cannot start.
    pub fn open(&self, url: &str) -> bool {
        let Some((program, args)) = self.command(url) else {
            return false;
        };
        Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .is_ok()
    }
}

/// Tries to open `url` as this environment asks; false when there is no display or no
/// opener (the caller shows the URL anyway, so the person can open it by hand).
pub fn open(url: &str) -> bool {
    Opener::from_env().open(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decide(vars: &[(&str, &str)]) -> Opener {
        Opener::decide(|name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn no_browser_wins_then_browser_then_a_display() {
        assert_eq!(
            decide(&[("MCPPROXY_NO_BROWSER", "1"), ("BROWSER", "firefox")]),
            Opener::None
        );
        assert_eq!(
            decide(&[("BROWSER", "firefox"), ("DISPLAY", ":0")]),
            Opener::Browser("firefox".into())
        );
        if !cfg!(target_os = "macos") {
            assert_eq!(decide(&[]), Opener::None);
            assert_eq!(
                decide(&[("WAYLAND_DISPLAY", "wayland-0")]),
                Opener::Platform("xdg-open")
            );
        }
    }

    #[test]
    fn browser_takes_the_url_in_place_of_percent_s_or_last() {
        let url = "https://auth.example.com/authorize?x=1";
        assert_eq!(
            Opener::Browser("w3m -o x".into()).command(url),
            Some(("w3m".into(), vec!["-o".into(), "x".into(), url.into()]))
        );
        assert_eq!(
            Opener::Browser("lynx --url=%s:firefox".into()).command(url),
            Some(("lynx".into(), vec![format!("--url={url}")]))
        );
        assert_eq!(Opener::None.command(url), None);
    }
}
