//! The record accumulator: per-partition queues of batches built directly in
//! the wire format, bounded by `buffer.memory`.
//!
//! Caller threads append (`append`); the sender thread drains ready batches,
//! puts retries back in sequence order and expires old ones.
//!
//! # Locks
//!
//! - `topics` (RwLock): read on every append and drain; written only when a
//!   topic is seen first or grows partitions.
//! - one `Mutex<PartitionQueue>` per partition, held only to append one record
//!   or to move batches in or out. Never held while waiting for memory.
//! - `BufferPool` has its own lock and condvar; `incomplete` its own mutex.
//!
//! Lock order: `topics`, then partition locks, then `incomplete` and the
//! pool's lock. Appends take `topics` (read) only to find the queues, then
//! one partition lock, under which a new batch takes a buffer from the
//! pool's free list and enters `incomplete`; the sender's split path takes
//! a partition lock, then `incomplete`; forgetting an idle topic
//! (`retire_topic`) takes `topics` (write), then every partition lock of
//! the topic at once. Nothing waits for memory under a partition lock.

pub(crate) mod batch;
pub(crate) mod memory;

use crate::clock::Clock;
use crate::delivery::{BatchResult, Callback, Hurry, Outcome, RecordInfo, Wake};
use crate::error::Error;
use crate::hash::FastMap;
use crate::record_batch::{BatchWriter, Compression, BATCH_HEADER_SIZE};
use crate::wait::Bound;
use batch::ProducerBatch;
pub(crate) use batch::RecordRef;
use memory::BufferPool;
use parking_lot::{Mutex, RwLock};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

/// The batches of one partition, oldest first.
#[derive(Default)]
pub(crate) struct PartitionQueue {
    pub(crate) batches: VecDeque<ProducerBatch>,
    /// The topic was forgotten (`metadata.max.idle.ms`) while this queue
    /// was empty: an append that finds it set starts over with the
    /// topic's new queues.
    retired: bool,
}

impl PartitionQueue {
    /// Puts a batch that is to be retried back, before every batch with a
    /// higher sequence (or, without sequences, at the front).
    pub(crate) fn reenqueue(&mut self, batch: ProducerBatch) {
        let pos = if batch.base_sequence < 0 {
            0
        } else {
            self.batches
                .iter()
                .position(|b| {
                    !b.is_sealed()
                        || b.base_sequence < 0
                        || crate::sequence::sequence_after(batch.base_sequence, b.base_sequence)
                })
                .unwrap_or(self.batches.len())
        };
        self.batches.insert(pos, batch);
    }
}

/// Bytes of `buffer.memory` a pending callback holds: its slot in the
/// batch and the closure with what it captured.
fn callback_cost(cb: &Callback) -> usize {
    std::mem::size_of::<batch::PendingCallback>() + std::mem::size_of_val(&**cb)
}

/// The queues of one topic; replaced by a larger copy if partitions grow.
pub(crate) struct TopicQueues {
    pub(crate) name: Arc<str>,
    pub(crate) partitions: Vec<Arc<Mutex<PartitionQueue>>>,
}

/// What `append` hands back to the producer.
pub(crate) struct Appended {
    pub(crate) result: Arc<BatchResult>,
    pub(crate) info: RecordInfo,
    /// A batch was created (the sender should learn its linger deadline).
    pub(crate) new_batch: bool,
    /// The batch reached `batch.size`.
    pub(crate) batch_full: bool,
}

/// A full batch's writer, out of its batch (found again by its result's
/// address) while the appending thread compresses it.
struct Closing {
    key: usize,
    writer: BatchWriter,
}

/// Why `append` refused a record; the caller still owns it.
pub(crate) enum AppendError {
    /// No memory within the deadline.
    BufferFull,
    /// The producer is closing.
    Closed,
}

