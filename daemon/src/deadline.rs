//! Points in time computed from durations that may come from outside (the config, a client).
//! `Instant + Duration` panics when the sum does not fit; these saturate instead, to a point
//! so far ahead that it never comes.

use std::time::{Duration, Instant};

/// How far ahead "never" is: decades, which every platform's `Instant` can hold.
const FAR: Duration = Duration::from_secs(30 * 365 * 24 * 60 * 60);

/// `start + wait`, or "never" when that does not fit.
pub fn after(start: Instant, wait: Duration) -> Instant {
    start
        .checked_add(wait)
        .or_else(|| start.checked_add(FAR))
        // Not reached: an `Instant` can hold decades ahead of now on every platform.
        .unwrap_or(start)
}

/// `now + wait`, or "never".
pub fn from_now(wait: Duration) -> Instant {
    after(Instant::now(), wait)
}

/// [`from_now`] for tokio's clock.
pub fn tokio_from_now(wait: Duration) -> tokio::time::Instant {
    tokio::time::Instant::from_std(from_now(wait))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_wait_saturates_instead_of_panicking() {
        let now = Instant::now();
        assert_eq!(
            after(now, Duration::from_secs(5)),
            now + Duration::from_secs(5)
        );
        let never = after(now, Duration::MAX);
        assert!(never > now + Duration::from_secs(365 * 24 * 60 * 60));
        assert!(tokio_from_now(Duration::MAX) > tokio::time::Instant::now());
    }
}
