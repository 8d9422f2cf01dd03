//! The config file is watched: hand edits and `config import` apply without a restart, each
//! announced by a `config_reloaded` event; a broken edit is refused with a `config_error`
//! event that locates the problem, the running servers stay as they were, the file is left
//! as written, and `status` shows where it is broken until it is fixed.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;
use std::pin::Pin;
use std::time::Duration;

use futures_util::{Stream, StreamExt as _};
use mcpproxy_daemon::client::ClientError;
use mcpproxy_daemon::protocol::{ConfigProblem, Event, ServerState};

use crate::support::{TestDaemon, peers};

const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// How long an edit may take to be noticed and applied (the watcher debounces 150 ms).
const RELOAD_TIMEOUT: Duration = Duration::from_secs(10);

type Events = Pin<Box<dyn Stream<Item = Result<Event, ClientError>> + Send>>;

/// The daemon's event stream, past its first snapshot.
async fn subscribe(daemon: &TestDaemon) -> Events {
    let mut events: Events = Box::pin(daemon.client.events().await.unwrap());
    match tokio::time::timeout(RELOAD_TIMEOUT, events.next()).await {
        Ok(Some(Ok(Event::Snapshot(_)))) => events,
        other => panic!("expected a snapshot first, got {other:?}"),
    }
}

/// Reads events until `pick` returns `Some`; fails naming `what` after [`RELOAD_TIMEOUT`],
/// or when the stream ends, fails or lags (a lag may have swallowed the event).
async fn next_event<T>(
    events: &mut Events,
    what: &str,
    mut pick: impl FnMut(&Event) -> Option<T>,
) -> T {
    let wait = async {
        loop {
            match events.next().await {
                Some(Ok(Event::Lagged { missed })) => {
                    panic!("the event stream lagged ({missed} missed) while waiting for {what}")
                }
                Some(Ok(event)) => {
                    if let Some(found) = pick(&event) {
                        return found;
                    }
                }
                Some(Err(error)) => panic!("the event stream failed waiting for {what}: {error}"),
                None => panic!("the event stream ended waiting for {what}"),
            }
        }
    };
    tokio::time::timeout(RELOAD_TIMEOUT, wait)
        .await
        .unwrap_or_else(|_| panic!("timed out after {RELOAD_TIMEOUT:?} waiting for {what}"))
}

/// Waits for the `config_reloaded` of `config`; a `config_error` on the way fails the test.
async fn reloaded(events: &mut Events, config: &Path, what: &str) {
    let path = next_event(events, what, |event| match event {
        Event::ConfigReloaded { path } => Some(path.clone()),
        Event::ConfigError { problems } => panic!("{what}: refused with {problems:?}"),
        _ => None,
    })
    .await;
    assert_eq!(path, config, "{what}");
}

/// Each server's name, state and pid, as the daemon lists them.
async fn running(daemon: &TestDaemon) -> BTreeMap<String, (ServerState, Option<u32>)> {
    let list = daemon.client.servers().await.unwrap();
    list.servers
        .into_iter()
        .map(|s| (s.name, (s.state, s.pid)))
        .collect()
}

