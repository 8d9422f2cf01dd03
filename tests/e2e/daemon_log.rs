//! The daemon's own log, as attached clients read it: the tail over the API, and new lines
//! as events on the stream.

use std::time::Duration;

use futures_util::StreamExt as _;
use mcpproxy_daemon::protocol::{Event, LogTail};

use crate::support::{TestDaemon, wait_until};

#[tokio::test]
async fn the_daemons_log_is_served_as_a_tail_and_followed_as_events() {
    let daemon = TestDaemon::start("listen = \"\"\n").await;
    // The file is written by a background worker: the line may land just after the daemon
    // answers.
    let tail: LogTail = wait_until(Duration::from_secs(10), "the ready line in the log", || {
        let client = daemon.client.clone();
        async move {
            let tail: LogTail = client.get("/logs?tail=50").await.ok()?;
            tail.lines
                .iter()
                .any(|l| l.text.contains("mcpproxy daemon ready"))
                .then_some(tail)
        }
    })
    .await;
    assert_eq!(tail.server, None);

    let mut events = daemon.client.events().await.unwrap();
    std::fs::write(
        daemon.data_dir().join("config.toml"),
        "listen = \"\"\n# an edit\n",
    )
    .unwrap();
    let line = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(event) = events.next().await {
            let lines = match event.unwrap() {
                Event::Log(line) => vec![line],
                Event::Logs { lines } => lines,
                _ => continue,
            };
            if let Some(line) = lines
                .into_iter()
                .find(|l| l.server.is_none() && l.text.contains("config changed on disk"))
            {
                return line;
            }
        }
        panic!("the event stream ended");
    })
    .await
    .expect("the reload's log line as an event");
    assert_eq!(line.level, mcpproxy_daemon::protocol::LogLevel::Info);
}
