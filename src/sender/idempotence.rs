//! Idempotence: the producer id and epoch, and a sequence per partition.
//!
//! Follows the Java client's `TransactionManager` for a non-transactional
//! idempotent producer (KIP-98, KIP-360):
//! - a batch gets its partition's next sequence when first drained, and keeps
//!   it across retries;
//! - UNKNOWN_PRODUCER_ID, INVALID_PRODUCER_EPOCH, and OUT_OF_ORDER_SEQUENCE_NUMBER
//!   for the batch that *should* be next (a real gap: the broker lost our
//!   state) request an **epoch bump**; an out-of-order answer for a batch
//!   behind an unacknowledged one is simply retried (the earlier batch is
//!   being retried too);
//! - a sequenced batch that fails for good (expired, non-retriable) leaves a
//!   hole in the sequence, so it requests a bump as well;
//! - a bump waits until no Produce request is in flight, sends InitProducerId
//!   with the current id and epoch (v3+; older brokers hand out a new id),
//!   then restarts every partition at sequence 0 and re-stamps queued batches;
//! - a sequenced batch that passes `delivery.timeout.ms` while its request is
//!   unanswered fails, but its sequence stays **unresolved**: the request's
//!   answer (or a later batch's acknowledgement) may yet show it written.
//!   Once nothing of that partition is in flight, an unresolved sequence
//!   that no acknowledgement covers is a possible hole: the epoch is bumped
//!   (the Java client's `TransactionManager.markSequenceUnresolved`).

use crate::log_context::LogContext;
use crate::sequence::{next_sequence, sequence_after};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

/// A topic and partition.
pub(crate) type PartitionKey = (Arc<str>, i32);

#[derive(Debug, Clone, Copy)]
struct PartitionSequence {
    next: i32,
    /// Last sequence the broker acknowledged, -1 for none yet.
    last_acked: i32,
}

impl Default for PartitionSequence {
    fn default() -> Self {
        PartitionSequence {
            next: 0,
            last_acked: -1,
        }
    }
}

/// Producer id, epoch and sequences.
#[derive(Debug)]
pub(crate) struct Idempotence {
    pub(crate) producer_id: i64,
    pub(crate) epoch: i16,
    /// An InitProducerId request is in flight.
    pub(crate) requested: bool,
    /// An epoch bump is needed before more batches are sent.
    pub(crate) bump_needed: bool,
    /// The broker refused to bump our epoch: ask for a new producer id instead.
    pub(crate) new_id_instead: bool,
    /// InitProducerId attempts that failed in a row (retriable errors,
    /// lost connections): the next one waits `retry.backoff.ms` doubled
    /// per failure (with jitter, at most `retry.backoff.max.ms`).
    pub(crate) init_failures: u32,
    /// No InitProducerId before this instant (the backoff after a failure).
    pub(crate) init_retry_at: Option<Instant>,
    partitions: HashMap<(Arc<str>, i32), PartitionSequence>,
    /// Per partition, the last batch (first sequence, record count) that
    /// expired while in flight and is not known written or not yet.
    unresolved: HashMap<(Arc<str>, i32), (i32, u32)>,
    /// The producer's log prefix.
    log: LogContext,
}

impl Idempotence {
    pub(crate) fn new(log: LogContext) -> Self {
        Idempotence {
            log,
            producer_id: -1,
            epoch: -1,
            requested: false,
            bump_needed: false,
            new_id_instead: false,
            init_failures: 0,
            init_retry_at: None,
            partitions: HashMap::new(),
            unresolved: HashMap::new(),
        }
    }

    /// A batch of the current stamp starting at `base` with `count` records
    /// expired while in flight: whether it was written is not known yet.
    pub(crate) fn mark_unresolved(
        &mut self,
        topic: &Arc<str>,
        partition: i32,
        base: i32,
        count: u32,
    ) {
        if base < 0 || count == 0 {
            return;
        }
        let entry = self
            .unresolved
            .entry((topic.clone(), partition))
            .or_insert((base, count));
        let last = |(b, c): (i32, u32)| next_sequence(b, c - 1);
        if sequence_after(last(*entry), last((base, count))) {
            *entry = (base, count);
        }
    }

    /// The partitions with an unresolved sequence.
    pub(crate) fn unresolved(&self) -> Vec<(PartitionKey, (i32, u32))> {
        self.unresolved
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect()
    }

    /// The unresolved sequence of a partition is settled (written, or a
    /// bump was requested for it).
    pub(crate) fn resolved(&mut self, key: &(Arc<str>, i32)) {
        self.unresolved.remove(key);
    }

    /// Whether batches may be sealed and sent now.
    pub(crate) fn ready(&self) -> bool {
        self.producer_id >= 0 && !self.bump_needed && !self.requested
    }

    /// Assigns the next sequence of `topic`/`partition` to a batch of `count`
    /// records; returns it.
    pub(crate) fn assign(&mut self, topic: &Arc<str>, partition: i32, count: u32) -> i32 {
        let p = self
            .partitions
            .entry((topic.clone(), partition))
            .or_default();
        let seq = p.next;
        p.next = next_sequence(seq, count);
        seq
    }

