//! The tray's link to the daemon: attach as every client does (`client::attach`), follow
//! the event stream until it ends, then wait for a daemon to come back — woken by the
//! control socket appearing (inotify), not by polling.

use std::path::Path;
use std::time::Duration;

use futures_util::StreamExt as _;
use mcpproxy_daemon::client::Client;
use mcpproxy_daemon::client::attach::Attach;
use mcpproxy_daemon::paths::Paths;
use mcpproxy_daemon::protocol::Event;
use tokio::sync::mpsc;

/// How long the tray waits for the socket to appear before trying again anyway (a daemon
/// that answered but could not be attached to, a socket directory that cannot be watched).
const RETRY: Duration = Duration::from_secs(30);

/// What the link and the actions tell the tray's loop.
#[derive(Debug)]
pub enum Message {
    Event(Box<Event>),
    /// The daemon could not be reached, or its stream ended: why.
    Lost(String),
    /// An action went wrong: what to tell the person.
    Notice(String),
    /// Starting a daemon failed: why.
    StartFailed(String),
}

/// Attaches, forwards events, and re-attaches when a daemon comes back, until `tx` closes.
pub async fn follow(paths: Paths, tx: mpsc::Sender<Message>) {
    loop {
        let reason = match Attach::new(paths.clone()).connect().await {
            Ok(attached) => match attached.events().await {
                Ok(mut stream) => {
                    let mut ended = "the daemon closed its event stream".to_owned();
                    while let Some(event) = stream.next().await {
                        match event {
                            Ok(event) => {
                                if tx.send(Message::Event(Box::new(event))).await.is_err() {
                                    return;
                                }
                            }
                            Err(e) => {
                                ended = format!("lost the daemon: {e}");
                                break;
                            }
                        }
                    }
                    ended
                }
                Err(e) => e.to_string(),
            },
            Err(e) => e.to_string(),
        };
        if tx.send(Message::Lost(reason)).await.is_err() {
            return;
        }
        wait_for_daemon(&paths.socket).await;
    }
}

/// Returns when a daemon may answer on `socket`: it is created (or renamed into place), or
/// [`RETRY`] passed.
async fn wait_for_daemon(socket: &Path) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let name = socket.file_name().map(ToOwned::to_owned);
    let watcher = socket.parent().and_then(|dir| {
        use notify::Watcher as _;
        let mut watcher =
            notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
                if let Ok(event) = event
                    && event.paths.iter().any(|p| p.file_name() == name.as_deref())
                {
                    let _ = tx.send(());
                }
            })
            .ok()?;
        watcher
            .watch(dir, notify::RecursiveMode::NonRecursive)
            .ok()?;
        Some(watcher)
    });
    // A daemon may have bound the socket between the failed attach and the watch.
    if Client::socket(socket).status().await.is_ok() {
        return;
    }
    if watcher.is_none() {
        tracing::debug!(socket = %socket.display(), "cannot watch the socket's directory");
    }
    let _ = tokio::time::timeout(RETRY, rx.recv()).await;
    drop(watcher);
}
