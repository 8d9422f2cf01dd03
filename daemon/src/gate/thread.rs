//! The one thread every gate pass runs on.
//!
//! Passes are blocking (the review stage reads and writes the store, the index commits a
//! tantivy segment), and a daemon that connects ten servers at once delivers ten catalogs at
//! once. On tokio's blocking pool each would get a thread of its own, and each of those
//! threads its own glibc malloc arena, which keeps what the pass freed (the scanner's
//! buffers, the 4 MiB term table of the index's segment writer) for the life of the process:
//! 20-odd MiB of a daemon that should hold 20. One thread, fed in order, keeps one arena
//! and lets the index's short-lived writer threads reuse one more; catalogs are small and a
//! pass takes milliseconds, so queueing costs a server a few milliseconds at start-up.

use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};

type Job = Box<dyn FnOnce() + Send>;

/// A lazily started worker thread running jobs in the order they were sent. The thread ends
/// when this value is dropped.
#[derive(Default)]
pub struct GateThread {
    jobs: OnceLock<Mutex<mpsc::Sender<Job>>>,
}

impl std::fmt::Debug for GateThread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GateThread").finish_non_exhaustive()
    }
}

/// Why the gate's thread gave no result.
#[derive(Debug, thiserror::Error)]
pub enum GateThreadError {
    #[error("a stage of the catalog gate panicked")]
    Panicked,
    #[error("cannot start the catalog gate's thread: {0}")]
    NotStarted(String),
}

impl GateThread {
    /// Queues `job` on the thread at once, after the jobs sent before it; the future waits
    /// for its result without blocking the runtime.
    pub fn run<T, F>(&self, job: F) -> impl Future<Output = Result<T, GateThreadError>> + use<T, F>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let (done, result) = tokio::sync::oneshot::channel();
        let sent = self.send(Box::new(move || {
            // The caller may have gone away meanwhile; then nobody wants the result.
            let _ = done.send(job());
        }));
        async move {
            sent?;
            result.await.map_err(|_| GateThreadError::Panicked)
        }
    }

    fn send(&self, job: Job) -> Result<(), GateThreadError> {
        let sender = match self.jobs.get() {
            Some(sender) => sender,
            None => {
                let started = start()?;
                // Two first callers may race: one thread wins, the loser's ends at once
                // when its sender is dropped here.
                self.jobs.get_or_init(|| Mutex::new(started))
            }
        };
        sender
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .send(job)
            .map_err(|_| GateThreadError::Panicked)
    }
}

fn start() -> Result<mpsc::Sender<Job>, GateThreadError> {
    let (sender, jobs) = mpsc::channel::<Job>();
    std::thread::Builder::new()
        .name("catalog-gate".into())
        .spawn(move || {
            for job in jobs {
                // A stage that panics fails its own pass (its caller gets an error), not
                // every pass after it.
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
            }
        })
        .map_err(|e| GateThreadError::NotStarted(e.to_string()))?;
    Ok(sender)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn jobs_run_in_order_on_one_thread() {
        let thread = GateThread::default();
        let log = std::sync::Arc::new(Mutex::new(Vec::new()));
        let mut waits = Vec::new();
        for i in 0..20 {
            let log = std::sync::Arc::clone(&log);
            waits.push(thread.run(move || {
                log.lock().unwrap().push((i, std::thread::current().id()));
            }));
        }
        // Awaited last first: the order is the order of sending, not of waiting.
        for wait in waits.into_iter().rev() {
            wait.await.unwrap();
        }
        let log = log.lock().unwrap();
        assert_eq!(
            log.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
            (0..20).collect::<Vec<_>>()
        );
        assert!(log.iter().all(|(_, id)| *id == log[0].1));
        assert_ne!(log[0].1, std::thread::current().id());
    }

    #[tokio::test]
    async fn a_panicking_job_fails_its_caller_and_not_the_next() {
        let thread = GateThread::default();
        assert!(thread.run(|| panic!("a stage failed")).await.is_err());
        assert_eq!(thread.run(|| 7).await.unwrap(), 7);
    }
}