/// `mcpproxy status --json`, parsed.
fn status_json(daemon: &TestDaemon) -> serde_json::Value {
    let output = daemon.cli(&["status", "--json"]);
    assert!(output.status.success(), "{output:?}");
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Appends `text` to `file` the way an editor or `cat >>` would: in place, not atomically.
fn append(file: &Path, text: &str) {
    let mut config = std::fs::OpenOptions::new().append(true).open(file).unwrap();
    config.write_all(text.as_bytes()).unwrap();
}

#[tokio::test]
async fn hand_edits_apply_and_a_broken_edit_is_refused_until_fixed() {
    let daemon = TestDaemon::start(&format!(
        "listen = \"127.0.0.1:0\"\n{}",
        TestDaemon::demo_server("demo", "")
    ))
    .await;
    let demo = daemon
        .wait_state("demo", ServerState::Ready, READY_TIMEOUT)
        .await;
    let config = daemon.data_dir().join("config.toml");
    let mut events = subscribe(&daemon).await;

    // (a) A server appended by hand starts, and the reload is announced.
    append(
        &config,
        &format!("\n{}", TestDaemon::demo_server("added", "")),
    );
    reloaded(&mut events, &config, "the reload after adding a server").await;
    let added = daemon
        .wait_state("added", ServerState::Ready, READY_TIMEOUT)
        .await;
    let before = running(&daemon).await;
    assert_eq!(
        before.get("demo"),
        Some(&(ServerState::Ready, demo.pid)),
        "a server the edit did not touch was restarted: {before:?}"
    );
    assert_eq!(before.get("added"), Some(&(ServerState::Ready, added.pid)));

    // (b) A broken edit (a misspelt key) is refused with its location; the running servers
    // and the file stay as they are.
    let good = std::fs::read_to_string(&config).unwrap();
    let broken = format!("{good}enabeld = false\n");
    let broken_line = u32::try_from(broken.lines().count()).unwrap();
    std::fs::write(&config, &broken).unwrap();
    let problems: Vec<ConfigProblem> =
        next_event(&mut events, "the config_error", |event| match event {
            Event::ConfigError { problems } => Some(problems.clone()),
            Event::ConfigReloaded { .. } => panic!("the broken config was applied"),
            _ => None,
        })
        .await;
    let [problem] = problems.as_slice() else {
        panic!("expected one problem, got {problems:?}");
    };
    assert_eq!(problem.file, config, "{problem:?}");
    assert_eq!(
        (problem.line, problem.column),
        (broken_line, 1),
        "{problem:?}"
    );
    assert_eq!(
        problem.key.as_deref(),
        Some("servers.added.enabeld"),
        "{problem:?}"
    );
    assert!(problem.message.contains("unknown key"), "{problem:?}");
    assert_eq!(
        running(&daemon).await,
        before,
        "a refused config changed the running servers"
    );
    assert_eq!(
        std::fs::read_to_string(&config).unwrap(),
        broken,
        "a refused config must leave the file as written"
    );
    // The standing error is in `status`, for scripts and for people, until the file is fixed.
    let status = status_json(&daemon);
    let shown = &status["config_problems"][0];
    assert_eq!(shown["file"], config.display().to_string(), "{status}");
    assert_eq!(shown["line"], broken_line, "{status}");
    assert_eq!(shown["column"], 1, "{status}");
    assert!(
        shown["message"].as_str().unwrap().contains("unknown key"),
        "{status}"
    );
    let text = daemon.cli(&["status"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains(&format!("{}:{broken_line}:1: ", config.display())),
        "status does not show where the config is broken:\n{text}"
    );

    // (c) The fix applies: the added server is switched off, the other one is untouched.
    std::fs::write(&config, format!("{good}enabled = false\n")).unwrap();
    reloaded(&mut events, &config, "the reload after the fix").await;
    let status = status_json(&daemon);
    assert!(status.get("config_problems").is_none(), "{status}");
    daemon
        .wait_state("added", ServerState::Disabled, READY_TIMEOUT)
        .await;
    assert_eq!(
        running(&daemon).await.get("demo"),
        Some(&(ServerState::Ready, demo.pid))
    );
}

#[tokio::test]
async fn config_import_into_a_running_daemon_applies_quarantined() {
    let daemon = TestDaemon::start(&format!(
        "listen = \"127.0.0.1:0\"\n{}",
        TestDaemon::demo_server("demo", "")
    ))
    .await;
    daemon
        .wait_state("demo", ServerState::Ready, READY_TIMEOUT)
        .await;
    let config = daemon.data_dir().join("config.toml");
    let mut events = subscribe(&daemon).await;

    let fixture = peers::fixture("import/claude_desktop_config.json");
    let import = daemon.cli(&["config", "import", "--json", fixture.to_str().unwrap()]);
    assert!(
        import.status.success(),
        "{}",
        String::from_utf8_lossy(&import.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&import.stdout).unwrap();
    let added: Vec<String> = report["added"]
        .as_array()
        .unwrap()
        .iter()
        .map(|name| name.as_str().unwrap().to_owned())
        .collect();
    for name in ["memory", "puppeteer"] {
        assert!(added.iter().any(|a| a == name), "{name} in {report}");
    }

    reloaded(&mut events, &config, "the reload after the import").await;
    for name in &added {
        let view = daemon
            .wait_state(name, ServerState::Quarantined, RELOAD_TIMEOUT)
            .await;
        assert!(view.quarantined, "{view:?}");
        assert_eq!(view.pid, None, "a quarantined server was started: {view:?}");
    }
    assert_eq!(
        daemon
            .client
            .servers()
            .await
            .unwrap()
            .servers
            .iter()
            .find(|s| s.name == "demo")
            .map(|s| s.state),
        Some(ServerState::Ready),
        "the import disturbed a running server"
    );
}
