//! Locks whose data stays usable after a panic.
//!
//! The daemon's mutexes guard plain tables and views that every holder replaces or updates
//! in one step, so a holder that panicked cannot have left them half-written; recovering the
//! guard keeps one failed task from taking the rest of the daemon down with it.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks `mutex`, recovering it if a holder panicked.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
