//! A pseudo-terminal for measuring a TUI as a person's terminal sees it: the program runs on
//! the pty's far side; a thread drains everything it draws (so it never waits on us) and
//! notes when each piece arrived; a bench waits for text to appear and gets its arrival time.

use std::io::{Read as _, Write as _};
use std::os::fd::OwnedFd;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
use rustix::termios::{Winsize, tcsetwinsize};

/// What arrived from the terminal since the last mark, with arrival times.
#[derive(Default)]
struct Output {
    bytes: Vec<u8>,
    /// (end offset in `bytes`, when that chunk arrived)
    chunks: Vec<(usize, Instant)>,
    closed: bool,
}

pub struct Pty {
    master: std::fs::File,
    output: Arc<(Mutex<Output>, Condvar)>,
    pub child: Child,
}

impl Pty {
    /// Runs `command` on a new `columns` × `rows` terminal.
    pub fn spawn(mut command: Command, columns: u16, rows: u16) -> Self {
        let master: OwnedFd = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).unwrap();
        grantpt(&master).unwrap();
        unlockpt(&master).unwrap();
        let name = ptsname(&master, Vec::new()).unwrap();
        let size = Winsize {
            ws_row: rows,
            ws_col: columns,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        tcsetwinsize(&master, size).unwrap();
        let slave = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(name.to_str().unwrap())
            .unwrap();
        let child = command
            .env("TERM", "xterm-256color")
            .stdin(Stdio::from(slave.try_clone().unwrap()))
            .stdout(Stdio::from(slave.try_clone().unwrap()))
            .stderr(Stdio::from(slave))
            .spawn()
            .unwrap();
        let master = std::fs::File::from(master);
        let output = Arc::new((Mutex::new(Output::default()), Condvar::new()));
        let (reader, sink) = (master.try_clone().unwrap(), Arc::clone(&output));
        std::thread::spawn(move || drain(reader, &sink));
        Self {
            master,
            output,
            child,
        }
    }

    /// Forgets what arrived so far: later waits only look at what comes after.
    pub fn mark(&self) {
        let mut output = self.output.0.lock().unwrap();
        output.bytes.clear();
        output.chunks.clear();
    }

    /// Types `bytes`; returns when they were written.
    pub fn send(&mut self, bytes: &[u8]) -> Instant {
        self.master.write_all(bytes).unwrap();
        Instant::now()
    }

    /// Waits until `text` arrived (since the last mark); returns when the chunk that
    /// completed it arrived.
    pub fn wait_for(&self, text: &str, timeout: Duration) -> Instant {
        self.wait_for_any(&[text], timeout)
    }

    /// Waits until one of `texts` arrived (since the last mark); returns when the first of
    /// them was complete.
    pub fn wait_for_any(&self, texts: &[&str], timeout: Duration) -> Instant {
        let deadline = Instant::now() + timeout;
        let (lock, ready) = &*self.output;
        let mut output = lock.lock().unwrap();
        loop {
            let end = texts
                .iter()
                .filter_map(|text| find(&output.bytes, text.as_bytes()).map(|at| at + text.len()))
                .min();
            if let Some(end) = end {
                return output
                    .chunks
                    .iter()
                    .find(|(offset, _)| *offset >= end)
                    .map(|(_, when)| *when)
                    .unwrap();
            }
            assert!(
                !output.closed,
                "the terminal closed before {texts:?} showed"
            );
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "{texts:?} did not show within {timeout:?}");
            output = ready.wait_timeout(output, left).unwrap().0;
        }
    }
}

impl Pty {
    /// Waits for the program to exit (it was told to quit).
    #[expect(
        clippy::disallowed_methods,
        reason = "between measurements: the next run must not start before this one has ended"
    )]
    pub fn wait_exit(&mut self) {
        let _ = self.child.wait();
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        let _ = self.child.kill();
        self.wait_exit();
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn drain(mut master: std::fs::File, output: &(Mutex<Output>, Condvar)) {
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let read = master.read(&mut buffer);
        let now = Instant::now();
        let mut out = output
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match read {
            Ok(n) if n > 0 => {
                out.bytes.extend_from_slice(&buffer[..n]);
                let end = out.bytes.len();
                out.chunks.push((end, now));
            }
            _ => {
                out.closed = true;
                output.1.notify_all();
                return;
            }
        }
        output.1.notify_all();
    }
}
