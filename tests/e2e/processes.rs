//! No upstream process outlives the daemon: not after SIGTERM, not after `kill -9`, not
//! grandchildren, not a server that ignores the polite ways to stop. Crashes are retried
//! with backoff while the other servers keep serving.

use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use mcpproxy_daemon::protocol::{Event, ServerState, ToolCall};
use rustix::process::Signal;

use crate::support::{TestDaemon, peers, process_alive, process_tree, wait_until};

const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// demo (builtin), server-everything through `npx` (npx → node), and mcp-server-time
/// (a python entry point): children and grandchildren of several kinds.
fn mixed_config() -> String {
    let npm_dir = peers::server_everything()
        .ancestors()
        .nth(4)
        .unwrap()
        .to_path_buf();
    format!(
        "listen = \"127.0.0.1:0\"\n{demo}\n\
         [servers.everything]\ncommand = \"npx\"\nargs = [\"--no-install\", \"@modelcontextprotocol/server-everything\", \"stdio\"]\ncwd = \"{npm}\"\n\n\
         [servers.time]\ncommand = \"{time}\"\n",
        demo = TestDaemon::demo_server("demo", ""),
        npm = npm_dir.display(),
        time = peers::mcp_server_time().display(),
    )
}

async fn start_mixed() -> TestDaemon {
    let daemon = TestDaemon::start(&mixed_config()).await;
    for name in ["demo", "everything", "time"] {
        daemon
            .wait_state(name, ServerState::Ready, READY_TIMEOUT)
            .await;
    }
    daemon
}

#[tokio::test]
async fn kill_9_of_the_daemon_leaves_no_process_within_2s() {
    let mut daemon = start_mixed().await;
    let tree = process_tree(daemon.pid());
    // npx runs server-everything as a grandchild (npm exec → sh → node).
    let parent_of = |pid: u32| tree.iter().find(|p| p.pid == pid);
    let under_npm = tree.iter().any(|p| {
        p.cmd.starts_with("node ") && {
            let mut ancestor = parent_of(p.ppid);
            let mut found = false;
            while let Some(a) = ancestor {
                found |= a.cmd.contains("npm exec") || a.cmd.contains("npx");
                ancestor = parent_of(a.ppid);
            }
            found
        }
    });
    let commands: Vec<&str> = tree.iter().map(|p| p.cmd.as_str()).collect();
    assert!(
        under_npm,
        "server-everything should run as a grandchild under npx: {commands:?}"
    );
    daemon.signal_and_wait(Signal::KILL, Duration::from_secs(2));
    let killed = Instant::now();
    wait_until(
        Duration::from_secs(2),
        "every process the daemon started to end",
        || {
            let left: Vec<_> = tree.iter().filter(|p| process_alive(p.pid)).collect();
            async move { left.is_empty().then_some(()) }
        },
    )
    .await;
    eprintln!(
        "all {} processes gone {:?} after kill -9",
        tree.len(),
        killed.elapsed()
    );
}

#[tokio::test]
async fn sigterm_stops_the_daemon_and_every_upstream_within_5s() {
    let mut daemon = start_mixed().await;
    let tree = process_tree(daemon.pid());
    let started = Instant::now();
    // The wait allows more than the bound so that a slow stop fails on the bound below, with
    // the time it took, rather than as a timeout.
    let exit = daemon.signal_and_wait(Signal::TERM, Duration::from_secs(15));
    let took = started.elapsed();
    assert_eq!(exit.code(), Some(0));
    assert!(
        took < Duration::from_secs(5),
        "SIGTERM took {took:?} to stop the daemon and its upstreams"
    );
    let left: Vec<_> = tree.iter().filter(|p| process_alive(p.pid)).collect();
    assert!(
        left.is_empty(),
        "still running after the daemon exited: {left:?}"
    );
}

#[tokio::test]
async fn a_server_that_ignores_shutdown_is_killed_when_the_graces_run_out() {
    let config = "listen = \"127.0.0.1:0\"\n[servers.stubborn]\nbuiltin = \"demo\"\nargs = [\"--ignore-shutdown\"]\nshutdown_grace = \"300ms\"\nkill_grace = \"300ms\"\n";
    let daemon = TestDaemon::start(config).await;
    let view = daemon
        .wait_state("stubborn", ServerState::Ready, READY_TIMEOUT)
        .await;
    let pid = view.pid.unwrap();
    let disable = daemon.cli(&["upstream", "disable", "stubborn"]);
    assert!(
        disable.status.success(),
        "{}",
        String::from_utf8_lossy(&disable.stderr)
    );
    let stopped = Instant::now();
    wait_until(
        Duration::from_secs(5),
        "the stubborn server to be killed",
        || async move { (!process_alive(pid)).then_some(()) },
    )
    .await;
    let took = stopped.elapsed();
    assert!(
        took >= Duration::from_millis(500),
        "it stopped before the graces ran out ({took:?}): was it really ignoring?"
    );
    let log_path = daemon.data_dir().join("logs/servers/stubborn.log");
    wait_until(
        Duration::from_secs(5),
        "the log to tell it was killed",
        || {
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            async move { log.contains("SIGKILL").then_some(()) }
        },
    )
    .await;
    daemon
        .wait_state("stubborn", ServerState::Disabled, Duration::from_secs(5))
        .await;
}

