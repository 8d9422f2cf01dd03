//! The activity log's writer: finished calls go into a channel on the call path (no disk
//! there), and one task writes whatever has gathered in one durable transaction at a time
//! (a batch per commit, so a burst of calls costs a few fsyncs, not one each).

use std::sync::Arc;

use tokio::sync::mpsc;

use super::Store;
use crate::protocol::Activity;

/// Finished calls the store keeps; the oldest give way.
pub const ACTIVITY_KEPT: usize = 100_000;

/// Calls written in one transaction at most.
const BATCH: usize = 512;

/// Where finished calls are recorded; cheap to clone.
#[derive(Debug, Clone)]
pub struct ActivityLog {
    store: Arc<Store>,
    calls: mpsc::UnboundedSender<Activity>,
}

impl ActivityLog {
    /// Starts the writer task on the current runtime; it ends when every handle is dropped.
    pub fn start(store: Arc<Store>) -> Self {
        let (calls, mut received) = mpsc::unbounded_channel::<Activity>();
        let writer_store = Arc::clone(&store);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(BATCH);
            while received.recv_many(&mut batch, BATCH).await > 0 {
                let store = Arc::clone(&writer_store);
                let calls = std::mem::take(&mut batch);
                // A durable commit waits for the disk: off the runtime.
                let written = tokio::task::spawn_blocking(move || {
                    store.append_activity(&calls, ACTIVITY_KEPT)
                })
                .await;
                match written {
                    Ok(Ok(())) => {}
                    Ok(Err(error)) => {
                        tracing::warn!(%error, "calls were not written to the activity log");
                    }
                    Err(error) => tracing::warn!(%error, "the activity log's writer stopped"),
                }
            }
        });
        Self { store, calls }
    }

    /// Records a finished call (written shortly after, with the calls around it).
    pub fn record(&self, call: Activity) {
        let _ = self.calls.send(call);
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }
}
