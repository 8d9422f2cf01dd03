//! Opening the TUI in a terminal emulator: `$TERMINAL`, then `xdg-terminal-exec` (the
//! freedesktop default-terminal launcher), then Debian's `x-terminal-emulator`.

use std::path::{Path, PathBuf};

/// The terminal emulators tried when `$TERMINAL` is not set, in order, and whether each
/// wants `-e` before the command.
const LAUNCHERS: &[(&str, bool)] = &[("xdg-terminal-exec", false), ("x-terminal-emulator", true)];

/// What to say when no terminal emulator is found.
pub const NONE_FOUND: &str = "no terminal emulator found: set $TERMINAL, or install \
    xdg-terminal-exec or x-terminal-emulator";

/// The command line that runs `command` in a terminal emulator, given `$TERMINAL` and a way
/// to find programs on `PATH`; `None` when there is no terminal emulator.
pub fn command_line(
    terminal: Option<&str>,
    find: impl Fn(&str) -> Option<PathBuf>,
    command: &[String],
) -> Option<Vec<String>> {
    let (mut argv, dash_e) = match terminal.map(str::trim).filter(|t| !t.is_empty()) {
        // `$TERMINAL` may carry its own options (`kitty --single-instance`).
        Some(terminal) => (
            terminal.split_whitespace().map(str::to_owned).collect(),
            true,
        ),
        None => {
            let (found, dash_e) = LAUNCHERS
                .iter()
                .find_map(|(name, dash_e)| find(name).map(|path| (path, *dash_e)))?;
            (vec![found.display().to_string()], dash_e)
        }
    };
    if dash_e {
        argv.push("-e".to_owned());
    }
    argv.extend(command.iter().cloned());
    Some(argv)
}

/// `program` on `PATH`, if it is there.
pub fn on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    path.metadata()
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tui() -> Vec<String> {
        ["/bin/mcpproxy", "tui", "--screen", "servers"]
            .map(str::to_owned)
            .to_vec()
    }

    #[test]
    fn terminal_from_the_environment_comes_first_with_its_options() {
        let line = command_line(Some("kitty --single-instance"), |_| None, &tui());
        assert_eq!(
            line.unwrap(),
            [
                "kitty",
                "--single-instance",
                "-e",
                "/bin/mcpproxy",
                "tui",
                "--screen",
                "servers"
            ]
        );
    }

    #[test]
    fn xdg_terminal_exec_takes_the_command_without_dash_e() {
        let find = |name: &str| Some(PathBuf::from(format!("/usr/bin/{name}")));
        let line = command_line(None, find, &tui()).unwrap();
        assert_eq!(line[0], "/usr/bin/xdg-terminal-exec");
        assert_eq!(line[1], "/bin/mcpproxy");
    }

    #[test]
    fn x_terminal_emulator_is_the_last_resort() {
        let find = |name: &str| {
            (name == "x-terminal-emulator").then(|| PathBuf::from("/usr/bin/x-terminal-emulator"))
        };
        let line = command_line(Some("  "), find, &tui()).unwrap();
        assert_eq!(line[..2], ["/usr/bin/x-terminal-emulator", "-e"]);
    }

    #[test]
    fn no_terminal_at_all_is_none() {
        assert_eq!(command_line(None, |_| None, &tui()), None);
    }
}