/// All partition queues plus the memory budget.
pub(crate) struct Accumulator {
    batch_size: usize,
    /// `compression.type` and its level: a batch that takes no more records
    /// is compressed by the thread that filled it (see `finish_close`).
    compression: Compression,
    compression_level: Option<i32>,
    topics: RwLock<FastMap<String, Arc<TopicQueues>>>,
    /// Bumped after every change to `topics` (a topic added, grown or
    /// retired): a caller's cached route (`crate::route`) is good while it
    /// is equal.
    changes: AtomicU64,
    pub(crate) pool: BufferPool,
    incomplete: Mutex<HashMap<usize, Arc<BatchResult>>>,
    flushes: AtomicUsize,
    closed: AtomicBool,
    /// With `wait.sends.batch`: new batches wake the sender through it when
    /// a thread waits for them.
    hurry: Option<Hurry>,
}

impl Accumulator {
    pub(crate) fn new(batch_size: usize, buffer_memory: usize) -> Self {
        Accumulator {
            batch_size,
            compression: Compression::None,
            compression_level: None,
            topics: RwLock::new(FastMap::default()),
            changes: AtomicU64::new(0),
            pool: BufferPool::new(buffer_memory),
            incomplete: Mutex::new(HashMap::new()),
            flushes: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
            hurry: None,
        }
    }

    /// The same accumulator, whose batches wake the sender with `wake` when
    /// a thread starts waiting for one (`wait.sends.batch`).
    pub(crate) fn with_hurry(mut self, wake: Option<Wake>) -> Self {
        self.hurry = wake.map(Hurry);
        self
    }

    /// The same accumulator compressing full batches with `codec` at
    /// `level` in the appending thread.
    pub(crate) fn with_compression(mut self, codec: Compression, level: Option<i32>) -> Self {
        self.compression = codec;
        self.compression_level = level;
        self
    }

    /// Takes the writer of a batch that takes no more records, with a
    /// codec, to compress it once the partition lock is released.
    fn take_for_close(&self, batch: &mut ProducerBatch) -> Option<Closing> {
        if self.compression == Compression::None {
            return None;
        }
        let key = Arc::as_ptr(&batch.result) as usize;
        batch.take_for_close().map(|writer| Closing { key, writer })
    }

    /// Compresses a closing batch's records in this (appending) thread, as
    /// the Java client does, not in the sender thread, then gives the
    /// writer back to its batch (its uncompressed buffer goes to the free
    /// list). A batch that completed meanwhile (expired, aborted) is gone:
    /// the writer is dropped.
    #[inline]
    fn finish_close(&self, queue: &Mutex<PartitionQueue>, closing: Option<Closing>) {
        if let Some(closing) = closing {
            self.compress_closing(queue, closing);
        }
    }

    /// `finish_close` of a batch that closed.
    fn compress_closing(&self, queue: &Mutex<PartitionQueue>, closing: Closing) {
        let Closing { key, mut writer } = closing;
        // A failure leaves the writer uncompressed: sealing reports it.
        if let Ok(Some(buf)) = writer.compress(self.compression, self.compression_level) {
            self.pool.give_buffer(buf);
        }
        let mut q = queue.lock();
        if let Some(b) = q
            .batches
            .iter_mut()
            .rev()
            .find(|b| Arc::as_ptr(&b.result) as usize == key)
        {
            b.put_back_writer(writer);
        }
    }

    /// The count of changes to the topics' queues so far (read before
    /// looking a topic up, to know when the answer may have changed).
    pub(crate) fn changes(&self) -> u64 {
        self.changes.load(Ordering::Acquire)
    }

