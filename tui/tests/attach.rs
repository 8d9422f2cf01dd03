//! Attaching as the TUI does, from a crate that cannot see the engine (the daemon crate
//! without its `server` feature): start a daemon on a fresh data dir, read the snapshot, see
//! a server change arrive as an event, see `goodbye` with the reason when the daemon goes
//! away, and attach again to the daemon that follows.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../tests/shared/binary.rs"]
mod binary;
#[path = "../../tests/shared/provision.rs"]
mod provision;

use std::time::Duration;

use futures_util::StreamExt as _;
use mcpproxy_daemon::client::attach::{self, Attach, Attached, StartDaemon};
use mcpproxy_daemon::client::{EventStream, ServerAction};
use mcpproxy_daemon::paths::Paths;
use mcpproxy_daemon::protocol::{Event, GoodbyeReason, PROTOCOL_VERSION, ServerState};

const EVENT_WAIT: Duration = Duration::from_secs(60);

/// The next event that `pick` accepts, skipping others; fails after [`EVENT_WAIT`].
async fn next_matching<T>(events: &mut EventStream, mut pick: impl FnMut(Event) -> Option<T>) -> T {
    tokio::time::timeout(EVENT_WAIT, async {
        while let Some(event) = events.next().await {
            if let Some(found) = pick(event.expect("a well-formed event")) {
                return found;
            }
        }
        panic!("the event stream ended first");
    })
    .await
    .expect("the awaited event within the deadline")
}

async fn attach_or_start(paths: &Paths) -> Attached {
    Attach::new(paths.clone())
        .starting(StartDaemon {
            exe: binary::mcpproxy_binary(),
            listen: None,
            log_level: None,
        })
        .connect()
        .await
        .expect("attach")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attach_follow_goodbye_and_attach_again() {
    let dir = tempfile::Builder::new().prefix("mp").tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        "listen = \"\"\n[servers.demo]\nbuiltin = \"demo\"\n",
    )
    .unwrap();
    let paths = Paths::new(dir.path().to_path_buf(), None, None);

    let first = attach_or_start(&paths).await;
    assert!(first.started, "no daemon ran, so attaching started one");
    assert_eq!(first.status.protocol_version, PROTOCOL_VERSION);
    let mut events = first.events().await.unwrap();
    let snapshot = next_matching(&mut events, |e| match e {
        Event::Snapshot(state) => Some(state),
        _ => None,
    })
    .await;
    assert_eq!(snapshot.status.pid, first.status.pid);
    assert!(snapshot.servers.iter().any(|s| s.name == "demo"));

    first
        .client
        .server_action("demo", ServerAction::Disable)
        .await
        .unwrap();
    next_matching(&mut events, |e| match e {
        Event::Server(view) if view.name == "demo" && view.state == ServerState::Disabled => {
            Some(())
        }
        _ => None,
    })
    .await;

    let stopping = tokio::spawn({
        let paths = paths.clone();
        async move { attach::stop(&paths, GoodbyeReason::Restart).await }
    });
    let goodbye = next_matching(&mut events, |e| match e {
        Event::Goodbye(goodbye) => Some(goodbye),
        _ => None,
    })
    .await;
    assert_eq!(goodbye.reason, GoodbyeReason::Restart);
    assert!(goodbye.reason.comes_back());
    assert!(
        tokio::time::timeout(EVENT_WAIT, events.next())
            .await
            .unwrap()
            .is_none(),
        "goodbye is the last event"
    );
    let stopped = stopping.await.unwrap().unwrap();
    assert_eq!(stopped, Some(first.status.pid));

    let second = attach_or_start(&paths).await;
    assert!(second.started);
    assert_ne!(second.status.pid, first.status.pid);
    let mut events = second.events().await.unwrap();
    let snapshot = next_matching(&mut events, |e| match e {
        Event::Snapshot(state) => Some(state),
        _ => None,
    })
    .await;
    let demo = snapshot.servers.iter().find(|s| s.name == "demo").unwrap();
    assert_eq!(
        demo.state,
        ServerState::Disabled,
        "the disable was saved to the config"
    );

    assert_eq!(
        attach::stop(&paths, GoodbyeReason::Shutdown).await.unwrap(),
        Some(second.status.pid)
    );
}
