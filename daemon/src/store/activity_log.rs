//! The activity log's writer. On the call path a finished call costs one `write(2)` to the
//! journal ([`super::activity_journal`]) and a channel send, both under one mutex; a writer
//! thread takes whatever has gathered over [`GATHER`], rotates the journal under the same
//! mutex, and commits the batch to the database in one durable transaction (at most a
//! commit and an fsync every 50 ms whatever the call rate, none of them on the call path).

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};

use super::activity_journal::Journal;
use super::{Store, StoreError};
use crate::config::ActivityConfig;
use crate::protocol::Activity;

/// How many finished calls the database keeps, and from when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub keep: u64,
    /// Calls that ended before this give way.
    pub oldest: Option<Timestamp>,
}

impl Retention {
    /// What `settings` keep, as of now.
    pub fn of(settings: &ActivityConfig) -> Self {
        let age = SignedDuration::try_from(settings.max_age).unwrap_or(SignedDuration::MAX);
        Self {
            keep: settings.keep,
            oldest: Timestamp::now().checked_sub(age).ok(),
        }
    }
}

/// Where finished calls are recorded; cheap to clone.
#[derive(Debug, Clone)]
pub struct ActivityLog {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    store: Arc<Store>,
    recording: AtomicBool,
    settings: Mutex<ActivityConfig>,
    /// Held while a call is journaled and sent, and while the writer takes a batch and
    /// rotates: every call in a rotated journal is in a batch taken by then.
    sink: Mutex<Sink>,
    /// How many calls the database holds of those sent, so a reader can wait for the ones
    /// recorded before it asked (a call listed right after it ended is there).
    committed: Mutex<u64>,
    commits: Condvar,
}

#[derive(Debug)]
struct Sink {
    journal: Journal,
    calls: mpsc::Sender<Activity>,
    /// Calls sent to the writer so far.
    sent: u64,
    /// Whether a failed journal write was reported already (once until one succeeds).
    reported: bool,
}

impl ActivityLog {
    /// Commits what the journal `journal` holds from an earlier run (see
    /// [`ActivityLog::replayed`]), then starts the writer thread; it ends when every handle
    /// is dropped. Blocking.
    pub fn open(
        store: Arc<Store>,
        journal: &Path,
        settings: ActivityConfig,
    ) -> Result<Self, StoreError> {
        let journal_error = |e: std::io::Error| StoreError::Write {
            path: journal.to_path_buf(),
            detail: e.to_string(),
        };
        let mut journal = Journal::open(journal).map_err(journal_error)?;
        let (calls, unreadable) = journal.uncommitted().map_err(journal_error)?;
        if unreadable > 0 {
            tracing::warn!(
                unreadable,
                "lines of the activity journal did not parse (a write cut short by a crash); \
                 they were left out"
            );
        }
        store.append_activity(&calls, Retention::of(&settings))?;
        journal.clear().map_err(journal_error)?;
        let (sender, received) = mpsc::channel();
        let shared = Arc::new(Shared {
            store,
            recording: AtomicBool::new(settings.record),
            settings: Mutex::new(settings),
            sink: Mutex::new(Sink {
                journal,
                calls: sender,
                sent: 0,
                reported: false,
            }),
            committed: Mutex::new(0),
            commits: Condvar::new(),
        });
        let weak = Arc::downgrade(&shared);
        std::thread::Builder::new()
            .name("activity-writer".to_owned())
            .spawn(move || write_batches(&weak, &received))
            .map_err(|e| StoreError::Write {
                path: shared.store.path().to_path_buf(),
                detail: format!("cannot start the activity log's writer: {e}"),
            })?;
        Ok(Self { shared })
    }

    /// Whether finished calls are recorded (`[activity] record`).
    pub fn is_recording(&self) -> bool {
        self.shared.recording.load(Ordering::Relaxed)
    }

    /// Applies a reloaded `[activity]` table; retention takes effect with the next batch.
    pub fn configure(&self, settings: ActivityConfig) {
        self.shared
            .recording
            .store(settings.record, Ordering::Relaxed);
        *lock(&self.shared.settings) = settings;
    }

    /// Records a finished call: in the journal when this returns (so it outlives a crash of
    /// the daemon), in the database shortly after, with the calls around it.
    pub fn record(&self, call: Activity) {
        if !self.is_recording() {
            return;
        }
        let mut line = super::encode(&call);
        line.push(b'\n');
        let mut sink = lock(&self.shared.sink);
        match sink.journal.append(&line) {
            Ok(()) => sink.reported = false,
            Err(error) if !sink.reported => {
                sink.reported = true;
                tracing::warn!(%error, "cannot append to the activity journal; calls are recorded without it until a write succeeds");
            }
            Err(_) => {}
        }
        // The writer outlives every handle's sends: it ends only once they are gone.
        if sink.calls.send(call).is_ok() {
            sink.sent += 1;
        }
    }

    /// Waits (at most `limit`) until every call recorded before now is in the database, so
    /// a listing made right after a call shows it. Blocking.
    pub fn wait_committed(&self, limit: Duration) {
        let wanted = lock(&self.shared.sink).sent;
        let deadline = Instant::now() + limit;
        let mut committed = lock(&self.shared.committed);
        while *committed < wanted {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            committed = self
                .shared
                .commits
                .wait_timeout(committed, left)
                .map_or_else(|e| e.into_inner().0, |(guard, _)| guard);
        }
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.shared.store
    }
}

/// How long the writer lets calls gather after the first before it commits them. The
/// journal already keeps them through a crash, so waiting costs nothing but the moment they
/// show in listings. Committing as soon as a call arrived made a commit, an fsync and a
/// journal rotation per call at C=1, and `benches/activity_overhead.sh` measured 150 µs
/// more at p50 than with the log off (the appends on the call path wait behind the file
/// system's metadata and journal work, and the writer takes CPU from a 2-core machine).
const GATHER: Duration = Duration::from_millis(50);

/// The writer thread: waits for a call, lets more gather, takes them all (rotating the
/// journal), commits them, forgets their journal. A failed commit keeps its batch (and the
/// rotated journal) for the next one.
#[expect(
    clippy::disallowed_methods,
    reason = "the writer's own thread paces its commits; nothing else runs on it"
)]
fn write_batches(shared: &Weak<Shared>, received: &mpsc::Receiver<Activity>) {
    let mut batch = Vec::new();
    while let Ok(first) = received.recv() {
        batch.push(first);
        std::thread::sleep(GATHER);
        let Some(shared) = shared.upgrade() else {
            return;
        };
        let rotated = {
            let mut sink = lock(&shared.sink);
            batch.extend(received.try_iter());
            sink.journal.rotate()
        };
        if let Err(error) = &rotated {
            tracing::warn!(%error, "cannot rotate the activity journal");
        }
        let retention = Retention::of(&lock(&shared.settings));
        match shared.store.append_activity(&batch, retention) {
            Ok(()) => {
                *lock(&shared.committed) += batch.len() as u64;
                shared.commits.notify_all();
                batch.clear();
                if rotated.is_ok()
                    && let Err(error) = lock(&shared.sink).journal.committed()
                {
                    tracing::warn!(%error, "cannot remove the committed activity journal");
                }
            }
            Err(error) => {
                tracing::warn!(%error, calls = batch.len(), "calls were not written to the activity log; retrying with the next ones");
            }
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding one of these leaves nothing half-written that matters.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
