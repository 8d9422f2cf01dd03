//! The embedding thread: loads the model, then makes the vectors the catalog is missing, one
//! tool at a time (batches were no faster and took ~1 GB more), at the lowest CPU priority
//! so the daemon's own work goes first.

use std::path::PathBuf;
use std::sync::Arc;

use super::model::Embedder;
use super::{ModelSlot, Shared};

/// What the embedding thread is told.
#[derive(Debug, Default)]
pub struct Signal {
    /// Bumped on every change (for `wait_settled`).
    pub version: u64,
    /// Tools were queued.
    pub work: bool,
    pub stop: bool,
}

/// Stops the embedding thread when the last index handle goes.
#[derive(Debug)]
pub struct StopOnDrop(Arc<Shared>);

impl StopOnDrop {
    pub(super) fn new(shared: Arc<Shared>) -> Self {
        Self(shared)
    }
}

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.lock_signal().stop = true;
        self.0.changed.notify_all();
    }
}

pub(super) fn spawn(shared: Arc<Shared>, dir: PathBuf) {
    let started = std::thread::Builder::new()
        .name("mcpproxy-embed".into())
        .spawn(move || run(&shared, &dir));
    if let Err(error) = started {
        tracing::warn!("cannot start the embedding thread, search stays on words: {error}");
    }
}

fn run(shared: &Shared, dir: &std::path::Path) {
    lower_priority();
    let loaded = Embedder::load(dir);
    let embedder = {
        let mut slot = shared.model.write().unwrap_or_else(|e| e.into_inner());
        match loaded {
            Ok(embedder) => {
                let embedder = Arc::new(embedder);
                *slot = ModelSlot::Ready(embedder.clone());
                embedder
            }
            Err(error) => {
                tracing::info!("search ranks on words only: {error}");
                *slot = ModelSlot::Unavailable(error);
                drop(slot);
                shared.notify(false);
                return;
            }
        }
    };
    shared.notify(false);
    let mut embedded_since_compaction = true;
    loop {
        let job = shared.write_catalog().next_job();
        let Some(job) = job else {
            if std::mem::take(&mut embedded_since_compaction) {
                let live = shared.read_catalog().live_keys();
                shared.cache.keep_only(&live);
            }
            let mut signal = shared.lock_signal();
            while !signal.work && !signal.stop {
                signal = shared
                    .changed
                    .wait(signal)
                    .unwrap_or_else(|e| e.into_inner());
            }
            if signal.stop {
                return;
            }
            signal.work = false;
            continue;
        };
        if shared.lock_signal().stop {
            return;
        }
        match embedder.embed(&job.text) {
            Ok(vector) => {
                embedded_since_compaction = true;
                shared.cache.put(&job.key, &vector);
                shared.write_catalog().store(&job, Arc::from(vector));
                shared.notify(false);
            }
            Err(error) => {
                // A zero vector ranks the tool last by meaning (it is still found by name)
                // and is not cached, so the next start tries again.
                tracing::warn!(tool = %job.id, "cannot embed the tool: {error}");
                let zero: Arc<[f32]> = Arc::from(vec![0.0; super::model::DIMENSIONS]);
                shared.write_catalog().store(&job, zero);
                shared.notify(false);
            }
        }
    }
}

/// Puts this thread at nice 19: embedding is background work.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        // On Linux a thread id is a valid `PRIO_PROCESS` target and affects only this thread.
        let tid = rustix::thread::gettid();
        if let Err(error) = rustix::process::setpriority_process(Some(tid), 19) {
            tracing::debug!("cannot lower the embedding thread's priority: {error}");
        }
    }
}
