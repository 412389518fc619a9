//! Time, from a clock tests can drive.
//!
//! The sender never calls `Instant::now()` itself: it asks a [`Clock`]. The
//! producer uses [`SystemClock`]; stepped tests use [`ManualClock`] and move
//! time forward explicitly, so retry and timeout logic is tested without
//! sleeping.

use parking_lot::Mutex;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A source of the current time.
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> Instant;
}

/// The real monotonic clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// A clock that only moves when told to. Clones share the same time.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<Instant>>,
}

impl Default for ManualClock {
    fn default() -> Self {
        ManualClock::new()
    }
}

impl ManualClock {
    /// A manual clock starting at the real current instant.
    pub fn new() -> Self {
        ManualClock {
            now: Arc::new(Mutex::new(Instant::now())),
        }
    }

    /// Moves time forward by `d`.
    pub fn advance(&self, d: Duration) {
        *self.now.lock() += d;
    }

    /// Moves time forward to `t` (no effect if `t` is in the past).
    pub fn advance_to(&self, t: Instant) {
        let mut now = self.now.lock();
        if t > *now {
            *now = t;
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        *self.now.lock()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_forward_and_is_shared() {
        let c = ManualClock::new();
        let c2 = c.clone();
        let t0 = c.now();
        c.advance(Duration::from_millis(5));
        assert_eq!(c2.now() - t0, Duration::from_millis(5));
        c.advance_to(t0);
        assert_eq!(c.now() - t0, Duration::from_millis(5));
    }
}
