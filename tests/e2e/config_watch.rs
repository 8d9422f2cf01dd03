//! The config watcher reacts to changes of the file's content, not to reads of it: one edit
//! is one reload and nothing reads the file afterwards; a broken file is refused once, and
//! is not refused (or logged) again while its text stays the same. Refusals never show what
//! `env` or `headers` hold.

use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{Stream, StreamExt as _};
use mcpproxy_daemon::client::ClientError;
use mcpproxy_daemon::protocol::Event;
use notify::event::{AccessKind, EventKind};
use notify::{RecursiveMode, Watcher as _};

use crate::support::TestDaemon;

type Events = Pin<Box<dyn Stream<Item = Result<Event, ClientError>> + Send>>;

/// How long the watcher is given to (not) do something after an edit. The tests sleep for
/// it: what they check is that nothing happens in that time.
const QUIET: Duration = Duration::from_secs(3);

/// Counts every time anyone opens `file` (the daemon reading it included).
struct OpenCounter {
    opens: Arc<AtomicUsize>,
    _watcher: notify::RecommendedWatcher,
}

impl OpenCounter {
    fn watch(file: &Path) -> Self {
        let opens = Arc::new(AtomicUsize::new(0));
        let name = file.file_name().unwrap().to_owned();
        let counted = Arc::clone(&opens);
        let mut watcher =
            notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
                if let Ok(event) = event
                    && matches!(event.kind, EventKind::Access(AccessKind::Open(_)))
                    && event
                        .paths
                        .iter()
                        .any(|p| p.file_name() == Some(name.as_os_str()))
                {
                    counted.fetch_add(1, Ordering::SeqCst);
                }
            })
            .unwrap();
        watcher
            .watch(file.parent().unwrap(), RecursiveMode::NonRecursive)
            .unwrap();
        Self {
            opens,
            _watcher: watcher,
        }
    }

    fn count(&self) -> usize {
        self.opens.load(Ordering::SeqCst)
    }
}

/// Collects the config events of the daemon's stream in the background.
fn collect_config_events(mut events: Events) -> Arc<Mutex<Vec<Event>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let keep = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Some(Ok(event)) = events.next().await {
            if matches!(
                event,
                Event::ConfigReloaded { .. } | Event::ConfigError { .. }
            ) {
                keep.lock().unwrap().push(event);
            }
        }
    });
    seen
}

fn reloads(seen: &Mutex<Vec<Event>>) -> usize {
    let seen = seen.lock().unwrap();
    seen.iter()
        .filter(|e| matches!(e, Event::ConfigReloaded { .. }))
        .count()
}

fn refusals(seen: &Mutex<Vec<Event>>) -> usize {
    let seen = seen.lock().unwrap();
    seen.iter()
        .filter(|e| matches!(e, Event::ConfigError { .. }))
        .count()
}

async fn start() -> (TestDaemon, PathBuf, Arc<Mutex<Vec<Event>>>) {
    let daemon = TestDaemon::start("listen = \"127.0.0.1:0\"\n").await;
    let config = daemon.data_dir().join("config.toml");
    let events: Events = Box::pin(daemon.client.events().await.unwrap());
    let seen = collect_config_events(events);
    (daemon, config, seen)
}

/// Waits (up to 10 s) until `count` reaches `at_least`.
async fn until(what: &str, at_least: usize, count: impl Fn() -> usize) {
    crate::support::wait_until(Duration::from_secs(10), what, || {
        let reached = count() >= at_least;
        async move { reached.then_some(()) }
    })
    .await;
}

#[tokio::test]
async fn one_edit_is_one_reload_and_nothing_reads_the_file_after_it() {
    let (_daemon, config, seen) = start().await;
    let opens = OpenCounter::watch(&config);
    std::fs::write(&config, "listen = \"127.0.0.1:0\"\nrouting = \"direct\"\n").unwrap();
    until("the reload", 1, || reloads(&seen)).await;
    // The reload read the file; from here on nobody should.
    let after_reload = opens.count();
    tokio::time::sleep(QUIET).await;
    let reads = opens.count() - after_reload;
    assert_eq!(
        reads, 0,
        "the config was opened {reads} times in {QUIET:?} after one reload"
    );
    assert_eq!(reloads(&seen), 1, "one edit, {} reloads", reloads(&seen));
}

#[tokio::test]
async fn an_unchanged_broken_file_is_refused_once_and_its_secrets_are_not_shown() {
    let (daemon, config, seen) = start().await;
    let broken = "listen = \"127.0.0.1:0\"\n[servers.a]\ncommand = \"x\"\nenv = { TOKEN = \"s3cret-value\", PORT = 80 }\n";
    std::fs::write(&config, broken).unwrap();
    until("the refusal", 1, || refusals(&seen)).await;
    tokio::time::sleep(QUIET).await;
    assert_eq!(
        refusals(&seen),
        1,
        "one broken edit, {} refusals",
        refusals(&seen)
    );

    // The same text written again, and the file touched: nothing new to say.
    std::fs::write(&config, broken).unwrap();
    let file = std::fs::File::options().append(true).open(&config).unwrap();
    file.set_modified(std::time::SystemTime::now()).unwrap();
    tokio::time::sleep(QUIET).await;
    assert_eq!(refusals(&seen), 1, "the same broken text was refused again");

    let problems = daemon.status().await.config_problems;
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].line, 4, "{problems:?}");
    assert!(!problems[0].message.contains("s3cret"), "{problems:?}");
    let log = std::fs::read_to_string(daemon.data_dir().join("logs/mcpproxy.log")).unwrap();
    assert_eq!(log.matches("was refused").count(), 1, "{log}");
    assert!(
        !log.contains("s3cret"),
        "the refusal showed a secret:\n{log}"
    );
    assert!(log.contains("env = ***"), "{log}");
}
