//! The crate's one source of (non-cryptographic) randomness: backoff
//! jitter, the sticky partitioner's choices, the sender's choice of a
//! bootstrap server. Nonces for SCRAM come from the OS (`getrandom`) instead.

use std::cell::Cell;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hash, Hasher};

/// Marsaglia's xorshift64: small, fast, and good enough for jitter and
/// spreading load.
#[derive(Debug, Clone)]
pub(crate) struct XorShift64(u64);

impl XorShift64 {
    /// A generator from `seed` (reproducible).
    pub(crate) fn new(seed: u64) -> Self {
        // The state must never be zero.
        XorShift64(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }

    /// The next value.
    pub(crate) fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// Uniform in `[0, 1)`.
    pub(crate) fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A seed that differs per call, thread and process (std's random hasher
/// keys, the thread id and the time).
pub(crate) fn seed() -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    std::thread::current().id().hash(&mut hasher);
    if let Ok(now) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        now.as_nanos().hash(&mut hasher);
    }
    hasher.finish()
}

/// The next value of this thread's generator.
pub(crate) fn next_u64() -> u64 {
    thread_local! {
        static STATE: Cell<u64> = Cell::new(XorShift64::new(seed()).0);
    }
    STATE.with(|state| {
        let mut g = XorShift64(state.get());
        let x = g.next_u64();
        state.set(g.0);
        x
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_spread_and_a_zero_seed_still_moves() {
        let mut g = XorShift64::new(0);
        let a = g.next_u64();
        assert_ne!(a, g.next_u64());
        let f = g.next_f64();
        assert!((0.0..1.0).contains(&f));
        assert_ne!(next_u64(), next_u64());
    }
}
