//! The guard: a tiny helper process (`mcpproxy guard`, the same executable) that makes sure
//! no upstream process outlives the daemon, even after `kill -9`.
//!
//! A parent-death signal is not enough: it is not inherited by grandchildren (`npx` → node)
//! and fires when the *thread* that spawned the child exits. Instead the daemon keeps a
//! pipe to the guard's stdin and tells it each process group it starts and stops. When the
//! daemon dies, however it dies, the kernel closes the pipe; the guard reads end-of-file,
//! terminates every group still listed (SIGTERM, then SIGKILL), and exits.
//!
//! The daemon also records the groups in `DATA_DIR/upstreams.pids`, so that if the guard
//! itself was killed too, the next daemon can reap what was left ([`reap_leftovers`]).

use std::collections::BTreeMap;
use std::io::{BufRead as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal};
use tracing::{info, warn};

use super::procfs;

/// The hidden subcommand that runs the guard.
pub const GUARD_SUBCOMMAND: &str = "guard";

/// How long the guard lets groups react to SIGTERM before SIGKILL.
const TERM_GRACE: Duration = Duration::from_millis(700);

/// The daemon's handle on its guard. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Guard {
    state: Arc<Mutex<GuardState>>,
}

#[derive(Debug)]
struct GuardState {
    pipe: Option<std::process::ChildStdin>,
    child: Option<std::process::Child>,
    /// Process group id → the leader's start time.
    groups: BTreeMap<i32, u64>,
    record: PathBuf,
}

impl Guard {
    /// Starts `exe guard`, with `record` as the file that lists watched groups.
    pub fn spawn(exe: &Path, record: PathBuf) -> std::io::Result<Self> {
        let mut command = Command::new(exe);
        command
            .arg(GUARD_SUBCOMMAND)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child = super::reaper::spawn_owned(|| command.spawn(), |c| Some(c.id()))?;
        let pipe = child.stdin.take();
        Ok(Self {
            state: Arc::new(Mutex::new(GuardState {
                pipe,
                child: Some(child),
                groups: BTreeMap::new(),
                record,
            })),
        })
    }

    /// Adds a process group to the guard's list.
    pub fn watch(&self, pgid: i32) {
        let start = procfs::start_time(pgid).unwrap_or(0);
        let mut state = self.lock();
        state.groups.insert(pgid, start);
        state.send(&format!("+ {pgid} {start}"));
        state.write_record();
    }

    /// Removes a stopped process group from the list.
    pub fn unwatch(&self, pgid: i32) {
        let mut state = self.lock();
        state.groups.remove(&pgid);
        state.send(&format!("- {pgid}"));
        state.write_record();
    }

    /// Closes the pipe (the guard then checks its list, which is empty after a clean
    /// stop) and waits for it to exit. Blocks: the daemon calls it with `spawn_blocking`.
    #[expect(
        clippy::disallowed_methods,
        reason = "blocking by design; the daemon runs it on a blocking thread, and the guard exits as soon as its pipe closes"
    )]
    pub fn shut_down(&self) {
        let mut state = self.lock();
        state.pipe = None;
        if let Some(mut child) = state.child.take()
            && child.wait().is_ok()
        {
            super::reaper::waited(i32::try_from(child.id()).unwrap_or(0));
        }
        let _ = std::fs::remove_file(&state.record);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, GuardState> {
        // The state stays consistent even if a holder panicked: every update is one insert or
        // remove followed by idempotent writes.
        crate::sync::lock(&self.state)
    }
}

impl GuardState {
    fn send(&mut self, line: &str) {
        if let Some(pipe) = &mut self.pipe
            && writeln!(pipe, "{line}").is_err()
        {
            warn!(
                "the process guard is gone; upstream processes are only stopped by the daemon itself now"
            );
            self.pipe = None;
        }
    }

    fn write_record(&self) {
        let text: String = self
            .groups
            .iter()
            .map(|(pgid, start)| format!("{pgid} {start}\n"))
            .collect();
        // Not fsynced: after a power loss there are no processes left to reap anyway.
        let temp = self.record.with_extension("tmp");
        if let Err(e) =
            std::fs::write(&temp, text).and_then(|()| std::fs::rename(&temp, &self.record))
        {
            warn!(path = %self.record.display(), error = %e, "cannot record upstream process groups");
        }
    }
}

/// The guard process's main loop: read the list from stdin until it closes, then terminate
/// every group still listed. Returns the exit code.
pub fn run() -> i32 {
    // Out of the daemon's session and process group: a Ctrl-C in the daemon's terminal must
    // not take the guard down before the daemon has stopped its children.
    let _ = rustix::process::setsid();
    let mut groups: BTreeMap<i32, u64> = BTreeMap::new();
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let mut words = line.split_whitespace();
        match (
            words.next(),
            words.next().and_then(|p| p.parse::<i32>().ok()),
        ) {
            (Some("+"), Some(pgid)) => {
                let start = words.next().and_then(|s| s.parse().ok()).unwrap_or(0);
                groups.insert(pgid, start);
            }
            (Some("-"), Some(pgid)) => {
                groups.remove(&pgid);
            }
            _ => {}
        }
    }
    terminate_groups(groups.keys().copied().collect());
    0
}

/// SIGTERM to every living group, then SIGKILL to what is left after a short grace. Blocks
/// for up to the grace.
#[expect(
    clippy::disallowed_methods,
    reason = "runs in the guard process, which has no async runtime, and in reap_leftovers, which the daemon runs with spawn_blocking; the poll is bounded by TERM_GRACE"
)]
fn terminate_groups(groups: Vec<i32>) {
    let living: Vec<i32> = groups
        .into_iter()
        .filter(|g| procfs::group_alive(*g))
        .collect();
    if living.is_empty() {
        return;
    }
    signal_groups(&living, Signal::TERM);
    let deadline = Instant::now() + TERM_GRACE;
    while Instant::now() < deadline && living.iter().any(|g| procfs::group_alive(*g)) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let survivors: Vec<i32> = living
        .into_iter()
        .filter(|g| procfs::group_alive(*g))
        .collect();
    signal_groups(&survivors, Signal::KILL);
}

fn signal_groups(groups: &[i32], signal: Signal) {
    for pgid in groups.iter().filter_map(|g| Pid::from_raw(*g)) {
        let _ = rustix::process::kill_process_group(pgid, signal);
    }
}

/// Terminates groups a previous daemon recorded and did not stop (its guard died too).
/// A group is only touched when its leader still runs and started when it was recorded, so
/// a reused pid is never signalled. Blocks while the groups stop: run it off the runtime.
pub fn reap_leftovers(record: &Path) {
    let Ok(text) = std::fs::read_to_string(record) else {
        return;
    };
    let ours: Vec<i32> = text
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let pgid: i32 = words.next()?.parse().ok()?;
            let start: u64 = words.next()?.parse().ok()?;
            (start != 0 && procfs::start_time(pgid) == Some(start)).then_some(pgid)
        })
        .collect();
    if !ours.is_empty() {
        info!(groups = ?ours, "stopping upstream processes left over by a previous run");
        terminate_groups(ours);
    }
    let _ = std::fs::remove_file(record);
}