    /// The queues of `topic`, with at least `partition_count` partitions
    /// (created or grown as needed).
    pub(crate) fn queues(&self, topic: &str, partition_count: i32) -> Arc<TopicQueues> {
        if let Some(t) = self.topics.read().get(topic) {
            if t.partitions.len() >= partition_count as usize {
                return t.clone();
            }
        }
        let mut topics = self.topics.write();
        let entry = topics.entry(topic.to_owned()).or_insert_with(|| {
            Arc::new(TopicQueues {
                name: Arc::from(topic),
                partitions: Vec::new(),
            })
        });
        if entry.partitions.len() < partition_count as usize {
            let mut partitions = entry.partitions.clone();
            partitions.resize_with(partition_count as usize, Default::default);
            *entry = Arc::new(TopicQueues {
                name: entry.name.clone(),
                partitions,
            });
            self.changes.fetch_add(1, Ordering::Release);
        }
        entry.clone()
    }

    /// Appends one record to `topic`/`partition` (see [`append_to`](Self::append_to)).
    #[cfg(test)]
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn append(
        &self,
        topic: &str,
        partition: i32,
        partition_count: i32,
        record: &RecordRef<'_>,
        bound: &Bound,
        clock: &dyn Clock,
        callback: Option<Callback>,
    ) -> Result<Appended, AppendError> {
        let tq = self.queues(topic, partition_count.max(partition + 1));
        self.append_to(&tq, partition, record, bound, clock, callback)
    }

    /// Appends one record to `partition` of the topic whose queues are
    /// `queues` (from [`queues`](Self::queues); if the topic was retired
    /// meanwhile, its new queues are used), creating a batch when the open
    /// one is full (a new batch is stamped with `clock`, the producer's
    /// clock, read only then). Blocks for memory within `bound`.
    pub(crate) fn append_to(
        &self,
        queues: &Arc<TopicQueues>,
        partition: i32,
        record: &RecordRef<'_>,
        bound: &Bound,
        clock: &dyn Clock,
        callback: Option<Callback>,
    ) -> Result<Appended, AppendError> {
        if self.closed.load(Ordering::Acquire) {
            return Err(AppendError::Closed);
        }
        let mut callback = callback;
        // A callback (and what it captures) lives in the batch until it
        // runs: it counts against `buffer.memory` too.
        let cb_cost = callback.as_ref().map_or(0, callback_cost);
        if cb_cost > 0 && !self.pool.reserve_within(cb_cost, bound) {
            return Err(AppendError::BufferFull);
        }
        let mut retired: Option<Arc<TopicQueues>> = None;
        loop {
            let tq = match &retired {
                None => queues,
                Some(fresh) => fresh,
            };
            let queue = &tq.partitions[partition as usize];
            let info = |index: u32| RecordInfo {
                index,
                timestamp: record.timestamp,
                key_size: record.key.map_or(0, <[u8]>::len),
                value_size: record.value.map_or(0, <[u8]>::len),
            };
            {
                let mut q = queue.lock();
                if q.retired {
                    // The topic was forgotten: its new queues.
                    drop(q);
                    retired = Some(self.queues(&tq.name, partition + 1));
                    continue;
                }
                if let Some(done) = self.locked_try_append(&mut q, record) {
                    let (appended, closing) =
                        self.appended(&mut q, done, false, info, &mut callback, cb_cost);
                    drop(q);
                    self.finish_close(queue, closing);
                    return Ok(appended);
                }
            }
            let reserve = self.batch_size.max(record.size + BATCH_HEADER_SIZE);
            if !self.pool.reserve_within(reserve, bound) {
                self.pool.release(cb_cost);
                return Err(AppendError::BufferFull);
            }
            let mut q = queue.lock();
            if self.closed.load(Ordering::Acquire) {
                drop(q);
                self.pool.release(reserve + cb_cost);
                return Err(AppendError::Closed);
            }
            if q.retired {
                drop(q);
                self.pool.release(reserve);
                retired = Some(self.queues(&tq.name, partition + 1));
                continue;
            }
            // Another caller may have opened a batch while we waited.
            if let Some(done) = self.locked_try_append(&mut q, record) {
                let (appended, closing) =
                    self.appended(&mut q, done, false, info, &mut callback, cb_cost);
                drop(q);
                self.pool.release(reserve);
                self.finish_close(queue, closing);
                return Ok(appended);
            }
            let buf = self.pool.take_buffer(reserve);
            let mut batch = ProducerBatch::with_buffer(
                tq.name.clone(),
                partition,
                buf,
                reserve,
                clock.now(),
                self.hurry.as_ref(),
            );
            let index = batch
                .try_append(record, usize::MAX)
                .expect("an empty batch takes any record");
            // The batch before it is full: it closes.
            let before = q
                .batches
                .back_mut()
                .and_then(|full| self.take_for_close(full));
            self.incomplete
                .lock()
                .insert(Arc::as_ptr(&batch.result) as usize, batch.result.clone());
            q.batches.push_back(batch);
            let (appended, closing) =
                self.appended(&mut q, index, true, info, &mut callback, cb_cost);
            drop(q);
            self.finish_close(queue, before);
            self.finish_close(queue, closing);
            return Ok(appended);
        }
    }

