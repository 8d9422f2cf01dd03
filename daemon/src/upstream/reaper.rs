//! Orphans of upstream servers: when a server's leader dies before its children
//! (`sh -c "node server.js; true"` and `sh` is killed), the children would be handed to
//! init, which in a container often reaps nobody, so they would stay zombies once stopped.
//! On Linux the daemon is a child subreaper instead: orphaned descendants become its
//! children, and this reaps them when they exit.
//!
//! The processes the daemon spawns itself (server leaders, the guard) are reaped by whoever
//! spawned them (tokio, or `Guard::shut_down`), so they are recorded when spawned and never
//! reaped here: a spawn and a reaping pass never run at the same time.

use std::collections::BTreeSet;
use std::sync::Mutex;

use rustix::process::{Pid, WaitOptions};
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use crate::sync::lock;

/// Pids of the children the daemon spawned itself, and so waits for itself.
static SPAWNED: Mutex<BTreeSet<i32>> = Mutex::new(BTreeSet::new());

/// Runs `spawn` so that no reaping pass can see its child before it is recorded as ours.
pub fn spawn_owned<T>(
    spawn: impl FnOnce() -> std::io::Result<T>,
    pid_of: impl FnOnce(&T) -> Option<u32>,
) -> std::io::Result<T> {
    let mut spawned = lock(&SPAWNED);
    let child = spawn()?;
    if let Some(pid) = pid_of(&child).and_then(|pid| i32::try_from(pid).ok()) {
        spawned.insert(pid);
    }
    Ok(child)
}

/// A child the daemon spawned has been waited for: its pid may come back as someone else.
pub fn waited(pid: i32) {
    lock(&SPAWNED).remove(&pid);
}

/// Makes the daemon the reaper of its descendants' orphans. False where that is not
/// possible (not Linux); orphans then go to init as usual.
pub fn become_subreaper() -> bool {
    #[cfg(target_os = "linux")]
    {
        match rustix::process::set_child_subreaper(Some(rustix::process::getpid())) {
            Ok(()) => true,
            Err(e) => {
                warn!(error = %e, "cannot become the reaper of orphaned upstream processes");
                false
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        false
    }
}

/// Reaps exited orphans whenever a child exits, until `stop`.
pub async fn run(stop: CancellationToken) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut exits = match signal(SignalKind::child()) {
            Ok(exits) => exits,
            Err(e) => return warn!(error = %e, "cannot watch for exited orphans"),
        };
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                received = exits.recv() => if received.is_none() { return },
            }
            // Reads /proc: off the runtime.
            let _ = tokio::task::spawn_blocking(reap_orphans).await;
        }
    }
    #[cfg(not(unix))]
    stop.cancelled().await;
}

/// Waits for every exited child of ours that we did not spawn ourselves.
fn reap_orphans() {
    let spawned = lock(&SPAWNED);
    let me = rustix::process::getpid().as_raw_nonzero().get();
    for pid in super::procfs::exited_children(me) {
        if spawned.contains(&pid) {
            continue;
        }
        if let Some(pid) = Pid::from_raw(pid)
            && let Ok(Some((_, status))) = rustix::process::waitpid(Some(pid), WaitOptions::NOHANG)
        {
            debug!(
                pid = pid.as_raw_nonzero().get(),
                ?status,
                "reaped an orphaned upstream process"
            );
        }
    }
}
