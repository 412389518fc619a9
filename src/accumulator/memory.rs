//! `buffer.memory` accounting: callers reserve bytes for a new batch and block
//! (without spinning) until enough is released or their deadline passes.

use parking_lot::{Condvar, Mutex};
use std::time::Instant;

/// A byte budget shared by all caller threads and the sender thread.
#[derive(Debug)]
pub(crate) struct BufferPool {
    total: usize,
    used: Mutex<usize>,
    freed: Condvar,
}

impl BufferPool {
    pub(crate) fn new(total: usize) -> Self {
        BufferPool {
            total,
            used: Mutex::new(0),
            freed: Condvar::new(),
        }
    }

    /// The whole budget.
    pub(crate) fn total(&self) -> usize {
        self.total
    }

    /// Bytes reserved now.
    pub(crate) fn used(&self) -> usize {
        *self.used.lock()
    }

    /// Reserves `n` bytes, waiting until `deadline` (`None`: do not wait).
    /// Returns false when the room did not come in time. `n` larger than the
    /// whole budget never fits and fails at once.
    pub(crate) fn reserve(&self, n: usize, deadline: Option<Instant>) -> bool {
        if n > self.total {
            return false;
        }
        let mut used = self.used.lock();
        loop {
            if *used + n <= self.total {
                *used += n;
                return true;
            }
            let Some(d) = deadline else { return false };
            if self.freed.wait_until(&mut used, d).timed_out() && *used + n > self.total {
                return false;
            }
        }
    }

    /// Gives `n` bytes back and wakes blocked callers.
    pub(crate) fn release(&self, n: usize) {
        if n == 0 {
            return;
        }
        let mut used = self.used.lock();
        *used = used.saturating_sub(n);
        drop(used);
        self.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn reserve_blocks_until_release_or_deadline() {
        let pool = Arc::new(BufferPool::new(100));
        assert!(pool.reserve(60, None));
        assert!(!pool.reserve(50, None));
        let t0 = Instant::now();
        assert!(!pool.reserve(50, Some(t0 + Duration::from_millis(30))));
        assert!(t0.elapsed() >= Duration::from_millis(30));
        let p2 = pool.clone();
        let waiter = std::thread::spawn(move || {
            p2.reserve(50, Some(Instant::now() + Duration::from_secs(5)))
        });
        std::thread::sleep(Duration::from_millis(20));
        pool.release(60);
        assert!(waiter.join().unwrap());
        assert_eq!(pool.used(), 50);
        assert!(!pool.reserve(101, Some(Instant::now() + Duration::from_secs(5))));
    }
}