    /// With the partition lock held: appends to the open batch at the back.
    fn locked_try_append(&self, q: &mut PartitionQueue, record: &RecordRef<'_>) -> Option<u32> {
        let b = q.batches.back_mut()?;
        b.try_append(record, self.batch_size)
    }

    #[inline]
    fn appended(
        &self,
        q: &mut PartitionQueue,
        index: u32,
        new_batch: bool,
        info: impl Fn(u32) -> RecordInfo,
        callback: &mut Option<Callback>,
        cb_cost: usize,
    ) -> (Appended, Option<Closing>) {
        let b = q.batches.back_mut().expect("just appended");
        let info = info(index);
        if let Some(cb) = callback.take() {
            // As many callbacks as records of this size fill the batch (the
            // list grows past 1024 if need be).
            let per_record = (b.size() / (index as usize + 1)).max(1);
            let expected = (self.batch_size / per_record + 1).min(1024);
            b.add_callback(info.clone(), cb, expected);
            b.reserved += cb_cost;
        }
        let batch_full = b.size() >= self.batch_size;
        let appended = Appended {
            result: b.result.clone(),
            info,
            new_batch,
            batch_full,
        };
        let closing = if batch_full {
            self.take_for_close(b)
        } else {
            None
        };
        (appended, closing)
    }

    /// Every topic's queues (a snapshot of the map; the queues are shared).
    pub(crate) fn topics(&self) -> Vec<Arc<TopicQueues>> {
        self.topics.read().values().cloned().collect()
    }

    /// The queue of one partition, if it exists.
    pub(crate) fn queue(&self, topic: &str, partition: i32) -> Option<Arc<Mutex<PartitionQueue>>> {
        self.topics
            .read()
            .get(topic)
            .and_then(|t| t.partitions.get(partition as usize).cloned())
    }

    /// Called by the sender when a batch is about to complete: frees its
    /// memory; its buffer goes to the free list for a later batch. The
    /// batch stays incomplete for `flush` until [`untrack`](Self::untrack),
    /// once its callbacks have run.
    pub(crate) fn release(&self, batch: &mut ProducerBatch) {
        self.pool.release(batch.reserved);
        batch.reserved = 0;
        // Shrunk copies (see `shrink_sealed`) would only clog the free list.
        if let Some(buf) = batch
            .take_buffer()
            .filter(|b| b.capacity() >= self.batch_size)
        {
            self.pool.give_buffer(buf);
        }
    }

    /// Moves a sealed, mostly empty batch to a buffer of its size (see
    /// [`ProducerBatch::shrink_wire`]) and gives back what it no longer
    /// holds: the bytes to waiting callers, the buffer to the free list.
    pub(crate) fn shrink_sealed(&self, batch: &mut ProducerBatch) {
        if let Some((buf, freed)) = batch.shrink_wire() {
            self.pool.release(freed);
            self.pool.give_buffer(buf);
        }
    }

