//! The activity log on the real binary: calls are recorded in the store, listed by
//! `mcpproxy activity list` (and `GET /api/v1/activity`) with filters, kept across a daemon
//! restart, and new calls get new ids after it.

use std::time::Duration;

use mcpproxy_daemon::protocol::{ActivityList, CallOutcome, ServerState};

use crate::support::{TestDaemon, wait_until};

fn listed(daemon: &TestDaemon, args: &[&str]) -> ActivityList {
    let mut command = vec!["--json", "activity", "list"];
    command.extend_from_slice(args);
    let output = daemon.cli(&command);
    assert!(output.status.success(), "{output:?}");
    serde_json::from_slice(&output.stdout).unwrap()
}

fn call(daemon: &TestDaemon, tool: &str, args: &str) {
    let output = daemon.cli(&["tools", "call", tool, "--args", args]);
    assert!(output.status.success(), "{output:?}");
}

async fn wait_for_calls(daemon: &TestDaemon, count: usize) -> ActivityList {
    let client = daemon.client.clone();
    let what = format!("{count} calls in the activity log");
    wait_until(Duration::from_secs(10), &what, || {
        let client = client.clone();
        async move {
            let list: ActivityList = client.get("/activity").await.ok()?;
            (list.activity.len() >= count).then_some(list)
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_are_listed_with_filters_and_kept_across_a_restart() {
    let config = TestDaemon::demo_server("demo", "");
    let mut daemon = TestDaemon::start(&config).await;
    daemon
        .wait_state("demo", ServerState::Ready, Duration::from_secs(60))
        .await;
    call(&daemon, "demo:calculate", r#"{"expression": "6*7"}"#);
    call(&daemon, "demo:echo", r#"{"message": "hi"}"#);
    let before = wait_for_calls(&daemon, 2).await;
    assert_eq!(before.activity[0].tool, "echo", "newest first");
    assert!(before.activity.iter().all(|c| c.outcome == CallOutcome::Ok));

    let calculate = listed(&daemon, &["--tool", "calculate"]);
    assert_eq!(calculate.activity.len(), 1);
    assert_eq!(calculate.activity[0].server, "demo");
    let text = daemon.cli(&["activity", "list", "--server", "demo"]);
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    assert!(
        text.contains("demo:calculate") && text.contains("demo:echo"),
        "{text}"
    );

    daemon.signal_and_wait(rustix::process::Signal::TERM, Duration::from_secs(20));
    let daemon = TestDaemon::start_in(daemon.into_dir(), &[]).await;
    let after = listed(&daemon, &[]);
    assert_eq!(after.activity, before.activity, "kept across the restart");

    daemon
        .wait_state("demo", ServerState::Ready, Duration::from_secs(60))
        .await;
    call(&daemon, "demo:calculate", r#"{"expression": "1+1"}"#);
    let newest = wait_for_calls(&daemon, 3).await;
    let last_before = before.activity.iter().map(|c| c.id).max().unwrap();
    assert!(newest.activity[0].id > last_before, "{newest:#?}");
}
