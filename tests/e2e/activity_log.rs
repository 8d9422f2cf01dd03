//! The activity log on the real binary: calls are recorded in the store with redacted
//! previews, listed by `mcpproxy activity list` (and `GET /api/v1/activity`) with filters,
//! shown, summed up and exported, kept across a daemon restart and across a `kill -9`, and
//! new calls get new ids after it. A call whose client goes away ends `cancelled`.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use mcpproxy_daemon::protocol::{
    Activity, ActivityList, ActivitySummary, CallOutcome, Event, ServerState, ToolCall,
};

use crate::support::pipes::{LineReader, NextLine};
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
    // Listed as soon as they ended: a listing waits for the calls recorded before it.
    let at_once = listed(&daemon, &[]);
    assert_eq!(at_once.activity.len(), 2, "{at_once:#?}");
    let before = wait_for_calls(&daemon, 2).await;
    assert_eq!(before.activity[0].tool, "echo", "newest first");
    assert!(before.activity.iter().all(|c| c.outcome == CallOutcome::Ok));

    // One call in full: its previews, a secret in its arguments redacted.
    let key = format!("{}{}", "AKIA", "Z7Q3XW5RTY2UOPL4");
    call(
        &daemon,
        "demo:echo",
        &format!(r#"{{"message": "deploy with {key}"}}"#),
    );
    let newest = wait_for_calls(&daemon, 3).await.activity[0].clone();
    let output = daemon.cli(&["--json", "activity", "show", &newest.id.to_string()]);
    assert!(output.status.success(), "{output:?}");
    let shown: Activity = serde_json::from_slice(&output.stdout).unwrap();
    let arguments = shown.arguments.clone().unwrap_or_default();
    assert!(
        arguments.contains("[redacted aws_access_key]") && !arguments.contains(&key),
        "{shown:#?}"
    );
    let result = shown.result.clone().unwrap_or_default();
    assert!(
        result.contains("deploy with") && !result.contains(&key),
        "{shown:#?}"
    );
    let text = daemon.cli(&["activity", "show", &newest.id.to_string()]);
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    assert!(text.contains("arguments (secrets redacted)"), "{text}");
    let missing = daemon.cli(&["activity", "show", "999999"]);
    assert!(!missing.status.success(), "{missing:?}");

    let output = daemon.cli(&[
        "--json", "activity", "summary", "--by", "tool", "--since", "1h",
    ]);
    assert!(output.status.success(), "{output:?}");
    let summary: ActivitySummary = serde_json::from_slice(&output.stdout).unwrap();
    let counted: Vec<(&str, u64, u64)> = summary
        .groups
        .iter()
        .map(|g| (g.key.as_str(), g.calls, g.errors))
        .collect();
    assert_eq!(counted, [("demo:echo", 2, 0), ("demo:calculate", 1, 0)]);
    assert!(
        summary
            .groups
            .iter()
            .all(|g| g.p50_ms.is_some() && g.p95_ms.is_some())
    );

    let csv = daemon.cli(&["activity", "export", "--format", "csv", "--tool", "echo"]);
    let csv = String::from_utf8_lossy(&csv.stdout).into_owned();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[0].starts_with("id,at,client,server,tool"), "{csv}");
    assert!(
        lines[1].contains("[redacted aws_access_key]") && !csv.contains(&key),
        "{csv}"
    );
    let jsonl = daemon.cli(&["activity", "export"]);
    let exported: Vec<Activity> = String::from_utf8_lossy(&jsonl.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(exported.len(), 3);

    let calculate = listed(&daemon, &["--tool", "calculate"]);
    assert_eq!(calculate.activity.len(), 1);
    assert_eq!(calculate.activity[0].server, "demo");
    let text = daemon.cli(&["activity", "list", "--server", "demo"]);
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    assert!(
        text.contains("demo:calculate") && text.contains("demo:echo"),
        "{text}"
    );

    let before = listed(&daemon, &[]);
    daemon.signal_and_wait(rustix::process::Signal::TERM, Duration::from_secs(20));
    let daemon = TestDaemon::start_in(daemon.into_dir(), &[]).await;
    let after = listed(&daemon, &[]);
    assert_eq!(after.activity, before.activity, "kept across the restart");

    daemon
        .wait_state("demo", ServerState::Ready, Duration::from_secs(60))
        .await;
    call(&daemon, "demo:calculate", r#"{"expression": "1+1"}"#);
    let newest = wait_for_calls(&daemon, 4).await;
    let last_before = before.activity.iter().map(|c| c.id).max().unwrap();
    assert!(newest.activity[0].id > last_before, "{newest:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_whose_client_goes_away_ends_cancelled() {
    let config = TestDaemon::demo_server("demo", "");
    let daemon = TestDaemon::start(&config).await;
    daemon
        .wait_state("demo", ServerState::Ready, Duration::from_secs(60))
        .await;
    // `activity watch` follows the calls; it is following once it prints a first one.
    let mut watch = crate::support::daemon::mcpproxy(daemon.data_dir())
        .arg("--data-dir")
        .arg(daemon.data_dir())
        .args(["--json", "activity", "watch", "--server", "demo"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let watched = LineReader::new(watch.stdout.take().unwrap());
    let following = Instant::now() + Duration::from_secs(30);
    loop {
        call(&daemon, "demo:echo", r#"{"message": "are you there"}"#);
        match watched.next_line(Duration::from_millis(500)) {
            NextLine::Line(_) => break,
            NextLine::End => panic!("activity watch ended"),
            NextLine::TimedOut => assert!(Instant::now() < following, "activity watch is silent"),
        }
    }

    let mut events = daemon.client.events().await.unwrap();
    let client = daemon.client.clone();
    let started_at = Instant::now();
    let pending = tokio::spawn(async move {
        let mut arguments = serde_json::Map::new();
        arguments.insert("seconds".into(), 30.into());
        client
            .call_tool(&ToolCall {
                tool: "demo:slow".into(),
                arguments,
            })
            .await
    });
    let started = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(event) = events.next().await {
            if let Ok(Event::Activity(call)) = event
                && call.tool == "slow"
                && call.outcome == CallOutcome::Started
            {
                return call;
            }
        }
        panic!("the event stream ended before the call started");
    })
    .await
    .expect("the slow call to start");
    // The client goes away: its request, and the connection under it, are dropped.
    pending.abort();
    let client = daemon.client.clone();
    let recorded: Activity = wait_until(
        Duration::from_secs(15),
        "the abandoned call to be recorded",
        || {
            let client = client.clone();
            async move { client.activity_call(started.id).await.ok() }
        },
    )
    .await;
    assert_eq!(recorded.outcome, CallOutcome::Cancelled, "{recorded:#?}");
    // The watch saw it start and end.
    let mut seen = Vec::new();
    while !seen.contains(&CallOutcome::Cancelled) {
        match watched.next_line(Duration::from_secs(10)) {
            NextLine::Line(line) => {
                let call: Activity = serde_json::from_str(&line).unwrap();
                if call.id == started.id {
                    seen.push(call.outcome);
                }
            }
            other => panic!("activity watch stopped before the end of the call: {other:?}"),
        }
    }
    assert_eq!(seen, [CallOutcome::Started, CallOutcome::Cancelled]);
    crate::support::kill_and_reap(&mut watch);
    assert!(
        started_at.elapsed() < Duration::from_secs(30),
        "ended when the client left, not when the tool answered"
    );
}

/// Every call recorded on a daemon, by the message of its (echo) arguments.
async fn recorded_messages(daemon: &TestDaemon) -> HashSet<String> {
    let mut messages = HashSet::new();
    let mut before: Option<u64> = None;
    loop {
        let mut query = vec![("limit", "10000".to_owned()), ("tool", "echo".to_owned())];
        if let Some(before) = before {
            query.push(("before", before.to_string()));
        }
        let page = daemon.client.activity(&query).await.unwrap();
        for call in &page.activity {
            let arguments: serde_json::Value =
                serde_json::from_str(call.arguments.as_deref().unwrap_or("null")).unwrap();
            if let Some(message) = arguments["message"].as_str() {
                messages.insert(message.to_owned());
            }
        }
        match page.activity.last() {
            Some(last) if page.activity.len() == 10_000 => before = Some(last.id),
            _ => return messages,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answered_call_outlives_a_kill_9_of_the_daemon() {
    const ROUNDS: usize = 20;
    const CALLS: usize = 1_000;
    const CLIENTS: usize = 16;
    let started = Instant::now();
    let config = TestDaemon::demo_server("demo", "");
    let mut daemon = TestDaemon::start(&config).await;
    let mut answered: Vec<String> = Vec::new();
    for round in 0..ROUNDS {
        daemon
            .wait_state("demo", ServerState::Ready, Duration::from_secs(60))
            .await;
        let this_round = Arc::new(Mutex::new(Vec::new()));
        let next = Arc::new(AtomicUsize::new(0));
        let clients: Vec<_> = (0..CLIENTS)
            .map(|_| {
                let (client, this_round, next) = (
                    daemon.client.clone(),
                    Arc::clone(&this_round),
                    Arc::clone(&next),
                );
                tokio::spawn(async move {
                    loop {
                        let n = next.fetch_add(1, Ordering::Relaxed);
                        if n >= CALLS {
                            return;
                        }
                        let message = format!("round {round} call {n}");
                        let mut arguments = serde_json::Map::new();
                        arguments.insert("message".into(), message.clone().into());
                        let call = ToolCall {
                            tool: "demo:echo".into(),
                            arguments,
                        };
                        match client.call_tool(&call).await {
                            Ok(result) if !result.is_error => {
                                this_round.lock().unwrap().push(message);
                            }
                            // The daemon is gone: this client's calls end here.
                            _ => return,
                        }
                    }
                })
            })
            .collect();
        // The kill lands at a different point of the round each time: before the first
        // commit, between batches, during one.
        let kill_after = 50 + (round * 389) % 850;
        let counted = Arc::clone(&this_round);
        wait_until(
            Duration::from_secs(30),
            &format!("{kill_after} answered calls in round {round}"),
            || {
                let enough = counted.lock().unwrap().len() >= kill_after;
                async move { enough.then_some(()) }
            },
        )
        .await;
        daemon.signal_and_wait(rustix::process::Signal::KILL, Duration::from_secs(10));
        for client in clients {
            client.await.unwrap();
        }
        answered.extend(this_round.lock().unwrap().drain(..));
        // Starting again is opening the store cleanly (a damaged one stops the start).
        daemon = TestDaemon::start_in(daemon.into_dir(), &[]).await;
        let recorded = recorded_messages(&daemon).await;
        let lost: Vec<&String> = answered.iter().filter(|m| !recorded.contains(*m)).collect();
        assert!(
            lost.is_empty(),
            "round {round}: {} of {} answered calls are not in the activity log, such as {:?}",
            lost.len(),
            answered.len(),
            lost.iter().take(5).collect::<Vec<_>>()
        );
    }
    eprintln!(
        "{} answered calls over {ROUNDS} kills, all recorded, in {:.1?}",
        answered.len(),
        started.elapsed()
    );
}
