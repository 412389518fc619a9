//! The sender's side of idempotence: which leaders hold our producer
//! state (confirmations), what must be resolved before an epoch bump, and
//! the Java client's rules for the idempotence error codes. The sequence
//! bookkeeping itself is in `idempotence.rs`.

use super::{InFlight, Sender};
use crate::accumulator::batch::ProducerBatch;
use crate::net::{Network, NodeId};
use crate::protocol::ErrorCode;
use std::sync::Arc;

impl<N: Network> Sender<N> {
    /// Whether a batch of `b`'s partition with the same stamp and a later
    /// sequence is in flight.
    pub(super) fn later_in_flight(&self, b: &ProducerBatch) -> bool {
        self.in_flight.values().any(|r| match r {
            InFlight::Produce { batches, .. } => batches.iter().any(|o| {
                o.partition == b.partition
                    && o.topic == b.topic
                    && o.producer_id == b.producer_id
                    && o.producer_epoch == b.producer_epoch
                    && super::sequence_after(b.base_sequence, o.base_sequence)
            }),
            _ => false,
        })
    }

    /// `node` acknowledged `b`: with idempotence it holds our producer state
    /// for `b`'s partition (under `b`'s stamp).
    pub(super) fn confirm(&mut self, b: &ProducerBatch, node: NodeId) {
        if self.idempotence.is_some() {
            let stamp = (node, b.producer_id, b.producer_epoch);
            self.confirmed.insert((b.topic.clone(), b.partition), stamp);
        }
    }

    /// Whether `node` acknowledged the last answered batch of the partition,
    /// under the current producer id and epoch, with no failure since.
    pub(super) fn is_confirmed(&self, key: &(Arc<str>, i32), node: NodeId) -> bool {
        self.idempotence
            .as_ref()
            .is_some_and(|i| self.confirmed.get(key) == Some(&(node, i.producer_id, i.epoch)))
    }

    /// Whether `b` carries the current producer id and epoch and a later
    /// batch of its partition was acknowledged (so `b` is in the log).
    pub(super) fn written_before_acked(&self, b: &ProducerBatch) -> bool {
        self.idempotence.as_ref().is_some_and(|i| {
            b.is_sealed()
                && b.base_sequence >= 0
                && b.producer_id == i.producer_id
                && b.producer_epoch == i.epoch
                && i.acked_through(&b.topic, b.partition, b.base_sequence, b.record_count)
        })
    }

    /// A queued batch that must be resolved under its current stamp before
    /// an epoch bump: sent, maybe written, and stamped with the current
    /// producer id and epoch. Re-stamping it could write it twice.
    pub(super) fn resolves_before_bump(&self, b: &ProducerBatch) -> bool {
        self.idempotence.as_ref().is_some_and(|i| {
            b.is_sealed()
                && b.maybe_written
                && b.base_sequence >= 0
                && b.producer_id == i.producer_id
                && b.producer_epoch == i.epoch
        })
    }

    /// Before a bump: a batch queued behind a sequenced batch that is known
    /// not to be written (same stamp) cannot be in the log either — the broker
    /// only appends contiguous sequences — so it needs no resolving.
    pub(super) fn settle_before_bump(&mut self) {
        let Some(idem) = self.idempotence.as_ref() else {
            return;
        };
        let (pid, epoch) = (idem.producer_id, idem.epoch);
        for tq in self.shared.acc.topics() {
            for q in &tq.partitions {
                let mut q = q.lock();
                let mut hole = false;
                for b in q.batches.iter_mut() {
                    let current = b.is_sealed()
                        && b.base_sequence >= 0
                        && b.producer_id == pid
                        && b.producer_epoch == epoch;
                    if !current {
                        continue;
                    }
                    if hole {
                        b.maybe_written = false;
                    } else if !b.maybe_written {
                        hole = true;
                    }
                }
            }
        }
    }

    /// Whether any queued batch must be resolved before the epoch bump.
    pub(super) fn unresolved_before_bump(&self) -> bool {
        self.shared.acc.topics().iter().any(|tq| {
            tq.partitions.iter().any(|q| {
                q.lock()
                    .batches
                    .iter()
                    .any(|b| self.resolves_before_bump(b))
            })
        })
    }

    /// The Java client's rules for idempotence errors (see `idempotence`):
    /// whether to retry, requesting an epoch bump where the broker lost or
    /// refused our producer state.
    pub(super) fn idempotent_retry(&mut self, batch: &ProducerBatch, code: ErrorCode) -> bool {
        let Some(idem) = self.idempotence.as_mut() else {
            return false;
        };
        if batch.base_sequence < 0 {
            return false;
        }
        let current = batch.producer_id == idem.producer_id && batch.producer_epoch == idem.epoch;
        // A batch that may already be written cannot be re-stamped without
        // risking a second copy: when the broker's answer leaves that open
        // (it lost our producer state), it fails and says it may have been
        // written.
        let ambiguous = batch.maybe_written && code == ErrorCode::UNKNOWN_PRODUCER_ID;
        if ambiguous {
            return false;
        }
        match code {
            ErrorCode::UNKNOWN_PRODUCER_ID | ErrorCode::INVALID_PRODUCER_EPOCH => {
                if current {
                    idem.request_bump(code.name());
                }
                true
            }
            ErrorCode::OUT_OF_ORDER_SEQUENCE_NUMBER => {
                // Behind an unacknowledged batch: that one is being retried,
                // this one follows. The next expected batch refused: a real
                // gap, the broker lost our state.
                // A later batch still in flight may yet be acknowledged,
                // which would prove this one written: wait for it.
                let next =
                    current && idem.is_next(&batch.topic, batch.partition, batch.base_sequence);
                if next && !self.later_in_flight(batch) {
                    if let Some(idem) = self.idempotence.as_mut() {
                        idem.request_bump(code.name());
                    }
                }
                true
            }
            _ => false,
        }
    }
}
