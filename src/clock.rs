//! Time, from a clock tests can drive.
//!
//! The sender never calls `Instant::now()` itself: it asks a [`Clock`], and
//! so do caller threads when they stamp a new batch (its `linger.ms` and
//! `delivery.timeout.ms` count from then) and when `close` computes its
//! deadline. The producer uses [`SystemClock`] unless given another one
//! ([`ProducerBuilder::clock`](crate::ProducerBuilder::clock)); stepped
//! tests use [`ManualClock`] and move time forward explicitly, so retry and
//! timeout logic is tested without sleeping. How long a caller *blocks*
//! (`max.block.ms`, `send_timeout`, `wait_timeout`) is real time: those
//! waits are on condition variables.
//!
//! Durations at the edges: every deadline the producer computes saturates
//! ([`saturating_add`]) instead of overflowing, so `Duration::MAX` (or
//! `u64::MAX` milliseconds) for any timeout, backoff or interval means "in
//! a hundred years", not a panic.

use parking_lot::Mutex;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

/// A source of the current time.
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> Instant;

    /// Registers `wake`, to be called whenever this clock jumps forward on
    /// its own accord (a [`ManualClock`] being advanced), so that a sender
    /// thread sleeping until an instant of this clock looks at the time
    /// again. A producer registers its sender's waker here. The default
    /// does nothing: a real clock needs no wake-ups.
    fn on_advance(&self, wake: Weak<dyn Fn() + Send + Sync>) {
        let _ = wake;
    }
}

/// Longest span a deadline is put ahead: about a hundred years, i.e. never.
pub const FAR_FUTURE: Duration = Duration::from_secs(100 * 365 * 24 * 60 * 60);

/// `t + d`, saturating: a `d` that is too large for an `Instant` (or longer
/// than [`FAR_FUTURE`]) gives `t + FAR_FUTURE`, never a panic.
///
/// # Examples
///
/// ```
/// use kafka_sync::clock::{saturating_add, FAR_FUTURE};
/// use std::time::{Duration, Instant};
///
/// let now = Instant::now();
/// assert_eq!(saturating_add(now, Duration::from_secs(1)), now + Duration::from_secs(1));
/// assert_eq!(saturating_add(now, Duration::MAX), now + FAR_FUTURE);
/// ```
pub fn saturating_add(t: Instant, d: Duration) -> Instant {
    t.checked_add(d.min(FAR_FUTURE))
        .or_else(|| t.checked_add(Duration::from_secs(365 * 24 * 60 * 60)))
        .unwrap_or(t)
}

/// The real monotonic clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// Callbacks to run when a [`ManualClock`] moves (held weakly).
type Wakers = Arc<Mutex<Vec<Weak<dyn Fn() + Send + Sync>>>>;

/// A clock that only moves when told to. Clones share the same time.
///
/// A producer built with it ([`ProducerBuilder::clock`](crate::ProducerBuilder::clock))
/// is woken whenever the clock is advanced, so its sender thread sees the
/// new time at once.
#[derive(Clone)]
pub struct ManualClock {
    now: Arc<Mutex<Instant>>,
    wakers: Wakers,
}

impl std::fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManualClock")
            .field("now", &*self.now.lock())
            .finish_non_exhaustive()
    }
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
            wakers: Arc::default(),
        }
    }

    /// Moves time forward by `d` (saturating, see [`saturating_add`]).
    pub fn advance(&self, d: Duration) {
        {
            let mut now = self.now.lock();
            *now = saturating_add(*now, d);
        }
        self.wake();
    }

    /// Moves time forward to `t` (no effect if `t` is in the past).
    pub fn advance_to(&self, t: Instant) {
        {
            let mut now = self.now.lock();
            if t <= *now {
                return;
            }
            *now = t;
        }
        self.wake();
    }

    /// Calls the registered wakers (dropping those whose owner is gone).
    fn wake(&self) {
        let wakers: Vec<_> = {
            let mut wakers = self.wakers.lock();
            wakers.retain(|w| w.strong_count() > 0);
            wakers.iter().filter_map(Weak::upgrade).collect()
        };
        for wake in wakers {
            wake();
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        *self.now.lock()
    }

    fn on_advance(&self, wake: Weak<dyn Fn() + Send + Sync>) {
        self.wakers.lock().push(wake);
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

    #[test]
    fn manual_clock_wakes_registered_wakers_while_they_live() {
        let c = ManualClock::new();
        let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = count.clone();
        let wake: Arc<dyn Fn() + Send + Sync> = Arc::new(move || {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        });
        c.on_advance(Arc::downgrade(&wake));
        c.advance(Duration::from_millis(1));
        let t = c.now();
        c.advance_to(t); // not forward: no wake-up
        c.advance_to(t + Duration::from_millis(1));
        assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 2);
        drop(wake);
        c.advance(Duration::from_millis(1));
        assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 2);
    }

    #[test]
    fn saturating_add_never_panics() {
        let now = Instant::now();
        for d in [
            Duration::ZERO,
            FAR_FUTURE,
            Duration::from_millis(u64::MAX),
            Duration::MAX,
        ] {
            let t = saturating_add(now, d);
            assert!(t >= now && t <= now + FAR_FUTURE);
        }
    }
}
