//! Reloads the config when its file changes on disk: a hand edit, `config import`, or an
//! edit by another tool takes effect without a restart. The directory is watched rather
//! than the file, so atomic replacements (write + rename) are seen too.

use std::path::Path;
use std::time::Duration;

use notify::{RecursiveMode, Watcher as _};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::warn;

use super::Daemon;

/// Editors write in bursts; one reload after the burst is enough.
const DEBOUNCE: Duration = Duration::from_millis(150);

/// Watches the daemon's config file until `stop`. Returns at once (with a warning) when the
/// platform cannot watch files.
pub async fn watch(daemon: Daemon, stop: CancellationToken) {
    let path = daemon.config().path.clone();
    let (Some(dir), Some(file_name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let file_name = file_name.to_owned();
    let (changed_tx, mut changed) = mpsc::unbounded_channel();
    let handler = move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event
            && event
                .paths
                .iter()
                .any(|p| p.file_name() == Some(file_name.as_os_str()))
        {
            let _ = changed_tx.send(());
        }
    };
    let mut watcher = match notify::recommended_watcher(handler) {
        Ok(watcher) => watcher,
        Err(e) => return warn!(error = %e, "cannot watch the config file; edits apply on restart"),
    };
    if let Err(e) = watcher.watch(Path::new(dir), RecursiveMode::NonRecursive) {
        return warn!(error = %e, dir = %dir.display(), "cannot watch the config dir; edits apply on restart");
    }
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            received = changed.recv() => if received.is_none() { return },
        }
        // Swallow the rest of the burst.
        while tokio::time::timeout(DEBOUNCE, changed.recv())
            .await
            .is_ok_and(|r| r.is_some())
        {}
        let _ = daemon.reload_config().await;
    }
}
