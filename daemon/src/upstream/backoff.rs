//! Reconnect delays: exponential with jitter, capped, and forgotten after a stable period.
//!
//! The n-th consecutive failure waits `base · 2^(n-1)`, capped at `max`, of which a random
//! half is jitter ("equal jitter": never less than half the step), so a crowd of servers
//! that failed together does not retry in lock-step, and a crash-looping command is spawned
//! at most 7 times in its first minute (0, ≥0.5, ≥1.5, ≥3.5, ≥7.5, ≥15.5, ≥31.5 s).

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    max: Duration,
    /// A connection that lasted this long resets the failure count.
    stable_after: Duration,
    failures: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Self::new(
            Duration::from_secs(1),
            Duration::from_secs(60),
            Duration::from_secs(60),
        )
    }
}

impl Backoff {
    pub fn new(base: Duration, max: Duration, stable_after: Duration) -> Self {
        Self {
            base,
            max,
            stable_after,
            failures: 0,
        }
    }

    /// Consecutive failures so far.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// Records a failure and returns how long to wait before the next attempt.
    pub fn fail(&mut self) -> Duration {
        self.failures = self.failures.saturating_add(1);
        let step = self
            .base
            .saturating_mul(1u32 << (self.failures - 1).min(16))
            .min(self.max);
        let half = step / 2;
        half + half.mul_f64(random_fraction())
    }

    /// A connection ended after lasting `uptime`: when it was stable, start over.
    pub fn connection_ended(&mut self, uptime: Duration) {
        if uptime >= self.stable_after {
            self.failures = 0;
        }
    }

    pub fn reset(&mut self) {
        self.failures = 0;
    }
}

/// A number in [0, 1) from the OS's random source (jitter needs no cryptographic quality,
/// but this avoids a dependency and a seeding story).
fn random_fraction() -> f64 {
    let mut bytes = [0u8; 4];
    if getrandom::fill(&mut bytes).is_err() {
        return 0.5;
    }
    f64::from(u32::from_le_bytes(bytes)) / (f64::from(u32::MAX) + 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_with_jitter_and_caps() {
        let mut backoff = Backoff::default();
        let mut floor = Duration::from_millis(500);
        for _ in 0..6 {
            let delay = backoff.fail();
            assert!(
                delay >= floor && delay < floor * 2,
                "{delay:?} vs {floor:?}"
            );
            floor *= 2;
        }
        for _ in 0..20 {
            assert!(backoff.fail() <= Duration::from_secs(60));
        }
    }

    #[test]
    fn a_crash_loop_is_spawned_at_most_seven_times_in_a_minute() {
        let mut backoff = Backoff::default();
        let mut elapsed = Duration::ZERO;
        let mut spawns = 0;
        while elapsed < Duration::from_secs(60) {
            spawns += 1;
            elapsed += backoff.fail();
        }
        assert!(spawns <= 7, "{spawns} spawns");
    }

    #[test]
    fn a_stable_connection_resets_the_count() {
        let mut backoff = Backoff::default();
        backoff.fail();
        backoff.fail();
        backoff.connection_ended(Duration::from_secs(5));
        assert_eq!(backoff.failures(), 2);
        backoff.connection_ended(Duration::from_secs(61));
        assert_eq!(backoff.failures(), 0);
    }
}
