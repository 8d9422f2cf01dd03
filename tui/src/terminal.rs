//! The terminal the TUI owns: raw mode, the alternate screen, mouse and paste reporting, and
//! putting all of it back on every way out (normal exit, an error, a panic, SIGTERM, SIGHUP).
//! After `kill -9` nothing can run; `reset` restores the terminal then.

use std::io::{BufWriter, Stdout, Write as _};
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen};
use crossterm::{cursor, execute};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

/// Whether the terminal is in the TUI's modes (so restoring twice is harmless).
static ENTERED: AtomicBool = AtomicBool::new(false);

pub type Backend = CrosstermBackend<BufWriter<Stdout>>;

/// Restores the terminal when dropped.
#[derive(Debug)]
pub struct TerminalGuard(());

impl TerminalGuard {
    /// Takes over the terminal.
    pub fn enter() -> std::io::Result<(Terminal<Backend>, Self)> {
        install_panic_hook();
        crossterm::terminal::enable_raw_mode()?;
        ENTERED.store(true, Ordering::SeqCst);
        let guard = Self(());
        execute!(
            std::io::stdout(),
            EnterAlternateScreen,
            EnableMouseCapture,
            EnableBracketedPaste,
            cursor::Hide
        )?;
        // Frames are written whole, then flushed once.
        let backend = CrosstermBackend::new(BufWriter::with_capacity(1 << 16, std::io::stdout()));
        let terminal = Terminal::new(backend)?;
        Ok((terminal, guard))
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Puts the terminal back as it was; a no-op when it is not taken over. Errors are ignored:
/// this runs on the way out, when there is nobody left to tell.
pub fn restore() {
    if !ENTERED.swap(false, Ordering::SeqCst) {
        return;
    }
    let mut out = std::io::stdout();
    let _ = execute!(
        out,
        DisableBracketedPaste,
        DisableMouseCapture,
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = crossterm::terminal::disable_raw_mode();
    let _ = out.flush();
}

/// A panic restores the terminal, prints as usual, and ends the process: a TUI whose task
/// panicked cannot be trusted to draw again.
fn install_panic_hook() {
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    if INSTALLED.swap(true, Ordering::SeqCst) {
        return;
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
        std::process::exit(101);
    }));
}
