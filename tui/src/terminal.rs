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

/// How long the input thread waits for the terminal before looking whether it is still
/// wanted.
const INPUT_POLL: std::time::Duration = std::time::Duration::from_millis(250);

/// Terminal input, read by a thread of its own and delivered as a stream.
///
/// crossterm's own `EventStream` reads on the task that polls it, and crossterm 0.29 loops
/// without end on a terminal that hung up (a read of 0 bytes is retried forever): the run
/// loop would spin there and never see SIGHUP. Here the thread first waits with `poll(2)`,
/// which reports the hang-up, and ends the stream with an error instead.
#[derive(Debug)]
pub struct Input {
    events: tokio::sync::mpsc::UnboundedReceiver<std::io::Result<crossterm::event::Event>>,
    stop: std::sync::Arc<AtomicBool>,
}

impl Input {
    pub fn start() -> Self {
        let (tx, events) = tokio::sync::mpsc::unbounded_channel();
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let flag = std::sync::Arc::clone(&stop);
        std::thread::Builder::new()
            .name("mcpproxy-tui-input".into())
            .spawn(move || read_input(&tx, &flag))
            .map(|_| ())
            .unwrap_or_else(|e| tracing::error!("cannot start the input thread: {e}"));
        Self { events, stop }
    }
}

impl futures_util::Stream for Input {
    type Item = std::io::Result<crossterm::event::Event>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        self.events.poll_recv(cx)
    }
}

impl Drop for Input {
    fn drop(&mut self) {
        // Keys typed after the TUI is gone belong to the shell.
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn read_input(
    tx: &tokio::sync::mpsc::UnboundedSender<std::io::Result<crossterm::event::Event>>,
    stop: &AtomicBool,
) {
    use std::io::IsTerminal as _;

    use rustix::event::{PollFd, PollFlags, Timespec};

    let stdin = std::io::stdin();
    let watch = stdin.is_terminal();
    let timeout = Timespec {
        tv_sec: 0,
        tv_nsec: i64::from(u32::try_from(INPUT_POLL.as_nanos()).unwrap_or(u32::MAX)),
    };
    loop {
        if stop.load(Ordering::SeqCst) || tx.is_closed() {
            return;
        }
        if watch {
            let mut fds = [PollFd::new(&stdin, PollFlags::IN)];
            match rustix::event::poll(&mut fds, Some(&timeout)) {
                Ok(0) => continue,
                Ok(_) => {
                    let revents = fds[0].revents();
                    if revents.intersects(PollFlags::HUP | PollFlags::ERR | PollFlags::NVAL) {
                        let _ = tx.send(Err(std::io::Error::new(
                            std::io::ErrorKind::BrokenPipe,
                            "the terminal hung up",
                        )));
                        return;
                    }
                }
                Err(rustix::io::Errno::INTR) => continue,
                Err(e) => {
                    let _ = tx.send(Err(e.into()));
                    return;
                }
            }
            if stop.load(Ordering::SeqCst) {
                return;
            }
        }
        // Input waits: read it, and whatever crossterm parsed along with it.
        loop {
            let event = crossterm::event::read();
            let failed = event.is_err();
            if tx.send(event).is_err() || failed {
                return;
            }
            match crossterm::event::poll(std::time::Duration::ZERO) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            }
        }
    }
}
