//! Reading a child process's pipes with deadlines: a peer that stalls fails its test with a
//! message instead of hanging the whole run. The reads happen on threads of their own, which
//! end with the pipe.

use std::io::{BufRead as _, BufReader, Read};
use std::process::{Child, ExitStatus, Output};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use super::helpers::{POLL, kill_and_reap};

/// What waiting for the next line brought.
#[derive(Debug)]
pub enum NextLine {
    /// A line, with its line break.
    Line(String),
    /// The pipe was closed.
    End,
    /// Nothing within the time given.
    TimedOut,
}

/// The lines of a pipe, read on a thread as they come.
pub struct LineReader {
    lines: Receiver<std::io::Result<String>>,
}

impl LineReader {
    pub fn new(pipe: impl Read + Send + 'static) -> Self {
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            let mut pipe = BufReader::new(pipe);
            loop {
                let mut line = String::new();
                let read = match pipe.read_line(&mut line) {
                    Ok(0) => break,
                    Ok(_) => Ok(line),
                    Err(error) => Err(error),
                };
                let failed = read.is_err();
                // Stop once nobody listens (the pipe closes with the thread), or after an error.
                if send.send(read).is_err() || failed {
                    break;
                }
            }
        });
        Self { lines }
    }

    /// The next line, waiting at most `timeout` for it.
    pub fn next_line(&self, timeout: Duration) -> NextLine {
        match self.lines.recv_timeout(timeout) {
            Ok(Ok(line)) => NextLine::Line(line),
            Ok(Err(error)) => panic!("reading a child's pipe: {error}"),
            Err(RecvTimeoutError::Disconnected) => NextLine::End,
            Err(RecvTimeoutError::Timeout) => NextLine::TimedOut,
        }
    }

    /// Everything up to the end of the pipe; panics naming `what` when the pipe is still open
    /// after `timeout`.
    pub fn rest(&self, timeout: Duration, what: &str) -> String {
        let deadline = Instant::now() + timeout;
        let mut rest = String::new();
        loop {
            match self.next_line(deadline.saturating_duration_since(Instant::now())) {
                NextLine::Line(line) => rest.push_str(&line),
                NextLine::End => return rest,
                NextLine::TimedOut => {
                    panic!("timed out after {timeout:?} waiting for {what}; read so far: {rest:?}")
                }
            }
        }
    }
}

/// Reads all of `pipe` on a thread; the receiver gets the bytes once the pipe closes.
fn read_to_end(pipe: Option<impl Read + Send + 'static>) -> Receiver<Vec<u8>> {
    let (send, bytes) = mpsc::channel();
    std::thread::spawn(move || {
        let mut all = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut all);
        }
        let _ = send.send(all);
    });
    bytes
}

/// [`Child::wait_with_output`] with a deadline: when `child` has not exited and closed its
/// stdout and stderr within `timeout`, it is killed and the test fails naming `what`, with
/// whatever it wrote to stderr by then.
#[expect(
    clippy::disallowed_methods,
    reason = "a blocking poll with a deadline, by design, like wait_with_output; the child is a separate process"
)]
pub fn output_within(mut child: Child, timeout: Duration, what: &str) -> Output {
    let deadline = Instant::now() + timeout;
    let stdout = read_to_end(child.stdout.take());
    let stderr = read_to_end(child.stderr.take());
    let fail = |child: &mut Child, stderr: &Receiver<Vec<u8>>| -> ! {
        kill_and_reap(child);
        let written = stderr
            .recv_timeout(Duration::from_secs(1))
            .unwrap_or_default();
        panic!(
            "timed out after {timeout:?} waiting for {what}; its stderr:\n{}",
            String::from_utf8_lossy(&written)
        )
    };
    let status: ExitStatus = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() >= deadline {
            fail(&mut child, &stderr);
        }
        std::thread::sleep(POLL);
    };
    // Exited; its pipes close with it unless it left a process behind that holds them.
    let mut collect = |pipe: &Receiver<Vec<u8>>| {
        pipe.recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .unwrap_or_else(|_| fail(&mut child, &stderr))
    };
    let stdout = collect(&stdout);
    let stderr_bytes = collect(&stderr);
    Output {
        status,
        stdout,
        stderr: stderr_bytes,
    }
}