    /// Tracks a batch created by the sender (a split part) as incomplete.
    pub(crate) fn track(&self, result: &Arc<BatchResult>) {
        self.incomplete
            .lock()
            .insert(Arc::as_ptr(result) as usize, result.clone());
    }

    /// A batch completed and its callbacks ran: `flush` no longer waits
    /// for it.
    pub(crate) fn untrack(&self, result: &Arc<BatchResult>) {
        self.incomplete
            .lock()
            .remove(&(Arc::as_ptr(result) as usize));
    }

    /// Frees a completed batch known by its result and reservation (its
    /// callbacks have run) and untracks it.
    pub(crate) fn release_parts(&self, result: &Arc<BatchResult>, reserved: usize) {
        self.incomplete
            .lock()
            .remove(&(Arc::as_ptr(result) as usize));
        self.pool.release(reserved);
    }

    /// Starts a flush: until `end_flush`, every batch counts as ready.
    /// Returns the batches incomplete now, to wait on.
    pub(crate) fn begin_flush(&self) -> Vec<Arc<BatchResult>> {
        self.flushes.fetch_add(1, Ordering::AcqRel);
        self.incomplete.lock().values().cloned().collect()
    }

    /// Ends a flush started with `begin_flush`.
    pub(crate) fn end_flush(&self) {
        self.flushes.fetch_sub(1, Ordering::AcqRel);
    }

    /// Whether a flush is in progress.
    pub(crate) fn flushing(&self) -> bool {
        self.flushes.load(Ordering::Acquire) > 0
    }

