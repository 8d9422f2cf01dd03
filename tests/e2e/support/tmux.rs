//! `mcpproxy tui` in a real terminal: a private tmux server per test, keys sent with
//! `send-keys`, the screen read with `capture-pane`, waits with deadlines.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Once;
use std::time::Duration;

use tempfile::TempDir;

use super::daemon::{mcpproxy, temp_data_dir};
use super::wait::wait_until_blocking;

/// How long the screen may take to show what a test waits for.
pub const SCREEN_TIMEOUT: Duration = Duration::from_secs(20);

/// Installs tmux with apt when it is missing; fails loudly when that does not work.
pub fn ensure_tmux() {
    static CHECKED: Once = Once::new();
    CHECKED.call_once(|| {
        if tmux_version().is_some() {
            return;
        }
        let install = |args: &[&str]| {
            Command::new("apt-get")
                .args(args)
                .env("DEBIAN_FRONTEND", "noninteractive")
                .output()
                .unwrap_or_else(|e| panic!("tmux is missing and apt-get cannot run: {e}"))
        };
        let update = install(&["update"]);
        let installed = install(&["install", "-y", "tmux"]);
        assert!(
            tmux_version().is_some(),
            "tmux is missing and `apt-get install -y tmux` did not install it:\n{}\n{}",
            String::from_utf8_lossy(&update.stderr),
            String::from_utf8_lossy(&installed.stderr)
        );
    });
}

