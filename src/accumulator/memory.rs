//! `buffer.memory` accounting: callers reserve bytes for a new batch and block
//! (without spinning) until enough is released or their deadline passes.

use crate::wait::Bound;
use parking_lot::{Condvar, Mutex};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// A byte budget shared by all caller threads and the sender thread, and a
/// free list of batch buffers.
///
/// Reusing buffers keeps the allocator out of the hot path and keeps memory
/// from piling up in per-thread malloc arenas (callers allocate batches, the
/// sender frees them). Free buffers are kept only while reserved bytes plus
/// free buffers fit in the budget, so buffers never hold more than
/// `buffer.memory` in all.
#[derive(Debug)]
pub(crate) struct BufferPool {
    total: usize,
    used: Mutex<usize>,
    freed: Condvar,
    free: Mutex<FreeList>,
    /// Nanoseconds callers spent blocked waiting for room, in all.
    wait_ns: AtomicU64,
}

#[derive(Debug, Default)]
struct FreeList {
    buffers: Vec<Vec<u8>>,
    bytes: usize,
}

/// Most buffers kept on the free list.
const MAX_FREE_BUFFERS: usize = 64;

impl BufferPool {
    pub(crate) fn new(total: usize) -> Self {
        BufferPool {
            total,
            used: Mutex::new(0),
            freed: Condvar::new(),
            free: Mutex::new(FreeList::default()),
            wait_ns: AtomicU64::new(0),
        }
    }

    /// A cleared buffer of at least `n` bytes: a free one of a similar size,
    /// or a new one.
    pub(crate) fn take_buffer(&self, n: usize) -> Vec<u8> {
        {
            let mut free = self.free.lock();
            if let Some(i) = free
                .buffers
                .iter()
                .position(|b| b.capacity() >= n && b.capacity() <= n.saturating_mul(2))
            {
                let mut b = free.buffers.swap_remove(i);
                free.bytes -= b.capacity();
                b.clear();
                return b;
            }
        }
        Vec::with_capacity(n)
    }

    /// Offers a buffer no longer needed for reuse; kept only if the free list
    /// and the reserved bytes still fit in the budget.
    pub(crate) fn give_buffer(&self, buf: Vec<u8>) {
        let cap = buf.capacity();
        if cap == 0 {
            return;
        }
        let used = *self.used.lock();
        let mut free = self.free.lock();
        if free.buffers.len() < MAX_FREE_BUFFERS && used + free.bytes + cap <= self.total {
            free.bytes += cap;
            free.buffers.push(buf);
        }
    }

    /// Drops free buffers until reserved bytes plus free buffers fit.
    fn trim(&self, used: usize) {
        let mut free = self.free.lock();
        while used + free.bytes > self.total {
            match free.buffers.pop() {
                Some(b) => free.bytes -= b.capacity(),
                None => break,
            }
        }
    }

    /// The whole budget.
    pub(crate) fn total(&self) -> usize {
        self.total
    }

    /// Nanoseconds callers spent blocked waiting for room, in all
    /// (`bufferpool-wait-time-ns-total`).
    pub(crate) fn wait_ns(&self) -> u64 {
        self.wait_ns.load(Ordering::Relaxed)
    }

    /// Bytes reserved now.
    pub(crate) fn used(&self) -> usize {
        *self.used.lock()
    }

    /// [`reserve_by`](Self::reserve_by) with a fixed deadline (tests).
    #[cfg(test)]
    pub(crate) fn reserve(&self, n: usize, deadline: Option<Instant>) -> bool {
        self.reserve_by(n, || deadline)
    }

    /// Reserves `n` bytes, waiting until the deadline `deadline()` gives,
    /// asked for only if the bytes are not free at once (`None`: no
    /// deadline, wait as long as it takes — as a metadata wait does; a
    /// deadline now or in the past does not wait). Returns false when the
    /// room did not come in time. `n` larger than the whole budget never
    /// fits and fails at once.
    fn reserve_by(&self, n: usize, deadline: impl FnOnce() -> Option<Instant>) -> bool {
        if n > self.total {
            return false;
        }
        let mut used = self.used.lock();
        let mut waited: Option<Instant> = None;
        let mut ask = Some(deadline);
        let mut deadline = None;
        let result = loop {
            if *used + n <= self.total {
                *used += n;
                let now_used = *used;
                drop(used);
                self.trim(now_used);
                break true;
            }
            waited.get_or_insert_with(Instant::now);
            if let Some(ask) = ask.take() {
                deadline = ask();
            }
            match deadline {
                None => self.freed.wait(&mut used),
                Some(d) => {
                    if self.freed.wait_until(&mut used, d).timed_out() && *used + n > self.total {
                        break false;
                    }
                }
            }
        };
        if let Some(since) = waited {
            let ns = u64::try_from(since.elapsed().as_nanos()).unwrap_or(u64::MAX);
            self.wait_ns.fetch_add(ns, Ordering::Relaxed);
        }
        result
    }

    /// Reserves `n` bytes within `bound`, whose clock is read only if the
    /// bytes are not free at once.
    pub(crate) fn reserve_within(&self, n: usize, bound: &Bound) -> bool {
        self.reserve_by(n, || bound.deadline())
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
        assert!(!pool.reserve(50, Some(Instant::now())));
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

#[cfg(test)]
mod no_deadline_tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    /// `None` is "no deadline" here as in `ClusterView::wait_for_topic`:
    /// it waits for room rather than failing at once.
    #[test]
    fn no_deadline_waits_for_room_like_a_metadata_wait() {
        let pool = Arc::new(BufferPool::new(100));
        assert!(pool.reserve(80, None));
        let p2 = pool.clone();
        let waiter = std::thread::spawn(move || p2.reserve(50, None));
        std::thread::sleep(Duration::from_millis(30));
        assert!(!waiter.is_finished(), "gave up without a deadline");
        pool.release(80);
        assert!(waiter.join().unwrap(), "got the room once released");
        assert!(
            !pool.reserve(60, Some(Instant::now())),
            "a deadline now does not wait"
        );
    }
}

#[cfg(test)]
mod free_list_tests {
    use super::*;

    #[test]
    fn buffers_are_reused_within_the_budget() {
        let pool = BufferPool::new(1000);
        assert!(pool.reserve(400, None));
        let b = pool.take_buffer(300);
        let ptr = b.as_ptr();
        pool.release(400);
        pool.give_buffer(b);
        let again = pool.take_buffer(250);
        assert_eq!(again.as_ptr(), ptr, "the freed buffer is reused");
        assert!(again.capacity() >= 250 && again.is_empty());
        // Not kept when reserved bytes plus free buffers would exceed the budget.
        assert!(pool.reserve(900, None));
        pool.give_buffer(again);
        let fresh = pool.take_buffer(250);
        assert_ne!(fresh.as_ptr(), ptr);
    }
}
