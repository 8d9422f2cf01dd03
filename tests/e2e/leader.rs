//! A stdio server is its leader process: when the leader dies, the server ends even if a
//! process it started keeps the pipes open (`sh -c "node server.js; true"` and `sh` is
//! killed). Its process group is stopped, the supervisor starts it again with backoff, and
//! nothing is left behind: the dead leader is reaped (no zombie) and the orphan is stopped
//! and reaped too.

use std::time::Duration;

use mcpproxy_daemon::protocol::ServerState;
use rustix::process::{Pid, Signal};

use crate::support::{TestDaemon, process_tree, wait_until};

/// The state letter of a process (`Z` for a zombie), or `None` once it is gone for good.
fn state_of(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(") ")?.1.chars().next()
}

#[tokio::test]
async fn a_dead_leader_ends_the_server_even_when_its_child_keeps_the_pipes() {
    let exe = env!("CARGO_BIN_EXE_mcpproxy");
    let daemon = TestDaemon::start(&format!(
        "listen = \"127.0.0.1:0\"\n[servers.wrapped]\ncommand = \"sh\"\nargs = [\"-c\", \"'{exe}' demo-server; true\"]\nkill_grace = \"500ms\"\n"
    ))
    .await;
    let first = daemon
        .wait_state("wrapped", ServerState::Ready, Duration::from_secs(60))
        .await;
    let leader = first.pid.unwrap();
    let child = process_tree(leader)
        .into_iter()
        .find(|p| p.cmd.contains("demo-server"))
        .unwrap_or_else(|| panic!("no demo-server under sh {leader}"))
        .pid;

    rustix::process::kill_process(Pid::from_raw(leader as i32).unwrap(), Signal::KILL).unwrap();

    // The server comes back with a new leader.
    let client = daemon.client.clone();
    let again = wait_until(
        Duration::from_secs(20),
        "the server to be started again",
        || {
            let client = client.clone();
            async move {
                let view = client.servers().await.ok()?.servers.into_iter().next()?;
                (view.state == ServerState::Ready && view.pid.is_some_and(|p| p != leader))
                    .then_some(view)
            }
        },
    )
    .await;
    assert!(again.pid.is_some());
    // Nothing left: not the leader (not even as a zombie), not the orphan it left.
    wait_until(
        Duration::from_secs(10),
        "the old processes to be gone",
        || {
            let left: Vec<_> = [leader, child]
                .into_iter()
                .filter_map(|pid| state_of(pid).map(|state| (pid, state)))
                .collect();
            async move { left.is_empty().then_some(()) }
        },
    )
    .await;
    let log = std::fs::read_to_string(daemon.data_dir().join("logs/servers/wrapped.log")).unwrap();
    assert!(log.contains("the server's process exited"), "{log}");
}