    /// Refuses further appends.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
    }

    /// Whether appends are refused.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Fails every batch result still incomplete with `error` (the sender
    /// thread panicked: whatever it held is lost) and forgets them.
    pub(crate) fn fail_incomplete(&self, error: &Error) {
        let left: Vec<Arc<BatchResult>> = self.incomplete.lock().drain().map(|(_, r)| r).collect();
        for r in left {
            r.complete(Outcome::Failed(error.clone()));
        }
    }

    /// Forgets an idle topic's queues (`metadata.max.idle.ms`) if every one
    /// is empty; returns whether it did. An append racing with this finds
    /// its queue retired (under the partition lock) and starts over.
    pub(crate) fn retire_topic(&self, topic: &str) -> bool {
        let mut topics = self.topics.write();
        let Some(tq) = topics.get(topic).cloned() else {
            return true;
        };
        let mut guards: Vec<_> = tq.partitions.iter().map(|q| q.lock()).collect();
        if guards.iter().any(|q| !q.batches.is_empty()) {
            return false;
        }
        for q in &mut guards {
            q.retired = true;
        }
        drop(guards);
        topics.remove(topic);
        self.changes.fetch_add(1, Ordering::Release);
        true
    }

    /// Number of topics with queues.
    #[cfg(test)]
    pub(crate) fn topic_count(&self) -> usize {
        self.topics.read().len()
    }

    /// Number of batches not yet completed.
    pub(crate) fn incomplete_count(&self) -> usize {
        self.incomplete.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SystemClock;
    use std::time::{Duration, Instant};

    fn append(acc: &Accumulator, p: i32, value: &[u8], deadline: Option<Instant>) -> bool {
        let r = RecordRef::new(1, None, Some(value), &[]);
        acc.append(
            "t",
            p,
            2,
            &r,
            &Bound::from_deadline(deadline),
            &SystemClock,
            None,
        )
        .is_ok()
    }

    #[test]
    fn appends_fill_batches_then_open_new_ones() {
        let acc = Accumulator::new(1024, 64 * 1024);
        for _ in 0..30 {
            assert!(append(&acc, 0, &[7; 100], None));
        }
        let q = acc.queue("t", 0).unwrap();
        let q = q.lock();
        assert!(q.batches.len() >= 3);
        assert!(q.batches.iter().all(|b| b.size() <= 1024));
        assert_eq!(q.batches.iter().map(|b| b.record_count).sum::<u32>(), 30);
        assert_eq!(acc.pool.used(), 1024 * q.batches.len());
        assert_eq!(acc.incomplete_count(), q.batches.len());
    }

    #[cfg(feature = "gzip")]
    #[test]
    fn full_batches_are_compressed_by_the_appending_thread() {
        let acc = Accumulator::new(1024, 64 * 1024).with_compression(Compression::Gzip, None);
        for _ in 0..30 {
            assert!(append(&acc, 0, &[7; 100], None));
        }
        let q = acc.queue("t", 0).unwrap();
        let q = q.lock();
        let (last, full) = q.batches.as_slices().0.split_last().unwrap();
        assert!(!full.is_empty());
        for b in full {
            assert!(b.is_closed(), "a full batch is compressed when it closes");
            assert!(b.size() < 200, "30 equal records compress: {}", b.size());
        }
        assert!(!last.is_closed(), "the open batch still takes records");
        assert_eq!(q.batches.iter().map(|b| b.record_count).sum::<u32>(), 30);
    }

    #[cfg(feature = "gzip")]
    #[test]
    fn a_closing_batch_gets_its_writer_back_unless_it_completed_meanwhile() {
        let acc = Accumulator::new(1024, 64 * 1024).with_compression(Compression::Gzip, None);
        for p in 0..2 {
            assert!(append(&acc, p, &[7; 100], None));
        }
        for (p, completes) in [(0, false), (1, true)] {
            let q = acc.queue("t", p).unwrap();
            let closing = {
                let mut g = q.lock();
                let b = g.batches.back_mut().unwrap();
                let c = acc.take_for_close(b);
                assert!(c.is_some() && b.is_closing() && !b.is_closed());
                assert!(
                    b.try_append(&RecordRef::new(1, None, Some(b"x"), &[]), 1024)
                        .is_none(),
                    "a closing batch takes no records"
                );
                c
            };
            // Meanwhile the sender may complete it (delivery timeout).
            let gone = completes.then(|| q.lock().batches.pop_front().unwrap());
            acc.finish_close(&q, closing);
            match gone {
                None => {
                    let g = q.lock();
                    let b = g.batches.front().unwrap();
                    assert!(b.is_closed() && !b.is_closing());
                }
                Some(mut b) => {
                    assert!(q.lock().batches.is_empty());
                    acc.release(&mut b);
                    b.fail(Error::Fatal("test".into()));
                }
            }
        }
    }

    #[test]
    fn a_full_buffer_blocks_until_the_deadline() {
        let acc = Accumulator::new(1024, 2048);
        assert!(append(&acc, 0, &[1; 10], None));
        assert!(append(&acc, 1, &[1; 10], None));
        let t0 = Instant::now();
        assert!(!append(
            &acc,
            1,
            &[1; 1500],
            Some(t0 + Duration::from_millis(20))
        ));
        assert!(t0.elapsed() >= Duration::from_millis(20));
        assert!(!append(&acc, 0, &[1; 4000], None), "larger than the buffer");
    }

    #[test]
    fn callbacks_count_against_buffer_memory() {
        let acc = Accumulator::new(1024, 16 * 1024);
        let big = [7u8; 8192];
        let cb = move |_| {
            std::hint::black_box(&big);
        };
        let r = RecordRef::new(1, None, Some(b"v"), &[]);
        let now = Instant::now();
        assert!(acc
            .append(
                "t",
                0,
                1,
                &r,
                &Bound::until(now),
                &SystemClock,
                Some(Box::new(cb))
            )
            .is_ok());
        let used = acc.pool.used();
        assert!(used >= 1024 + 8192, "the callback is not counted: {used}");
        let again = acc.append(
            "t",
            0,
            1,
            &r,
            &Bound::until(now),
            &SystemClock,
            Some(Box::new(cb)),
        );
        assert!(
            matches!(again, Err(AppendError::BufferFull)),
            "a second 8 KiB callback does not fit in 16 KiB"
        );
        assert_eq!(acc.pool.used(), used, "the refused callback holds nothing");
        let mut batch = acc
            .queue("t", 0)
            .unwrap()
            .lock()
            .batches
            .pop_front()
            .unwrap();
        acc.release(&mut batch);
        assert_eq!(acc.pool.used(), 0, "released with its batch");
        // Until its callbacks ran, a flush still waits for it.
        assert_eq!(acc.begin_flush().len(), 1);
        acc.end_flush();
        let result = batch.result.clone();
        batch.fail(Error::Fatal("test".into()));
        acc.untrack(&result);
        assert_eq!(acc.incomplete_count(), 0);
    }

    #[test]
    fn a_sealed_batch_with_few_records_holds_only_its_size() {
        // Two partitions, one small record each: two 16 KiB reservations
        // nearly fill a 33 KiB budget, and a third partition's batch must wait.
        let acc = Accumulator::new(16 * 1024, 33 * 1024);
        let r = RecordRef::new(1, None, Some(b"small"), &[]);
        let now = Instant::now();
        for p in 0..2 {
            assert!(acc
                .append("t", p, 3, &r, &Bound::until(now), &SystemClock, None)
                .is_ok());
        }
        assert!(acc
            .append("t", 2, 3, &r, &Bound::until(now), &SystemClock, None)
            .is_err());
        // Sealing and shrinking partition 0's batch gives back all but its size.
        let q = acc.queue("t", 0).unwrap();
        let mut batch = q.lock().batches.pop_front().unwrap();
        batch
            .seal(&crate::record_batch::BatchOptions::default())
            .unwrap();
        let wire = batch.wire().to_vec();
        acc.shrink_sealed(&mut batch);
        assert_eq!(batch.wire(), &wire[..], "the same bytes");
        assert_eq!(batch.reserved, wire.len());
        assert_eq!(acc.pool.used(), 16 * 1024 + wire.len());
        assert!(acc
            .append("t", 2, 3, &r, &Bound::until(now), &SystemClock, None)
            .is_ok());
        // Completing it returns the rest; the small copy is not kept for reuse.
        acc.release(&mut batch);
        assert_eq!(acc.pool.used(), 2 * 16 * 1024);
        let result = batch.result.clone();
        batch.fail(Error::Fatal("test".into()));
        acc.untrack(&result);
        // A batch more than a quarter full keeps its buffer.
        let q = acc.queue("t", 1).unwrap();
        let mut b = q.lock().batches.pop_front().unwrap();
        for _ in 0..50 {
            b.try_append(&RecordRef::new(1, None, Some(&[7; 100]), &[]), 16 * 1024);
        }
        b.seal(&crate::record_batch::BatchOptions::default())
            .unwrap();
        acc.shrink_sealed(&mut b);
        assert_eq!(b.reserved, 16 * 1024);
        acc.release(&mut b);
        b.fail(Error::Fatal("test".into()));
    }

    #[test]
    fn reenqueue_keeps_sequence_order() {
        let mut q = PartitionQueue::default();
        let t: Arc<str> = "t".into();
        let mk = |seq: i32| {
            let mut b = ProducerBatch::new(t.clone(), 0, 64, 0, Instant::now());
            b.try_append(&RecordRef::new(0, None, Some(b"x"), &[]), 100);
            b.seal(&crate::record_batch::BatchOptions::idempotent(1, 0, seq))
                .unwrap();
            b
        };
        q.batches
            .push_back(ProducerBatch::new(t.clone(), 0, 64, 0, Instant::now()));
        q.reenqueue(mk(5));
        q.reenqueue(mk(1));
        q.reenqueue(mk(3));
        let seqs: Vec<i32> = q.batches.iter().map(|b| b.base_sequence).collect();
        assert_eq!(seqs, [1, 3, 5, -1]);
    }
}