    /// A batch starting at `base` with `count` records was acknowledged.
    pub(crate) fn acked(&mut self, topic: &Arc<str>, partition: i32, base: i32, count: u32) {
        if base < 0 || count == 0 {
            return;
        }
        let last = next_sequence(base, count - 1);
        if let Some(p) = self.partitions.get_mut(&(topic.clone(), partition)) {
            // Sequences wrap from i32::MAX to 0; a later batch is "ahead"
            // by less than half of the 2^31 sequence space.
            let ahead = p.last_acked < 0 || sequence_after(p.last_acked, last);
            if ahead {
                p.last_acked = last;
            }
        }
    }

    /// Whether a batch starting at `base` is the next one the broker expects
    /// (everything before it is acknowledged).
    pub(crate) fn is_next(&self, topic: &Arc<str>, partition: i32, base: i32) -> bool {
        let last = self
            .partitions
            .get(&(topic.clone(), partition))
            .map_or(-1, |p| p.last_acked);
        if last < 0 {
            base == 0
        } else {
            next_sequence(last, 1) == base
        }
    }

    /// Whether the broker acknowledged a batch at or after the last sequence
    /// of a batch starting at `base` with `count` records (same producer id
    /// and epoch): it appends only contiguous sequences, so that batch is in
    /// the log, even if its own answer was lost and a late retry of it is
    /// refused as out of order (the broker remembers only its last five
    /// batches for duplicate detection). A broker with no state for the
    /// producer id accepts any sequence, so this holds only because a
    /// partition's batches never go to a second node while the first still
    /// has some in flight (`drain_and_send`), and a retry goes first.
    pub(crate) fn acked_through(
        &self,
        topic: &Arc<str>,
        partition: i32,
        base: i32,
        count: u32,
    ) -> bool {
        if base < 0 || count == 0 {
            return false;
        }
        let last = next_sequence(base, count - 1);
        self.partitions
            .get(&(topic.clone(), partition))
            .is_some_and(|p| {
                p.last_acked >= 0 && (p.last_acked == last || sequence_after(last, p.last_acked))
            })
    }

    /// Asks for an epoch bump (logged once).
    pub(crate) fn request_bump(&mut self, why: &str) {
        if !self.bump_needed {
            log::info!(
                "{}producer id {} epoch {}: bumping the epoch ({why})",
                self.log,
                self.producer_id,
                self.epoch
            );
        }
        self.bump_needed = true;
    }

    /// A new id/epoch arrived: every partition restarts at sequence 0.
    pub(crate) fn reset(&mut self, producer_id: i64, epoch: i16) {
        self.producer_id = producer_id;
        self.epoch = epoch;
        self.bump_needed = false;
        self.new_id_instead = false;
        self.requested = false;
        self.init_failures = 0;
        self.init_retry_at = None;
        self.partitions.clear();
        self.unresolved.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequences_wrap_to_zero() {
        assert_eq!(next_sequence(0, 5), 5);
        assert_eq!(next_sequence(i32::MAX - 1, 1), i32::MAX);
        assert_eq!(next_sequence(i32::MAX, 1), 0);
        assert_eq!(next_sequence(i32::MAX - 2, 5), 2);
    }

    #[test]
    fn next_expected_follows_acknowledgements() {
        let t: Arc<str> = "t".into();
        let mut i = Idempotence::new(LogContext::default());
        i.reset(7, 0);
        assert_eq!(i.assign(&t, 0, 3), 0);
        assert_eq!(i.assign(&t, 0, 2), 3);
        assert!(i.is_next(&t, 0, 0));
        assert!(!i.is_next(&t, 0, 3));
        i.acked(&t, 0, 0, 3);
        assert!(i.is_next(&t, 0, 3));
        i.acked(&t, 0, 3, 2);
        assert!(i.is_next(&t, 0, 5));
        i.acked(&t, 0, 0, 3); // a late duplicate answer does not go back
        assert!(i.is_next(&t, 0, 5));
        assert!(i.acked_through(&t, 0, 0, 3));
        assert!(i.acked_through(&t, 0, 3, 2));
        assert!(!i.acked_through(&t, 0, 5, 1));
        i.request_bump("test");
        assert!(!i.ready());
        i.reset(7, 1);
        assert!(i.ready());
        assert_eq!(i.assign(&t, 0, 1), 0);
    }

    #[test]
    fn acknowledgements_follow_the_sequence_across_the_wrap() {
        let t: Arc<str> = "t".into();
        let mut i = Idempotence::new(LogContext::default());
        i.reset(7, 0);
        i.partitions.insert(
            (t.clone(), 0),
            PartitionSequence {
                next: i32::MAX - 1,
                last_acked: i32::MAX - 2,
            },
        );
        let a = i.assign(&t, 0, 2);
        assert_eq!(a, i32::MAX - 1);
        let b = i.assign(&t, 0, 3);
        assert_eq!(b, 0, "wraps from i32::MAX to 0");
        i.acked(&t, 0, a, 2);
        assert!(i.is_next(&t, 0, 0));
        i.acked(&t, 0, b, 3);
        assert!(i.is_next(&t, 0, 3));
        i.acked(&t, 0, a, 2); // late duplicate from before the wrap
        assert!(i.is_next(&t, 0, 3));
    }
}