#[tokio::test]
async fn a_killed_child_backs_off_and_comes_back_by_itself() {
    let daemon = TestDaemon::start(&format!(
        "listen = \"127.0.0.1:0\"\n{}",
        TestDaemon::demo_server("demo", "")
    ))
    .await;
    let first = daemon
        .wait_state("demo", ServerState::Ready, READY_TIMEOUT)
        .await;
    let old_pid = first.pid.unwrap();
    let mut events = Box::pin(daemon.client.events().await.unwrap());
    rustix::process::kill_process(
        rustix::process::Pid::from_raw(old_pid as i32).unwrap(),
        Signal::KILL,
    )
    .unwrap();
    let states = tokio::time::timeout(Duration::from_secs(15), async {
        let mut states = Vec::new();
        while let Some(Ok(event)) = events.next().await {
            if let Event::Server(view) = event
                && view.name == "demo"
            {
                states.push(view.state);
                if view.state == ServerState::Ready && view.pid.is_some_and(|p| p != old_pid) {
                    return states;
                }
            }
        }
        panic!("the event stream ended")
    })
    .await
    .expect("the server did not come back within 15 s");
    let backoff = states.iter().position(|s| *s == ServerState::Backoff);
    assert!(backoff.is_some(), "no backoff on the way back: {states:?}");
    let log = std::fs::read_to_string(daemon.data_dir().join("logs/servers/demo.log")).unwrap();
    assert!(log.contains("retrying in"), "{log}");
}

/// Runs for a minute: a command that exits at once is spawned at most 7 times in its first
/// 60 s (the backoff's equal jitter from 1 s puts the attempts at 0, ≥0.5, ≥1.5, ≥3.5, ≥7.5,
/// ≥15.5 and ≥31.5 s; the 8th at ≥63.5 s), while a healthy server next to it keeps answering
/// calls.
#[tokio::test]
async fn a_crash_loop_backs_off_and_the_others_keep_serving() {
    let dir = crate::support::daemon::temp_data_dir();
    let spawns = dir.path().join("spawns");
    let config = format!(
        "listen = \"127.0.0.1:0\"\n{demo}\n[servers.crashy]\ncommand = \"sh\"\nargs = [\"-c\", \"echo spawned >> '{spawns}'; exit 1\"]\n",
        demo = TestDaemon::demo_server("demo", ""),
        spawns = spawns.display(),
    );
    std::fs::write(dir.path().join("config.toml"), config).unwrap();
    let started = Instant::now();
    let daemon = TestDaemon::start_in(dir, &[]).await;
    daemon
        .wait_state("demo", ServerState::Ready, READY_TIMEOUT)
        .await;
    let call = ToolCall {
        tool: "demo:echo".into(),
        arguments: serde_json::json!({"message": "still here"})
            .as_object()
            .unwrap()
            .clone(),
    };
    let minute = Duration::from_secs(60);
    while started.elapsed() < minute {
        let result = daemon.client.call_tool(&call).await.unwrap();
        assert!(!result.is_error);
        // Paces the calls (this waits for no condition); the last pause ends at the minute,
        // so the count below is of the first 60 s, well before an 8th spawn could come.
        let left = minute.saturating_sub(started.elapsed());
        tokio::time::sleep(left.min(Duration::from_secs(2))).await;
    }
    let count = std::fs::read_to_string(&spawns).unwrap().lines().count();
    let counted_at = started.elapsed();
    assert!(
        (3..=7).contains(&count),
        "spawned {count} times in the first {counted_at:?}"
    );
    let crashy = daemon
        .client
        .get::<mcpproxy_daemon::protocol::ServerView>("/servers/crashy")
        .await
        .unwrap();
    assert!(
        matches!(crashy.state, ServerState::Backoff | ServerState::Connecting),
        "{crashy:?}"
    );
    assert!(crashy.last_error.unwrap_or_default().contains("exited"));
}