fn tmux_version() -> Option<String> {
    let output = Command::new("tmux").arg("-V").output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// One terminal with `mcpproxy tui` in it, on its own data dir. Dropping it ends the tmux
/// server and stops any daemon the data dir has.
pub struct TuiSession {
    pub dir: TempDir,
    server: String,
}

impl TuiSession {
    /// A fresh data dir (no config: the daemon writes the default one).
    pub fn new() -> Self {
        ensure_tmux();
        let dir = temp_data_dir();
        let server = format!(
            "mcpproxy-test-{}",
            dir.path().file_name().unwrap().to_string_lossy()
        );
        Self { dir, server }
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Where the TUI's pid is written when it starts.
    fn pid_file(&self) -> PathBuf {
        self.dir.path().join("tui.pid")
    }

    /// A tmux command on this session's server. The server inherits the sandbox's
    /// environment (its own HOME, no MCPPROXY_*), and so does everything run in it.
    fn tmux(&self) -> Command {
        let mut command = Command::new("tmux");
        command.arg("-L").arg(&self.server);
        super::sandbox::isolate(&mut command, self.dir.path());
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        let output = self.tmux().args(args).output().unwrap();
        assert!(
            output.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    /// The shell command that runs `mcpproxy tui ARGS` on this data dir, recording its pid
    /// and keeping the test's environment out (a free TCP port; no MCPPROXY_* settings; no
    /// browser opened for a login, whatever display the machine has).
    pub fn command_line(&self, args: &[&str]) -> String {
        let program = mcpproxy(self.dir.path())
            .get_program()
            .to_string_lossy()
            .into_owned();
        let mut line = format!(
            "sh -c \"echo \\$\\$ > '{}'; exec env -u MCPPROXY_HOME -u MCPPROXY_CONFIG -u MCPPROXY_SOCKET \
             -u RUST_LOG MCPPROXY_LISTEN=127.0.0.1:0 MCPPROXY_NO_BROWSER=1 '{program}' tui --data-dir '{}'",
            self.pid_file().display(),
            self.data_dir().display()
        );
        for arg in args {
            line.push_str(&format!(" '{arg}'"));
        }
        line.push('"');
        line
    }

    /// Starts a terminal (120×40) with a shell, and runs `mcpproxy tui ARGS` in it. The
    /// shell stays when the TUI ends, so what the TUI leaves on the terminal can be read.
    pub fn launch(args: &[&str]) -> Self {
        let session = Self::shell();
        session.start_tui(args);
        session
    }

    /// Runs `mcpproxy tui ARGS` in this session's shell (after, say, a config was written
    /// into the data dir).
    pub fn start_tui(&self, args: &[&str]) {
        self.type_text(&self.command_line(args));
        self.press(&["Enter"]);
    }

    /// Starts a terminal with an interactive shell.
    pub fn shell() -> Self {
        let session = Self::new();
        session.run(&[
            "new-session",
            "-d",
            "-s",
            "tui",
            "-x",
            "120",
            "-y",
            "40",
            "sh",
        ]);
        session
    }

    /// Waits until the TUI's process has ended.
    pub fn wait_for_exit(&self) {
        let pid = self.tui_pid();
        // Its parent (the shell, or nobody once the terminal is gone) reaps it: until then it
        // is a zombie, which counts as ended.
        wait_until_blocking(SCREEN_TIMEOUT, "the TUI to exit", || {
            (!super::process_alive(pid)).then_some(())
        });
    }

    /// Types text as it is.
    pub fn type_text(&self, text: &str) {
        self.run(&["send-keys", "-t", "tui", "-l", "--", text]);
    }

    /// Presses keys by tmux name: `Enter`, `Escape`, `Tab`, `C-s`, `q`.
    pub fn press(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "tui"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    /// The screen as text.
    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "tui"]).stdout).into_owned()
    }

    /// The screen with its colours, as SGR escape sequences.
    pub fn screen_with_colours(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-e", "-t", "tui"]).stdout)
            .into_owned()
    }

    /// Makes the terminal `columns` wide.
    pub fn resize(&self, columns: u16) {
        self.run(&["resize-window", "-t", "tui", "-x", &columns.to_string()]);
    }

    /// A tmux format of the pane (`#{alternate_on}`, `#{pane_dead}` ...).
    pub fn pane(&self, format: &str) -> String {
        let output = self.run(&["display-message", "-p", "-t", "tui", format]);
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    /// Waits until the screen satisfies `check`; returns that screen.
    pub fn wait_for(&self, what: &str, check: impl Fn(&str) -> bool) -> String {
        wait_until_blocking(
            SCREEN_TIMEOUT,
            WaitingFor {
                what,
                session: self,
            },
            || {
                let screen = self.screen();
                check(&screen).then_some(screen)
            },
        )
    }

    /// Waits until the screen contains `text`.
    pub fn wait_for_text(&self, text: &str) -> String {
        self.wait_for(&format!("the screen to show {text:?}"), |s| {
            s.contains(text)
        })
    }

    /// Waits until the TUI is attached to a daemon (no panel about the connection).
    pub fn wait_for_attached(&self) -> String {
        self.wait_for("the TUI to be attached", |screen| {
            !screen.contains("no daemon attached")
                && !screen.contains("┌ Daemon")
                && !screen.contains("┌ Starting")
                && !screen.contains("┌ Connecting")
                && screen.contains(", up ")
        })
    }

    /// Waits until some line of the screen contains every one of `parts`.
    pub fn wait_for_line(&self, parts: &[&str]) -> String {
        self.wait_for(&format!("a line with {parts:?}"), |screen| {
            screen
                .lines()
                .any(|line| parts.iter().all(|p| line.contains(p)))
        })
    }

    /// The TUI's pid, once it started.
    pub fn tui_pid(&self) -> u32 {
        wait_until_blocking(SCREEN_TIMEOUT, "the TUI to record its pid", || {
            std::fs::read_to_string(self.pid_file())
                .ok()
                .and_then(|text| text.trim().parse().ok())
        })
    }

    /// Closes the terminal under the TUI, as closing its window would.
    pub fn close_terminal(&self) {
        let _ = self.tmux().arg("kill-server").output();
    }

    /// Runs the CLI on this data dir, as a person would in another terminal.
    pub fn cli(&self, args: &[&str]) -> Output {
        mcpproxy(self.dir.path())
            .arg("--data-dir")
            .arg(self.data_dir())
            .args(args)
            .env("MCPPROXY_LISTEN", "127.0.0.1:0")
            .output()
            .unwrap()
    }
}

/// What a wait waits for, with the screen at the moment it gave up.
struct WaitingFor<'a> {
    what: &'a str,
    session: &'a TuiSession,
}

impl std::fmt::Display for WaitingFor<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}; the screen was:\n{}",
            self.what,
            self.session.screen()
        )
    }
}

impl Drop for TuiSession {
    fn drop(&mut self) {
        let _ = self.tmux().arg("kill-server").output();
        // A daemon the TUI started keeps running by design; the test's is stopped here.
        let _ = mcpproxy(self.dir.path())
            .args(["daemon", "stop", "--data-dir"])
            .arg(self.dir.path())
            .output();
    }
}
