//! Reloads the config when its file changes on disk: a hand edit, `config import`, or an
//! edit by another tool takes effect without a restart. The directory is watched rather
//! than the file, so atomic replacements (write + rename) are seen too.
//!
//! Only changes to the content count (data written, the file created, renamed or removed).
//! Opening, reading or closing it does not: the reload itself reads the file, and a watcher
//! that woke on reads would reload forever.

use std::path::Path;
use std::time::Duration;

use notify::event::ModifyKind;
use notify::{EventKind, RecursiveMode, Watcher as _};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::warn;

use super::Daemon;

/// Whether an event can mean the file now says something else.
fn changes_content(kind: EventKind) -> bool {
    match kind {
        EventKind::Access(_) | EventKind::Modify(ModifyKind::Metadata(_)) => false,
        EventKind::Create(_)
        | EventKind::Remove(_)
        | EventKind::Modify(_)
        | EventKind::Any
        | EventKind::Other => true,
    }
}

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
            && changes_content(event.kind)
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

#[cfg(test)]
mod tests {
    use notify::event::{AccessKind, AccessMode, CreateKind, DataChange, MetadataKind, RenameMode};

    use super::*;

    #[test]
    fn reads_and_metadata_are_not_changes() {
        for kind in [
            EventKind::Access(AccessKind::Open(AccessMode::Any)),
            EventKind::Access(AccessKind::Read),
            EventKind::Access(AccessKind::Close(AccessMode::Read)),
            EventKind::Access(AccessKind::Close(AccessMode::Write)),
            EventKind::Modify(ModifyKind::Metadata(MetadataKind::AccessTime)),
        ] {
            assert!(!changes_content(kind), "{kind:?}");
        }
        for kind in [
            EventKind::Modify(ModifyKind::Data(DataChange::Any)),
            EventKind::Modify(ModifyKind::Name(RenameMode::To)),
            EventKind::Create(CreateKind::File),
            EventKind::Remove(notify::event::RemoveKind::File),
        ] {
            assert!(changes_content(kind), "{kind:?}");
        }
    }
}
