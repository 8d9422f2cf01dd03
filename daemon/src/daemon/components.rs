//! The daemon's running parts, started in a declared order and stopped in reverse.
//!
//! A part is a task with its own cancellation token: stopping it cancels the token and waits
//! for the task, up to the part's bound, then aborts it. Stopping in reverse means the parts
//! started last — the doors — stop first, so no request reaches a part that has already
//! stopped: the listeners drain, then the proxy and the config watcher end, then the
//! upstream servers are stopped.

use std::future::Future;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

struct Part {
    name: &'static str,
    stop: CancellationToken,
    bound: Duration,
    task: JoinHandle<()>,
}

/// The started parts, in start order.
pub struct Components {
    parts: Vec<Part>,
    ended_tx: mpsc::UnboundedSender<&'static str>,
    ended: mpsc::UnboundedReceiver<&'static str>,
}

impl std::fmt::Debug for Components {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.parts.iter().map(|p| p.name))
            .finish()
    }
}

impl Default for Components {
    fn default() -> Self {
        let (ended_tx, ended) = mpsc::unbounded_channel();
        Self {
            parts: Vec::new(),
            ended_tx,
            ended,
        }
    }
}

impl Components {
    /// Starts a part: `run` gets the part's own token and must return soon after it is
    /// cancelled; `bound` is how long its stop may take before it is aborted.
    pub fn start<F, Fut>(&mut self, name: &'static str, bound: Duration, run: F)
    where
        F: FnOnce(CancellationToken) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let stop = CancellationToken::new();
        let running = run(stop.clone());
        let ended = self.ended_tx.clone();
        let task = tokio::spawn(async move {
            running.await;
            let _ = ended.send(name);
        });
        self.parts.push(Part {
            name,
            stop,
            bound,
            task,
        });
    }

    /// Resolves with the name of the first part that ends on its own (a listener that
    /// failed, say): the daemon cannot run without it.
    pub async fn first_ended(&mut self) -> &'static str {
        match self.ended.recv().await {
            Some(name) => name,
            // Not reached: `self` holds a sender.
            None => std::future::pending().await,
        }
    }

    /// Stops every part, the last started first, each within its bound.
    pub async fn stop(self) {
        for part in self.parts.into_iter().rev() {
            part.stop.cancel();
            let abort = part.task.abort_handle();
            if tokio::time::timeout(part.bound, part.task).await.is_err() {
                warn!(
                    part = part.name,
                    "did not stop within {:?}; aborted", part.bound
                );
                abort.abort();
            } else {
                info!(part = part.name, "stopped");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[tokio::test]
    async fn parts_stop_in_reverse_order_and_a_stuck_one_is_aborted() {
        let stopped = Arc::new(Mutex::new(Vec::new()));
        let mut components = Components::default();
        for name in ["store", "upstreams", "listeners"] {
            let stopped = Arc::clone(&stopped);
            components.start(name, Duration::from_secs(5), move |stop| async move {
                stop.cancelled().await;
                stopped.lock().unwrap_or_else(|e| e.into_inner()).push(name);
            });
        }
        components.start("stuck", Duration::from_millis(50), |_stop| {
            std::future::pending::<()>()
        });
        components.stop().await;
        let order = stopped.lock().unwrap_or_else(|e| e.into_inner()).clone();
        assert_eq!(order, ["listeners", "upstreams", "store"]);
    }

    #[tokio::test]
    async fn a_part_that_ends_by_itself_is_reported() {
        let mut components = Components::default();
        components.start("idle", Duration::from_secs(1), |stop| async move {
            stop.cancelled().await;
        });
        components.start("listener", Duration::from_secs(1), |_stop| async {});
        assert_eq!(components.first_ended().await, "listener");
        components.stop().await;
    }
}
